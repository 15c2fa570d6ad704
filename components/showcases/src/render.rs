//! HTML pieces the pages share: images, cards, dates, paragraphs, catalogue links, caching.

use kiosque_domain::Timestamp;
use kiosque_domain::events::Entry;
use kiosque_domain::showcases::index::Card;
use kiosque_domain::showcases::isbn::{self, Isbn13};
use kiosque_domain::showcases::{Placement, ShowcaseKind};
use kiosque_domain::web::HttpsUrl;
use kiosque_domain::zone::Zone;
use kiosque_spin::html::escape;
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
/// only when scrolled to.
pub fn img(p: &Placement) -> String {
    format!(
        "<img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\">",
        escape(p.image.url.as_str()),
        escape(&p.alt),
        p.image.width,
        p.image.height
    )
}

/// An image with its title, caption, credit and licence.
pub fn figure(ctx: &PageContext, p: &Placement) -> String {
    let mut caption = String::new();
    if let Some(title) = &p.title {
        caption.push_str(&format!("<strong>{}</strong>", escape(title)));
    }
    if let Some(text) = &p.caption {
        if !caption.is_empty() {
            caption.push_str("<br>");
        }
        caption.push_str(&escape(text));
    }
    let mut small = Vec::new();
    if let Some(credit) = &p.credit {
        small.push(format!(
            "{} {}",
            ctx.t("Crédit :", "Credit:"),
            escape(credit)
        ));
    }
    if let Some(licence) = &p.licence {
        small.push(format!(
            "{} {}",
            ctx.t("Licence :", "Licence:"),
            escape(licence)
        ));
    }
    if !small.is_empty() {
        caption.push_str(&format!(
            "<br><small class=\"credit\">{}</small>",
            small.join(" · ")
        ));
    }
    let caption = if caption.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{caption}</figcaption>")
    };
    format!("<figure>{}{caption}</figure>\n", img(p))
}

/// Plain text typed by staff: escaped, blank lines make paragraphs, single newlines breaks.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>\n")))
        .collect()
}

pub fn kind_label(ctx: &PageContext, kind: ShowcaseKind) -> &'static str {
    kind.label(ctx.lang == Lang::Fr)
}

/// The card of a showcase in a list.
pub fn showcase_card(ctx: &PageContext, card: &Card) -> String {
    let href = escape(&ctx.link(&format!("/showcases/{}", card.id)));
    let image = card.image.as_ref().map(img).unwrap_or_default();
    format!(
        "<li class=\"card\">{image}<h3><a href=\"{href}\">{title}</a></h3>\n\
         <p class=\"kind\">{kind}</p>\n<p>{summary}</p></li>\n",
        title = escape(&card.title),
        kind = kind_label(ctx, card.kind),
        summary = escape(&card.summary),
    )
}

/// A date and time as patrons of `zone` read it, with a machine-readable `<time>`.
pub fn when(ctx: &PageContext, t: Timestamp, zone: Zone) -> String {
    let local = zone.local(t);
    let text = match ctx.lang {
        Lang::Fr => local.format_fr(),
        Lang::En => local.format_en(),
    };
    // The library's own zone goes without saying; another one (an event elsewhere) is named.
    let zone_note = if zone == kiosque_spin::config::library_zone() {
        String::new()
    } else {
        format!(" ({zone})")
    };
    format!(
        "<time datetime=\"{}\">{}</time>{}",
        escape(&local.to_rfc3339()),
        escape(&text),
        escape(&zone_note)
    )
}

/// When an event runs: "le 12 décembre 2026 à 14 h 00, jusqu’à 16 h 00" on one day, "du
/// ... au ..." across days.
pub fn span(ctx: &PageContext, starts_at: Timestamp, ends_at: Timestamp, zone: Zone) -> String {
    let (start, end) = (zone.local(starts_at), zone.local(ends_at));
    if start.local.date() == end.local.date() {
        let until = match ctx.lang {
            Lang::Fr => format!("{} h {:02}", end.local.hour(), end.local.minute()),
            Lang::En => format!("{:02}:{:02}", end.local.hour(), end.local.minute()),
        };
        format!(
            "{} {}{} <time datetime=\"{}\">{until}</time>",
            ctx.t("Le", "On"),
            when(ctx, starts_at, zone),
            ctx.t(", jusqu’à", ", until"),
            escape(&end.to_rfc3339()),
        )
    } else {
        format!(
            "{} {} {} {}",
            ctx.t("Du", "From"),
            when(ctx, starts_at, zone),
            ctx.t("au", "to"),
            when(ctx, ends_at, zone),
        )
    }
}

/// One event in a list.
pub fn event_item(ctx: &PageContext, e: &Entry, live: bool) -> String {
    let href = escape(&ctx.link(&format!("/events/{}", e.id)));
    let mut where_ = Vec::new();
    if let Some(place) = &e.place {
        where_.push(escape(place));
    }
    if e.online {
        where_.push(ctx.t("en ligne", "online").to_owned());
    }
    let badge = if live {
        format!(
            "<span class=\"live-badge\">{}</span> ",
            ctx.t("En direct", "Live now")
        )
    } else {
        String::new()
    };
    format!(
        "<li class=\"event\">{badge}<a href=\"{href}\">{title}</a><br>\n{when} · {where_}</li>\n",
        title = escape(&e.title),
        when = when(ctx, e.starts_at, e.time_zone),
        where_ = where_.join(" · "),
    )
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
pub fn external_link(href: &str, label: &str) -> String {
    format!(
        "<a href=\"{}\" rel=\"noopener\">{}</a>",
        escape(href),
        escape(label)
    )
}

/// The `<iframe>` snippet staff copy to embed a widget elsewhere.
pub fn embed_snippet(embed_url: &str, title: &str, height: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" \
         style=\"border:0;max-width:40rem\"></iframe>",
        escape(embed_url),
        escape(title)
    )
}

/// The "embed this" box: the snippet in a read-only text area, selectable without script.
pub fn embed_box(ctx: &PageContext, snippet: &str) -> String {
    format!(
        "<details class=\"embed-box\"><summary>{}</summary>\n\
         <label for=\"embed-code\">{}</label>\n\
         <textarea id=\"embed-code\" readonly rows=\"3\">{}</textarea></details>\n",
        ctx.t("Intégrer sur un autre site", "Embed on another site"),
        ctx.t(
            "Code à copier dans votre page :",
            "Code to copy into your page:"
        ),
        escape(snippet)
    )
}

/// Links to the feeds, shown at the bottom of list pages.
pub fn feed_links(ctx: &PageContext, what: &str) -> String {
    let ics = if what == "events" {
        format!(
            " · <a href=\"/feeds/events.ics\">{}</a>",
            ctx.t("Agenda iCalendar (.ics)", "iCalendar feed (.ics)")
        )
    } else {
        String::new()
    };
    format!(
        "<p class=\"feeds\">{} <a href=\"/feeds/{what}.rss\">RSS</a> · \
         <a href=\"/feeds/{what}.atom\">Atom</a>{ics}</p>\n",
        ctx.t("S’abonner :", "Subscribe:")
    )
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
