//! Web chat benchmark: N concurrent chats, each started through the public chat API and
//! answered by a simulated agent (3 chats per agent, the default busy rule), then messages
//! both ways at a target total rate. Customers write `POST /v1/chat/session/messages` and read
//! their chat socket; agents write `POST /v1/engagements/{id}/messages` and read the agent
//! socket. Prints messages/s and send→shown latency (from sending the request to the frame
//! arriving on the other side's socket): p50/p99/max.
//!
//! ```sh
//! cargo build --release -p backend -p tests --bin switchboard --bin chat-bench
//! ./target/release/chat-bench --store sqlite   --chats 1000 --rate 2000 --seconds 10
//! ./target/release/chat-bench --store postgres --chats 1000 --rate 2000 --seconds 10
//! ```
//! 40 % of the messages are the customers' (each customer then writes 0.8/s at 2,000/s over
//! 1,000 chats, under the 10-per-10-seconds customer limit); the rest the agents'. Message `i`
//! goes to chat `i mod N`, so each chat's messages are evenly spaced.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::api::{server_options, Api, ADMIN_EMAIL, ADMIN_PASSWORD};
use tests::bench::{database, integrator, percentile, queue_behind_entry, sign_in_agent};
use tests::process::start_switchboard;
use tokio_tungstenite::tungstenite::Message;

/// Chats an agent takes at once (the default busy rule for chat).
const CHATS_PER_AGENT: usize = 3;

struct Args {
    store: String,
    chats: usize,
    rate: u64,
    seconds: u64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        store: "sqlite".into(),
        chats: 1000,
        rate: 2000,
        seconds: 10,
        concurrency: 256,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => a.store = value,
            "--chats" => a.chats = value.parse().expect("--chats N"),
            "--rate" => a.rate = value.parse().expect("--rate N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency N"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        a.chats > 0 && a.rate > 0,
        "--chats and --rate must be positive"
    );
    a
}

/// When each benchmark message was sent and when it was shown on the other side, by number.
#[derive(Default)]
struct Clock {
    sent: Mutex<HashMap<u64, Instant>>,
    shown: Mutex<HashMap<u64, Instant>>,
}

impl Clock {
    /// A message frame arrived: if it is one of ours (`bench <n>`) from the other side, note
    /// when.
    fn shown(&self, message: &Value, reader_is_customer: bool) {
        let from_customer = message["author"]["kind"] == "consumer";
        if from_customer == reader_is_customer {
            return;
        }
        if let Some(n) = message["body"]
            .as_str()
            .and_then(|b| b.strip_prefix("bench "))
            .and_then(|n| n.parse().ok())
        {
            self.shown
                .lock()
                .unwrap()
                .entry(n)
                .or_insert_with(Instant::now);
        }
    }
}

/// Read a socket until it closes, answering pings; `on_text` gets each JSON frame.
fn read_socket(
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    mut on_text: impl FnMut(Value) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (mut tx, mut rx) = socket.split();
        while let Some(Ok(msg)) = rx.next().await {
            match msg {
                Message::Text(text) => on_text(serde_json::from_str(&text).unwrap_or_default()),
                Message::Ping(p) => {
                    let _ = tx.send(Message::Pong(p)).await;
                }
                _ => {}
            }
        }
    })
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = args();
    let db = database(&args.store, "chatbench").await;
    let mut options = server_options();
    // Every customer comes from 127.0.0.1: no per-address start limit here.
    options
        .extra_args
        .extend(["--chat-start-limit".into(), "0".into()]);
    let server = start_switchboard(&db, options).await;
    let ws_base = server.base_url.replacen("http", "ws", 1);
    let anon = Api::new(&server.base_url);
    let admin = anon.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let queue = queue_behind_entry(
        &admin,
        json!({"name": "Chat bench", "channel": "chat", "distribution": "longest_idle", "ring_timeout_secs": 120}),
        json!({"entry_id": "web-chat", "chat": {}}),
    )
    .await;
    let integrator = integrator(&admin, &anon, "chat-bench", &["embed_tokens:write"]).await;

    let clock: Arc<Clock> = Arc::default();
    // Which agent has which chat (filled as they accept).
    let holders: Arc<Mutex<HashMap<String, Api>>> = Arc::default();
    let agents = args.chats.div_ceil(CHATS_PER_AGENT);
    eprintln!("signing in {agents} agents…");
    let mut sockets = Vec::new();
    for i in 0..agents {
        let token = sign_in_agent(
            &admin,
            &integrator,
            &anon,
            json!({"display_name": format!("Agent {i}"), "email": format!("agent{i}@chat-bench.test"),
                   "role": "agent", "queues": [{"queue_id": queue["queue_id"]}]}),
        )
        .await;
        let api = anon.with_token(&token);
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("{ws_base}/v1/agent/ws?access_token={token}"))
                .await
                .expect("agent websocket");
        api.put("/v1/agents/me/status", json!({"status": "ready"}))
            .await
            .expect(200);
        let (clock, holders) = (clock.clone(), holders.clone());
        sockets.push(read_socket(socket, move |frame| {
            let event = &frame["event"];
            match event["event"].as_str() {
                Some("engagement.offered") => {
                    let id = event["engagement_id"].as_str().unwrap_or("").to_string();
                    let (api, holders) = (api.clone(), holders.clone());
                    tokio::spawn(async move {
                        let path = format!("/v1/engagements/{id}/accept");
                        if let Ok(r) = api.try_send("POST", &path, Some(json!({})), &[]).await {
                            if r.status == 200 {
                                holders.lock().unwrap().insert(id, api);
                            }
                        }
                    });
                }
                Some("engagement.message_added") => clock.shown(&event["data"]["message"], false),
                _ => {}
            }
        }));
    }

    eprintln!("starting {} chats…", args.chats);
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut starts = Vec::new();
    for i in 0..args.chats {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let anon = anon.clone();
        starts.push(tokio::spawn(async move {
            let session = anon
                .post(
                    "/v1/chat/web-chat/sessions",
                    json!({"name": format!("Customer {i}"), "email": format!("c{i}@example.test")}),
                )
                .await
                .expect(201);
            drop(permit);
            (
                session["engagement_id"].as_str().unwrap().to_string(),
                session["session_token"].as_str().unwrap().to_string(),
            )
        }));
    }
    let mut chats = Vec::new();
    for s in starts {
        chats.push(s.await.expect("a chat started"));
    }
    for (_, token) in &chats {
        let (socket, _) = tokio_tungstenite::connect_async(format!(
            "{ws_base}/v1/chat/session/socket?access_token={token}"
        ))
        .await
        .expect("customer websocket");
        let clock = clock.clone();
        sockets.push(read_socket(socket, move |frame| {
            if frame["type"] == "message" {
                clock.shown(&frame["message"], true);
            }
        }));
    }
    let answered = Instant::now() + Duration::from_secs(120);
    while holders.lock().unwrap().len() < args.chats && Instant::now() < answered {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = holders.lock().unwrap().clone();
    assert_eq!(
        held.len(),
        args.chats,
        "every chat should be answered (3 per agent)"
    );
    let customers: Vec<(Api, Api)> = chats
        .iter()
        .map(|(id, token)| (anon.with_token(token), held[id].clone()))
        .collect();
    let ids: Vec<String> = chats.into_iter().map(|(id, _)| id).collect();

    eprintln!(
        "messages: {}/s for {} s over {} chats…",
        args.rate, args.seconds, args.chats
    );
    let errors: Arc<Mutex<HashMap<u16, u64>>> = Arc::default();
    let sent_ok = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let begin = Instant::now();
    let total = args.rate * args.seconds;
    let mut tasks = Vec::new();
    for n in 0..total {
        let due = begin + Duration::from_secs_f64(n as f64 / args.rate as f64);
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = gate.clone().acquire_owned().await.unwrap();
        let chat = n as usize % args.chats;
        let round = n / args.chats as u64;
        let from_customer = round % 5 < 2;
        let (customer, agent) = customers[chat].clone();
        let id = ids[chat].clone();
        let (clock, errors, sent_ok) = (clock.clone(), errors.clone(), sent_ok.clone());
        tasks.push(tokio::spawn(async move {
            let body = Some(json!({"body": format!("bench {n}")}));
            let (api, path) = if from_customer {
                (customer, "/v1/chat/session/messages".to_string())
            } else {
                (agent, format!("/v1/engagements/{id}/messages"))
            };
            clock.sent.lock().unwrap().insert(n, Instant::now());
            let status = api
                .try_send("POST", &path, body, &[])
                .await
                .map(|r| r.status)
                .unwrap_or(0);
            drop(permit);
            if status == 201 {
                sent_ok.fetch_add(1, Ordering::Relaxed);
            } else {
                clock.sent.lock().unwrap().remove(&n);
                *errors.lock().unwrap().entry(status).or_default() += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let send_elapsed = begin.elapsed();
    let settle = Instant::now() + Duration::from_secs(30);
    while clock.shown.lock().unwrap().len() < clock.sent.lock().unwrap().len()
        && Instant::now() < settle
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total_elapsed = begin.elapsed();
    let sent = clock.sent.lock().unwrap().clone();
    let shown = clock.shown.lock().unwrap().clone();
    let mut latencies: Vec<f64> = sent
        .iter()
        .filter_map(|(n, t0)| {
            shown
                .get(n)
                .map(|t1| t1.saturating_duration_since(*t0).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());

    println!(
        "store={} chats={} agents={agents} target_rate={}/s seconds={} concurrency={}",
        args.store, args.chats, args.rate, args.seconds, args.concurrency
    );
    println!(
        "sent {} ({:.0}/s over {:.2} s), errors {:?}, shown {} ({:.0}/s over {:.2} s), never shown {}",
        sent_ok.load(Ordering::Relaxed),
        sent_ok.load(Ordering::Relaxed) as f64 / send_elapsed.as_secs_f64(),
        send_elapsed.as_secs_f64(),
        errors.lock().unwrap(),
        latencies.len(),
        latencies.len() as f64 / total_elapsed.as_secs_f64(),
        total_elapsed.as_secs_f64(),
        sent.len() - latencies.len()
    );
    println!(
        "send→shown ms: p50 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    for s in sockets {
        s.abort();
    }
    drop(server);
}
