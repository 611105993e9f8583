//! Configuration storage: queues, flows and routing profiles as validated JSON documents,
//! skills, dispositions, side-panel apps, entry points, account settings, API clients and the
//! server key.

use super::{now_ms, Result, Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::config::{App, BusyAgentRules, Disposition, EntryPoint, Skill};
use shared::ids::{AccountId, AppId, DispositionId, FlowId, RoutingProfileId, SkillId};
use sqlx::{AnyConnection, Row};

/// Tables holding one JSON document per row (`config` column) with a unique `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocTable {
    Queues,
    Flows,
    RoutingProfiles,
    Wallboards,
}

impl DocTable {
    fn table(self) -> &'static str {
        match self {
            DocTable::Queues => "queues",
            DocTable::Flows => "flows",
            DocTable::RoutingProfiles => "routing_profiles",
            DocTable::Wallboards => "wallboards",
        }
    }
    fn id_column(self) -> &'static str {
        match self {
            DocTable::Queues => "queue_id",
            DocTable::Flows => "flow_id",
            DocTable::RoutingProfiles => "profile_id",
            DocTable::Wallboards => "wallboard_id",
        }
    }
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Insert or replace a document.
pub async fn put_doc<T: Serialize>(
    conn: &mut AnyConnection,
    table: DocTable,
    account: AccountId,
    id: &str,
    name: &str,
    doc: &T,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {t} ({id}, account_id, name, config) VALUES ($1, $2, $3, $4)
         ON CONFLICT ({id}) DO UPDATE SET name = excluded.name, config = excluded.config",
        t = table.table(),
        id = table.id_column()
    );
    sqlx::query(&sql)
        .bind(id)
        .bind(account.to_string())
        .bind(name)
        .bind(super::json(doc))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get_doc<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    table: DocTable,
    account: AccountId,
    id: &str,
) -> Result<Option<T>> {
    let sql = format!(
        "SELECT config FROM {t} WHERE {id} = $1 AND account_id = $2",
        t = table.table(),
        id = table.id_column()
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(|r| from_json(table.table(), &r.try_get::<String, _>("config")?))
        .transpose()
}

pub async fn list_docs<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    table: DocTable,
    account: AccountId,
) -> Result<Vec<T>> {
    let sql = format!(
        "SELECT config FROM {t} WHERE account_id = $1 ORDER BY name",
        t = table.table()
    );
    let rows = sqlx::query(&sql)
        .bind(account.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| from_json(table.table(), &r.try_get::<String, _>("config")?))
        .collect()
}

/// Delete; `NotFound` if there was nothing to delete.
pub async fn delete_doc(
    conn: &mut AnyConnection,
    table: DocTable,
    account: AccountId,
    id: &str,
) -> Result<()> {
    let sql = format!(
        "DELETE FROM {t} WHERE {id} = $1 AND account_id = $2",
        t = table.table(),
        id = table.id_column()
    );
    super::delete_one(conn, &sql, id, &account.to_string()).await
}

// ---- skills and dispositions ------------------------------------------------------------------

pub async fn put_skill(conn: &mut AnyConnection, account: AccountId, skill: &Skill) -> Result<()> {
    sqlx::query(
        "INSERT INTO skills (skill_id, account_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (skill_id) DO UPDATE SET name = excluded.name",
    )
    .bind(skill.skill_id.to_string())
    .bind(account.to_string())
    .bind(&skill.name)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_skills(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<Skill>> {
    let rows = sqlx::query("SELECT skill_id, name FROM skills WHERE account_id = $1 ORDER BY name")
        .bind(account.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Skill {
                skill_id: parse_id(&r.try_get::<String, _>("skill_id")?)?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub async fn delete_skill(conn: &mut AnyConnection, account: AccountId, id: SkillId) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM skills WHERE skill_id = $1 AND account_id = $2",
        &id.to_string(),
        &account.to_string(),
    )
    .await
}

pub async fn put_disposition(
    conn: &mut AnyConnection,
    account: AccountId,
    d: &Disposition,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dispositions (disposition_id, account_id, name, code) VALUES ($1, $2, $3, $4)
         ON CONFLICT (disposition_id) DO UPDATE SET name = excluded.name, code = excluded.code",
    )
    .bind(d.disposition_id.to_string())
    .bind(account.to_string())
    .bind(&d.name)
    .bind(d.code.clone())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_dispositions(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<Disposition>> {
    let rows = sqlx::query(
        "SELECT disposition_id, name, code FROM dispositions WHERE account_id = $1 ORDER BY name",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Disposition {
                disposition_id: parse_id(&r.try_get::<String, _>("disposition_id")?)?,
                name: r.try_get("name")?,
                code: r.try_get("code")?,
            })
        })
        .collect()
}

pub async fn delete_disposition(
    conn: &mut AnyConnection,
    account: AccountId,
    id: DispositionId,
) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM dispositions WHERE disposition_id = $1 AND account_id = $2",
        &id.to_string(),
        &account.to_string(),
    )
    .await
}

// ---- side-panel apps -----------------------------------------------------------------------------

pub async fn put_app(conn: &mut AnyConnection, account: AccountId, app: &App) -> Result<()> {
    sqlx::query(
        "INSERT INTO apps (app_id, account_id, name, url, icon_url) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (app_id) DO UPDATE SET name = excluded.name, url = excluded.url,
             icon_url = excluded.icon_url
         WHERE apps.account_id = excluded.account_id",
    )
    .bind(app.app_id.to_string())
    .bind(account.to_string())
    .bind(&app.name)
    .bind(&app.url)
    .bind(app.icon_url.clone())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_apps(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<App>> {
    let rows = sqlx::query(
        "SELECT app_id, name, url, icon_url FROM apps WHERE account_id = $1 ORDER BY name",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(App {
                app_id: parse_id(&r.try_get::<String, _>("app_id")?)?,
                name: r.try_get("name")?,
                url: r.try_get("url")?,
                icon_url: r.try_get("icon_url")?,
            })
        })
        .collect()
}

/// Every registered app's address, in every account (the widget's pages may frame them all:
/// which account a page belongs to is known only after sign-in).
/// Every registered app's page URL and icon URL (when set), across accounts: the widget's
/// page policy lists their origins.
pub async fn all_app_urls(conn: &mut AnyConnection) -> Result<Vec<(String, Option<String>)>> {
    let rows = sqlx::query("SELECT DISTINCT url, icon_url FROM apps")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("url")?,
                r.try_get::<Option<String>, _>("icon_url")?,
            ))
        })
        .collect()
}

pub async fn delete_app(conn: &mut AnyConnection, account: AccountId, id: AppId) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM apps WHERE app_id = $1 AND account_id = $2",
        &id.to_string(),
        &account.to_string(),
    )
    .await
}

// ---- entry points ------------------------------------------------------------------------------

/// An entry point and the routing profile applied to engagements started through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EntryRecord {
    #[serde(flatten)]
    pub entry: EntryPoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<RoutingProfileId>,
}

pub async fn put_entry(
    conn: &mut AnyConnection,
    account: AccountId,
    e: &EntryRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO entry_points (account_id, entry_id, flow_id, profile_id, description, address, chat, survey)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (account_id, entry_id) DO UPDATE SET flow_id = excluded.flow_id,
             profile_id = excluded.profile_id, description = excluded.description,
             address = excluded.address, chat = excluded.chat, survey = excluded.survey",
    )
    .bind(account.to_string())
    .bind(&e.entry.entry_id.0)
    .bind(e.entry.flow_id.to_string())
    .bind(e.profile_id.map(|p| p.to_string()))
    .bind(e.entry.description.clone())
    .bind(e.entry.address.clone())
    .bind(
        e.entry
            .chat
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("chat settings serialize")),
    )
    .bind(
        e.entry
            .survey
            .as_ref()
            .map(|c| serde_json::to_string(c).expect("survey settings serialize")),
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<EntryRecord> {
    let profile: Option<String> = r.try_get("profile_id")?;
    Ok(EntryRecord {
        entry: EntryPoint {
            entry_id: shared::ids::EntryId(r.try_get("entry_id")?),
            flow_id: parse_id(&r.try_get::<String, _>("flow_id")?)?,
            description: r.try_get("description")?,
            address: r.try_get("address")?,
            chat: r
                .try_get::<Option<String>, _>("chat")?
                .map(|c| from_json("entry point chat settings", &c))
                .transpose()?,
            survey: r
                .try_get::<Option<String>, _>("survey")?
                .map(|c| from_json("entry point survey", &c))
                .transpose()?,
        },
        profile_id: profile.as_deref().map(parse_id).transpose()?,
    })
}

pub async fn get_entry(
    conn: &mut AnyConnection,
    account: AccountId,
    entry_id: &str,
) -> Result<Option<EntryRecord>> {
    let row = sqlx::query(
        "SELECT entry_id, flow_id, profile_id, description, address, chat, survey FROM entry_points WHERE account_id = $1 AND entry_id = $2",
    )
    .bind(account.to_string())
    .bind(entry_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(entry_from_row).transpose()
}

pub async fn list_entries(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<EntryRecord>> {
    let rows = sqlx::query(
        "SELECT entry_id, flow_id, profile_id, description, address, chat, survey FROM entry_points WHERE account_id = $1 ORDER BY entry_id",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

pub async fn delete_entry(
    conn: &mut AnyConnection,
    account: AccountId,
    entry_id: &str,
) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM entry_points WHERE account_id = $1 AND entry_id = $2",
        &account.to_string(),
        entry_id,
    )
    .await
}

/// Entry points that start `flow` (to refuse deleting a flow in use).
pub async fn entries_using_flow(
    conn: &mut AnyConnection,
    account: AccountId,
    flow: FlowId,
) -> Result<Vec<String>> {
    let rows =
        sqlx::query("SELECT entry_id FROM entry_points WHERE account_id = $1 AND flow_id = $2")
            .bind(account.to_string())
            .bind(flow.to_string())
            .fetch_all(conn)
            .await?;
    rows.iter().map(|r| Ok(r.try_get("entry_id")?)).collect()
}

// ---- account settings --------------------------------------------------------------------------

pub async fn busy_rules(conn: &mut AnyConnection, account: AccountId) -> Result<BusyAgentRules> {
    let row = sqlx::query("SELECT busy_rules FROM account_settings WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_optional(conn)
        .await?;
    match row {
        Some(r) => from_json("busy_rules", &r.try_get::<String, _>("busy_rules")?),
        None => Ok(BusyAgentRules::default()),
    }
}

pub async fn put_busy_rules(
    conn: &mut AnyConnection,
    account: AccountId,
    rules: &BusyAgentRules,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_settings (account_id, busy_rules) VALUES ($1, $2)
         ON CONFLICT (account_id) DO UPDATE SET busy_rules = excluded.busy_rules",
    )
    .bind(account.to_string())
    .bind(super::json(rules))
    .execute(conn)
    .await?;
    Ok(())
}

// ---- API clients -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiClientRecord {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<crate::auth::Scope>,
    #[serde(skip)]
    pub account: Option<AccountId>,
    #[serde(skip)]
    pub secret_hash: String,
}

pub async fn insert_client(
    conn: &mut AnyConnection,
    account: AccountId,
    c: &ApiClientRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_clients (client_id, account_id, name, secret_hash, scopes, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&c.client_id)
    .bind(account.to_string())
    .bind(&c.name)
    .bind(&c.secret_hash)
    .bind(super::json(&c.scopes))
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

fn client_from_row(r: &sqlx::any::AnyRow) -> Result<ApiClientRecord> {
    Ok(ApiClientRecord {
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        scopes: from_json("scopes", &r.try_get::<String, _>("scopes")?)?,
        account: Some(parse_id(&r.try_get::<String, _>("account_id")?)?),
        secret_hash: r.try_get("secret_hash")?,
    })
}

pub async fn get_client(
    conn: &mut AnyConnection,
    client_id: &str,
) -> Result<Option<ApiClientRecord>> {
    let row = sqlx::query("SELECT client_id, account_id, name, secret_hash, scopes FROM api_clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(client_from_row).transpose()
}

pub async fn list_clients(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<ApiClientRecord>> {
    let rows = sqlx::query(
        "SELECT client_id, account_id, name, secret_hash, scopes FROM api_clients WHERE account_id = $1 ORDER BY name",
    )
    .bind(account.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(client_from_row).collect()
}

pub async fn delete_client(
    conn: &mut AnyConnection,
    account: AccountId,
    client_id: &str,
) -> Result<()> {
    super::delete_one(
        conn,
        "DELETE FROM api_clients WHERE client_id = $1 AND account_id = $2",
        client_id,
        &account.to_string(),
    )
    .await
}

/// Replace a client's secret hash.
pub async fn set_client_secret(
    conn: &mut AnyConnection,
    account: AccountId,
    client_id: &str,
    secret_hash: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE api_clients SET secret_hash = $3 WHERE client_id = $1 AND account_id = $2",
    )
    .bind(client_id)
    .bind(account.to_string())
    .bind(secret_hash)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}

// ---- accounts and the server key ---------------------------------------------------------------

impl Store {
    /// The account a single-tenant deployment uses: the oldest one, created on first start.
    pub async fn default_account(&self) -> Result<AccountId> {
        let mut tx = self.begin().await?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT account_id FROM accounts ORDER BY created_at_ms, account_id LIMIT 1",
        )
        .fetch_optional(tx.conn().await?)
        .await?;
        let id = match existing {
            Some(id) => parse_id(&id)?,
            None => {
                let id = AccountId(uuid::Uuid::now_v7());
                sqlx::query(
                    "INSERT INTO accounts (account_id, name, created_at_ms) VALUES ($1, $2, $3)",
                )
                .bind(id.to_string())
                .bind("default")
                .bind(now_ms())
                .execute(tx.conn().await?)
                .await?;
                id
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    /// The token-signing key, generated once and shared by every instance on this database.
    pub async fn server_key(&self) -> Result<Vec<u8>> {
        let mut tx = self.begin().await?;
        let candidate: String = rand::random::<[u8; 32]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sqlx::query(
            "INSERT INTO server_keys (key_id, secret_hex, created_at_ms) VALUES (1, $1, $2) ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(candidate)
        .bind(now_ms())
        .execute(tx.conn().await?)
        .await?;
        let hex: String = sqlx::query_scalar("SELECT secret_hex FROM server_keys WHERE key_id = 1")
            .fetch_one(tx.conn().await?)
            .await?;
        tx.commit().await?;
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| StoreError::Corrupt("server key".into()))
    }
}

pub(crate) fn parse_id<T: std::str::FromStr>(value: &str) -> Result<T> {
    super::parse("id", value)
}
