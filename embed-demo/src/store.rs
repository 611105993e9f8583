//! The CRM's own SQLite database: contacts, tickets, call logs and its settings.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub contact_id: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub company: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_id: String,
    pub subject: String,
    pub description: String,
    pub contact_id: String,
    pub priority: i64,
    pub status: String,
    pub engagement_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    pub engagement_id: String,
    pub contact_id: Option<String>,
    pub ticket_id: Option<String>,
    pub channel: String,
    pub direction: String,
    pub duration_secs: i64,
    pub notes: String,
    pub disposition: String,
    pub agent_email: String,
    pub logged_at_ms: i64,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    /// Open (creating if needed) and migrate; seeds demo records into an empty database.
    pub async fn open(url: &str) -> Result<Store> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let store = Store { pool };
        store.seed().await?;
        Ok(store)
    }

    async fn seed(&self) -> Result<()> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
            .fetch_one(&self.pool)
            .await?;
        if count > 0 {
            return Ok(());
        }
        let contacts = [
            (
                "C-1001",
                "Margaret Hamilton",
                "+1 555 0100",
                "margaret@apollo.test",
                "Apollo Guidance",
            ),
            (
                "C-1002",
                "Katherine Johnson",
                "+1 555 0101",
                "katherine@langley.test",
                "Langley Research",
            ),
            (
                "C-1003",
                "Alan Turing",
                "+44 20 7946 0102",
                "alan@bletchley.test",
                "Bletchley Park",
            ),
        ];
        for (id, name, phone, email, company) in contacts {
            sqlx::query("INSERT INTO contacts (contact_id, name, phone, email, company) VALUES (?, ?, ?, ?, ?)")
                .bind(id)
                .bind(name)
                .bind(phone)
                .bind(email)
                .bind(company)
                .execute(&self.pool)
                .await?;
        }
        let tickets = [
            (
                "T-2001",
                "Invoice 4471 charged twice",
                "The customer sees two charges for the October invoice.",
                "C-1001",
                3,
            ),
            (
                "T-2002",
                "Cannot reset password",
                "Reset emails never arrive.",
                "C-1002",
                1,
            ),
            (
                "T-2003",
                "Upgrade to the enterprise plan",
                "Wants a quote for 250 seats.",
                "C-1003",
                2,
            ),
        ];
        for (id, subject, description, contact, priority) in tickets {
            sqlx::query("INSERT INTO tickets (ticket_id, subject, description, contact_id, priority) VALUES (?, ?, ?, ?, ?)")
                .bind(id)
                .bind(subject)
                .bind(description)
                .bind(contact)
                .bind(priority)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        let rows = sqlx::query(
            "SELECT contact_id, name, phone, email, company FROM contacts ORDER BY contact_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(contact).collect()
    }

    pub async fn contact(&self, id: &str) -> Result<Option<Contact>> {
        let row = sqlx::query(
            "SELECT contact_id, name, phone, email, company FROM contacts WHERE contact_id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(contact).transpose()
    }

    /// Contacts whose phone (digits only) or email (case-insensitive) matches.
    pub async fn find_contacts(
        &self,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<Contact>> {
        let phone = phone.map(digits).filter(|p| p.len() >= 3);
        let email = email
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty());
        Ok(self
            .contacts()
            .await?
            .into_iter()
            .filter(|c| {
                phone.as_ref().is_some_and(|p| digits(&c.phone) == *p)
                    || email
                        .as_ref()
                        .is_some_and(|e| c.email.to_ascii_lowercase() == *e)
            })
            .collect())
    }

    /// Contacts whose name, email, company or id contains `text` (any case), or whose phone
    /// contains its digits (three or more): the agent's contact search from the widget.
    pub async fn search_contacts(&self, text: &str) -> Result<Vec<Contact>> {
        let needle = text.trim().to_lowercase();
        let number = digits(&needle);
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .contacts()
            .await?
            .into_iter()
            .filter(|c| {
                [&c.name, &c.email, &c.company, &c.contact_id]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&needle))
                    || (number.len() >= 3 && digits(&c.phone).contains(&number))
            })
            .collect())
    }

    pub async fn tickets(&self) -> Result<Vec<Ticket>> {
        let rows = sqlx::query("SELECT ticket_id, subject, description, contact_id, priority, status, engagement_id FROM tickets ORDER BY ticket_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(ticket).collect()
    }

    pub async fn ticket(&self, id: &str) -> Result<Option<Ticket>> {
        let row = sqlx::query("SELECT ticket_id, subject, description, contact_id, priority, status, engagement_id FROM tickets WHERE ticket_id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(ticket).transpose()
    }

    pub async fn set_ticket_engagement(&self, id: &str, engagement: &str) -> Result<()> {
        sqlx::query("UPDATE tickets SET engagement_id = ?, status = 'routed' WHERE ticket_id = ?")
            .bind(engagement)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Record a finished engagement; a second report of the same engagement changes nothing
    /// and returns false.
    pub async fn log_call(&self, log: &CallLog) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO call_logs (engagement_id, contact_id, ticket_id, channel, direction, duration_secs, notes, disposition, agent_email, logged_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (engagement_id) DO NOTHING",
        )
        .bind(&log.engagement_id)
        .bind(&log.contact_id)
        .bind(&log.ticket_id)
        .bind(&log.channel)
        .bind(&log.direction)
        .bind(log.duration_secs)
        .bind(&log.notes)
        .bind(&log.disposition)
        .bind(&log.agent_email)
        .bind(log.logged_at_ms)
        .execute(&self.pool)
        .await?;
        if let Some(ticket) = &log.ticket_id {
            sqlx::query("UPDATE tickets SET status = 'worked' WHERE ticket_id = ?")
                .bind(ticket)
                .execute(&self.pool)
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn call_logs(&self) -> Result<Vec<CallLog>> {
        let rows = sqlx::query("SELECT engagement_id, contact_id, ticket_id, channel, direction, duration_secs, notes, disposition, agent_email, logged_at_ms FROM call_logs ORDER BY logged_at_ms DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CallLog {
                    engagement_id: r.try_get(0)?,
                    contact_id: r.try_get(1)?,
                    ticket_id: r.try_get(2)?,
                    channel: r.try_get(3)?,
                    direction: r.try_get(4)?,
                    duration_secs: r.try_get(5)?,
                    notes: r.try_get(6)?,
                    disposition: r.try_get(7)?,
                    agent_email: r.try_get(8)?,
                    logged_at_ms: r.try_get(9)?,
                })
            })
            .collect()
    }

    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A phone number's digits, for matching numbers written differently.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn contact(r: &sqlx::sqlite::SqliteRow) -> Result<Contact> {
    Ok(Contact {
        contact_id: r.try_get(0)?,
        name: r.try_get(1)?,
        phone: r.try_get(2)?,
        email: r.try_get(3)?,
        company: r.try_get(4)?,
    })
}

fn ticket(r: &sqlx::sqlite::SqliteRow) -> Result<Ticket> {
    Ok(Ticket {
        ticket_id: r.try_get(0)?,
        subject: r.try_get(1)?,
        description: r.try_get(2)?,
        contact_id: r.try_get(3)?,
        priority: r.try_get(4)?,
        status: r.try_get(5)?,
        engagement_id: r.try_get(6)?,
    })
}
