//! A TCP proxy the test can cut: stands between the service and PostgreSQL to play an outage
//! (open connections dropped, new ones refused) and a recovery, without touching the server
//! other tests use.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    /// Bumped on every cut: connections of an older generation close themselves.
    generation: Arc<AtomicU64>,
    /// Connections being relayed now.
    active: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = Proxy {
            port,
            up: Arc::new(AtomicBool::new(true)),
            generation: Arc::new(AtomicU64::new(0)),
            active: Arc::new(AtomicU64::new(0)),
        };
        let me = p.clone();
        let target = target.to_string();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                // The generation before the state: `cut` turns `up` off before it moves the
                // generation, so a connection let in here always carries a generation that a
                // cut in progress will end.
                let gen = me.generation.load(Ordering::SeqCst);
                if !me.up.load(Ordering::SeqCst) {
                    drop(client); // refused, as far as the client can tell
                    continue;
                }
                me.active.fetch_add(1, Ordering::SeqCst);
                let me = me.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        me.active.fetch_sub(1, Ordering::SeqCst);
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let watch = me.clone();
                    let cut = async move {
                        while watch.generation.load(Ordering::SeqCst) == gen {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = tokio::io::copy(&mut cr, &mut sw) => {}
                        _ = tokio::io::copy(&mut sr, &mut cw) => {}
                        _ = cut => {}
                    }
                    me.active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        p
    }

    /// The database "goes away": open connections drop, new ones are refused.
    /// Refuses new connections and closes every open one; returns once they are all closed,
    /// so that nothing sent after it can slip through a connection that is still open.
    pub async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        while self.active.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
