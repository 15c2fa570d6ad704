//! Facebook Page and Instagram channels end to end, against the loopback Graph API fake
//! (`tests::fakes::meta`): creating and checking both channels, a photo of the media library
//! scheduled to both (Facebook receives the bytes, Instagram downloads them from the
//! library's public address), each receiving it once without metadata; three images become
//! a carousel; Instagram's rules refused at scheduling with their field paths; an expired
//! token marks the channel "needs reconnect"; a lost answer then a retry publishes once.
//!
//! `public_base_url` points at a [`PublicOrigin`] started before the app (the app's port is
//! only known once it runs), which forwards to the app, as a CDN in front of it would.

use serde_json::{Value, json};
use tests::TestApp;
use tests::channels;
use tests::fakes::meta::jpeg_markers;
use tests::fakes::{FakeMeta, GraphFailure, PublicOrigin};
use tests::images::{PHOTO_SECRET, library_photo};
use tests::time;

const TICK_TOKEN: &str = "tick-token-for-the-cron-0123456789";
const PAGE_TOKEN: &str = "EAAGpageAccessToken0123456789";
const PAGE_ID: &str = "104857600123";
const IG_USER_ID: &str = "17841400000000001";

struct Setup {
    app: TestApp,
    meta: FakeMeta,
    _origin: PublicOrigin,
    facebook: String,
    instagram: String,
}

fn setup() -> Setup {
    let meta = FakeMeta::start(PAGE_TOKEN, PAGE_ID, IG_USER_ID);
    let (app, origin) = TestApp::spawn_with_public_origin(&[("scheduler_tick_token", TICK_TOKEN)]);
    let facebook = channels::facebook(&app, &meta, PAGE_ID, PAGE_TOKEN);
    let instagram = channels::instagram(&app, &meta, IG_USER_ID, PAGE_TOKEN);
    let shown = channel(&app, &facebook);
    assert_eq!(shown["account_id"], PAGE_ID, "{shown}");
    Setup {
        facebook,
        instagram,
        app,
        meta,
        _origin: origin,
    }
}

fn create_post(s: &Setup, channels: &[&str], media: &[&str]) -> String {
    let images: Vec<Value> = media
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"medium": m, "alt": format!("Photo {} de l’atelier", i + 1)}))
        .collect();
    let post = s.app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Atelier gravure samedi à la médiathèque https://bib.example/agenda",
                "language": "fr", "hashtags": ["atelier gravure"],
                "channels": channels, "images": images}),
    );
    post["id"].as_str().unwrap().to_owned()
}

fn schedule_next_minute(s: &Setup, id: &str) -> i64 {
    let due = s.app.next_minute();
    let post = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": time::utc_minute(due), "zone": "UTC"}),
    );
    assert_eq!(post["state"], "scheduled", "{post}");
    due
}

fn get_post(app: &TestApp, id: &str) -> Value {
    app.get_json_as_admin(&format!("/api/posts/{id}"))
}

fn channel(app: &TestApp, id: &str) -> Value {
    let found = app.get_json_as_admin(&format!("/api/channels/{id}"));
    if found.get("channel").is_some() {
        found["channel"].clone()
    } else {
        found
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG with no APP1 (EXIF/XMP) segment and nothing of the phone's metadata.
fn assert_clean_jpeg(bytes: &[u8]) {
    let markers = jpeg_markers(bytes).expect("a JPEG");
    assert!(!markers.contains(&0xE1), "no APP1 segment: {markers:x?}");
    assert!(!contains(bytes, PHOTO_SECRET), "no GPS or description");
    assert!(!contains(bytes, b"Exif"), "no EXIF");
}

#[test]
fn a_library_photo_goes_once_to_a_facebook_page_and_instagram_without_metadata() {
    let s = setup();
    for (id, account) in [
        (&s.facebook, "Médiathèque de Lisieux"),
        (&s.instagram, "@mediatheque.lisieux"),
    ] {
        let checked = s
            .app
            .post_json_as_admin_ok(&format!("/api/channels/{id}/check"), &json!({}));
        assert_eq!(checked["status"], "connected", "{checked}");
        assert_eq!(checked["account"], account, "{checked}");
    }
    // A phone's portrait, upright 900 x 1200 (3:4): narrower than Instagram's 4:5, so
    // Instagram gets the `framed` rendition.
    let medium = library_photo(&s.app, "atelier.jpg", 1200, 900);
    let id = create_post(&s, &[&s.facebook, &s.instagram], &[&medium]);
    let due = schedule_next_minute(&s, &id);
    s.app.advance_clock_to(due);
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["published"], 1, "{report}");
    let post = get_post(&s.app, &id);
    assert_eq!(post["state"], "published", "{post}");

    // Facebook: one unpublished photo upload (the bytes), one Page post attaching it.
    let photos = s.meta.page_photos();
    assert_eq!(photos.len(), 1, "the image is uploaded once");
    assert_clean_jpeg(&photos[0].bytes);
    assert_eq!(photos[0].alt, "Photo 1 de l’atelier");
    let posts = s.meta.page_posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].photos, vec![photos[0].id.clone()]);
    assert!(
        posts[0].message.contains("#AtelierGravure"),
        "{}",
        posts[0].message
    );

    // Instagram: Meta downloaded the framed rendition from the public address, once: the
    // whole picture on a white frame, 4:5.
    let fetched = s.meta.fetched_images();
    assert_eq!(fetched.len(), 1, "downloaded once");
    assert!(
        fetched[0]
            .url
            .ends_with(&format!("/media/{medium}/framed.jpg")),
        "{}",
        fetched[0].url
    );
    assert_clean_jpeg(&fetched[0].bytes);
    assert_eq!(tests::images::jpeg_size(&fetched[0].bytes), (960, 1200));
    let media = s.meta.instagram_media();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].media_type, "IMAGE");
    assert!(media[0].caption.contains("#AtelierGravure"));
    let containers = s.meta.containers();
    assert_eq!(containers.len(), 1, "one container");
    assert_eq!(
        containers[0].alt_text.as_deref(),
        Some("Photo 1 de l’atelier")
    );

    // Both targets carry their platform's address.
    let urls: Vec<&str> = post["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"]["url"].as_str().unwrap_or(""))
        .collect();
    assert!(urls[0].starts_with("https://www.facebook.com/"), "{post}");
    assert!(
        urls[1].starts_with("https://www.instagram.com/p/"),
        "{post}"
    );

    // A later tick publishes nothing again.
    s.app.tick(TICK_TOKEN);
    assert_eq!(s.meta.page_posts().len(), 1);
    assert_eq!(s.meta.instagram_media().len(), 1);
    assert_eq!(s.meta.problems(), Vec::<String>::new());
}

#[test]
fn three_images_become_an_instagram_carousel() {
    let s = setup();
    let media: Vec<String> = (0..3)
        .map(|i| library_photo(&s.app, &format!("vue-{i}.jpg"), 1000, 1000))
        .collect();
    let media: Vec<&str> = media.iter().map(String::as_str).collect();
    let id = create_post(&s, &[&s.instagram], &media);
    let post = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(post["state"], "published", "{post}");
    let published = s.meta.instagram_media();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].media_type, "CAROUSEL_ALBUM");
    let containers = s.meta.containers();
    let carousel = containers
        .iter()
        .find(|c| c.id == published[0].container)
        .unwrap();
    assert_eq!(carousel.children.len(), 3);
    assert!(
        containers
            .iter()
            .filter(|c| c.carousel_item)
            .all(|c| c.caption.is_none())
    );
    assert_eq!(
        s.meta.fetched_images().len(),
        3,
        "each image downloaded once"
    );
    for image in s.meta.fetched_images() {
        assert_clean_jpeg(&image.bytes);
    }
    assert_eq!(s.meta.problems(), Vec::<String>::new());
}

#[test]
fn instagram_rules_are_checked_when_scheduling_with_their_fields() {
    let s = setup();
    // A kind's fields: account_id is required for Meta and refused elsewhere.
    let missing = s.app.post_json_as_admin(
        "/api/channels",
        &json!({"kind": "instagram", "name": "IG", "url": s.meta.url(),
                "access_token": PAGE_TOKEN}),
    );
    // 400 `invalid_channel`, as every channel creation mistake.
    assert_eq!(missing.status(), 400);
    let missing: Value = missing.json().unwrap();
    assert_eq!(missing["error"]["code"], "invalid_channel");
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("account_id: required"),
        "{missing}"
    );
    let extra = s.app.post_json_as_admin(
        "/api/channels",
        &json!({"kind": "mastodon", "name": "M", "url": "https://mastodon.example",
                "access_token": "t", "account_id": "123"}),
    );
    assert_eq!(extra.status(), 400);
    let extra: Value = extra.json().unwrap();
    assert_eq!(
        extra["error"]["message"],
        "account_id: not used by a mastodon channel"
    );

    // Upright 1200 x 1600 (3:4) is taller than Instagram's 4:5 but goes as its framed
    // rendition (the 4:5 limit itself is a domain test: every upload now has one); an
    // outside image has no known size; a text alone has no image.
    let tall = library_photo(&s.app, "portrait.jpg", 1600, 1200);
    let post = s.app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Portrait", "channels": [s.facebook, s.instagram],
                "images": [{"medium": tall, "alt": "Un portrait"},
                           {"url": "https://img.example/a.jpg", "alt": "Une affiche"}]}),
    );
    let id = post["id"].as_str().unwrap();
    let refused = s.app.post_json_as_admin(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": "2030-01-01T10:00"}),
    );
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().unwrap();
    let fields: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!fields.is_empty(), "{body}");
    assert!(
        fields.iter().all(|(f, _)| f.starts_with("channels[1].")),
        "Facebook takes both: {fields:?}"
    );
    assert!(
        !fields.iter().any(|(f, _)| f == "channels[1].images[0]"),
        "the portrait is framed for Instagram: {fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|(f, m)| f == "channels[1].images[1]" && m.contains("media library")),
        "{fields:?}"
    );

    let text_only = s.app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Sans image", "channels": [s.instagram]}),
    );
    let refused = s.app.post_json_as_admin(
        &format!("/api/posts/{}/schedule", text_only["id"].as_str().unwrap()),
        &json!({"at": "2030-01-01T10:00"}),
    );
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "channels[0].images");
    assert!(s.meta.requests().is_empty(), "nothing reached Meta");
}

#[test]
fn an_expired_token_marks_the_channel_needs_reconnect() {
    let s = setup();
    let medium = library_photo(&s.app, "atelier.jpg", 1000, 1200);
    let id = create_post(&s, &[&s.instagram], &[&medium]);
    s.meta.fail_next("/media", GraphFailure::ExpiredToken);
    let post = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(post["state"], "failed", "{post}");
    assert!(
        post["reason"].as_str().unwrap().contains("reconnect"),
        "{post}"
    );
    let found = channel(&s.app, &s.instagram);
    assert_eq!(found["status"], "needs_reconnect", "{found}");
    assert!(
        found["status_reason"]
            .as_str()
            .unwrap()
            .contains("Session has expired"),
        "Graph's own message: {found}"
    );
    assert!(s.meta.instagram_media().is_empty());
}

#[test]
fn a_lost_answer_then_a_retry_publishes_once() {
    let s = setup();
    let medium = library_photo(&s.app, "atelier.jpg", 1000, 1200);
    let id = create_post(&s, &[&s.facebook, &s.instagram], &[&medium]);
    let due = schedule_next_minute(&s, &id);
    // Meta does the work and the answer is lost, on both networks.
    s.meta.fail_next("/media_publish", GraphFailure::LoseAnswer);
    s.meta.fail_next("/feed", GraphFailure::LoseAnswer);
    s.app.advance_clock_to(due);
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["retrying"], 1, "{report}");
    assert_eq!(s.meta.instagram_media().len(), 1, "published, answer lost");
    assert_eq!(s.meta.page_posts().len(), 1, "posted, answer lost");
    let post = get_post(&s.app, &id);
    assert_eq!(post["state"], "scheduled", "{post}");

    let retry_at = time::parse_rfc3339(post["schedule"]["due_at"].as_str().unwrap());
    s.app.advance_clock_to(retry_at);
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["published"], 1, "{report}");
    assert_eq!(get_post(&s.app, &id)["state"], "published");
    // Once each: the retry read back what the lost calls did instead of calling again.
    assert_eq!(s.meta.instagram_media().len(), 1);
    assert_eq!(s.meta.page_posts().len(), 1);
    assert_eq!(s.meta.fetched_images().len(), 1, "the container was reused");
    assert_eq!(s.meta.page_photos().len(), 1, "the photo was reused");
    let publishes = s
        .meta
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/media_publish"))
        .count();
    assert_eq!(publishes, 1, "media_publish called once");
    assert_eq!(s.meta.problems(), Vec::<String>::new());
}
