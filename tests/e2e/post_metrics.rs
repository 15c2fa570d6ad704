//! A published post's figures fetched from the platforms by the tick (`analytics::metrics`),
//! end to end against the fakes: one post with a library photo published to Mastodon,
//! Bluesky, a Facebook Page and Instagram; an hour later the tick reads each network's
//! figures (`GET /api/posts/:id/metrics`), six hours later a second snapshot with the new
//! figures; then the status deleted on Mastodon is recorded `deleted` and the revoked Bluesky
//! app password `access_revoked`, and neither is asked again at 24 h and 72 h while Facebook
//! and Instagram go on.

use serde_json::{Value, json};
use tests::TestApp;
use tests::channels;
use tests::fakes::{FakeBluesky, FakeMastodon, FakeMeta, PublicOrigin};
use tests::images::library_photo;

const TICK_TOKEN: &str = "tick-token-for-the-cron-0123456789";
const MASTODON_TOKEN: &str = "mastodon-token-for-metrics-0123";
const BLUESKY_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const PAGE_TOKEN: &str = "EAAGpageAccessToken0123456789";
const PAGE_ID: &str = "104857600123";
const IG_USER_ID: &str = "17841400000000001";

struct Setup {
    app: TestApp,
    mastodon: FakeMastodon,
    bluesky: FakeBluesky,
    meta: FakeMeta,
    _origin: PublicOrigin,
    channels: Vec<String>,
}

fn setup() -> Setup {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    let meta = FakeMeta::start(PAGE_TOKEN, PAGE_ID, IG_USER_ID);
    let (app, origin) = TestApp::spawn_with_public_origin(&[("scheduler_tick_token", TICK_TOKEN)]);
    let channels = vec![
        channels::mastodon(&app, &mastodon, MASTODON_TOKEN),
        channels::bluesky(&app, &bluesky, "bib.bsky.social", BLUESKY_PASSWORD),
        channels::facebook(&app, &meta, PAGE_ID, PAGE_TOKEN),
        channels::instagram(&app, &meta, IG_USER_ID, PAGE_TOKEN),
    ];
    Setup {
        app,
        mastodon,
        bluesky,
        meta,
        _origin: origin,
        channels,
    }
}

/// The post's metrics by channel kind.
fn metrics(app: &TestApp, id: &str) -> Value {
    let answer = app.get_json_as_admin(&format!("/api/posts/{id}/metrics"));
    assert_eq!(answer["post"], id, "{answer}");
    let mut by_kind = json!({});
    for record in answer["channels"].as_array().expect("channels") {
        by_kind[record["kind"].as_str().unwrap()] = record.clone();
    }
    by_kind
}

fn counts(record: &Value, snapshot: usize) -> Value {
    record["history"][snapshot]["counts"].clone()
}

/// The metrics part of each tick's report (`TestApp::tick_at`).
fn tick_at(app: &TestApp, at: i64) -> Vec<Value> {
    app.tick_at(TICK_TOKEN, at)
        .into_iter()
        .map(|report| report["metrics"].clone())
        .collect()
}

fn total(reports: &[Value], field: &str) -> u64 {
    reports.iter().map(|r| r[field].as_u64().unwrap_or(0)).sum()
}

#[test]
fn figures_are_fetched_on_schedule_and_deleted_or_revoked_posts_stop() {
    let s = setup();
    let medium = library_photo(&s.app, "affiche.jpg", 1200, 1000);
    let post = s.app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Nuit de la lecture samedi à la médiathèque : lectures, jeux et contes",
                "language": "fr", "channels": s.channels,
                "images": [{"medium": medium, "alt": "L’affiche de la Nuit de la lecture"}]}),
    );
    let id = post["id"].as_str().unwrap().to_owned();
    // Nothing published yet: no figures.
    assert_eq!(metrics(&s.app, &id), json!({}));
    let report = s.app.publish_by_tick(TICK_TOKEN, &id);
    assert_eq!(report["metrics"]["fetched"], 0, "{report}");
    let published = s.app.now();

    let found = metrics(&s.app, &id);
    for kind in ["mastodon", "bluesky", "facebook", "instagram"] {
        let record = &found[kind];
        assert_eq!(record["state"], "active", "{kind}: {record}");
        assert_eq!(record["history"], json!([]), "{kind}");
        assert_eq!(record["next"]["after_hours"], 1, "{kind}");
        assert!(
            record["excerpt"]
                .as_str()
                .unwrap()
                .starts_with("Nuit de la lecture")
        );
    }
    let status_id = found["mastodon"]["platform_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = found["bluesky"]["platform_id"].as_str().unwrap().to_owned();
    let rkey = uri.rsplit('/').next().unwrap().to_owned();
    let page_post = found["facebook"]["platform_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let media = found["instagram"]["platform_id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.mastodon.set_figures(
        &status_id,
        json!({"favourites_count": 4, "reblogs_count": 2, "replies_count": 1, "quotes_count": 1}),
    );
    s.bluesky.set_figures(
        &rkey,
        json!({"likeCount": 7, "repostCount": 3, "replyCount": 2, "quoteCount": 0}),
    );
    s.meta.set_figures(
        &page_post,
        json!({"reactions": 12, "comments": 3, "shares": 2, "post_total_media_view_unique": 340}),
    );
    s.meta.set_figures(
        &media,
        json!({"like_count": 25, "comments_count": 4, "reach": 510, "views": 800, "shares": 5}),
    );

    // Not before the hour.
    let reports = tick_at(&s.app, published + 1800);
    assert_eq!(total(&reports, "fetched"), 0, "{reports:?}");

    let reports = tick_at(&s.app, published + 2 * 3600 + 60);
    assert_eq!(total(&reports, "snapshots"), 4, "{reports:?}");
    let found = metrics(&s.app, &id);
    assert_eq!(
        counts(&found["mastodon"], 0),
        json!({"likes": 4, "reposts": 2, "replies": 1, "quotes": 1})
    );
    assert_eq!(
        counts(&found["bluesky"], 0),
        json!({"likes": 7, "reposts": 3, "replies": 2, "quotes": 0})
    );
    assert_eq!(
        counts(&found["facebook"], 0),
        json!({"likes": 12, "reposts": 2, "replies": 3, "quotes": 0, "reach": 340})
    );
    assert_eq!(
        counts(&found["instagram"], 0),
        json!({"likes": 25, "reposts": 5, "replies": 4, "quotes": 0, "reach": 510,
               "impressions": 800})
    );
    for kind in ["mastodon", "bluesky", "facebook", "instagram"] {
        assert_eq!(found[kind]["history"][0]["after_hours"], 1, "{kind}");
        assert_eq!(found[kind]["next"]["after_hours"], 6, "{kind}");
    }

    // The figures grow; six hours on, a second snapshot.
    s.mastodon.set_figures(
        &status_id,
        json!({"favourites_count": 9, "reblogs_count": 4}),
    );
    s.bluesky.set_figures(&rkey, json!({"likeCount": 15}));
    s.meta.set_figures(&page_post, json!({"reactions": 30}));
    s.meta
        .set_figures(&media, json!({"like_count": 40, "reach": 900}));
    let reports = tick_at(&s.app, published + 7 * 3600 + 60);
    assert_eq!(total(&reports, "snapshots"), 4, "{reports:?}");
    let found = metrics(&s.app, &id);
    assert_eq!(found["mastodon"]["history"][1]["after_hours"], 6);
    assert_eq!(counts(&found["mastodon"], 1)["likes"], 9);
    assert_eq!(counts(&found["bluesky"], 1)["likes"], 15);
    assert_eq!(counts(&found["facebook"], 1)["likes"], 30);
    assert_eq!(counts(&found["instagram"], 1)["reach"], 900);
    // Ticks in between asked nothing more.
    assert_eq!(s.mastodon.status_reads(), 2);
    assert_eq!(s.bluesky.get_posts_reads(), 2);

    // Deleted on Mastodon, the Bluesky app password revoked: recorded at 24 h.
    s.mastodon.delete_status(&status_id);
    s.bluesky.revoke_app_password();
    let reports = tick_at(&s.app, published + 25 * 3600 + 60);
    assert_eq!(total(&reports, "deleted"), 1, "{reports:?}");
    assert_eq!(total(&reports, "revoked"), 1, "{reports:?}");
    assert_eq!(total(&reports, "snapshots"), 2, "{reports:?}");
    let found = metrics(&s.app, &id);
    assert_eq!(
        found["mastodon"]["state"], "deleted",
        "{}",
        found["mastodon"]
    );
    assert!(found["mastodon"].get("next").is_none());
    assert_eq!(
        found["bluesky"]["state"], "access_revoked",
        "{}",
        found["bluesky"]
    );
    assert!(
        found["bluesky"]["reason"]
            .as_str()
            .unwrap()
            .contains("Bluesky")
    );
    assert_eq!(found["facebook"]["history"].as_array().unwrap().len(), 3);
    let bluesky_channel = s
        .app
        .get_json_as_admin(&format!("/api/channels/{}", s.channels[1]));
    let bluesky_channel = bluesky_channel.get("channel").unwrap_or(&bluesky_channel);
    assert_eq!(
        bluesky_channel["status"], "needs_reconnect",
        "{bluesky_channel}"
    );

    // Neither is asked again; Facebook and Instagram go on.
    let mastodon_reads = s.mastodon.status_reads();
    let bluesky_requests = s.bluesky.requests().len();
    let reports = tick_at(&s.app, published + 73 * 3600 + 60);
    assert_eq!(total(&reports, "snapshots"), 2, "{reports:?}");
    assert_eq!(s.mastodon.status_reads(), mastodon_reads);
    assert_eq!(s.bluesky.requests().len(), bluesky_requests);
    let found = metrics(&s.app, &id);
    assert_eq!(found["instagram"]["history"].as_array().unwrap().len(), 4);
    assert_eq!(found["instagram"]["next"]["after_hours"], 168);

    assert!(
        s.mastodon.problems().is_empty(),
        "{:?}",
        s.mastodon.problems()
    );
    assert!(
        s.bluesky.problems().is_empty(),
        "{:?}",
        s.bluesky.problems()
    );
    assert!(s.meta.problems().is_empty(), "{:?}", s.meta.problems());
}

#[test]
fn metrics_of_an_unknown_post_are_404_and_need_staff() {
    let app = TestApp::spawn_with_fakes(&[]);
    let response = app.get("/api/posts/nosuchpost/metrics");
    assert_eq!(response.status(), 401);
    let response = app.admin(reqwest::Method::GET, "/api/posts/nosuchpost/metrics", None);
    assert_eq!(response.status(), 404);
}

/// A Mastodon token made for publishing alone (no `read:statuses`): the server answers 403 to
/// the figures' read; the record stops with the reason and the channel stays connected and
/// goes on publishing.
#[test]
fn a_token_without_read_statuses_stops_figures_but_not_publishing() {
    let mastodon = FakeMastodon::start_with_scopes(
        MASTODON_TOKEN,
        &["write:statuses", "write:media", "read:accounts"],
        500,
    );
    let app = TestApp::spawn_with_fakes(&[("scheduler_tick_token", TICK_TOKEN)]);
    let channel = channels::mastodon(&app, &mastodon, MASTODON_TOKEN);
    let publish = |text: &str| {
        let post = app.post_json_as_admin_ok(
            "/api/posts",
            &json!({"text": text, "language": "fr", "channels": [channel]}),
        );
        let id = post["id"].as_str().unwrap().to_owned();
        app.publish_by_tick(TICK_TOKEN, &id);
        id
    };
    let first = publish("Heure du conte mercredi à 16 h");
    let reports = tick_at(&app, app.now() + 2 * 3600);
    assert_eq!(total(&reports, "not_permitted"), 1, "{reports:?}");
    assert_eq!(total(&reports, "revoked"), 0, "{reports:?}");
    let record = &metrics(&app, &first)["mastodon"];
    assert_eq!(record["state"], "access_revoked", "{record}");
    assert!(
        record["reason"].as_str().unwrap().contains("read:statuses"),
        "{record}"
    );
    let shown = app.get_json_as_admin(&format!("/api/channels/{channel}"));
    assert!(!shown.to_string().contains("needs_reconnect"), "{shown}");
    // The channel still publishes.
    publish("Atelier numérique samedi matin");
    assert_eq!(mastodon.statuses().len(), 2);
    assert!(mastodon.problems().is_empty(), "{:?}", mastodon.problems());
}
