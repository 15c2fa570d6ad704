use super::*;
use crate::clock::FixedClock;
use crate::social::testing::{ScriptedHttp, raw};
use crate::social::{ChannelId, HttpFailure, block_on};
use crate::store::MemoryStore;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_795_000_000 + secs).unwrap()
}

fn key() -> CredentialKey {
    CredentialKey::from_bytes([5; 32])
}

fn endpoint(store: &MemoryStore, n: u8, url: &str, events: &[&str]) -> (Endpoint, String) {
    let request =
        serde_json::from_value(serde_json::json!({"url": url, "events": events})).unwrap();
    create_endpoint(store, &key(), at(0), ([n; 10], [n; 12], [n; 32]), request).unwrap()
}

fn event(post: &str) -> LifecycleEvent {
    LifecycleEvent::PostPublished {
        post_id: post.into(),
        channel_id: ChannelId::parse("chan1").unwrap(),
        platform_id: "42".into(),
        url: "https://social.example/@bib/42".into(),
    }
}

fn deliver(store: &MemoryStore, http: &ScriptedHttp, secs: i64, budget: usize) -> DeliveryReport {
    block_on(deliver_due(
        store,
        &FixedClock(at(secs)),
        &key(),
        http,
        budget,
    ))
    .unwrap()
}

#[test]
fn enqueue_costs_the_same_with_few_or_many_past_deliveries() {
    let mut costs = Vec::new();
    for past in [10, 1000] {
        let store = MemoryStore::new();
        endpoint(&store, 1, "https://a.example/hook", &[]);
        endpoint(&store, 2, "https://b.example/hook", &["post.published"]);
        endpoint(&store, 3, "https://c.example/hook", &["post.failed"]);
        for i in 0..past {
            enqueue(&store, at(0), &event(&format!("p{i}"))).unwrap();
        }
        store.reset_ops();
        assert_eq!(enqueue(&store, at(1), &event("last")).unwrap(), 2);
        costs.push(store.ops());
    }
    assert_eq!(costs[0], costs[1]);
    // 1 read of the endpoints, 1 increment, 1 write per subscribed endpoint.
    assert_eq!((costs[0].get, costs[0].increment, costs[0].set), (1, 1, 2));
}

#[test]
fn deliveries_are_signed_per_standard_webhooks() {
    let store = MemoryStore::new();
    let (created, secret) = endpoint(&store, 1, "https://a.example/hook", &[]);
    assert!(secret.starts_with("whsec_"));
    assert!(
        !serde_json::to_string(&list_endpoints(&store).unwrap())
            .unwrap()
            .contains(&secret[6..])
    );
    enqueue(&store, at(0), &event("p1")).unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", raw(204, &[], b""));
    let report = deliver(&store, &http, 5, 10);
    assert_eq!((report.attempted, report.delivered), (1, 1));

    let request = &http.requests()[0];
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let id = header("webhook-id");
    let timestamp = header("webhook-timestamp");
    assert_eq!(timestamp, at(5).unix_seconds().to_string());
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = format!(
        "v1,{}",
        crate::ids::base64_standard(&crate::hashing::hmac_sha256(&[1; 32], &signed))
    );
    assert_eq!(header("webhook-signature"), expected);
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["type"], "post.published");
    assert_eq!(body["data"]["post_id"], "p1");
    assert!(body["data"].get("type").is_none());

    let log = list_deliveries(&store, None, 10).unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
    assert_eq!(log[0].last_status, Some(204));
    assert_eq!(log[0].endpoint_id, created.id);
    assert!(log[0].body.is_empty(), "the log does not repeat payloads");

    // Delivered: nothing more to send, and the head moved past it.
    assert_eq!(deliver(&store, &http, 60, 10).attempted, 0);
    assert_eq!(http.requests().len(), 1);
}

#[test]
fn failures_are_retried_with_backoff_then_given_up() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    enqueue(&store, at(0), &event("p1")).unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", Err(HttpFailure::Timeout));
    let mut now = 0;
    let mut attempts_at = Vec::new();
    for _ in 0..50 {
        let report = deliver(&store, &http, now, 10);
        if report.attempted > 0 {
            attempts_at.push(now);
        }
        let log = list_deliveries(&store, None, 1).unwrap();
        if log[0].status != DeliveryStatus::Pending {
            assert_eq!(log[0].status, DeliveryStatus::Failed);
            assert_eq!(log[0].last_error.as_deref(), Some("timed out"));
            break;
        }
        // Jump to the next attempt's time (a minute-by-minute cron would get there too).
        now = log[0].next_attempt_at.unix_seconds() - at(0).unix_seconds();
    }
    assert_eq!(attempts_at.len(), MAX_ATTEMPTS as usize);
    let gaps: Vec<i64> = attempts_at.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, gap) in gaps.iter().enumerate() {
        let base = 60 * 4i64.pow(i as u32);
        assert!((base..base + base / 4 + 1).contains(gap), "gap {i}: {gap}");
    }
}

#[test]
fn retry_after_is_honoured_and_a_retry_succeeds_once() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    enqueue(&store, at(0), &event("p1")).unwrap();
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "a.example",
        raw(429, &[("retry-after", "900")], b""),
    );
    http.on("POST", "a.example", raw(200, &[], b""));
    assert_eq!(deliver(&store, &http, 0, 10).retrying, 1);
    assert_eq!(
        deliver(&store, &http, 899, 10).attempted,
        0,
        "not before Retry-After"
    );
    let report = deliver(&store, &http, 900, 10);
    assert_eq!(report.delivered, 1);
    let ids: Vec<String> = http
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(n, _)| n == "webhook-id")
                .unwrap()
                .1
                .clone()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the same webhook-id on a retry");
}

#[test]
fn gone_disables_the_endpoint() {
    let store = MemoryStore::new();
    let (gone, _) = endpoint(&store, 1, "https://gone.example/hook", &[]);
    endpoint(&store, 2, "https://ok.example/hook", &[]);
    enqueue(&store, at(0), &event("p1")).unwrap();
    enqueue(&store, at(0), &event("p2")).unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "gone.example", raw(410, &[], b""));
    http.on("POST", "ok.example", raw(200, &[], b""));
    let report = deliver(&store, &http, 1, 10);
    assert_eq!((report.gone, report.delivered), (1, 2));
    let endpoints = list_endpoints(&store).unwrap();
    let disabled = endpoints.iter().find(|e| e.id == gone.id).unwrap();
    assert!(!disabled.enabled);
    assert!(disabled.disabled_reason.as_deref().unwrap().contains("410"));
    // The second event's delivery to it is cancelled, not sent.
    assert_eq!(http.requests_to("gone.example").len(), 1);
    let statuses: Vec<DeliveryStatus> = list_deliveries(&store, None, 10)
        .unwrap()
        .iter()
        .map(|d| d.status)
        .collect();
    assert!(
        statuses.contains(&DeliveryStatus::Cancelled),
        "{statuses:?}"
    );
    // New events skip it until staff enable it again.
    assert_eq!(enqueue(&store, at(2), &event("p3")).unwrap(), 1);
    enable_endpoint(&store, &gone.id).unwrap();
    assert_eq!(enqueue(&store, at(3), &event("p4")).unwrap(), 2);
}

#[test]
fn a_tick_sends_at_most_its_budget_and_reads_a_bounded_window() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    for i in 0..30 {
        enqueue(&store, at(0), &event(&format!("p{i}"))).unwrap();
    }
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", raw(200, &[], b""));
    store.reset_ops();
    let report = deliver(&store, &http, 1, 10);
    assert_eq!((report.attempted, report.more), (10, true));
    let ops = store.ops();
    // Head, counter, window; endpoints once; 2 swaps per delivery; the head's swap.
    assert_eq!((ops.get, ops.get_many), (2, 2));
    assert_eq!(ops.compare_and_swap, 2 * 10 + 1);
    deliver(&store, &http, 2, 10);
    let report = deliver(&store, &http, 3, 10);
    assert_eq!((report.attempted, report.more), (10, false));
    assert_eq!(http.requests().len(), 30);
    assert_eq!(deliver(&store, &http, 4, 10).attempted, 0);
}

#[test]
fn overlapping_ticks_do_not_send_a_delivery_twice() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    enqueue(&store, at(0), &event("p1")).unwrap();
    // A tick claimed it and is still sending (its lease holds).
    let key_of = keys::webhook_delivery(1);
    let mut claimed: Delivery = (&store as &dyn KvStore).get_json(&key_of).unwrap().unwrap();
    claimed.lease_until = Some(at(100));
    (&store as &dyn KvStore)
        .set_json(&key_of, &claimed)
        .unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", raw(200, &[], b""));
    assert_eq!(deliver(&store, &http, 10, 10).attempted, 0);
    // Once the lease has expired (the claiming tick died), another tick sends it.
    assert_eq!(deliver(&store, &http, 101, 10).delivered, 1);
}

#[test]
fn endpoints_are_validated() {
    let store = MemoryStore::new();
    let bad = |body: serde_json::Value| {
        create_endpoint(
            &store,
            &key(),
            at(0),
            ([1; 10], [1; 12], [1; 32]),
            serde_json::from_value(body).unwrap(),
        )
        .unwrap_err()
    };
    assert!(matches!(
        bad(serde_json::json!({"url": "http://x.example"})),
        EndpointError::Invalid(_)
    ));
    assert!(matches!(
        bad(serde_json::json!({"url": "https://x.example", "events": ["post.deleted"]})),
        EndpointError::Invalid(_)
    ));
    for n in 0..MAX_ENDPOINTS as u8 {
        endpoint(&store, n, "https://x.example", &[]);
    }
    assert!(matches!(
        bad(serde_json::json!({"url": "https://x.example"})),
        EndpointError::TooMany
    ));
    let id = list_endpoints(&store).unwrap()[0].id.clone();
    delete_endpoint(&store, &id).unwrap();
    assert!(matches!(
        delete_endpoint(&store, &id),
        Err(EndpointError::NotFound)
    ));
}

#[test]
fn a_tick_costs_the_same_after_few_or_many_finished_deliveries() {
    let mut costs = Vec::new();
    for past in [10, 1000] {
        let store = MemoryStore::new();
        endpoint(&store, 1, "https://a.example/hook", &[]);
        let http = ScriptedHttp::new();
        http.on("POST", "a.example", raw(200, &[], b""));
        for i in 0..past {
            enqueue(&store, at(0), &event(&format!("p{i}"))).unwrap();
        }
        // Deliver them all (20 per tick), so the head moves past them.
        let mut tick = 1;
        while deliver(&store, &http, tick, 20).attempted > 0 {
            tick += 1;
        }
        enqueue(&store, at(tick), &event("new")).unwrap();
        store.reset_ops();
        assert_eq!(deliver(&store, &http, tick + 1, 20).delivered, 1);
        costs.push(store.ops());
    }
    assert_eq!(costs[0], costs[1]);
    assert_eq!(costs[0].total(), 2 + 2 + 2 + 1, "{:?}", costs[0]);
}

#[test]
fn an_abandoned_slot_does_not_hold_the_head_forever() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    // An enqueue that reserved slot 1 and died before writing it.
    store.increment(&keys::webhook_delivery_seq(), 1).unwrap();
    enqueue(&store, at(0), &event("p1")).unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", raw(200, &[], b""));
    let head = |store: &MemoryStore| -> u64 {
        (store as &dyn KvStore)
            .get_json(&keys::webhook_delivery_head())
            .unwrap()
            .unwrap_or(0)
    };
    assert_eq!(deliver(&store, &http, 10, 10).delivered, 1);
    assert_eq!(
        head(&store),
        0,
        "slot 1 may still be written by a slow enqueue"
    );
    deliver(&store, &http, 400, 10);
    assert_eq!(head(&store), 2, "five minutes later it is given up");
}

#[test]
fn an_unreadable_delivery_or_endpoint_list_is_reported_and_stops_nothing() {
    let store = MemoryStore::new();
    endpoint(&store, 1, "https://a.example/hook", &[]);
    for i in 0..3 {
        enqueue(&store, at(0), &event(&format!("p{i}"))).unwrap();
    }
    store.set(&keys::webhook_delivery(2), b"{broken").unwrap();
    let http = ScriptedHttp::new();
    http.on("POST", "a.example", raw(200, &[], b""));
    let report = deliver(&store, &http, 1, 10);
    assert_eq!(report.delivered, 2, "{report:?}");
    let quarantined: Vec<&str> = report.quarantined.iter().map(|q| q.key.as_str()).collect();
    assert_eq!(quarantined, [keys::webhook_delivery(2)], "{report:?}");

    // An endpoint list that does not decode: reported, nothing sent, no error.
    enqueue(&store, at(2), &event("p4")).unwrap();
    store.set(&keys::webhook_endpoints(), b"[{").unwrap();
    let report = block_on(deliver_due(&store, &FixedClock(at(3)), &key(), &http, 10)).unwrap();
    assert_eq!(report.attempted, 0, "{report:?}");
    assert_eq!(report.quarantined[0].key, keys::webhook_endpoints());
    assert_eq!(http.requests().len(), 2);
}
