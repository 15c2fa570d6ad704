//! The patrons' pages: the index by service and tag with search, a tutorial's overview, one
//! step at a time (previous/next are plain links: no JavaScript), the full printable view,
//! the "was this helpful?" form, and the RSS feed. Every page carries an `ETag` and answers
//! `304` when the browser already has it. Pages are `maud` templates: staff text is escaped
//! by construction.

use std::collections::BTreeMap;

use kiosque_domain::feed::{ATOM_CONTENT_TYPE, Feed, FeedEntry, RSS_CONTENT_TYPE};
use kiosque_domain::markdown::{self, OutlineEntry, RenderOptions};
use kiosque_domain::tutorials::catalogue::{self, Entry};
use kiosque_domain::tutorials::feedback::{self, FeedbackRequest};
use kiosque_domain::tutorials::model::tag_key;
use kiosque_domain::tutorials::search::Hit;
use kiosque_domain::tutorials::versions::{self, TutorialView};
use kiosque_domain::tutorials::{Language, Level, Step, TutorialError, search};
use kiosque_domain::video::VideoEmbed;
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::html::layout::{self, PageContext, PageMeta, ShareImage};
use kiosque_spin::html::{Markup, PreEscaped, html};
use kiosque_spin::response::{conditional, html_with_frames, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock, form, same_site};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::api::slug_param;
use crate::visitor;

/// Pages are revalidated on every view (a published change shows at once); the `ETag` makes
/// the revalidation a body-less 304.
const PAGE_CACHE: &str = "no-cache";
const FEED_CACHE: &str = "public, max-age=300";

fn lang_of(language: Language) -> Lang {
    match language {
        Language::Fr => Lang::Fr,
        Language::En => Lang::En,
    }
}

fn level_label(ctx: &PageContext, level: Level) -> &'static str {
    match level {
        Level::Beginner => ctx.t("Débutant", "Beginner"),
        Level::Intermediate => ctx.t("Intermédiaire", "Intermediate"),
        Level::Advanced => ctx.t("Avancé", "Advanced"),
    }
}

/// The `lang` attribute of tutorial content: the tutorial's language when it differs from
/// the interface's, none otherwise.
fn content_lang(ctx: &PageContext, language: Language) -> Option<&'static str> {
    (lang_of(language) != ctx.lang).then(|| language.code())
}

fn page(
    req: &Request,
    ctx: &PageContext,
    meta: &PageMeta,
    body: Markup,
    frames: &[String],
) -> Response {
    let response = html_with_frames(200, layout::page(ctx, meta, body), frames);
    conditional(req, response, PAGE_CACHE)
}

fn card(ctx: &PageContext, entry: &Entry) -> Markup {
    html! {
        li.tutorial-card lang=[content_lang(ctx, entry.lang)] {
            h3 { a href=(ctx.link(&format!("/tutorials/{}", entry.slug))) { (entry.title) } }
            p { (entry.summary) }
            p.meta {
                (level_label(ctx, entry.level))
                @if let Some(m) = entry.estimated_minutes { " · " (m) " min" }
                " · " (entry.steps) " " (ctx.t("étapes", "steps"))
            }
        }
    }
}

/// A list of tutorial cards.
fn card_list<'a>(ctx: &PageContext, entries: impl IntoIterator<Item = &'a Entry>) -> Markup {
    html! {
        ul.tutorial-list {
            @for entry in entries { (card(ctx, entry)) }
        }
    }
}

/// The search form; keeps a language the visitor chose explicitly.
fn search_form(ctx: &PageContext, query: &str) -> Markup {
    html! {
        form method="get" action="/tutorials" role="search" class="tutorial-search" {
            label for="q" { (ctx.t("Rechercher un tutoriel", "Search tutorials")) }
            " "
            input type="search" id="q" name="q" value=(query) maxlength="200";
            @if ctx.lang_explicit {
                input type="hidden" name="lang" value=(ctx.lang.code());
            }
            button type="submit" { (ctx.t("Rechercher", "Search")) }
        }
    }
}

fn search_results(ctx: &PageContext, hits: &[Hit]) -> Markup {
    html! {
        h2 id="resultats" { (ctx.t("Résultats", "Results")) " (" (hits.len()) ")" }
        @if hits.is_empty() {
            p { (ctx.t("Aucun tutoriel ne correspond.", "No tutorial matches.")) }
        } @else {
            (card_list(ctx, hits.iter().map(|hit| &hit.entry)))
        }
    }
}

/// One tag's tutorials, headed by the tag as staff spelled it.
fn tagged(ctx: &PageContext, entries: &[Entry], tag: &str) -> Markup {
    let key = tag_key(tag);
    let tagged: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.tags.iter().any(|t| tag_key(t) == key))
        .collect();
    let label = tagged
        .first()
        .and_then(|e| e.tags.iter().find(|t| tag_key(t) == key))
        .map_or(tag, String::as_str);
    html! {
        h2 { (ctx.t("Thème", "Topic")) " « " (label) " »" }
        (card_list(ctx, tagged))
        p { a href=(ctx.link("/tutorials")) { (ctx.t("Tous les tutoriels", "All tutorials")) } }
    }
}

/// Every tutorial: the tags, then one section per service.
fn by_service(ctx: &PageContext, entries: &[Entry]) -> Markup {
    let mut by_service: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    let mut tags: BTreeMap<String, &str> = BTreeMap::new();
    for entry in entries {
        by_service
            .entry(entry.service.name.as_str())
            .or_default()
            .push(entry);
        for t in &entry.tags {
            tags.entry(tag_key(t)).or_insert(t);
        }
    }
    html! {
        @if entries.is_empty() {
            p { (ctx.t("Aucun tutoriel pour le moment.", "No tutorials yet.")) }
        }
        @if !tags.is_empty() {
            nav aria-labelledby="themes" {
                h2 id="themes" { (ctx.t("Thèmes", "Topics")) }
                ul.tags {
                    @for (key, label) in &tags {
                        li { a href=(ctx.link(&format!("/tutorials?tag={key}"))) { (label) } }
                    }
                }
            }
        }
        @for (service, list) in &by_service {
            section {
                h2 { (service) }
                (card_list(ctx, list.iter().copied()))
            }
        }
    }
}

/// `GET /tutorials?q=&tag=`: search results, one tag's tutorials, or every tutorial grouped
/// by service. One or two store reads whatever the number of tutorials.
pub fn index(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default()?;
    let now = SystemClock.now();
    let query = form::query_param(req.query(), "q").unwrap_or_default();
    let tag = form::query_param(req.query(), "tag").unwrap_or_default();
    let entries = catalogue::visible(&store, now)?;
    let listing = if !query.trim().is_empty() {
        search_results(&ctx, &search::search(&store, now, &query)?)
    } else if !tag.is_empty() {
        tagged(&ctx, &entries, &tag)
    } else {
        by_service(&ctx, &entries)
    };
    let body = html! {
        h1 { (ctx.t("Tutoriels", "Tutorials")) }
        p {
            (ctx.t(
                "Pas à pas, nos guides pour utiliser les services en ligne de la médiathèque.",
                "Step by step, our guides to the library’s online services.",
            ))
        }
        (search_form(&ctx, &query))
        (listing)
        p {
            a href="/tutorials/feed.xml" type="application/rss+xml" {
                (ctx.t(
                    "Fil RSS des tutoriels nouveaux et mis à jour",
                    "RSS feed of new and updated tutorials",
                ))
            }
        }
    };
    let meta = PageMeta {
        title: ctx.t("Tutoriels", "Tutorials").to_owned(),
        description: ctx
            .t(
                "Guides pas à pas des services en ligne de la médiathèque.",
                "Step-by-step guides to the library’s online services.",
            )
            .to_owned(),
        indexable: query.is_empty(),
        feeds: feeds(&ctx),
        json_ld: Some(json!({
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": ctx.t("Tutoriels", "Tutorials"),
            "url": ctx.canonical_url(),
            "inLanguage": ctx.lang.code(),
            "mainEntity": {
                "@type": "ItemList",
                "numberOfItems": entries.len(),
                "itemListElement": entries.iter().enumerate().map(|(i, e)| json!({
                    "@type": "ListItem",
                    "position": i + 1,
                    "url": ctx.absolute(&format!("/tutorials/{}", e.slug)),
                    "name": e.title,
                })).collect::<Vec<_>>(),
            },
        })),
        ..PageMeta::default()
    };
    Ok(page(&req, &ctx, &meta, body, &[]))
}

/// The page context of a tutorial page: the tutorial's language unless the visitor chose one.
fn tutorial_context(req: &Request, view: &TutorialView) -> PageContext {
    let mut ctx = PageContext::from_request(req);
    if !ctx.lang_explicit {
        ctx.lang = lang_of(view.tutorial.content.lang);
    }
    ctx
}

fn load(params: &Params) -> Result<(SpinStore, TutorialView), PageError> {
    let slug = slug_param(params)?;
    let store = SpinStore::open_default()?;
    let view = versions::view(&store, SystemClock.now(), &slug)?;
    Ok((store, view))
}

/// Open Graph, schema.org `Article` and `hreflang` links of a tutorial's pages.
fn tutorial_meta(ctx: &PageContext, view: &TutorialView, suffix: &str) -> PageMeta {
    let t = &view.tutorial;
    let c = &t.content;
    let url = ctx.absolute(&format!("/tutorials/{}", t.slug));
    let mut alternates = vec![(c.lang.code(), format!("{url}{suffix}"))];
    if let Some(other) = &view.translation {
        alternates.push((
            other.lang.code(),
            ctx.absolute(&format!("/tutorials/{}{suffix}", other.slug)),
        ));
    }
    // x-default: the French version when there is one.
    alternates.sort_by_key(|(code, _)| *code != "fr");
    let image = c.steps.iter().find_map(|s| s.image.as_ref());
    PageMeta {
        title: c.title.clone(),
        description: c.summary.clone(),
        og_type: "article",
        og_image: image.map(|i| ShareImage::new(i.share_src(), &i.alt)),
        json_ld: Some(without_nulls(json!({
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": c.title,
            "description": c.summary,
            "inLanguage": c.lang.code(),
            "url": url,
            "datePublished": t.published_at.map(|p| p.to_string()),
            "dateModified": t.updated_at.to_string(),
            "keywords": c.tags.join(", "),
            "about": {"@type": "WebApplication", "name": c.service.name, "url": c.service.url.as_str()},
            "image": image.map(|i| match &i.medium {
                Some(_) => ctx.absolute(&i.src()),
                None => i.src(),
            }),
            "timeRequired": c.estimated_minutes.map(|m| format!("PT{m}M")),
            "author": {"@type": "Organization", "name": ctx.library_name},
            "publisher": {"@type": "Organization", "name": ctx.library_name},
        }))),
        alternates,
        feeds: feeds(ctx),
        ..PageMeta::default()
    }
}

/// The feeds every tutorials page advertises to feed readers.
fn feeds(ctx: &PageContext) -> Vec<(&'static str, String, String)> {
    let title = format!("{} · {}", ctx.library_name, ctx.t("Tutoriels", "Tutorials"));
    vec![
        (
            RSS_CONTENT_TYPE_BARE,
            title.clone(),
            ctx.absolute("/tutorials/feed.xml"),
        ),
        (
            ATOM_CONTENT_TYPE_BARE,
            title,
            ctx.absolute("/tutorials/feed.atom"),
        ),
    ]
}

const RSS_CONTENT_TYPE_BARE: &str = "application/rss+xml";
const ATOM_CONTENT_TYPE_BARE: &str = "application/atom+xml";

/// Drops the fields a tutorial does not have (no image, no duration) instead of sending
/// `null`s, which structured-data validators flag.
fn without_nulls(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(object) = value.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    value
}

fn translation_link(ctx: &PageContext, view: &TutorialView) -> Markup {
    html! {
        @if let Some(other) = &view.translation {
            @let code = other.lang.code();
            p.translation-link {
                a href=(ctx.link(&format!("/tutorials/{}", other.slug)))
                    hreflang=(code) lang=(code) {
                    @match other.lang {
                        Language::En => "Read this tutorial in English",
                        Language::Fr => "Lire ce tutoriel en français",
                    }
                }
            }
        }
    }
}

fn step_title(ctx: &PageContext, view: &TutorialView, n: usize, step: &Step) -> String {
    step.title
        .clone()
        .or_else(|| {
            step.block
                .as_ref()
                .and_then(|id| view.blocks.get(id))
                .map(|b| b.title.clone())
        })
        .unwrap_or_else(|| format!("{} {n}", ctx.t("Étape", "Step")))
}

/// The table of contents of a step whose text has several headings.
fn step_outline(ctx: &PageContext, outline: &[OutlineEntry]) -> Markup {
    html! {
        nav.step-outline aria-label=(ctx.t("Dans cette étape", "In this step")) {
            ol {
                @for entry in outline {
                    li class={ "depth-" (entry.depth.min(3)) } {
                        a href={ "#" (entry.anchor) } { (entry.number) " " (entry.text) }
                    }
                }
            }
        }
    }
}

/// A step's content: text, included block, image, video with transcript. Returns the markup
/// and the frame origin the video needs.
fn step_content(
    ctx: &PageContext,
    view: &TutorialView,
    n: usize,
    step: &Step,
    printable: bool,
) -> (Markup, Option<String>) {
    // Under the step's heading: `<h1>` on a step page, `<h2>` on the printable page.
    let heading_offset = if printable { 2 } else { 1 };
    let options = RenderOptions {
        heading_offset,
        ..RenderOptions::tutorial(&format!("e{n}-"))
    };
    let mut outline = Vec::new();
    let text = (!step.text.is_empty()).then(|| {
        let rendered = markdown::render_with(&step.text, &options);
        outline.extend(rendered.outline);
        rendered.html
    });
    // A block that was never written (or is gone) shows nothing rather than an error.
    let block = step
        .block
        .as_ref()
        .and_then(|id| view.blocks.get(id))
        .map(|block| {
            let options = RenderOptions {
                heading_offset,
                ..RenderOptions::tutorial(&format!("e{n}-b-"))
            };
            let rendered = markdown::render_with(&block.text, &options);
            outline.extend(rendered.outline);
            rendered.html
        });
    let video = step
        .video
        .as_ref()
        .and_then(|video| Some((video, VideoEmbed::parse(&video.url)?)));
    let host = ctx.base_url.split("://").nth(1).unwrap_or("");
    let markup = html! {
        @if outline.len() > 1 { (step_outline(ctx, &outline)) }
        // Staff Markdown rendered by `kiosque_domain::markdown`, which writes only whitelisted
        // elements and escapes every text: safe HTML.
        @if let Some(text) = &text { (PreEscaped(text)) }
        @if let Some(block) = &block {
            // The same renderer, the same guarantee.
            div.tutorial-block { (PreEscaped(block)) }
        }
        @if let Some(image) = &step.image {
            figure.step-image {
                img src=(image.src()) alt=(image.alt) width=[image.width] height=[image.height]
                    loading="lazy" decoding="async";
            }
        }
        @if let Some((video, embed)) = &video {
            div.step-video {
                iframe src=(embed.embed_src(host))
                    title={ (ctx.t("Vidéo", "Video")) " (" (embed.provider().name()) ")" }
                    loading="lazy" allowfullscreen
                    referrerpolicy="strict-origin-when-cross-origin" {}
            }
            p {
                a href=(video.url.as_str()) rel="noopener" {
                    (ctx.t("Voir la vidéo sur son site", "Watch the video on its site"))
                }
            }
            @if let Some(transcript) = &video.transcript {
                // On paper a closed `<details>` would print its summary only.
                details.transcript open[printable] {
                    summary { (ctx.t("Transcription de la vidéo", "Video transcript")) }
                    // Staff Markdown rendered by `kiosque_domain::markdown`: safe HTML.
                    (PreEscaped(markdown::render(transcript)))
                }
            }
        }
    };
    (markup, video.map(|(_, embed)| embed.frame_origin()))
}

fn facts(ctx: &PageContext, view: &TutorialView) -> Markup {
    let c = &view.tutorial.content;
    html! {
        dl.tutorial-facts {
            dt { (ctx.t("Service", "Service")) }
            dd { a href=(c.service.url.as_str()) rel="noopener" { (c.service.name) } }
            dt { (ctx.t("Niveau", "Level")) }
            dd { (level_label(ctx, c.level)) }
            @if let Some(audience) = &c.audience {
                dt { (ctx.t("Public", "Audience")) }
                dd { (audience) }
            }
            @if let Some(m) = c.estimated_minutes {
                dt { (ctx.t("Durée", "Time")) }
                dd { (m) " min" }
            }
            @if !c.tags.is_empty() {
                dt { (ctx.t("Thèmes", "Topics")) }
                dd {
                    @for (i, t) in c.tags.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(ctx.link(&format!("/tutorials?tag={}", tag_key(t)))) { (t) }
                    }
                }
            }
        }
    }
}

fn feedback_form(ctx: &PageContext, view: &TutorialView, thanks: bool) -> Markup {
    let slug = &view.tutorial.slug;
    if thanks {
        return html! {
            section id="avis" class="feedback" {
                p.notice role="status" {
                    (ctx.t("Merci pour votre avis !", "Thank you for your feedback!"))
                }
            }
        };
    }
    html! {
        section id="avis" class="feedback" aria-labelledby="avis-titre" {
            form method="post" action=(ctx.link(&format!("/tutorials/{slug}/feedback"))) {
                fieldset {
                    legend id="avis-titre" {
                        (ctx.t("Ce tutoriel vous a-t-il aidé ?", "Was this tutorial helpful?"))
                    }
                    div.choices {
                        input type="radio" id="helpful-yes" name="helpful" value="yes" required;
                        label for="helpful-yes" { (ctx.t("Oui", "Yes")) }
                        " "
                        input type="radio" id="helpful-no" name="helpful" value="no";
                        label for="helpful-no" { (ctx.t("Non", "No")) }
                    }
                    div.field {
                        label for="comment" {
                            (ctx.t(
                                "Un commentaire pour l’équipe (facultatif)",
                                "A comment for the staff (optional)",
                            ))
                        }
                        p.hint id="comment-hint" {
                            (ctx.t(
                                "Lu seulement par l’équipe de la médiathèque ; n’y mettez pas de données personnelles.",
                                "Read only by the library staff; please do not include personal data.",
                            ))
                        }
                        textarea id="comment" name="comment" rows="3"
                            maxlength=(feedback::MAX_COMMENT_CHARS)
                            aria-describedby="comment-hint" {}
                    }
                    button type="submit" { (ctx.t("Envoyer", "Send")) }
                }
            }
        }
    }
}

fn thanks(req: &Request) -> bool {
    form::query_param(req.query(), "merci").is_some()
}

/// The breadcrumb: the tutorials index, then, on a step or the printable page, the
/// tutorial's overview.
fn breadcrumb(ctx: &PageContext, tutorial: Option<&TutorialView>) -> Markup {
    html! {
        nav aria-label=(ctx.t("Fil d’Ariane", "Breadcrumb")) class="breadcrumb" {
            a href=(ctx.link("/tutorials")) { (ctx.t("Tutoriels", "Tutorials")) }
            @if let Some(view) = tutorial {
                @let c = &view.tutorial.content;
                " › "
                a href=(ctx.link(&format!("/tutorials/{}", view.tutorial.slug)))
                    lang=[content_lang(ctx, c.lang)] { (c.title) }
            }
        }
    }
}

/// `GET /tutorials/:slug`: what the tutorial is for, its steps, where to start.
pub fn overview(req: Request, params: Params) -> Result<Response, PageError> {
    let (_store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let t = &view.tutorial;
    let c = &t.content;
    let body = html! {
        (breadcrumb(&ctx, None))
        article.tutorial lang=[content_lang(&ctx, c.lang)] {
            h1 { (c.title) }
            p.summary { (c.summary) }
            (facts(&ctx, &view))
            (translation_link(&ctx, &view))
            p.actions {
                a.button href=(ctx.link(&format!("/tutorials/{}/steps/1", t.slug))) {
                    (ctx.t("Commencer", "Start"))
                }
                " "
                a href=(ctx.link(&format!("/tutorials/{}/print", t.slug))) {
                    (ctx.t(
                        "Tout voir sur une page (imprimable)",
                        "See it all on one page (printable)",
                    ))
                }
            }
            h2 { (ctx.t("Les étapes", "The steps")) }
            ol.step-list {
                @for (i, step) in c.steps.iter().enumerate() {
                    li {
                        a href=(ctx.link(&format!("/tutorials/{}/steps/{}", t.slug, i + 1))) {
                            (step_title(&ctx, &view, i + 1, step))
                        }
                    }
                }
            }
        }
        (feedback_form(&ctx, &view, thanks(&req)))
    };
    let meta = tutorial_meta(&ctx, &view, "");
    let (_, cookie) =
        visitor::identify(&req).map_err(|_| PageError::internal("no visitor token"))?;
    let mut response = page(&req, &ctx, &meta, body, &[]);
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// The links under step `n`: the previous and next steps, and the printable page.
fn step_nav(ctx: &PageContext, view: &TutorialView, n: usize) -> Markup {
    let t = &view.tutorial;
    let steps = &t.content.steps;
    let link = |k: usize| ctx.link(&format!("/tutorials/{}/steps/{k}", t.slug));
    html! {
        nav.step-nav aria-label=(ctx.t("Étapes", "Steps")) {
            ul {
                @if n > 1 {
                    li {
                        a href=(link(n - 1)) rel="prev" {
                            "← " (ctx.t("Étape précédente", "Previous step")) " : "
                            (step_title(ctx, view, n - 1, &steps[n - 2]))
                        }
                    }
                }
                @if n < steps.len() {
                    li {
                        a href=(link(n + 1)) rel="next" {
                            (ctx.t("Étape suivante", "Next step")) " : "
                            (step_title(ctx, view, n + 1, &steps[n])) " →"
                        }
                    }
                }
                li {
                    a href=(ctx.link(&format!("/tutorials/{}/print", t.slug))) {
                        (ctx.t("Tout voir sur une page", "See it all on one page"))
                    }
                }
            }
        }
    }
}

/// `GET /tutorials/:slug/steps/:n`: one step, with previous/next links. Records the step as
/// the one this visitor last opened (for staff's "where patrons stopped").
pub fn step(req: Request, params: Params) -> Result<Response, PageError> {
    let (store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let t = &view.tutorial;
    let c = &t.content;
    let total = c.steps.len();
    // Strictly (`01` or `+1` is no step): one address per step.
    let n: usize = kiosque_spin::routes::number_param(&params, "n")
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| (1..=total).contains(n))
        .ok_or_else(|| PageError::from(TutorialError::StepNotFound))?;
    let step = &c.steps[n - 1];
    let (visitor, cookie) =
        visitor::identify(&req).map_err(|_| PageError::internal("no visitor token"))?;
    // Only a browser that sent its token back counts: crawlers and link previews keep no
    // cookie, and would otherwise each be a new "patron" stopped at the step they fetched.
    // The overview page hands out the token, so patrons who start there count from step 1.
    // Statistics must never cost the patron the page.
    if cookie.is_none()
        && let Err(e) = feedback::step_opened(&store, SystemClock.now(), t, &visitor, n)
    {
        eprintln!("failed to record a step view: {e}");
    }
    let title = step_title(&ctx, &view, n, step);
    let (content, frame) = step_content(&ctx, &view, n, step, false);
    let body = html! {
        (breadcrumb(&ctx, Some(&view)))
        article.tutorial-step lang=[content_lang(&ctx, c.lang)] {
            p.kicker { (c.title) }
            h1 {
                span.step-count { (ctx.t("Étape", "Step")) " " (n) "/" (total) }
                " " (title)
            }
            progress max=(total) value=(n) aria-hidden="true" { (n) "/" (total) }
            (content)
        }
        (step_nav(&ctx, &view, n))
        @if n == total {
            p.notice { (ctx.t("C’est terminé : bravo !", "That’s it: well done!")) }
            (feedback_form(&ctx, &view, thanks(&req)))
        }
    };
    let mut meta = tutorial_meta(&ctx, &view, &format!("/steps/{n}"));
    meta.title = format!("{title} · {}", c.title);
    // Step pages of a translation do not line up step by step: link the tutorials only.
    meta.alternates.retain(|(code, _)| *code == c.lang.code());
    let frames: Vec<String> = frame.into_iter().collect();
    let mut response = page(&req, &ctx, &meta, body, &frames);
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// `GET /tutorials/:slug/print`: every step on one page, for reading through or printing.
pub fn print(req: Request, params: Params) -> Result<Response, PageError> {
    let (_store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let c = &view.tutorial.content;
    let mut frames = Vec::new();
    let mut steps = Vec::new();
    for (i, step) in c.steps.iter().enumerate() {
        let n = i + 1;
        let (content, frame) = step_content(&ctx, &view, n, step, true);
        frames.extend(frame);
        steps.push((n, step_title(&ctx, &view, n, step), content));
    }
    frames.sort();
    frames.dedup();
    let body = html! {
        (breadcrumb(&ctx, Some(&view)))
        article.tutorial.tutorial-print lang=[content_lang(&ctx, c.lang)] {
            h1 { (c.title) }
            p.summary { (c.summary) }
            (facts(&ctx, &view))
            nav.toc aria-labelledby="sommaire" {
                h2 id="sommaire" { (ctx.t("Sommaire", "Contents")) }
                ol {
                    @for (n, title, _) in &steps {
                        li { a href={ "#etape-" (n) } { (title) } }
                    }
                }
            }
            @for (n, title, content) in &steps {
                section.print-step aria-labelledby={ "etape-" (n) } {
                    h2 id={ "etape-" (n) } {
                        span.step-count { (ctx.t("Étape", "Step")) " " (n) }
                        " " (title)
                    }
                    (content)
                }
            }
        }
        (feedback_form(&ctx, &view, thanks(&req)))
    };
    let meta = tutorial_meta(&ctx, &view, "/print");
    Ok(page(&req, &ctx, &meta, body, &frames))
}

/// `POST /tutorials/:slug/feedback` (form): records the answer, then 303 back to the page's
/// thanks. A second answer from the same browser is thanked too: it is there already.
pub fn rate_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let slug = slug_param(&params)?;
    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    let helpful = match form::get(&pairs, "helpful") {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Err(PageError::new(
                400,
                "invalid_feedback",
                [
                    "Réponse manquante",
                    "Choisissez « Oui » ou « Non » avant d’envoyer.",
                ],
                ["Missing answer", "Choose “Yes” or “No” before sending."],
            )
            .with_link(
                format!("/tutorials/{slug}#avis"),
                "Retour au tutoriel",
                "Back to the tutorial",
            ));
        }
    };
    let request = FeedbackRequest {
        helpful,
        comment: form::get(&pairs, "comment").map(str::to_owned),
    };
    let (visitor, cookie) =
        visitor::identify(&req).map_err(|_| PageError::internal("no visitor token"))?;
    let store = SpinStore::open_default()?;
    if let Some(secs) = visitor::limited(&store, &req) {
        return Err(PageError::too_many_submissions(secs));
    }
    let now: Timestamp = SystemClock.now();
    let tutorial = versions::get(&store, &slug)?;
    if !tutorial.is_visible(now) {
        return Err(PageError::not_found());
    }
    match feedback::rate(&store, now, &slug, &visitor, request) {
        Ok(()) | Err(TutorialError::AlreadyRated) => {}
        Err(TutorialError::Invalid(_)) => {
            return Err(PageError::new(
                400,
                "invalid_feedback",
                [
                    "Commentaire refusé",
                    "Le commentaire fait au plus 1 000 caractères, sans caractères de contrôle.",
                ],
                [
                    "Comment refused",
                    "The comment is at most 1,000 characters, without control characters.",
                ],
            )
            .with_link(
                format!("/tutorials/{slug}#avis"),
                "Retour au tutoriel",
                "Back to the tutorial",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let mut response = see_other(&ctx.link(&format!("/tutorials/{slug}?merci=1#avis")));
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// `GET /tutorials/feed.xml` (RSS 2.0) and `/tutorials/feed.atom` (Atom): the newest and
/// latest updated visible tutorials, 30 at most.
pub fn feed(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default()?;
    let now = SystemClock.now();
    let mut entries = catalogue::visible(&store, now)?;
    entries.sort_by_key(|e| std::cmp::Reverse(e.feed_date()));
    entries.truncate(30);
    let feed = Feed {
        title: format!("{} · Tutoriels", ctx.library_name),
        description: "Nouveaux tutoriels et mises à jour / New and updated tutorials".to_owned(),
        language: "fr".to_owned(),
        page_url: ctx.absolute("/tutorials"),
        feed_url: ctx.absolute(&ctx.path),
        author: ctx.library_name.clone(),
        updated: entries
            .first()
            .map(Entry::feed_date)
            .unwrap_or(Timestamp::UNIX_EPOCH),
        entries: entries
            .iter()
            .map(|e| {
                let url = ctx.absolute(&format!("/tutorials/{}", e.slug));
                FeedEntry {
                    title: e.title.clone(),
                    id: url.clone(),
                    url,
                    summary: e.summary.clone(),
                    published: e.published_at.unwrap_or(e.updated_at),
                    updated: e.feed_date(),
                    categories: e.tags.clone(),
                }
            })
            .collect(),
    };
    let (content_type, text) = if ctx.path.ends_with(".atom") {
        (ATOM_CONTENT_TYPE, feed.to_atom())
    } else {
        (RSS_CONTENT_TYPE, feed.to_rss())
    };
    let response = Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("x-content-type-options", "nosniff")
        .body(text)
        .build();
    Ok(conditional(&req, response, FEED_CACHE))
}
