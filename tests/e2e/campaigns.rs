//! Campaigns end to end: staff create and edit campaigns (validation, slugs, hashtags in
//! CamelCase), mentions delivered by a signed Mastodon webhook wait for moderation and, once
//! approved, make the public wall (escaped, `nofollow ugc`, French and English, Open Graph,
//! JSON-LD, ETag, embeddable); posts of a campaign go out with its hashtags, are listed on its
//! staff page with their platform links and counted in its engagement (JSON and SVG chart).

use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::TestApp;
use tests::fakes::{FakeMastodon, hmac_sha256};
use tests::time::utc_day;

const MASTODON_SECRET: &str = "mastodon-webhook-secret-for-campaigns";
const MASTODON_TOKEN: &str = "mastodon-access-token-campaigns-42";

fn app() -> TestApp {
    TestApp::spawn_with_fakes(&[("mastodon_webhook_secret", MASTODON_SECRET)])
}

fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn campaign_body(name: &str, slug: &str, tags: &[&str]) -> Value {
    json!({
        "name": name,
        "slug": slug,
        "description": "Lisez toute la nuit & partagez <vos> lectures.",
        "starts_on": utc_day(-3),
        "ends_on": utc_day(10),
        "hashtags": tags,
        "links": [{"kind": "poll", "id": "abc"}],
    })
}

fn create_campaign(app: &TestApp, name: &str, slug: &str, tags: &[&str]) -> Value {
    let (status, body) =
        answer(app.post_json_as_admin("/api/campaigns", &campaign_body(name, slug, tags)));
    assert_eq!(status, 201, "{body}");
    body
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Mastodon `status.created` delivery as a server sends it to an admin webhook.
fn status_created(id: u64, tag: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event": "status.created",
        "created_at": "2026-11-29T08:00:01.000Z",
        "object": {
            "id": id.to_string(),
            "uri": format!("https://social.example/users/lea/statuses/{id}"),
            "url": format!("https://social.example/@lea/{id}"),
            "created_at": "2026-11-29T08:00:00.000Z",
            "visibility": "public",
            "reblog": null,
            "spoiler_text": "",
            "content": format!("<p>{text} <a href=\"https://social.example/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a></p>"),
            "account": {"acct": "lea@social.example", "username": "lea",
                        "display_name": "Léa <b>", "url": "https://social.example/@lea"},
            "media_attachments": [{"type": "image", "description": "Une pile de livres"}],
            "tags": [{"name": tag.to_lowercase(), "url": format!("https://social.example/tags/{}", tag.to_lowercase())}],
        },
    }))
    .unwrap()
}

fn deliver(app: &TestApp, body: &[u8]) -> u16 {
    let signature = format!(
        "sha256={}",
        hex(&hmac_sha256(MASTODON_SECRET.as_bytes(), body))
    );
    app.client
        .post(app.url("/webhooks/mastodon"))
        .header("content-type", "application/json")
        .header("x-hub-signature", signature)
        .body(body.to_vec())
        .send()
        .expect("the app answers")
        .status()
        .as_u16()
}

#[test]
fn staff_create_list_and_edit_campaigns_with_clear_errors() {
    let app = app();
    let body = campaign_body("Nuit de la lecture", "nuit-2026", &["nuit de la lecture"]);
    assert_eq!(app.post_json("/api/campaigns", &body).status(), 401);
    let raw = app
        .client
        .post(app.url("/api/campaigns"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .unwrap();
    assert_eq!(raw.status(), 415);

    let mut bad = body.clone();
    bad["hashtags"] = json!(["lire!"]);
    let (status, error) = answer(app.post_json_as_admin("/api/campaigns", &bad));
    assert_eq!(status, 400);
    assert_eq!(error["error"]["code"], "invalid_campaign");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("hashtags[0]") && message.contains("'!'"),
        "{message}"
    );

    let created = create_campaign(
        &app,
        "Nuit de la lecture",
        "nuit-2026",
        &["nuit de la lecture", "#lecturesdenuitpartagees"],
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["hashtags"],
        json!(["NuitDeLaLecture", "Lecturesdenuitpartagees"])
    );
    assert!(
        created["url"]
            .as_str()
            .unwrap()
            .ends_with("/campaigns/nuit-2026")
    );
    // A tag typed as one lowercase word cannot be split: staff are told.
    assert!(
        created["warnings"][0]
            .as_str()
            .unwrap()
            .contains("CamelCase")
    );

    let (status, taken) = answer(app.post_json_as_admin("/api/campaigns", &body));
    assert_eq!(status, 409);
    assert_eq!(taken["error"]["code"], "slug_taken");

    let list = app.get_json_as_admin("/api/campaigns");
    assert_eq!(list["campaigns"][0]["campaign"]["slug"], "nuit-2026");

    let mut edit = body.clone();
    edit["name"] = json!("Nuits de la lecture");
    edit["hashtags"] = json!(["NuitDeLaLecture", "Lire"]);
    let (status, edited) = answer(app.admin(
        reqwest::Method::PUT,
        &format!("/api/campaigns/{id}"),
        Some(&edit),
    ));
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["name"], "Nuits de la lecture");
    assert_eq!(edited["slug"], "nuit-2026");
    edit["slug"] = json!("autre");
    let (status, refused) = answer(app.admin(
        reqwest::Method::PUT,
        &format!("/api/campaigns/{id}"),
        Some(&edit),
    ));
    assert_eq!(status, 400);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("slug")
    );

    let shown = app.get_json_as_admin(&format!("/api/campaigns/{id}"));
    assert_eq!(shown["campaign"]["name"], "Nuits de la lecture");
    assert_eq!(shown["engagement"]["mentions"], 0);
    assert_eq!(app.get(&format!("/api/campaigns/{id}")).status(), 401);
    let missing = app.get_json_as_admin("/api/campaigns/nosuchcampaign");
    assert_eq!(missing["error"]["code"], "campaign_not_found");

    let page = app.get("/campaigns/nosuch");
    assert_eq!(page.status(), 404);
    assert!(page.text().unwrap().contains("<html"));
}

#[test]
fn signed_mentions_are_moderated_onto_the_public_wall() {
    let app = app();
    let campaign = create_campaign(
        &app,
        "Nuit de la lecture",
        "nuit-wall",
        &["NuitDeLaLecture"],
    );
    let id = campaign["id"].as_str().unwrap().to_owned();

    let script = status_created(
        111,
        "NuitDeLaLecture",
        "Lu toute la nuit &lt;script&gt;alert(1)&lt;/script&gt; https://blog.example/avis",
    );
    assert_eq!(deliver(&app, &script), 200);
    assert_eq!(deliver(&app, &script), 200, "a replay is acknowledged");
    assert_eq!(
        deliver(&app, &status_created(112, "NuitDeLaLecture", "Deuxième")),
        200
    );
    assert_eq!(
        deliver(&app, &status_created(113, "AutreChose", "Hors campagne")),
        200
    );

    let queue = app.get_json_as_admin(&format!("/api/campaigns/{id}/queue?status=pending"));
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{queue}");
    assert_eq!(
        queue["total"], 2,
        "the replay and the other tag are not filed"
    );
    let first = items
        .iter()
        .find(|i| {
            i["mention"]["platform_id"] == "111"
                || i["mention"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/111"))
        })
        .expect("the first status");
    let first_seq = first["seq"].as_u64().unwrap();
    let second_seq = items
        .iter()
        .map(|i| i["seq"].as_u64().unwrap())
        .find(|&s| s != first_seq)
        .unwrap();

    // Pending mentions are not public.
    let page = app.get("/campaigns/nuit-wall").text().unwrap();
    assert!(!page.contains("Lu toute la nuit"));

    let moderate = |seq: u64, decision: Value| {
        answer(app.post_json_as_admin(
            &format!("/api/campaigns/{id}/mentions/{seq}/moderation"),
            &decision,
        ))
    };
    assert_eq!(
        app.post_json(
            &format!("/api/campaigns/{id}/mentions/{first_seq}/moderation"),
            &json!({"decision": "approve"})
        )
        .status(),
        401
    );
    let (status, approved) = moderate(first_seq, json!({"decision": "approve"}));
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    let (status, rejected) = moderate(
        second_seq,
        json!({"decision": "reject", "reason": "doublon"}),
    );
    assert_eq!(status, 200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(moderate(999, json!({"decision": "approve"})).0, 404);
    assert_eq!(moderate(first_seq, json!({"decision": "maybe"})).0, 400);

    let response = app.get("/campaigns/nuit-wall");
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let page = response.text().unwrap();
    for expected in [
        "<html lang=\"fr\">",
        "<h1>Nuit de la lecture</h1>",
        "#NuitDeLaLecture",
        "Lisez toute la nuit &amp; partagez &lt;vos&gt; lectures.",
        "Lu toute la nuit &lt;script&gt;alert(1)&lt;/script&gt;",
        "<a href=\"https://blog.example/avis\" rel=\"nofollow ugc noopener\">",
        "<a href=\"https://social.example/@lea\" rel=\"nofollow ugc noopener\"><bdi>Léa &lt;b&gt;</bdi></a>",
        "Voir sur Mastodon",
        "Image : <span dir=\"auto\">Une pile de livres</span>",
        "<meta property=\"og:title\" content=\"Nuit de la lecture\">",
        "<link rel=\"canonical\" href=\"",
        "\"@type\":\"CollectionPage\"",
        "\"@type\":\"SocialMediaPosting\"",
        "<a href=\"/polls/abc\">Le sondage</a>",
        "/campaigns/nuit-wall/embed",
        "Publications des participants (1)",
    ] {
        assert!(page.contains(expected), "missing {expected} in\n{page}");
    }
    assert!(!page.contains("<script>alert"));
    assert!(
        !page.contains("Deuxième"),
        "a rejected mention stays off the wall"
    );
    assert!(
        !page.contains("doublon"),
        "rejection reasons are for staff only"
    );

    let again = app
        .client
        .get(app.url("/campaigns/nuit-wall"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    let beyond = app.get("/campaigns/nuit-wall?page=99");
    assert_eq!(beyond.status(), 200);
    assert!(
        beyond
            .text()
            .unwrap()
            .contains("Aucune publication pour l’instant.")
    );
    let (status, bad) = answer(app.admin(
        reqwest::Method::GET,
        &format!("/api/campaigns/{id}/queue?status=maybe"),
        None,
    ));
    assert_eq!(status, 400);
    assert_eq!(bad["error"]["code"], "invalid_query");
    let approved = app.get_json_as_admin(&format!("/api/campaigns/{id}/queue?status=approved"));
    assert_eq!(approved["items"].as_array().unwrap().len(), 1);

    let english = app.get("/campaigns/nuit-wall?lang=en").text().unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Posts from participants (1)"));
    assert!(english.contains("<h1 lang=\"fr\">Nuit de la lecture</h1>"));

    let embed = app.get("/campaigns/nuit-wall/embed");
    assert_eq!(embed.status(), 200);
    assert!(
        embed.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors *")
    );
    let embed = embed.text().unwrap();
    assert!(embed.contains("rel=\"nofollow ugc noopener\" target=\"_blank\""));
    assert!(embed.contains("noindex"));

    // Withdrawn later: off the wall again.
    moderate(first_seq, json!({"decision": "reject"}));
    let page = app.get("/campaigns/nuit-wall").text().unwrap();
    assert!(page.contains("Publications des participants (0)"));

    let stats = app.get_json_as_admin(&format!("/api/campaigns/{id}/engagement"));
    assert_eq!(stats["mentions"], 2, "{stats}");
    let today = stats["days"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(today["day"], utc_day(0));
    assert_eq!(today["hashtags"][0]["hashtag"], "NuitDeLaLecture");
    assert_eq!(today["hashtags"][0]["mentions"], 2);
}

#[test]
fn campaign_posts_carry_its_hashtags_and_show_on_its_staff_page_and_chart() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let app = app();
    let (status, channel) = answer(app.post_json_as_admin(
        "/api/channels",
        &json!({"kind": "mastodon", "name": "Mastodon", "url": mastodon.url(),
                "access_token": MASTODON_TOKEN}),
    ));
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["channel"]["id"].as_str().unwrap().to_owned();
    let campaign = create_campaign(
        &app,
        "Nuit de la lecture",
        "nuit-posts",
        &["NuitDeLaLecture", "Lire"],
    );
    let id = campaign["id"].as_str().unwrap().to_owned();

    let (status, unknown) = answer(app.post_json_as_admin(
        "/api/posts",
        &json!({"text": "x", "channels": [channel_id], "campaign": "nosuchcampaign"}),
    ));
    assert_eq!(status, 422, "{unknown}");
    assert_eq!(unknown["error"]["fields"][0]["field"], "campaign");

    let (status, post) = answer(app.post_json_as_admin(
        "/api/posts",
        &json!({"text": "Ce soir, la médiathèque lit jusqu'à minuit.", "hashtags": ["lire"],
                "channels": [channel_id], "campaign": id}),
    ));
    assert_eq!(status, 201, "{post}");
    let post_id = post["id"].as_str().unwrap().to_owned();
    let (status, published) =
        answer(app.post_json_as_admin(&format!("/api/posts/{post_id}/publish"), &json!({})));
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["state"], "published");

    let statuses = mastodon.statuses();
    assert_eq!(statuses.len(), 1);
    let text = statuses[0].body["status"].as_str().unwrap().to_owned();
    assert!(
        text.contains("#Lire") && text.contains("#NuitDeLaLecture"),
        "{text}"
    );
    assert_eq!(text.matches("#Lire").count(), 1, "{text}");

    let shown = app.get_json_as_admin(&format!("/api/campaigns/{id}"));
    let posts = shown["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "{shown}");
    assert_eq!(posts[0]["id"], post_id.as_str());
    assert_eq!(posts[0]["state"], "published");
    assert!(
        posts[0]["published"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
    assert_eq!(shown["engagement"]["posts"], 1);
    let today = shown["engagement"]["days"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(today["posts"], 1);
    assert_eq!(today["hashtags"][1]["hashtag"], "Lire");
    assert_eq!(today["hashtags"][1]["posts"], 1);

    let svg = app.admin(
        reqwest::Method::GET,
        &format!("/api/campaigns/{id}/engagement.svg"),
        None,
    );
    assert_eq!(svg.status(), 200);
    assert!(
        svg.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = svg.text().unwrap();
    assert!(svg.contains("role=\"img\"") && svg.contains("<desc id=\"chart-desc\">"));
    assert!(svg.contains("0 mentions reçues et 1 publications"), "{svg}");
    let figure = app
        .admin(
            reqwest::Method::GET,
            &format!("/api/campaigns/{id}/engagement.html?lang=en"),
            None,
        )
        .text()
        .unwrap();
    assert!(figure.contains("<table>") && figure.contains("Posts published"));
    let (status, bad_range) = answer(app.admin(
        reqwest::Method::GET,
        &format!("/api/campaigns/{id}/engagement?from=2026-01-01"),
        None,
    ));
    assert_eq!(status, 400);
    assert_eq!(bad_range["error"]["code"], "invalid_query");
    assert_eq!(mastodon.problems(), Vec::<String>::new());
}
