//! A web chat customer's socket: `hello`, then what happened in their chat in `seq` order —
//! first the backlog after the client's `after` from the log, then live events from the hub,
//! without gaps or duplicates — as [`ChatFrame`]s, which carry only what is the customer's to
//! see (never the engagement's internals: variables, agent ids, queues).

use super::hub::{Hub, Live};
use super::socket::Next;
use crate::service::chat::ChatCaller;
use crate::service::Ctx;
use crate::store::agents;
use axum::extract::ws::{Message, WebSocket};
use shared::api::{ChatFrame, SocketRequest};
use shared::engagement::{MessageReceipt, MessageRecord, Reader};
use shared::events::{Event, EventKind};
use shared::ids::AgentId;

/// The kinds a customer hears about.
const KINDS: [EventKind; 6] = [
    EventKind::EngagementMessageAdded,
    EventKind::EngagementMessageReceipt,
    EventKind::EngagementConnected,
    EventKind::EngagementTransferred,
    EventKind::EngagementWrapUpStarted,
    EventKind::EngagementClosed,
];

async fn agent_name(ctx: &Ctx, caller: ChatCaller, agent: Option<AgentId>) -> String {
    let Some(agent) = agent else {
        return "An agent".into();
    };
    let Ok(mut conn) = ctx.store.read().await else {
        return "An agent".into();
    };
    match agents::get(&mut conn, caller.account, agent).await {
        Ok(Some(rec)) => rec.agent.display_name,
        _ => "An agent".into(),
    }
}

/// The customer's frame for `event`, if it is one they hear about.
async fn frame(ctx: &Ctx, caller: ChatCaller, event: &Event) -> Option<ChatFrame> {
    let seq = event.seq;
    Some(match event.kind {
        EventKind::EngagementMessageAdded => ChatFrame::Message {
            seq,
            message: serde_json::from_value::<MessageRecord>(event.data.get("message")?.clone())
                .ok()?
                .for_customer(),
        },
        EventKind::EngagementConnected => ChatFrame::AgentJoined {
            seq,
            name: agent_name(ctx, caller, event.agent_id).await,
        },
        EventKind::EngagementTransferred => {
            let from = event
                .data
                .get("from_agent_id")
                .and_then(|a| a.as_str())
                .and_then(|a| a.parse().ok());
            ChatFrame::AgentLeft {
                seq,
                name: agent_name(ctx, caller, from).await,
            }
        }
        EventKind::EngagementMessageReceipt => {
            let receipt: MessageReceipt =
                serde_json::from_value(event.data.get("receipt")?.clone()).ok()?;
            // The customer's own receipts are the agent's to see.
            if receipt.reader != Reader::Agent {
                return None;
            }
            ChatFrame::Receipt {
                seq,
                status: receipt.status,
                up_to: receipt.up_to,
            }
        }
        EventKind::EngagementWrapUpStarted | EventKind::EngagementClosed => {
            ChatFrame::Ended { seq }
        }
        _ => return None,
    })
}

/// A frame the customer's page sent: a web call's SDP offer, answered on the same socket.
async fn request(ctx: &Ctx, hub: &Hub, caller: ChatCaller, text: &str) -> ChatFrame {
    let offer = match serde_json::from_str::<SocketRequest>(text) {
        Ok(SocketRequest::CallOffer { sdp, .. }) => sdp,
        Err(e) => {
            return ChatFrame::CallError {
                message: format!("not a request this socket takes: {e}"),
            }
        }
    };
    match crate::service::calls::caller_offer(ctx, hub, caller, offer).await {
        Ok(sdp) => ChatFrame::CallAnswer { sdp },
        Err(e) => ChatFrame::CallError {
            message: crate::http::error::public_message(e),
        },
    }
}

/// Stops the socket's presence task when the socket ends, however it ends.
struct Present(tokio::task::JoinHandle<()>);

impl Drop for Present {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn send(socket: &mut WebSocket, frame: &ChatFrame) -> bool {
    let Ok(text) = serde_json::to_string(frame) else {
        return false;
    };
    socket.send(Message::Text(text.into())).await.is_ok()
}

pub async fn serve(
    ctx: Ctx,
    hub: Hub,
    caller: ChatCaller,
    state: shared::EngagementState,
    after: Option<i64>,
    mut socket: WebSocket,
) {
    // While the socket is open its customer is present (see service::chat::presence).
    let _present = Present(tokio::spawn({
        let ctx = ctx.clone();
        async move {
            let every = ctx.chat.presence.socket_touch();
            loop {
                tokio::time::sleep(every).await;
                crate::service::chat::presence::seen(&ctx, caller.engagement).await;
            }
        }
    }));
    // Subscribe before reading the backlog so nothing committed in between is missed.
    let mut live = hub.subscribe_chat(caller.engagement);
    let latest = *ctx.store.watch_committed().borrow();
    let mut cursor = after.unwrap_or(latest);
    let hello = ChatFrame::Hello {
        engagement_id: caller.engagement,
        state,
        latest_seq: latest,
    };
    if !send(&mut socket, &hello).await {
        return;
    }
    loop {
        let batch = match ctx
            .store
            .events_filtered(caller.account, cursor, 500, &KINDS, Some(caller.engagement))
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "chat backlog read failed");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        let full = batch.len() == 500;
        for event in batch {
            cursor = event.seq;
            if let Some(f) = frame(&ctx, caller, &event).await {
                if !send(&mut socket, &f).await {
                    return;
                }
            }
        }
        if !full {
            break;
        }
    }
    let mut ping = super::socket::pings();
    ping.tick().await;
    while let Some(next) =
        super::socket::next_event(&mut socket, &mut live, &mut ping, &mut None).await
    {
        let event = match next {
            Next::Live(Live::Event(event)) => event,
            Next::Live(Live::Typing(_)) => {
                if !send(&mut socket, &ChatFrame::Typing {}).await {
                    return;
                }
                continue;
            }
            Next::Live(Live::Recording(_)) => {
                if !send(&mut socket, &ChatFrame::CallRecording {}).await {
                    return;
                }
                continue;
            }
            Next::Stats(_) => continue,
            Next::Request(text) => {
                let reply = request(&ctx, &hub, caller, &text).await;
                if !send(&mut socket, &reply).await {
                    return;
                }
                continue;
            }
        };
        if event.seq <= cursor {
            continue; // already sent from the backlog
        }
        cursor = event.seq;
        if let Some(f) = frame(&ctx, caller, &event).await {
            if !send(&mut socket, &f).await {
                return;
            }
        }
    }
}
