//! Public event pages: the list (live now, then upcoming), one page per event (with the live
//! stream embedded while it runs, the replay afterwards), its `.ics` and its widget.

use kiosque_domain::Clock;
use kiosque_domain::events::ical::{self, VEvent};
use kiosque_domain::events::{self, Event, EventError, EventId, Phase};
use kiosque_domain::video::VideoEmbed;
use kiosque_domain::web::HttpsUrl;
use kiosque_spin::html::layout::{self, PageContext, PageMeta, ShareImage};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::response::{html, html_embeddable, html_with_frames};
use kiosque_spin::{PageError, SpinStore, SystemClock, response};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::render::{self, cached};

fn load(params: &Params) -> Result<Event, PageError> {
    let id = params
        .get("id")
        .and_then(|id| EventId::parse(id).ok())
        .ok_or_else(PageError::not_found)?;
    let store = SpinStore::open_default().map_err(EventError::from)?;
    Ok(events::get_public(&store, &id, SystemClock.now())?)
}

/// `GET /events?page=N`: what is live now, then upcoming events, soonest first. 1 store call.
pub fn list(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default().map_err(EventError::from)?;
    let page = render::page_param(&req).unwrap_or(1).min(1_000) as usize;
    let shown = events::upcoming(&store, SystemClock.now(), page)?;
    let body = html! {
        h1 { (ctx.t("Rendez-vous", "Events")) }
        @if !shown.live.is_empty() {
            section.live aria-labelledby="live-now" {
                h2 #live-now { (ctx.t("En ce moment", "Happening now")) }
                ul.events {
                    @for e in &shown.live {
                        (render::event_item(&ctx, e, true))
                    }
                }
            }
        }
        h2 { (ctx.t("À venir", "Upcoming")) }
        @if shown.upcoming.is_empty() {
            p {
                (ctx.t(
                    "Aucun rendez-vous annoncé pour le moment.",
                    "No event announced yet."
                ))
            }
        } @else {
            ul.events {
                @for e in &shown.upcoming {
                    (render::event_item(&ctx, e, false))
                }
            }
        }
        @if let Some(next) = shown.next_page {
            nav aria-label=(ctx.t("Pages", "Pages")) {
                a href=(ctx.link(&format!("/events?page={next}"))) rel="next" {
                    (ctx.t("Rendez-vous suivants", "Later events"))
                }
            }
        }
        (render::feed_links(&ctx, "events"))
    };
    let meta = PageMeta {
        title: ctx.t("Rendez-vous", "Events").to_owned(),
        description: ctx
            .t(
                "Animations, rencontres, ateliers et diffusions en direct de la médiathèque.",
                "The library's activities, talks, workshops and live streams.",
            )
            .to_owned(),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "ItemList",
            "name": ctx.t("Rendez-vous", "Events"),
            "url": ctx.canonical_url(),
            "itemListElement": shown.live.iter().chain(&shown.upcoming).enumerate().map(|(i, e)| json!({
                "@type": "ListItem", "position": i + 1,
                "url": ctx.absolute(&format!("/events/{}", e.id)),
            })).collect::<Vec<_>>(),
        })),
        feeds: render::head_feeds(&ctx, "events"),
        ..PageMeta::default()
    };
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}

/// The host name the page is served under, for Twitch's `parent` parameter.
fn site_host(ctx: &PageContext) -> String {
    ctx.base_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split([':', '/'])
        .next()
        .unwrap_or("")
        .to_owned()
}

/// A player for `url` when the platform is known (privacy-friendly address), else a link.
/// Returns the HTML and the frame origin to allow.
fn player(ctx: &PageContext, url: &HttpsUrl, title: &str) -> (Markup, Option<String>) {
    match VideoEmbed::parse(url) {
        Some(video) => {
            let open_on = format!(
                "{} {}",
                ctx.t("Ouvrir sur", "Open on"),
                video.provider().name()
            );
            let markup = html! {
                div.player {
                    iframe src=(video.embed_src(&site_host(ctx))) title=(title) width="560"
                        height="315" allow="fullscreen; picture-in-picture" allowfullscreen
                        loading="lazy" {}
                }
                p { (render::external_link(url.as_str(), &open_on)) }
            };
            (markup, Some(video.frame_origin()))
        }
        None => (
            html! { p { (render::external_link(url.as_str(), ctx.t("Regarder", "Watch"))) } },
            None,
        ),
    }
}

/// The live stream while the event runs (announced before), the replay afterwards; with the
/// frame origin the player needs.
fn media(ctx: &PageContext, e: &Event, phase: Phase) -> (Markup, Option<String>) {
    match (phase, &e.stream_url, &e.replay_url) {
        (Phase::Live, Some(stream), _) => {
            let (player, origin) = player(ctx, stream, &e.title);
            let markup = html! {
                h2 { (ctx.t("Le direct", "Live stream")) }
                (player)
            };
            (markup, origin)
        }
        (Phase::Upcoming, Some(stream), _) => {
            let markup = html! {
                p {
                    (ctx.t(
                        "Le direct sera visible sur cette page pendant l’événement :",
                        "The live stream will play on this page during the event:"
                    ))
                    " "
                    (render::external_link(stream.as_str(), ctx.t("lien du direct", "stream link")))
                }
            };
            (markup, None)
        }
        (Phase::Past, _, Some(replay)) => {
            let (player, origin) = player(ctx, replay, &e.title);
            let markup = html! {
                h2 { (ctx.t("Le replay", "Replay")) }
                (player)
            };
            (markup, origin)
        }
        (Phase::Past, _, None) => (
            html! { p { (ctx.t("Cet événement est terminé.", "This event is over.")) } },
            None,
        ),
        _ => (html! {}, None),
    }
}

/// `GET /events/:id`: 1 store call.
pub fn show(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let e = load(&params)?;
    let now = SystemClock.now();
    let phase = e.phase(now);
    let (media, frame_origin) = media(&ctx, &e, phase);
    let mut actions = Vec::new();
    if let (Some(url), true) = (&e.registration_url, phase != Phase::Past) {
        actions.push(render::external_link(
            url.as_str(),
            ctx.t("S’inscrire", "Register"),
        ));
    }
    actions.push(html! {
        a href=(format!("/events/{}/event.ics", e.id)) {
            (ctx.t("Ajouter à mon agenda (.ics)", "Add to my calendar (.ics)"))
        }
    });
    let embed_url = ctx.absolute(&format!("/events/{}/embed", e.id));
    let body = html! {
        article.event-page {
            @if phase == Phase::Live {
                p.live-badge role="status" { (ctx.t("En direct maintenant", "Live now")) }
            }
            h1 { (e.title) }
            p.when { (render::span(&ctx, e.starts_at, e.ends_at, e.time_zone)) }
            @if let Some(place) = &e.place {
                p.where {
                    (ctx.t("Lieu :", "Place:")) " " (place.name)
                    @if let Some(address) = &place.address {
                        ", " (address)
                    }
                }
            }
            @if e.online {
                p.where { (ctx.t("À suivre en ligne.", "Online.")) }
            }
            @if let Some(audience) = &e.audience {
                p { (ctx.t("Public :", "Audience:")) " " (audience) }
            }
            @if let Some(image) = &e.image {
                (render::figure(&ctx, image))
            }
            (media)
            @if !e.description.is_empty() {
                (render::paragraphs(&e.description))
            }
            p.actions { (render::joined(actions, " · ")) }
        }
        (render::embed_box(&ctx, render::embed_snippet(&embed_url, &e.title, 260)))
        p { a href=(ctx.link("/events")) { (ctx.t("Tous les rendez-vous", "All events")) } }
    };

    let page_url = ctx.absolute(&format!("/events/{}", e.id));
    let mut location = Vec::new();
    if let Some(place) = &e.place {
        location.push(json!({"@type": "Place", "name": place.name, "address": place.address}));
    }
    if e.online {
        let url = e
            .stream_url
            .as_ref()
            .map_or(page_url.clone(), |u| u.as_str().to_owned());
        location.push(json!({"@type": "VirtualLocation", "url": url}));
    }
    let mode = match (e.place.is_some(), e.online) {
        (true, true) => "MixedEventAttendanceMode",
        (false, true) => "OnlineEventAttendanceMode",
        _ => "OfflineEventAttendanceMode",
    };
    let meta = PageMeta {
        title: e.title.clone(),
        description: e.description.chars().take(200).collect::<String>(),
        og_type: "article",
        og_image: e.image.as_ref().map(ShareImage::placed),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "Event",
            "name": e.title,
            "description": e.description,
            "url": page_url,
            "startDate": e.time_zone.local(e.starts_at).to_rfc3339(),
            "endDate": e.time_zone.local(e.ends_at).to_rfc3339(),
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": format!("https://schema.org/{mode}"),
            "location": location,
            "audience": e.audience.as_ref().map(|a| json!({"@type": "Audience", "audienceType": a})),
            "image": e.image.as_ref().map(|p| render::absolute_src(&ctx, &p.image)),
            "organizer": {"@type": "Library", "name": ctx.library_name, "url": ctx.absolute("/")},
        })),
        ..PageMeta::default()
    };
    let page = layout::page(&ctx, &meta, body);
    let response = match frame_origin {
        Some(origin) => html_with_frames(200, page, &[origin]),
        None => html(200, page),
    };
    Ok(cached(&req, response))
}

/// `GET /events/:id/embed`: a compact card for other sites.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let e = load(&params)?;
    let now = SystemClock.now();
    let href = ctx.absolute(&format!("/events/{}", e.id));
    let body = html! {
        article.widget {
            @if e.phase(now) == Phase::Live {
                p.live-badge { (ctx.t("En direct", "Live now")) }
            }
            h1 { a href=(href) target="_top" { (e.title) } }
            p { (render::when(&ctx, e.starts_at, e.time_zone)) }
            p {
                a href=(href) target="_top" {
                    (ctx.t("Voir le rendez-vous", "See the event")) " — " (ctx.library_name)
                }
            }
        }
    };
    Ok(cached(
        &req,
        html_embeddable(200, layout::embed_page(&ctx, &e.title, body)),
    ))
}

/// The host that names our events in iCalendar UIDs.
pub fn uid_host(ctx: &PageContext) -> String {
    let host = site_host(ctx);
    if host.is_empty() {
        "kiosque.invalid".to_owned()
    } else {
        host
    }
}

/// `GET /events/:id/event.ics`: 1 store call.
pub fn ics(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let e = load(&params)?;
    let page_url = ctx.absolute(&format!("/events/{}", e.id));
    let body = ical::calendar(
        &ctx.library_name,
        &[VEvent::of_event(&e, &uid_host(&ctx), &page_url)],
    );
    Ok(calendar_response(&req, body, &format!("{}.ics", e.id)))
}

/// A `text/calendar` answer, cached like a feed.
pub fn calendar_response(req: &Request, body: String, filename: &str) -> Response {
    let response = Response::builder()
        .status(200)
        .header("content-type", "text/calendar; charset=utf-8")
        .header(
            "content-disposition",
            format!("inline; filename=\"{filename}\""),
        )
        .header("x-content-type-options", "nosniff")
        .body(body)
        .build();
    response::conditional(req, response, render::FEED_CACHE)
}
