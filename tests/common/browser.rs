//! A real browser for the web interface's tests: Debian's `chromium`, headless, driven through
//! `chromedriver` (WebDriver) by `fantoccini`, with `axe-core` (from npm) injected into pages
//! to check accessibility. `.ci/run` installs all three; elsewhere a test without them says so
//! and passes only when `CI` is unset (CI never skips).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub struct Browser {
    pub client: Client,
    base: String,
    axe: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn tool(var: &str, default: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    path.exists().then_some(path)
}

fn axe_path() -> PathBuf {
    std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(".ci/browser/node_modules/axe-core/axe.min.js")
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port()
}

impl Browser {
    /// A browser on the app at `base`; `None` (after saying why) when the tools are missing
    /// outside CI.
    pub async fn start(base: &str) -> Option<Browser> {
        let chromium = tool("CHROMIUM", "/usr/bin/chromium");
        let driver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
        let axe = axe_path();
        let (Some(chromium), Some(driver_bin), true) = (chromium, driver, axe.exists()) else {
            let why = format!(
                "browser test needs /usr/bin/chromium, /usr/bin/chromedriver and {} (bash .ci/run installs them)",
                axe.display()
            );
            if std::env::var_os("CI").is_some() {
                panic!("{why}");
            }
            eprintln!("skipped: {why}");
            return None;
        };
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile directory");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,900", "--lang=en-GB",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!("an object"),
        };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen.
        let mut client = None;
        for _ in 0..100 {
            match builder.connect(&url).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("chromedriver answers and starts chromium");
        Some(Browser {
            client,
            base: base.to_string(),
            axe: std::fs::read_to_string(&axe).expect("axe-core's script"),
            driver,
            _profile: profile,
        })
    }

    /// Opens a path of the app (or a full URL).
    pub async fn open(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.client.goto(&url).await.expect("the page loads");
    }

    /// The path (and query) the browser is at.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("a URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .execute("return document.body.innerText;", vec![])
            .await
            .expect("the page's text")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn html(&self) -> String {
        self.client.source().await.expect("the page's source")
    }

    /// The element at `css`, or a failure that names the page it was looked for on.
    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("nothing at {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Types into the field `css` (after clearing it).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.element(css).await;
        field.clear().await.expect("cleared");
        field.send_keys(value).await.expect("typed");
    }

    /// Chooses the file at `path` in the file input `css`.
    pub async fn attach(&self, css: &str, path: &std::path::Path) {
        let field = self.element(css).await;
        field
            .send_keys(&path.to_string_lossy())
            .await
            .expect("file chosen");
    }

    pub async fn select(&self, css: &str, value: &str) {
        let field = self.element(css).await;
        field.select_by_value(value).await.expect("chosen");
    }

    /// Clicks `css` where the page stays (a `<summary>` that opens its form).
    pub async fn toggle(&self, css: &str) {
        self.element(css).await.click().await.expect("clicked");
    }

    /// Sets a field's value directly: date inputs take typed keys in the browser's locale
    /// order, which a test should not depend on.
    pub async fn set(&self, css: &str, value: &str) {
        self.element(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .expect("the value is set");
    }

    /// Clicks `css` and waits for the page it leads to (a link or a submit button).
    pub async fn click(&self, css: &str) {
        self.client
            .execute("window.__kz_before = true;", vec![])
            .await
            .expect("marks the page");
        let element = self.element(css).await;
        element.click().await.expect("clicked");
        for _ in 0..200 {
            let done = self
                .client
                .execute(
                    "return typeof window.__kz_before === 'undefined' && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if done == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} led to no new page");
    }

    /// Runs axe-core on the page and fails on any WCAG 2.1 A/AA violation, naming each.
    pub async fn assert_accessible(&self, what: &str) {
        self.client
            .execute(&self.axe, vec![])
            .await
            .expect("axe-core loads");
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                    .then(r => done(r.violations.map(v => ({ id: v.id, help: v.help,
                        nodes: v.nodes.map(n => n.html).slice(0, 3) }))))
                    .catch(e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        let list = violations.as_array().cloned().unwrap_or_default();
        assert!(
            list.is_empty(),
            "axe-core finds accessibility violations on {what} ({}): {}",
            self.path().await,
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
    }

    /// Saves a screenshot as `docs/screenshots/NAME.png` when `KETENZORG_SCREENSHOTS` is set
    /// (the README shows them; ordinary runs leave the files alone).
    pub async fn screenshot(&self, name: &str) {
        if std::env::var_os("KETENZORG_SCREENSHOTS").is_none() {
            return;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
    }

    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed test does not reach `close`: chromedriver must not outlive it.
        let _ = self.driver.kill();
    }
}
