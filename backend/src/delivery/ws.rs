//! The agent WebSocket: `{"type":"hello",…}`, then every event concerning the agent in `seq`
//! order, first the backlog after the client's `after` from the log, then live ones from the
//! hub, without gaps or duplicates.

use super::hub::{Hub, Live};
use super::socket::Next;
use crate::service::Ctx;
use axum::extract::ws::{Message, WebSocket};
use shared::api::{SocketFrame, SocketRequest};
use shared::config::{Agent, Role};
use shared::events::{Event, EventKind};
use shared::ids::AccountId;

async fn send_event(socket: &mut WebSocket, event: &Event) -> bool {
    let frame = SocketFrame::<Agent>::event(event.clone());
    let Ok(text) = serde_json::to_string(&frame) else {
        return false;
    };
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// Does `event` end the session this socket was opened with? (`agent.logged_out` for this
/// session, or for all of the agent's sessions.)
fn ends_session(event: &Event, session_id: &str) -> bool {
    event.kind == EventKind::AgentLoggedOut
        && match event.data.get("session_id").and_then(|v| v.as_str()) {
            Some(ended) => ended == session_id,
            None => true,
        }
}

/// Close the socket because its session ended; the client must sign in again.
async fn close_ended(socket: &mut WebSocket) {
    let frame = axum::extract::ws::CloseFrame {
        code: 4001,
        reason: "session ended".into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Who a socket is for: the agent of one session of an account.
pub struct Subscriber {
    pub account: AccountId,
    pub agent: Agent,
    pub session_id: String,
    /// Told in the hello (`--not-ready-reasons`).
    pub not_ready_reasons: Vec<shared::config::NotReadyReason>,
    /// The widget instance the socket is for (`?device=`), when it says.
    pub device: Option<String>,
}

/// A frame the widget sent: a web call's SDP offer, answered on the same socket.
async fn request(
    ctx: &Ctx,
    hub: &Hub,
    agent: &Agent,
    device: Option<&str>,
    text: &str,
) -> SocketFrame<Agent> {
    let (engagement_id, sdp) = match serde_json::from_str::<SocketRequest>(text) {
        Ok(SocketRequest::CallOffer { engagement_id, sdp }) => (engagement_id, sdp),
        Err(e) => {
            return SocketFrame::call_error(None, format!("not a request this socket takes: {e}"))
        }
    };
    let Some(call) = engagement_id else {
        return SocketFrame::call_error(None, "name the call's engagement_id".into());
    };
    let answer =
        crate::service::calls::agent_offer(ctx, hub, agent.agent_id, agent.role, device, call, sdp)
            .await;
    match answer {
        Ok(sdp) => SocketFrame::call_answer(call, sdp),
        Err(e) => SocketFrame::call_error(Some(call), crate::http::error::public_message(e)),
    }
}

async fn send_frame(socket: &mut WebSocket, frame: &SocketFrame<Agent>) -> bool {
    let text = serde_json::to_string(frame).expect("a frame serializes");
    socket.send(Message::Text(text.into())).await.is_ok()
}

pub async fn serve(
    ctx: Ctx,
    hub: Hub,
    subscriber: Subscriber,
    after: Option<i64>,
    mut socket: WebSocket,
) {
    let Subscriber {
        account,
        agent,
        session_id,
        not_ready_reasons,
        device,
    } = subscriber;
    let store = ctx.store.clone();
    // Subscribe before reading the backlog so nothing committed in between is missed.
    let mut live = hub.subscribe(agent.agent_id);
    let latest = *store.watch_committed().borrow();
    let mut cursor = after.unwrap_or(latest);
    let hello = serde_json::to_string(&SocketFrame::hello(
        agent.clone(),
        latest,
        not_ready_reasons,
        ctx.calls.ice_servers.clone(),
    ))
    .expect("an agent serializes");
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        let batch = match store
            .agent_events_after(account, agent.agent_id, cursor, 500)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "agent feed backlog read failed");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        let full = batch.len() == 500;
        for event in batch {
            cursor = event.seq;
            if !send_event(&mut socket, &event).await {
                return;
            }
            if ends_session(&event, &session_id) {
                return close_ended(&mut socket).await;
            }
        }
        if !full {
            break;
        }
    }
    let mut ping = super::socket::pings();
    ping.tick().await;
    // Supervisors and admins also get the live statistics of the queues they may see.
    let mut stats =
        matches!(agent.role, Role::Supervisor | Role::Admin).then(|| hub.subscribe_stats());
    while let Some(next) =
        super::socket::next_event(&mut socket, &mut live, &mut ping, &mut stats).await
    {
        let event = match next {
            Next::Live(Live::Event(event)) => event,
            Next::Live(Live::Typing(chat)) => {
                if !send_frame(&mut socket, &SocketFrame::typing(chat)).await {
                    return;
                }
                continue;
            }
            Next::Live(Live::Recording(_)) => continue,
            Next::Stats(all) => {
                match crate::service::stats::seen_by(&ctx, account, agent.agent_id, &all).await {
                    Ok(Some(mine)) => {
                        if !send_frame(&mut socket, &SocketFrame::live_stats(mine)).await {
                            return;
                        }
                    }
                    Ok(None) => stats = None,
                    Err(e) => tracing::warn!(error = %e, "live statistics not sent"),
                }
                continue;
            }
            Next::Request(text) => {
                let reply = request(&ctx, &hub, &agent, device.as_deref(), &text).await;
                if !send_frame(&mut socket, &reply).await {
                    return;
                }
                continue;
            }
        };
        if event.seq <= cursor {
            continue; // already sent from the backlog
        }
        cursor = event.seq;
        if !send_event(&mut socket, &event).await {
            return;
        }
        if ends_session(&event, &session_id) {
            return close_ended(&mut socket).await;
        }
    }
}
