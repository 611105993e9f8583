//! Black-box tests of the real `switchboard` binary over HTTP, on SQLite and PostgreSQL.

use serde_json::Value;
use tests::both_stores;
use tests::db::{Kind, TestDb};
use tests::process::{start_switchboard, Running, ServerOptions};

const DEMO: &str = "http://127.0.0.1:8090";

async fn get(url: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn options() -> ServerOptions {
    ServerOptions {
        allowed_origins: vec![DEMO.into(), "https://crm.example.com".into()],
        ..ServerOptions::default()
    }
}

async fn health_and_readiness_report_the_store(db: TestDb) {
    let server = start_switchboard(&db, options()).await;
    let (status, _, body) = get(&server.url("/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, _, body) = get(&server.url("/readyz")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
    let expected = match db.kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

async fn embedding_check_answers_from_the_allow_list(db: TestDb) {
    let server = start_switchboard(&db, options()).await;
    let check =
        |origin: &str| server.url(&format!("/v1/embedding/check?origin={}", urlencode(origin)));

    let (status, _, body) = get(&check("http://127.0.0.1:8090")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"origin": "http://127.0.0.1:8090", "allowed": true})
    );

    // Normalised the way browsers serialise origins.
    let (_, _, body) = get(&check("HTTPS://CRM.example.com:443/")).await;
    assert_eq!(
        body,
        serde_json::json!({"origin": "https://crm.example.com", "allowed": true})
    );

    let (status, _, body) = get(&check("https://evil.example")).await;
    assert_eq!(status, 200);
    assert_eq!(body["allowed"], false);

    for bad in [
        "",
        "evil.example",
        "https://crm.example.com/path",
        "ftp://x.test",
    ] {
        let (status, _, body) = get(&check(bad)).await;
        assert_eq!(status, 422, "{bad:?} → {body}");
        assert_eq!(body["error"]["code"], "invalid_field");
        assert_eq!(body["error"]["field"], "origin");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    let (status, _, body) = get(&server.url("/v1/embedding/check")).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "origin");
}

async fn unknown_routes_and_methods_are_json_errors(db: TestDb) {
    let server = start_switchboard(&db, options()).await;
    let (status, _, body) = get(&server.url("/v1/nope")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    let r = reqwest::Client::new()
        .post(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

async fn every_response_limits_framing_to_allowed_origins(db: TestDb) {
    let server = start_switchboard(&db, options()).await;
    for path in ["/widget/", "/healthz", "/v1/nope"] {
        let (_, headers, _) = get(&server.url(path)).await;
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self' http://127.0.0.1:8090 https://crm.example.com",
            "report-uri /v1/csp-reports",
        ] {
            assert!(
                csp.split(';').any(|d| d.trim() == directive),
                "{path}: {csp} lacks {directive}"
            );
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        let permissions = headers["permissions-policy"].to_str().unwrap();
        assert!(
            // The microphone is the pages' own (web calls), never a third party's.
            permissions.contains("camera=()") && permissions.contains("microphone=(self)"),
            "{permissions}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
}

async fn the_widget_and_its_pwa_files_are_served(db: TestDb) {
    let server = start_switchboard(&db, options()).await;
    let client = reqwest::Client::new();
    let index = client.get(server.url("/widget/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    let html = index.text().await.unwrap();
    assert!(
        html.contains("name=\"switchboard-widget\""),
        "widget index.html"
    );
    assert!(html.contains(".wasm"), "index.html loads the WASM");

    the_pwa_manifest_icons_and_worker_are_served(&server, &client).await;

    // The WASM is served compressed when the browser accepts it.
    let wasm_name = html
        .split('"')
        .find(|s| s.ends_with(".wasm"))
        .expect("wasm link")
        .to_string();
    let wasm_path = if wasm_name.starts_with('/') {
        wasm_name
    } else {
        format!("/widget/{wasm_name}")
    };
    let r = client
        .get(server.url(&wasm_path))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));

    // The host helper.
    let js = client.get(server.url("/embed.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    let js = js.text().await.unwrap();
    assert!(js.contains("window.Switchboard") && js.contains("event.origin !== SWITCHBOARD"));

    // The bare root and /widget lead to the widget.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect.get(server.url("/widget")).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/widget/");

    the_zcc_addresses_serve_the_zcc_build(&server, &client, &no_redirect, &html).await;
}

/// The PWA's manifest (standalone, scoped to the widget) with its icons, and its service
/// worker (never cached stale).
async fn the_pwa_manifest_icons_and_worker_are_served(server: &Running, client: &reqwest::Client) {
    let manifest = client
        .get(server.url("/widget/manifest.webmanifest"))
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.status(), 200);
    let manifest: Value = manifest.json().await.unwrap();
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["scope"], "/widget/");
    for icon in manifest["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        let r = client
            .get(server.url(&format!("/widget/{src}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{src}");
        assert_eq!(r.headers()["content-type"], "image/png");
        assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    }
    let sw = client
        .get(server.url("/widget/sw.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(sw.status(), 200);
    assert_eq!(sw.headers()["cache-control"], "no-cache");
    assert!(sw.text().await.unwrap().contains("caches.open"));
}

/// The zcc dialect's addresses serve the widget's Zoom-compatible build (its assets under
/// /zcc/, none of the native build's; `html` is the native page), with the same framing
/// policy; a host's `<base>?origin=…` without the slash keeps its query.
async fn the_zcc_addresses_serve_the_zcc_build(
    server: &Running,
    client: &reqwest::Client,
    no_redirect: &reqwest::Client,
    html: &str,
) {
    let mut zcc_pages = Vec::new();
    for path in ["/zcc/", "/cci/callbar/crm/", "/crm-int/callbar/"] {
        let r = client
            .get(server.url(&format!("{path}?origin=http%3A%2F%2F127.0.0.1%3A8090")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors"));
        let page = r.text().await.unwrap();
        assert!(
            page.contains("name=\"switchboard-widget\""),
            "{path}: {page}"
        );
        assert!(page.contains("src=\"/zcc/boot-"), "{path}: {page}");
        assert!(!page.contains("/widget/"), "{path}: {page}");
        assert_ne!(page, html, "{path} serves the zcc build");
        zcc_pages.push(page);
        let bare = path.trim_end_matches('/');
        let r = no_redirect
            .get(server.url(&format!("{bare}?origin=https://crm.example.com")))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "{bare}");
        assert_eq!(
            r.headers()["location"],
            format!("{path}?origin=https://crm.example.com").as_str()
        );
    }
    assert_eq!(
        zcc_pages[0], zcc_pages[1],
        "both zcc addresses serve one build"
    );
}

async fn sigterm_shuts_down_gracefully(db: TestDb) {
    let mut server = start_switchboard(&db, options()).await;
    let status = server.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(
        server.log().contains("SIGTERM received"),
        "{}",
        server.log()
    );
}

both_stores!(
    health_and_readiness_report_the_store,
    embedding_check_answers_from_the_allow_list,
    unknown_routes_and_methods_are_json_errors,
    every_response_limits_framing_to_allowed_origins,
    the_widget_and_its_pwa_files_are_served,
    sigterm_shuts_down_gracefully,
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_malformed_allowed_origin_stops_start_up_with_a_clear_message() {
    let db = TestDb::sqlite();
    let output =
        tokio::process::Command::new(tests::process::binary("switchboard", "SWITCHBOARD_BIN"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db.url,
            ])
            .args([
                "--allowed-origins",
                "https://ok.example,crm.example.com/app",
            ])
            .output()
            .await
            .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("crm.example.com/app"), "{stderr}");
    assert!(stderr.contains("allowed origins"), "{stderr}");
}

#[tokio::test]
async fn the_sqlite_file_is_created_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested-name.db");
    let db = TestDb::sqlite_path(&path);
    let _server = start_switchboard(&db, options()).await;
    assert!(path.is_file(), "plain path creates the SQLite file");
    assert!(dir.path().join("nested-name.db-wal").is_file(), "WAL mode");
}

#[tokio::test]
async fn demo_data_lets_an_agent_work_a_ticket() {
    let db = TestDb::sqlite();
    let options = ServerOptions {
        extra_args: vec!["--demo".into()],
        ..options()
    };
    let server = start_switchboard(&db, options.clone()).await;
    let api = tests::api::Api::new(&server.base_url);
    let admin = api.login("admin@demo.test", "switchboard-demo").await;
    let queues = admin.get("/v1/queues").await.expect(200);
    assert_eq!(queues.as_array().unwrap().len(), 3);
    let client = admin
        .post(
            "/v1/api-clients",
            serde_json::json!({"name": "t", "scopes": ["engagements:write"]}),
        )
        .await
        .expect(201);
    let crm = api
        .client(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str().unwrap(),
        )
        .await;
    let ada = api.login("ada@demo.test", "switchboard-demo").await;
    let mut feed = tests::api::Feed::connect(&ada, None).await;
    ada.put(
        "/v1/agents/me/status",
        serde_json::json!({"status": "ready"}),
    )
    .await
    .expect(200);
    crm.post(
        "/v1/engagements",
        serde_json::json!({
        "channels": [{"channel": "work_item"}], "flow": {"flow_entry_id": "crm-tickets"},
        "work_item_variables": {"work_item_name": "Printer on fire", "work_item_id": "T-100"}}),
    )
    .await
    .expect(201);
    let offer = feed
        .wait_for("engagement.offered", std::time::Duration::from_secs(10))
        .await;
    assert_eq!(
        offer["data"]["launch_url"],
        "http://127.0.0.1:8090/tickets/T-100"
    );
    feed.close().await;
    drop(server);
    // Seeding again (a restart) changes nothing.
    let server = start_switchboard(&db, options).await;
    let admin = tests::api::Api::new(&server.base_url)
        .login("admin@demo.test", "switchboard-demo")
        .await;
    assert_eq!(
        admin
            .get("/v1/queues")
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// Every `--flag` and `SWITCHBOARD_*` variable the README and `docs/` name exists: in the
/// `switchboard serve` or `embed-demo` command line (as their `--help` prints it), or in the short
/// list of other programs' flags below. A website owner told `--allowed-origin` (singular)
/// got a server that refused to start.
#[test]
fn every_flag_and_variable_the_docs_name_exists() {
    let mut known = std::collections::BTreeSet::new();
    for (name, env, args) in [
        ("switchboard", "SWITCHBOARD_BIN", &["serve", "--help"][..]),
        ("embed-demo", "EMBED_DEMO_BIN", &["--help"][..]),
    ] {
        let out = std::process::Command::new(tests::process::binary(name, env))
            .args(args)
            .output()
            .expect("--help runs");
        assert!(out.status.success(), "{name} --help");
        let help = String::from_utf8_lossy(&out.stdout).to_string();
        known.extend(words(&help, "--", |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        }));
        known.extend(words(&help, "SWITCHBOARD_", |c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
        }));
    }
    assert!(known.contains("--allowed-origins"), "{known:?}");
    assert!(known.contains("SWITCHBOARD_ALLOWED_ORIGINS"), "{known:?}");
    // Flags of other programs the docs show (curl, cargo, schemathesis, the `bench` program),
    // and the test suite's own variable.
    let others = [
        "--data-binary",
        "--instances",
        "--features",
        "--checks",
        "--url",
        "--exclude-path",
        "SWITCHBOARD_TEST_PG_URL",
    ];
    let root = tests::workspace_root();
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut unknown = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let named = words(&text, "--", |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })
        .into_iter()
        .chain(words(&text, "SWITCHBOARD_", |c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
        }));
        for word in named {
            if !known.contains(&word) && !others.contains(&word.as_str()) {
                unknown.push(format!("{}: {word}", file.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "named in the docs but not taken:\n{}",
        unknown.join("\n")
    );
}

/// Every `prefix…` word in `text` (a flag needs a letter right after `--`).
fn words(text: &str, prefix: &str, part: impl Fn(char) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        if text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            continue;
        }
        let rest = &text[at + prefix.len()..];
        let len = rest.find(|c| !part(c)).unwrap_or(rest.len());
        let word = rest[..len].trim_end_matches(['-', '_']);
        if word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push(format!("{prefix}{word}"));
        }
    }
    out
}
