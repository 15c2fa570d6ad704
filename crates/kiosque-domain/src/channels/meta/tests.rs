//! Facebook and Instagram: the rules of a post, the channel's fields, and publishing exactly
//! once against a scripted Graph API.

use super::super::{
    ChannelRandom, ChannelStatus, CredentialKey, NewChannel, create, get, publish, validate,
    validate_stored,
};
use super::*;
use crate::clock::FixedClock;
use crate::ids::MediumId;
use crate::media::NewRendition;
use crate::social::testing::{ScriptedHttp, json, raw};
use crate::social::{ChannelId, PostImage, block_on};
use crate::store::MemoryStore;
use crate::web::HttpsUrl;

const TOKEN: &str = "EAAGpage-token";
const PAGE: &str = "1048576";
const IG_USER: &str = "178414";
const BASE: &str = "https://bib.example";

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_795_000_000).unwrap()
}

fn key() -> CredentialKey {
    CredentialKey::from_bytes([7; 32])
}

fn new_channel(store: &MemoryStore, kind: &str) -> Channel {
    let account = if kind == "instagram" { IG_USER } else { PAGE };
    let request = serde_json::json!({"kind": kind, "name": "Bib",
        "url": "https://graph.example/v21.0", "account_id": account, "access_token": TOKEN});
    let new = NewChannel::parse(serde_json::from_value(request).unwrap()).unwrap();
    let random = ChannelRandom {
        id: [3; 10],
        nonce: [3; 12],
        secret: [3; 24],
    };
    create(store, &key(), now(), random, new).unwrap().0
}

/// A medium whose social rendition is `width` x `height`, uploaded before the `framed`
/// rendition existed.
fn medium(store: &MemoryStore, n: u8, width: u32, height: u32) -> MediumId {
    media::testing::medium(store, &MediumId::generate([n; 10]), width, height)
}

/// A medium `width` x `height` with a `framed` rendition `framed_width` x `framed_height`.
fn framed_medium(
    store: &MemoryStore,
    n: u8,
    (width, height): (u32, u32),
    (framed_width, framed_height): (u32, u32),
) -> MediumId {
    let id = MediumId::generate([n; 10]);
    let mut new = media::testing::new_medium(width, height);
    new.renditions.push(NewRendition {
        kind: RenditionKind::Framed,
        width: framed_width,
        height: framed_height,
        bytes: b"\xFF\xD8\xFF\xDBframed".to_vec(),
    });
    media::create(store, &FixedClock(now()), id.clone(), new).unwrap();
    id
}

fn with_media(text: &str, media: &[MediumId]) -> PostContent {
    PostContent {
        text: text.into(),
        images: media
            .iter()
            .map(|m| PostImage::from_medium(m.clone(), "Le public devant les gravures"))
            .collect(),
        ..PostContent::default()
    }
}

fn outside_image() -> PostImage {
    PostImage::from_url(
        HttpsUrl::parse("url", "https://img.example/a.jpg", 200).unwrap(),
        "Une affiche",
    )
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn publish_to(
    store: &MemoryStore,
    http: &ScriptedHttp,
    id: &ChannelId,
    content: &PostContent,
) -> PublishOutcome {
    block_on(publish(
        store,
        &FixedClock(now()),
        &key(),
        http,
        id,
        content,
        "post-7/c/1",
        Some(BASE),
    ))
}

#[test]
fn meta_channels_need_a_numeric_account_id_that_other_kinds_refuse() {
    let parse = |value: serde_json::Value| {
        NewChannel::parse(serde_json::from_value(value).unwrap()).map_err(|e| e.to_string())
    };
    let base = |kind: &str| {
        serde_json::json!({"kind": kind, "name": "B", "url": "https://graph.facebook.com/v21.0",
            "access_token": TOKEN})
    };
    let error = parse(base("instagram")).unwrap_err();
    assert!(
        error.starts_with("account_id: required for an Instagram"),
        "{error}"
    );
    let mut bad = base("facebook");
    bad["account_id"] = "bib-page".into();
    assert_eq!(
        parse(bad).unwrap_err(),
        "account_id: must be the Page id, digits only"
    );
    let mut extra = base("mastodon");
    extra["account_id"] = "123".into();
    assert_eq!(
        parse(extra).unwrap_err(),
        "account_id: not used by a mastodon channel"
    );
    let mut password = base("facebook");
    password["account_id"] = PAGE.into();
    password["app_password"] = "x".into();
    assert_eq!(
        parse(password).unwrap_err(),
        "app_password: not used by a facebook channel"
    );
    let mut good = base("facebook");
    good["account_id"] = format!(" {PAGE} ").into();
    let channel = parse(good).unwrap();
    assert_eq!(channel.account_id.as_deref(), Some(PAGE));
    assert_eq!(
        serde_json::to_value(ChannelKind::Instagram).unwrap(),
        "instagram"
    );
}

#[test]
fn facebook_takes_long_texts_and_up_to_ten_images() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "facebook");
    // The console counts against the channel's limits.
    assert_eq!(channel.limits.max_media, 10);
    assert_eq!(channel.limits.max_characters, 63_206);
    let mut post = PostContent {
        text: "a".repeat(FACEBOOK_MAX_CHARACTERS),
        images: vec![outside_image(); 10],
        ..PostContent::default()
    };
    assert_eq!(validate(&channel, &post), vec![]);
    post.text.push('b');
    post.images.push(outside_image());
    assert_eq!(fields(&validate(&channel, &post)), ["images", "text"]);
    // Mastodon and Bluesky keep their 4.
    assert_eq!(super::super::max_images(ChannelKind::Mastodon), 4);
    assert_eq!(super::super::max_images(ChannelKind::Instagram), 10);
}

#[test]
fn instagram_needs_library_images_in_its_aspect_ratios_a_short_caption_and_few_hashtags() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "instagram");
    let check = |content: &PostContent, base: Option<&str>| {
        validate_stored(&store, &channel, content, base).unwrap()
    };
    // No image at all.
    let errors = check(&with_media("Bonjour", &[]), Some(BASE));
    assert_eq!(fields(&errors), ["images"]);

    // The edges of 4:5 and 1.91:1 pass; a hair beyond does not.
    let portrait = medium(&store, 1, 800, 1000);
    let landscape = medium(&store, 2, 1910, 1000);
    let too_tall = medium(&store, 3, 799, 1000);
    let too_wide = medium(&store, 4, 1911, 1000);
    assert_eq!(
        check(&with_media("ok", &[portrait, landscape]), Some(BASE)),
        vec![]
    );
    let errors = check(&with_media("non", &[too_tall, too_wide]), Some(BASE));
    assert_eq!(fields(&errors), ["images[0]", "images[1]"]);
    assert!(errors[0].message.contains("799 x 1000"), "{errors:?}");

    // A phone's 3:4 portrait uploaded now: its framed rendition (4:5) is what Meta gets.
    let phone = framed_medium(&store, 6, (1536, 2048), (1152, 1440));
    assert_eq!(
        check(&with_media("ok", std::slice::from_ref(&phone)), Some(BASE)),
        vec![]
    );
    let stored = media::get(&store, &phone).unwrap();
    assert_eq!(
        super::instagram_rendition(&stored),
        (RenditionKind::Framed, 1152, 1440)
    );

    // An outside image: its size is unknown, Meta could not fetch it from the library.
    let mut outside = with_media("Affiche", &[]);
    outside.images.push(outside_image());
    let errors = check(&outside, Some(BASE));
    assert_eq!(fields(&errors), ["images[0]"]);
    assert!(errors[0].message.contains("media library"));

    // Without public_base_url, Meta has nowhere to download from.
    let fine = medium(&store, 5, 1080, 1080);
    let errors = check(&with_media("ok", std::slice::from_ref(&fine)), None);
    assert_eq!(fields(&errors), ["images"]);
    assert!(errors[0].message.contains("public_base_url"));

    // A deleted medium.
    let gone = MediumId::generate([9; 10]);
    let errors = check(&with_media("ok", &[gone]), Some(BASE));
    assert_eq!(fields(&errors), ["images[0].medium"]);

    // 2,200 characters with the hashtags appended; 30 hashtags counting both kinds.
    let mut long = with_media(
        &"é".repeat(INSTAGRAM_MAX_CAPTION),
        std::slice::from_ref(&fine),
    );
    assert_eq!(check(&long, Some(BASE)), vec![]);
    long.text.push('x');
    assert_eq!(fields(&check(&long, Some(BASE))), ["text"]);
    let in_text: Vec<String> = (0..20).map(|i| format!("#Tag{i}")).collect();
    let mut tags = with_media(&in_text.join(" "), &[fine]);
    tags.hashtags = (20..30).map(|i| format!("Tag{i}")).collect();
    assert_eq!(check(&tags, Some(BASE)), vec![]);
    // A post hashtag already in the text is not counted twice; a new one is.
    tags.hashtags.push("Tag3".into());
    assert_eq!(check(&tags, Some(BASE)), vec![]);
    tags.hashtags.push("Tag30".into());
    let errors = check(&tags, Some(BASE));
    assert_eq!(fields(&errors), ["hashtags"]);
    assert!(errors[0].message.starts_with("31 hashtags"), "{errors:?}");
}

/// The scripted Graph API answers of a one-image Instagram publication.
fn instagram_script(http: &ScriptedHttp) {
    // `/media_publish` first: its URL also contains `/media`.
    http.on(
        "POST",
        "/media_publish",
        json(200, serde_json::json!({"id": "media-1"})),
    );
    http.on(
        "POST",
        "/media",
        json(200, serde_json::json!({"id": "c-1"})),
    );
    http.on(
        "GET",
        "fields=permalink",
        json(
            200,
            serde_json::json!({"permalink": "https://www.instagram.com/p/abc/"}),
        ),
    );
}

#[test]
fn a_lost_media_publish_answer_then_a_retry_publishes_once() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "instagram");
    let photo = medium(&store, 1, 1080, 1080);
    let post = with_media("Vernissage #Gravure", std::slice::from_ref(&photo));
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "/media_publish",
        json(
            500,
            serde_json::json!({"error": {"message": "An unknown error has occurred.",
            "type": "OAuthException", "code": 1}}),
        ),
    );
    http.on(
        "POST",
        "/media",
        json(200, serde_json::json!({"id": "c-1"})),
    );
    // FINISHED before the lost call; PUBLISHED when the retry asks.
    http.on(
        "GET",
        "fields=status_code",
        json(200, serde_json::json!({"status_code": "FINISHED"})),
    );
    http.on(
        "GET",
        "fields=status_code",
        json(200, serde_json::json!({"status_code": "PUBLISHED"})),
    );
    let caption = post_text(&post);
    http.on(
        "GET",
        "fields=id%2Ccaption%2Cpermalink",
        json(200, serde_json::json!({"data": [
            {"id": "media-9", "caption": caption, "permalink": "https://www.instagram.com/p/xyz/"}
        ]})),
    );

    let first = publish_to(&store, &http, &channel.id, &post);
    assert!(
        matches!(first, PublishOutcome::RetryLater { .. }),
        "{first:?}"
    );
    let create = &http.requests_to("/media?")[..];
    assert!(create.is_empty(), "the token is never in a POST's URL");
    let created = http
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.url.ends_with(&format!("/{IG_USER}/media")))
        .collect::<Vec<_>>();
    assert_eq!(created.len(), 1);
    let body = String::from_utf8(created[0].body.clone()).unwrap();
    assert!(
        body.contains(&format!(
            "image_url=https%3A%2F%2Fbib.example%2Fmedia%2F{photo}%2Fsocial.jpg"
        )),
        "{body}"
    );
    assert!(body.contains("access_token=EAAGpage-token"), "{body}");
    assert!(
        body.contains("caption=") && body.contains("alt_text="),
        "{body}"
    );

    let retry = publish_to(&store, &http, &channel.id, &post);
    assert_eq!(
        retry,
        PublishOutcome::Published {
            platform_id: "media-9".into(),
            url: "https://www.instagram.com/p/xyz/".into(),
        }
    );
    assert_eq!(
        http.requests_to("/media_publish").len(),
        1,
        "published once"
    );
    // A third attempt finds the post id and asks Meta nothing.
    let before = http.requests().len();
    assert_eq!(publish_to(&store, &http, &channel.id, &post), retry);
    assert_eq!(http.requests().len(), before);
}

#[test]
fn a_container_in_progress_is_retried_later_from_the_recorded_container() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "instagram");
    let photo = medium(&store, 1, 1080, 1080);
    let post = with_media("Vernissage", &[photo]);
    let http = ScriptedHttp::new();
    instagram_script(&http);
    for _ in 0..STATUS_POLLS {
        http.on(
            "GET",
            "fields=status_code",
            json(200, serde_json::json!({"status_code": "IN_PROGRESS"})),
        );
    }
    http.on(
        "GET",
        "fields=status_code",
        json(200, serde_json::json!({"status_code": "FINISHED"})),
    );

    let first = publish_to(&store, &http, &channel.id, &post);
    assert_eq!(
        first,
        PublishOutcome::RetryLater {
            reason: "Instagram is still processing the image".into(),
            retry_after_secs: Some(IN_PROGRESS_RETRY_SECS),
        }
    );
    assert_eq!(http.requests_to("fields=status_code").len(), STATUS_POLLS);
    assert!(
        http.requests_to("/media_publish").is_empty(),
        "not before FINISHED"
    );
    let second = publish_to(&store, &http, &channel.id, &post);
    assert_eq!(
        second,
        PublishOutcome::Published {
            platform_id: "media-1".into(),
            url: "https://www.instagram.com/p/abc/".into(),
        }
    );
    let containers = http
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.url.ends_with("/media"))
        .count();
    assert_eq!(containers, 1, "the recorded container was reused");
}

#[test]
fn an_expired_token_needs_reconnect_with_graphs_message() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "instagram");
    let photo = medium(&store, 1, 1080, 1080);
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "/media",
        json(400, serde_json::json!({"error": {"message": "Error validating access token: Session has expired.",
            "type": "OAuthException", "code": 190, "error_subcode": 463}})),
    );
    let outcome = publish_to(&store, &http, &channel.id, &with_media("x", &[photo]));
    let PublishOutcome::NeedsReconnect { reason } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(reason.contains("Session has expired"), "{reason}");
    let marked = get(&store, &channel.id).unwrap();
    assert_eq!(marked.status, ChannelStatus::NeedsReconnect);

    // Throttling is retried; a media error is refused with Meta's words.
    let throttled = graph_failure(
        "Instagram",
        json(400, serde_json::json!({"error": {"message": "Application request limit reached", "code": 4}}))
            .as_ref(),
        now(),
    );
    assert!(
        matches!(throttled, PublishOutcome::RetryLater { .. }),
        "{throttled:?}"
    );
    let media = graph_failure(
        "Instagram",
        json(
            400,
            serde_json::json!({"error": {"message": "The aspect ratio is not supported.",
            "code": 36003, "error_subcode": 2207009}}),
        )
        .as_ref(),
        now(),
    );
    assert_eq!(
        media,
        PublishOutcome::Refused {
            message: "Instagram: The aspect ratio is not supported.".into()
        }
    );
}

#[test]
fn a_lost_facebook_feed_answer_is_read_back_and_photos_are_reused() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "facebook");
    let post = PostContent {
        text: "Fermeture lundi".into(),
        images: vec![outside_image()],
        ..PostContent::default()
    };
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "img.example",
        raw(200, &[("content-type", "image/jpeg")], b"\xFF\xD8jpeg"),
    );
    http.on(
        "POST",
        "/photos",
        json(200, serde_json::json!({"id": "photo-1"})),
    );
    http.on("POST", "/feed", Err(HttpFailure::Timeout));
    http.on(
        "GET",
        "/feed?",
        json(200, serde_json::json!({"data": [
            {"id": "1048576_1", "message": "Autre chose", "created_time": "2026-11-18T20:26:00+0000"},
            {"id": "1048576_2", "message": "Fermeture lundi", "created_time": "2026-11-18T20:26:40+0000"},
        ]})),
    );
    let first = publish_to(&store, &http, &channel.id, &post);
    assert!(
        matches!(first, PublishOutcome::RetryLater { .. }),
        "{first:?}"
    );
    let feed = &http.requests_to("/feed")[0];
    let body = String::from_utf8(feed.body.clone()).unwrap();
    assert!(
        body.contains("attached_media%5B0%5D=%7B%22media_fbid%22%3A%22photo-1%22%7D"),
        "{body}"
    );
    assert!(
        !body.contains("link="),
        "a photo post carries no link: {body}"
    );
    let upload = &http.requests_to("/photos")[0];
    let multipart = String::from_utf8_lossy(&upload.body);
    assert!(multipart.contains("name=\"published\"\r\n\r\nfalse"));
    assert!(multipart.contains("name=\"source\""));

    let retry = publish_to(&store, &http, &channel.id, &post);
    assert_eq!(
        retry,
        PublishOutcome::Published {
            platform_id: "1048576_2".into(),
            url: "https://www.facebook.com/1048576_2".into(),
        }
    );
    assert_eq!(http.requests_to("/photos").len(), 1, "the photo was reused");
    let posts = http
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.url.ends_with("/feed"))
        .count();
    assert_eq!(posts, 1, "posted once");
}

#[test]
fn a_text_post_sends_its_first_link_and_checks_the_page() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "facebook");
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "/feed",
        json(200, serde_json::json!({"id": "1048576_3"})),
    );
    let post = PostContent {
        text: "Programme : https://bib.example/agenda et https://bib.example/autre".into(),
        ..PostContent::default()
    };
    let outcome = publish_to(&store, &http, &channel.id, &post);
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    let body = String::from_utf8(http.requests_to("/feed")[0].body.clone()).unwrap();
    assert!(
        body.contains("link=https%3A%2F%2Fbib.example%2Fagenda&"),
        "{body}"
    );

    http.on(
        "GET",
        "fields=id%2Cname",
        json(200, serde_json::json!({"id": PAGE, "name": "Médiathèque"})),
    );
    let checked = block_on(super::super::check_connection(
        &store,
        &FixedClock(now()),
        &key(),
        &http,
        &channel.id,
    ))
    .unwrap();
    assert_eq!(checked.status, ChannelStatus::Connected);
    assert_eq!(checked.account.as_deref(), Some("Médiathèque"));
    let url = &http.requests_to("fields=id%2Cname")[0].url;
    assert!(
        url.starts_with(&format!("https://graph.example/v21.0/{PAGE}?")),
        "{url}"
    );
}

#[test]
fn instagram_is_not_called_without_a_public_address_for_the_images() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "instagram");
    assert_eq!(channel.limits.max_characters, 2_200);
    let photo = medium(&store, 1, 1080, 1080);
    let http = ScriptedHttp::new();
    instagram_script(&http);
    let outcome = block_on(publish(
        &store,
        &FixedClock(now()),
        &key(),
        &http,
        &channel.id,
        &with_media("Vernissage", &[photo]),
        "post-8/c/1",
        None,
    ));
    let PublishOutcome::Refused { message } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(message.contains("public_base_url"), "{message}");
    assert!(http.requests().is_empty(), "Meta is not asked");
}
