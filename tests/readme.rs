//! The README's "Trying it" commands, run as a reader would run them: every `sh` block of that
//! section in order, in bash with `set -euo pipefail`, each `curl` failing on an HTTP error,
//! against the binary serving a fresh SQLite database. `cargo run -q --` becomes the built
//! binary and `localhost:8080` the test server's address; nothing else is changed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_ketenzorg");

/// The `sh` blocks between `## Trying it` and the next `## ` heading.
fn trying_it_blocks(readme: &str) -> Vec<String> {
    let start = readme
        .find("\n## Trying it")
        .expect("README has a Trying it section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in rest[..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_commands_work_as_written() {
    for tool in ["jq", "curl", "bash"] {
        if !have(tool) {
            // CI installs them (.ci/run); elsewhere a missing tool is not the README's fault.
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is needed to run the README's commands"
            );
            eprintln!("skipped: {tool} is not installed");
            return;
        }
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read README.md");
    let blocks = trying_it_blocks(&readme);
    assert!(blocks.len() >= 4, "found {} sh blocks", blocks.len());

    let db = TestDb::new(Backend::Sqlite);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail = tempfile::tempdir().unwrap();
    let mut server = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("LOG_LEVEL", "warn")
        .env("KETENZORG_MAIL_DIR", mail.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("start serve");
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while !reqwest::get(format!("{base}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(20), "not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let script = format!(
        "set -euo pipefail\ncurl() {{ command curl --fail-with-body -sS \"$@\"; }}\n{}",
        blocks
            .join("\n")
            .replace("cargo run -q --", "\"$README_KETENZORG\"")
            .replace("localhost:8080", &format!("127.0.0.1:{port}"))
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("README_KETENZORG", BIN)
        .env("DATABASE_URL", &db.url)
        .env("LOG_LEVEL", "warn")
        .env("KETENZORG_MAIL_DIR", mail.path())
        .output()
        .expect("run bash");
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's commands failed:\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // What the reader is told to expect shows up: the case history, the CSV, the portfolio.
    for expected in [
        "\"kind\":\"acknowledged\"",
        "contract_id,reference,title",
        "FW-1/LOT1",
        "\"status_reasons\"",
        "\"actor_name\": \"An Peeters\"",
    ] {
        assert!(stdout.contains(expected), "no {expected} in:\n{stdout}");
    }
}
