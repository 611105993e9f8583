//! Schema-based fuzzing of the whole REST API: schemathesis (installed by `scripts/setup.sh`
//! into `.tools/py`) reads `/openapi.json` from a fresh server on each store and sends what the
//! document calls valid, signed in as an admin. Findings fail the test:
//!
//! - `not_a_server_error`: no 5xx, whatever the input;
//! - `response_schema_conformance`: every response matches the document;
//! - `positive_data_acceptance`: the server accepts what the document calls valid.
//!
//! Any finding fails. The rules JSON Schema cannot state (one value relative to another: a
//! flow's steps naming each other, a window's `to` after its `from`, unique variable names)
//! are in the document's descriptions and in `tests/fuzz/hooks.py`, which brings each
//! generated request within them before it is sent.
//!
//! One worker: schemathesis' coverage phase is not thread-safe in every version (a rare
//! internal error with two workers).
//!
//! No request leaves loopback: the server runs without `--webhook-allow-private` and with
//! `--webhook-allowed-hosts 127.0.0.1`, so every webhook or callout URL the fuzzer invents is
//! refused before any DNS lookup or connection (a loopback literal is non-public, anything
//! else is off the list).
//!
//! Operations left out: `POST /v1/auth/logout` and `POST /v1/agents/{id}/sessions/revoke`
//! would end the fuzzing admin's own session (both have their own tests), and
//! `GET /v1/agent/ws` and `GET /v1/chat/session/socket` are WebSocket upgrades, not requests
//! and responses (both have their own tests).

use std::path::PathBuf;
use std::time::Duration;
use tests::api::{Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::db::TestDb;
use tests::process::start_switchboard;
use tests::process::ServerOptions;

/// Generated cases per operation and phase; the whole run stays within a few minutes.
const MAX_EXAMPLES: &str = "25";
const RUN_LIMIT: Duration = Duration::from_secs(900);
/// A fixed seed keeps CI reproducible; explore with other seeds by running schemathesis by
/// hand (docs/api.md, "Fuzzing the API").
const SEED: &str = "247987495617309644665731095480668945952";

fn schemathesis() -> Option<PathBuf> {
    let bin = tests::workspace_root().join(".tools/py/bin/schemathesis");
    bin.is_file().then_some(bin)
}

/// Did the run fail only because schemathesis could not generate some invalid inputs? When it
/// negates a schema for negative testing it can build a `not` it cannot draw from ("does not
/// support a `not` whose complement is not spelled out"), which depends on the path its random
/// generation took. That is a limit of the tool, not a defect of the API: it is reported and
/// tolerated, while any failed check or any other error still fails the test.
fn only_generation_limits(stdout: &str) -> bool {
    const LIMIT: &str = "Schemathesis does not support a `not`";
    let section = |name: &str| {
        let start = stdout.find(&format!(" {name} ="))?;
        let rest = &stdout[start + name.len() + 3..];
        let end = rest.find("\n====").unwrap_or(rest.len());
        Some(&rest[..end])
    };
    if section("FAILURES").is_some() {
        return false;
    }
    let Some(errors) = section("ERRORS") else {
        return false;
    };
    let reported = errors.lines().filter(|l| l.starts_with("____")).count();
    let limits = errors.matches(LIMIT).count();
    let tolerated = reported > 0 && reported == limits;
    if tolerated {
        eprintln!(
            "schemathesis could not generate negative cases for {limits} operation(s); tolerated"
        );
    }
    tolerated
}

async fn the_api_keeps_its_contract(db: TestDb) {
    let Some(bin) = schemathesis() else {
        assert!(
            !tests::in_ci(),
            "schemathesis is not installed (.tools/py): scripts/setup.sh installs it"
        );
        eprintln!("SKIPPED: schemathesis is not installed; run scripts/setup.sh");
        return;
    };
    let server = start_switchboard(
        &db,
        ServerOptions {
            allowed_origins: vec!["http://127.0.0.1:8090".into()],
            admin: Some((ADMIN_EMAIL.into(), ADMIN_PASSWORD.into())),
            extra_args: vec!["--webhook-allowed-hosts".into(), "127.0.0.1".into()],
            ..ServerOptions::default()
        },
    )
    .await;
    let admin = Api::new(&server.base_url)
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    let token = admin.token.clone().expect("signed in");
    let root = tests::workspace_root();
    let base = server.base_url.trim_end_matches('/').to_string();
    let run = tokio::process::Command::new(&bin)
        .current_dir(root.join("tests/fuzz"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", root.join("tests/fuzz"))
        .args(["run", &format!("{base}/openapi.json"), "--url", &base])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,positive_data_acceptance",
        ])
        .args(["--exclude-path", "/v1/auth/logout"])
        .args(["--exclude-path", "/v1/agents/{id}/sessions/revoke"])
        .args(["--exclude-path", "/v1/agent/ws"])
        .args(["--exclude-path", "/v1/chat/session/socket"])
        .args([
            "--max-examples",
            MAX_EXAMPLES,
            "--workers",
            "1",
            "--seed",
            SEED,
        ])
        .arg("--no-color")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RUN_LIMIT, run)
        .await
        .expect("schemathesis finished within its time limit")
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    println!("{}", lines[lines.len().saturating_sub(40)..].join("\n"));
    assert!(
        output.status.success() || only_generation_limits(&stdout),
        "schemathesis found problems:\n{stdout}\n{stderr}\n---- switchboard log ----\n{}",
        server.log()
    );
    // The whole run was signed in: the admin's session survived it.
    admin.get("/v1/agents/me").await.expect(200);
}

tests::both_stores!(the_api_keeps_its_contract);

#[test]
fn generation_limits_are_told_apart_from_findings() {
    let bar = "=".repeat(30);
    let limit = format!(
        "{bar} ERRORS {bar}\n____ PUT /v1/flows/{{id}} ____\nSchema Error\nFailed to generate test cases for this API operation. Schemathesis does not support a `not` whose complement is not spelled out, below the document root\n{bar} WARNINGS {bar}\n____ x ____\n"
    );
    assert!(only_generation_limits(&limit));
    let finding = format!("{bar} FAILURES {bar}\n____ POST /v1/queues ____\nServer error\n{limit}");
    assert!(!only_generation_limits(&finding));
    let other =
        format!("{bar} ERRORS {bar}\n____ GET /v1/x ____\nNetwork Error\n{bar} SUMMARY {bar}\n");
    assert!(!only_generation_limits(&other));
    assert!(!only_generation_limits("all passed"));
}
