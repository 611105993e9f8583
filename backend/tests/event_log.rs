//! The durable event log on SQLite and PostgreSQL: appended in the caller's transaction,
//! gone with a rollback, ordered and gap-free for readers even under concurrent writers.

use backend::store::{NewEvent, Store};
use shared::events::EventKind;
use shared::ids::{AccountId, EngagementId};
use std::collections::BTreeSet;
use std::time::Duration;
use tests::both_stores;
use tests::db::TestDb;

fn account(n: u128) -> AccountId {
    AccountId(uuid::Uuid::from_u128(n))
}

fn event(account_id: AccountId, kind: EventKind, n: u64) -> NewEvent {
    NewEvent {
        account_id,
        kind,
        engagement_id: Some(EngagementId(uuid::Uuid::from_u128(u128::from(n) + 1000))),
        agent_id: None,
        // Any payload will do; `reason` carries the number, `session_id` text that needs escaping.
        data: shared::Payload::Session {
            agent_id: shared::ids::AgentId(uuid::Uuid::from_u128(7)),
            session_id: Some("note ✓ with \"quotes\"".into()),
            reason: Some(n.to_string()),
        },
    }
}

async fn appended_events_read_back_in_order(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let acc = account(1);
    let mut tx = store.begin().await.unwrap();
    let (first, second) = (
        event(acc, EventKind::EngagementCreated, 1),
        event(acc, EventKind::EngagementOffered, 2),
    );
    tx.append(first.clone()).await.unwrap();
    tx.append(second.clone()).await.unwrap();
    tx.commit().await.unwrap();

    let read = store.events_after(acc, 0, 100).await.unwrap();
    assert_eq!(read.len(), 2, "read back exactly what was appended");
    let (a, b) = (read[0].clone(), read[1].clone());
    assert!(b.seq > a.seq, "in the order appended");
    for (got, sent) in [(&a, &first), (&b, &second)] {
        assert_eq!(got.kind, sent.kind);
        assert_eq!(got.account_id, sent.account_id);
        assert_eq!(got.engagement_id, sent.engagement_id);
        assert_eq!(got.agent_id, sent.agent_id);
        assert_eq!(got.data, serde_json::to_value(&sent.data).unwrap());
    }
    assert_eq!(read[1].data["session_id"], "note ✓ with \"quotes\"");
    assert_eq!(
        store.events_after(acc, a.seq, 100).await.unwrap(),
        vec![b.clone()]
    );
    assert!(store
        .events_after(acc, b.seq, 100)
        .await
        .unwrap()
        .is_empty());
    assert!(
        store
            .events_after(account(2), 0, 100)
            .await
            .unwrap()
            .is_empty(),
        "accounts are separate"
    );
    assert_eq!(
        store
            .engagement_events(a.engagement_id.unwrap())
            .await
            .unwrap(),
        vec![a]
    );
    assert_eq!(store.latest_seq().await.unwrap(), b.seq);
}

async fn rolled_back_events_never_exist(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let acc = account(1);
    let mut watch = store.watch_committed();
    let before = *watch.borrow_and_update();

    let mut tx = store.begin().await.unwrap();
    tx.append(event(acc, EventKind::EngagementCreated, 1))
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    tx.append(event(acc, EventKind::EngagementCreated, 2))
        .await
        .unwrap();
    drop(tx); // dropped without commit

    assert!(store.events_after(acc, 0, 100).await.unwrap().is_empty());
    assert!(
        !watch.has_changed().unwrap(),
        "no wake-up for rolled-back events"
    );
    assert_eq!(*watch.borrow(), before);

    let mut tx = store.begin().await.unwrap();
    tx.append(event(acc, EventKind::EngagementCreated, 3))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), watch.changed())
        .await
        .unwrap()
        .unwrap();
    let committed = store.events_after(acc, 0, 100).await.unwrap();
    assert_eq!(committed.len(), 1);
    assert_eq!(
        *watch.borrow(),
        committed[0].seq,
        "watchers learn the committed seq"
    );
}

async fn events_survive_a_reconnect(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append(event(account(1), EventKind::EngagementClosed, 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let e = store.events_after(account(1), 0, 10).await.unwrap()[0].clone();
    store.close().await;

    // Migrations run again on connect and must be a no-op.
    let again = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        again.events_after(account(1), 0, 10).await.unwrap(),
        vec![e.clone()]
    );
    assert_eq!(*again.watch_committed().borrow(), e.seq);
}

async fn page_size_is_bounded(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for n in 0..5 {
        tx.append(event(account(1), EventKind::EngagementNoteAdded, n))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.events_after(account(1), 0, 2).await.unwrap().len(), 2);
    assert_eq!(
        store.events_after(account(1), 0, 0).await.unwrap().len(),
        1,
        "limit is at least 1"
    );
    assert_eq!(
        store.events_after(account(1), 0, -5).await.unwrap().len(),
        1
    );
}

/// Many writers append while a reader follows the log by `seq` the way the polling API and
/// WebSockets do. The reader must end up with every committed event exactly once: a reader
/// that skipped an event committed late with a lower `seq` would fail here.
async fn a_following_reader_sees_every_event_once(db: TestDb) {
    let store = Store::connect(&db.url).await.unwrap();
    let acc = account(7);
    const WRITERS: u64 = 6;
    const PER_WRITER: u64 = 25;

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut committed = Vec::new();
            for i in 0..PER_WRITER {
                let mut tx = store.begin().await.unwrap();
                let n = w * 1000 + i;
                tx.append(event(acc, EventKind::EngagementNoteAdded, n))
                    .await
                    .unwrap();
                // Hold the transaction open a little so commits interleave.
                tokio::time::sleep(Duration::from_millis((w + i) % 3)).await;
                if i % 5 == 4 {
                    tx.rollback().await.unwrap();
                } else {
                    tx.commit().await.unwrap();
                    committed.push(n);
                }
            }
            committed
        }));
    }

    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            let expected = (WRITERS * PER_WRITER * 4 / 5) as usize;
            while seen.len() < expected && tokio::time::Instant::now() < deadline {
                for e in store.events_after(acc, cursor, 50).await.unwrap() {
                    assert!(e.seq > cursor);
                    cursor = e.seq;
                    seen.push(
                        e.data["reason"]
                            .as_str()
                            .and_then(|n| n.parse::<u64>().ok())
                            .expect("n"),
                    );
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };

    let mut committed = BTreeSet::new();
    for w in writers {
        committed.extend(w.await.unwrap());
    }
    let seen = reader.await.unwrap();
    let seen_set: BTreeSet<_> = seen.iter().copied().collect();
    assert_eq!(seen.len(), seen_set.len(), "no event delivered twice");
    assert_eq!(
        seen_set, committed,
        "the following reader saw exactly the committed events"
    );
}

both_stores!(
    appended_events_read_back_in_order,
    rolled_back_events_never_exist,
    events_survive_a_reconnect,
    page_size_is_bounded,
    a_following_reader_sees_every_event_once,
);

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let store = Store::connect(path.to_str().unwrap()).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append(event(account(1), EventKind::EngagementCreated, 1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(path.is_file(), "database file created");
    assert!(
        dir.path().join("fresh.db-wal").is_file(),
        "WAL journal in use"
    );
    store.close().await;
}

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let err = Store::connect("mysql://localhost/x")
        .await
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("unsupported database URL scheme"),
        "{err}"
    );
}
