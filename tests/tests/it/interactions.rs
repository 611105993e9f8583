//! Recordings, transcripts and the interaction-data lists, black-box on SQLite and
//! PostgreSQL: a connector uploads, the CRM is told by webhook, lists by each
//! `query_date_type`, downloads only with credentials (and with `Range`).

use serde_json::{json, Value};
use std::time::Duration;
use tests::api::{server_options, Api, Center};
use tests::both_stores;
use tests::db::TestDb;
use tests::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

async fn center(db: TestDb, max_upload: Option<u64>) -> Center {
    let mut options = server_options();
    if let Some(max) = max_upload {
        options
            .extra_args
            .extend(["--max-upload-bytes".into(), max.to_string()]);
    }
    Center::start_with(db, options, 1).await
}

/// An API client with `scopes`.
async fn client(c: &Center, scopes: &[&str]) -> Api {
    let made = c
        .admin
        .post(
            "/v1/api-clients",
            json!({"name": scopes.join(" "), "scopes": scopes}),
        )
        .await
        .expect(201);
    c.anon()
        .client(
            made["client_id"].as_str().unwrap(),
            made["client_secret"].as_str().unwrap(),
        )
        .await
}

/// POST raw bytes with a content type (and optional bearer token).
async fn send_bytes(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, url)
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get_file(url: &str, token: Option<&str>, range: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

fn audio(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

/// A recordings scenario's parts: the center, the CRM's receiver, a connector that uploads
/// (`recordings:write`), a reader (`recordings:read`) and the engagement recorded.
struct Recorded {
    c: Center,
    receiver: Receiver,
    connector: Api,
    reader: Api,
    engagement: String,
}

impl Recorded {
    /// The upload address for a recording of the engagement from `start` to `end`.
    fn upload(&self, start: &str, end: &str) -> String {
        format!(
            "{}/v1/engagements/{}/recordings?recording_start_time={start}&recording_end_time={end}",
            self.c.server.base_url, self.engagement
        )
    }
}

async fn recordings_are_uploaded_announced_listed_and_downloaded_with_credentials(db: TestDb) {
    let c = center(db, None).await;
    let receiver = Receiver::start(Some(SECRET)).await;
    c.admin
        .post(
            "/v1/webhooks",
            json!({"url": receiver.url, "secret": SECRET,
                   "events": ["contact_center.recording_completed", "contact_center.recording_transcript_completed"]}),
        )
        .await
        .expect(201);
    let connector = client(&c, &["recordings:write"]).await;
    let reader = client(&c, &["recordings:read"]).await;
    let engagement = c.start_work_item("REC-1", "Call back").await;
    let s = Recorded {
        c,
        receiver,
        connector,
        reader,
        engagement,
    };
    let (rec, bytes) = a_long_recording_is_uploaded_and_announced(&s).await;
    let download_url = rec["download_url"].as_str().unwrap();
    downloads_need_credentials_and_honour_ranges(&s, download_url, &bytes).await;
    recordings_list_by_each_date_type_and_page(&s).await;
    a_transcript_is_announced_and_downloadable(&s, rec["recording_id"].as_str().unwrap()).await;
    bad_uploads_are_refused_with_reasons(&s).await;
}

/// 2 MB (more than the JSON body limit, so the upload must stream) uploaded; the CRM is told,
/// with everything it needs to fetch the file. The recording and its bytes.
async fn a_long_recording_is_uploaded_and_announced(s: &Recorded) -> (Value, Vec<u8>) {
    let bytes = audio(2 * 1024 * 1024 + 17);
    let (status, rec) = send_bytes(
        reqwest::Method::POST,
        &s.upload("2026-11-30T23:50:00Z", "2026-12-01T00:10:30Z"),
        s.connector.token.as_deref(),
        "audio/wav",
        bytes.clone(),
    )
    .await;
    assert_eq!(status, 201, "{rec}");
    assert_eq!(rec["recording_duration"], 1230);
    assert_eq!(rec["size_bytes"], bytes.len());
    assert_eq!(rec["engagement_id"], s.engagement.as_str());
    let download_url = rec["download_url"].as_str().unwrap().to_string();
    assert!(
        download_url.starts_with(&s.c.server.base_url),
        "{download_url}"
    );

    // The CRM is told, with everything it needs to fetch the file.
    let hook = s
        .receiver
        .wait_for("contact_center.recording_completed", WAIT)
        .await;
    assert!(hook.standard_ok && hook.zoom_ok);
    let object = &hook.json["payload"]["object"];
    assert_eq!(object["recording"]["download_url"], download_url.as_str());
    assert_eq!(object["recording"]["recording_duration"], 1230);
    assert_eq!(object["engagement_id"], s.engagement.as_str());
    (rec, bytes)
}

/// Downloads need credentials with recordings:read, and say so; `Range` is honoured.
async fn downloads_need_credentials_and_honour_ranges(
    s: &Recorded,
    download_url: &str,
    bytes: &[u8],
) {
    let anon = get_file(download_url, None, None).await;
    assert_eq!(anon.status(), 401);
    let body: Value = anon.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recordings:read"),
        "{body}"
    );
    assert_eq!(
        get_file(download_url, s.c.integrator.token.as_deref(), None)
            .await
            .status(),
        403
    );
    let whole = get_file(download_url, s.reader.token.as_deref(), None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "audio/wav");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes.to_vec());
    let part = get_file(
        download_url,
        s.reader.token.as_deref(),
        Some("bytes=1000-1999"),
    )
    .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        bytes[1000..2000].to_vec()
    );
    let tail = get_file(download_url, s.reader.token.as_deref(), Some("bytes=-10")).await;
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        bytes[bytes.len() - 10..].to_vec()
    );
    let outside = get_file(
        download_url,
        s.reader.token.as_deref(),
        Some("bytes=99999999-"),
    )
    .await;
    assert_eq!(outside.status(), 416);
    assert_eq!(
        outside.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    // An end past u64's last value but one: the rest of the file, never an overflow.
    for (header, start) in [
        ("bytes=0-18446744073709551615", 0usize),
        ("bytes=5-18446744073709551615", 5),
    ] {
        let huge = get_file(download_url, s.reader.token.as_deref(), Some(header)).await;
        assert_eq!(huge.status(), 206, "{header}");
        assert_eq!(
            huge.headers()["content-range"],
            format!("bytes {start}-{}/{}", bytes.len() - 1, bytes.len()).as_str(),
            "{header}"
        );
        assert_eq!(
            huge.headers()["content-length"],
            (bytes.len() - start).to_string().as_str()
        );
        assert_eq!(
            huge.bytes().await.unwrap().to_vec(),
            bytes[start..].to_vec()
        );
    }
}

/// A second recording that starts on Dec 1: the two query_date_types differ; pages carry on
/// with a token; bad queries are refused naming the field.
async fn recordings_list_by_each_date_type_and_page(s: &Recorded) {
    let (status, _) = send_bytes(
        reqwest::Method::POST,
        &s.upload("2026-12-01T08:00:00Z", "2026-12-01T08:01:00Z"),
        s.connector.token.as_deref(),
        "audio/mpeg",
        audio(1000),
    )
    .await;
    assert_eq!(status, 201);
    let by_start = s
        .reader
        .get("/v1/recordings?from=2026-12-01&to=2026-12-01")
        .await
        .expect(200);
    assert_eq!(by_start["items"].as_array().unwrap().len(), 1, "{by_start}");
    assert_eq!(by_start["items"][0]["content_type"], "audio/mpeg");
    let by_end = s
        .reader
        .get("/v1/recordings?from=2026-12-01&to=2026-12-01&query_date_type=recording_end_time")
        .await
        .expect(200);
    assert_eq!(by_end["items"].as_array().unwrap().len(), 2, "{by_end}");
    // Paging: one per page, the token carries on, the last page has none.
    let first = s.reader
        .get("/v1/recordings?from=2026-12-01&to=2026-12-01&query_date_type=recording_end_time&page_size=1")
        .await
        .expect(200);
    let token = first["next_page_token"].as_str().unwrap();
    let second = s.reader
        .get(&format!("/v1/recordings?from=2026-12-01&to=2026-12-01&query_date_type=recording_end_time&page_size=1&next_page_token={token}"))
        .await
        .expect(200);
    assert!(second.get("next_page_token").is_none(), "{second}");
    assert_ne!(
        first["items"][0]["recording_id"],
        second["items"][0]["recording_id"]
    );
    s.reader
        .get("/v1/recordings?from=2026-10-01&to=2026-12-01")
        .await
        .error(422, "invalid_field", Some("to"));
    s.reader
        .get("/v1/recordings?query_date_type=start_time")
        .await
        .error(422, "invalid_field", Some("query_date_type"));
    s.reader
        .get("/v1/recordings?next_page_token=forged")
        .await
        .error(422, "invalid_field", Some("next_page_token"));
}

/// A transcript for the recording: announced, linked, downloadable; not WebVTT is refused.
async fn a_transcript_is_announced_and_downloadable(s: &Recorded, rec_id: &str) {
    let vtt = b"WEBVTT\n\n00:00.000 --> 00:02.000\nAgent: Hello, how can I help?\n".to_vec();
    let (status, with_transcript) = send_bytes(
        reqwest::Method::PUT,
        &format!("{}/v1/recordings/{rec_id}/transcript", s.c.server.base_url),
        s.connector.token.as_deref(),
        "text/vtt",
        vtt.clone(),
    )
    .await;
    assert_eq!(status, 200, "{with_transcript}");
    let transcript_url = with_transcript["transcript_url"].as_str().unwrap();
    let hook = s
        .receiver
        .wait_for("contact_center.recording_transcript_completed", WAIT)
        .await;
    assert_eq!(
        hook.json["payload"]["object"]["recording"]["transcript_url"],
        transcript_url
    );
    assert_eq!(get_file(transcript_url, None, None).await.status(), 401);
    let got = get_file(transcript_url, s.reader.token.as_deref(), None).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), vtt);
    let (status, bad) = send_bytes(
        reqwest::Method::PUT,
        &format!("{}/v1/recordings/{rec_id}/transcript", s.c.server.base_url),
        s.connector.token.as_deref(),
        "text/vtt",
        b"not webvtt".to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
}

/// Refusals: wrong media type, bad times, no such engagement, no scope.
async fn bad_uploads_are_refused_with_reasons(s: &Recorded) {
    let (status, body) = send_bytes(
        reqwest::Method::POST,
        &s.upload("2026-12-01T08:00:00Z", "2026-12-01T08:01:00Z"),
        s.connector.token.as_deref(),
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, body) = send_bytes(
        reqwest::Method::POST,
        &s.upload("2026-12-01T08:00:00Z", "2026-12-01T07:00:00Z"),
        s.connector.token.as_deref(),
        "audio/wav",
        audio(10),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "recording_end_time");
    let (status, body) = send_bytes(
        reqwest::Method::POST,
        &s.upload("noon", "2026-12-01T07:00:00Z"),
        s.connector.token.as_deref(),
        "audio/wav",
        audio(10),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "recording_start_time");
    let (status, _) = send_bytes(
        reqwest::Method::POST,
        &format!("{}/v1/engagements/00000000-0000-7000-8000-000000000000/recordings?recording_start_time=2026-12-01T08:00:00Z&recording_end_time=2026-12-01T08:01:00Z", s.c.server.base_url),
        s.connector.token.as_deref(),
        "audio/wav",
        audio(10),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send_bytes(
        reqwest::Method::POST,
        &s.upload("2026-12-01T08:00:00Z", "2026-12-01T08:01:00Z"),
        s.reader.token.as_deref(),
        "audio/wav",
        audio(10),
    )
    .await;
    assert_eq!(status, 403);
}

async fn uploads_over_the_limit_are_413(db: TestDb) {
    let c = center(db, Some(100_000)).await;
    let connector = client(&c, &["recordings:write"]).await;
    let engagement = c.start_work_item("BIG-1", "Too big").await;
    let (status, body) = send_bytes(
        reqwest::Method::POST,
        &format!("{}/v1/engagements/{engagement}/recordings?recording_start_time=2026-12-01T08:00:00Z&recording_end_time=2026-12-01T08:01:00Z", c.server.base_url),
        connector.token.as_deref(),
        "audio/wav",
        audio(100_001),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("100000"));
    let list = c.admin.get("/v1/recordings").await.expect(200);
    assert!(list["items"].as_array().unwrap().is_empty());
}

async fn messaging_transcripts_notes_and_dispositions_list_by_window(db: TestDb) {
    let c = center(db, None).await;
    let chat = a_chat_through_its_own_entry_point(&c).await;
    let connector = client(&c, &["recordings:write", "recordings:read"]).await;
    let messages = json!({"messages": [{"from": "consumer", "text": "Hi", "at": "2026-12-01T08:00:00Z"},
                                        {"from": "agent", "text": "Hello!", "at": "2026-12-01T08:00:05Z"}]});
    let (status, t) = send_bytes(
        reqwest::Method::PUT,
        &format!("{}/v1/engagements/{chat}/transcript", c.server.base_url),
        connector.token.as_deref(),
        "application/json",
        serde_json::to_vec(&messages).unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let url = t["transcript_url"].as_str().unwrap();
    let got = get_file(url, connector.token.as_deref(), None).await;
    assert_eq!(got.json::<Value>().await.unwrap(), messages);
    let events = c
        .admin
        .get(&format!(
            "/v1/events?event=engagement.messaging_transcript_completed&engagement_id={chat}"
        ))
        .await
        .expect(200);
    assert_eq!(
        events["events"][0]["data"]["transcript"]["transcript_url"],
        url
    );
    let listed = connector.get("/v1/transcripts").await.expect(200);
    assert_eq!(listed["items"][0]["engagement_id"], chat.as_str());
    // Work items have no messaging transcript.
    let work = c.start_work_item("WI-T", "No transcript").await;
    let (status, _) = send_bytes(
        reqwest::Method::PUT,
        &format!("{}/v1/engagements/{work}/transcript", c.server.base_url),
        connector.token.as_deref(),
        "text/plain",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status, 409);

    notes_and_dispositions_list_by_window(&c, &work).await;
}

/// A chat queue, flow and entry point, and a chat started through it: the chat's id.
async fn a_chat_through_its_own_entry_point(c: &Center) -> String {
    tests::chat::chat_queue_and_entry(c, "Chat", json!({"entry_id": "chat"})).await;
    c.integrator
        .post(
            "/v1/engagements",
            json!({"channels": [{"channel": "chat"}], "flow": {"flow_entry_id": "chat"},
                   "consumers": [{"consumer_display_name": "Lin"}]}),
        )
        .await
        .expect(201)["engagement_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Two notes and a disposition on the closed work item `work`: listed by page and by each
/// date type; bad queries name their field; agents may not list.
async fn notes_and_dispositions_list_by_window(c: &Center, work: &str) {
    let agent = c.agent(0).await;
    agent.set_ready().await;
    agent.accept_when_offered(work, WAIT).await;
    for body in ["first", "second"] {
        agent
            .post(
                &format!("/v1/engagements/{work}/notes"),
                json!({"body": body}),
            )
            .await
            .expect(201);
    }
    agent
        .put(
            &format!("/v1/engagements/{work}/disposition"),
            json!({"disposition_id": c.resolved_id}),
        )
        .await
        .expect(200);
    agent
        .post(&format!("/v1/engagements/{work}/close"), json!({}))
        .await
        .expect(200);
    let notes = c.integrator.get("/v1/notes?page_size=1").await.expect(200);
    assert_eq!(notes["items"][0]["body"], "first");
    let token = notes["next_page_token"].as_str().unwrap();
    let next = c
        .integrator
        .get(&format!("/v1/notes?page_size=1&next_page_token={token}"))
        .await
        .expect(200);
    assert_eq!(next["items"][0]["body"], "second");
    assert!(next.get("next_page_token").is_none());
    let by_end = c
        .integrator
        .get("/v1/notes?query_date_type=end_time")
        .await
        .expect(200);
    assert_eq!(by_end["items"].as_array().unwrap().len(), 2);
    assert!(by_end["items"][0]["engagement_end_time"].is_string());
    let dispositions = c
        .integrator
        .get("/v1/dispositions/assigned")
        .await
        .expect(200);
    let item = &dispositions["items"][0];
    assert_eq!(item["name"], "Resolved");
    assert_eq!(item["code"], "RESOLVED");
    assert_eq!(item["engagement_id"], work);
    assert_eq!(item["agent_id"], c.agents[0].0.as_str());
    let old = c
        .integrator
        .get("/v1/dispositions/assigned?from=2020-01-01&to=2020-01-31")
        .await
        .expect(200);
    assert!(old["items"].as_array().unwrap().is_empty());
    c.integrator
        .get("/v1/notes?query_date_type=recording_start_time")
        .await
        .error(422, "invalid_field", Some("query_date_type"));
    c.integrator
        .get("/v1/notes?page_size=0")
        .await
        .error(422, "invalid_field", Some("page_size"));
    agent.get("/v1/notes").await.error(403, "forbidden", None);
}

both_stores!(
    recordings_are_uploaded_announced_listed_and_downloaded_with_credentials,
    uploads_over_the_limit_are_413,
    messaging_transcripts_notes_and_dispositions_list_by_window,
);
