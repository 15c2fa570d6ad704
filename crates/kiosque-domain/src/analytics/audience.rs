//! Views of Kiosque's own public pages, per page, UTC day and source (the network the visitor
//! came from), for staff's reports. Privacy first: no cookie is read or set for it, nothing
//! about the visitor is kept (no address, no user agent, no full referrer: only the
//! [`Source`], and a Mastodon server's host), and what is stored is a count.
//!
//! - [`is_counted`]: whether an answered request is a view (a `GET` answered 200 or 304 with
//!   an HTML page, at a public page path, from a browser that is not prefetching, and not
//!   from signed-in staff), pure, over the request's headers as the adapter read them;
//! - [`referral`]: the source, from `Referer`;
//! - [`record_view`]: one `increment` per view (2 from a known Mastodon server), 2 more
//!   calls the first time a (page, source) pair is seen in a day;
//! - [`views_between`]: the reader, 3 batch reads whatever the range (at most 92 days).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{AnalyticsError, Day, days_between};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::{KvStore, StoreError, from_json, read_counters};

/// Where a page view came from, by its `Referer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// No referrer (typed, bookmarked, an app that sends none).
    Direct,
    /// Another page of this site.
    Site,
    Mastodon,
    Bluesky,
    Facebook,
    Instagram,
    /// A search engine.
    Search,
    Other,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::Direct,
        Source::Site,
        Source::Mastodon,
        Source::Bluesky,
        Source::Facebook,
        Source::Instagram,
        Source::Search,
        Source::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Direct => "direct",
            Source::Site => "site",
            Source::Mastodon => "mastodon",
            Source::Bluesky => "bluesky",
            Source::Facebook => "facebook",
            Source::Instagram => "instagram",
            Source::Search => "search",
            Source::Other => "other",
        }
    }
}

/// One day's views of every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayViews {
    #[serde(with = "crate::campaigns::date_format")]
    pub day: Day,
    pub total: u64,
    pub by_source: BTreeMap<Source, u64>,
}

/// One page's views over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageViews {
    /// The page's path, e.g. `/showcases/abc`.
    pub path: String,
    pub total: u64,
    pub by_source: BTreeMap<Source, u64>,
}

/// Views over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Views {
    /// Every day of the range, in order (zeros included).
    pub days: Vec<DayViews>,
    /// Pages viewed in the range, most viewed first.
    pub pages: Vec<PageViews>,
    /// Views from each Mastodon server (by host), most first.
    pub mastodon_servers: Vec<(String, u64)>,
    /// Some views are left out: the days' lists held more than one read takes
    /// ([`MAX_SLOTS_READ`]), or a day listed more pages or servers than its cap
    /// ([`MAX_PAGES_PER_DAY`], [`MAX_SERVERS_PER_DAY`]). Reports say so.
    pub truncated: bool,
}

impl Views {
    pub fn total(&self) -> u64 {
        self.days
            .iter()
            .fold(0, |sum: u64, day| sum.saturating_add(day.total))
    }
}

// --- what a view is ----------------------------------------------------------------------

/// The facts about one answered request that decide whether it is a view: what the adapter
/// read from the request's headers and the answer's status and type, nothing else.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visit<'a> {
    pub method: &'a str,
    pub status: u16,
    /// The answer's `Content-Type`; for a 304 (which carries none), the type of the page it
    /// stands for.
    pub content_type: Option<&'a str>,
    /// The request's path, without the query.
    pub path: &'a str,
    pub user_agent: Option<&'a str>,
    /// `Sec-Purpose`, `Purpose` and `X-Moz`: a browser's prefetch says so in one of them.
    pub sec_purpose: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub x_moz: Option<&'a str>,
    /// The `Cookie` header, only to see whether it carries the staff session.
    pub cookie: Option<&'a str>,
}

/// URL spaces that are never pages patrons read: APIs, the console, files, platform
/// webhooks, feeds.
const NOT_PAGES: [&str; 6] = ["/api", "/admin", "/static", "/media", "/webhooks", "/feeds"];

/// The longest path counted: a page's address is far shorter; a longer one is not a page
/// anyone reads and would only fill the day's list.
pub const MAX_PATH_BYTES: usize = 512;

/// Whether `visit` is a page view to count. `staff_cookie` is the staff session cookie's
/// plain name (`kiosque_session`): its `__Host-` spelling is checked too, since staff
/// checking their pages are not the public, whatever the site's scheme.
pub fn is_counted(visit: &Visit<'_>, staff_cookie: &str) -> bool {
    // A browser revalidating a page it holds (304) is a view too; HEAD is not (no page is
    // shown), nor is any other status.
    visit.method == "GET"
        && matches!(visit.status, 200 | 304)
        && visit.content_type.is_some_and(is_html)
        && page_path(visit.path).is_some()
        && !is_robot(visit.user_agent)
        && !is_prefetch(visit)
        && !carries_cookie(visit.cookie, staff_cookie)
        && !carries_cookie(visit.cookie, &format!("__Host-{staff_cookie}"))
}

fn is_html(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    media_type.eq_ignore_ascii_case("text/html")
}

/// The page a public path names, as counted, `None` for what is not a public page (APIs, the
/// console, files, webhooks, feeds, embeds and widgets shown inside other sites, an overlong
/// path). One page, one path: the routers (Spin's, the SDK's) ignore any number of leading
/// and trailing slashes, so `//polls/p1//` answers as `/polls/p1` and counts as it; a path
/// with an empty segment inside routes to no page and is not counted. Numbers in paths are
/// read strictly by the handlers (`kiosque_spin::routes::strict_number`: no `01`), and ids
/// are lower case only, so no other spelling of a page answers 200.
pub fn page_path(path: &str) -> Option<&str> {
    if !path.starts_with('/') || path.len() > MAX_PATH_BYTES {
        return None;
    }
    // Keep exactly one leading slash, none trailing (`/` stays `/`).
    let inner = path.trim_matches('/');
    let start = path.len() - path.trim_start_matches('/').len() - 1;
    let trimmed = &path[start..start + 1 + inner.len()];
    if inner.contains("//") {
        return None;
    }
    let under = |prefix: &str| {
        trimmed
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if NOT_PAGES.iter().any(|prefix| under(prefix)) {
        return None;
    }
    // Embeds and widgets are fragments inside another site's page (polls, showcases, events,
    // campaign walls: `/.../embed`); counting them would count that site's visitors.
    if trimmed.ends_with("/embed") || trimmed.ends_with("/widget") {
        return None;
    }
    Some(trimmed)
}

/// Markers of robots, crawlers, link-preview fetchers and tools in a `User-Agent`, lower
/// case. Generic words first; then names that carry none of them.
const ROBOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "preview",
    "facebookexternalhit",
    "meta-externalagent",
    "whatsapp",
    "iframely",
    "embedly",
    // Mastodon's link-preview fetcher sends `http.rb/x (Mastodon/x.y; +https://server/)`.
    "mastodon",
    "pleroma",
    "akkoma",
    "misskey",
    "cardyb",
    "google-",
    "-google",
    "googleother",
    "curl",
    "wget",
    "python",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww",
    "headlesschrome",
    "lighthouse",
    // Kiosque's own link-card fetcher (`channels::link_card`).
    "kiosque",
];

/// Whether `user_agent` is a robot, a preview fetcher or a tool; an empty or missing one is
/// too (every browser sends one).
pub fn is_robot(user_agent: Option<&str>) -> bool {
    let Some(user_agent) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return true;
    };
    // Cubot is a phone maker whose models name themselves in the user agent: not a robot.
    let lower = user_agent.to_ascii_lowercase().replace("cubot", "");
    ROBOT_MARKERS.iter().any(|marker| lower.contains(marker))
}

fn is_prefetch(visit: &Visit<'_>) -> bool {
    [visit.sec_purpose, visit.purpose, visit.x_moz]
        .into_iter()
        .flatten()
        .any(|value| value.to_ascii_lowercase().contains("prefetch"))
}

/// Whether the `Cookie` header carries a cookie named `name` (any value).
pub fn carries_cookie(header: Option<&str>, name: &str) -> bool {
    header.is_some_and(|header| {
        header
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .any(|(n, _)| n.trim() == name)
    })
}

// --- where a view came from ---------------------------------------------------------------

/// A view's source, and for Mastodon the server's host when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub source: Source,
    /// The Mastodon server's host (lower case, without port), for [`Source::Mastodon`] only.
    pub server: Option<String>,
}

impl Referral {
    fn of(source: Source) -> Referral {
        Referral {
            source,
            server: None,
        }
    }
}

/// Well-known Mastodon servers: their own host is enough, since Mastodon sends at most its
/// origin as referrer (its `Referrer-Policy` is `same-origin` by default, `origin` when the
/// server's admin allows it), never the status's address.
const MASTODON_SERVERS: &[&str] = &[
    "mastodon.social",
    "mastodon.online",
    "mstdn.social",
    "mastodon.world",
    "mas.to",
    "fosstodon.org",
    "hachyderm.io",
    "infosec.exchange",
    "mastodon.art",
    "mastodon.xyz",
    "piaille.fr",
    "mamot.fr",
    "framapiaf.org",
    "social.numerique.gouv.fr",
];

/// Sites whose profile addresses also start with `/@` but are not Mastodon.
const NOT_MASTODON: &[&str] = &[
    "youtube.com",
    "tiktok.com",
    "medium.com",
    "threads.net",
    "threads.com",
    "substack.com",
];

/// The longest Mastodon server host kept: real hosts are short; a longer one counts under
/// [`Source::Mastodon`] without its server.
const MAX_SERVER_BYTES: usize = 100;

/// The source of a view from its `Referer` header. `own_hosts` are this site's hosts (the
/// request's own, from `spin-full-url`, and `public_base_url`'s): a referrer there is
/// [`Source::Site`]. Hosts are compared in lower case, ports ignored, internationalised names
/// as given; what does not parse as an http(s) address is [`Source::Other`].
pub fn referral(referer: Option<&str>, own_hosts: &[&str]) -> Referral {
    let Some(referer) = referer.map(str::trim).filter(|r| !r.is_empty()) else {
        return Referral::of(Source::Direct);
    };
    let Some((host, path)) = split_address(referer) else {
        return Referral::of(Source::Other);
    };
    if own_hosts
        .iter()
        .any(|own| split_host_port(own).is_some_and(|own| own.eq_ignore_ascii_case(&host)))
    {
        return Referral::of(Source::Site);
    }
    let bare = host.strip_prefix("www.").unwrap_or(&host);
    let is = |domain: &str| bare == domain || bare.ends_with(&format!(".{domain}"));
    if is("bsky.app") || bare == "bsky.social" || bare == "deck.blue" || bare == "graysky.app" {
        return Referral::of(Source::Bluesky);
    }
    if is("facebook.com") || bare == "fb.me" || bare == "fb.com" {
        return Referral::of(Source::Facebook);
    }
    if is("instagram.com") {
        return Referral::of(Source::Instagram);
    }
    if is_search_engine(bare) {
        return Referral::of(Source::Search);
    }
    let known_server = MASTODON_SERVERS.contains(&bare);
    let profile_path = path.starts_with("/@") && !NOT_MASTODON.iter().any(|site| is(site));
    if known_server || profile_path {
        let server = (host.len() <= MAX_SERVER_BYTES).then(|| host.clone());
        return Referral {
            source: Source::Mastodon,
            server,
        };
    }
    Referral::of(Source::Other)
}

fn is_search_engine(host: &str) -> bool {
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    is_google(host)
        || is("bing.com")
        || is("duckduckgo.com")
        || is("qwant.com")
        || is("ecosia.org")
        || is("search.yahoo.com")
        || is("startpage.com")
        || is("lilo.org")
}

/// `google.fr`, `google.com`, `google.co.uk`, `google.com.br` (with `www.` already removed).
fn is_google(host: &str) -> bool {
    let Some(suffix) = host.strip_prefix("google.") else {
        return false;
    };
    let labels: Vec<&str> = suffix.split('.').collect();
    let short = |label: &&str| !label.is_empty() && label.len() <= 3;
    match labels.as_slice() {
        [tld] => short(tld),
        [second, tld] => matches!(*second, "co" | "com") && short(tld),
        _ => false,
    }
}

/// The lower-case host (port and user info removed) and the path of an absolute http(s)
/// address; `None` when it is not one.
fn split_address(address: &str) -> Option<(String, &str)> {
    let scheme_end = address.find("://")?;
    let scheme = &address[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let rest = &address[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // `https://facebook.com@evil.example/`: the host is what follows the user info.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = split_host_port(host_port)?;
    let path = tail.split(['?', '#']).next().unwrap_or("");
    Some((host, path))
}

/// The lower-case host of `host[:port]` (IPv6 literals in brackets), `None` when empty,
/// when the port is not digits, or when the host has characters no host has.
fn split_host_port(host_port: &str) -> Option<String> {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        check_port(after)?;
        return (!inside.is_empty() && inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':'))
            .then(|| format!("[{}]", inside.to_ascii_lowercase()));
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => {
                check_port(&format!(":{port}"))?;
                host
            }
            None => host_port,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || !c.is_ascii())
        && !host.chars().any(char::is_control);
    valid.then(|| host.to_ascii_lowercase())
}

/// `""` or `:` followed by digits.
fn check_port(after_host: &str) -> Option<()> {
    if after_host.is_empty() {
        return Some(());
    }
    let port = after_host.strip_prefix(':')?;
    (!port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())).then_some(())
}

// --- counting ----------------------------------------------------------------------------

/// The most (page, source) pairs listed per day. Past it a pair's views are not kept (its
/// counter is deleted again) and the day's reports say they are incomplete. Only pages that
/// answered 200 are counted, each under one address, so the pairs a day can hold are the
/// site's pages times the 8 sources: 2,500 lets even someone fetching every page of a
/// 300-page site under every source leave room, while a real day lists a few hundred. It
/// was 5,000; lowered so that a week of full lists (7 × (2,500 + 200) = 18,900 slots) still
/// fits in one read ([`MAX_SLOTS_READ`]), and a month reads whole unless its days average
/// over 600 pairs.
pub const MAX_PAGES_PER_DAY: u64 = 2_500;

/// The most Mastodon servers listed per day; past it their views count under
/// [`Source::Mastodon`] only.
pub const MAX_SERVERS_PER_DAY: u64 = 200;

/// The most list slots (pages and servers, all days together) one [`views_between`] reads,
/// so what a report costs is bounded whatever the range and the data: at most this many keys
/// in the slots' batch read, and as many in the counters'. Past it each day's lists are read
/// in part (see [`share_slots`]) and the answer is marked [`Views::truncated`].
pub const MAX_SLOTS_READ: u64 = 20_000;

/// How many slots of each list to read, from how many each holds, within `budget`: every
/// list gets an equal share, and what a short list leaves goes to the longer ones (so the
/// usual days of a range are read whole even when a few days, flooded, are not). A list read
/// in part is read from its start: the pairs first seen that day.
pub(super) fn share_slots(wanted: &[u64], budget: u64) -> Vec<u64> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i]);
    let mut granted = vec![0; wanted.len()];
    let mut left = budget;
    for (done, &i) in order.iter().enumerate() {
        let lists_left = (wanted.len() - done) as u64;
        let share = left / lists_left;
        granted[i] = wanted[i].min(share);
        left -= granted[i];
    }
    granted
}

#[derive(Debug, Serialize, Deserialize)]
struct ListEntry {
    path: String,
    source: Source,
}

#[derive(Debug, Serialize, Deserialize)]
struct ServerEntry {
    host: String,
}

/// 16 hex digits of the SHA-256 of `text`: keys stay short whatever the path or host.
fn short_hash(text: &str) -> String {
    crate::hashing::sha256_hex(text.as_bytes())[..16].to_owned()
}

fn utc_day(now: Timestamp) -> String {
    now.date()
}

/// Counts one view of `page` (a [`page_path`]) at `now` from `referral`: 1 increment of the
/// (page, day, source) counter, plus, the first time that counter reaches 1 in the day, 1
/// increment and 1 write to list the pair; a Mastodon view with its server adds 1 increment
/// (+ 2 the first time that server is seen that day). Past a day's lists
/// ([`MAX_PAGES_PER_DAY`], [`MAX_SERVERS_PER_DAY`]) a new counter is deleted again (1 call
/// instead of the write), so the keys of a day stay bounded.
pub fn record_view(
    store: &dyn KvStore,
    now: Timestamp,
    page: &str,
    referral: &Referral,
) -> Result<(), StoreError> {
    let day = utc_day(now);
    let source = referral.source;
    let counter = keys::views_page(&day, &short_hash(page), source.as_str());
    if store.increment(&counter, 1)? == 1 {
        let slot = store.increment(&keys::views_list_seq(&day), 1)?;
        if let Ok(slot @ 1..=MAX_PAGES_PER_DAY) = u64::try_from(slot) {
            let entry = ListEntry {
                path: page.to_owned(),
                source,
            };
            store.set_json(&keys::views_list_entry(&day, slot), &entry)?;
        } else {
            // Past the day's list, the counter would never be read: it goes, so a day
            // holds a bounded number of keys whatever requests arrive.
            store.delete(&counter)?;
        }
    }
    if let (Source::Mastodon, Some(host)) = (source, &referral.server) {
        let counter = keys::views_server(&day, &short_hash(host));
        if store.increment(&counter, 1)? == 1 {
            let slot = store.increment(&keys::views_servers_seq(&day), 1)?;
            if let Ok(slot @ 1..=MAX_SERVERS_PER_DAY) = u64::try_from(slot) {
                let entry = ServerEntry { host: host.clone() };
                store.set_json(&keys::views_servers_entry(&day, slot), &entry)?;
            } else {
                // Any host with a `/@` path reads as a Mastodon server: past the day's list,
                // made-up hosts must not leave a key each.
                store.delete(&counter)?;
            }
        }
    }
    Ok(())
}

// --- reading -----------------------------------------------------------------------------

/// The longest range [`views_between`] reads.
pub const MAX_DAYS: i64 = 92;

/// Checks a range of days: `to` not before `from`, at most [`MAX_DAYS`] days.
pub(super) fn check_range(from: Day, to: Day) -> Result<Vec<Day>, AnalyticsError> {
    if to < from {
        return Err(AnalyticsError::Invalid(format!(
            "range: {to} is before {from}"
        )));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AnalyticsError::Invalid(format!(
            "range: at most {MAX_DAYS} days, got {from} to {to}"
        )));
    }
    Ok(days_between(from, to).collect())
}

/// The views from `from` to `to` (UTC days, both included): 3 batch reads (the days' list
/// counters, the list entries, their counters), whatever the range (at most 92 days,
/// [`AnalyticsError::Invalid`] beyond) and the number of views; the last two read at most
/// [`MAX_SLOTS_READ`] keys each ([`Views::truncated`] when that leaves views out).
pub fn views_between(store: &dyn KvStore, from: Day, to: Day) -> Result<Views, AnalyticsError> {
    let days = check_range(from, to)?;
    let names: Vec<String> = days
        .iter()
        .map(|day| day.format("%Y-%m-%d").to_string())
        .collect();

    // 1. How many pairs and servers each day listed.
    let mut seq_keys: Vec<String> = names.iter().map(|d| keys::views_list_seq(d)).collect();
    seq_keys.extend(names.iter().map(|d| keys::views_servers_seq(d)));
    let seqs = read_counters(store, &seq_keys)?;
    let (page_seqs, server_seqs) = seqs.split_at(names.len());
    let reserved = |value: i64| u64::try_from(value).unwrap_or(0);
    // A day whose list counter went past its cap refused pairs: their views are missing.
    let mut truncated = page_seqs.iter().any(|&n| reserved(n) > MAX_PAGES_PER_DAY)
        || server_seqs
            .iter()
            .any(|&n| reserved(n) > MAX_SERVERS_PER_DAY);
    // Each day's page list, then each day's server list.
    let wanted: Vec<u64> = page_seqs
        .iter()
        .map(|&n| reserved(n).min(MAX_PAGES_PER_DAY))
        .chain(
            server_seqs
                .iter()
                .map(|&n| reserved(n).min(MAX_SERVERS_PER_DAY)),
        )
        .collect();
    let granted = share_slots(&wanted, MAX_SLOTS_READ);
    truncated |= granted != wanted;
    let (page_granted, server_granted) = granted.split_at(names.len());

    // 2. The entries: (day index, key).
    let mut slots: Vec<(usize, bool, String)> = Vec::new();
    for (i, day) in names.iter().enumerate() {
        for n in 1..=page_granted[i] {
            slots.push((i, false, keys::views_list_entry(day, n)));
        }
        for n in 1..=server_granted[i] {
            slots.push((i, true, keys::views_servers_entry(day, n)));
        }
    }
    let mut values: HashMap<String, Vec<u8>> = HashMap::new();
    if !slots.is_empty() {
        let slot_keys: Vec<String> = slots.iter().map(|(_, _, key)| key.clone()).collect();
        values = store
            .get_many(&slot_keys)?
            .into_iter()
            .filter_map(|(key, value)| Some((key, value?)))
            .collect();
    }

    // 3. Their counters. A slot reserved but never written (its write failed) is skipped.
    enum Listed {
        Page(usize, String, Source),
        Server(String),
    }
    let mut found: Vec<Listed> = Vec::new();
    let mut counter_keys: Vec<String> = Vec::new();
    for (i, is_server, key) in &slots {
        let Some(bytes) = values.get(key) else {
            continue;
        };
        let day = &names[*i];
        if *is_server {
            let entry: ServerEntry = from_json(key, bytes)?;
            counter_keys.push(keys::views_server(day, &short_hash(&entry.host)));
            found.push(Listed::Server(entry.host));
        } else {
            let entry: ListEntry = from_json(key, bytes)?;
            counter_keys.push(keys::views_page(
                day,
                &short_hash(&entry.path),
                entry.source.as_str(),
            ));
            found.push(Listed::Page(*i, entry.path, entry.source));
        }
    }
    let counts = if counter_keys.is_empty() {
        Vec::new()
    } else {
        read_counters(store, &counter_keys)?
    };

    let mut day_views: Vec<DayViews> = days
        .iter()
        .map(|day| DayViews {
            day: *day,
            total: 0,
            by_source: BTreeMap::new(),
        })
        .collect();
    let mut pages: BTreeMap<String, PageViews> = BTreeMap::new();
    let mut servers: BTreeMap<String, u64> = BTreeMap::new();
    let add = |sum: &mut u64, count: u64| *sum = sum.saturating_add(count);
    for (listed, count) in found.into_iter().zip(counts) {
        let count = u64::try_from(count).unwrap_or(0);
        if count == 0 {
            continue;
        }
        match listed {
            Listed::Page(i, path, source) => {
                let day = &mut day_views[i];
                // Saturating: counters are the store's, whatever they hold.
                day.total = day.total.saturating_add(count);
                add(day.by_source.entry(source).or_default(), count);
                let page = pages.entry(path.clone()).or_insert_with(|| PageViews {
                    path,
                    total: 0,
                    by_source: BTreeMap::new(),
                });
                page.total = page.total.saturating_add(count);
                add(page.by_source.entry(source).or_default(), count);
            }
            Listed::Server(host) => add(servers.entry(host).or_default(), count),
        }
    }
    let mut pages: Vec<PageViews> = pages.into_values().collect();
    pages.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.path.cmp(&b.path)));
    let mut mastodon_servers: Vec<(String, u64)> = servers.into_iter().collect();
    mastodon_servers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Views {
        days: day_views,
        pages,
        mastodon_servers,
        truncated,
    })
}

#[cfg(test)]
#[path = "audience_tests.rs"]
mod tests;
