//! Test harness: fresh databases, the real `switchboard` and `embed-demo` binaries on free
//! loopback ports, and a real headless Chromium driven through ChromeDriver.
//!
//! Binaries are found next to the test executable (`target/<profile>/`), or at
//! `SWITCHBOARD_BIN` / `EMBED_DEMO_BIN`. Run `cargo build --workspace --bins` first (the
//! README's test command does).

pub mod api;
pub mod browser;
pub mod db;
pub mod demo;
pub mod process;
pub mod receiver;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// True when running in CI (`CI=true`): there, nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Run each named async test body against SQLite and PostgreSQL:
/// `both_stores!(appends_are_ordered);` expects `async fn appends_are_ordered(db: TestDb)`
/// in scope and generates `sqlite::appends_are_ordered` and `postgres::appends_are_ordered`.
#[macro_export]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::db::TestDb::sqlite()).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::db::TestDb::postgres(concat!(module_path!(), "::", stringify!($name))).await else {
                        return;
                    };
                    super::$name(db).await
                }
            )+
        }
    };
}
