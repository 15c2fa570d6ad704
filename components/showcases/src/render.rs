//! HTML pieces the pages share: images, cards, dates, paragraphs, catalogue links, caching.

use kiosque_domain::Timestamp;
use kiosque_domain::events::Entry;
use kiosque_domain::media::RenditionKind;
use kiosque_domain::showcases::index::Card;
use kiosque_domain::showcases::isbn::{self, Isbn13};
use kiosque_domain::showcases::model::Image;
use kiosque_domain::showcases::{Placement, ShowcaseKind};
use kiosque_domain::web::HttpsUrl;
use kiosque_domain::zone::Zone;
use kiosque_spin::html::{Markup, Render, html};
use kiosque_spin::{Lang, PageContext, config, response};
use spin_sdk::http::{Request, Response};

/// How long browsers and shared caches may reuse a public page before revalidating: short,
/// so an unpublished showcase disappears quickly, long enough to absorb a burst of shares.
pub const PAGE_CACHE: &str = "public, max-age=60";
/// Feeds and calendars are polled by readers and calendar apps.
pub const FEED_CACHE: &str = "public, max-age=300";

/// A public page answer with its ETag, `Cache-Control` and `304` handling.
pub fn cached(req: &Request, response: Response) -> Response {
    response::conditional(req, response, PAGE_CACHE)
}

/// An `<img>` that does not shift the layout while it loads (width and height) and loads
/// only when scrolled to. A medium of the library shows its `page` rendition; one deleted
/// since answers 404 and the browser shows the alt text in the same box.
pub fn img(p: &Placement) -> Markup {
    sized_img(p, RenditionKind::Page)
}

/// The `<img>` of a card: a medium's `thumb` rendition (400 px fits a card's column, and the
/// stored size keeps the ratio: the CSS scales the box to the column).
pub fn card_img(p: &Placement) -> Markup {
    sized_img(p, RenditionKind::Thumb)
}

fn sized_img(p: &Placement, size: RenditionKind) -> Markup {
    html! {
        img src=(p.image.address(size)) alt=(p.alt) width=(p.image.width) height=(p.image.height)
            loading="lazy" decoding="async";
    }
}

/// An image's address for JSON-LD and feeds, which need absolute URLs: a medium's site path
/// made absolute with the public base URL; an outside address as it is.
pub fn absolute_src(ctx: &PageContext, image: &Image) -> String {
    let src = image.src();
    if image.medium.is_some() {
        ctx.absolute(&src)
    } else {
        src
    }
}

/// An image with its title, caption, credit and licence.
pub fn figure(ctx: &PageContext, p: &Placement) -> Markup {
    let credits: Vec<(&str, &str)> = [
        (ctx.t("Crédit :", "Credit:"), p.credit.as_deref()),
        (ctx.t("Licence :", "Licence:"), p.licence.as_deref()),
    ]
    .into_iter()
    .filter_map(|(label, value)| Some((label, value?)))
    .collect();
    let has_caption = p.title.is_some() || p.caption.is_some() || !credits.is_empty();
    html! {
        figure {
            (img(p))
            @if has_caption {
                figcaption {
                    @if let Some(title) = &p.title {
                        strong { (title) }
                    }
                    @if let Some(text) = &p.caption {
                        @if p.title.is_some() { br; }
                        (text)
                    }
                    @if !credits.is_empty() {
                        br;
                        small.credit {
                            @for (i, (label, value)) in credits.iter().enumerate() {
                                @if i > 0 { " · " }
                                (label) " " (value)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Plain text typed by staff: escaped, blank lines make paragraphs, single newlines breaks.
pub fn paragraphs(text: &str) -> Markup {
    let paragraphs = text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    html! {
        @for paragraph in paragraphs {
            p {
                @for (i, line) in paragraph.split('\n').enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
    }
}

/// `parts` one after the other, `separator` between them (`a · b · c`).
pub fn joined<T: Render>(parts: impl IntoIterator<Item = T>, separator: &str) -> Markup {
    html! {
        @for (i, part) in parts.into_iter().enumerate() {
            @if i > 0 { (separator) }
            (part)
        }
    }
}

pub fn kind_label(ctx: &PageContext, kind: ShowcaseKind) -> &'static str {
    kind.label(ctx.lang == Lang::Fr)
}

/// The card of a showcase in a list.
pub fn showcase_card(ctx: &PageContext, card: &Card) -> Markup {
    html! {
        li.card {
            @if let Some(image) = &card.image {
                (card_img(image))
            }
            h3 { a href=(ctx.link(&format!("/showcases/{}", card.id))) { (card.title) } }
            p.kind { (kind_label(ctx, card.kind)) }
            p { (card.summary) }
        }
    }
}

/// A date and time as patrons of `zone` read it, with a machine-readable `<time>`.
pub fn when(ctx: &PageContext, t: Timestamp, zone: Zone) -> Markup {
    let local = zone.local(t);
    let text = match ctx.lang {
        Lang::Fr => local.format_fr(),
        Lang::En => local.format_en(),
    };
    html! {
        time datetime=(local.to_rfc3339()) { (text) }
        // The library's own zone goes without saying; another one (an event elsewhere) is named.
        @if zone != kiosque_spin::config::library_zone() {
            " (" (zone) ")"
        }
    }
}

/// When an event runs: "le 12 décembre 2026 à 14 h 00, jusqu’à 16 h 00" on one day, "du
/// ... au ..." across days.
pub fn span(ctx: &PageContext, starts_at: Timestamp, ends_at: Timestamp, zone: Zone) -> Markup {
    let (start, end) = (zone.local(starts_at), zone.local(ends_at));
    if start.local.date() == end.local.date() {
        let until = match ctx.lang {
            Lang::Fr => format!("{} h {:02}", end.local.hour(), end.local.minute()),
            Lang::En => format!("{:02}:{:02}", end.local.hour(), end.local.minute()),
        };
        html! {
            (ctx.t("Le", "On")) " " (when(ctx, starts_at, zone)) (ctx.t(", jusqu’à", ", until"))
            " " time datetime=(end.to_rfc3339()) { (until) }
        }
    } else {
        html! {
            (ctx.t("Du", "From")) " " (when(ctx, starts_at, zone)) " " (ctx.t("au", "to")) " "
            (when(ctx, ends_at, zone))
        }
    }
}

/// One event in a list.
pub fn event_item(ctx: &PageContext, e: &Entry, live: bool) -> Markup {
    let where_ = e
        .place
        .as_deref()
        .into_iter()
        .chain(e.online.then(|| ctx.t("en ligne", "online")));
    html! {
        li.event {
            @if live {
                span.live-badge { (ctx.t("En direct", "Live now")) } " "
            }
            a href=(ctx.link(&format!("/events/{}", e.id))) { (e.title) }
            br;
            (when(ctx, e.starts_at, e.time_zone)) " · " (joined(where_, " · "))
        }
    }
}

/// The catalogue link of an item: its own URL, else the `catalogue_url_template` variable
/// filled with its ISBN.
pub fn catalogue_url(own: Option<&HttpsUrl>, isbn: Option<&Isbn13>) -> Option<String> {
    if let Some(url) = own {
        return Some(url.as_str().to_owned());
    }
    let template = config::variable("catalogue_url_template")?;
    let filled = isbn::catalogue_link(template.trim(), isbn?)?;
    // The template is configuration, yet it goes into an href: only https, no markup.
    HttpsUrl::parse("catalogue_url_template", &filled, 2000)
        .ok()
        .map(String::from)
}

/// `<a>` to an external page, labelled.
pub fn external_link(href: &str, label: &str) -> Markup {
    html! { a href=(href) rel="noopener" { (label) } }
}

/// The `<iframe>` snippet staff copy to embed a widget elsewhere.
pub fn embed_snippet(embed_url: &str, title: &str, height: u32) -> Markup {
    html! {
        iframe src=(embed_url) title=(title) width="100%" height=(height) loading="lazy"
            style="border:0;max-width:40rem" {}
    }
}

/// The "embed this" box: the snippet in a read-only text area, selectable without script.
pub fn embed_box(ctx: &PageContext, snippet: Markup) -> Markup {
    html! {
        details.embed-box {
            summary { (ctx.t("Intégrer sur un autre site", "Embed on another site")) }
            label for="embed-code" {
                (ctx.t("Code à copier dans votre page :", "Code to copy into your page:"))
            }
            // The snippet is shown as text to copy: spliced as a `String`, so escaped.
            textarea #embed-code readonly rows="3" { (snippet.into_string()) }
        }
    }
}

/// Links to the feeds, shown at the bottom of list pages.
pub fn feed_links(ctx: &PageContext, what: &str) -> Markup {
    html! {
        p.feeds {
            (ctx.t("S’abonner :", "Subscribe:")) " "
            a href=(format!("/feeds/{what}.rss")) { "RSS" } " · "
            a href=(format!("/feeds/{what}.atom")) { "Atom" }
            @if what == "events" {
                " · "
                a href="/feeds/events.ics" {
                    (ctx.t("Agenda iCalendar (.ics)", "iCalendar feed (.ics)"))
                }
            }
        }
    }
}

/// The feeds announced in `<head>` of the pages they mirror (`what`: `showcases`, `events`).
pub fn head_feeds(ctx: &PageContext, what: &str) -> Vec<(&'static str, String, String)> {
    let name = match what {
        "events" => ctx.t("Rendez-vous", "Events"),
        _ => ctx.t("Vitrines", "Showcases"),
    };
    let title = |format: &str| format!("{} — {name} ({format})", ctx.library_name);
    vec![
        (
            "application/rss+xml",
            title("RSS"),
            format!("/feeds/{what}.rss"),
        ),
        (
            "application/atom+xml",
            title("Atom"),
            format!("/feeds/{what}.atom"),
        ),
    ]
}

/// ISO 8601 duration for schema.org (`PT3M25S`).
pub fn iso_duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = "PT".to_owned();
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || out == "PT" {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// `3:25` or `1:02:03`.
pub fn clock_duration(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A positive page number from `?page=`; anything else is the first page.
pub fn page_param(req: &Request) -> Option<u64> {
    kiosque_spin::form::query_param(req.query(), "page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|n| *n > 0)
}
