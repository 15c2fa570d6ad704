//! The staff console in a real browser: headless Chromium (Debian's, installed by
//! `scripts/install-browser.sh`) driven over WebDriver against the dev host. Staff sign in,
//! compose and schedule a post from the calendar, approve it as another user, move it,
//! moderate an answer, reorder a showcase, upload a photo to the media library and schedule
//! it to Mastodon, Bluesky, a Facebook Page and Instagram (connected from the Channels screen);
//! the security cases are checked from the page itself. Screenshots of the main screens land in `target/browser-screenshots/`.

use serde_json::{Value, json};
use tests::TestApp;
use tests::browser::Browser;
use tests::fakes::{FakeBluesky, FakeMastodon, FakeMeta};

const PASSWORD: &str = "une longue phrase de passe";
const MASTODON_TOKEN: &str = "mastodon-secret-access-token-42";
const PAGE_TOKEN: &str = "EAAGpageAccessTokenForTheConsole42";
const PAGE_ID: &str = "104857600777";
const IG_USER_ID: &str = "17841400000000777";
const TICK_TOKEN: &str = "tick-token-for-the-console-0123456789";

fn account(app: &TestApp, email: &str, name: &str, role: &str) {
    app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": email, "name": name, "role": role, "password": PASSWORD}),
    );
}

/// Signs in through the sign-in page as a person would, and waits for the console.
fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.sign_in(app, email, PASSWORD);
}

/// Ticks a channel in the composer (once it is drawn), leaving it ticked if it was.
fn tick_channel(browser: &Browser, channel_id: &str) {
    let channel_box = format!("[data-testid=compose-channel][data-channel-id='{channel_id}']");
    browser.find(&channel_box);
    browser.script(
        "const box = document.querySelector(arguments[0]); if (!box.checked) box.click();",
        json!([channel_box]),
    );
}

/// Submits the composer and waits for the post's page: the new post's id.
fn submit_composer(browser: &Browser) -> String {
    browser.click("[data-testid=compose-submit]");
    browser.wait_for("the post page", "location.hash.startsWith('#/posts/')");
    browser
        .script("return location.hash.slice('#/posts/'.length);", json!([]))
        .as_str()
        .unwrap()
        .to_owned()
}

fn sign_out(browser: &Browser) {
    browser.click("[data-testid=sign-out]");
    browser.wait_for("signed out", "location.pathname.endsWith('/sign-in.html')");
}

/// A `fetch` from the page, as a script on it could send: `[status, body]`.
fn page_fetch(
    browser: &Browser,
    method: &str,
    path: &str,
    headers: Value,
    body: Option<Value>,
) -> (u64, Value) {
    let answer = browser.async_script(
        "const [method, path, headers, body, done] = arguments;
         fetch(path, {method, headers, credentials: 'same-origin',
                      body: body === null ? undefined : JSON.stringify(body)})
           .then(async (r) => done([r.status, await r.json().catch(() => null)]))
           .catch((e) => done([0, String(e)]));",
        json!([method, path, headers, body]),
    );
    (answer[0].as_u64().unwrap_or(0), answer[1].clone())
}

#[test]
fn the_console_refuses_what_it_must_in_a_real_browser() {
    let app = TestApp::spawn();
    account(&app, "anne@bib.example", "Anne", "editor");
    account(&app, "bruno@bib.example", "Bruno", "moderator");
    let browser = Browser::start();

    // No session: the console's page sends to the sign-in page, the APIs answer 401.
    browser.goto(&app.url("/admin/"));
    browser.wait_for(
        "redirected to sign-in",
        "location.pathname.endsWith('/sign-in.html')",
    );
    browser.find("[data-testid=sign-in-form]");
    browser.screenshot("sign-in");
    let (status, _) = page_fetch(&browser, "GET", "/api/posts", json!({}), None);
    assert_eq!(status, 401);

    // An editor: no Accounts in the menu, and the API refuses them anyway.
    sign_in(&browser, &app, "anne@bib.example");
    assert!(browser.text("[data-testid=whoami]").contains("Anne"));
    browser.screenshot("dashboard");
    let accounts_links = browser.find_all("[data-testid=nav-accounts]");
    assert!(accounts_links.is_empty(), "an editor sees no Accounts link");
    let (status, body) = page_fetch(&browser, "GET", "/api/staff/accounts", json!({}), None);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("forbidden"))
    );

    // A change without the CSRF token is refused, even from our own page with the cookie.
    let question = json!({"text": "Un livre pour l'hiver ?", "fields": ["title"]});
    let (status, body) = page_fetch(
        &browser,
        "POST",
        "/api/questions",
        json!({"content-type": "application/json"}),
        Some(question.clone()),
    );
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("csrf"))
    );
    let csrf = browser.async_script(
        "const done = arguments[0];
         fetch('/api/staff/me').then((r) => r.json()).then((me) => done(me.csrf_token));",
        json!([]),
    );
    let (status, _) = page_fetch(
        &browser,
        "POST",
        "/api/questions",
        json!({"content-type": "application/json", "x-csrf-token": csrf}),
        Some(question),
    );
    assert_eq!(status, 201);
    sign_out(&browser);

    // Sign-in throttling shows its message on the page.
    for _ in 0..5 {
        browser.submit_sign_in(&app, "bruno@bib.example", "pas le bon mot de passe");
        browser.find("[data-testid=sign-in-error-invalid]");
    }
    browser.submit_sign_in(&app, "bruno@bib.example", PASSWORD);
    browser.find("[data-testid=sign-in-error-throttled]");
    browser.screenshot("sign-in-throttled");
}

/// The first day from tomorrow on that the calendar on screen offers to add a post to, with
/// a later one on screen too (the drag test moves the post there).
fn a_future_day(browser: &Browser) -> String {
    let days = "(() => { const today = new Date().toISOString().slice(0, 10);
        return [...document.querySelectorAll('[data-testid=day-add]')]
          .map((b) => b.dataset.date).filter((d) => d > today); })()";
    if let Some(day) = browser
        .script(
            &format!("const days = {days}; return days.length >= 2 ? days[0] : null;"),
            json!([]),
        )
        .as_str()
    {
        return day.to_owned();
    }
    // Near the end of the month: the next one. Wait for its days, not for any day button
    // (the old month's are still there until the new grid is drawn).
    browser.click("[data-testid=calendar-next]");
    let next_month =
        "(() => { const d = new Date(); d.setUTCDate(1); d.setUTCMonth(d.getUTCMonth() + 1);
        return d.toISOString().slice(0, 7); })()";
    browser.wait_for(
        "the next month's days",
        &format!("{days}.filter((d) => d.startsWith({next_month})).length >= 2"),
    );
    browser
        .script(
            &format!(
                "const days = {days}; return days.filter((d) => d.startsWith({next_month}))[0];"
            ),
            json!([]),
        )
        .as_str()
        .expect("a future day")
        .to_owned()
}

#[test]
fn a_post_composed_from_the_calendar_is_approved_by_another_user_and_moved() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let app = TestApp::spawn_with_fakes(&[]);
    let channel = app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "mastodon", "name": "Mastodon de la médiathèque",
                "url": mastodon.url(), "access_token": MASTODON_TOKEN}),
    );
    let channel_id = channel["channel"]["id"].as_str().unwrap().to_owned();
    account(&app, "anne@bib.example", "Anne", "editor");
    account(&app, "direction@bib.example", "Direction", "administrator");
    let browser = Browser::start();

    // The editor composes from an empty day of the calendar.
    sign_in(&browser, &app, "anne@bib.example");
    browser.goto(&app.url("/admin/#/calendar"));
    browser.find("[data-testid=day-add]");
    browser.screenshot("calendar");
    let day = a_future_day(&browser);
    browser.click(&format!("[data-testid=day-add][data-date='{day}']"));
    browser.find("[data-testid=compose-form]");
    let prefilled = browser.script(
        "return document.querySelector('[data-testid=compose-date]').value;",
        json!([]),
    );
    assert_eq!(
        prefilled,
        json!(day),
        "the composer starts on the chosen day"
    );
    // The library's only channel comes ticked; tick it if not.
    tick_channel(&browser, &channel_id);
    browser.type_into(
        "[data-testid=compose-text]",
        "Rencontre avec Annie Ernaux à la médiathèque : entrée libre !",
    );
    browser.find("[data-testid=preview-card]");
    browser.screenshot("composer");
    let post_id = submit_composer(&browser);
    let state = browser.find("[data-testid=post-state]");
    assert_eq!(
        browser.attribute(&state, "data-state").as_deref(),
        Some("awaiting_approval")
    );
    let post = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
    assert_eq!(post["state"], "awaiting_approval");
    assert_eq!(post["requested"]["at"], format!("{day}T10:00"));
    sign_out(&browser);

    // Another user, an administrator, approves it from the approvals screen.
    sign_in(&browser, &app, "direction@bib.example");
    browser.goto(&app.url("/admin/#/approvals"));
    browser.find(&format!(
        "[data-testid=approval-item][data-post-id='{post_id}']"
    ));
    browser.screenshot("approvals");
    browser.click(&format!("[data-testid=approve][data-post-id='{post_id}']"));
    wait_for_state(&app, &post_id, "scheduled");
    let post = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
    assert_eq!(post["schedule"]["local"], format!("{day}T10:00"));

    // The calendar shows it; the keyboard's "move" reschedules it (drag has the same end).
    // The address names the post's month, so the test waits for the chip itself (never
    // concludes from "not drawn yet" that it is in another month).
    browser.goto(&app.url(&format!("/admin/#/calendar?view=month&date={day}")));
    browser.find(&format!(
        "[data-testid=post-chip][data-post-id='{post_id}']"
    ));
    browser.click(&format!(
        "[data-testid=post-chip][data-post-id='{post_id}'] [data-testid=chip-move]"
    ));
    browser.find("[data-testid=move-dialog]");
    browser.type_into("[data-testid=move-time]", "1430");
    browser.screenshot("calendar-move");
    browser.click("[data-testid=move-dialog-submit]");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let post = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
        if post["schedule"]["local"] == json!(format!("{day}T14:30")) {
            assert_eq!(post["state"], "scheduled");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the move lands: {post}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // The screen confirms it too (as staff would wait for) before the test moves on.
    let chip = format!("[data-testid=post-chip][data-post-id='{post_id}']");
    browser.wait_for(
        "the calendar redrawn with the move",
        &format!("document.querySelector(\"{chip} .chip-time\")?.textContent === '14:30'"),
    );

    // Dragging the chip onto another day moves it there, keeping its time. The same month
    // by another address (its first day), so the screen is drawn again with the move.
    browser.goto(&app.url(&format!(
        "/admin/#/calendar?view=month&date={}-01",
        &day[..7]
    )));
    browser.wait_for(
        "the chip at its new time",
        &format!("document.querySelector(\"{chip} .chip-time\")?.textContent === '14:30'"),
    );
    let other_day = browser
        .script(
            "const [day] = arguments; const today = new Date().toISOString().slice(0, 10);
             const cells = [...document.querySelectorAll('[data-testid=calendar-day]')]
               .map((c) => c.dataset.date).filter((d) => d > today && d !== day);
             return cells.length ? cells[0] : null;",
            json!([day]),
        )
        .as_str()
        .map(str::to_owned);
    // `a_future_day` made sure a later day is on screen.
    {
        let other_day = other_day.expect("another future day on the calendar");
        browser.script(
            "const [chipSelector, target] = arguments;
             const chip = document.querySelector(chipSelector);
             const cell = document.querySelector(`[data-testid=calendar-day][data-date='${target}']`);
             const data = new DataTransfer();
             chip.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
             cell.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data}));
             cell.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data}));
             chip.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: data}));",
            json!([chip, other_day]),
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let post = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
            if post["schedule"]["local"] == json!(format!("{other_day}T14:30")) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the drop lands: {post}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        browser.wait_for(
            "the calendar redrawn with the drop",
            &format!(
                "document.querySelector(\"[data-testid=calendar-day][data-date='{other_day}'] {chip}\") !== null"
            ),
        );
    }

    // The other main screens, for the record.
    for (screen, ready) in [
        ("channels", "[data-testid=channel-row]"),
        ("accounts", "[data-testid=account-row]"),
        ("audit", "[data-testid=audit-entry]"),
        ("account", "[data-testid=token-form]"),
        ("campaigns", "[data-testid=campaign-form]"),
    ] {
        browser.goto(&app.url(&format!("/admin/#/{screen}")));
        browser.find(ready);
        browser.screenshot(screen);
    }
}

fn wait_for_state(app: &TestApp, post_id: &str, wanted: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let post = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
        if post["state"] == json!(wanted) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "state {wanted}: {post}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_moderator_approves_an_answer_and_an_entry_and_an_editor_reorders_a_showcase() {
    // Contests keep participants' emails under `card_hash_key`.
    let app = TestApp::spawn_with_fakes(&[("card_hash_key", "console-contact-secret")]);
    account(&app, "bruno@bib.example", "Bruno", "moderator");
    account(&app, "anne@bib.example", "Anne", "editor");
    let question = app.post_json_as_admin_ok(
        "/api/questions",
        &json!({"text": "Quel livre vous a accompagné cet été ?", "fields": ["title"]}),
    );
    let question_id = question["id"].as_str().unwrap().to_owned();
    let answered = app.post_form_with_cookie(
        &format!("/questions/{question_id}/answer"),
        "text=%3Cb%3ELes+Mis%C3%A9rables%3C%2Fb%3E&consent=yes",
        None,
    );
    assert_eq!(answered.status(), 303);
    let contest = app.post_json_as_admin_ok(
        "/api/contests",
        &json!({"title": "Concours de nouvelles", "rules": "Une nouvelle de deux pages.",
                "categories": [{"slug": "adultes", "name": "Adultes"}],
                "submissions_open": "2020-01-01T00:00:00Z", "submissions_close": "2099-01-01T00:00:00Z",
                "jury": true}),
    );
    let contest_id = contest["id"].as_str().unwrap().to_owned();
    let entered = app.post_json(
        &format!("/api/contests/{contest_id}/entries"),
        &json!({"title": "La Bibliothèque de minuit", "text": "Il était une fois…", "display_name": "Léa",
                "category": "adultes", "consent": true, "licence": "cc-by", "email": "lea@exemple.fr"}),
    );
    assert_eq!(entered.status(), 202);
    let showcase = app.post_json_as_admin_ok(
        "/api/showcases",
        &json!({"kind": "playlist", "title": "Chansons d'hiver",
                "items": [
                    {"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg"},
                    {"type": "track", "title": "Il neige", "artist": "Barbara"},
                    {"type": "track", "title": "Le Plat Pays", "artist": "Jacques Brel"}]}),
    );
    let showcase_id = showcase["id"].as_str().unwrap().to_owned();
    let browser = Browser::start();

    // The moderator approves the answer; the patron's markup stays text.
    sign_in(&browser, &app, "bruno@bib.example");
    browser.goto(&app.url(&format!("/admin/#/questions/{question_id}")));
    browser.find("[data-testid=answer-approve-1]");
    assert_eq!(
        browser.text("[data-testid=answer-text-1]"),
        "<b>Les Misérables</b>"
    );
    browser.screenshot("moderation");
    browser.click("[data-testid=answer-approve-1]");
    // Out of the pending queue, into the published list.
    browser.wait_for(
        "the answer leaves the queue",
        "!document.querySelector('[data-testid=answer-1]')",
    );
    browser.wait_for(
        "the answer is published",
        "document.querySelector('[aria-labelledby=published-title]')?.textContent.includes('<b>Les Misérables</b>')",
    );
    let published = app.get(&format!("/api/questions/{question_id}/answers"));
    let published: Value = published.json().unwrap();
    assert_eq!(published["answers"][0]["text"], "<b>Les Misérables</b>");

    // The same queue for contest entries.
    browser.goto(&app.url(&format!("/admin/#/contests/{contest_id}")));
    browser.find("[data-testid=entry-approve-1]");
    browser.screenshot("contest-moderation");
    browser.click("[data-testid=entry-approve-1]");
    browser.wait_for(
        "the entry leaves the queue",
        "!document.querySelector('[data-testid=entry-1]')",
    );
    let queue = app.get_json_as_admin(&format!("/api/contests/{contest_id}/queue"));
    assert_eq!(queue["entries"][0]["status"], "approved", "{queue}");
    sign_out(&browser);

    // The editor moves the first track down with the keyboard's button.
    sign_in(&browser, &app, "anne@bib.example");
    browser.goto(&app.url(&format!("/admin/#/showcases/{showcase_id}")));
    browser.find("[data-testid=showcase-item-down-0]");
    browser.screenshot("showcase");
    browser.click("[data-testid=showcase-item-down-0]");
    browser.wait_for(
        "the new order is saved",
        "document.querySelector('[data-testid=showcase-order-status]')?.dataset.state === 'saved'",
    );
    let saved = app.get_json_as_admin(&format!("/api/showcases/{showcase_id}"));
    let titles: Vec<&str> = saved["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Il neige", "La Javanaise", "Le Plat Pays"]);
    for (screen, ready) in [
        ("tutorials", "[data-testid=tutorial-new]"),
        ("polls", "[data-testid=poll-new]"),
    ] {
        browser.goto(&app.url(&format!("/admin/#/{screen}")));
        browser.find(ready);
        browser.screenshot(screen);
    }
}

#[test]
fn an_editor_uploads_a_photo_describes_it_and_schedules_it_to_four_networks() {
    // Instagram downloads the image from the library's public address: a forwarder started
    // before the app stands for it (as a CDN in front of the app would).
    let meta = FakeMeta::start(PAGE_TOKEN, PAGE_ID, IG_USER_ID);
    let (app, _origin) = TestApp::spawn_with_public_origin(&[("scheduler_tick_token", TICK_TOKEN)]);
    account(&app, "anne@bib.example", "Anne", "editor");
    account(&app, "marc@bib.example", "Marc", "administrator");
    let folder = tempfile::tempdir().unwrap();
    // Over one part (512 KiB), sideways with its EXIF orientation, GPS and description.
    let photo = tests::images::phone_photo(1200, 900);
    assert!(photo.len() > 512 * 1024, "{} bytes", photo.len());
    let path = folder.path().join("Atelier dessin.jpg");
    std::fs::write(&path, &photo).unwrap();

    let browser = Browser::start();
    sign_in(&browser, &app, "anne@bib.example");
    browser.goto(&app.url("/admin/#/media"));
    browser.find("[data-testid=media-drop-zone]");
    // A file input takes the file's path as its keys (the keyboard and picker path).
    browser.press("[data-testid=media-file-input]", &path.to_string_lossy());
    let card = browser.find("[data-testid=media-card]");
    let id = browser
        .attribute(&card, "data-media-id")
        .expect("the card names its medium");
    let in_card = |what: &str| format!("[data-testid=media-card][data-media-id='{id}'] {what}");
    browser.find(&in_card("[data-testid=media-missing-alt]"));
    browser.wait_for(
        "the thumbnail drawn upright",
        &format!(
            "(() => {{ const img = document.querySelector(\"{}\");
                       return img && img.complete && img.naturalHeight > img.naturalWidth; }})()",
            in_card("[data-testid=media-thumb]")
        ),
    );
    browser.screenshot("media-uploaded");

    browser.type_into(
        &in_card("[data-testid=media-alt]"),
        "Des enfants dessinent à l'atelier du mercredi",
    );
    browser.click(&in_card("[data-testid=media-save]"));
    browser.wait_for(
        "the missing-alt badge gone",
        &format!(
            "document.querySelector(\"{}\") === null",
            in_card("[data-testid=media-missing-alt]")
        ),
    );
    let medium = app.get_json_as_admin(&format!("/api/media/{id}"));
    assert_eq!(
        medium["medium"]["alt"],
        "Des enfants dessinent à l'atelier du mercredi"
    );
    assert_eq!(medium["medium"]["usable"], true);
    assert_eq!(medium["medium"]["filename"], "Atelier dessin.jpg");
    assert_eq!(medium["medium"]["created_by"], "Anne");
    assert_eq!(medium["medium"]["width"], 900, "upright: {medium}");
    browser.screenshot("media-described");

    // An administrator connects the library's Facebook Page and Instagram account on the
    // Channels screen (Mastodon and Bluesky through the API).
    sign_out(&browser);
    sign_in(&browser, &app, "marc@bib.example");
    let mut channels = Vec::new();
    for (kind, name, account_id) in [
        ("facebook", "Page de la médiathèque", PAGE_ID),
        ("instagram", "Instagram de la médiathèque", IG_USER_ID),
    ] {
        browser.goto(&app.url("/admin/#/channels"));
        browser.click(&format!("[data-testid=connect-kind-{kind}]"));
        browser.wait_for(
            "the Meta fields shown",
            "!document.querySelector('[data-testid=connect-account-id]').closest('.field').hidden",
        );
        let url = browser.script(
            "return document.querySelector('[data-testid=connect-url]').value;",
            json!([]),
        );
        assert_eq!(
            url,
            json!("https://graph.facebook.com/v21.0"),
            "the usual address"
        );
        browser.script(
            "document.querySelector('[data-testid=connect-url]').value = '';",
            json!([]),
        );
        browser.type_into("[data-testid=connect-name]", name);
        browser.type_into("[data-testid=connect-url]", &meta.url());
        browser.type_into("[data-testid=connect-account-id]", account_id);
        browser.type_into("[data-testid=connect-access-token]", PAGE_TOKEN);
        browser.click("[data-testid=connect-submit]");
        browser.wait_for(
            "the channel listed",
            &format!(
                "[...document.querySelectorAll('[data-testid=channel-row] th')].some((th) => th.textContent === {})",
                json!(name)
            ),
        );
        let listed = app.get_json_as_admin("/api/channels");
        let channel = listed["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {listed}"))
            .clone();
        assert_eq!(channel["kind"], kind);
        assert_eq!(channel["account_id"], account_id);
        let id = channel["id"].as_str().unwrap().to_owned();
        browser.click(&format!(
            "[data-testid=channel-check][data-channel-id='{id}']"
        ));
        browser.wait_for(
            "connected",
            &format!(
                "document.querySelector(\"[data-testid=channel-row][data-channel-id='{id}'] [data-testid=channel-status]\")?.dataset.status === 'connected'"
            ),
        );
        channels.push(id);
    }
    browser.screenshot("channels-meta");
    sign_out(&browser);
    sign_in(&browser, &app, "anne@bib.example");

    // The editor puts it in a post for the four networks, picked from the library.
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let bluesky = FakeBluesky::start("bib.bsky.social", "abcd-efgh-ijkl-mnop");
    channels.push(tests::channels::mastodon(&app, &mastodon, MASTODON_TOKEN));
    channels.push(tests::channels::bluesky(
        &app,
        &bluesky,
        "bib.bsky.social",
        "abcd-efgh-ijkl-mnop",
    ));
    browser.goto(&app.url("/admin/#/compose"));
    browser.find("[data-testid=compose-form]");
    for channel in &channels {
        tick_channel(&browser, channel);
    }
    browser.type_into(
        "[data-testid=compose-text]",
        "L'atelier dessin du mercredi, en images",
    );
    browser.click("[data-testid=compose-image-pick-0]");
    browser.find("[data-testid=media-picker]");
    browser.screenshot("media-picker");
    browser.click(&format!(
        "[data-testid=media-picker-item][data-media-id='{id}']"
    ));
    browser.find(&format!(
        "[data-testid=compose-image-medium-0][data-media-id='{id}']"
    ));
    let alt = browser.script(
        "return document.querySelector('[data-testid=compose-image-alt-0]').value;",
        json!([]),
    );
    assert_eq!(alt, json!("Des enfants dessinent à l'atelier du mercredi"));
    // Instagram's preview: the image is there, the hashtags counted.
    browser.wait_for(
        "the Instagram preview",
        "(() => { const card = document.querySelector('[data-testid=preview-card][data-kind=instagram]');
           return card && !card.querySelector('[data-testid=preview-instagram-needs-image]')
             && card.querySelector('[data-testid=preview-hashtag-count]')?.dataset.count === '0'; })()",
    );
    browser.find("[data-testid=preview-card][data-kind=facebook]");
    browser.screenshot("compose-four-networks");
    browser.click("[data-testid=compose-when-draft]");
    let post_id = submit_composer(&browser);
    browser.find(&format!(
        "[data-testid=post-image-medium][data-media-id='{id}']"
    ));
    // An administrator schedules it for the next minute; the cron's tick publishes it.
    let due = app.next_minute();
    let scheduled = app.post_json_as_admin_ok(
        &format!("/api/posts/{post_id}/schedule"),
        &json!({"at": tests::time::utc_minute(due), "zone": "UTC"}),
    );
    assert_eq!(scheduled["state"], "scheduled", "{scheduled}");
    app.advance_clock_to(due);
    let report = app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["published"], 1, "{report}");
    let published = app.get_json_as_admin(&format!("/api/posts/{post_id}"));
    assert_eq!(published["state"], "published", "{published}");
    let uploads = |requests: Vec<tests::fakes::FakeRequest>, path: &str| -> Vec<Vec<u8>> {
        requests
            .into_iter()
            .filter(|r| r.path() == path)
            .map(|r| r.body)
            .collect()
    };
    let secret = tests::images::PHOTO_SECRET;
    for (network, bodies) in [
        ("mastodon", uploads(mastodon.requests(), "/api/v2/media")),
        (
            "bluesky",
            uploads(bluesky.requests(), "/xrpc/com.atproto.repo.uploadBlob"),
        ),
    ] {
        assert_eq!(bodies.len(), 1, "{network} receives the image once");
        assert!(
            !bodies[0].windows(secret.len()).any(|w| w == secret),
            "{network}: no metadata"
        );
    }
    // Facebook receives the bytes once; Instagram downloads the framed rendition once.
    let photos = meta.page_photos();
    assert_eq!(photos.len(), 1, "facebook receives the image once");
    let fetched = meta.fetched_images();
    assert_eq!(fetched.len(), 1, "instagram downloads the image once");
    assert!(fetched[0].url.ends_with(&format!("/media/{id}/framed.jpg")));
    for (network, bytes) in [
        ("facebook", &photos[0].bytes),
        ("instagram", &fetched[0].bytes),
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "{network}: no metadata"
        );
        assert!(
            !tests::fakes::meta::jpeg_markers(bytes)
                .unwrap()
                .contains(&0xE1),
            "{network}: no APP1 segment"
        );
    }
    assert_eq!(meta.page_posts().len(), 1);
    assert_eq!(meta.instagram_media().len(), 1);
    assert_eq!(mastodon.problems(), Vec::<String>::new());
    assert_eq!(bluesky.problems(), Vec::<String>::new());
    assert_eq!(meta.problems(), Vec::<String>::new());
}

/// A photo uploaded on the Médiathèque screen becomes a book cover: the showcase item form's
/// "Choisir dans la médiathèque" opens the picker, the alt text comes from the library and
/// stays editable, and the public page shows the medium's `page` rendition.
#[test]
fn an_editor_picks_a_library_photo_as_a_book_cover() {
    let app = TestApp::spawn_with_fakes(&[]);
    account(&app, "anne@bib.example", "Anne", "editor");
    let showcase = app.post_json_as_admin_ok(
        "/api/showcases",
        &json!({"kind": "book_extracts", "title": "Zola en couvertures",
                "items": [{"type": "book", "title": "Nana", "authors": ["Émile Zola"],
                           "extract": "À neuf heures, la salle était encore vide."}]}),
    );
    let showcase_id = showcase["id"].as_str().unwrap().to_owned();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("Nana.jpg");
    std::fs::write(&path, tests::images::phone_photo(800, 600)).unwrap();

    let browser = Browser::start();
    sign_in(&browser, &app, "anne@bib.example");
    browser.goto(&app.url("/admin/#/media"));
    browser.find("[data-testid=media-drop-zone]");
    browser.press("[data-testid=media-file-input]", &path.to_string_lossy());
    let card = browser.find("[data-testid=media-card]");
    let id = browser
        .attribute(&card, "data-media-id")
        .expect("the card names its medium");
    let in_card = |what: &str| format!("[data-testid=media-card][data-media-id='{id}'] {what}");
    browser.type_into(&in_card("[data-testid=media-alt]"), "Une affiche rouge");
    browser.click(&in_card("[data-testid=media-save]"));
    browser.wait_for(
        "the missing-alt badge gone",
        &format!(
            "document.querySelector(\"{}\") === null",
            in_card("[data-testid=media-missing-alt]")
        ),
    );

    browser.goto(&app.url(&format!("/admin/#/showcases/{showcase_id}")));
    browser.click("[data-testid=showcase-item-edit-0]");
    let in_form = |what: &str| format!("[data-testid=showcase-item-form] [data-testid={what}]");
    browser.click(&in_form("image-cover-pick"));
    browser.find("[data-testid=media-picker]");
    browser.click(&format!(
        "[data-testid=media-picker-item][data-media-id='{id}']"
    ));
    browser.wait_for(
        "the thumbnail in place of the address",
        &format!(
            "(() => {{ const box = document.querySelector(\"{}\");
                       return box && !box.hidden && box.querySelector('img')?.getAttribute('src') === '/media/{id}/thumb.jpg'; }})()",
            in_form("image-cover-medium")
        ),
    );
    browser.script(
        &format!(
            "document.querySelector(\"{}\").scrollIntoView({{block: 'center'}});",
            in_form("image-cover-medium")
        ),
        json!([]),
    );
    browser.screenshot("showcase-cover-from-library");
    // The library's description, adapted to this place.
    let alt_input = "[data-testid=showcase-item-form] input[data-rel='cover.alt']";
    let alt = browser.script(
        &format!("return document.querySelector(\"{alt_input}\").value;"),
        json!([]),
    );
    assert_eq!(alt, json!("Une affiche rouge"));
    browser.type_into(alt_input, "Une affiche rouge : la couverture de Nana");
    browser.click("[data-testid=showcase-item-save]");

    let mut saved = Value::Null;
    for _ in 0..100 {
        saved = app.get_json_as_admin(&format!("/api/showcases/{showcase_id}"));
        if saved["items"][0]["cover"].is_object() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let cover = &saved["items"][0]["cover"];
    assert_eq!(cover["image"]["medium"], json!(id), "{saved}");
    assert_eq!(cover["alt"], "Une affiche rouge : la couverture de Nana");
    let medium = app.get_json_as_admin(&format!("/api/media/{id}"));
    assert_eq!(
        cover["image"]["width"],
        medium["medium"]["renditions"]["page"]["width"]
    );

    app.post_json_as_admin_ok(&format!("/api/showcases/{showcase_id}/publish"), &json!({}));
    let page = app
        .get(&format!("/showcases/{showcase_id}"))
        .text()
        .unwrap();
    assert!(
        page.contains(&format!(
            "<img src=\"/media/{id}/page.jpg\" alt=\"Une affiche rouge : la couverture de Nana\""
        )),
        "{page}"
    );
}
