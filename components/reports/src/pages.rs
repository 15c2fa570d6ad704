//! The printable reports: a month's activity (`/reports/monthly/:month`) and a campaign's
//! (`/reports/campaigns/:id`), full HTML pages a director can read on paper. Each chart is an
//! accessible SVG image whose description states its figures, followed by the data table that
//! is its text alternative; the print stylesheet (`kiosque.css`, `.report`) fits them to A4
//! and drops what paper cannot use (downloads, the language switch).
//!
//! Staff only: without a session the page sends the visitor to the console's sign-in, which
//! comes back to the console's Reports screen, as the console's own page does.

use kiosque_domain::analytics::audience::Source;
use kiosque_domain::analytics::metrics::Counts;
use kiosque_domain::analytics::reports::{
    self, Audience, CampaignReport, MonthlyReport, NetworkFigures, Participation, PostFigures,
    Totals,
};
use kiosque_domain::analytics::{Day, Month};
use kiosque_domain::campaigns;
use kiosque_domain::social::ChannelKind;
use kiosque_domain::zone;
use kiosque_spin::auth::{self, Permission};
use kiosque_spin::html::chart::{BarChart, Category};
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::response::{html as html_response, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock};
use spin_sdk::http::{Params, Request, Response};

use crate::api;

/// `None` when `req` comes from staff; else the answer: the sign-in page (no session) or an
/// HTML refusal.
fn refuse_unless_staff(req: &Request, console_hash: &str) -> Option<Result<Response, PageError>> {
    match auth::require(req, Permission::View) {
        Ok(_) => None,
        Err(error) if error.status == 401 => Some(Ok(see_other(&format!(
            "/admin/sign-in.html?next=%23{}",
            console_hash
        )))),
        Err(error) => Some(Err(PageError::new(
            error.status,
            error.code,
            ["Accès refusé", "Vous n’avez pas accès à cette page."],
            ["Access denied", "You do not have access to this page."],
        ))),
    }
}

/// The page as staff get it: never cached (the figures move with every tick and view).
fn respond(ctx: &PageContext, title: String, description: String, body: Markup) -> Response {
    let meta = PageMeta {
        title,
        description,
        indexable: false,
        ..PageMeta::default()
    };
    let mut response = html_response(200, layout::page(ctx, &meta, body));
    response.set_header("cache-control", "no-store");
    response
}

fn month_name(lang: Lang, month: Month) -> String {
    use chrono::Datelike;
    let first = month.first_day();
    match lang {
        Lang::Fr => format!("{} {}", zone::month_name_fr(first.month()), first.year()),
        Lang::En => format!("{} {}", zone::month_name_en(first.month()), first.year()),
    }
}

fn day_name(lang: Lang, day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let month = day.month();
    match lang {
        Lang::Fr if day.day() == 1 => format!("1er {} {}", zone::month_name_fr(month), day.year()),
        Lang::Fr => format!(
            "{} {} {}",
            day.day(),
            zone::month_name_fr(month),
            day.year()
        ),
        Lang::En => format!(
            "{} {}, {}",
            zone::month_name_en(month),
            day.day(),
            day.year()
        ),
    }
}

/// A figure with its thousands grouped: a narrow no-break space in French, a comma in English.
fn number(lang: Lang, value: u64) -> String {
    let digits = value.to_string();
    let separator = match lang {
        Lang::Fr => "\u{202f}",
        Lang::En => ",",
    };
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(digit);
    }
    out
}

/// Reach and impressions: a figure, or "not provided" (never a zero the network did not say).
fn optional(lang: Lang, value: Option<u64>) -> String {
    value.map_or_else(
        || lang.t("non communiqué", "not provided").to_owned(),
        |v| number(lang, v),
    )
}

fn change(lang: Lang, now: Option<u64>, before: Option<u64>) -> String {
    match (now, before) {
        (Some(now), Some(before)) if now >= before => format!("+{}", number(lang, now - before)),
        (Some(now), Some(before)) => format!("−{}", number(lang, before - now)),
        _ => "—".to_owned(),
    }
}

fn network_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Mastodon => "Mastodon",
        ChannelKind::Bluesky => "Bluesky",
        ChannelKind::Facebook => "Facebook",
        ChannelKind::Instagram => "Instagram",
        ChannelKind::Webhook => "Webhook",
    }
}

fn source_name(lang: Lang, source: Source) -> &'static str {
    match source {
        Source::Direct => lang.t("Accès direct", "Direct"),
        Source::Site => lang.t("Autres pages du site", "Other pages of the site"),
        Source::Mastodon => "Mastodon",
        Source::Bluesky => "Bluesky",
        Source::Facebook => "Facebook",
        Source::Instagram => "Instagram",
        Source::Search => lang.t("Moteurs de recherche", "Search engines"),
        Source::Other => lang.t("Autres sites", "Other sites"),
    }
}

/// One of the figures a month's totals hold (`None`: not provided).
type TotalsFigure = fn(&Totals) -> Option<u64>;

/// The key figures and the month before's, with the change.
fn key_figures(ctx: &PageContext, report: &MonthlyReport, month: Month) -> Markup {
    let lang = ctx.lang;
    // Each row reads its figure from the month's totals and from the month before's.
    let rows: [(&str, TotalsFigure); 8] = [
        (
            ctx.t("Publications sur les réseaux", "Posts on the networks"),
            |t| Some(t.posts),
        ),
        (
            ctx.t(
                "Interactions (j’aime, partages, réponses, citations)",
                "Engagement (likes, reposts, replies, quotes)",
            ),
            |t| Some(t.engagement),
        ),
        (
            ctx.t(
                "Portée (Facebook et Instagram)",
                "Reach (Facebook and Instagram)",
            ),
            |t| t.reach,
        ),
        (
            ctx.t("Vues des pages publiques", "Public page views"),
            |t| Some(t.views),
        ),
        (
            ctx.t("Votes (sondages et concours)", "Votes (polls and contests)"),
            |t| Some(t.votes),
        ),
        (
            ctx.t("Réponses aux questions", "Answers to questions"),
            |t| Some(t.answers),
        ),
        (
            ctx.t("Participations aux concours", "Contest entries"),
            |t| Some(t.entries),
        ),
        (ctx.t("Avis sur les tutoriels", "Tutorial feedback"), |t| {
            Some(t.feedback)
        }),
    ];
    let this = month_name(lang, month);
    let previous = month_name(lang, month.previous());
    html! {
        section.report-section #chiffres-cles aria-labelledby="chiffres-cles-titre" {
            h2 #chiffres-cles-titre { (ctx.t("Chiffres clés", "Key figures")) }
            table.key-figures {
                caption {
                    (ctx.t("Les chiffres du mois, comparés au mois précédent",
                           "The month's figures, compared with the month before"))
                }
                thead {
                    tr {
                        th scope="col" { (ctx.t("Indicateur", "Figure")) }
                        th scope="col" { (this) }
                        th scope="col" { (previous) }
                        th scope="col" { (ctx.t("Évolution", "Change")) }
                    }
                }
                tbody {
                    @for (label, figure) in rows {
                        @let (now, before) = (figure(&report.totals), figure(&report.previous));
                        tr {
                            th scope="row" { (label) }
                            td { (optional(lang, now)) }
                            td { (optional(lang, before)) }
                            td { (change(lang, now, before)) }
                        }
                    }
                }
            }
        }
    }
}

fn engagement_chart(ctx: &PageContext, id: &str, networks: &[NetworkFigures]) -> BarChart {
    let lang = ctx.lang;
    let total: u64 = networks.iter().map(|n| n.engagement).sum();
    let figures: Vec<String> = networks
        .iter()
        .map(|n| {
            format!(
                "{} {} ({} {})",
                network_name(n.network),
                number(lang, n.engagement),
                number(lang, n.posts),
                lang.t("publications", "posts")
            )
        })
        .collect();
    BarChart {
        id: id.to_owned(),
        title: ctx
            .t("Interactions par réseau", "Engagement per network")
            .to_owned(),
        description: match lang {
            Lang::Fr => format!(
                "{} interactions en tout : {}.",
                number(lang, total),
                figures.join(", ")
            ),
            Lang::En => format!(
                "{} interactions in all: {}.",
                number(lang, total),
                figures.join(", ")
            ),
        },
        caption: ctx
            .t(
                "Les chiffres du graphique : interactions par réseau",
                "The chart's figures: engagement per network",
            )
            .to_owned(),
        category_header: ctx.t("Réseau", "Network").to_owned(),
        series: vec![
            ctx.t("J’aime", "Likes").to_owned(),
            ctx.t("Partages", "Reposts").to_owned(),
            ctx.t("Réponses", "Replies").to_owned(),
            ctx.t("Citations", "Quotes").to_owned(),
        ],
        categories: networks
            .iter()
            .map(|n| Category {
                label: network_name(n.network).to_owned(),
                datetime: None,
                values: vec![
                    n.counts.likes,
                    n.counts.reposts,
                    n.counts.replies,
                    n.counts.quotes,
                ],
            })
            .collect(),
    }
}

/// Each network's posts, engagement and reach, then the top posts.
fn posts_sections(ctx: &PageContext, figures: &PostFigures, top_caption: &str) -> Markup {
    let lang = ctx.lang;
    let chart = engagement_chart(ctx, "interactions", &figures.networks);
    html! {
        section.report-section #reseaux aria-labelledby="reseaux-titre" {
            h2 #reseaux-titre { (ctx.t("Réseaux sociaux", "Social networks")) }
            @if figures.posts == 0 {
                p { (ctx.t("Aucune publication sur cette période.", "No post in this period.")) }
            }
            @if figures.truncated {
                p.note {
                    (ctx.t("Chiffres incomplets : cette période compte plus de publications que ce qu’un rapport lit en une fois, certaines publications manquent.",
                           "Incomplete figures: this period has more posts than a report reads at once, some posts are missing."))
                }
            }
            (chart.figure())
            table {
                caption { (ctx.t("Détail par réseau", "Figures per network")) }
                thead {
                    tr {
                        th scope="col" { (ctx.t("Réseau", "Network")) }
                        th scope="col" { (ctx.t("Publications", "Posts")) }
                        th scope="col" { (ctx.t("Interactions", "Engagement")) }
                        th scope="col" { (ctx.t("Portée", "Reach")) }
                    }
                }
                tbody {
                    @for n in &figures.networks {
                        tr {
                            th scope="row" { (network_name(n.network)) }
                            td { (number(lang, n.posts)) }
                            td { (number(lang, n.engagement)) }
                            td { (optional(lang, n.counts.reach)) }
                        }
                    }
                }
                tfoot {
                    tr {
                        th scope="row" { (ctx.t("Total", "Total")) }
                        td { (number(lang, figures.posts)) }
                        td { (number(lang, figures.engagement)) }
                        td { (optional(lang, figures.counts.reach)) }
                    }
                }
            }
            p.note {
                (ctx.t(
                    "Publications : une par réseau où la publication est parue (le total compte chaque publication une fois). Portée : le nombre de comptes atteints, que seuls Facebook et Instagram communiquent.",
                    "Posts: one per network the post went out on (the total counts each post once). Reach: the number of accounts reached, which only Facebook and Instagram give.",
                ))
            }
        }
        section.report-section #meilleures-publications aria-labelledby="meilleures-titre" {
            h2 #meilleures-titre {
                (ctx.t("Publications les plus performantes", "Best performing posts"))
            }
            @if figures.top_posts.is_empty() {
                p { (ctx.t("Aucune publication sur cette période.", "No post in this period.")) }
            } @else {
                table.top-posts {
                    caption { (top_caption) }
                    thead {
                        tr {
                            th scope="col" { (ctx.t("Rang", "Rank")) }
                            th scope="col" { (ctx.t("Publication", "Post")) }
                            th scope="col" { (ctx.t("Réseau", "Network")) }
                            th scope="col" { (ctx.t("Date", "Date")) }
                            th scope="col" { (ctx.t("J’aime", "Likes")) }
                            th scope="col" { (ctx.t("Partages", "Reposts")) }
                            th scope="col" { (ctx.t("Réponses", "Replies")) }
                            th scope="col" { (ctx.t("Citations", "Quotes")) }
                            th scope="col" { (ctx.t("Interactions", "Engagement")) }
                            th scope="col" { (ctx.t("Portée", "Reach")) }
                        }
                    }
                    tbody {
                        @for (rank, post) in figures.top_posts.iter().enumerate() {
                            @let date = post.published_at.date();
                            tr {
                                td { (rank + 1) }
                                th scope="row" {
                                    @if post.url.starts_with("https://") {
                                        a.print-url href=(post.url) rel="noopener" { (post.excerpt) }
                                    } @else {
                                        (post.excerpt)
                                    }
                                }
                                td { (network_name(post.network)) }
                                td { time datetime=(date) { (date) } }
                                (count_cells(lang, &post.counts))
                                td { (number(lang, post.engagement)) }
                                td { (optional(lang, post.counts.reach)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn count_cells(lang: Lang, counts: &Counts) -> Markup {
    html! {
        td { (number(lang, counts.likes)) }
        td { (number(lang, counts.reposts)) }
        td { (number(lang, counts.replies)) }
        td { (number(lang, counts.quotes)) }
    }
}

fn participation_chart(ctx: &PageContext, from: Day, to: Day, p: &Participation) -> BarChart {
    let lang = ctx.lang;
    BarChart {
        id: "participation".to_owned(),
        title: ctx
            .t("Participation par jour", "Participation per day")
            .to_owned(),
        description: match lang {
            Lang::Fr => format!(
                "Du {} au {} : {} votes, {} réponses, {} participations aux concours, {} avis sur les tutoriels.",
                from, to, p.votes, p.answers, p.entries, p.feedback
            ),
            Lang::En => format!(
                "From {} to {}: {} votes, {} answers, {} contest entries, {} tutorial feedback.",
                from, to, p.votes, p.answers, p.entries, p.feedback
            ),
        },
        caption: ctx
            .t(
                "Les chiffres du graphique : participation par jour",
                "The chart's figures: participation per day",
            )
            .to_owned(),
        category_header: ctx.t("Jour", "Day").to_owned(),
        series: vec![
            ctx.t("Votes", "Votes").to_owned(),
            ctx.t("Réponses", "Answers").to_owned(),
            ctx.t("Participations", "Entries").to_owned(),
            ctx.t("Avis", "Feedback").to_owned(),
        ],
        categories: p
            .days
            .iter()
            .map(|d| Category::day(d.day, vec![d.votes, d.answers, d.entries, d.feedback]))
            .collect(),
    }
}

fn participation_section(ctx: &PageContext, report: &MonthlyReport) -> Markup {
    let lang = ctx.lang;
    let p = &report.participation;
    let chart = participation_chart(ctx, report.from, report.to, p);
    html! {
        section.report-section #participation aria-labelledby="participation-titre" {
            h2 #participation-titre { (ctx.t("Participation du public", "Public participation")) }
            ul.key-list {
                li { strong { (number(lang, p.votes)) } " " (ctx.t("votes (sondages et concours)", "votes (polls and contests)")) }
                li { strong { (number(lang, p.answers)) } " " (ctx.t("réponses aux questions", "answers to questions")) }
                li { strong { (number(lang, p.entries)) } " " (ctx.t("participations aux concours", "contest entries")) }
                li { strong { (number(lang, p.feedback)) } " " (ctx.t("avis sur les tutoriels", "tutorial ratings and comments")) }
            }
            (chart.figure())
        }
    }
}

/// Views per day, and per source.
fn audience_charts(ctx: &PageContext, from: Day, to: Day, a: &Audience) -> (BarChart, BarChart) {
    let lang = ctx.lang;
    let busiest = a
        .days
        .iter()
        .max_by_key(|d| d.views)
        .filter(|d| d.views > 0);
    let per_day = BarChart {
        id: "vues-jour".to_owned(),
        title: ctx
            .t("Vues des pages par jour", "Page views per day")
            .to_owned(),
        description: match lang {
            Lang::Fr => format!(
                "Du {} au {} : {} vues.{}",
                from,
                to,
                number(lang, a.views),
                busiest
                    .map(|d| format!(" Jour le plus fréquenté : {} ({} vues).", d.day, d.views))
                    .unwrap_or_default()
            ),
            Lang::En => format!(
                "From {} to {}: {} views.{}",
                from,
                to,
                number(lang, a.views),
                busiest
                    .map(|d| format!(" Busiest day: {} ({} views).", d.day, d.views))
                    .unwrap_or_default()
            ),
        },
        caption: ctx
            .t(
                "Les chiffres du graphique : vues par jour",
                "The chart's figures: views per day",
            )
            .to_owned(),
        category_header: ctx.t("Jour", "Day").to_owned(),
        series: vec![ctx.t("Vues", "Views").to_owned()],
        categories: a
            .days
            .iter()
            .map(|d| Category::day(d.day, vec![d.views]))
            .collect(),
    };
    let sources: Vec<String> = a
        .by_source
        .iter()
        .map(|(s, v)| format!("{} {}", source_name(lang, *s), number(lang, *v)))
        .collect();
    let per_source = BarChart {
        id: "vues-source".to_owned(),
        title: ctx
            .t("D’où viennent les visiteurs", "Where visitors come from")
            .to_owned(),
        description: format!("{}.", sources.join(", ")),
        caption: ctx
            .t(
                "Les chiffres du graphique : vues par provenance",
                "The chart's figures: views per source",
            )
            .to_owned(),
        category_header: ctx.t("Provenance", "Source").to_owned(),
        series: vec![ctx.t("Vues", "Views").to_owned()],
        categories: a
            .by_source
            .iter()
            .map(|(s, v)| Category {
                label: source_name(lang, *s).to_owned(),
                datetime: None,
                values: vec![*v],
            })
            .collect(),
    };
    (per_day, per_source)
}

fn audience_section(ctx: &PageContext, report: &MonthlyReport) -> Markup {
    let lang = ctx.lang;
    let a = &report.audience;
    let (per_day, per_source) = audience_charts(ctx, report.from, report.to, a);
    html! {
        section.report-section #frequentation aria-labelledby="frequentation-titre" {
            h2 #frequentation-titre { (ctx.t("Fréquentation des pages", "Page views")) }
            p {
                strong { (number(lang, a.views)) } " "
                (ctx.t("vues des pages publiques de Kiosque (sondages, vitrines, événements, tutoriels…), sans cookie ni donnée personnelle, robots exclus.",
                       "views of Kiosque's public pages (polls, showcases, events, tutorials…), without cookies or personal data, bots left out."))
            }
            @if a.truncated {
                p.note {
                    (ctx.t("Chiffres incomplets : ce mois-ci a compté plus de pages distinctes que ce qu’un rapport lit en une fois, les vues de certaines pages manquent.",
                           "Incomplete figures: this month counted more distinct pages than a report reads at once, the views of some pages are missing."))
                }
            }
            (per_day.figure())
            (per_source.figure())
            h3 { (ctx.t("Pages les plus vues", "Most viewed pages")) }
            @if a.top_pages.is_empty() {
                p { (ctx.t("Aucune vue sur cette période.", "No view in this period.")) }
            } @else {
                table {
                    caption {
                        (ctx.t("Les pages les plus vues", "The most viewed pages"))
                        " (" (a.top_pages.len()) " / " (a.pages) ")"
                    }
                    thead {
                        tr {
                            th scope="col" { (ctx.t("Page", "Page")) }
                            th scope="col" { (ctx.t("Vues", "Views")) }
                            th scope="col" { "Mastodon" }
                            th scope="col" { "Bluesky" }
                            th scope="col" { "Facebook" }
                            th scope="col" { "Instagram" }
                        }
                    }
                    tbody {
                        @for page in &a.top_pages {
                            @let from = |s: Source| number(lang, page.by_source.get(&s).copied().unwrap_or(0));
                            tr {
                                th scope="row" { a href=(page.path) { (page.path) } }
                                td { (number(lang, page.total)) }
                                td { (from(Source::Mastodon)) }
                                td { (from(Source::Bluesky)) }
                                td { (from(Source::Facebook)) }
                                td { (from(Source::Instagram)) }
                            }
                        }
                    }
                }
            }
            @if !a.mastodon_servers.is_empty() {
                h3 { (ctx.t("Serveurs Mastodon", "Mastodon servers")) }
                table {
                    caption { (ctx.t("Les serveurs Mastodon d’où viennent les visiteurs", "The Mastodon servers visitors come from")) }
                    thead {
                        tr {
                            th scope="col" { (ctx.t("Serveur", "Server")) }
                            th scope="col" { (ctx.t("Vues", "Views")) }
                        }
                    }
                    tbody {
                        @for (server, views) in &a.mastodon_servers {
                            tr { th scope="row" { (server) } td { (number(lang, *views)) } }
                        }
                    }
                }
            }
        }
    }
}

/// Links that make sense on screen only (hidden in print).
fn downloads(ctx: &PageContext, links: &[(String, &str)], console: &str) -> Markup {
    html! {
        nav.report-actions aria-label=(ctx.t("Téléchargements", "Downloads")) {
            ul {
                @for (href, label) in links {
                    li { a href=(href) download { (label) } }
                }
                li { a href=(console) { (ctx.t("Retour à la console", "Back to the console")) } }
            }
        }
    }
}

fn bad_month() -> PageError {
    PageError::new(
        400,
        "invalid_request",
        [
            "Mois invalide",
            "Le mois s’écrit AAAA-MM, par exemple 2026-11.",
        ],
        [
            "Invalid month",
            "The month is written YYYY-MM, for example 2026-11.",
        ],
    )
    .with_link(
        "/admin/#/reports",
        "Retour aux rapports",
        "Back to the reports",
    )
}

/// `GET /reports/monthly/:month`: the month's printable activity report.
pub fn monthly(req: Request, params: Params) -> Result<Response, PageError> {
    let month = api::month(&params);
    let hash = match &month {
        Ok(month) => format!("/reports/{month}"),
        Err(_) => "/reports".to_owned(),
    };
    if let Some(refusal) = refuse_unless_staff(&req, &hash) {
        return refusal;
    }
    let Ok(month) = month else {
        return Err(bad_month());
    };
    let store = SpinStore::open_default().map_err(PageError::internal)?;
    let report = reports::monthly(&store, month)?;
    let ctx = PageContext::from_request(&req);
    let lang = ctx.lang;
    let name = month_name(lang, month);
    let title = match lang {
        Lang::Fr => format!("Rapport d’activité : {name}"),
        Lang::En => format!("Activity report: {name}"),
    };
    let csv = |what: &str| format!("/api/reports/monthly/{month}/{what}.csv");
    let top_caption = ctx
        .t(
            "Les dix publications du mois qui ont suscité le plus d’interactions",
            "The month's ten posts with the most engagement",
        )
        .to_owned();
    let body = html! {
        article.report {
            h1 { (title) }
            p.report-period {
                (ctx.library_name) " · "
                (match lang {
                    Lang::Fr => format!("du {} au {}", day_name(lang, report.from), day_name(lang, report.to)),
                    Lang::En => format!("from {} to {}", day_name(lang, report.from), day_name(lang, report.to)),
                })
            }
            (downloads(&ctx, &[
                (csv("posts"), ctx.t("Publications (CSV)", "Posts (CSV)")),
                (csv("pages"), ctx.t("Pages vues (CSV)", "Page views (CSV)")),
                (csv("days"), ctx.t("Jour par jour (CSV)", "Day by day (CSV)")),
            ], &format!("/admin/#/reports/{month}")))
            (key_figures(&ctx, &report, month))
            (posts_sections(&ctx, &report.posts, &top_caption))
            (participation_section(&ctx, &report))
            (audience_section(&ctx, &report))
        }
    };
    let description = match lang {
        Lang::Fr => format!(
            "{} : {} publications, {} interactions, {} vues des pages, {} votes.",
            name,
            report.totals.posts,
            report.totals.engagement,
            report.totals.views,
            report.totals.votes
        ),
        Lang::En => format!(
            "{}: {} posts, {} interactions, {} page views, {} votes.",
            name,
            report.totals.posts,
            report.totals.engagement,
            report.totals.views,
            report.totals.votes
        ),
    };
    Ok(respond(&ctx, title, description, body))
}

/// `GET /reports/monthly/:month/charts/:chart`: one of the monthly report's charts as a
/// standalone SVG image (`engagement.svg`, `participation.svg`, `views.svg`, `sources.svg`),
/// for the console, which follows it with the same figures as a table.
pub fn monthly_chart(req: Request, params: Params) -> Result<Response, PageError> {
    let month = api::month(&params);
    if let Some(refusal) = refuse_unless_staff(&req, "/reports") {
        return refusal;
    }
    let Ok(month) = month else {
        return Err(bad_month());
    };
    let name = params.get("chart").unwrap_or_default();
    if !matches!(
        name,
        "engagement.svg" | "participation.svg" | "views.svg" | "sources.svg"
    ) {
        return Err(PageError::not_found());
    }
    let store = SpinStore::open_default().map_err(PageError::internal)?;
    let ctx = PageContext::from_request(&req);
    // Each image reads only what it draws: the console shows four of them at once.
    let (from, to) = (month.first_day(), month.last_day());
    let chart = match name {
        "engagement.svg" => {
            let posts = reports::month_posts(&store, month)?;
            engagement_chart(&ctx, "interactions", &posts.networks)
        }
        "participation.svg" => {
            let participation = reports::month_participation(&store, month)?;
            participation_chart(&ctx, from, to, &participation)
        }
        "views.svg" => audience_charts(&ctx, from, to, &reports::month_audience(&store, month)?).0,
        _ => audience_charts(&ctx, from, to, &reports::month_audience(&store, month)?).1,
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", "image/svg+xml; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .header("content-security-policy", "default-src 'none'")
        .header("vary", "accept-language, cookie")
        .body(chart.svg().into_string())
        .build())
}

fn campaign_figures(ctx: &PageContext, report: &CampaignReport) -> Markup {
    let lang = ctx.lang;
    let posts = &report.posts;
    let rows = [
        (
            ctx.t("Publications sur les réseaux", "Posts on the networks"),
            Some(posts.posts),
        ),
        (ctx.t("Interactions", "Engagement"), Some(posts.engagement)),
        (ctx.t("J’aime", "Likes"), Some(posts.counts.likes)),
        (ctx.t("Partages", "Reposts"), Some(posts.counts.reposts)),
        (ctx.t("Réponses", "Replies"), Some(posts.counts.replies)),
        (ctx.t("Citations", "Quotes"), Some(posts.counts.quotes)),
        (
            ctx.t(
                "Portée (Facebook et Instagram)",
                "Reach (Facebook and Instagram)",
            ),
            posts.counts.reach,
        ),
        (
            ctx.t("Mentions reçues", "Mentions received"),
            Some(report.mentions),
        ),
    ];
    html! {
        section.report-section #chiffres-cles aria-labelledby="chiffres-cles-titre" {
            h2 #chiffres-cles-titre { (ctx.t("Chiffres clés", "Key figures")) }
            table.key-figures {
                caption { (ctx.t("Les chiffres de la campagne", "The campaign's figures")) }
                thead {
                    tr {
                        th scope="col" { (ctx.t("Indicateur", "Figure")) }
                        th scope="col" { (ctx.t("Valeur", "Value")) }
                    }
                }
                tbody {
                    @for (label, value) in rows {
                        tr { th scope="row" { (label) } td { (optional(lang, value)) } }
                    }
                }
            }
        }
    }
}

/// `GET /reports/campaigns/:id`: a campaign's printable report.
pub fn campaign(req: Request, params: Params) -> Result<Response, PageError> {
    let id = api::campaign_id(&params);
    let hash = match &id {
        Ok(id) => format!("/campaigns/{id}"),
        Err(_) => "/campaigns".to_owned(),
    };
    if let Some(refusal) = refuse_unless_staff(&req, &hash) {
        return refusal;
    }
    let id = id?;
    let store = SpinStore::open_default().map_err(PageError::internal)?;
    let report = reports::campaign(&store, &id, campaigns::today(&SystemClock))?;
    let ctx = PageContext::from_request(&req);
    let lang = ctx.lang;
    let c = &report.campaign;
    let title = match lang {
        Lang::Fr => format!("Rapport de campagne : {}", c.name),
        Lang::En => format!("Campaign report: {}", c.name),
    };
    let top_caption = ctx
        .t(
            "Les dix publications de la campagne qui ont suscité le plus d’interactions",
            "The campaign's ten posts with the most engagement",
        )
        .to_owned();
    let body = html! {
        article.report {
            h1 { (title) }
            p.report-period {
                (ctx.library_name) " · "
                (match lang {
                    Lang::Fr => format!("du {} au {}", day_name(lang, c.starts_on), day_name(lang, c.ends_on)),
                    Lang::En => format!("from {} to {}", day_name(lang, c.starts_on), day_name(lang, c.ends_on)),
                })
            }
            (downloads(&ctx, &[
                (format!("/api/reports/campaigns/{}/posts.csv", c.id), ctx.t("Publications (CSV)", "Posts (CSV)")),
            ], &format!("/admin/#/campaigns/{}", c.id)))
            (campaign_figures(&ctx, &report))
            (posts_sections(&ctx, &report.posts, &top_caption))
        }
    };
    let description = match lang {
        Lang::Fr => format!(
            "{} : {} publications, {} interactions, {} mentions reçues.",
            c.name, report.posts.posts, report.posts.engagement, report.mentions
        ),
        Lang::En => format!(
            "{}: {} posts, {} interactions, {} mentions received.",
            c.name, report.posts.posts, report.posts.engagement, report.mentions
        ),
    };
    Ok(respond(&ctx, title, description, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_grouped_and_missing_reach_is_said() {
        assert_eq!(number(Lang::Fr, 1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(Lang::En, 1234), "1,234");
        assert_eq!(number(Lang::En, 123), "123");
        assert_eq!(optional(Lang::Fr, None), "non communiqué");
        assert_eq!(optional(Lang::En, None), "not provided");
        assert_eq!(change(Lang::En, Some(3), Some(5)), "−2");
        assert_eq!(change(Lang::En, Some(5), Some(5)), "+0");
        assert_eq!(change(Lang::En, None, Some(5)), "—");
        let month = Month::parse("2026-08").unwrap();
        assert_eq!(month_name(Lang::Fr, month), "août 2026");
        assert_eq!(day_name(Lang::Fr, month.first_day()), "1er août 2026");
        assert_eq!(day_name(Lang::En, month.last_day()), "August 31, 2026");
    }
}
