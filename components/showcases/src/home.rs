//! `GET /`: the home page. Featured showcases, what is live now, the next events, open polls
//! and the site's sections. Costs 6 store calls whatever the amount of content (see
//! `kiosque_domain::home`).

use kiosque_domain::Clock;
use kiosque_domain::home;
use kiosque_domain::showcases::ShowcaseError;
use kiosque_spin::html::layout::{self, PageContext, PageMeta, ShareImage};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::response::html;
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::render::{self, cached};

/// One section of the site, as announced on the home page.
struct Section {
    href: &'static str,
    fr: [&'static str; 2],
    en: [&'static str; 2],
}

const SECTIONS: &[Section] = &[
    Section {
        href: "/showcases",
        fr: [
            "Vitrines",
            "Des sélections de livres, de films et de musiques, et des expositions virtuelles \
             préparées par l’équipe.",
        ],
        en: [
            "Showcases",
            "Selections of books, films and music, and virtual exhibitions put together by \
             the team.",
        ],
    },
    Section {
        href: "/events",
        fr: [
            "Rendez-vous",
            "Les animations, rencontres et ateliers proposés par la médiathèque, sur place ou \
             en direct.",
        ],
        en: [
            "Events",
            "Activities, talks and workshops hosted by the library, on site or streamed live.",
        ],
    },
    Section {
        href: "/tutorials",
        fr: [
            "Tutoriels",
            "Des pas-à-pas pour profiter des services numériques de la médiathèque.",
        ],
        en: [
            "Tutorials",
            "Step-by-step guides to the library’s digital services.",
        ],
    },
];

/// What the site offers: its sections, then the polls (no list page: each poll is shared at
/// its own address).
fn sections(ctx: &PageContext) -> Markup {
    html! {
        h2 { (ctx.t("Ce que vous y trouverez", "What you will find here")) }
        ul.sections {
            @for section in SECTIONS {
                @let [title, text] = match ctx.lang {
                    Lang::Fr => section.fr,
                    Lang::En => section.en,
                };
                li {
                    h3 { a href=(ctx.link(section.href)) { (title) } }
                    p { (text) }
                }
            }
            li {
                h3 { (ctx.t("Sondages", "Polls")) }
                p {
                    (ctx.t(
                        "Donnez votre avis sur les questions posées par les bibliothécaires. \
                         Chaque sondage a sa propre adresse, partagée sur nos réseaux ; un vote \
                         par personne, et les résultats sont visibles de tous.",
                        "Give your opinion on the questions our librarians ask. Each poll has \
                         its own address, shared on our social networks; one vote per person, \
                         and everyone can see the results."
                    ))
                }
            }
        }
    }
}

pub fn home(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let now = SystemClock.now();
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    let home::Home {
        featured,
        live,
        upcoming,
        open_polls,
    } = home::load(&store, now)?;

    let library = &ctx.library_name;
    let (welcome, intro) = match ctx.lang {
        Lang::Fr => (
            format!("Bienvenue à la {library}"),
            "Ce site accompagne ce que la médiathèque partage sur les réseaux sociaux : \
             les liens de nos publications mènent ici.",
        ),
        Lang::En => (
            format!("Welcome to the {library}"),
            "This site goes with what the library shares on social networks: the links in \
             our posts lead here.",
        ),
    };
    let body = html! {
        h1 { (welcome) }
        p.lead { (intro) }
        @if !live.is_empty() {
            section.live aria-labelledby="live-now" {
                h2 #live-now { (ctx.t("En direct maintenant", "Live now")) }
                ul.events {
                    @for e in &live {
                        (render::event_item(&ctx, e, true))
                    }
                }
            }
        }
        @if !featured.is_empty() {
            section aria-labelledby="featured" {
                h2 #featured { (ctx.t("À la une", "Featured")) }
                ul.cards {
                    @for card in &featured {
                        (render::showcase_card(&ctx, card))
                    }
                }
            }
        }
        @if !upcoming.is_empty() {
            section aria-labelledby="next-events" {
                h2 #next-events { (ctx.t("Prochains rendez-vous", "Upcoming events")) }
                ul.events {
                    @for e in &upcoming {
                        (render::event_item(&ctx, e, false))
                    }
                }
                p { a href=(ctx.link("/events")) { (ctx.t("Tous les rendez-vous", "All events")) } }
            }
        }
        @if !open_polls.is_empty() {
            section aria-labelledby="open-polls" {
                h2 #open-polls { (ctx.t("Donnez votre avis", "Have your say")) }
                ul {
                    @for poll in &open_polls {
                        li { a href=(ctx.link(&format!("/polls/{}", poll.id))) { (poll.question) } }
                    }
                }
            }
        }
        (sections(&ctx))
    };

    let meta = PageMeta {
        title: ctx.library_name.clone(),
        description: intro.to_owned(),
        og_image: featured
            .iter()
            .find_map(|c| c.image.as_ref())
            .map(ShareImage::placed),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "Library",
                    "@id": ctx.absolute("/#library"),
                    "name": ctx.library_name,
                    "url": ctx.absolute("/"),
                },
                {
                    "@type": "WebSite",
                    "name": ctx.library_name,
                    "url": ctx.absolute("/"),
                    "inLanguage": ["fr", "en"],
                    "publisher": { "@id": ctx.absolute("/#library") },
                },
            ],
        })),
        feeds: [
            render::head_feeds(&ctx, "showcases"),
            render::head_feeds(&ctx, "events"),
        ]
        .concat(),
        ..PageMeta::default()
    };
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}
