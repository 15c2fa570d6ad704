//! Public showcase pages: the paged list, one page per showcase, one per exhibition room, and
//! the embeddable widget. Drafts and scheduled showcases answer 404.

use kiosque_domain::Clock;
use kiosque_domain::markdown;
use kiosque_domain::showcases::index::{self, Audience};
use kiosque_domain::showcases::model::{Book, Film, Room, Track};
use kiosque_domain::showcases::{self, Item, Showcase, ShowcaseError, ShowcaseId, ShowcaseKind};
use kiosque_spin::html::PreEscaped;
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::response::{html, html_embeddable};
use kiosque_spin::{PageError, SpinStore, SystemClock};
use serde_json::{Value, json};
use spin_sdk::http::{Params, Request, Response};

use crate::render::{self, cached};

fn showcase_id(params: &Params) -> Result<ShowcaseId, PageError> {
    params
        .get("id")
        .and_then(|id| ShowcaseId::parse(id).ok())
        .ok_or_else(PageError::not_found)
}

fn load(params: &Params) -> Result<Showcase, PageError> {
    let id = showcase_id(params)?;
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    Ok(showcases::get_public(&store, &id, SystemClock.now())?)
}

/// `GET /showcases?page=N`: published showcases, newest first. 2 store calls.
pub fn list(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    let page = index::list(
        &store,
        Audience::Public(SystemClock.now()),
        render::page_param(&req),
    )?;
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        ctx.t("Vitrines", "Showcases"),
        ctx.t(
            "Playlists, extraits de livres, films et expositions virtuelles préparés par l’équipe.",
            "Playlists, book extracts, films and virtual exhibitions put together by the team."
        )
    );
    if page.cards.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>\n",
            ctx.t(
                "Aucune vitrine ici pour le moment.",
                "No showcase here yet."
            )
        ));
    } else {
        body.push_str("<ul class=\"cards\">\n");
        for card in &page.cards {
            body.push_str(&render::showcase_card(&ctx, card));
        }
        body.push_str("</ul>\n");
    }
    if let Some(next) = page.next_page {
        body.push_str(&format!(
            "<nav aria-label=\"{}\"><a href=\"{}\" rel=\"next\">{}</a></nav>\n",
            ctx.t("Pages", "Pages"),
            escape(&ctx.link(&format!("/showcases?page={next}"))),
            ctx.t("Vitrines plus anciennes", "Older showcases")
        ));
    }
    body.push_str(&render::feed_links(&ctx, "showcases"));
    let meta = PageMeta {
        title: ctx.t("Vitrines", "Showcases").to_owned(),
        description: ctx
            .t(
                "Les sélections de la médiathèque : musique, livres, films, expositions.",
                "The library's selections: music, books, films, exhibitions.",
            )
            .to_owned(),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": ctx.t("Vitrines", "Showcases"),
            "url": ctx.canonical_url(),
        })),
        feeds: render::head_feeds(&ctx, "showcases"),
        ..PageMeta::default()
    };
    Ok(cached(
        &req,
        html(200, layout::page(&ctx, &meta, PreEscaped(body))),
    ))
}

/// `GET /showcases/:id`: 1 store call.
pub fn show(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let s = load(&params)?;
    let mut body = format!(
        "<article class=\"showcase showcase-{kind}\">\n<p class=\"kind\">{label}</p>\n\
         <h1>{title}</h1>\n",
        kind = s.kind.item_type(),
        label = render::kind_label(&ctx, s.kind),
        title = escape(&s.title),
    );
    if !s.summary.is_empty() {
        body.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(&s.summary)));
    }
    if let Some(cover) = &s.cover {
        body.push_str(&render::figure(&ctx, cover));
    }
    if !s.introduction.is_empty() {
        body.push_str(&format!(
            "<div class=\"introduction\">{}</div>\n",
            markdown::render(&s.introduction)
        ));
    }
    match s.kind {
        ShowcaseKind::Playlist => body.push_str(&tracks(&ctx, &s)),
        ShowcaseKind::Exhibition => body.push_str(&rooms(&ctx, &s)),
        ShowcaseKind::BookExtracts | ShowcaseKind::FilmPicks => {
            for item in &s.items {
                match item {
                    Item::Book(b) => body.push_str(&book(&ctx, b)),
                    Item::Film(f) => body.push_str(&film(&ctx, f)),
                    _ => {}
                }
            }
        }
    }
    body.push_str("</article>\n");
    let embed_url = ctx.absolute(&format!("/showcases/{}/embed", s.id));
    body.push_str(&render::embed_box(
        &ctx,
        &render::embed_snippet(&embed_url, &s.title, 480),
    ));
    body.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p>\n",
        escape(&ctx.link("/showcases")),
        ctx.t("Toutes les vitrines", "All showcases")
    ));
    let meta = PageMeta {
        title: s.title.clone(),
        description: description(&s),
        og_type: "article",
        og_image: s.card_image().map(|p| p.image.url.as_str().to_owned()),
        json_ld: Some(json_ld(&ctx, &s)),
        ..PageMeta::default()
    };
    Ok(cached(
        &req,
        html(200, layout::page(&ctx, &meta, PreEscaped(body))),
    ))
}

fn description(s: &Showcase) -> String {
    if s.summary.is_empty() {
        s.title.clone()
    } else {
        s.summary.clone()
    }
}

fn tracks(ctx: &PageContext, s: &Showcase) -> String {
    let mut out = format!(
        "<h2>{}</h2>\n<ol class=\"tracks\">\n",
        ctx.t("Les morceaux", "Tracks")
    );
    for item in &s.items {
        if let Item::Track(t) = item {
            out.push_str(&track(ctx, t));
        }
    }
    out.push_str("</ol>\n");
    out
}

fn track(ctx: &PageContext, t: &Track) -> String {
    let mut details = vec![escape(&t.artist)];
    if let Some(album) = &t.album {
        details.push(format!("<cite>{}</cite>", escape(album)));
    }
    if let Some(year) = t.year {
        details.push(year.to_string());
    }
    if let Some(d) = t.duration_secs {
        details.push(render::clock_duration(d));
    }
    let mut links = Vec::new();
    if let Some(url) = render::catalogue_url(t.catalogue_url.as_ref(), None) {
        links.push(render::external_link(
            &url,
            ctx.t("Au catalogue", "In the catalogue"),
        ));
    }
    if let Some(url) = &t.streaming_url {
        links.push(render::external_link(
            url.as_str(),
            ctx.t("Écouter en streaming", "Stream it"),
        ));
    }
    if let Some(url) = &t.sample_url {
        links.push(render::external_link(
            url.as_str(),
            ctx.t("Extrait", "Sample"),
        ));
    }
    let links = if links.is_empty() {
        String::new()
    } else {
        format!("<br><span class=\"links\">{}</span>", links.join(" · "))
    };
    format!(
        "<li><strong>{}</strong> — {}{links}</li>\n",
        escape(&t.title),
        details.join(", ")
    )
}

fn book(ctx: &PageContext, b: &Book) -> String {
    let mut out = String::from("<section class=\"item book\">\n");
    if let Some(cover) = &b.cover {
        out.push_str(&render::figure(ctx, cover));
    }
    out.push_str(&format!("<h2>{}</h2>\n", escape(&b.title)));
    let mut facts = Vec::new();
    if !b.authors.is_empty() {
        facts.push(
            b.authors
                .iter()
                .map(|a| escape(a))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(p) = &b.publisher {
        facts.push(escape(p));
    }
    if let Some(y) = b.year {
        facts.push(y.to_string());
    }
    if let Some(isbn) = &b.isbn {
        facts.push(format!("ISBN {}", escape(isbn.as_str())));
    }
    if !facts.is_empty() {
        out.push_str(&format!("<p class=\"facts\">{}</p>\n", facts.join(" · ")));
    }
    out.push_str(&format!(
        "<blockquote class=\"extract\">{}</blockquote>\n",
        render::paragraphs(&b.extract)
    ));
    if let Some(note) = &b.note {
        out.push_str(&format!(
            "<div class=\"note\"><p><strong>{}</strong></p>{}</div>\n",
            ctx.t("L’avis de l’équipe", "The team’s note"),
            render::paragraphs(note)
        ));
    }
    if let Some(url) = render::catalogue_url(b.catalogue_url.as_ref(), b.isbn.as_ref()) {
        out.push_str(&format!(
            "<p class=\"catalogue\">{}</p>\n",
            render::external_link(
                &url,
                ctx.t("Réserver au catalogue", "Find it in the catalogue")
            )
        ));
    }
    out.push_str("</section>\n");
    out
}

fn film(ctx: &PageContext, f: &Film) -> String {
    let mut out = String::from("<section class=\"item film\">\n");
    if let Some(poster) = &f.poster {
        out.push_str(&render::figure(ctx, poster));
    }
    out.push_str(&format!("<h2>{}</h2>\n", escape(&f.title)));
    let mut facts = Vec::new();
    if let Some(d) = &f.director {
        facts.push(format!("{} {}", ctx.t("de", "by"), escape(d)));
    }
    if let Some(y) = f.year {
        facts.push(y.to_string());
    }
    if let Some(m) = f.duration_minutes {
        facts.push(format!("{m} min"));
    }
    if let Some(a) = &f.audience {
        facts.push(escape(a));
    }
    if !facts.is_empty() {
        out.push_str(&format!("<p class=\"facts\">{}</p>\n", facts.join(" · ")));
    }
    if let Some(note) = &f.note {
        out.push_str(&format!(
            "<div class=\"note\">{}</div>\n",
            render::paragraphs(note)
        ));
    }
    let mut links = Vec::new();
    if let Some(url) = &f.trailer_url {
        links.push(render::external_link(
            url.as_str(),
            ctx.t("Bande-annonce", "Trailer"),
        ));
    }
    if let Some(url) = render::catalogue_url(f.catalogue_url.as_ref(), None) {
        links.push(render::external_link(
            &url,
            ctx.t("Réserver au catalogue", "Find it in the catalogue"),
        ));
    }
    if !links.is_empty() {
        out.push_str(&format!("<p class=\"links\">{}</p>\n", links.join(" · ")));
    }
    out.push_str("</section>\n");
    out
}

fn rooms(ctx: &PageContext, s: &Showcase) -> String {
    let mut out = format!(
        "<h2>{}</h2>\n<ol class=\"rooms cards\">\n",
        ctx.t("Les salles", "Rooms")
    );
    for (i, item) in s.items.iter().enumerate() {
        if let Item::Room(room) = item {
            let href = escape(&ctx.link(&format!("/showcases/{}/rooms/{}", s.id, i + 1)));
            let thumb = room.images.first().map(render::img).unwrap_or_default();
            out.push_str(&format!(
                "<li class=\"card\">{thumb}<h3><a href=\"{href}\">{}</a></h3>\n<p>{} {}</p></li>\n",
                escape(&room.title),
                room.images.len(),
                ctx.t("œuvres", "works")
            ));
        }
    }
    out.push_str("</ol>\n");
    out
}

/// `GET /showcases/:id/rooms/:room`: one room of an exhibition (1-based), with previous and
/// next. 1 store call.
pub fn room(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let s = load(&params)?;
    let rooms: Vec<&Room> = s
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Room(r) => Some(r),
            _ => None,
        })
        .collect();
    let n = params
        .get("room")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=rooms.len()).contains(n))
        .ok_or_else(PageError::not_found)?;
    let room = rooms[n - 1];
    let base = format!("/showcases/{}", s.id);
    let mut body = format!(
        "<nav aria-label=\"{crumb}\" class=\"breadcrumb\"><a href=\"{home}\">{title}</a></nav>\n\
         <h1>{room_title}</h1>\n<p class=\"kind\">{of}</p>\n",
        crumb = ctx.t("Fil d’Ariane", "Breadcrumb"),
        home = escape(&ctx.link(&base)),
        title = escape(&s.title),
        room_title = escape(&room.title),
        of = escape(&format!("{} {n} / {}", ctx.t("Salle", "Room"), rooms.len())),
    );
    if !room.introduction.is_empty() {
        body.push_str(&format!(
            "<div class=\"introduction\">{}</div>\n",
            markdown::render(&room.introduction)
        ));
    }
    body.push_str("<div class=\"gallery\">\n");
    for p in &room.images {
        body.push_str(&render::figure(&ctx, p));
    }
    body.push_str("</div>\n<nav class=\"pager\" aria-label=\"");
    body.push_str(ctx.t("Salles", "Rooms"));
    body.push_str("\">\n");
    if n > 1 {
        body.push_str(&format!(
            "<a href=\"{}\" rel=\"prev\">← {}</a>\n",
            escape(&ctx.link(&format!("{base}/rooms/{}", n - 1))),
            escape(&rooms[n - 2].title)
        ));
    }
    if n < rooms.len() {
        body.push_str(&format!(
            "<a href=\"{}\" rel=\"next\">{} →</a>\n",
            escape(&ctx.link(&format!("{base}/rooms/{}", n + 1))),
            escape(&rooms[n].title)
        ));
    }
    body.push_str("</nav>\n");
    let meta = PageMeta {
        title: format!("{} · {}", room.title, s.title),
        description: description(&s),
        og_type: "article",
        og_image: room
            .images
            .first()
            .or(s.card_image())
            .map(|p| p.image.url.as_str().to_owned()),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "ExhibitionEvent",
            "name": format!("{} · {}", s.title, room.title),
            "url": ctx.absolute(&format!("{base}/rooms/{n}")),
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "location": {"@type": "VirtualLocation", "url": ctx.absolute(&base)},
            "superEvent": {"@id": ctx.absolute(&base)},
            "image": room.images.iter().map(|p| p.image.url.as_str()).collect::<Vec<_>>(),
        })),
        ..PageMeta::default()
    };
    Ok(cached(
        &req,
        html(200, layout::page(&ctx, &meta, PreEscaped(body))),
    ))
}

/// `GET /showcases/:id/embed`: a compact card for other sites' iframes.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let s = load(&params)?;
    let href = escape(&ctx.absolute(&format!("/showcases/{}", s.id)));
    let mut body = String::from("<article class=\"widget\">\n");
    if let Some(p) = s.card_image() {
        body.push_str(&render::img(p));
    }
    body.push_str(&format!(
        "<p class=\"kind\">{}</p>\n<h1><a href=\"{href}\" target=\"_top\">{}</a></h1>\n",
        render::kind_label(&ctx, s.kind),
        escape(&s.title)
    ));
    if !s.summary.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", escape(&s.summary)));
    }
    body.push_str("<ul>\n");
    for item in s.items.iter().take(5) {
        body.push_str(&format!("<li>{}</li>\n", escape(item.title())));
    }
    body.push_str(&format!(
        "</ul>\n<p><a href=\"{href}\" target=\"_top\">{} — {}</a></p>\n</article>\n",
        ctx.t("Voir la vitrine", "See the showcase"),
        escape(&ctx.library_name)
    ));
    let response = html_embeddable(200, layout::embed_page(&ctx, &s.title, PreEscaped(body)));
    Ok(cached(&req, response))
}

/// schema.org for a showcase: the type that says what it is.
fn json_ld(ctx: &PageContext, s: &Showcase) -> Value {
    let url = ctx.absolute(&format!("/showcases/{}", s.id));
    let image: Option<&str> = s.card_image().map(|p| p.image.url.as_str());
    let publisher = json!({"@type": "Library", "name": ctx.library_name, "url": ctx.absolute("/")});
    match s.kind {
        ShowcaseKind::Playlist => {
            let tracks: Vec<Value> = s
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Track(t) => Some(t),
                    _ => None,
                })
                .map(|t| {
                    let mut v = json!({
                        "@type": "MusicRecording",
                        "name": t.title,
                        "byArtist": {"@type": "MusicGroup", "name": t.artist},
                    });
                    if let Some(d) = t.duration_secs {
                        v["duration"] = json!(render::iso_duration(d));
                    }
                    if let Some(album) = &t.album {
                        v["inAlbum"] = json!({"@type": "MusicAlbum", "name": album});
                    }
                    v
                })
                .collect();
            json!({
                "@context": "https://schema.org",
                "@type": "MusicPlaylist",
                "name": s.title, "description": s.summary, "url": url,
                "numTracks": tracks.len(), "track": tracks, "image": image,
                "publisher": publisher,
            })
        }
        ShowcaseKind::BookExtracts | ShowcaseKind::FilmPicks => {
            let items: Vec<Value> = s
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let thing = match item {
                        Item::Book(b) => json!({
                            "@type": "Book",
                            "name": b.title,
                            "author": b.authors.iter().map(|a| json!({"@type": "Person", "name": a})).collect::<Vec<_>>(),
                            "isbn": b.isbn.as_ref().map(|i| i.as_str()),
                            "publisher": b.publisher,
                            "datePublished": b.year.map(|y| y.to_string()),
                            "image": b.cover.as_ref().map(|p| p.image.url.as_str()),
                        }),
                        Item::Film(f) => json!({
                            "@type": "Movie",
                            "name": f.title,
                            "director": f.director.as_ref().map(|d| json!({"@type": "Person", "name": d})),
                            "dateCreated": f.year.map(|y| y.to_string()),
                            "duration": f.duration_minutes.map(|m| render::iso_duration(m * 60)),
                            "contentRating": f.audience,
                            "image": f.poster.as_ref().map(|p| p.image.url.as_str()),
                        }),
                        _ => json!({}),
                    };
                    json!({"@type": "ListItem", "position": i + 1, "item": thing})
                })
                .collect();
            json!({
                "@context": "https://schema.org",
                "@type": "CollectionPage",
                "name": s.title, "description": s.summary, "url": url, "image": image,
                "publisher": publisher,
                "mainEntity": {"@type": "ItemList", "numberOfItems": items.len(), "itemListElement": items},
            })
        }
        ShowcaseKind::Exhibition => json!({
            "@context": "https://schema.org",
            "@type": "ExhibitionEvent",
            "@id": url,
            "name": s.title, "description": s.summary, "url": url, "image": image,
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "eventStatus": "https://schema.org/EventScheduled",
            "startDate": s.published_at.map(|t| t.to_string()),
            "location": {"@type": "VirtualLocation", "url": url},
            "organizer": publisher,
        }),
    }
}
