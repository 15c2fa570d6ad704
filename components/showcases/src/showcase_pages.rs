//! Public showcase pages: the paged list, one page per showcase, one per exhibition room, and
//! the embeddable widget. Drafts and scheduled showcases answer 404.

use kiosque_domain::Clock;
use kiosque_domain::markdown;
use kiosque_domain::showcases::index::{self, Audience};
use kiosque_domain::showcases::model::{Book, Film, Room, Track};
use kiosque_domain::showcases::{self, Item, Showcase, ShowcaseError, ShowcaseId, ShowcaseKind};
use kiosque_spin::html::layout::{self, PageContext, PageMeta, ShareImage};
use kiosque_spin::html::{Markup, PreEscaped, html};
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
    let body = html! {
        h1 { (ctx.t("Vitrines", "Showcases")) }
        p.lead {
            (ctx.t(
                "Playlists, extraits de livres, films et expositions virtuelles préparés par \
                 l’équipe.",
                "Playlists, book extracts, films and virtual exhibitions put together by the team."
            ))
        }
        @if page.cards.is_empty() {
            p { (ctx.t("Aucune vitrine ici pour le moment.", "No showcase here yet.")) }
        } @else {
            ul.cards {
                @for card in &page.cards {
                    (render::showcase_card(&ctx, card))
                }
            }
        }
        @if let Some(next) = page.next_page {
            nav aria-label=(ctx.t("Pages", "Pages")) {
                a href=(ctx.link(&format!("/showcases?page={next}"))) rel="next" {
                    (ctx.t("Vitrines plus anciennes", "Older showcases"))
                }
            }
        }
        (render::feed_links(&ctx, "showcases"))
    };
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
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}

/// `GET /showcases/:id`: 1 store call.
pub fn show(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let s = load(&params)?;
    let embed_url = ctx.absolute(&format!("/showcases/{}/embed", s.id));
    let body = html! {
        article class={ "showcase showcase-" (s.kind.item_type()) } {
            p.kind { (render::kind_label(&ctx, s.kind)) }
            h1 { (s.title) }
            @if !s.summary.is_empty() {
                p.lead { (s.summary) }
            }
            @if let Some(cover) = &s.cover {
                (render::figure(&ctx, cover))
            }
            @if !s.introduction.is_empty() {
                // Safe: Kiosque's own Markdown rendering, all text and raw HTML escaped.
                div.introduction { (PreEscaped(markdown::render(&s.introduction))) }
            }
            @match s.kind {
                ShowcaseKind::Playlist => (tracks(&ctx, &s)),
                ShowcaseKind::Exhibition => (rooms(&ctx, &s)),
                ShowcaseKind::BookExtracts | ShowcaseKind::FilmPicks => {
                    @for item in &s.items {
                        @match item {
                            Item::Book(b) => (book(&ctx, b)),
                            Item::Film(f) => (film(&ctx, f)),
                            _ => {}
                        }
                    }
                }
            }
        }
        (render::embed_box(&ctx, render::embed_snippet(&embed_url, &s.title, 480)))
        p { a href=(ctx.link("/showcases")) { (ctx.t("Toutes les vitrines", "All showcases")) } }
    };
    let meta = PageMeta {
        title: s.title.clone(),
        description: description(&s),
        og_type: "article",
        og_image: s.card_image().map(ShareImage::placed),
        json_ld: Some(json_ld(&ctx, &s)),
        ..PageMeta::default()
    };
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}

fn description(s: &Showcase) -> String {
    if s.summary.is_empty() {
        s.title.clone()
    } else {
        s.summary.clone()
    }
}

fn tracks(ctx: &PageContext, s: &Showcase) -> Markup {
    html! {
        h2 { (ctx.t("Les morceaux", "Tracks")) }
        ol.tracks {
            @for item in &s.items {
                @if let Item::Track(t) = item {
                    (track(ctx, t))
                }
            }
        }
    }
}

fn track(ctx: &PageContext, t: &Track) -> Markup {
    let details = [
        Some(html! { (t.artist) }),
        t.album.as_ref().map(|album| html! { cite { (album) } }),
        t.year.map(|year| html! { (year) }),
        t.duration_secs
            .map(|d| html! { (render::clock_duration(d)) }),
    ];
    let links: Vec<Markup> = [
        render::catalogue_url(t.catalogue_url.as_ref(), None)
            .map(|url| render::external_link(&url, ctx.t("Au catalogue", "In the catalogue"))),
        t.streaming_url.as_ref().map(|url| {
            render::external_link(url.as_str(), ctx.t("Écouter en streaming", "Stream it"))
        }),
        t.sample_url
            .as_ref()
            .map(|url| render::external_link(url.as_str(), ctx.t("Extrait", "Sample"))),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        li {
            strong { (t.title) } " — " (render::joined(details.into_iter().flatten(), ", "))
            @if !links.is_empty() {
                br;
                span.links { (render::joined(links, " · ")) }
            }
        }
    }
}

fn book(ctx: &PageContext, b: &Book) -> Markup {
    let facts: Vec<String> = [
        (!b.authors.is_empty()).then(|| b.authors.join(", ")),
        b.publisher.clone(),
        b.year.map(|y| y.to_string()),
        b.isbn
            .as_ref()
            .map(|isbn| format!("ISBN {}", isbn.as_str())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let catalogue = render::catalogue_url(b.catalogue_url.as_ref(), b.isbn.as_ref());
    html! {
        section.item.book {
            @if let Some(cover) = &b.cover {
                (render::figure(ctx, cover))
            }
            h2 { (b.title) }
            @if !facts.is_empty() {
                p.facts { (facts.join(" · ")) }
            }
            blockquote.extract { (render::paragraphs(&b.extract)) }
            @if let Some(note) = &b.note {
                div.note {
                    p { strong { (ctx.t("L’avis de l’équipe", "The team’s note")) } }
                    (render::paragraphs(note))
                }
            }
            @if let Some(url) = catalogue {
                p.catalogue {
                    (render::external_link(
                        &url,
                        ctx.t("Réserver au catalogue", "Find it in the catalogue"),
                    ))
                }
            }
        }
    }
}

fn film(ctx: &PageContext, f: &Film) -> Markup {
    let facts: Vec<String> = [
        f.director
            .as_ref()
            .map(|d| format!("{} {d}", ctx.t("de", "by"))),
        f.year.map(|y| y.to_string()),
        f.duration_minutes.map(|m| format!("{m} min")),
        f.audience.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let links: Vec<Markup> = [
        f.trailer_url
            .as_ref()
            .map(|url| render::external_link(url.as_str(), ctx.t("Bande-annonce", "Trailer"))),
        render::catalogue_url(f.catalogue_url.as_ref(), None).map(|url| {
            render::external_link(
                &url,
                ctx.t("Réserver au catalogue", "Find it in the catalogue"),
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    html! {
        section.item.film {
            @if let Some(poster) = &f.poster {
                (render::figure(ctx, poster))
            }
            h2 { (f.title) }
            @if !facts.is_empty() {
                p.facts { (facts.join(" · ")) }
            }
            @if let Some(note) = &f.note {
                div.note { (render::paragraphs(note)) }
            }
            @if !links.is_empty() {
                p.links { (render::joined(links, " · ")) }
            }
        }
    }
}

fn rooms(ctx: &PageContext, s: &Showcase) -> Markup {
    html! {
        h2 { (ctx.t("Les salles", "Rooms")) }
        ol.rooms.cards {
            @for (i, item) in s.items.iter().enumerate() {
                @if let Item::Room(room) = item {
                    li.card {
                        @if let Some(thumb) = room.images.first() {
                            (render::img(thumb))
                        }
                        h3 {
                            a href=(ctx.link(&format!("/showcases/{}/rooms/{}", s.id, i + 1))) {
                                (room.title)
                            }
                        }
                        p { (room.images.len()) " " (ctx.t("œuvres", "works")) }
                    }
                }
            }
        }
    }
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
    // Strictly (`01` or `+1` is no room): one address per room.
    let n = kiosque_spin::routes::number_param(&params, "room")
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| (1..=rooms.len()).contains(n))
        .ok_or_else(PageError::not_found)?;
    let room = rooms[n - 1];
    let base = format!("/showcases/{}", s.id);
    let body = html! {
        nav aria-label=(ctx.t("Fil d’Ariane", "Breadcrumb")) class="breadcrumb" {
            a href=(ctx.link(&base)) { (s.title) }
        }
        h1 { (room.title) }
        p.kind { (ctx.t("Salle", "Room")) " " (n) " / " (rooms.len()) }
        @if !room.introduction.is_empty() {
            // Safe: Kiosque's own Markdown rendering, all text and raw HTML escaped.
            div.introduction { (PreEscaped(markdown::render(&room.introduction))) }
        }
        div.gallery {
            @for image in &room.images {
                (render::figure(&ctx, image))
            }
        }
        nav.pager aria-label=(ctx.t("Salles", "Rooms")) {
            @if n > 1 {
                a href=(ctx.link(&format!("{base}/rooms/{}", n - 1))) rel="prev" {
                    "← " (rooms[n - 2].title)
                }
            }
            @if n < rooms.len() {
                a href=(ctx.link(&format!("{base}/rooms/{}", n + 1))) rel="next" {
                    (rooms[n].title) " →"
                }
            }
        }
    };
    let meta = PageMeta {
        title: format!("{} · {}", room.title, s.title),
        description: description(&s),
        og_type: "article",
        og_image: room
            .images
            .first()
            .or(s.card_image())
            .map(ShareImage::placed),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "ExhibitionEvent",
            "name": format!("{} · {}", s.title, room.title),
            "url": ctx.absolute(&format!("{base}/rooms/{n}")),
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "location": {"@type": "VirtualLocation", "url": ctx.absolute(&base)},
            "superEvent": {"@id": ctx.absolute(&base)},
            "image": room.images.iter().map(|p| render::absolute_src(&ctx, &p.image)).collect::<Vec<_>>(),
        })),
        ..PageMeta::default()
    };
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}

/// `GET /showcases/:id/embed`: a compact card for other sites' iframes.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let s = load(&params)?;
    let href = ctx.absolute(&format!("/showcases/{}", s.id));
    let body = html! {
        article.widget {
            @if let Some(image) = s.card_image() {
                (render::img(image))
            }
            p.kind { (render::kind_label(&ctx, s.kind)) }
            h1 { a href=(href) target="_top" { (s.title) } }
            @if !s.summary.is_empty() {
                p { (s.summary) }
            }
            ul {
                @for item in s.items.iter().take(5) {
                    li { (item.title()) }
                }
            }
            p {
                a href=(href) target="_top" {
                    (ctx.t("Voir la vitrine", "See the showcase")) " — " (ctx.library_name)
                }
            }
        }
    };
    let response = html_embeddable(200, layout::embed_page(&ctx, &s.title, body));
    Ok(cached(&req, response))
}

/// schema.org for a showcase: the type that says what it is.
fn json_ld(ctx: &PageContext, s: &Showcase) -> Value {
    let url = ctx.absolute(&format!("/showcases/{}", s.id));
    let image: Option<String> = s.card_image().map(|p| render::absolute_src(ctx, &p.image));
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
                            "image": b.cover.as_ref().map(|p| render::absolute_src(ctx, &p.image)),
                        }),
                        Item::Film(f) => json!({
                            "@type": "Movie",
                            "name": f.title,
                            "director": f.director.as_ref().map(|d| json!({"@type": "Person", "name": d})),
                            "dateCreated": f.year.map(|y| y.to_string()),
                            "duration": f.duration_minutes.map(|m| render::iso_duration(m * 60)),
                            "contentRating": f.audience,
                            "image": f.poster.as_ref().map(|p| render::absolute_src(ctx, &p.image)),
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
