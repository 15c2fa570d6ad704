use chrono::NaiveDate;

use super::*;
use crate::store::MemoryStore;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
     (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const CUBOT: &str = "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like \
     Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

fn page_view(path: &str) -> Visit<'_> {
    Visit {
        method: "GET",
        status: 200,
        content_type: Some("text/html; charset=utf-8"),
        path,
        user_agent: Some(FIREFOX),
        ..Visit::default()
    }
}

fn counted(visit: Visit<'_>) -> bool {
    is_counted(&visit, "kiosque_session")
}

#[test]
fn a_browser_reading_a_public_page_is_a_view() {
    for path in [
        "/",
        "/showcases/abc",
        "/polls/p1",
        "/polls/p1/results",
        "/questions/q1",
        "/contests/c1",
        "/events/e1",
        "/tutorials/lire/steps/2",
        "/campaigns/nuit-de-la-lecture",
        "/confidentialite",
        "/showcases/abc/",
    ] {
        assert!(counted(page_view(path)), "{path}");
    }
    assert!(counted(Visit {
        status: 304,
        user_agent: Some(IPHONE),
        ..page_view("/showcases/abc")
    }));
    assert!(counted(Visit {
        user_agent: Some(CUBOT),
        content_type: Some("TEXT/HTML"),
        ..page_view("/")
    }));
}

#[test]
fn other_requests_answers_and_places_are_not_views() {
    let page = || page_view("/showcases/abc");
    assert!(!counted(Visit {
        method: "HEAD",
        ..page()
    }));
    assert!(!counted(Visit {
        method: "POST",
        ..page()
    }));
    for status in [201, 204, 301, 303, 400, 404, 429, 500] {
        assert!(!counted(Visit { status, ..page() }), "{status}");
    }
    for content_type in [
        None,
        Some("application/json"),
        Some("text/calendar"),
        Some("text/htmlx"),
    ] {
        assert!(!counted(Visit {
            content_type,
            ..page()
        }));
    }
    for path in [
        "/api/polls/p1",
        "/api",
        "/admin/",
        "/admin/index.html",
        "/static/css/kiosque.css",
        "/media/m1/page.jpg",
        "/webhooks/mastodon",
        "/feeds/events.ics",
        "/polls/p1/embed",
        "/showcases/abc/embed",
        "/events/e1/embed/",
        "/campaigns/nuit/embed",
        "/things/widget",
        "polls/p1",
        "",
    ] {
        assert!(!counted(page_view(path)), "{path}");
    }
    let long = format!("/showcases/{}", "a".repeat(MAX_PATH_BYTES));
    assert!(!counted(page_view(&long)));
    // Paths that merely start like an excluded space are pages.
    assert!(counted(page_view("/apiculture")));
    assert!(counted(page_view("/mediatheque")));
}

#[test]
fn robots_preview_fetchers_and_tools_are_not_views() {
    for agent in [
        "",
        "   ",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Facebot",
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "WhatsApp/2.23.20.0",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Iframely/1.3.1 (+https://iframely.com/docs/about)",
        "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
        "http.rb/5.1.1 (Mastodon/4.3.2; +https://mastodon.social/)",
        "Pleroma 2.6.0; https://pleroma.example <admin@example>",
        "Akkoma 3.10.0; https://akkoma.example",
        "Misskey/2024.11.0 (https://misskey.io)",
        "Bluesky Cardyb/1.1",
        "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
        "Mediapartners-Google",
        "GoogleOther",
        "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)",
        "Mozilla/5.0 (compatible; YandexBot/3.0)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0)",
        "CCBot/2.0 (https://commoncrawl.org/faq/)",
        "Mozilla/5.0 (compatible; PerplexityBot/1.0)",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        "Python-urllib/3.12",
        "Go-http-client/1.1",
        "okhttp/4.12.0",
        "Java/17.0.2",
        "libwww-perl/6.72",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 11) Chrome-Lighthouse",
        "Kiosque-LinkCard/1.0 (+https://github.com/kiosque)",
    ] {
        assert!(is_robot(Some(agent)), "{agent}");
        assert!(!counted(Visit {
            user_agent: Some(agent),
            ..page_view("/")
        }));
    }
    assert!(is_robot(None));
    assert!(is_robot(Some(crate::channels::link_card::USER_AGENT)));
    for agent in [FIREFOX, IPHONE, CUBOT] {
        assert!(!is_robot(Some(agent)), "{agent}");
    }
}

#[test]
fn prefetches_and_staff_are_not_views() {
    let page = || page_view("/polls/p1");
    assert!(!counted(Visit {
        sec_purpose: Some("prefetch"),
        ..page()
    }));
    assert!(!counted(Visit {
        sec_purpose: Some("prefetch;prerender"),
        ..page()
    }));
    assert!(!counted(Visit {
        purpose: Some("Prefetch"),
        ..page()
    }));
    assert!(!counted(Visit {
        x_moz: Some("prefetch"),
        ..page()
    }));
    for cookie in [
        "kiosque_session=abc",
        "theme=dark; kiosque_session=abc",
        "__Host-kiosque_session=abc; kiosque_voter=v",
    ] {
        assert!(
            !counted(Visit {
                cookie: Some(cookie),
                ..page()
            }),
            "{cookie}"
        );
    }
    // A patron's own cookies do not matter, nor a cookie whose name merely contains it.
    for cookie in [
        "kiosque_voter=v",
        "kiosque_session_old=x",
        "x=kiosque_session",
    ] {
        assert!(
            counted(Visit {
                cookie: Some(cookie),
                ..page()
            }),
            "{cookie}"
        );
    }
}

fn check(referer: Option<&str>, expected: Source, server: Option<&str>) {
    let found = referral(referer, &["bib.example", "127.0.0.1:3000"]);
    assert_eq!(found.source, expected, "{referer:?}");
    assert_eq!(found.server.as_deref(), server, "{referer:?}");
}

#[test]
fn the_source_comes_from_the_referrer() {
    use Source::*;
    check(None, Direct, None);
    check(Some(""), Direct, None);
    check(Some("https://bib.example/polls/p1"), Site, None);
    check(Some("https://BIB.example:443/"), Site, None);
    check(Some("http://127.0.0.1:3000/showcases"), Site, None);
    check(
        Some("https://bsky.app/profile/bib.example/post/3k"),
        Bluesky,
        None,
    );
    check(Some("https://go.bsky.app/x"), Bluesky, None);
    check(Some("https://bsky.social/"), Bluesky, None);
    check(Some("https://deck.blue/"), Bluesky, None);
    check(Some("https://graysky.app/"), Bluesky, None);
    for facebook in [
        "https://www.facebook.com/",
        "https://m.facebook.com/story.php",
        "https://l.facebook.com/l.php?u=x",
        "https://lm.facebook.com/",
        "https://web.facebook.com/",
        "https://fb.me/x",
        "https://fb.com/",
    ] {
        check(Some(facebook), Facebook, None);
    }
    check(Some("https://l.instagram.com/"), Instagram, None);
    check(Some("https://www.instagram.com/p/x"), Instagram, None);
    for search in [
        "https://www.google.fr/",
        "https://google.com/search?q=x",
        "https://www.google.co.uk/",
        "https://www.google.com.br/",
        "https://www.bing.com/search?q=x",
        "https://duckduckgo.com/",
        "https://html.duckduckgo.com/",
        "https://www.qwant.com/?q=x",
        "https://www.ecosia.org/search",
        "https://fr.search.yahoo.com/",
        "https://www.startpage.com/",
        "https://search.lilo.org/",
    ] {
        check(Some(search), Search, None);
    }
    check(
        Some("https://mastodon.social/"),
        Mastodon,
        Some("mastodon.social"),
    );
    check(Some("https://piaille.fr/"), Mastodon, Some("piaille.fr"));
    check(
        Some("https://social.numerique.gouv.fr/"),
        Mastodon,
        Some("social.numerique.gouv.fr"),
    );
    // A server we do not list, through a status address (`/@user/123`).
    check(
        Some("https://Toot.Example.org:8443/@bib/113456"),
        Mastodon,
        Some("toot.example.org"),
    );
    check(Some("https://example.org/blog"), Other, None);
    check(Some("https://www.youtube.com/@bib"), Other, None);
    check(Some("https://medium.com/@someone/post"), Other, None);
    check(Some("https://www.threads.net/@bib"), Other, None);
}

#[test]
fn hostile_referrers_are_other_never_a_panic() {
    use Source::*;
    for referer in [
        "not a url",
        "javascript:alert(1)",
        "android-app://com.google.android.gm/",
        "https://",
        "https:///path",
        "https://host:port/",
        "https://host:99999999/",
        "https://[::1/",
        "https://exa mple.org/",
        "https://exa\u{0}mple.org/",
        "ftp://mastodon.social/",
        "//mastodon.social/",
        "https://google.evil.example/",
        "https://notgoogle.fr/",
        "https://bsky.app.evil.example/",
        "https://evilfacebook.com/",
        "\u{202e}https://bsky.app/",
    ] {
        check(Some(referer), Other, None);
    }
    // User info is not the host.
    check(Some("https://facebook.com@evil.example/"), Other, None);
    check(Some("https://evil.example@bsky.app/"), Bluesky, None);
    // An internationalised name is kept as given; an overlong server host is not kept.
    check(
        Some("https://mastodon.café/@bib/1"),
        Mastodon,
        Some("mastodon.café"),
    );
    let long = format!("https://{}.example/@bib/1", "a".repeat(120));
    check(Some(&long), Mastodon, None);
    check(Some("https://[2001:db8::1]:8080/"), Other, None);
    let huge = format!("https://{}/", "x".repeat(10_000));
    check(Some(&huge), Other, None);
}

fn day(text: &str) -> Day {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn from(source: Source) -> Referral {
    Referral {
        source,
        server: None,
    }
}

#[test]
fn a_view_costs_one_increment_the_first_of_a_day_three_calls() {
    let store = MemoryStore::new();
    let now = at("2026-12-04T10:00:00Z");
    record_view(&store, now, "/showcases/abc", &from(Source::Direct)).unwrap();
    let first = store.ops();
    assert_eq!((first.increment, first.set, first.total()), (2, 1, 3));

    store.reset_ops();
    record_view(&store, now, "/showcases/abc", &from(Source::Direct)).unwrap();
    let again = store.ops();
    assert_eq!((again.increment, again.total()), (1, 1));

    // Another source of the same page is another pair, listed once.
    store.reset_ops();
    record_view(&store, now, "/showcases/abc", &from(Source::Bluesky)).unwrap();
    assert_eq!(store.ops().total(), 3);

    // A Mastodon server: one increment more, listed the first time.
    let mastodon = Referral {
        source: Source::Mastodon,
        server: Some("piaille.fr".to_owned()),
    };
    store.reset_ops();
    record_view(&store, now, "/polls/p1", &mastodon).unwrap();
    assert_eq!(store.ops().total(), 6);
    store.reset_ops();
    record_view(&store, now, "/polls/p1", &mastodon).unwrap();
    assert_eq!(store.ops().total(), 2);

    // The next day starts new counters and lists.
    store.reset_ops();
    record_view(
        &store,
        at("2026-12-05T00:00:01Z"),
        "/showcases/abc",
        &from(Source::Direct),
    )
    .unwrap();
    assert_eq!(store.ops().total(), 3);
}

#[test]
fn the_cost_of_a_view_does_not_grow_with_the_views_stored() {
    let store = MemoryStore::new();
    let now = at("2026-12-04T10:00:00Z");
    for i in 0..2_000 {
        record_view(&store, now, &format!("/polls/p{i}"), &from(Source::Direct)).unwrap();
    }
    store.reset_ops();
    record_view(&store, now, "/polls/p7", &from(Source::Direct)).unwrap();
    assert_eq!(store.ops().total(), 1);
    store.reset_ops();
    record_view(&store, now, "/polls/new", &from(Source::Direct)).unwrap();
    assert_eq!(store.ops().total(), 3);
}

#[test]
fn views_are_read_per_day_page_source_and_server() {
    let store = MemoryStore::new();
    let view = |when: &str, page: &str, referral: Referral| {
        record_view(&store, at(when), page, &referral).unwrap();
    };
    let piaille = || Referral {
        source: Source::Mastodon,
        server: Some("piaille.fr".to_owned()),
    };
    for _ in 0..3 {
        view(
            "2026-12-01T08:00:00Z",
            "/showcases/abc",
            from(Source::Direct),
        );
    }
    view(
        "2026-12-01T09:00:00Z",
        "/showcases/abc",
        from(Source::Bluesky),
    );
    view("2026-12-01T09:00:00Z", "/polls/p1", piaille());
    view("2026-12-03T23:59:59Z", "/polls/p1", piaille());
    view(
        "2026-12-03T23:59:59Z",
        "/polls/p1",
        Referral {
            source: Source::Mastodon,
            server: Some("mamot.fr".to_owned()),
        },
    );
    view("2026-12-03T10:00:00Z", "/polls/p1", from(Source::Mastodon));
    // Outside the range.
    view(
        "2026-11-30T23:59:59Z",
        "/showcases/abc",
        from(Source::Direct),
    );
    view(
        "2026-12-04T00:00:00Z",
        "/showcases/abc",
        from(Source::Direct),
    );

    store.reset_ops();
    let views = views_between(&store, day("2026-12-01"), day("2026-12-03")).unwrap();
    assert_eq!(store.ops().get_many, 3);
    assert_eq!(store.ops().total(), 3);

    assert_eq!(views.total(), 8);
    let days: Vec<(String, u64)> = views
        .days
        .iter()
        .map(|d| (d.day.to_string(), d.total))
        .collect();
    assert_eq!(
        days,
        [
            ("2026-12-01".to_owned(), 5),
            ("2026-12-02".to_owned(), 0),
            ("2026-12-03".to_owned(), 3),
        ]
    );
    assert_eq!(views.days[0].by_source[&Source::Direct], 3);
    assert_eq!(views.days[0].by_source[&Source::Bluesky], 1);
    assert_eq!(views.days[0].by_source[&Source::Mastodon], 1);
    assert_eq!(views.days[2].by_source[&Source::Mastodon], 3);
    assert_eq!(views.pages.len(), 2);
    assert_eq!(views.pages[0].path, "/polls/p1");
    assert_eq!(views.pages[0].total, 4);
    assert_eq!(views.pages[1].path, "/showcases/abc");
    assert_eq!(views.pages[1].total, 4);
    assert_eq!(views.pages[1].by_source[&Source::Bluesky], 1);
    assert_eq!(
        views.mastodon_servers,
        [("piaille.fr".to_owned(), 2), ("mamot.fr".to_owned(), 1)]
    );

    assert!(!views.truncated);
    let json = serde_json::to_value(&views).unwrap();
    assert_eq!(json["days"][0]["by_source"]["direct"], 3);
    assert_eq!(json["mastodon_servers"][0][0], "piaille.fr");
}

#[test]
fn an_empty_range_reads_zeros_and_bad_ranges_are_refused() {
    let store = MemoryStore::new();
    let views = views_between(&store, day("2026-01-01"), day("2026-01-31")).unwrap();
    assert_eq!(views.days.len(), 31);
    assert_eq!(views.total(), 0);
    assert!(views.pages.is_empty());
    assert_eq!(store.ops().total(), 1);

    assert!(views_between(&store, day("2026-01-01"), day("2026-04-02")).is_ok());
    for (from, to) in [("2026-01-01", "2026-04-03"), ("2026-02-02", "2026-02-01")] {
        assert!(matches!(
            views_between(&store, day(from), day(to)),
            Err(AnalyticsError::Invalid(_))
        ));
    }
}

#[test]
fn a_day_lists_at_most_its_cap_and_a_lost_slot_is_skipped() {
    let store = MemoryStore::new();
    let now = at("2026-12-04T10:00:00Z");
    // A slot reserved whose write never happened.
    store
        .increment(&keys::views_list_seq("2026-12-04"), 1)
        .unwrap();
    record_view(&store, now, "/polls/p1", &from(Source::Direct)).unwrap();
    let views = views_between(&store, day("2026-12-04"), day("2026-12-04")).unwrap();
    assert_eq!(views.total(), 1);

    // Past the cap, the pair is counted but not listed.
    store
        .increment(
            &keys::views_list_seq("2026-12-04"),
            MAX_PAGES_PER_DAY as i64,
        )
        .unwrap();
    store.reset_ops();
    record_view(&store, now, "/polls/p2", &from(Source::Direct)).unwrap();
    assert_eq!((store.ops().increment, store.ops().set), (2, 0));
    let views = views_between(&store, day("2026-12-04"), day("2026-12-04")).unwrap();
    assert_eq!(views.total(), 1);
}

#[test]
fn made_up_mastodon_servers_leave_no_key_past_the_days_list() {
    let store = MemoryStore::new();
    let now = at("2026-12-04T10:00:00Z");
    let visit = |host: String| Referral {
        source: Source::Mastodon,
        server: Some(host),
    };
    for n in 0..MAX_SERVERS_PER_DAY {
        record_view(&store, now, "/polls/p1", &visit(format!("s{n}.example"))).unwrap();
    }
    let keys_at_the_cap = store.len();
    for n in 0..100 {
        record_view(
            &store,
            now,
            "/polls/p1",
            &visit(format!("forged{n}.example")),
        )
        .unwrap();
    }
    // Only the servers' list counter moved: no key per forged host.
    assert_eq!(store.len(), keys_at_the_cap);
    let views = views_between(&store, day("2026-12-04"), day("2026-12-04")).unwrap();
    assert_eq!(views.total(), MAX_SERVERS_PER_DAY + 100);
    assert_eq!(views.mastodon_servers.len() as u64, MAX_SERVERS_PER_DAY);
    // Servers past the day's list are missing from the report, which says so.
    assert!(views.truncated);
}

#[test]
fn one_page_counts_under_one_path() {
    for (given, page) in [
        ("/", Some("/")),
        ("//", Some("/")),
        ("/showcases/abc/", Some("/showcases/abc")),
        ("/showcases/abc///", Some("/showcases/abc")),
        ("//showcases/abc", Some("/showcases/abc")),
        ("///showcases/abc//", Some("/showcases/abc")),
        // Leading slashes do not hide an excluded space.
        ("//api/polls", None),
        ("//admin/", None),
        ("/polls/p1//embed", None),
        ("/polls//p1", None),
        ("/polls/p1/embed//", None),
    ] {
        assert_eq!(page_path(given), page, "{given}");
    }
}

#[test]
fn slots_are_shared_within_the_budget() {
    assert_eq!(share_slots(&[], 10), Vec::<u64>::new());
    assert_eq!(share_slots(&[3, 4], 10), [3, 4]);
    // What short lists leave goes to the long ones.
    assert_eq!(share_slots(&[2, 100, 1, 100], 20), [2, 8, 1, 9]);
    assert_eq!(share_slots(&[100, 100, 100], 10), [3, 3, 4]);
    assert_eq!(share_slots(&[5, 5], 0), [0, 0]);
    let granted = share_slots(&[MAX_PAGES_PER_DAY; 92], MAX_SLOTS_READ);
    assert!(granted.iter().sum::<u64>() <= MAX_SLOTS_READ);
}

/// A [`MemoryStore`] that notes the most keys one `get_many` was asked for.
struct Widest {
    inner: MemoryStore,
    widest: std::cell::Cell<usize>,
}

impl KvStore for Widest {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn get_many(&self, keys: &[String]) -> Result<crate::store::KeyValues, StoreError> {
        self.widest.set(self.widest.get().max(keys.len()));
        self.inner.get_many(keys)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key)
    }
    fn get_keys(&self) -> Result<Vec<String>, StoreError> {
        self.inner.get_keys()
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        self.inner.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StoreError> {
        self.inner.compare_and_swap(key, expected, new)
    }
}

#[test]
fn a_range_whose_lists_exceed_the_bound_reads_at_most_the_bound_and_says_so() {
    let store = Widest {
        inner: MemoryStore::new(),
        widest: std::cell::Cell::new(0),
    };
    // 9 days of full page lists: 22,500 slots, past the 20,000 one read takes.
    let days = 9;
    for d in 1..=days {
        let now = at(&format!("2026-11-{d:02}T10:00:00Z"));
        for p in 0..MAX_PAGES_PER_DAY {
            record_view(&store, now, &format!("/polls/p{p}"), &from(Source::Direct)).unwrap();
        }
    }
    let views = views_between(&store, day("2026-11-01"), day("2026-11-09")).unwrap();
    assert!(views.truncated);
    assert!(store.widest.get() as u64 <= MAX_SLOTS_READ);
    assert!(views.total() <= MAX_SLOTS_READ);
    // Every day is read in part, not the latest days alone.
    assert!(views.days.iter().all(|d| d.total > 0));
    assert_eq!(views.total(), MAX_SLOTS_READ);

    // A range that fits is read whole and says nothing.
    let views = views_between(&store, day("2026-11-01"), day("2026-11-07")).unwrap();
    assert!(!views.truncated);
    assert_eq!(views.total(), 7 * MAX_PAGES_PER_DAY);
}
