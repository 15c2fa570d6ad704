//! The patrons' pages: the index by service and tag with search, a tutorial's overview, one
//! step at a time (previous/next are plain links: no JavaScript), the full printable view,
//! the "was this helpful?" form, and the RSS feed. Every page carries an `ETag` and answers
//! `304` when the browser already has it.

use kiosque_spin::html::PreEscaped;
use std::collections::BTreeMap;

use kiosque_domain::feed::{ATOM_CONTENT_TYPE, Feed, FeedEntry, RSS_CONTENT_TYPE};
use kiosque_domain::markdown::{self, RenderOptions};
use kiosque_domain::tutorials::catalogue::{self, Entry};
use kiosque_domain::tutorials::feedback::{self, FeedbackRequest};
use kiosque_domain::tutorials::model::tag_key;
use kiosque_domain::tutorials::versions::{self, TutorialView};
use kiosque_domain::tutorials::{Language, Level, Step, TutorialError, search};
use kiosque_domain::video::VideoEmbed;
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
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

/// ` lang="xx"` when the tutorial's language differs from the interface's.
fn content_lang(ctx: &PageContext, language: Language) -> String {
    if lang_of(language) == ctx.lang {
        String::new()
    } else {
        format!(" lang=\"{}\"", language.code())
    }
}

fn page(
    req: &Request,
    ctx: &PageContext,
    meta: &PageMeta,
    body: &str,
    frames: &[String],
) -> Response {
    let response = html_with_frames(
        200,
        layout::page(ctx, meta, PreEscaped(body.to_owned())),
        frames,
    );
    conditional(req, response, PAGE_CACHE)
}

fn card(ctx: &PageContext, entry: &Entry) -> String {
    let minutes = entry
        .estimated_minutes
        .map(|m| format!(" · {m} min"))
        .unwrap_or_default();
    format!(
        "<li class=\"tutorial-card\"{lang}><h3><a href=\"{href}\">{title}</a></h3><p>{summary}</p>\
         <p class=\"meta\">{level}{minutes} · {steps} {steps_label}</p></li>\n",
        lang = content_lang(ctx, entry.lang),
        href = escape(&ctx.link(&format!("/tutorials/{}", entry.slug))),
        title = escape(&entry.title),
        summary = escape(&entry.summary),
        level = level_label(ctx, entry.level),
        steps = entry.steps,
        steps_label = ctx.t("étapes", "steps"),
    )
}

/// `GET /tutorials?q=&tag=`: search results, one tag's tutorials, or every tutorial grouped
/// by service. One or two store reads whatever the number of tutorials.
pub fn index(req: Request, _params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default()?;
    let now = SystemClock.now();
    let query = form::query_param(req.query(), "q").unwrap_or_default();
    let tag = form::query_param(req.query(), "tag").unwrap_or_default();
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n\
         <form method=\"get\" action=\"/tutorials\" role=\"search\" class=\"tutorial-search\">\
         <label for=\"q\">{}</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"{}\" maxlength=\"200\">{}\
         <button type=\"submit\">{}</button></form>\n",
        ctx.t("Tutoriels", "Tutorials"),
        ctx.t(
            "Pas à pas, nos guides pour utiliser les services en ligne de la médiathèque.",
            "Step by step, our guides to the library’s online services."
        ),
        ctx.t("Rechercher un tutoriel", "Search tutorials"),
        escape(&query),
        if ctx.lang_explicit {
            format!(
                "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
                ctx.lang.code()
            )
        } else {
            String::new()
        },
        ctx.t("Rechercher", "Search"),
    );
    let entries = catalogue::visible(&store, now)?;
    if !query.trim().is_empty() {
        let hits = search::search(&store, now, &query)?;
        body.push_str(&format!(
            "<h2 id=\"resultats\">{} ({})</h2>\n",
            ctx.t("Résultats", "Results"),
            hits.len()
        ));
        if hits.is_empty() {
            body.push_str(&format!(
                "<p>{}</p>\n",
                ctx.t("Aucun tutoriel ne correspond.", "No tutorial matches.")
            ));
        } else {
            body.push_str("<ul class=\"tutorial-list\">\n");
            for hit in &hits {
                body.push_str(&card(&ctx, &hit.entry));
            }
            body.push_str("</ul>\n");
        }
    } else if !tag.is_empty() {
        let key = tag_key(&tag);
        let tagged: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.tags.iter().any(|t| tag_key(t) == key))
            .collect();
        let label = tagged
            .first()
            .and_then(|e| e.tags.iter().find(|t| tag_key(t) == key))
            .cloned()
            .unwrap_or_else(|| tag.clone());
        body.push_str(&format!(
            "<h2>{} « {} »</h2>\n<ul class=\"tutorial-list\">\n",
            ctx.t("Thème", "Topic"),
            escape(&label)
        ));
        for entry in tagged {
            body.push_str(&card(&ctx, entry));
        }
        body.push_str(&format!(
            "</ul>\n<p><a href=\"{}\">{}</a></p>\n",
            escape(&ctx.link("/tutorials")),
            ctx.t("Tous les tutoriels", "All tutorials")
        ));
    } else {
        let mut by_service: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        for entry in &entries {
            by_service
                .entry(entry.service.name.clone())
                .or_default()
                .push(entry);
            for t in &entry.tags {
                tags.entry(tag_key(t)).or_insert_with(|| t.clone());
            }
        }
        if entries.is_empty() {
            body.push_str(&format!(
                "<p>{}</p>\n",
                ctx.t("Aucun tutoriel pour le moment.", "No tutorials yet.")
            ));
        }
        if !tags.is_empty() {
            body.push_str(&format!(
                "<nav aria-labelledby=\"themes\"><h2 id=\"themes\">{}</h2><ul class=\"tags\">",
                ctx.t("Thèmes", "Topics")
            ));
            for (key, label) in &tags {
                body.push_str(&format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(&ctx.link(&format!("/tutorials?tag={key}"))),
                    escape(label)
                ));
            }
            body.push_str("</ul></nav>\n");
        }
        for (service, list) in &by_service {
            body.push_str(&format!(
                "<section><h2>{}</h2>\n<ul class=\"tutorial-list\">\n",
                escape(service)
            ));
            for entry in list {
                body.push_str(&card(&ctx, entry));
            }
            body.push_str("</ul></section>\n");
        }
    }
    body.push_str(&format!(
        "<p><a href=\"/tutorials/feed.xml\" type=\"application/rss+xml\">{}</a></p>\n",
        ctx.t(
            "Fil RSS des tutoriels nouveaux et mis à jour",
            "RSS feed of new and updated tutorials"
        )
    ));
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
    Ok(page(&req, &ctx, &meta, &body, &[]))
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
        og_image: image.map(|i| i.url.as_str().to_owned()),
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
            "image": image.map(|i| i.url.as_str()),
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

fn translation_link(ctx: &PageContext, view: &TutorialView) -> String {
    match &view.translation {
        Some(other) => format!(
            "<p class=\"translation-link\"><a href=\"{href}\" hreflang=\"{code}\" lang=\"{code}\">{label}</a></p>\n",
            href = escape(&ctx.link(&format!("/tutorials/{}", other.slug))),
            code = other.lang.code(),
            label = match other.lang {
                Language::En => "Read this tutorial in English",
                Language::Fr => "Lire ce tutoriel en français",
            },
        ),
        None => String::new(),
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

/// A step's content: text, included block, image, video with transcript. Returns the HTML
/// and the frame origin the video needs.
fn step_content(
    ctx: &PageContext,
    view: &TutorialView,
    n: usize,
    step: &Step,
    printable: bool,
) -> (String, Option<String>) {
    // Under the step's heading: `<h1>` on a step page, `<h2>` on the printable page.
    let heading_offset = if printable { 2 } else { 1 };
    let options = RenderOptions {
        heading_offset,
        ..RenderOptions::tutorial(&format!("e{n}-"))
    };
    let mut out = String::new();
    let mut outline = Vec::new();
    if !step.text.is_empty() {
        let rendered = markdown::render_with(&step.text, &options);
        out.push_str(&rendered.html);
        outline.extend(rendered.outline);
    }
    if let Some(id) = &step.block {
        // A block that was never written (or is gone) shows nothing rather than an error.
        if let Some(block) = view.blocks.get(id) {
            let options = RenderOptions {
                heading_offset,
                ..RenderOptions::tutorial(&format!("e{n}-b-"))
            };
            let rendered = markdown::render_with(&block.text, &options);
            out.push_str(&format!(
                "<div class=\"tutorial-block\">{}</div>\n",
                rendered.html
            ));
            outline.extend(rendered.outline);
        }
    }
    if outline.len() > 1 {
        let mut toc = format!(
            "<nav class=\"step-outline\" aria-label=\"{}\"><ol>",
            ctx.t("Dans cette étape", "In this step")
        );
        for entry in &outline {
            toc.push_str(&format!(
                "<li class=\"depth-{}\"><a href=\"#{}\">{} {}</a></li>",
                entry.depth.min(3),
                escape(&entry.anchor),
                escape(&entry.number),
                escape(&entry.text)
            ));
        }
        toc.push_str("</ol></nav>\n");
        out.insert_str(0, &toc);
    }
    if let Some(image) = &step.image {
        out.push_str(&format!(
            "<figure class=\"step-image\"><img src=\"{}\" alt=\"{}\" loading=\"lazy\" decoding=\"async\"></figure>\n",
            escape(image.url.as_str()),
            escape(&image.alt)
        ));
    }
    let mut frame = None;
    if let Some(video) = &step.video
        && let Some(embed) = VideoEmbed::parse(&video.url)
    {
        let host = ctx.base_url.split("://").nth(1).unwrap_or("");
        out.push_str(&format!(
            "<div class=\"step-video\"><iframe src=\"{}\" title=\"{}\" loading=\"lazy\" allowfullscreen \
             referrerpolicy=\"strict-origin-when-cross-origin\"></iframe></div>\n\
             <p><a href=\"{}\" rel=\"noopener\">{}</a></p>\n",
            escape(&embed.embed_src(host)),
            escape(&format!("{} ({})", ctx.t("Vidéo", "Video"), embed.provider().name())),
            escape(video.url.as_str()),
            ctx.t("Voir la vidéo sur son site", "Watch the video on its site"),
        ));
        if let Some(transcript) = &video.transcript {
            out.push_str(&format!(
                "<details class=\"transcript\"{}><summary>{}</summary>{}</details>\n",
                // On paper a closed `<details>` would print its summary only.
                if printable { " open" } else { "" },
                ctx.t("Transcription de la vidéo", "Video transcript"),
                markdown::render(transcript)
            ));
        }
        frame = Some(embed.frame_origin());
    }
    (out, frame)
}

fn facts(ctx: &PageContext, view: &TutorialView) -> String {
    let c = &view.tutorial.content;
    let mut out = format!(
        "<dl class=\"tutorial-facts\"><dt>{}</dt><dd><a href=\"{}\" rel=\"noopener\">{}</a></dd>\
         <dt>{}</dt><dd>{}</dd>",
        ctx.t("Service", "Service"),
        escape(c.service.url.as_str()),
        escape(&c.service.name),
        ctx.t("Niveau", "Level"),
        level_label(ctx, c.level),
    );
    if let Some(audience) = &c.audience {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            ctx.t("Public", "Audience"),
            escape(audience)
        ));
    }
    if let Some(m) = c.estimated_minutes {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{m} min</dd>",
            ctx.t("Durée", "Time")
        ));
    }
    if !c.tags.is_empty() {
        let tags: Vec<String> = c
            .tags
            .iter()
            .map(|t| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape(&ctx.link(&format!("/tutorials?tag={}", tag_key(t)))),
                    escape(t)
                )
            })
            .collect();
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            ctx.t("Thèmes", "Topics"),
            tags.join(", ")
        ));
    }
    out.push_str("</dl>\n");
    out
}

fn feedback_form(ctx: &PageContext, view: &TutorialView, thanks: bool) -> String {
    let slug = &view.tutorial.slug;
    if thanks {
        return format!(
            "<section id=\"avis\" class=\"feedback\"><p class=\"notice\" role=\"status\">{}</p></section>\n",
            ctx.t("Merci pour votre avis !", "Thank you for your feedback!")
        );
    }
    format!(
        "<section id=\"avis\" class=\"feedback\" aria-labelledby=\"avis-titre\">\
         <form method=\"post\" action=\"{action}\"><fieldset><legend id=\"avis-titre\">{question}</legend>\
         <div class=\"choices\"><input type=\"radio\" id=\"helpful-yes\" name=\"helpful\" value=\"yes\" required>\
         <label for=\"helpful-yes\">{yes}</label> \
         <input type=\"radio\" id=\"helpful-no\" name=\"helpful\" value=\"no\">\
         <label for=\"helpful-no\">{no}</label></div>\
         <div class=\"field\"><label for=\"comment\">{comment}</label>\
         <p class=\"hint\" id=\"comment-hint\">{hint}</p>\
         <textarea id=\"comment\" name=\"comment\" rows=\"3\" maxlength=\"{max}\" aria-describedby=\"comment-hint\"></textarea></div>\
         <button type=\"submit\">{send}</button></fieldset></form></section>\n",
        action = escape(&ctx.link(&format!("/tutorials/{slug}/feedback"))),
        question = ctx.t(
            "Ce tutoriel vous a-t-il aidé ?",
            "Was this tutorial helpful?"
        ),
        yes = ctx.t("Oui", "Yes"),
        no = ctx.t("Non", "No"),
        comment = ctx.t(
            "Un commentaire pour l’équipe (facultatif)",
            "A comment for the staff (optional)"
        ),
        hint = ctx.t(
            "Lu seulement par l’équipe de la médiathèque ; n’y mettez pas de données personnelles.",
            "Read only by the library staff; please do not include personal data."
        ),
        max = feedback::MAX_COMMENT_CHARS,
        send = ctx.t("Envoyer", "Send"),
    )
}

fn thanks(req: &Request) -> bool {
    form::query_param(req.query(), "merci").is_some()
}

/// `GET /tutorials/:slug`: what the tutorial is for, its steps, where to start.
pub fn overview(req: Request, params: Params) -> Result<Response, PageError> {
    let (_store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let t = &view.tutorial;
    let c = &t.content;
    let lang = content_lang(&ctx, c.lang);
    let mut body = format!(
        "<nav aria-label=\"{crumbs}\" class=\"breadcrumb\"><a href=\"{index}\">{tutorials}</a></nav>\n\
         <article class=\"tutorial\"{lang}>\n<h1>{title}</h1>\n<p class=\"summary\">{summary}</p>\n",
        crumbs = ctx.t("Fil d’Ariane", "Breadcrumb"),
        index = escape(&ctx.link("/tutorials")),
        tutorials = ctx.t("Tutoriels", "Tutorials"),
        title = escape(&c.title),
        summary = escape(&c.summary),
    );
    body.push_str(&facts(&ctx, &view));
    body.push_str(&translation_link(&ctx, &view));
    body.push_str(&format!(
        "<p class=\"actions\"><a class=\"button\" href=\"{start}\">{start_label}</a> \
         <a href=\"{print}\">{print_label}</a></p>\n<h2>{steps_label}</h2>\n<ol class=\"step-list\">\n",
        start = escape(&ctx.link(&format!("/tutorials/{}/steps/1", t.slug))),
        start_label = ctx.t("Commencer", "Start"),
        print = escape(&ctx.link(&format!("/tutorials/{}/print", t.slug))),
        print_label = ctx.t("Tout voir sur une page (imprimable)", "See it all on one page (printable)"),
        steps_label = ctx.t("Les étapes", "The steps"),
    ));
    for (i, step) in c.steps.iter().enumerate() {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            escape(&ctx.link(&format!("/tutorials/{}/steps/{}", t.slug, i + 1))),
            escape(&step_title(&ctx, &view, i + 1, step))
        ));
    }
    body.push_str("</ol>\n</article>\n");
    body.push_str(&feedback_form(&ctx, &view, thanks(&req)));
    let meta = tutorial_meta(&ctx, &view, "");
    let (_, cookie) =
        visitor::identify(&req).map_err(|_| PageError::internal("no visitor token"))?;
    let mut response = page(&req, &ctx, &meta, &body, &[]);
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// `GET /tutorials/:slug/steps/:n`: one step, with previous/next links. Records the step as
/// the one this visitor last opened (for staff's "where patrons stopped").
pub fn step(req: Request, params: Params) -> Result<Response, PageError> {
    let (store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let t = &view.tutorial;
    let c = &t.content;
    let total = c.steps.len();
    let n: usize = params
        .get("n")
        .and_then(|n| n.parse().ok())
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
    let lang = content_lang(&ctx, c.lang);
    let link = |k: usize| escape(&ctx.link(&format!("/tutorials/{}/steps/{k}", t.slug)));
    let mut body = format!(
        "<nav aria-label=\"{crumbs}\" class=\"breadcrumb\"><a href=\"{index}\">{tutorials}</a> › \
         <a href=\"{overview}\"{lang}>{tutorial}</a></nav>\n\
         <article class=\"tutorial-step\"{lang}>\n<p class=\"kicker\">{tutorial}</p>\n\
         <h1><span class=\"step-count\">{step_word} {n}/{total}</span> {title}</h1>\n\
         <progress max=\"{total}\" value=\"{n}\" aria-hidden=\"true\">{n}/{total}</progress>\n{content}</article>\n",
        crumbs = ctx.t("Fil d’Ariane", "Breadcrumb"),
        index = escape(&ctx.link("/tutorials")),
        tutorials = ctx.t("Tutoriels", "Tutorials"),
        overview = escape(&ctx.link(&format!("/tutorials/{}", t.slug))),
        tutorial = escape(&c.title),
        step_word = ctx.t("Étape", "Step"),
        title = escape(&title),
    );
    body.push_str(&format!(
        "<nav class=\"step-nav\" aria-label=\"{}\"><ul>",
        ctx.t("Étapes", "Steps")
    ));
    if n > 1 {
        body.push_str(&format!(
            "<li><a href=\"{}\" rel=\"prev\">← {} : {}</a></li>",
            link(n - 1),
            ctx.t("Étape précédente", "Previous step"),
            escape(&step_title(&ctx, &view, n - 1, &c.steps[n - 2]))
        ));
    }
    if n < total {
        body.push_str(&format!(
            "<li><a href=\"{}\" rel=\"next\">{} : {} →</a></li>",
            link(n + 1),
            ctx.t("Étape suivante", "Next step"),
            escape(&step_title(&ctx, &view, n + 1, &c.steps[n]))
        ));
    }
    body.push_str(&format!(
        "<li><a href=\"{}\">{}</a></li></ul></nav>\n",
        escape(&ctx.link(&format!("/tutorials/{}/print", t.slug))),
        ctx.t("Tout voir sur une page", "See it all on one page")
    ));
    if n == total {
        body.push_str(&format!(
            "<p class=\"notice\">{}</p>\n",
            ctx.t("C’est terminé : bravo !", "That’s it: well done!")
        ));
        body.push_str(&feedback_form(&ctx, &view, thanks(&req)));
    }
    let mut meta = tutorial_meta(&ctx, &view, &format!("/steps/{n}"));
    meta.title = format!("{title} · {}", c.title);
    // Step pages of a translation do not line up step by step: link the tutorials only.
    meta.alternates.retain(|(code, _)| *code == c.lang.code());
    let frames: Vec<String> = frame.into_iter().collect();
    let mut response = page(&req, &ctx, &meta, &body, &frames);
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// `GET /tutorials/:slug/print`: every step on one page, for reading through or printing.
pub fn print(req: Request, params: Params) -> Result<Response, PageError> {
    let (_store, view) = load(&params)?;
    let ctx = tutorial_context(&req, &view);
    let t = &view.tutorial;
    let c = &t.content;
    let lang = content_lang(&ctx, c.lang);
    let mut body = format!(
        "<nav aria-label=\"{crumbs}\" class=\"breadcrumb\"><a href=\"{index}\">{tutorials}</a> › \
         <a href=\"{overview}\"{lang}>{title}</a></nav>\n<article class=\"tutorial tutorial-print\"{lang}>\n\
         <h1>{title}</h1>\n<p class=\"summary\">{summary}</p>\n",
        crumbs = ctx.t("Fil d’Ariane", "Breadcrumb"),
        index = escape(&ctx.link("/tutorials")),
        tutorials = ctx.t("Tutoriels", "Tutorials"),
        overview = escape(&ctx.link(&format!("/tutorials/{}", t.slug))),
        title = escape(&c.title),
        summary = escape(&c.summary),
    );
    body.push_str(&facts(&ctx, &view));
    body.push_str(&format!(
        "<nav class=\"toc\" aria-labelledby=\"sommaire\"><h2 id=\"sommaire\">{}</h2><ol>",
        ctx.t("Sommaire", "Contents")
    ));
    for (i, step) in c.steps.iter().enumerate() {
        body.push_str(&format!(
            "<li><a href=\"#etape-{}\">{}</a></li>",
            i + 1,
            escape(&step_title(&ctx, &view, i + 1, step))
        ));
    }
    body.push_str("</ol></nav>\n");
    let mut frames = Vec::new();
    for (i, step) in c.steps.iter().enumerate() {
        let n = i + 1;
        let (content, frame) = step_content(&ctx, &view, n, step, true);
        frames.extend(frame);
        body.push_str(&format!(
            "<section class=\"print-step\" aria-labelledby=\"etape-{n}\"><h2 id=\"etape-{n}\">\
             <span class=\"step-count\">{} {n}</span> {}</h2>\n{content}</section>\n",
            ctx.t("Étape", "Step"),
            escape(&step_title(&ctx, &view, n, step)),
        ));
    }
    body.push_str("</article>\n");
    body.push_str(&feedback_form(&ctx, &view, thanks(&req)));
    frames.sort();
    frames.dedup();
    let meta = tutorial_meta(&ctx, &view, "/print");
    Ok(page(&req, &ctx, &meta, &body, &frames))
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
        let mut error = PageError::new(
            429,
            "rate_limited",
            [
                "Trop d’envois",
                "Trop d’envois depuis votre connexion : réessayez dans quelques minutes.",
            ],
            [
                "Too many submissions",
                "Too many submissions from your connection: try again in a few minutes.",
            ],
        );
        error.retry_after_secs = Some(secs);
        return Err(error);
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
