//! Engagements, their offers and notes.

use super::config::{from_json, parse_id};
use super::{ms_to_datetime, Result, StoreError};
use shared::config::SkillRequirement;
use shared::engagement::{Consumer, Engagement, Timestamps, Variables, WorkItem};
use shared::ids::{AccountId, AgentId, DispositionId, EngagementId, EntryId, FlowId, QueueId};
use shared::{Channel, Direction, EngagementState};
use sqlx::{AnyConnection, FromRow, Row};
use std::collections::HashMap;

/// Everything stored about an engagement.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementRecord {
    pub id: EngagementId,
    pub account: AccountId,
    pub channel: Channel,
    pub channel_source: Option<String>,
    pub direction: Direction,
    pub state: EngagementState,
    pub entry_id: Option<String>,
    /// The entry point's `address` when the engagement started.
    pub entry_address: Option<String>,
    pub flow_id: Option<FlowId>,
    pub queue_id: Option<QueueId>,
    /// Flow priority + work-item priority + profile boosts (due dates are added when routing).
    pub base_priority: i32,
    pub required_skills: Vec<SkillRequirement>,
    pub skills_relaxed: bool,
    /// Agents who declined or missed it; offered to others first.
    pub excluded_agents: Vec<AgentId>,
    pub preferred_agent: Option<AgentId>,
    pub preferred_until_ms: Option<i64>,
    /// The agent working it (connected, inactive, wrap-up).
    pub agent_id: Option<AgentId>,
    pub consumer: Option<Consumer>,
    pub work_item: Option<WorkItem>,
    pub variables: Variables,
    pub due_at_ms: Option<i64>,
    pub overflow_at_ms: Option<i64>,
    pub disposition_id: Option<DispositionId>,
    pub close_reason: Option<String>,
    pub created_at_ms: i64,
    pub queued_at_ms: Option<i64>,
    pub offered_at_ms: Option<i64>,
    pub connected_at_ms: Option<i64>,
    pub wrap_up_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
}

impl EngagementRecord {
    /// A new engagement in the state machine's initial state, created `now_ms`, with nothing
    /// routed, offered or recorded yet; callers fill in what they know.
    pub fn new(account: AccountId, channel: Channel, direction: Direction, now_ms: i64) -> Self {
        EngagementRecord {
            id: EngagementId(uuid::Uuid::now_v7()),
            account,
            channel,
            channel_source: None,
            direction,
            state: shared::state_machine::initial().0,
            entry_id: None,
            entry_address: None,
            flow_id: None,
            queue_id: None,
            base_priority: 0,
            required_skills: vec![],
            skills_relaxed: false,
            excluded_agents: vec![],
            preferred_agent: None,
            preferred_until_ms: None,
            agent_id: None,
            consumer: None,
            work_item: None,
            variables: Variables::new(),
            due_at_ms: None,
            overflow_at_ms: None,
            disposition_id: None,
            close_reason: None,
            created_at_ms: now_ms,
            queued_at_ms: None,
            offered_at_ms: None,
            connected_at_ms: None,
            wrap_up_at_ms: None,
            closed_at_ms: None,
        }
    }

    /// The uniqueness key for active work items: id + name, `None` once closed or when the
    /// work item has no id.
    pub fn work_item_key(&self) -> Option<String> {
        if !self.state.is_active() {
            return None;
        }
        let wi = self.work_item.as_ref()?;
        Some(format!("{}\n{}", wi.id.as_ref()?, wi.name))
    }

    /// The API shape. `offered_to` lists the agents currently ringing (from the offers table).
    pub fn to_api(&self, offered_to: &[AgentId]) -> Result<Engagement> {
        let ts = |ms: Option<i64>| ms.map(ms_to_datetime).transpose();
        Ok(Engagement {
            engagement_id: self.id,
            channel: self.channel,
            channel_source: self.channel_source.clone(),
            direction: self.direction,
            state: self.state,
            flow_entry_id: self.entry_id.clone().map(EntryId),
            entry_address: self.entry_address.clone(),
            flow_id: self.flow_id,
            queue_id: self.queue_id,
            priority: self.base_priority,
            agent_ids: match (self.state, self.agent_id) {
                (EngagementState::Offered, _) => offered_to.to_vec(),
                (_, Some(a)) => vec![a],
                _ => vec![],
            },
            consumer: self.consumer.clone(),
            work_item: self.work_item.clone(),
            variables: self.variables.clone(),
            timestamps: Timestamps {
                created_at: ms_to_datetime(self.created_at_ms)?,
                queued_at: ts(self.queued_at_ms)?,
                offered_at: ts(self.offered_at_ms)?,
                connected_at: ts(self.connected_at_ms)?,
                wrap_up_at: ts(self.wrap_up_at_ms)?,
                closed_at: ts(self.closed_at_ms)?,
            },
        })
    }
}

const COLUMNS: &str = "engagement_id, account_id, channel, channel_source, direction, state, entry_id, entry_address, flow_id, \
    queue_id, base_priority, required_skills, skills_relaxed, excluded_agents, preferred_agent, preferred_until_ms, \
    agent_id, consumer, work_item, variables, due_at_ms, overflow_at_ms, disposition_id, close_reason, \
    created_at_ms, queued_at_ms, offered_at_ms, connected_at_ms, wrap_up_at_ms, closed_at_ms";

fn opt_json<T: serde::de::DeserializeOwned>(what: &str, v: Option<String>) -> Result<Option<T>> {
    v.as_deref().map(|s| from_json(what, s)).transpose()
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<EngagementRecord> {
    let id_opt = |col: &str| -> Result<Option<String>> { Ok(r.try_get(col)?) };
    let channel: String = r.try_get("channel")?;
    let state: String = r.try_get("state")?;
    let direction: String = r.try_get("direction")?;
    Ok(EngagementRecord {
        id: parse_id(&r.try_get::<String, _>("engagement_id")?)?,
        account: parse_id(&r.try_get::<String, _>("account_id")?)?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("channel {channel:?}")))?,
        channel_source: r.try_get("channel_source")?,
        direction: if direction == "outbound" {
            Direction::Outbound
        } else {
            Direction::Inbound
        },
        state: EngagementState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
        entry_id: r.try_get("entry_id")?,
        entry_address: r.try_get("entry_address")?,
        flow_id: id_opt("flow_id")?.as_deref().map(parse_id).transpose()?,
        queue_id: id_opt("queue_id")?.as_deref().map(parse_id).transpose()?,
        base_priority: i32::try_from(r.try_get::<i64, _>("base_priority")?).unwrap_or(0),
        required_skills: from_json(
            "required_skills",
            &r.try_get::<String, _>("required_skills")?,
        )?,
        skills_relaxed: r.try_get::<i64, _>("skills_relaxed")? != 0,
        excluded_agents: from_json(
            "excluded_agents",
            &r.try_get::<String, _>("excluded_agents")?,
        )?,
        preferred_agent: id_opt("preferred_agent")?
            .as_deref()
            .map(parse_id)
            .transpose()?,
        preferred_until_ms: r.try_get("preferred_until_ms")?,
        agent_id: id_opt("agent_id")?.as_deref().map(parse_id).transpose()?,
        consumer: opt_json("consumer", r.try_get("consumer")?)?,
        work_item: opt_json("work_item", r.try_get("work_item")?)?,
        variables: from_json("variables", &r.try_get::<String, _>("variables")?)?,
        due_at_ms: r.try_get("due_at_ms")?,
        overflow_at_ms: r.try_get("overflow_at_ms")?,
        disposition_id: id_opt("disposition_id")?
            .as_deref()
            .map(parse_id)
            .transpose()?,
        close_reason: r.try_get("close_reason")?,
        created_at_ms: r.try_get("created_at_ms")?,
        queued_at_ms: r.try_get("queued_at_ms")?,
        offered_at_ms: r.try_get("offered_at_ms")?,
        connected_at_ms: r.try_get("connected_at_ms")?,
        wrap_up_at_ms: r.try_get("wrap_up_at_ms")?,
        closed_at_ms: r.try_get("closed_at_ms")?,
    })
}

use super::json;

/// Columns [`save_many`] writes, in [`SavedRow`]'s order.
const SAVED: &str = "engagement_id, account_id, channel, channel_source, direction, state, entry_id,
    flow_id, queue_id, base_priority, required_skills, skills_relaxed, excluded_agents, preferred_agent,
    preferred_until_ms, agent_id, consumer, work_item, variables, work_item_key, due_at_ms, overflow_at_ms,
    disposition_id, close_reason, created_at_ms, queued_at_ms, offered_at_ms, connected_at_ms,
    wrap_up_at_ms, closed_at_ms, entry_address";
const SAVED_COUNT: usize = 31;

/// What an upsert changes of an existing engagement (not its id, account, channel, direction,
/// entry, consumer, work item, due date, creation time or entry address).
const SAVED_UPDATE: &str =
    " ON CONFLICT (engagement_id) DO UPDATE SET state = excluded.state, flow_id = excluded.flow_id,
     queue_id = excluded.queue_id, base_priority = excluded.base_priority,
     required_skills = excluded.required_skills, skills_relaxed = excluded.skills_relaxed,
     excluded_agents = excluded.excluded_agents, preferred_agent = excluded.preferred_agent,
     preferred_until_ms = excluded.preferred_until_ms, agent_id = excluded.agent_id,
     variables = excluded.variables, work_item_key = excluded.work_item_key,
     overflow_at_ms = excluded.overflow_at_ms, disposition_id = excluded.disposition_id,
     close_reason = excluded.close_reason, queued_at_ms = excluded.queued_at_ms,
     offered_at_ms = excluded.offered_at_ms, connected_at_ms = excluded.connected_at_ms,
     wrap_up_at_ms = excluded.wrap_up_at_ms, closed_at_ms = excluded.closed_at_ms";

/// Rows one SQLite [`save_many`] statement writes (31 parameters each: well under its
/// 32,766).
const SAVED_PER_STATEMENT: usize = 400;

/// An engagement as its row stores it: field names are the columns (PostgreSQL reads them by
/// name from JSON), in [`SAVED`]'s order (SQLite binds them by position).
#[derive(serde::Serialize)]
struct SavedRow<'a> {
    engagement_id: String,
    account_id: String,
    channel: &'static str,
    channel_source: Option<&'a str>,
    direction: &'static str,
    state: &'static str,
    entry_id: Option<&'a str>,
    flow_id: Option<String>,
    queue_id: Option<String>,
    base_priority: i64,
    required_skills: String,
    skills_relaxed: i64,
    excluded_agents: String,
    preferred_agent: Option<String>,
    preferred_until_ms: Option<i64>,
    agent_id: Option<String>,
    consumer: Option<String>,
    work_item: Option<String>,
    variables: String,
    work_item_key: Option<String>,
    due_at_ms: Option<i64>,
    overflow_at_ms: Option<i64>,
    disposition_id: Option<String>,
    close_reason: Option<&'a str>,
    created_at_ms: i64,
    queued_at_ms: Option<i64>,
    offered_at_ms: Option<i64>,
    connected_at_ms: Option<i64>,
    wrap_up_at_ms: Option<i64>,
    closed_at_ms: Option<i64>,
    entry_address: Option<&'a str>,
}

impl<'a> SavedRow<'a> {
    fn of(e: &'a EngagementRecord) -> SavedRow<'a> {
        SavedRow {
            engagement_id: e.id.to_string(),
            account_id: e.account.to_string(),
            channel: e.channel.as_str(),
            channel_source: e.channel_source.as_deref(),
            direction: match e.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            },
            state: e.state.as_str(),
            entry_id: e.entry_id.as_deref(),
            flow_id: e.flow_id.map(|f| f.to_string()),
            queue_id: e.queue_id.map(|q| q.to_string()),
            base_priority: i64::from(e.base_priority),
            required_skills: json(&e.required_skills),
            skills_relaxed: i64::from(e.skills_relaxed),
            excluded_agents: json(&e.excluded_agents),
            preferred_agent: e.preferred_agent.map(|a| a.to_string()),
            preferred_until_ms: e.preferred_until_ms,
            agent_id: e.agent_id.map(|a| a.to_string()),
            consumer: e.consumer.as_ref().map(json),
            work_item: e.work_item.as_ref().map(json),
            variables: json(&e.variables),
            work_item_key: e.work_item_key(),
            due_at_ms: e.due_at_ms,
            overflow_at_ms: e.overflow_at_ms,
            disposition_id: e.disposition_id.map(|d| d.to_string()),
            close_reason: e.close_reason.as_deref(),
            created_at_ms: e.created_at_ms,
            queued_at_ms: e.queued_at_ms,
            offered_at_ms: e.offered_at_ms,
            connected_at_ms: e.connected_at_ms,
            wrap_up_at_ms: e.wrap_up_at_ms,
            closed_at_ms: e.closed_at_ms,
            entry_address: e.entry_address.as_deref(),
        }
    }
}

/// Insert new engagements, or write every column of existing ones. An id must appear once
/// (PostgreSQL refuses to update one row twice in a statement); `store::pending` keeps the
/// last write of each. Returns the statements it took.
///
/// PostgreSQL: one statement whatever the count, its text always the same (so prepared once
/// per connection): the rows travel as one JSON array that `json_populate_recordset` turns
/// into the table's row type. A statement with a `VALUES` row per engagement was a new text
/// for every batch size, parsed and planned each time with up to 12,000 parameters: 3–9 ms
/// for a batch of 96 on this machine's PostgreSQL. SQLite: one multi-row upsert per
/// [`SAVED_PER_STATEMENT`] records (SQLite prepares statements in-process).
pub async fn save_many(conn: &mut AnyConnection, records: &[&EngagementRecord]) -> Result<usize> {
    if records.is_empty() {
        return Ok(0);
    }
    let params = super::Params::for_conn(conn);
    if !params.is_sqlite() {
        let rows: Vec<SavedRow> = records.iter().map(|e| SavedRow::of(e)).collect();
        let sql = format!(
            "INSERT INTO engagements ({SAVED}) SELECT {SAVED}
             FROM json_populate_recordset(NULL::engagements, $1::json){SAVED_UPDATE}"
        );
        sqlx::query(&sql)
            .bind(serde_json::to_string(&rows).expect("rows serialize"))
            .execute(&mut *conn)
            .await?;
        return Ok(1);
    }
    let mut statements = 0;
    for chunk in records.chunks(SAVED_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO engagements ({SAVED}) VALUES ");
        super::Params::for_conn(conn).push_rows(&mut sql, chunk.len(), SAVED_COUNT);
        sql.push_str(SAVED_UPDATE);
        let mut query = sqlx::query(&sql);
        for e in chunk {
            let r = SavedRow::of(e);
            query = query
                .bind(r.engagement_id)
                .bind(r.account_id)
                .bind(r.channel)
                .bind(r.channel_source.map(str::to_owned))
                .bind(r.direction)
                .bind(r.state)
                .bind(r.entry_id.map(str::to_owned))
                .bind(r.flow_id)
                .bind(r.queue_id)
                .bind(r.base_priority)
                .bind(r.required_skills)
                .bind(r.skills_relaxed)
                .bind(r.excluded_agents)
                .bind(r.preferred_agent)
                .bind(r.preferred_until_ms)
                .bind(r.agent_id)
                .bind(r.consumer)
                .bind(r.work_item)
                .bind(r.variables)
                .bind(r.work_item_key)
                .bind(r.due_at_ms)
                .bind(r.overflow_at_ms)
                .bind(r.disposition_id)
                .bind(r.close_reason.map(str::to_owned))
                .bind(r.created_at_ms)
                .bind(r.queued_at_ms)
                .bind(r.offered_at_ms)
                .bind(r.connected_at_ms)
                .bind(r.wrap_up_at_ms)
                .bind(r.closed_at_ms)
                .bind(r.entry_address.map(str::to_owned));
        }
        query.execute(&mut *conn).await?;
        statements += 1;
    }
    Ok(statements)
}

pub async fn get(
    conn: &mut AnyConnection,
    account: AccountId,
    id: EngagementId,
) -> Result<Option<EngagementRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM engagements WHERE engagement_id = $1 AND account_id = $2");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// These engagements of the account (missing ones are left out), in any order.
pub async fn get_many(
    conn: &mut AnyConnection,
    account: AccountId,
    ids: &[EngagementId],
) -> Result<Vec<EngagementRecord>> {
    let select =
        format!("SELECT {COLUMNS} FROM engagements WHERE account_id = $1 AND engagement_id IN");
    super::fetch_in(conn, &select, &[account.to_string()], ids, from_row).await
}

/// Engagements in routing's care: queued, ringing or held by an agent.
pub async fn routable(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<EngagementRecord>> {
    let active: Vec<EngagementState> = EngagementState::ALL
        .into_iter()
        .filter(|s| s.is_active())
        .collect();
    in_states(conn, account, &active).await
}

/// The active engagement holding this work-item id + name, if any.
pub async fn active_with_work_item(
    conn: &mut AnyConnection,
    account: AccountId,
    key: &str,
) -> Result<Option<EngagementId>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT engagement_id FROM engagements WHERE account_id = $1 AND work_item_key = $2",
    )
    .bind(account.to_string())
    .bind(key)
    .fetch_optional(conn)
    .await?;
    id.as_deref().map(parse_id).transpose()
}

/// Engagements in `states`, oldest first.
pub async fn in_states(
    conn: &mut AnyConnection,
    account: AccountId,
    states: &[EngagementState],
) -> Result<Vec<EngagementRecord>> {
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {COLUMNS} FROM engagements WHERE account_id = $1 AND state IN ({list}) ORDER BY created_at_ms, engagement_id"
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Per queue with anything waiting: (queue, how many wait, when the oldest was created).
pub async fn waiting_by_queue(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<(QueueId, u64, i64)>> {
    let rows = sqlx::query(
        "SELECT queue_id, COUNT(*) AS n, MIN(created_at_ms) AS oldest
         FROM engagements WHERE account_id = $1 AND state = 'queued' AND queue_id IS NOT NULL
         GROUP BY queue_id",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let queue: String = row.try_get("queue_id")?;
            let n: i64 = row.try_get("n")?;
            let oldest: i64 = row.try_get("oldest")?;
            Ok((parse_id(&queue)?, u64::try_from(n).unwrap_or(0), oldest))
        })
        .collect()
}

/// The earliest timer on a waiting engagement: overflow or the end of a preferred-agent wait.
/// (Due-date steps change priority, which matters only when matching runs anyway.)
pub async fn next_queue_timer(conn: &mut AnyConnection, account: AccountId) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT MIN(overflow_at_ms) AS o, MIN(preferred_until_ms) AS p
         FROM engagements WHERE account_id = $1 AND state = 'queued'",
    )
    .bind(account.to_string())
    .fetch_one(conn)
    .await?;
    let o: Option<i64> = row.try_get("o")?;
    let p: Option<i64> = row.try_get("p")?;
    Ok([o, p].into_iter().flatten().min())
}

/// An agent's active engagements: assigned ones and ones ringing for them.
pub async fn for_agent(
    conn: &mut AnyConnection,
    account: AccountId,
    agent: AgentId,
) -> Result<Vec<EngagementRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM engagements WHERE account_id = $1 AND state <> 'closed' AND (agent_id = $2
             OR engagement_id IN (SELECT engagement_id FROM offers WHERE agent_id = $2))
         ORDER BY created_at_ms, engagement_id"
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(agent.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// A page of engagements, newest first, optionally in one state.
pub async fn list(
    conn: &mut AnyConnection,
    account: AccountId,
    state: Option<EngagementState>,
    limit: i64,
) -> Result<Vec<EngagementRecord>> {
    let filter = state
        .map(|s| format!(" AND state = '{}'", s.as_str()))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS} FROM engagements WHERE account_id = $1{filter} ORDER BY created_at_ms DESC, engagement_id DESC LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

// ---- offers ------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OfferRecord {
    #[sqlx(rename = "engagement_id", try_from = "String")]
    pub engagement: EngagementId,
    #[sqlx(rename = "agent_id", try_from = "String")]
    pub agent: AgentId,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub offered_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Offer rows one [`insert_offers`] statement writes (6 parameters each).
const OFFERS_PER_STATEMENT: usize = 2000;

/// Insert live offers: one multi-row statement per [`OFFERS_PER_STATEMENT`].
pub async fn insert_offers(
    conn: &mut AnyConnection,
    offers: &[(AccountId, &OfferRecord)],
) -> Result<usize> {
    let mut statements = 0;
    for chunk in offers.chunks(OFFERS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO offers (engagement_id, agent_id, account_id, channel, offered_at_ms, expires_at_ms) VALUES ",
        );
        super::Params::for_conn(conn).push_rows(&mut sql, chunk.len(), 6);
        let mut query = sqlx::query(&sql);
        for (account, o) in chunk {
            query = query
                .bind(o.engagement.to_string())
                .bind(o.agent.to_string())
                .bind(account.to_string())
                .bind(o.channel.as_str())
                .bind(o.offered_at_ms)
                .bind(o.expires_at_ms);
        }
        query.execute(&mut *conn).await?;
        statements += 1;
    }
    Ok(statements)
}

pub async fn offers_for(
    conn: &mut AnyConnection,
    engagement: EngagementId,
) -> Result<Vec<OfferRecord>> {
    Ok(sqlx::query_as(
        "SELECT engagement_id, agent_id, channel, offered_at_ms, expires_at_ms FROM offers WHERE engagement_id = $1 ORDER BY agent_id",
    )
    .bind(engagement.to_string())
    .fetch_all(conn)
    .await?)
}

/// Remove every live offer of these engagements.
pub async fn delete_offers_of(conn: &mut AnyConnection, ids: &[EngagementId]) -> Result<usize> {
    let mut statements = 0;
    for chunk in ids.chunks(super::IDS_PER_QUERY) {
        let sql = format!(
            "DELETE FROM offers WHERE engagement_id IN ({})",
            super::Params::for_conn(conn).list(chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        query.execute(&mut *conn).await?;
        statements += 1;
    }
    Ok(statements)
}

pub async fn delete_offer(
    conn: &mut AnyConnection,
    engagement: EngagementId,
    agent: AgentId,
) -> Result<()> {
    sqlx::query("DELETE FROM offers WHERE engagement_id = $1 AND agent_id = $2")
        .bind(engagement.to_string())
        .bind(agent.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The live offers of these engagements.
pub async fn offers_of(conn: &mut AnyConnection, ids: &[EngagementId]) -> Result<Vec<OfferRecord>> {
    super::fetch_in(
        conn,
        "SELECT engagement_id, agent_id, channel, offered_at_ms, expires_at_ms FROM offers WHERE engagement_id IN",
        &[],
        ids,
        |r| Ok(OfferRecord::from_row(r)?),
    )
    .await
}

/// Every live offer of the account.
pub async fn all_offers(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<OfferRecord>> {
    Ok(sqlx::query_as(
        "SELECT engagement_id, agent_id, channel, offered_at_ms, expires_at_ms FROM offers WHERE account_id = $1",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?)
}

/// What each agent holds: assigned engagements (connected, inactive, wrap-up) and live offers.
pub async fn holdings(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<HashMap<AgentId, Vec<Channel>>> {
    let mut held: HashMap<AgentId, Vec<Channel>> = HashMap::new();
    let rows = sqlx::query(
        "SELECT agent_id, channel FROM engagements
         WHERE account_id = $1 AND agent_id IS NOT NULL AND state IN ('connected', 'inactive', 'wrap_up')",
    )
    .bind(account.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let agent: AgentId = parse_id(&r.try_get::<String, _>("agent_id")?)?;
        let channel: String = r.try_get("channel")?;
        if let Some(c) = Channel::parse(&channel) {
            held.entry(agent).or_default().push(c);
        }
    }
    for offer in all_offers(conn, account).await? {
        held.entry(offer.agent).or_default().push(offer.channel);
    }
    Ok(held)
}

// ---- notes -------------------------------------------------------------------------------------

pub use shared::engagement::NoteRecord;

pub async fn insert_note(conn: &mut AnyConnection, n: &NoteRecord) -> Result<()> {
    sqlx::query("INSERT INTO notes (note_id, engagement_id, agent_id, body, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(n.note_id.to_string())
        .bind(n.engagement_id.to_string())
        .bind(n.agent_id.map(|a| a.to_string()))
        .bind(&n.body)
        .bind(n.created_at_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn notes(conn: &mut AnyConnection, engagement: EngagementId) -> Result<Vec<NoteRecord>> {
    let rows = sqlx::query(
        "SELECT note_id, engagement_id, agent_id, body, created_at_ms FROM notes WHERE engagement_id = $1 ORDER BY created_at_ms, note_id",
    )
    .bind(engagement.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let agent: Option<String> = r.try_get("agent_id")?;
            Ok(NoteRecord {
                note_id: parse_id(&r.try_get::<String, _>("note_id")?)?,
                engagement_id: parse_id(&r.try_get::<String, _>("engagement_id")?)?,
                agent_id: agent.as_deref().map(parse_id).transpose()?,
                body: r.try_get("body")?,
                created_at_ms: r.try_get("created_at_ms")?,
            })
        })
        .collect()
}

// ---- idempotency -------------------------------------------------------------------------------

/// A stored first response for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn idempotent_response(
    conn: &mut AnyConnection,
    account: AccountId,
    key: &str,
) -> Result<Option<StoredResponse>> {
    let row = sqlx::query("SELECT request_hash, status, response FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
        .bind(account.to_string())
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(StoredResponse {
            request_hash: r.try_get("request_hash")?,
            status: u16::try_from(r.try_get::<i64, _>("status")?).unwrap_or(500),
            body: r.try_get("response")?,
        })
    })
    .transpose()
}

pub async fn store_response(
    conn: &mut AnyConnection,
    account: AccountId,
    key: &str,
    response: &StoredResponse,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, status, response, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account.to_string())
    .bind(key)
    .bind(&response.request_hash)
    .bind(i64::from(response.status))
    .bind(&response.body)
    .bind(super::now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Parse helper for ids in other modules.
pub fn agent_ids(ids: &[OfferRecord]) -> Vec<AgentId> {
    ids.iter().map(|o| o.agent).collect()
}

/// What a queue's place computation reads: the engagements waiting in `queue` (queued or
/// ringing, as `(id, base priority, due, created)`) and how many of its engagements an agent
/// answered since `answered_since_ms`.
pub async fn queue_place_inputs(
    conn: &mut AnyConnection,
    account: AccountId,
    queue: QueueId,
    answered_since_ms: i64,
) -> Result<(
    Vec<(EngagementId, EngagementState, i32, Option<i64>, i64)>,
    u64,
)> {
    let rows: Vec<(String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT engagement_id, state, base_priority, due_at_ms, created_at_ms FROM engagements \
         WHERE account_id = $1 AND queue_id = $2 AND state IN ('queued', 'offered')",
    )
    .bind(account.to_string())
    .bind(queue.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let answered: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM engagements WHERE account_id = $1 AND queue_id = $2 AND connected_at_ms >= $3",
    )
    .bind(account.to_string())
    .bind(queue.to_string())
    .bind(answered_since_ms)
    .fetch_one(conn)
    .await?;
    let waiting = rows
        .into_iter()
        .map(|(id, state, priority, due, created)| {
            let state = EngagementState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?;
            let priority = i32::try_from(priority).unwrap_or(0);
            Ok((parse_id(&id)?, state, priority, due, created))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((waiting, answered.max(0) as u64))
}

/// Engagements created at or after `since_ms` (for live statistics).
pub async fn created_since(
    conn: &mut AnyConnection,
    account: AccountId,
    since_ms: i64,
) -> Result<Vec<EngagementRecord>> {
    let sql =
        format!("SELECT {COLUMNS} FROM engagements WHERE account_id = $1 AND created_at_ms >= $2");
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .bind(since_ms)
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}
