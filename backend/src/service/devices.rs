//! One widget at a time per agent. An agent may have the widget open in several places (two
//! tabs, the PWA and a CRM's frame, two computers); exactly one of them — the active device —
//! rings, plays sounds, opens screen pops and talks to its host page. A starting widget claims
//! the device when none is active; "use here" takes it over; it is freed [`RELEASE_GRACE`]
//! after the active widget's socket closes unless that widget came back (a reload keeps it).
//! Every change is an `agent.device_changed` event in the agent's feed, so the others learn it
//! from the log whichever server they are connected to.

use super::{invalid, Ctx, Result};
use crate::auth::Principal;
use crate::store::{agents, NewEvent, Tx};
use shared::api::{ActiveDevice, DeviceClaim};
use shared::events::EventKind;
use shared::ids::{AccountId, AgentId};
use shared::payload::Payload;
use std::time::Duration;

/// How long a closed socket keeps its device active: a reload reconnects well within it.
pub const RELEASE_GRACE: Duration = Duration::from_secs(3);

/// The agent sockets open on this instance, per agent and device. A reloaded page may open its
/// new socket before the server notices the old one closed; that late close must not free the
/// device its own widget is connected with (the store's time check alone would).
#[derive(Default)]
pub struct OpenSockets(std::sync::Mutex<std::collections::HashMap<(AgentId, String), usize>>);

/// One open socket, counted until dropped.
pub struct OpenSocket {
    sockets: std::sync::Arc<OpenSockets>,
    key: (AgentId, String),
}

impl OpenSockets {
    pub fn open(self: &std::sync::Arc<Self>, agent: AgentId, device: &str) -> OpenSocket {
        let key = (agent, device.to_string());
        *self
            .0
            .lock()
            .expect("sockets lock")
            .entry(key.clone())
            .or_default() += 1;
        OpenSocket {
            sockets: self.clone(),
            key,
        }
    }

    fn is_open(&self, agent: AgentId, device: &str) -> bool {
        self.0
            .lock()
            .expect("sockets lock")
            .contains_key(&(agent, device.to_string()))
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        let mut open = self.sockets.0.lock().expect("sockets lock");
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

async fn changed(
    tx: &mut Tx,
    account: AccountId,
    agent: AgentId,
    device: Option<&str>,
) -> Result<()> {
    tx.append(NewEvent {
        account_id: account,
        kind: EventKind::AgentDeviceChanged,
        engagement_id: None,
        agent_id: Some(agent),
        data: Payload::Device {
            agent_id: agent,
            device_id: device.map(str::to_string),
        },
    })
    .await?;
    Ok(())
}

/// Check a device id from a client.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    if DeviceClaim::valid_id(id) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{field} must be 1–64 letters, digits, '-' or '_'"),
        ))
    }
}

/// `PUT /v1/agents/me/device`.
pub async fn claim(ctx: &Ctx, p: &Principal, claim: DeviceClaim) -> Result<ActiveDevice> {
    let (agent, _) = p.agent()?;
    check_id("device_id", &claim.device_id)?;
    let account = p.account();
    let mut tx = ctx.store.begin_for(account).await?;
    let now = ctx.clock.now_ms();
    if agents::claim_device(
        tx.conn().await?,
        agent,
        &claim.device_id,
        now,
        claim.only_if_free,
    )
    .await?
    {
        changed(&mut tx, account, agent, Some(&claim.device_id)).await?;
    }
    let active = agents::active_device(tx.conn().await?, agent).await?;
    tx.commit().await?;
    Ok(ActiveDevice {
        active_device: active,
    })
}

/// A widget's socket opened: a free device becomes this one; the active one notes it is back.
pub async fn connected(ctx: &Ctx, account: AccountId, agent: AgentId, device: &str) -> Result<()> {
    let mut tx = ctx.store.begin_for(account).await?;
    let now = ctx.clock.now_ms();
    if agents::claim_device(tx.conn().await?, agent, device, now, true).await? {
        changed(&mut tx, account, agent, Some(device)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A widget's socket closed at `closed_at_ms`: after [`RELEASE_GRACE`], free the device if it is
/// still this one and it did not come back.
pub async fn disconnected(
    ctx: &Ctx,
    account: AccountId,
    agent: AgentId,
    device: &str,
    closed_at_ms: i64,
) -> Result<()> {
    tokio::time::sleep(RELEASE_GRACE).await;
    if ctx.device_sockets.is_open(agent, device) {
        return Ok(()); // it came back here (perhaps before this close was noticed)
    }
    let mut tx = ctx.store.begin_for(account).await?;
    if agents::release_device(tx.conn().await?, agent, device, closed_at_ms).await? {
        changed(&mut tx, account, agent, None).await?;
    }
    tx.commit().await?;
    Ok(())
}
