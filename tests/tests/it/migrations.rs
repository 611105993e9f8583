//! The schema is written twice, once per store's dialect (`backend/migrations/sqlite` and
//! `backend/migrations/postgres`). Both copies must build the same schema: the same migration
//! files, and after running them the same tables, the same columns (and which of them may be
//! NULL) and the same unique keys. Column types and index predicates are dialect-specific and
//! are not compared.

use sqlx::{Connection, Row};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tests::db::TestDb;

/// Everything compared: `table`, `table.column NOT NULL|NULL`, `table UNIQUE(a,b)`.
type Schema = BTreeSet<String>;

fn migrations(store: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../backend/migrations")
        .join(store)
}

fn file_names(store: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(migrations(store))
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_stores_have_the_same_migration_files() {
    let sqlite = file_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, file_names("postgres"));
}

fn column(table: &str, name: &str, not_null: bool) -> String {
    format!(
        "{table}.{name} {}",
        if not_null { "NOT NULL" } else { "NULL" }
    )
}

fn unique(table: &str, mut columns: Vec<String>) -> String {
    columns.sort();
    format!("{table} UNIQUE({})", columns.join(","))
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
        .await
        .expect("sqlite");
    sqlx::migrate::Migrator::new(migrations("sqlite"))
        .await
        .expect("sqlite migrations")
        .run(&mut conn)
        .await
        .expect("sqlite migrations run");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut schema = Schema::new();
    for table in tables {
        schema.insert(table.clone());
        let columns = sqlx::query("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .expect("columns");
        let mut key = Vec::new();
        for c in &columns {
            let (name, not_null, pk): (String, i64, i64) = (c.get(0), c.get(1), c.get(2));
            // A primary key's column is never NULL, whatever SQLite's flag says.
            schema.insert(column(&table, &name, not_null == 1 || pk > 0));
            if pk > 0 {
                key.push(name);
            }
        }
        if !key.is_empty() {
            schema.insert(unique(&table, key));
        }
        let indexes = sqlx::query("SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1")
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .expect("indexes");
        for index in indexes {
            let index: String = index.get(0);
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_index_info(?)")
                .bind(&index)
                .fetch_all(&mut conn)
                .await
                .expect("index columns");
            schema.insert(unique(&table, columns));
        }
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
    sqlx::migrate::Migrator::new(migrations("postgres"))
        .await
        .expect("postgres migrations")
        .run(&mut conn)
        .await
        .expect("postgres migrations run");
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, is_nullable = 'NO' \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    for c in columns {
        let (table, name, not_null): (String, String, bool) = (c.get(0), c.get(1), c.get(2));
        schema.insert(table.clone());
        schema.insert(column(&table, &name, not_null));
    }
    let keys = sqlx::query(
        "SELECT t.relname::text, array_agg(a.attname::text) \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
         WHERE i.indisunique AND n.nspname = 'public' AND t.relname <> '_sqlx_migrations' \
         GROUP BY i.indexrelid, t.relname",
    )
    .fetch_all(&mut conn)
    .await
    .expect("unique keys");
    for k in keys {
        let (table, columns): (String, Vec<String>) = (k.get(0), k.get(1));
        schema.insert(unique(&table, columns));
    }
    schema
}

#[tokio::test]
async fn both_stores_build_the_same_tables_columns_and_unique_keys() {
    let Some(pg) = TestDb::postgres("migrations_parity").await else {
        return;
    };
    let sqlite = TestDb::sqlite();
    let lite = sqlite_schema(&sqlite.url).await;
    let postgres = postgres_schema(&pg.url).await;
    assert!(lite.len() > 50, "read too little of the schema: {lite:?}");
    let only_sqlite: Vec<&String> = lite.difference(&postgres).collect();
    let only_postgres: Vec<&String> = postgres.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the two migration copies differ\n  only in SQLite: {only_sqlite:#?}\n  only in PostgreSQL: {only_postgres:#?}"
    );
}
