//! Web call benchmark: N concurrent calls relayed and recorded by a real `switchboard`, each
//! set up the way browsers do it (the visitor presses Call on the chat API and offers on the
//! chat socket; an agent accepts and offers on the agent socket), then both sides of every
//! call send fake Opus frames at the real rate (50 packets/s, 80 bytes) from this process over
//! loopback UDP for `--seconds`.
//!
//! Prints, over the measured window: the media thread's CPU (per call, in % of one core), the
//! server's resident memory per call, packets lost per direction, the latency the relay adds
//! (the server's own `switchboard_media_relay_delay_seconds` histogram, from a packet's
//! arrival to its being sent on) at p50/p99, and the one-way latency from a peer's send to the
//! other peer's receive (which adds this process's own scheduling of 2N peers on a shared
//! 2-core machine: an upper bound).
//!
//! ```sh
//! cargo build --release -p backend -p tests --bin switchboard --bin voice-bench
//! ./target/release/voice-bench --calls 100 --seconds 20
//! ```

use serde_json::json;
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, Feed, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::bench::{database, integrator, percentile, queue_behind_entry, sign_in_agent};
use tests::process::start_switchboard;
use tests::voice::{run_for, Peer, Visitor};

const CALLER: u8 = 1;
const AGENT: u8 = 2;

struct Args {
    calls: usize,
    seconds: u64,
    store: String,
}

fn args() -> Args {
    let mut a = Args {
        calls: 100,
        seconds: 20,
        store: "sqlite".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--calls" => a.calls = value.parse().expect("--calls N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--store" => a.store = value,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        a.calls > 0 && a.seconds > 0,
        "--calls and --seconds must be positive"
    );
    a
}

/// `/proc/<pid>/status`'s VmRSS, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system, clock ticks) of the server's thread named `name`.
fn thread_ticks(pid: u32, name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| {
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
            let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let field = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            field(11) + field(12)
        })
        .sum()
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

/// One call as set up: the visitor's socket and peer, the agent's socket and peer.
struct Call {
    _visitor: Visitor,
    _feed: Feed,
    caller: Peer,
    agent: Peer,
}

/// Starts call `i` and has an idle agent (the one it rings) accept it and offer.
async fn set_up_call(i: usize, anon: &Api, idle: &mut Vec<(Api, Feed)>) -> Call {
    let mut visitor = Visitor::call(anon, "web-call", &format!("Caller {i}")).await;
    let (mut caller, offer) = Peer::new(CALLER);
    let answer = visitor.offer(&offer).await.expect("the visitor's offer");
    caller.accept_answer(&answer).unwrap();
    let id = visitor.engagement.clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for k in 0..idle.len() {
            let accept = idle[k]
                .0
                .post(&format!("/v1/engagements/{id}/accept"), json!({}))
                .await;
            if accept.status == 200 {
                let (_, mut feed) = idle.swap_remove(k);
                let (mut agent, offer) = Peer::new(AGENT);
                let answer = feed
                    .call_offer(&id, &offer)
                    .await
                    .expect("the agent's offer");
                agent.accept_answer(&answer).unwrap();
                return Call {
                    _visitor: visitor,
                    _feed: feed,
                    caller,
                    agent,
                };
            }
        }
        assert!(Instant::now() < deadline, "call {i} was never offered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let db = database(&args.store, "voicebench").await;
    let mut options = server_options();
    options
        .extra_args
        .extend(["--chat-start-limit".into(), "0".into()]);
    let server = start_switchboard(&db, options).await;
    let pid = server.child.id().expect("the server's pid");
    let anon = Api::new(&server.base_url);
    let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue = queue_behind_entry(
        &admin,
        json!({"name": "Voice bench", "channel": "voice", "distribution": "longest_idle", "ring_timeout_secs": 120}),
        json!({"entry_id": "web-call", "chat": {"calls": true}}),
    )
    .await;
    let integrator = integrator(&admin, &anon, "voice-bench", &["embed_tokens:write"]).await;
    eprintln!("signing in {} agents…", args.calls);
    let mut idle = Vec::new();
    for i in 0..args.calls {
        let token = sign_in_agent(
            &admin,
            &integrator,
            &anon,
            json!({"display_name": format!("Agent {i}"), "email": format!("agent{i}@voice-bench.test"),
                   "role": "agent", "queues": [{"queue_id": queue["queue_id"]}]}),
        )
        .await;
        let api = anon.with_token(&token);
        let feed = Feed::connect(&api, None).await;
        api.set_ready().await;
        idle.push((api, feed));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kb(pid);
    eprintln!("setting up {} calls…", args.calls);
    let mut calls = Vec::new();
    for i in 0..args.calls {
        calls.push(set_up_call(i, &anon, &mut idle).await);
    }
    let seconds = args.seconds;
    let metrics_url = format!("{}/metrics", server.base_url);
    let ticks = tokio::task::block_in_place(|| {
        let mut peers: Vec<&mut Peer> = calls
            .iter_mut()
            .flat_map(|c| [&mut c.caller, &mut c.agent])
            .collect();
        let everyone = vec![true; peers.len()];
        let connected = run_for(&mut peers, &everyone, Duration::from_secs(30), |p| {
            p.iter().all(|p| p.is_connected())
        });
        assert!(connected, "every leg connects within 30 s");
        // Warm up (recorders fill, jitter settles), then measure from a clean slate.
        run_for(&mut peers, &everyone, Duration::from_secs(2), |_| false);
        for p in peers.iter_mut() {
            p.sent = 0;
            p.heard = Default::default();
        }
        let start = thread_ticks(pid, "media");
        let relay_before = relay_histogram(&metrics_url);
        run_for(&mut peers, &everyone, Duration::from_secs(seconds), |_| {
            false
        });
        let relay_after = relay_histogram(&metrics_url);
        (
            thread_ticks(pid, "media") - start,
            relay_before,
            relay_after,
        )
    });
    let rss_during = rss_kb(pid);
    let (ticks, relay_before, relay_after) = ticks;
    report(&args, &calls, ticks, rss_before, rss_during);
    let relay: Vec<(f64, u64)> = relay_after
        .iter()
        .zip(&relay_before)
        .map(|((le, after), (_, before))| (*le, after - before))
        .collect();
    println!(
        "added by the relay (the server's histogram): p50 ≤ {} ms, p99 ≤ {} ms over {} packets",
        quantile_bound(&relay, 0.5) * 1000.0,
        quantile_bound(&relay, 0.99) * 1000.0,
        relay.last().map_or(0, |(_, n)| *n)
    );
}

/// The cumulative buckets (`le`, count) of `switchboard_media_relay_delay_seconds` from the
/// server's `/metrics` (called inside `block_in_place`).
fn relay_histogram(url: &str) -> Vec<(f64, u64)> {
    let body = tokio::runtime::Handle::current()
        .block_on(async { reqwest::get(url).await.ok()?.text().await.ok() })
        .unwrap_or_default();
    body.lines()
        .filter_map(|l| l.strip_prefix("switchboard_media_relay_delay_seconds_bucket{le=\""))
        .filter_map(|rest| {
            let (le, count) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// The upper bound of the bucket holding the `q` quantile of cumulative buckets.
fn quantile_bound(buckets: &[(f64, u64)], q: f64) -> f64 {
    let total = buckets.last().map_or(0, |(_, n)| *n);
    let rank = (total as f64 * q).ceil() as u64;
    buckets
        .iter()
        .find(|(_, n)| *n >= rank)
        .map_or(f64::NAN, |(le, _)| *le)
}

fn report(args: &Args, calls: &[Call], ticks: u64, rss_before: u64, rss_during: u64) {
    let n = calls.len() as f64;
    let sent_by = |pick: fn(&Call) -> &Peer| calls.iter().map(|c| pick(c).sent).sum::<u64>();
    let heard = |pick: fn(&Call) -> &Peer, tag: u8| {
        calls
            .iter()
            .map(|c| pick(c).heard[0].by_tag[tag as usize])
            .sum::<u64>()
    };
    let (caller_sent, agent_sent) = (sent_by(|c| &c.caller), sent_by(|c| &c.agent));
    let (agents_heard, callers_heard) = (heard(|c| &c.agent, CALLER), heard(|c| &c.caller, AGENT));
    let loss = |sent: u64, got: u64| 100.0 * (sent.saturating_sub(got)) as f64 / sent.max(1) as f64;
    let mut latencies: Vec<f64> = calls
        .iter()
        .flat_map(|c| {
            c.caller.heard[0]
                .latencies_us
                .iter()
                .chain(&c.agent.heard[0].latencies_us)
        })
        .map(|us| *us as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let cpu = 100.0 * ticks as f64 / ticks_per_second() / args.seconds as f64;
    println!(
        "calls: {}  (measured {} s, every call recorded)",
        calls.len(),
        args.seconds
    );
    println!(
        "packets: visitor→agent {caller_sent} sent, {agents_heard} received ({:.3} % lost); agent→visitor {agent_sent} sent, {callers_heard} received ({:.3} % lost)",
        loss(caller_sent, agents_heard),
        loss(agent_sent, callers_heard)
    );
    println!(
        "one-way latency peer to peer (includes this process's scheduling): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "media thread CPU: {cpu:.1} % of one core in all, {:.3} % per call",
        cpu / n
    );
    println!(
        "server RSS: {} kB before the calls, {} kB during: {:.0} kB per call",
        rss_before,
        rss_during,
        (rss_during.saturating_sub(rss_before)) as f64 / n
    );
}
