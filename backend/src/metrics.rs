//! What operations can see: one registry of Prometheus metrics, recorded where things happen
//! (the HTTP layer, the batch writer, the agent sockets) and sampled from the database when
//! scraped (queue depth, delivery lag, pool use). `GET /metrics` (`http::metrics`) encodes it
//! in the OpenMetrics text format; `docs/operations.md` lists every series.
//!
//! Label values are bounded: HTTP routes are the router's templates (`/v1/engagements/{id}`),
//! never raw paths, and queues are the account's configured queues, so a scanner or a flood
//! of engagements cannot grow the series count.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// Seconds: 1 ms … 10 s, for request latency and routing passes.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Operations per batch: 1 … the writer's limit (512).
const BATCH_BUCKETS: [f64; 11] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 384.0, 512.0,
];

/// Seconds: 0.25 ms … 250 ms, for a web call's audio packet passing through the relay.
const RELAY_BUCKETS: [f64; 11] = [
    0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
];

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

fn latency() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Add `metric` to the registry and keep a handle to it (metrics are shared handles).
fn register<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

/// Every series the server exports. Cheap to share (`Arc`); recording is lock-free apart from
/// the first use of a label set.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<Labels, Histogram, fn() -> Histogram>,
    routing_pass: Histogram,
    batch_size: Histogram,
    batch_failures: Counter,
    write_statements: Counter,
    agent_sockets: Gauge,
    queue_waiting: Family<Labels, Gauge>,
    queue_longest_wait: Family<Labels, FloatGauge>,
    log_head: Gauge,
    hub_lag: Gauge,
    webhook_lag: Gauge,
    webhook_pending: Gauge,
    pool_connections: Family<Labels, Gauge>,
    pool_max: Family<Labels, Gauge>,
    media_relay: Histogram,
}

/// What a scrape reads from the database and the pools, applied by [`Metrics::render`].
#[derive(Debug, Default)]
pub struct Sample {
    /// Per configured queue: (queue id, name, waiting, seconds the oldest has waited).
    pub queues: Vec<(String, String, u64, f64)>,
    /// The highest `seq` in the account's event log.
    pub log_head: i64,
    /// The `seq` the delivery hub (agent feeds) has published up to.
    pub hub_cursor: i64,
    /// Events not yet turned into deliveries by the furthest-behind enabled subscription.
    pub webhook_lag: i64,
    /// Deliveries queued or waiting for a retry.
    pub webhook_pending: i64,
    /// Per pool (`read`, `write`): (open connections, idle ones, the maximum).
    pub pools: Vec<(&'static str, u32, u32, u32)>,
    /// Statements sent through write transactions since the process started.
    pub write_statements: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("switchboard");
        Metrics {
            http_requests: register(
                &mut r,
                "http_request_duration_seconds",
                "HTTP requests by method, route template and status, and how long they took",
                Family::new_with_constructor(latency as fn() -> Histogram),
            ),
            routing_pass: register(
                &mut r,
                "routing_pass_duration_seconds",
                "Routing passes (expire offers, timers, match) and how long each took",
                latency(),
            ),
            batch_size: register(
                &mut r,
                "writer_batch_operations",
                "Operations (starts and commands) applied per group-commit batch",
                Histogram::new(BATCH_BUCKETS),
            ),
            media_relay: register(
                &mut r,
                "media_relay_delay_seconds",
                "Web calls: from an audio packet's arrival to it being sent on to the other party",
                Histogram::new(RELAY_BUCKETS),
            ),
            write_statements: register(
                &mut r,
                "db_write_statements",
                "Statements sent through write transactions (a batch's begin, lock, reads, multi-row writes and commit)",
                Counter::default(),
            ),
            batch_failures: register(
                &mut r,
                "writer_batch_failures",
                "Batches that could not begin or commit (their callers were answered 503)",
                Counter::default(),
            ),
            agent_sockets: register(
                &mut r,
                "agent_sockets_connected",
                "Agent WebSockets open on this instance",
                Gauge::default(),
            ),
            queue_waiting: register(
                &mut r,
                "queue_waiting",
                "Engagements waiting for an agent, per queue",
                Family::default(),
            ),
            queue_longest_wait: register(
                &mut r,
                "queue_longest_wait_seconds",
                "How long the oldest waiting engagement of each queue has waited",
                Family::default(),
            ),
            log_head: register(
                &mut r,
                "event_log_head_seq",
                "The highest seq in the event log",
                Gauge::default(),
            ),
            hub_lag: register(
                &mut r,
                "delivery_hub_lag_events",
                "Committed events the agent-feed hub of this instance has not yet published",
                Gauge::default(),
            ),
            webhook_lag: register(
                &mut r,
                "webhook_lag_events",
                "Committed events the furthest-behind enabled webhook subscription has not yet queued",
                Gauge::default(),
            ),
            webhook_pending: register(
                &mut r,
                "webhook_deliveries_pending",
                "Webhook deliveries queued or waiting for a retry",
                Gauge::default(),
            ),
            pool_connections: register(
                &mut r,
                "db_pool_connections",
                "Database connections per pool (read, write) and state (in_use, idle)",
                Family::default(),
            ),
            pool_max: register(
                &mut r,
                "db_pool_max_connections",
                "The most connections each pool may open",
                Family::default(),
            ),
            registry: r,
        }
    }

    /// One answered HTTP request. `route` is the router's template (or `unmatched`).
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&vec![
                ("method", method.to_string()),
                ("route", route.to_string()),
                ("status", status.to_string()),
            ])
            .observe(took.as_secs_f64());
    }

    /// The histogram the media engine records each relayed packet's delay in.
    pub fn media_relay(&self) -> Histogram {
        self.media_relay.clone()
    }

    pub fn routing_pass(&self, took: Duration) {
        self.routing_pass.observe(took.as_secs_f64());
    }

    pub fn batch(&self, operations: usize) {
        self.batch_size.observe(operations as f64);
    }

    pub fn batch_failed(&self) {
        self.batch_failures.inc();
    }

    /// Count an agent socket as open until the guard is dropped.
    pub fn agent_socket(self: &Arc<Self>) -> SocketGuard {
        self.agent_sockets.inc();
        SocketGuard(Arc::clone(self))
    }

    /// Apply a scrape's readings and encode everything (OpenMetrics text, ending `# EOF`).
    pub fn render(&self, sample: &Sample) -> String {
        // Queues deleted since the last scrape must disappear, not freeze at their last value.
        self.queue_waiting.clear();
        self.queue_longest_wait.clear();
        for (id, name, waiting, longest) in &sample.queues {
            let labels = vec![("queue_id", id.clone()), ("queue", name.clone())];
            self.queue_waiting
                .get_or_create(&labels)
                .set(i64::try_from(*waiting).unwrap_or(i64::MAX));
            self.queue_longest_wait.get_or_create(&labels).set(*longest);
        }
        self.log_head.set(sample.log_head);
        self.write_statements.inc_by(
            sample
                .write_statements
                .saturating_sub(self.write_statements.get()),
        );
        self.hub_lag
            .set((sample.log_head - sample.hub_cursor).max(0));
        self.webhook_lag.set(sample.webhook_lag.max(0));
        self.webhook_pending.set(sample.webhook_pending);
        for (pool, open, idle, max) in &sample.pools {
            let state = |s: &str| vec![("pool", pool.to_string()), ("state", s.to_string())];
            self.pool_connections
                .get_or_create(&state("in_use"))
                .set(i64::from(open.saturating_sub(*idle)));
            self.pool_connections
                .get_or_create(&state("idle"))
                .set(i64::from(*idle));
            self.pool_max
                .get_or_create(&vec![("pool", pool.to_string())])
                .set(i64::from(*max));
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// Decrements the open-socket gauge when the socket's task ends (however it ends).
pub struct SocketGuard(Arc<Metrics>);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.agent_sockets.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_recorded_values_and_forgets_deleted_queues() {
        let m = Arc::new(Metrics::new());
        m.http_request("GET", "/v1/engagements/{id}", 404, Duration::from_millis(3));
        m.batch(7);
        let socket = m.agent_socket();
        let mut sample = Sample {
            queues: vec![("q1".into(), "Billing".into(), 4, 12.5)],
            log_head: 40,
            hub_cursor: 38,
            pools: vec![("write", 1, 0, 1)],
            ..Sample::default()
        };
        let text = m.render(&sample);
        assert!(text.contains(
            r#"switchboard_http_request_duration_seconds_count{method="GET",route="/v1/engagements/{id}",status="404"} 1"#
        ), "{text}");
        assert!(
            text.contains("switchboard_writer_batch_operations_sum 7.0"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_agent_sockets_connected 1"),
            "{text}"
        );
        assert!(text.contains(r#"switchboard_queue_waiting{queue_id="q1",queue="Billing"} 4"#));
        assert!(text.contains("switchboard_delivery_hub_lag_events 2"));
        assert!(text.contains(r#"switchboard_db_pool_connections{pool="write",state="in_use"} 1"#));
        assert!(text.ends_with("# EOF\n"));

        drop(socket);
        sample.queues.clear();
        let text = m.render(&sample);
        assert!(
            text.contains("switchboard_agent_sockets_connected 0"),
            "{text}"
        );
        assert!(!text.contains("queue_id=\"q1\""), "{text}");
    }
}
