//! Starting and stopping the real binaries on loopback.

use crate::db::TestDb;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Locate a workspace binary: `$<ENV>` if set, else next to the test executable.
pub fn binary(name: &str, env: &str) -> PathBuf {
    if let Ok(path) = std::env::var(env) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current exe");
    // Tests run from target/<profile>/deps/, programs (bench) from target/<profile>/.
    let here = exe.parent().expect("exe dir");
    let path = [
        here.join(name),
        here.parent().map(|p| p.join(name)).unwrap_or_default(),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .unwrap_or_else(|| here.join(name));
    assert!(
        path.is_file(),
        "{} not found: run `cargo build --workspace --bins` first (or set {env})",
        path.display()
    );
    path
}

/// A free TCP port on 127.0.0.1 (bound and released; the OS will not hand it out again soon).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process that printed `listening on http://…` and is stopped on drop.
pub struct Running {
    pub child: Child,
    pub base_url: String,
    name: String,
    log_path: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Running {
    async fn spawn(name: &str, mut command: Command) -> Running {
        let log_dir = tempfile::tempdir().expect("temp dir");
        let log_path = log_dir.path().join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let started = Instant::now();
        let base_url = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
            match line {
                Ok(Ok(Some(line))) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_string();
                    }
                }
                other => {
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    panic!(
                        "{name} did not start ({other:?}) after {:?}; its log:\n{log}",
                        started.elapsed()
                    );
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Running {
            child,
            base_url,
            name: name.to_string(),
            log_path,
            _log_dir: log_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The origin browsers see for this process (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> String {
        self.base_url.trim_end_matches('/').to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Send SIGTERM and wait for the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit within 20 s of SIGTERM", self.name))
            .expect("wait")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("---- {} log ----\n{}", self.name, self.log());
        }
        let _ = self.child.start_kill();
    }
}

/// Options for [`start_switchboard`].
#[derive(Default, Clone)]
pub struct ServerOptions {
    pub allowed_origins: Vec<String>,
    /// Defaults to `<root>/frontend/dist`.
    pub widget_dir: Option<PathBuf>,
    /// Fixed port; 0 (default) lets the OS choose.
    pub port: u16,
    /// Bootstrap admin (email, password).
    pub admin: Option<(String, String)>,
    /// More `serve` flags.
    pub extra_args: Vec<String>,
}

/// Start `switchboard serve` on a fresh database and wait until `/readyz` answers 200.
pub async fn start_switchboard(db: &TestDb, options: ServerOptions) -> Running {
    let mut command = Command::new(binary("switchboard", "SWITCHBOARD_BIN"));
    let widget_dir = options
        .widget_dir
        .unwrap_or_else(|| crate::workspace_root().join("frontend/dist"));
    command
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", options.port))
        .arg("--database-url")
        .arg(&db.url)
        .arg("--widget-dir")
        .arg(widget_dir)
        .arg("--data-dir")
        .arg(&db.data_dir)
        .arg("--allowed-origins")
        .arg(options.allowed_origins.join(","))
        .args(&options.extra_args)
        .env("RUST_LOG", "info,sqlx=warn");
    if let Some((email, password)) = &options.admin {
        command
            .env("SWITCHBOARD_ADMIN_EMAIL", email)
            .env("SWITCHBOARD_ADMIN_PASSWORD", password);
    }
    let running = Running::spawn("switchboard", command).await;
    wait_ready(&running.url("/readyz")).await;
    running
}

/// Start the demo CRM on `port` (0: any), pointing at `switchboard_url`.
///
/// `crm_db` is the CRM's own SQLite file (a fresh one per test). With `admin`, the CRM
/// creates its own API client at Switchboard with that admin's sign-in (as the demo script
/// does); without, it runs unconfigured (embedding works, routing and embed sign-in do not).
pub async fn start_demo(
    switchboard_url: &str,
    port: u16,
    crm_db: &Path,
    admin: Option<(&str, &str)>,
) -> Running {
    let mut command = Command::new(binary("embed-demo", "EMBED_DEMO_BIN"));
    command
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--switchboard-url")
        .arg(switchboard_url)
        .arg("--database-url")
        .arg(format!("sqlite://{}", crm_db.display()));
    if let Some((email, password)) = admin {
        command
            .arg("--provision-admin-email")
            .arg(email)
            .arg("--provision-admin-password")
            .arg(password);
    }
    let running = Running::spawn("embed-demo", command).await;
    wait_ready(&running.url("/healthz")).await;
    running
}

async fn wait_ready(url: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{url} not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
