//! The `showcases` component: the home page, and later the staff's showcases (book, film and
//! music selections) and events. The manifest also routes its `/...` catch-all here, so every
//! path no other component claims gets this component's friendly 404 (JSON under `/api` and
//! `/webhooks`, an HTML page elsewhere).

use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::response::html;
use kiosque_spin::{Lang, PageError};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, Params, Request, Response, Router};
use spin_sdk::http_component;

fn routes() -> Router {
    let mut router = Router::new();
    router.get("/", home);
    router
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    kiosque_spin::serve(&routes(), req).await
}

/// One section of the site, as announced on the home page.
struct Section {
    /// The section's page, once it exists; until then the home page says "soon" instead of
    /// linking to a 404.
    href: Option<&'static str>,
    fr: [&'static str; 2],
    en: [&'static str; 2],
}

const SECTIONS: &[Section] = &[
    Section {
        href: None, // Some("/showcases") once the page exists
        fr: [
            "Vitrines",
            "Des sélections de livres, de films et de musiques préparées par l’équipe.",
        ],
        en: [
            "Showcases",
            "Selections of books, films and music put together by the team.",
        ],
    },
    Section {
        href: None, // Some("/events") once the page exists
        fr: [
            "Rendez-vous",
            "Les animations, rencontres et ateliers proposés par la médiathèque.",
        ],
        en: [
            "Events",
            "Activities, talks and workshops hosted by the library.",
        ],
    },
    Section {
        href: None, // Some("/tutorials") once the page exists
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

/// `GET /`: what the site offers, French first (`?lang=en` for English).
fn home(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let library = escape(&ctx.library_name);
    let (welcome, intro, offer, polls, polls_text, soon) = match ctx.lang {
        Lang::Fr => (
            format!("Bienvenue à la {library}"),
            "Ce site accompagne ce que la médiathèque partage sur les réseaux sociaux : \
             les liens de nos publications mènent ici.",
            "Ce que vous y trouverez",
            "Sondages",
            "Donnez votre avis sur les questions posées par les bibliothécaires. Chaque \
             sondage a sa propre adresse, partagée sur nos réseaux ; un vote par personne, \
             et les résultats sont visibles de tous.",
            "Les rubriques marquées « bientôt » ouvrent au fur et à mesure : revenez nous \
             voir.",
        ),
        Lang::En => (
            format!("Welcome to the {library}"),
            "This site goes with what the library shares on social networks: the links in \
             our posts lead here.",
            "What you will find here",
            "Polls",
            "Give your opinion on the questions our librarians ask. Each poll has its own \
             address, shared on our social networks; one vote per person, and everyone can \
             see the results.",
            "Sections marked “coming soon” open one by one: please come back and see.",
        ),
    };

    let mut body = format!(
        "<h1>{welcome}</h1>\n<p class=\"lead\">{intro}</p>\n<h2>{offer}</h2>\n\
         <ul class=\"sections\">\n<li><h3>{polls}</h3>\n<p>{polls_text}</p></li>\n"
    );
    for section in SECTIONS {
        let [title, text] = match ctx.lang {
            Lang::Fr => section.fr,
            Lang::En => section.en,
        };
        let heading = match section.href {
            Some(href) => format!("<a href=\"{}\">{title}</a>", escape(&ctx.link(href))),
            None => format!(
                "{title} <span class=\"soon\">({})</span>",
                ctx.t("bientôt", "coming soon")
            ),
        };
        body.push_str(&format!("<li><h3>{heading}</h3>\n<p>{text}</p></li>\n"));
    }
    body.push_str(&format!("</ul>\n<p>{soon}</p>\n"));

    let meta = PageMeta {
        title: ctx.library_name.clone(),
        description: intro.to_owned(),
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
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, &body)))
}
