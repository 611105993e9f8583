//! A real headless Chromium, driven through ChromeDriver on a free port.

use crate::process::free_port;
use fantoccini::{Client, ClientBuilder};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    pub client: Client,
    /// The host page's widget iframe (`#switchboard-widget-frame` on the demo CRM's pages).
    pub widget_frame: &'static str,
    driver: std::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start ChromeDriver and a fresh headless Chromium profile. Panics with a clear message
    /// if Chromium is not installed (scripts/setup.sh installs it).
    pub async fn start() -> Browser {
        Browser::launch(&[]).await
    }

    /// [`Browser::start`] for web calls, with WebRTC kept on loopback (host candidates on
    /// 127.0.0.1, not hidden behind mDNS names) and a fake microphone playing `wav` (looped),
    /// allowed without asking; `None`: a microphone the browser refuses to the page.
    pub async fn with_microphone(wav: Option<&std::path::Path>) -> Browser {
        let mut args = vec![
            "--allow-loopback-in-peer-connection".to_string(),
            "--disable-features=WebRtcHideLocalIpsWithMdns".to_string(),
            "--use-fake-device-for-media-stream".to_string(),
            "--autoplay-policy=no-user-gesture-required".to_string(),
        ];
        match wav {
            Some(wav) => {
                args.push("--use-fake-ui-for-media-stream".into());
                args.push(format!(
                    "--use-file-for-fake-audio-capture={}",
                    wav.display()
                ));
            }
            None => args.push("--deny-permission-prompts".into()),
        }
        Browser::launch(&args).await
    }

    async fn launch(extra_args: &[String]) -> Browser {
        // Two rustls crypto providers are compiled in (fantoccini's and reqwest's): pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
        assert!(
            std::path::Path::new(&chromium).exists()
                && std::path::Path::new(&chromedriver).exists(),
            "Chromium/ChromeDriver not found at {chromium} / {chromedriver}: run scripts/setup.sh"
        );
        let port = free_port();
        let driver = std::process::Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().cloned());
        let caps = serde_json::json!({
            "goog:chromeOptions": {"binary": chromium, "args": args}
        });
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "ChromeDriver on {url} did not start: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Browser {
            client,
            widget_frame: "#switchboard-widget-frame",
            driver,
            _profile: profile,
        }
    }

    /// Evaluate `script` (a function body; use `return`) until it returns something other than
    /// null/false, or panic after `timeout` with `what`.
    pub async fn wait_for(&self, what: &str, timeout: Duration, script: &str) -> serde_json::Value {
        match self.poll(timeout, script).await {
            Some(value) => value,
            None => panic!(
                "timed out after {timeout:?} waiting for {what}; the page showed: {}",
                self.visible_text().await
            ),
        }
    }

    /// Evaluate `script` until it returns something other than null/false; `None` after
    /// `timeout`.
    async fn poll(&self, timeout: Duration, script: &str) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .unwrap_or(serde_json::Value::Null);
            if !(value.is_null() || value == serde_json::Value::Bool(false)) {
                return Some(value);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The current frame's address and the start of its visible text, for failure messages.
    async fn visible_text(&self) -> String {
        self.client
            .execute(
                "return location.href + ' :: ' + (document.body ? document.body.textContent.replace(/\\s+/g, ' ').slice(0, 600) : '');",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "(unreadable)".into())
    }

    /// Enter the embedded widget's iframe ([`Browser::widget_frame`]).
    pub async fn enter_widget(&self) {
        let frame = self
            .client
            .find(fantoccini::Locator::Css(self.widget_frame))
            .await
            .expect("the widget iframe");
        frame.enter_frame().await.expect("enter the widget frame");
    }

    /// Back to the host page.
    pub async fn leave_widget(&self) {
        self.client
            .enter_parent_frame()
            .await
            .expect("leave the widget frame");
    }

    /// [`Browser::wait_for`] inside the widget's frame.
    pub async fn in_widget(&self, what: &str, script: &str) -> serde_json::Value {
        self.enter_widget().await;
        let v = self.wait_for(what, Duration::from_secs(20), script).await;
        self.leave_widget().await;
        v
    }

    /// Click the first element matching `css` inside the widget, waiting for it to be shown.
    pub async fn click_in_widget(&self, css: &str) {
        self.enter_widget().await;
        self.click_when_shown(css, "in the widget").await;
        self.leave_widget().await;
    }

    /// Type into a field inside the widget, once it exists.
    pub async fn type_in_widget(&self, css: &str, text: &str) {
        self.enter_widget().await;
        self.type_here(css, text).await;
        self.leave_widget().await;
    }

    /// In the current frame: once the field `css` exists, clear it and type `text`.
    pub async fn type_here(&self, css: &str, text: &str) {
        self.wait_for(
            &format!("{css} to type into"),
            Duration::from_secs(20),
            &format!(
                "return document.querySelector({}) ? true : null;",
                serde_json::json!(css)
            ),
        )
        .await;
        let field = self
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// In the current frame: choose `value` in the `<select>` matching `css`.
    pub async fn select_here(&self, css: &str, value: &str) {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
    }

    /// In the current frame: run `script` once and return what it returns.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Sign in with the widget's own form on the current page (the standalone widget), once
    /// the form is there.
    pub async fn sign_in_here(&self, email: &str, password: &str) {
        for (css, text) in [
            ("[data-test=email]", email),
            ("[data-test=password]", password),
        ] {
            self.wait_for(
                css,
                Duration::from_secs(20),
                &format!(
                    "return document.querySelector({}) ? true : null;",
                    serde_json::json!(css)
                ),
            )
            .await;
            self.client
                .find(fantoccini::Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
                .send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("type into {css}: {e}"));
        }
        self.click("[data-test=sign-in]").await;
    }

    /// Open the standalone widget at `url`, sign in there and choose "Ready".
    pub async fn ready_in_standalone_widget(&self, url: &str, email: &str, password: &str) {
        self.client.goto(url).await.unwrap();
        self.sign_in_here(email, password).await;
        self.wait_for(
            "the status selector",
            Duration::from_secs(20),
            "return document.querySelector('[data-test=status]') ? true : null;",
        )
        .await;
        self.client
            .find(fantoccini::Locator::Css("[data-test=status]"))
            .await
            .unwrap()
            .select_by_value("ready")
            .await
            .unwrap();
    }

    /// Click the first element matching `css` on the host page, waiting for it.
    pub async fn click(&self, css: &str) {
        self.click_when_shown(css, "on the page").await;
    }

    /// In the current frame: wait until the first match of `css` is rendered (it has a box:
    /// `offsetParent` would miss fixed-position elements) and not inside a `hidden` element,
    /// then click it.
    async fn click_when_shown(&self, css: &str, place: &str) {
        let script = format!(
            "const e = document.querySelector({}); return e && !e.closest('[hidden]') && e.getClientRects().length > 0 ? true : null;",
            serde_json::json!(css)
        );
        self.wait_for(&format!("{css} {place}"), Duration::from_secs(20), &script)
            .await;
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Sign in to the demo CRM at `crm` (its base URL) as `email`, then open `path`.
    pub async fn sign_in_crm(&self, crm: &str, email: &str, path: &str) {
        self.client
            .goto(&format!("{crm}/signin"))
            .await
            .expect("CRM sign-in page");
        let field = self
            .client
            .find(fantoccini::Locator::Css("[data-test=crm-email]"))
            .await
            .expect("email field");
        field.clear().await.expect("clear");
        field.send_keys(email).await.expect("type email");
        self.click("[data-test=crm-signin]").await;
        self.wait_for(
            "the CRM desk after sign-in",
            Duration::from_secs(20),
            "return document.getElementById('widget-slot') ? true : null;",
        )
        .await;
        if path != "/" {
            // The desk just shown has signed its widget in (native protocol, `auth.token`), and
            // the widget keeps its token in the tab's sessionStorage: opened in this tab, `path`
            // would find the agent signed in or not depending on timing. A new tab starts
            // clean, as a CRM tab the user opens does.
            let tab = self.client.new_window(true).await.expect("open a tab");
            self.client
                .close_window()
                .await
                .expect("close the first tab");
            self.client
                .switch_to_window(tab.handle)
                .await
                .expect("switch to the new tab");
            self.client
                .goto(&format!("{crm}{path}"))
                .await
                .expect("CRM page");
        }
    }

    /// Run axe-core (installed by `scripts/setup.sh` into `.tools/`) on the current frame's
    /// document and return its serious and critical findings.
    pub async fn axe_findings(&self) -> Vec<serde_json::Value> {
        let path = crate::workspace_root().join(".tools/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (scripts/setup.sh installs axe-core)",
                path.display()
            )
        });
        self.client
            .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.slice(0, 3).map(n => n.html)}))),
                   e => done([{id: 'axe-error', help: String(e)}]));",
                vec![],
            )
            .await
            .expect("axe.run");
        found.as_array().cloned().unwrap_or_default()
    }

    /// Save a screenshot under `<root>/test-artifacts/` (kept by CI as an artifact).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = crate::workspace_root().join("test-artifacts");
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// End the WebDriver session; ChromeDriver is stopped when `self` drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A test that panicked never closed its session: Chromium outlives ChromeDriver. Its
        // command line names this browser's own profile directory, so only it is stopped.
        let _ = std::process::Command::new("pkill")
            .args(["-f", "--"])
            .arg(format!(
                "--user-data-dir={}",
                self._profile.path().display()
            ))
            .status();
    }
}
