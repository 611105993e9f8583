//! Fresh databases for tests: a new SQLite file in a temporary folder, or a new PostgreSQL
//! database (dropped afterwards) on the server at `SWITCHBOARD_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! PostgreSQL policy: in CI (`CI=true`) an unreachable server fails the test; elsewhere the
//! test prints that it was skipped and why, and returns.

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_admin_url() -> String {
    std::env::var("SWITCHBOARD_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

/// A database that exists for one test.
pub struct TestDb {
    /// What to pass as `DATABASE_URL` / `--database-url`.
    pub url: String,
    pub kind: Kind,
    /// The server's `--data-dir` (recordings, transcripts): kept with the database, so a
    /// restarted server finds its files.
    pub data_dir: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
    _data: tempfile::TempDir,
    pg_name: Option<String>,
}

fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
        let data = data_dir();
        TestDb {
            url,
            kind: Kind::Sqlite,
            data_dir: data.path().to_path_buf(),
            _dir: Some(dir),
            _data: data,
            pg_name: None,
        }
    }

    /// SQLite at a path the caller owns, given as a plain path (not a URL).
    pub fn sqlite_path(path: &std::path::Path) -> TestDb {
        let data = data_dir();
        TestDb {
            url: path.display().to_string(),
            kind: Kind::Sqlite,
            data_dir: data.path().to_path_buf(),
            _dir: None,
            _data: data,
            pg_name: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after printing why) when the server is not
    /// reachable outside CI. In CI an unreachable server panics.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let admin = pg_admin_url();
        let mut conn = match connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if crate::in_ci() {
                    panic!("CI=true but PostgreSQL is unreachable at {admin}: {e}");
                }
                eprintln!("SKIPPED {test}: PostgreSQL is unreachable at {admin} ({e}); start it or set SWITCHBOARD_TEST_PG_URL");
                return None;
            }
        };
        let name = format!("sbtest_{}", uuid::Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {admin}: {e}"));
        let _ = conn.close().await;
        let url = PgConnectOptions::from_str(&admin)
            .expect("valid admin URL")
            .database(&name)
            .to_url_lossy()
            .to_string();
        let data = data_dir();
        Some(TestDb {
            url,
            kind: Kind::Postgres,
            data_dir: data.path().to_path_buf(),
            _dir: None,
            _data: data,
            pg_name: Some(name),
        })
    }
}

async fn connect(url: &str) -> Result<sqlx::PgConnection, String> {
    let options = PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_secs(5), options.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 5 s".into()),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside any async context guarantee: use a private runtime on a thread.
        let admin = pg_admin_url();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = connect(&admin).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}
