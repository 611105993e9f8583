//! Test harness: fresh databases, the real `switchboard` and `embed-demo` binaries on free
//! loopback ports, and a real headless Chromium driven through ChromeDriver.
//!
//! Binaries are found next to the test executable (`target/<profile>/`), or at
//! `SWITCHBOARD_BIN` / `EMBED_DEMO_BIN`. Run `cargo build --workspace --bins` first (the
//! README's test command does).

pub mod api;
pub mod audio;
pub mod bench;
pub mod browser;
pub mod chat;
pub mod db;
pub mod demo;
pub mod pages;
pub mod process;
pub mod receiver;
pub mod side_app;
pub mod voice;

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A Unix time in milliseconds as RFC 3339 UTC (`2026-12-01T09:00:00Z`), whole seconds.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since the epoch → civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
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

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_796_115_600_000), "2026-12-01T09:00:00Z");
        assert_eq!(super::rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
