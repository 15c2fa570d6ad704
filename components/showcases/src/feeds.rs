//! RSS 2.0 and Atom feeds of new showcases and of events, and the subscribable iCalendar
//! feed of the public calendar. Every URL in them is absolute.

use kiosque_domain::Clock;
use kiosque_domain::Timestamp;
use kiosque_domain::events::ical::{self, VEvent};
use kiosque_domain::events::{self, EventError};
use kiosque_domain::feed::{ATOM_CONTENT_TYPE, Feed, FeedEntry, RSS_CONTENT_TYPE};
use kiosque_domain::showcases::ShowcaseError;
use kiosque_domain::showcases::index::{self, Audience};
use kiosque_spin::html::layout::PageContext;
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock, response};
use spin_sdk::http::{Params, Request, Response};

use crate::event_pages;
use crate::render;

/// The newest showcases: the first list page (2 store calls), by publication date.
fn showcases_feed(req: &Request, feed_path: &str) -> Result<Feed, PageError> {
    let ctx = PageContext::from_request(req);
    let now = SystemClock.now();
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    let mut cards = index::list(&store, Audience::Public(now), None)?.cards;
    cards.sort_by_key(|c| std::cmp::Reverse(c.published_at));
    let entries: Vec<FeedEntry> = cards
        .iter()
        .map(|c| {
            let url = ctx.absolute(&format!("/showcases/{}", c.id));
            let published = c.published_at.unwrap_or(c.created_at);
            FeedEntry {
                title: c.title.clone(),
                id: url.clone(),
                url,
                summary: c.summary.clone(),
                published,
                updated: c.updated_at.max(published),
                categories: vec![render::kind_label(&ctx, c.kind).to_owned()],
            }
        })
        .collect();
    Ok(Feed {
        title: format!("{} — {}", ctx.library_name, ctx.t("Vitrines", "Showcases")),
        description: ctx
            .t(
                "Les nouvelles sélections de la médiathèque.",
                "The library's new selections.",
            )
            .to_owned(),
        language: ctx.lang.code().to_owned(),
        page_url: ctx.absolute("/showcases"),
        feed_url: ctx.absolute(feed_path),
        author: ctx.library_name.clone(),
        updated: latest(entries.iter().map(|e| e.updated)),
        entries,
    })
}

/// Live and upcoming events, soonest first (1 store call).
fn events_feed(req: &Request, feed_path: &str) -> Result<Feed, PageError> {
    let ctx = PageContext::from_request(req);
    let now = SystemClock.now();
    let store = SpinStore::open_default().map_err(EventError::from)?;
    let shown = events::upcoming(&store, now, 1)?;
    let entries: Vec<FeedEntry> = shown
        .live
        .iter()
        .chain(&shown.upcoming)
        .map(|e| {
            let url = ctx.absolute(&format!("/events/{}", e.id));
            let local = e.time_zone.local(e.starts_at);
            let when = match ctx.lang {
                Lang::Fr => local.format_fr(),
                Lang::En => local.format_en(),
            };
            let published = e.published_at.unwrap_or(e.updated_at);
            FeedEntry {
                title: format!("{} — {when}", e.title),
                id: url.clone(),
                url,
                summary: e.summary.clone(),
                published,
                updated: e.updated_at.max(published),
                categories: Vec::new(),
            }
        })
        .collect();
    Ok(Feed {
        title: format!("{} — {}", ctx.library_name, ctx.t("Rendez-vous", "Events")),
        description: ctx
            .t(
                "Les prochains rendez-vous de la médiathèque.",
                "The library's upcoming events.",
            )
            .to_owned(),
        language: ctx.lang.code().to_owned(),
        page_url: ctx.absolute("/events"),
        feed_url: ctx.absolute(feed_path),
        author: ctx.library_name.clone(),
        updated: latest(entries.iter().map(|e| e.updated)),
        entries,
    })
}

/// The newest of some instants; the epoch for an empty feed, so an empty feed's bytes (and
/// ETag) do not change with every request.
fn latest(times: impl Iterator<Item = Timestamp>) -> Timestamp {
    times.max().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn xml_response(req: &Request, content_type: &str, body: String) -> Response {
    let response = Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("x-content-type-options", "nosniff")
        .header("vary", "accept-language")
        .body(body)
        .build();
    response::conditional(req, response, render::FEED_CACHE)
}

pub fn showcases_rss(req: Request, _params: Params) -> Result<Response, PageError> {
    let feed = showcases_feed(&req, "/feeds/showcases.rss")?;
    Ok(xml_response(&req, RSS_CONTENT_TYPE, feed.to_rss()))
}

pub fn showcases_atom(req: Request, _params: Params) -> Result<Response, PageError> {
    let feed = showcases_feed(&req, "/feeds/showcases.atom")?;
    Ok(xml_response(&req, ATOM_CONTENT_TYPE, feed.to_atom()))
}

pub fn events_rss(req: Request, _params: Params) -> Result<Response, PageError> {
    let feed = events_feed(&req, "/feeds/events.rss")?;
    Ok(xml_response(&req, RSS_CONTENT_TYPE, feed.to_rss()))
}

pub fn events_atom(req: Request, _params: Params) -> Result<Response, PageError> {
    let feed = events_feed(&req, "/feeds/events.atom")?;
    Ok(xml_response(&req, ATOM_CONTENT_TYPE, feed.to_atom()))
}

/// `GET /feeds/events.ics`: the public calendar from two months back to eleven ahead, for
/// calendar apps to subscribe to. 1 store call.
pub fn events_ics(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default().map_err(EventError::from)?;
    let entries = events::calendar(&store, SystemClock.now())?;
    let host = event_pages::uid_host(&ctx);
    let vevents: Vec<VEvent> = entries
        .iter()
        .map(|e| VEvent::of_entry(e, &host, &ctx.absolute(&format!("/events/{}", e.id))))
        .collect();
    let name = format!("{} — {}", ctx.library_name, ctx.t("Rendez-vous", "Events"));
    Ok(event_pages::calendar_response(
        &req,
        ical::calendar(&name, &vevents),
        "events.ics",
    ))
}
