//! WCAG 2.1 A and AA, checked by axe-core (the npm registry; `scripts/install-axe.sh`, which
//! `cargo xtask test` and `.ci/run` call) in the real browser, over every public page and
//! every console screen with content in them, in French and in English. Any violation fails,
//! listed with the page, the rule and the elements.

use serde_json::{Value, json};
use tests::TestApp;
use tests::browser::Browser;
use tests::time::utc_day;

const PASSWORD: &str = "une longue phrase de passe";

/// The rules axe runs: WCAG 2.0 and 2.1, levels A and AA (what RGAA 4 maps to).
const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

fn axe_source() -> String {
    let path = tests::workspace_root().join("target/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/install-axe.sh (cargo xtask test does)",
            path.display()
        )
    })
}

/// The violations axe finds on the browser's current page, one line each.
fn violations(browser: &Browser, axe: &str, page: &str) -> Vec<String> {
    // WebDriver runs the script as a function body through the DevTools protocol, which the
    // pages' Content-Security-Policy (no scripts) does not apply to.
    let loaded = browser.script(&format!("{axe}\nreturn typeof axe;"), json!([]));
    assert_eq!(loaded, "object", "axe-core loads on {page}");
    let found = browser.async_script(
        "const [tags, done] = arguments;
         axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
           .then((result) => done({passes: result.passes.length,
             violations: result.violations.map((v) =>
               `${v.id} (${v.impact}): ${v.help}: ` +
               v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(' | '))}))
           .catch((e) => done({passes: 0, violations: [`axe failed: ${e}`]}));",
        json!([WCAG_TAGS]),
    );
    // An empty page passes every rule by having nothing to check: make sure axe checked some.
    assert!(
        found["passes"].as_u64().is_some_and(|n| n >= 5),
        "axe ran its rules on {page}: {found}"
    );
    found["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("axe answers on {page}: {found}"))
        .iter()
        .map(|line| format!("{page}: {}", line.as_str().unwrap_or_default()))
        .collect()
}

/// One of each kind of content, published, so the pages show what patrons see.
struct Seeded {
    poll: String,
    question: String,
    contest: String,
    showcase: String,
    exhibition: String,
    event: String,
    tutorial: String,
    campaign_id: String,
    campaign_slug: String,
}

/// The app, with the secret contests need.
fn app() -> TestApp {
    TestApp::spawn_with_fakes(&[("card_hash_key", "accessibility-contact-secret")])
}

fn seed(app: &TestApp) -> Seeded {
    let id = |value: &Value| value["id"].as_str().expect("an id").to_owned();
    // The media library: one described photo and one still without alt text (its badge).
    let mut media = Vec::new();
    for (name, alt) in [
        ("vitrine.jpg", "La vitrine des nouveautés"),
        ("atelier.jpg", ""),
    ] {
        let (status, body) = tests::images::upload(
            app,
            name,
            &tests::images::phone_photo(480, 360),
            json!({"alt": alt, "credit": "Médiathèque"}),
        );
        assert_eq!(status, 201, "{body}");
        media.push(body["medium"]["id"].as_str().expect("an id").to_owned());
    }
    // A poll illustrated from the library.
    let poll = id(&app.post_json_as_admin_ok(
        "/api/polls",
        &json!({"question": "Votre rendez-vous préféré ?", "options": ["Contes", "Concerts"],
                "image": {"medium": media[0], "alt": "La vitrine des nouveautés"}}),
    ));
    let question = id(&app.post_json_as_admin_ok(
        "/api/questions",
        &json!({"text": "Quel livre vous a marqué cette année ?"}),
    ));
    let contest = id(&app.post_json_as_admin_ok(
        "/api/contests",
        &json!({"title": "Concours de nouvelles", "rules": "Une nouvelle de deux pages.",
                "categories": [{"slug": "adultes", "name": "Adultes"}],
                "entry_image": "optional",
                "submissions_open": "2020-01-01T00:00:00Z",
                "submissions_close": "2099-01-01T00:00:00Z", "jury": true, "public_vote": true,
                "voting_open": "2099-01-02T00:00:00Z", "voting_close": "2099-02-01T00:00:00Z"}),
    ));
    let showcase = id(&app.post_json_as_admin_ok(
        "/api/showcases",
        &json!({"kind": "playlist", "title": "Chansons d'hiver", "items": [
            {"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg"},
            {"type": "track", "title": "Il neige", "artist": "Barbara"}]}),
    ));
    let exhibition = id(&app.post_json_as_admin_ok(
        "/api/showcases",
        &json!({"kind": "exhibition", "title": "Affiches de la Belle Époque",
                "summary": "Une exposition en une salle.", "items": [
            {"type": "room", "title": "Le théâtre", "introduction": "Les scènes.", "images": [
                {"url": "https://img.example/1.jpg", "alt": "Affiche du Chat noir",
                 "width": 800, "height": 1200, "credit": "Archives municipales",
                 "licence": "CC BY 4.0"}]}]}),
    ));
    let event = id(&app.post_json_as_admin_ok(
        "/api/events",
        &json!({"title": "Atelier d'écriture", "starts_at": "2099-12-12T14:00",
                "ends_at": "2099-12-12T16:00", "time_zone": "Europe/Paris",
                "place": {"name": "Salle du conte"}}),
    ));
    for path in [
        format!("/api/showcases/{showcase}/publish"),
        format!("/api/showcases/{exhibition}/publish"),
        format!("/api/events/{event}/publish"),
    ] {
        app.post_json_as_admin_ok(&path, &json!({}));
    }
    app.post_json_as_admin_ok(
        "/api/tutorials",
        &json!({"slug": "lire-en-ligne", "title": "Lire en ligne", "summary": "Pas à pas.",
                "level": "beginner", "estimated_minutes": 5,
                "service": {"name": "Numérique", "url": "https://numerique.bib.example"},
                "tags": ["Numérique"],
                "steps": [{"title": "Ouvrir", "text": "Ouvrez le **site**."},
                          {"title": "Lire", "text": "Lisez."}]}),
    );
    app.post_json_as_admin_ok("/api/tutorials/lire-en-ligne/publish", &json!({}));
    let campaign = app.post_json_as_admin_ok(
        "/api/campaigns",
        &json!({"name": "Partir en livre", "slug": "partir-en-livre",
                "description": "Lisez dehors.", "starts_on": utc_day(0),
                "ends_on": utc_day(30),
                "hashtags": ["PartirEnLivre"]}),
    );
    Seeded {
        poll,
        question,
        contest,
        showcase,
        exhibition,
        event,
        tutorial: "lire-en-ligne".to_owned(),
        campaign_id: id(&campaign),
        campaign_slug: "partir-en-livre".to_owned(),
    }
}

#[test]
fn every_public_page_meets_wcag_2_1_aa() {
    let app = app();
    let seeded = seed(&app);
    let axe = axe_source();
    let browser = Browser::start();
    let Seeded {
        poll,
        question,
        contest,
        showcase,
        exhibition,
        event,
        tutorial,
        campaign_slug,
        ..
    } = &seeded;
    let pages = [
        "/".to_owned(),
        format!("/polls/{poll}"),
        format!("/polls/{poll}/results"),
        format!("/polls/{poll}/embed"),
        format!("/questions/{question}"),
        format!("/contests/{contest}"),
        format!("/contests/{contest}/results"),
        "/showcases".to_owned(),
        format!("/showcases/{showcase}"),
        format!("/showcases/{exhibition}"),
        format!("/showcases/{exhibition}/rooms/1"),
        "/events".to_owned(),
        format!("/events/{event}"),
        "/tutorials".to_owned(),
        format!("/tutorials/{tutorial}"),
        format!("/tutorials/{tutorial}/steps/1"),
        format!("/tutorials/{tutorial}/print"),
        format!("/campaigns/{campaign_slug}"),
        "/confidentialite".to_owned(),
        "/accessibilite".to_owned(),
        "/mentions-legales".to_owned(),
        "/nowhere".to_owned(),
        "/admin/sign-in.html".to_owned(),
    ];
    let mut found = Vec::new();
    for page in &pages {
        for lang in ["fr", "en"] {
            let separator = if page.contains('?') { '&' } else { '?' };
            let url = format!("{page}{separator}lang={lang}");
            browser.goto(&app.url(&url));
            browser.wait_for(&url, "document.readyState === 'complete'");
            found.extend(violations(&browser, &axe, &url));
        }
    }
    assert!(
        found.is_empty(),
        "WCAG 2.1 A/AA violations:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_console_screen_meets_wcag_2_1_aa() {
    let app = app();
    let seeded = seed(&app);
    app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": "claire@bib.example", "name": "Claire", "role": "administrator",
                "password": PASSWORD}),
    );
    // One channel, Instagram: the channels table lists it and the composer ticks it, so its
    // preview (caption count, hashtags, "an image is required") is checked too.
    app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "instagram", "name": "Instagram de la médiathèque",
                "url": "https://graph.facebook.com/v21.0", "account_id": "17841400000000001",
                "access_token": "EAAGaccessibilityToken"}),
    );
    // Figures for the reports and the dashboard's last 30 days: page views from a browser
    // (the test's own headless browser is left out as a robot) and a vote.
    let month = utc_day(0)[..7].to_owned();
    for referer in ["", "https://mastodon.social/@bib/113"] {
        let mut request = app.request(reqwest::Method::GET, &format!("/polls/{}", seeded.poll));
        request = request.header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        );
        if !referer.is_empty() {
            request = request.header("referer", referer);
        }
        assert_eq!(app.send(request).status(), 200);
    }
    let vote = app.post_json_with_cookie(
        &format!("/api/polls/{}/votes", seeded.poll),
        &json!({"option": 0}),
        "kiosque_voter=e2e-voter-accessibility-0001",
    );
    assert!(vote.status().is_success(), "{}", vote.status());
    let axe = axe_source();
    let browser = Browser::start();
    browser.sign_in(&app, "claire@bib.example", PASSWORD);

    let Seeded {
        poll,
        question,
        contest,
        showcase,
        event,
        tutorial,
        campaign_id,
        ..
    } = &seeded;
    let screens = [
        "/".to_owned(),
        "/calendar".to_owned(),
        "/compose".to_owned(),
        "/approvals".to_owned(),
        "/channels".to_owned(),
        "/campaigns".to_owned(),
        format!("/campaigns/{campaign_id}"),
        "/polls".to_owned(),
        format!("/polls/{poll}"),
        "/questions".to_owned(),
        format!("/questions/{question}"),
        "/contests".to_owned(),
        format!("/contests/{contest}"),
        "/showcases".to_owned(),
        format!("/showcases/{showcase}"),
        "/events".to_owned(),
        format!("/events/{event}"),
        "/tutorials".to_owned(),
        format!("/tutorials/{tutorial}"),
        "/accounts".to_owned(),
        "/audit".to_owned(),
        "/site-pages".to_owned(),
        "/account".to_owned(),
        "/media".to_owned(),
        "/reports".to_owned(),
        format!("/reports/{month}"),
        format!("/reports/campaigns/{campaign_id}"),
    ];
    let mut found = Vec::new();
    for lang in ["fr", "en"] {
        // The console's language is the browser's choice, kept in localStorage; loading the
        // console afresh on the dashboard applies it.
        browser.script(
            "document.querySelector('#main .screen')?.setAttribute('data-old', '');
             localStorage.setItem('kiosque.lang', arguments[0]);
             location.hash = '#/';
             location.reload();",
            json!([lang]),
        );
        for screen in &screens {
            if screen != "/" {
                // Mark the screen on show, then go to the next one by its hash.
                browser.script(
                    "document.querySelector('#main .screen')?.setAttribute('data-old', '');
                     location.hash = arguments[0];",
                    json!([format!("#{screen}")]),
                );
            }
            // Wait for it fully rendered: the console sets `aria-busy` on its main region
            // while a screen loads.
            browser.wait_for(
                screen,
                &format!(
                    "document.documentElement.lang === '{lang}' \
                     && document.querySelector('#main .screen:not([data-old]) h1') !== null \
                     && !document.getElementById('main').hasAttribute('aria-busy')"
                ),
            );
            found.extend(violations(
                &browser,
                &axe,
                &format!("console ({lang}) #{screen}"),
            ));
        }
    }
    // The printable reports, which only staff see (the browser is signed in).
    for page in [
        format!("/reports/monthly/{month}"),
        format!("/reports/campaigns/{campaign_id}"),
    ] {
        for lang in ["fr", "en"] {
            let url = format!("{page}?lang={lang}");
            browser.goto(&app.url(&url));
            browser.wait_for(&url, "document.readyState === 'complete'");
            found.extend(violations(&browser, &axe, &url));
        }
    }
    assert!(
        found.is_empty(),
        "WCAG 2.1 A/AA violations:\n{}",
        found.join("\n")
    );
}
