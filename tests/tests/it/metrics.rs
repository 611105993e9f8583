//! `GET /metrics` on both stores: what it counts, who may read it, and that Prometheus's own
//! parser (the Python `prometheus_client`, installed by scripts/setup.sh into `.tools/py`)
//! accepts the whole exposition.

use serde_json::json;
use std::time::Duration;
use tests::api::{server_options, Center, Feed};
use tests::both_stores;
use tests::db::TestDb;

const WAIT: Duration = Duration::from_secs(10);

/// The value of the series `name{labels}` exactly as written (labels in the server's order).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

async fn scrape(base: &str, token: Option<&str>) -> (u16, String, String) {
    let mut request = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("GET /metrics");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        content_type,
        response.text().await.unwrap_or_default(),
    )
}

/// Parse with Prometheus's reference OpenMetrics parser; returns the family names it read.
fn parsed_by_prometheus_client(text: &str) -> Option<Vec<String>> {
    let python = tests::workspace_root().join(".tools/py/bin/python");
    let available = python.is_file()
        && std::process::Command::new(&python)
            .args(["-c", "import prometheus_client"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !available {
        assert!(
            !tests::in_ci(),
            "prometheus_client is not installed (.tools/py): scripts/setup.sh installs it"
        );
        eprintln!("SKIPPED: the prometheus_client parser is not installed; run scripts/setup.sh");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.txt");
    std::fs::write(&file, text).unwrap();
    let script = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\nfor f in parse(open(sys.argv[1]).read()):\n    print(f.name)\n";
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "prometheus_client refused the exposition: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// From loopback (allowed by default) without a token: requests by route template and status,
/// a waiting work item in its queue's depth, an open agent socket, the writer's batches and
/// routing passes, the pools — and the exposition parses.
async fn metrics_show_requests_queues_sockets_and_the_writer(db: TestDb) {
    let c = Center::with_agents(db, 1).await;
    let base = c.server.base_url.clone();
    // Nobody is ready: the work item waits in the queue.
    let id = c.start_work_item("MET-1", "Metrics").await;
    c.integrator
        .get("/v1/engagements/00000000-0000-7000-8000-000000000000")
        .await
        .expect(404);
    c.anon().get("/no/such/path").await.expect(404);
    // Made-up methods, from a client that needs no credentials: one `other` label for all.
    let client = reqwest::Client::new();
    for made_up in ["SCANX1", "SCANX2", "PROPFIND"] {
        let method = reqwest::Method::from_bytes(made_up.as_bytes()).unwrap();
        let status = client
            .request(method, format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{made_up}: {status}");
    }
    let agent = c.agent(0).await;
    let feed = Feed::connect(&agent, None).await;

    let queue = format!(
        r#"switchboard_queue_waiting{{queue_id="{}",queue="#,
        c.queue_id
    );
    the_scrape_counts_what_happened(&base, &queue).await;

    // The agent takes the work item: the queue empties, and a closed socket is no longer counted.
    agent.set_ready().await;
    agent.accept_when_offered(&id, WAIT).await;
    feed.close().await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (_, _, text) = scrape(&base, None).await;
        let emptied = text
            .lines()
            .find(|l| l.starts_with(&queue))
            .is_some_and(|l| l.ends_with(" 0"));
        let closed = value(&text, "switchboard_agent_sockets_connected") == Some(0.0);
        if emptied && closed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "queue depth and socket count did not fall: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The scrape (OpenMetrics) counts requests by route pattern (unknown paths and made-up
/// methods under one label each), the queue's depth (`queue`: its line's start), the
/// agent's socket, the writer, the routing pass and the pool, and parses as Prometheus does.
async fn the_scrape_counts_what_happened(base: &str, queue: &str) {
    let (status, content_type, text) = scrape(base, None).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(
        value(
            &text,
            r#"switchboard_http_request_duration_seconds_count{method="POST",route="/v1/engagements",status="201"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"switchboard_http_request_duration_seconds_count{method="GET",route="/v1/engagements/{id}",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        value(
            &text,
            r#"switchboard_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}"#
        )
        .is_some(),
        "unknown paths count under one label: {text}"
    );
    assert!(!text.contains("/no/such/path"), "{text}");
    assert!(
        !text.contains("SCANX") && !text.contains("PROPFIND"),
        "made-up methods must not become labels: {text}"
    );
    let other: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with(r#"switchboard_http_request_duration_seconds_count{method="other","#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(other, 3.0, "made-up methods count under `other`: {text}");
    let depth = text
        .lines()
        .find(|l| l.starts_with(queue))
        .unwrap_or_else(|| panic!("no depth for the queue: {text}"));
    assert!(depth.ends_with(" 1"), "{depth}");
    assert_eq!(
        value(&text, "switchboard_agent_sockets_connected"),
        Some(1.0)
    );
    assert!(value(&text, "switchboard_writer_batch_operations_count").unwrap_or(0.0) >= 1.0);
    assert!(value(&text, "switchboard_routing_pass_duration_seconds_count").unwrap_or(0.0) >= 1.0);
    assert!(value(&text, "switchboard_event_log_head_seq").unwrap_or(0.0) >= 1.0);
    assert!(
        text.contains("switchboard_db_pool_max_connections{pool="),
        "{text}"
    );
    if let Some(families) = parsed_by_prometheus_client(&text) {
        for family in [
            "switchboard_http_request_duration_seconds",
            "switchboard_routing_pass_duration_seconds",
            "switchboard_writer_batch_operations",
            "switchboard_queue_waiting",
            "switchboard_queue_longest_wait_seconds",
            "switchboard_agent_sockets_connected",
            "switchboard_delivery_hub_lag_events",
            "switchboard_webhook_lag_events",
            "switchboard_db_pool_connections",
        ] {
            assert!(
                families.iter().any(|f| f == family),
                "{family} missing from {families:?}"
            );
        }
    }
}

/// With loopback not in `--metrics-allow`, a scrape needs a supervisor's or admin's token (or
/// a client's with `engagements:read`); an agent's is refused, and no token is a 401.
async fn metrics_from_other_addresses_need_a_supervisor(db: TestDb) {
    let mut options = server_options();
    options
        .extra_args
        .extend(["--metrics-allow".into(), "10.9.9.9,192.168.0.0/16".into()]);
    let c = Center::start_with(db, options, 1).await;
    let base = c.server.base_url.clone();

    let (status, _, body) = scrape(&base, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("--metrics-allow"), "{body}");
    let agent = c.agent(0).await;
    let (status, _, body) = scrape(&base, agent.token.as_deref()).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = scrape(&base, c.admin.token.as_deref()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with("# EOF\n"));
    let (status, _, _) = scrape(&base, c.integrator.token.as_deref()).await;
    assert_eq!(
        status, 200,
        "the integrator's client holds engagements:read"
    );
    let reader = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": "config only", "scopes": ["config:read"]}),
        )
        .await
        .expect(201);
    let reader = c
        .anon()
        .client(
            reader["client_id"].as_str().unwrap(),
            reader["client_secret"].as_str().unwrap(),
        )
        .await;
    let (status, _, body) = scrape(&base, reader.token.as_deref()).await;
    assert_eq!(status, 403, "{body}");
}

both_stores!(
    metrics_show_requests_queues_sockets_and_the_writer,
    metrics_from_other_addresses_need_a_supervisor
);
