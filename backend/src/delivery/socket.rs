//! What the agent's and the chat customer's sockets share once their backlog is sent: waiting
//! for the next live event from the hub while pinging the client and noticing when it goes.

use super::hub::Live;
use axum::extract::ws::{Message, WebSocket};
use shared::live::LiveStats;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Interval;

/// How often an idle socket is pinged (proxies close quiet connections).
pub fn pings() -> Interval {
    tokio::time::interval(Duration::from_secs(25))
}

/// What woke a socket up.
pub enum Next {
    /// A live event (or typing indicator) to send.
    Live(Live),
    /// A text frame from the client (a `SocketRequest`).
    Request(String),
    /// New live statistics (supervisors' sockets).
    Stats(Arc<LiveStats>),
}

/// The live statistics a supervisor's socket watches (none for other sockets).
pub type StatsWatch = Option<watch::Receiver<Option<Arc<LiveStats>>>>;

/// The next statistics `stats` publishes; never, without a watch (or once it closed).
async fn next_stats(stats: &mut StatsWatch) -> Option<Arc<LiveStats>> {
    let Some(rx) = stats.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        if rx.changed().await.is_err() {
            *stats = None;
            return std::future::pending().await;
        }
        if let Some(latest) = rx.borrow_and_update().clone() {
            return Some(latest);
        }
    }
}

/// The next live event or client request, or `None` once the socket is done: the client left,
/// a send failed, or the hub cut a lagging feed off (then the socket is closed so the client
/// resumes from its last `seq`).
pub async fn next_event(
    socket: &mut WebSocket,
    live: &mut mpsc::Receiver<Live>,
    ping: &mut Interval,
    stats: &mut StatsWatch,
) -> Option<Next> {
    loop {
        tokio::select! {
            Some(latest) = next_stats(stats) => return Some(Next::Stats(latest)),
            event = live.recv() => {
                if event.is_none() {
                    let _ = socket.send(Message::Close(None)).await;
                }
                return event.map(Next::Live);
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return None;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
                Some(Ok(Message::Text(text))) => return Some(Next::Request(text.to_string())),
                Some(Ok(_)) => {}
            },
        }
    }
}
