//! Reports end to end (`components/reports`): staff only (401 for the JSON, the console's
//! sign-in for the printable pages), clear 400/404 answers, the CSV downloads and the
//! printable report's structure; and the "done when": a post published to the fakes
//! of Mastodon, Bluesky and a Facebook Page, its figures fetched by the tick an hour later,
//! page views and votes made, then the campaign and monthly reports show the exact sums.

use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::TestApp;
use tests::channels;
use tests::fakes::{FakeBluesky, FakeMastodon, FakeMeta};
use tests::time;

const TICK_TOKEN: &str = "tick-token-for-the-reports-0123456789";
const MASTODON_TOKEN: &str = "mastodon-token-for-reports-0123";
const BLUESKY_PASSWORD: &str = "abcd-efgh-ijkl-mnop";
const PAGE_TOKEN: &str = "EAAGpageAccessTokenReports0123";
const PAGE_ID: &str = "104857600456";
const IG_USER_ID: &str = "17841400000000002";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().expect("a JSON answer"))
}

fn admin_get(app: &TestApp, path: &str) -> Response {
    app.admin(Method::GET, path, None)
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[test]
fn reports_are_for_staff_with_clear_errors_csv_and_a_printable_page() {
    let app = TestApp::spawn();

    // Without credentials: 401 problem details for the JSON and the CSV, the console's
    // sign-in (coming back to the Reports screen) for the printable pages.
    for path in [
        "/api/reports/monthly/2026-11",
        "/api/reports/monthly/2026-11/posts.csv",
        "/api/reports/recent",
        "/api/reports/campaigns/abc",
        "/api/reports/posts/abc",
    ] {
        let (status, body) = answer(app.get(path));
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
    }
    let page = app.get("/reports/monthly/2026-11");
    assert_eq!(page.status(), 303);
    assert_eq!(
        header(&page, "location"),
        "/admin/sign-in.html?next=%23/reports/2026-11"
    );
    let chart = app.get("/reports/monthly/2026-11/charts/views.svg");
    assert_eq!(chart.status(), 303);

    // A bad month: 400, as JSON for the API, as an HTML page for the report.
    for path in [
        "/api/reports/monthly/2026-13",
        "/api/reports/monthly/novembre",
        "/api/reports/monthly/0000-01/days.csv",
    ] {
        let (status, body) = answer(admin_get(&app, path));
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{path}");
    }
    let bad = admin_get(&app, "/reports/monthly/2026-13");
    assert_eq!(bad.status(), 400);
    assert!(header(&bad, "content-type").starts_with("text/html"));
    let text = bad.text().unwrap();
    assert!(text.contains("Mois invalide") && text.contains("Invalid month"));
    // Unknown campaign or post: 404.
    let (status, body) = answer(admin_get(&app, "/api/reports/campaigns/nosuchcampaign"));
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    let (status, _) = answer(admin_get(&app, "/api/reports/posts/nosuchpost"));
    assert_eq!(status, 404);
    let missing = admin_get(&app, "/reports/campaigns/nosuchcampaign");
    assert_eq!(missing.status(), 404);
    assert!(header(&missing, "content-type").starts_with("text/html"));
    assert_eq!(
        admin_get(&app, "/reports/monthly/2026-11/charts/nothing.svg").status(),
        404
    );

    // CSV downloads: named, not cached, a header line even when empty.
    for (what, first) in [
        (
            "posts",
            "post,channel,network,published_at,url,excerpt,state,likes,reposts,replies,quotes,engagement,reach,impressions,fetched_at",
        ),
        (
            "pages",
            "path,views,direct,site,mastodon,bluesky,facebook,instagram,search,other",
        ),
        (
            "days",
            "day,views,direct,site,mastodon,bluesky,facebook,instagram,search,other,votes,answers,entries,feedback",
        ),
    ] {
        let csv = admin_get(&app, &format!("/api/reports/monthly/2026-11/{what}.csv"));
        assert_eq!(csv.status(), 200, "{what}");
        assert_eq!(header(&csv, "content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            header(&csv, "content-disposition"),
            format!("attachment; filename=\"{what}-2026-11.csv\"")
        );
        assert_eq!(header(&csv, "cache-control"), "no-store");
        let body = csv.text().unwrap();
        assert!(body.starts_with(&format!("{first}\r\n")), "{what}: {body}");
        let rows = body.matches("\r\n").count();
        let expected = if what == "days" { 31 } else { 1 };
        assert_eq!(rows, expected, "{what}: {body}");
    }

    // The printable report: a full page, staff only, never cached nor indexed, French first.
    let page = admin_get(&app, "/reports/monthly/2026-11");
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
    let html = page.text().unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
    assert!(
        html.contains("<h1>Rapport d’activité : novembre 2026</h1>"),
        "{html}"
    );
    assert!(html.contains("du 1er novembre 2026 au 30 novembre 2026"));
    assert!(html.contains("<main id=\"contenu\""));
    // Four charts, each an image named and described, then its table.
    assert_eq!(html.matches("role=\"img\"").count(), 4, "{html}");
    assert_eq!(html.matches("<figure class=\"chart\">").count(), 4);
    assert!(
        html.contains("<desc id=\"vues-jour-desc\">Du 2026-11-01 au 2026-11-30 : 0 vues.</desc>"),
        "{html}"
    );
    // Key figures, the four charts' tables, the networks' (no top posts nor pages yet).
    assert_eq!(html.matches("<caption>").count(), 6);
    assert!(html.contains("<th scope=\"col\">octobre 2026</th>"));
    assert!(
        html.contains("<th scope=\"row\"><time datetime=\"2026-11-30\">2026-11-30</time></th>")
    );
    // Headings in order: one h1, then h2 sections.
    let h1 = html.find("<h1>").unwrap();
    let first_h2 = html.find("<h2").unwrap();
    assert!(h1 < first_h2);
    assert!(!html.contains("<h4"));
    // Reach not given by any network: said, never a zero.
    assert!(html.contains("non communiqué"));
    assert!(html.contains("href=\"/api/reports/monthly/2026-11/posts.csv\""));
    let english = admin_get(&app, "/reports/monthly/2026-11?lang=en")
        .text()
        .unwrap();
    assert!(
        english.contains("<h1>Activity report: November 2026</h1>"),
        "{english}"
    );
    assert!(english.contains("not provided"));

    let svg = admin_get(&app, "/reports/monthly/2026-11/charts/sources.svg");
    assert_eq!(svg.status(), 200);
    assert!(header(&svg, "content-type").starts_with("image/svg+xml"));
    let svg = svg.text().unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));

    let recent = app.get_json_as_admin("/api/reports/recent");
    assert_eq!(recent["views"], 0, "{recent}");
    assert_eq!(recent["networks"].as_array().unwrap().len(), 4);
}

fn network<'a>(figures: &'a Value, name: &str) -> &'a Value {
    figures["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["network"] == name)
        .unwrap_or_else(|| panic!("{name} in {figures}"))
}

#[test]
fn campaign_and_monthly_reports_sum_fetched_figures_views_and_votes() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    let meta = FakeMeta::start(PAGE_TOKEN, PAGE_ID, IG_USER_ID);
    let app = TestApp::spawn_with_fakes(&[
        ("scheduler_tick_token", TICK_TOKEN),
        ("meta_host", "http://127.0.0.1:*"),
    ]);
    // Everything below happens within hours on the app's clock (the guests count views,
    // votes and publications with it): from the middle of a month, all of it falls in the
    // month asked for, whatever the day the test runs.
    app.advance_clock_to(time::mid_month_from(app.now()));
    let channels = vec![
        channels::mastodon(&app, &mastodon, MASTODON_TOKEN),
        channels::bluesky(&app, &bluesky, "bib.bsky.social", BLUESKY_PASSWORD),
        channels::facebook(&app, &meta, PAGE_ID, PAGE_TOKEN),
    ];
    let campaign = app.post_json_as_admin_ok(
        "/api/campaigns",
        &json!({"name": "Nuit de la lecture", "slug": "nuit-rapports",
                "description": "Lisez !",
                "starts_on": time::utc_day_of(app.now() - 3 * 86_400),
                "ends_on": time::utc_day_of(app.now() + 10 * 86_400), "hashtags": ["NuitDeLaLecture"], "links": []}),
    );
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let post = app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Nuit de la lecture samedi : lectures, jeux et contes",
                "channels": channels, "campaign": campaign_id}),
    );
    let post_id = post["id"].as_str().unwrap().to_owned();
    // A second post outside the campaign, on Mastodon only.
    let other = app.post_json_as_admin_ok(
        "/api/posts",
        &json!({"text": "Horaires d'hiver de la médiathèque", "channels": [channels[0]]}),
    );
    let other_id = other["id"].as_str().unwrap().to_owned();
    for id in [&post_id, &other_id] {
        let published = app.post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
        assert_eq!(published["state"], "published", "{published}");
    }
    let published = app.now();
    let month = time::utc_month_of(published);

    // The networks' figures, an hour later.
    let records = app.get_json_as_admin(&format!("/api/posts/{post_id}/metrics"));
    let platform_id = |kind: &str| {
        records["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == kind)
            .unwrap_or_else(|| panic!("{kind} tracked: {records}"))["platform_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    mastodon.set_figures(
        &platform_id("mastodon"),
        json!({"favourites_count": 4, "reblogs_count": 2, "replies_count": 1, "quotes_count": 1}),
    );
    let uri = platform_id("bluesky");
    bluesky.set_figures(
        uri.rsplit('/').next().unwrap(),
        json!({"likeCount": 7, "repostCount": 3, "replyCount": 2, "quoteCount": 0}),
    );
    meta.set_figures(
        &platform_id("facebook"),
        json!({"reactions": 12, "comments": 3, "shares": 2, "post_total_media_view_unique": 340}),
    );
    let other_records = app.get_json_as_admin(&format!("/api/posts/{other_id}/metrics"));
    mastodon.set_figures(
        other_records["channels"][0]["platform_id"]
            .as_str()
            .unwrap(),
        json!({"favourites_count": 1, "reblogs_count": 0, "replies_count": 0, "quotes_count": 0}),
    );

    // Page views (three from a browser, one of them from Bluesky; a robot's not counted) and
    // two votes, in the same month.
    let poll = app.post_json_as_admin_ok(
        "/api/polls",
        &json!({"question": "Quel livre lire cet hiver ?", "options": ["Germinal", "Nana"]}),
    );
    let poll_path = format!("/polls/{}", poll["id"].as_str().unwrap());
    for referer in [None, None, Some("https://bsky.app/profile/bib.bsky.social")] {
        let mut request = app
            .request(Method::GET, &poll_path)
            .header("user-agent", FIREFOX);
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        assert_eq!(app.send(request).status(), 200);
    }
    let robot = app
        .request(Method::GET, &poll_path)
        .header("user-agent", "curl/8.5.0");
    assert_eq!(app.send(robot).status(), 200);
    for voter in ["e2e-voter-0000000000000011", "e2e-voter-0000000000000012"] {
        let vote = app.post_json_with_cookie(
            &format!("/api/polls/{}/votes", poll["id"].as_str().unwrap()),
            &json!({"option": 0}),
            &format!("kiosque_voter={voter}"),
        );
        assert_eq!(vote.status(), 201);
    }

    let reports = app.tick_at(TICK_TOKEN, published + 2 * 3600 + 60);
    let snapshots: u64 = reports
        .iter()
        .map(|r| r["metrics"]["snapshots"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(snapshots, 4, "{reports:?}");

    // The campaign: its one post on three networks.
    let report = app.get_json_as_admin(&format!("/api/reports/campaigns/{campaign_id}"));
    let posts = &report["posts"];
    assert_eq!(posts["posts"], 1, "{report}");
    assert_eq!(
        (
            posts["likes"].clone(),
            posts["reposts"].clone(),
            posts["replies"].clone()
        ),
        (json!(4 + 7 + 12), json!(2 + 3 + 2), json!(1 + 2 + 3)),
        "{report}"
    );
    assert_eq!(posts["engagement"], 8 + 12 + 17, "{report}");
    assert_eq!(posts["reach"], 340, "only Facebook gives a reach: {report}");
    assert_eq!(network(posts, "mastodon")["engagement"], 8);
    assert_eq!(network(posts, "mastodon").get("reach"), None);
    assert_eq!(network(posts, "facebook")["reach"], 340);
    assert_eq!(network(posts, "instagram")["posts"], 0);
    assert_eq!(posts["top_posts"][0]["network"], "facebook");
    assert_eq!(report["posts_published"], 1, "{report}");

    // The month: both posts, the views and the votes.
    let monthly = app.get_json_as_admin(&format!("/api/reports/monthly/{month}"));
    let totals = &monthly["totals"];
    assert_eq!(totals["posts"], 2, "{monthly}");
    assert_eq!(totals["engagement"], 8 + 12 + 17 + 1, "{monthly}");
    assert_eq!(totals["reach"], 340);
    assert_eq!(totals["views"], 3, "{monthly}");
    assert_eq!(totals["votes"], 2, "{monthly}");
    assert_eq!(monthly["posts"]["networks"][0]["posts"], 2);
    assert_eq!(monthly["audience"]["by_source"]["bluesky"], 1);
    assert_eq!(monthly["audience"]["by_source"]["direct"], 2);
    assert_eq!(
        monthly["audience"]["top_pages"][0]["path"],
        poll_path.as_str()
    );

    // Its CSV: one row per post and channel with the figures; the campaign's has three.
    let csv = admin_get(&app, &format!("/api/reports/monthly/{month}/posts.csv"))
        .text()
        .unwrap();
    assert_eq!(csv.matches("\r\n").count(), 1 + 4, "{csv}");
    assert!(csv.contains(",facebook,"), "{csv}");
    assert!(csv.contains(",active,12,2,3,0,17,340,,"), "{csv}");
    assert!(csv.contains(",active,4,2,1,1,8,,,"), "{csv}");
    let csv = admin_get(
        &app,
        &format!("/api/reports/campaigns/{campaign_id}/posts.csv"),
    );
    assert_eq!(
        header(&csv, "content-disposition"),
        "attachment; filename=\"campaign-nuit-rapports-posts.csv\""
    );
    assert_eq!(csv.text().unwrap().matches("\r\n").count(), 1 + 3);
    let pages = admin_get(&app, &format!("/api/reports/monthly/{month}/pages.csv"))
        .text()
        .unwrap();
    assert!(
        pages.contains(&format!("\r\n{poll_path},3,2,0,0,1,0,0,0,0\r\n")),
        "{pages}"
    );

    // The printable reports say the same figures.
    let html = admin_get(&app, &format!("/reports/campaigns/{campaign_id}"))
        .text()
        .unwrap();
    assert!(
        html.contains("<h1>Rapport de campagne : Nuit de la lecture</h1>"),
        "{html}"
    );
    assert!(html.contains("37 interactions en tout"), "{html}");
    let html = admin_get(&app, &format!("/reports/monthly/{month}"))
        .text()
        .unwrap();
    assert!(html.contains("38 interactions en tout"), "{html}");
    assert!(html.contains("Nuit de la lecture samedi"), "{html}");

    // The post's own report, and the last 30 days.
    let post_report = app.get_json_as_admin(&format!("/api/reports/posts/{post_id}"));
    assert_eq!(post_report["engagement"], 37, "{post_report}");
    assert_eq!(post_report["channels"].as_array().unwrap().len(), 3);
    let recent = app.get_json_as_admin("/api/reports/recent");
    assert_eq!(
        (
            recent["posts"].clone(),
            recent["engagement"].clone(),
            recent["votes"].clone()
        ),
        (json!(2), json!(38), json!(2)),
        "{recent}"
    );
}

#[test]
fn the_console_shows_the_last_30_days_and_the_reports_screen() {
    const PASSWORD: &str = "une longue phrase de passe";
    let app = TestApp::spawn();
    // The views and the vote are counted on the app's clock, the month asked for read from
    // it: from the middle of a month, both are the same month whatever the day. An external
    // app has no clock to move (it would be a wait of weeks): there, today's month.
    if !app.is_external() {
        app.advance_clock_to(time::mid_month_from(app.now()));
    }
    app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": "claire@bib.example", "name": "Claire", "role": "moderator",
                "password": PASSWORD}),
    );
    let poll = app.post_json_as_admin_ok(
        "/api/polls",
        &json!({"question": "Quel livre lire cet hiver ?", "options": ["Germinal", "Nana"]}),
    );
    let poll_id = poll["id"].as_str().unwrap();
    for _ in 0..2 {
        let request = app
            .request(Method::GET, &format!("/polls/{poll_id}"))
            .header("user-agent", FIREFOX);
        assert_eq!(app.send(request).status(), 200);
    }
    let vote = app.post_json_with_cookie(
        &format!("/api/polls/{poll_id}/votes"),
        &json!({"option": 1}),
        "kiosque_voter=e2e-voter-0000000000000021",
    );
    assert_eq!(vote.status(), 201);
    let month = time::utc_month_of(app.now());

    let browser = tests::browser::Browser::start();
    browser.sign_in(&app, "claire@bib.example", PASSWORD);
    // The dashboard's card: 2 views, 1 vote, a link to the reports.
    browser.find("[data-testid=dash-recent-figures]");
    let figures = browser.text("[data-testid=dash-recent-figures]");
    assert!(
        figures.contains("2\nvues des pages") || figures.contains("2 vues des pages"),
        "{figures}"
    );
    assert!(
        figures.contains("1\nvotes") || figures.contains("1 votes"),
        "{figures}"
    );
    browser.find("[data-testid=nav-reports]");
    browser.click("[data-testid=dash-reports-link]");
    browser.wait_for("the reports screen", "location.hash === '#/reports'");
    browser.find("[data-testid=report-key-figures]");

    // This month's report: the figures, four charts the server drew, the printable version.
    browser.script(
        "location.hash = arguments[0];",
        json!([format!("#/reports/{month}")]),
    );
    browser.wait_for(
        "this month's report",
        &format!("document.querySelector('[data-testid=report-month]')?.value === '{month}'"),
    );
    let key = browser.text("[data-testid=report-key-figures]");
    assert!(key.contains("Vues des pages publiques"), "{key}");
    browser.wait_for(
        "the charts",
        "[...document.querySelectorAll('[data-testid=report-chart]')]\
           .filter((img) => img.complete && img.naturalWidth > 0).length === 4",
    );
    let printable = browser.find("[data-testid=report-printable]");
    assert_eq!(
        browser.attribute(&printable, "href").unwrap(),
        format!("/reports/monthly/{month}?lang=fr")
    );
    let pages = browser.text("[data-testid=report-pages]");
    assert!(pages.contains(&format!("/polls/{poll_id}")), "{pages}");
}
