//! Demo data for `switchboard serve --demo`: a small contact center to click through.
//! Idempotent: it only adds what is missing, so restarting keeps earlier demo activity.

use super::config::{self as cfg, AgentInput};
use super::{accounts, Ctx, Result};
use crate::auth::Principal;
use crate::store::agents;
use crate::store::config::{DocTable, EntryRecord};
use shared::config::{
    AgentSkill, App, Disposition, Distribution, EntryPoint, Flow, Proficiency, Queue,
    QueueMembership, Role, ServiceLevel, Skill, WebChat,
};
use shared::ids::{AppId, DispositionId, EntryId, FlowId, QueueId, SkillId};
use shared::survey::{Survey, SurveyScale};
use shared::Channel;
use uuid::Uuid;

/// The demo agents' password.
pub const DEMO_PASSWORD: &str = "switchboard-demo";
/// Demo agents (email, name).
pub const DEMO_AGENTS: [(&str, &str); 2] = [
    ("ada@demo.test", "Ada Lovelace"),
    ("grace@demo.test", "Grace Hopper"),
];

fn fixed(n: u128) -> Uuid {
    Uuid::from_u128(0x5b00_0000_0000_0000_0000_0000_0000_0000 | n)
}

pub async fn seed(ctx: &Ctx, crm_url: &str) -> Result<()> {
    accounts::bootstrap_admin(ctx, "admin@demo.test", DEMO_PASSWORD, "Demo admin").await?;
    let admin = {
        let mut conn = ctx.store.read().await?;
        let rec = agents::by_email(&mut conn, ctx.account, "admin@demo.test")
            .await?
            .expect("just created");
        Principal::Agent {
            account: ctx.account,
            agent: rec.agent.agent_id,
            role: Role::Admin,
        }
    };
    let existing: Vec<Queue> = crate::store::config::list_docs(
        &mut *ctx.store.read().await?,
        DocTable::Queues,
        ctx.account,
    )
    .await?;
    if !existing.is_empty() {
        return Ok(());
    }
    let skill = SkillId(fixed(1));
    cfg::put_skill(
        ctx,
        &admin,
        Skill {
            skill_id: skill,
            name: "billing".into(),
        },
    )
    .await?;
    let resolved = DispositionId(fixed(2));
    cfg::put_disposition(
        ctx,
        &admin,
        Disposition {
            disposition_id: resolved,
            name: "Resolved".into(),
            code: Some("RESOLVED".into()),
        },
    )
    .await?;
    let follow_up = DispositionId(fixed(3));
    cfg::put_disposition(
        ctx,
        &admin,
        Disposition {
            disposition_id: follow_up,
            name: "Needs follow-up".into(),
            code: Some("FOLLOW_UP".into()),
        },
    )
    .await?;
    // The demo CRM's side-panel app, beside every demo queue's engagements.
    let customer_app = AppId(fixed(4));
    super::apps::put(
        ctx,
        &admin,
        App {
            app_id: customer_app,
            name: "Customer 360".into(),
            url: format!("{crm_url}/apps/customer"),
            icon_url: None,
        },
    )
    .await?;
    let queue = |id: u128, name: &str, channel: Channel, template: &str| Queue {
        queue_id: QueueId(fixed(id)),
        name: name.into(),
        channel,
        distribution: Distribution::LongestIdle,
        ring_timeout_secs: 30,
        overflow: None,
        service_level: ServiceLevel::default(),
        wrap_up_secs: 0,
        disposition_ids: vec![resolved, follow_up],
        launch_url_template: Some(template.into()),
        launch_open: Default::default(),
        record_calls: true,
        required_skills: vec![],
        app_ids: vec![customer_app],
    };
    let tickets = queue(
        10,
        "CRM tickets",
        Channel::WorkItem,
        &format!("{crm_url}/tickets/{{work_item_id}}"),
    );
    let calls = queue(
        11,
        "Support calls",
        Channel::Voice,
        &format!("{crm_url}/contacts?phone={{consumer_phone}}"),
    );
    let chats = queue(
        12,
        "Web chat",
        Channel::Chat,
        &format!("{crm_url}/contacts?email={{consumer_email}}"),
    );
    for q in [&tickets, &calls, &chats] {
        cfg::put_queue(ctx, &admin, q.clone(), false).await?;
    }
    let flow: Flow = serde_json::from_value(serde_json::json!({
        "flow_id": FlowId(fixed(20)), "name": "Demo routing", "start": "channel?",
        "steps": {
            "channel?": {"type": "condition", "when": {"op": "equals", "field": "channel", "value": "voice"}, "then": "calls", "otherwise": "chat?"},
            "chat?": {"type": "condition", "when": {"op": "equals", "field": "channel", "value": "chat"}, "then": "chats", "otherwise": "tickets"},
            "calls": {"type": "route_to_queue", "queue_id": calls.queue_id},
            "chats": {"type": "route_to_queue", "queue_id": chats.queue_id},
            "tickets": {"type": "route_to_queue", "queue_id": tickets.queue_id}
        }
    }))
    .expect("demo flow is valid");
    cfg::put_flow(ctx, &admin, flow.clone(), false).await?;
    cfg::put_entry(
        ctx,
        &admin,
        EntryRecord {
            entry: EntryPoint {
                entry_id: EntryId("crm-tickets".into()),
                flow_id: flow.flow_id,
                description: Some("Demo CRM".into()),
                address: None,
                chat: None,
                survey: None,
            },
            profile_id: None,
        },
    )
    .await?;
    // The public website's chat (the CRM's /site page carries the bubble); a message left while
    // nobody is ready becomes a ticket through the CRM's entry point.
    cfg::put_entry(
        ctx,
        &admin,
        EntryRecord {
            entry: EntryPoint {
                entry_id: EntryId("web-chat".into()),
                flow_id: flow.flow_id,
                description: Some("Acme website chat".into()),
                address: None,
                chat: Some(WebChat {
                    require_email: true,
                    require_question: false,
                    hours: None,
                    leave_message_entry_id: Some("crm-tickets".into()),
                    calls: ctx.calls.media.is_some(),
                }),
                survey: Some(Survey {
                    scale: SurveyScale::FivePoint,
                    question: "How satisfied are you with the help you got today?".into(),
                    comment: true,
                }),
            },
            profile_id: None,
        },
    )
    .await?;
    for (email, name) in DEMO_AGENTS {
        cfg::put_agent(
            ctx,
            &admin,
            AgentInput {
                agent_id: None,
                display_name: name.into(),
                email: email.into(),
                role: Role::Agent,
                skills: vec![AgentSkill {
                    skill_id: skill,
                    proficiency: Proficiency::new(3).expect("1..=5"),
                }],
                queues: [&tickets, &calls, &chats]
                    .iter()
                    .map(|q| QueueMembership {
                        queue_id: q.queue_id,
                        opted_in: true,
                    })
                    .collect(),
                supervised_queue_ids: vec![],
                busy_rules: None,
                password: Some(DEMO_PASSWORD.into()),
            },
            None,
        )
        .await?;
    }
    tracing::info!("demo data created: agents ada@demo.test and grace@demo.test, admin admin@demo.test (password {DEMO_PASSWORD})");
    Ok(())
}
