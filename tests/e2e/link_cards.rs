//! Bluesky link cards end to end: a post linking to one of the library's own pages is
//! published by the tick with an `app.bsky.embed.external` card whose title and description
//! are the page's Open Graph tags and whose thumbnail is the page's `og:image`, read from the
//! app itself by a self request (`http://self.alt`, which the dev host implements as Spin
//! does); a page of the one outside origin of `link_preview_host` gets a card too, a page of
//! any other site none, and is never even requested.

use serde_json::{Value, json};
use tests::TestApp;
use tests::fakes::{FakeBluesky, FakeRequest, FakeResponse, FakeServer};
use tests::time;

const TICK_TOKEN: &str = "tick-token-for-the-cron-0123456789";
const BLUESKY_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
/// The library's public address: never reached, the scheduler reads its pages from the app.
const PUBLIC_BASE_URL: &str = "https://bib.example";
/// The outside page's thumbnail (any bytes: the fake PDS does not decode images).
const POSTER: &[u8] = b"\x89PNG\r\n\x1a\n-a-small-poster";

/// A fake site: an agenda page with Open Graph tags and its poster image; records requests.
fn outside_site(name: &'static str) -> (FakeServer, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = FakeServer::start(move |req: &FakeRequest| {
        log.lock().unwrap().push(req.path().to_owned());
        match req.path() {
            "/agenda" => {
                let mut page = FakeResponse::empty(200)
                    .with_header("content-type", "text/html; charset=utf-8");
                page.body = format!(
                    "<!doctype html><html><head><title>{name}</title>\
                     <meta content='L&#39;agenda de {name} &amp; ses ateliers' property='og:title'>\
                     <meta name=description content=\"Tous les rendez-vous\">\
                     <meta property=\"og:image\" content=\"/affiche.png\"></head><body></body></html>"
                )
                .into_bytes();
                page
            }
            "/affiche.png" => {
                let mut image = FakeResponse::empty(200).with_header("content-type", "image/png");
                image.body = POSTER.to_vec();
                image
            }
            _ => FakeResponse::empty(404),
        }
    });
    (server, seen)
}

/// The `content` of the page's `<meta>` named `property` (as Kiosque writes them).
fn meta_content(html: &str, property: &str) -> String {
    let marker = format!("<meta property=\"{property}\" content=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{property} in the page"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn a_post_linking_to_a_library_page_gets_its_card_and_other_sites_only_when_allowed() {
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    let (allowed_site, allowed_seen) = outside_site("Le Café des lecteurs");
    let (other_site, other_seen) = outside_site("Un autre site");
    let app = TestApp::spawn_with_fakes(&[
        ("scheduler_tick_token", TICK_TOKEN),
        ("public_base_url", PUBLIC_BASE_URL),
        ("link_preview_host", &allowed_site.url()),
        ("library_time_zone", "UTC"),
    ]);
    let channel = app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "bluesky", "name": "Bluesky", "url": bluesky.url(),
                "handle": "bib.bsky.social", "app_password": BLUESKY_PASSWORD,
                "approval_required": false}),
    );
    let channel_id = channel["channel"]["id"].as_str().unwrap().to_owned();

    // A published showcase: its public page is what the post links to.
    let showcase = app.post_json_as_admin_ok(
        "/api/showcases",
        &json!({"kind": "playlist", "title": "Chansons d'hiver & de neige",
                "summary": "Douze chansons pour les soirées froides",
                "items": [{"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg",
                           "duration_secs": 195, "streaming_url": "https://stream.example/j"}]}),
    );
    let showcase_id = showcase["id"].as_str().unwrap().to_owned();
    let published =
        app.post_json_as_admin(&format!("/api/showcases/{showcase_id}/publish"), &json!({}));
    assert_eq!(published.status(), 200);
    let page = app.get(&format!("/showcases/{showcase_id}"));
    assert_eq!(page.status(), 200);
    let page = page.text().unwrap();
    let og_title = meta_content(&page, "og:title");
    let og_description = meta_content(&page, "og:description");
    let og_image = meta_content(&page, "og:image");
    assert!(og_image.starts_with(PUBLIC_BASE_URL), "{og_image}");
    let image = app.get(og_image.trim_start_matches(PUBLIC_BASE_URL));
    assert_eq!(image.status(), 200);
    let image_type = image.headers()["content-type"].to_str().unwrap().to_owned();
    let image_len = image.bytes().unwrap().len();

    let link = format!("{PUBLIC_BASE_URL}/showcases/{showcase_id}");
    let allowed_link = format!("{}/agenda", allowed_site.url());
    let other_link = format!("{}/agenda", other_site.url());
    let texts = [
        format!("Notre sélection de l'hiver 🎶 {link}"),
        format!("Au café : {allowed_link}"),
        format!("Chez nos voisins : {other_link}"),
    ];
    let due = app.next_minute();
    let mut posts = Vec::new();
    for text in &texts {
        let post = app.post_json_as_admin_ok(
            "/api/posts",
            &json!({"text": text, "language": "fr", "channels": [channel_id]}),
        );
        let id = post["id"].as_str().unwrap().to_owned();
        let scheduled = app.post_json_as_admin_ok(
            &format!("/api/posts/{id}/schedule"),
            &json!({"at": time::utc_minute(due), "zone": "UTC"}),
        );
        assert_eq!(scheduled["state"], "scheduled", "{scheduled}");
        posts.push(id);
    }

    app.advance_clock_to(due);
    app.tick(TICK_TOKEN);
    for id in &posts {
        let post = app.get_json_as_admin(&format!("/api/posts/{id}"));
        assert_eq!(post["state"], "published", "{post}");
    }
    assert_eq!(bluesky.problems(), Vec::<String>::new());
    let records = bluesky.records();
    assert_eq!(records.len(), 3, "each post once");
    let record_of = |link: &str| -> Value {
        records
            .iter()
            .map(|(_, record)| record.clone())
            .find(|record| record["text"].as_str().unwrap_or("").contains(link))
            .unwrap_or_else(|| panic!("a record linking {link}"))
    };
    let blobs = bluesky.uploaded_blobs();

    // The library's own page: its Open Graph title, description and image, read from the app.
    let card = &record_of(&link)["embed"];
    assert_eq!(card["$type"], "app.bsky.embed.external", "{card}");
    assert_eq!(card["external"]["uri"], link.as_str());
    assert_eq!(card["external"]["title"], og_title.as_str());
    assert_eq!(card["external"]["description"], og_description.as_str());
    let thumb = &card["external"]["thumb"];
    assert!(blobs.contains(thumb), "{thumb} was uploaded first");
    assert_eq!(thumb["mimeType"], image_type.as_str());
    assert_eq!(thumb["size"], image_len);

    // The allowed outside site: its page and its poster were read.
    let card = &record_of(&allowed_link)["embed"];
    assert_eq!(card["$type"], "app.bsky.embed.external", "{card}");
    assert_eq!(
        card["external"]["title"],
        "L'agenda de Le Café des lecteurs & ses ateliers"
    );
    assert_eq!(card["external"]["description"], "Tous les rendez-vous");
    assert_eq!(card["external"]["thumb"]["size"], POSTER.len());
    assert_eq!(card["external"]["thumb"]["mimeType"], "image/png");
    assert_eq!(*allowed_seen.lock().unwrap(), ["/agenda", "/affiche.png"]);

    // Any other site: published without a card, and never asked, although the runtime would
    // let the scheduler reach it (the test's `image_host` allows every loopback port).
    let plain = record_of(&other_link);
    assert!(plain.get("embed").is_none(), "{plain}");
    assert!(other_seen.lock().unwrap().is_empty());
    assert_eq!(blobs.len(), 2, "two thumbnails, nothing else uploaded");
}
