//! Campaigns over HTTP: the staff API (`/api/campaigns/...`, admin token, JSON bodies), the
//! engagement chart, the wall's moderation queue, and the public walls `/campaigns/:slug`
//! (with an embeddable variant). The rules live in `kiosque_domain::campaigns`.

use kiosque_domain::campaigns::engagement::{self, Engagement};
use kiosque_domain::campaigns::wall::{self, WallItem};
use kiosque_domain::campaigns::{
    self, Campaign, CampaignError, CampaignId, CampaignRequest, CampaignSlug, LinkKind, NewCampaign,
};
use kiosque_domain::moderation::{Decision, ModerationRequest, Status};
use kiosque_domain::posts::{Post, TargetStatus};
use kiosque_spin::auth::Permission;
use kiosque_spin::form::{api_query_u64, query_u64};
use kiosque_spin::html::layout::{self, PageContext, PageMeta, base_url};
use kiosque_spin::html::patron::{pagination, patron_name, patron_text};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::{conditional, html, html_embeddable, json};
use kiosque_spin::{ApiError, Lang, PageError, SpinStore, SystemClock, auth, form, ids};
use serde::Serialize;
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

/// Public pages may be cached briefly: a newly approved post shows within a minute.
const PUBLIC_CACHE: &str = "public, max-age=60";

fn campaign_id(params: &Params) -> Result<CampaignId, ApiError> {
    params
        .get("id")
        .and_then(|id| CampaignId::parse(id).ok())
        .ok_or_else(|| CampaignError::NotFound.into())
}

/// Staff writes: editors and administrators (the same-site check comes with it).
fn staff_write(req: &Request) -> Result<(), ApiError> {
    auth::require(req, Permission::Edit).map(drop)
}

/// A campaign as the API shows it: the stored campaign, its public addresses and the
/// hashtags staff may want to retype in CamelCase.
#[derive(Serialize)]
struct CampaignResponse<'a> {
    #[serde(flatten)]
    campaign: &'a Campaign,
    url: String,
    embed_url: String,
    warnings: Vec<String>,
}

fn campaign_response<'a>(req: &Request, campaign: &'a Campaign) -> CampaignResponse<'a> {
    let base = base_url(req);
    CampaignResponse {
        url: format!("{base}/campaigns/{}", campaign.slug),
        embed_url: format!("{base}/campaigns/{}/embed", campaign.slug),
        warnings: campaign.hashtag_warnings(),
        campaign,
    }
}

/// `POST /api/campaigns` (admin): 201 with the campaign and its public addresses.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    staff_write(&req)?;
    let new = NewCampaign::parse(parse_body::<CampaignRequest>(&req)?)?;
    let store = SpinStore::open_default()?;
    let id = CampaignId::generate(ids::random_bytes()?);
    let campaign = campaigns::create(&store, &SystemClock, id, new)?;
    let mut response = json(201, &campaign_response(&req, &campaign));
    response.set_header(
        "location",
        format!("{}/api/campaigns/{}", base_url(&req), campaign.id),
    );
    Ok(response)
}

/// `PUT /api/campaigns/:id` (admin): every field but the slug, which stays.
pub fn edit(req: Request, params: Params) -> Result<Response, ApiError> {
    staff_write(&req)?;
    let id = campaign_id(&params)?;
    let new = NewCampaign::parse(parse_body::<CampaignRequest>(&req)?)?;
    let store = SpinStore::open_default()?;
    let campaign = campaigns::update(&store, &SystemClock, &id, new)?;
    Ok(json(200, &campaign_response(&req, &campaign)))
}

/// `GET /api/campaigns` (admin): every campaign, newest first.
pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    let base = base_url(&req);
    let items: Vec<_> = campaigns::list(&store)?
        .into_iter()
        .map(|c| {
            let url = format!("{base}/campaigns/{}", c.slug);
            json_value!({ "campaign": c, "url": url })
        })
        .collect();
    Ok(json(200, &json_value!({ "campaigns": items })))
}

/// One of the campaign's posts on the staff page: its state and where it went out.
#[derive(Serialize)]
struct CampaignPost<'a> {
    id: String,
    state: &'static str,
    text: &'a str,
    published: Vec<serde_json::Value>,
}

fn campaign_post(post: &Post) -> CampaignPost<'_> {
    CampaignPost {
        id: post.id.to_string(),
        state: post.state.name().as_str(),
        text: &post.content.text,
        published: post
            .targets
            .iter()
            .filter_map(|t| match &t.status {
                TargetStatus::Published { url, at, .. } => Some(json_value!({
                    "channel": t.channel, "url": url, "at": at,
                })),
                _ => None,
            })
            .collect(),
    }
}

/// `GET /api/campaigns/:id?page=n` (admin): the campaign, a page of its posts with their
/// platform links, its engagement over its dates (up to today) and its pending mentions.
pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = campaign_id(&params)?;
    let store = SpinStore::open_default()?;
    let campaign = campaigns::get(&store, &id)?;
    let posts =
        kiosque_domain::posts::by_campaign::page(&store, &id, api_query_u64(&req, "page", 1)?)?;
    let (from, to) = engagement::default_range(&campaign, campaigns::today(&SystemClock));
    let stats = engagement::read(&store, &campaign, from, to)?;
    let base = base_url(&req);
    Ok(json(
        200,
        &json_value!({
            "campaign": campaign_response(&req, &campaign),
            "posts": posts.items.iter().map(campaign_post).collect::<Vec<_>>(),
            "posts_page": posts.page,
            "posts_next_page": posts.next_page,
            "engagement": stats,
            "chart_url": format!("{base}/api/campaigns/{id}/engagement.svg"),
            "queue_url": format!("{base}/api/campaigns/{id}/queue?status=pending"),
        }),
    ))
}

/// `from`/`to` (`YYYY-MM-DD`, together) or the campaign's default range.
fn range(
    req: &Request,
    campaign: &Campaign,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
    let query = req.query();
    let date = |name: &str, text: &str| {
        kiosque_domain::zone::parse_date(name, text)
            .map_err(|message| ApiError::new(400, "invalid_query", message))
    };
    match (
        form::query_param(query, "from"),
        form::query_param(query, "to"),
    ) {
        (None, None) => Ok(engagement::default_range(
            campaign,
            campaigns::today(&SystemClock),
        )),
        (Some(from), Some(to)) => Ok((date("from", &from)?, date("to", &to)?)),
        _ => Err(ApiError::new(
            400,
            "invalid_query",
            "from, to: give both or neither",
        )),
    }
}

fn read_engagement(req: &Request, params: &Params) -> Result<Engagement, ApiError> {
    let id = campaign_id(params)?;
    let store = SpinStore::open_default()?;
    let campaign = campaigns::get(&store, &id)?;
    let (from, to) = range(req, &campaign)?;
    Ok(engagement::read(&store, &campaign, from, to)?)
}

/// `GET /api/campaigns/:id/engagement?from=&to=` (admin): mentions received and posts
/// published per day, in total and per hashtag.
pub fn engagement(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    Ok(json(200, &read_engagement(&req, &params)?))
}

/// `GET /api/campaigns/:id/engagement.svg?from=&to=` (admin): the same figures as a small
/// accessible bar chart (`role="img"`, `<title>`, `<desc>` summing them up).
pub fn engagement_svg(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let stats = read_engagement(&req, &params)?;
    let (lang, _) = Lang::negotiate(&req);
    Ok(Response::builder()
        .status(200)
        .header("content-type", "image/svg+xml; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .header("content-security-policy", "default-src 'none'")
        .body(chart::svg(&stats, lang))
        .build())
}

/// `GET /api/campaigns/:id/engagement.html?from=&to=` (admin): the chart inside a `<figure>`
/// with the data table that is its text alternative, for the staff console to embed.
pub fn engagement_html(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let stats = read_engagement(&req, &params)?;
    let (lang, _) = Lang::negotiate(&req);
    let mut response = html(200, chart::figure(&stats, lang).into_string());
    response.set_header("cache-control", "no-store");
    Ok(response)
}

/// `GET /api/campaigns/:id/queue?status=pending&page=n` (admin): the campaign's mentions,
/// newest first, with their status and the staff-only rejection reason.
pub fn queue(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = campaign_id(&params)?;
    let status = match form::query_param(req.query(), "status").as_deref() {
        None | Some("") | Some("all") => None,
        Some("pending") => Some(Status::Pending),
        Some("approved") => Some(Status::Approved),
        Some("rejected") => Some(Status::Rejected),
        Some(_) => {
            return Err(ApiError::new(
                400,
                "invalid_query",
                "status: expected pending, approved, rejected or all",
            ));
        }
    };
    let store = SpinStore::open_default()?;
    campaigns::get(&store, &id)?;
    let page = wall::queue(
        &store,
        &id,
        status,
        api_query_u64(&req, "page", 1)?,
        api_query_u64(&req, "per_page", 50)?,
    )?;
    Ok(json(200, &page))
}

/// `POST /api/campaigns/:id/mentions/:seq/moderation` `{"decision","reason"?}` (admin).
pub fn moderate(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = campaign_id(&params)?;
    let seq = params
        .get("seq")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&n| n >= 1)
        .ok_or(CampaignError::MentionNotFound)?;
    let decision =
        Decision::parse(parse_body::<ModerationRequest>(&req)?).map_err(CampaignError::Invalid)?;
    let store = SpinStore::open_default()?;
    let item = wall::moderate(&store, &SystemClock, &id, seq, decision)?;
    Ok(json(200, &item))
}

// --- public pages ---------------------------------------------------------------------------

/// Where the wall is shown: the full page, or inside another site's iframe.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Page,
    Embed,
}

fn load(params: &Params) -> Result<(SpinStore, Campaign), PageError> {
    let slug = params
        .get("slug")
        .and_then(|s| CampaignSlug::parse(s).ok())
        .ok_or_else(PageError::not_found)?;
    let store = SpinStore::open_default()?;
    let campaign = campaigns::by_slug(&store, &slug)?;
    Ok((store, campaign))
}

/// `GET /campaigns/:slug?page=n`: the campaign, its hashtags and the approved posts of
/// patrons, newest first.
pub fn page(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let (store, campaign) = load(&params)?;
    let wall = wall::wall_page(
        &store,
        &campaign.id,
        query_u64(&req, "page", 1),
        wall::PER_PAGE,
    )?;
    let body = html! {
        (intro(&ctx, &campaign))
        (wall_list(&ctx, &campaign, &wall, Frame::Page))
        (embed_snippet(&ctx, &campaign))
    };
    let meta = PageMeta {
        title: campaign.name.clone(),
        description: description(&ctx, &campaign),
        og_type: "website",
        json_ld: Some(json_ld(&ctx, &campaign, &wall)),
        ..PageMeta::default()
    };
    Ok(conditional(
        &req,
        html(200, layout::page(&ctx, &meta, body)),
        PUBLIC_CACHE,
    ))
}

/// `GET /campaigns/:slug/embed?page=n`: the wall for other sites' iframes.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let (store, campaign) = load(&params)?;
    let wall = wall::wall_page(
        &store,
        &campaign.id,
        query_u64(&req, "page", 1),
        wall::PER_PAGE,
    )?;
    let body = html! {
        h1 lang=[staff_lang(&ctx)] { (campaign.name) }
        (hashtag_list(&ctx, &campaign))
        (wall_list(&ctx, &campaign, &wall, Frame::Embed))
        p.embed-credit {
            a href=(ctx.absolute(&format!("/campaigns/{}", campaign.slug)))
                target="_blank" rel="noopener" { (ctx.library_name) }
        }
    };
    Ok(conditional(
        &req,
        html_embeddable(200, layout::embed_page(&ctx, &campaign.name, body)),
        PUBLIC_CACHE,
    ))
}

/// Staff write campaigns in French: `lang="fr"` on their text when the page is in English.
fn staff_lang(ctx: &PageContext) -> Option<&'static str> {
    (ctx.lang != Lang::Fr).then_some("fr")
}

fn description(ctx: &PageContext, campaign: &Campaign) -> String {
    let first_line = campaign.description.lines().next().unwrap_or("").trim();
    if !first_line.is_empty() {
        return first_line.chars().take(200).collect();
    }
    let tags: Vec<String> = campaign.hashtags.iter().map(|t| t.to_string()).collect();
    match ctx.lang {
        Lang::Fr => format!(
            "Une campagne de la {} : partagez vos publications avec {}.",
            ctx.library_name,
            tags.join(" ")
        ),
        Lang::En => format!(
            "A campaign by {}: share your posts with {}.",
            ctx.library_name,
            tags.join(" ")
        ),
    }
}

/// The hashtags in CamelCase, so screen readers read their words.
fn hashtag_list(ctx: &PageContext, campaign: &Campaign) -> Markup {
    html! {
        h2 id="hashtags" { (ctx.t("Mots-dièse de la campagne", "Campaign hashtags")) }
        ul.hashtags aria-labelledby="hashtags" {
            @for tag in &campaign.hashtags {
                li lang="fr" { (tag) }
            }
        }
    }
}

fn link_label(ctx: &PageContext, kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Poll => ctx.t("Le sondage", "The poll"),
        LinkKind::Contest => ctx.t("Le concours", "The contest"),
        LinkKind::Showcase => ctx.t("La vitrine", "The showcase"),
        LinkKind::Tutorial => ctx.t("Le tutoriel", "The tutorial"),
    }
}

fn date(ctx: &PageContext, day: chrono::NaiveDate) -> Markup {
    let text = match ctx.lang {
        Lang::Fr => day.format("%d/%m/%Y"),
        Lang::En => day.format("%Y-%m-%d"),
    };
    html! { time datetime=(day.format("%Y-%m-%d")) { (text) } }
}

fn intro(ctx: &PageContext, campaign: &Campaign) -> Markup {
    let paragraphs = campaign
        .description
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty());
    html! {
        p.kicker { (ctx.t("Campagne", "Campaign")) }
        h1 lang=[staff_lang(ctx)] { (campaign.name) }
        p {
            (ctx.t("Du", "From")) " " (date(ctx, campaign.starts_on)) " "
            (ctx.t("au", "to")) " " (date(ctx, campaign.ends_on))
        }
        @for paragraph in paragraphs {
            p lang=[staff_lang(ctx)] {
                @for (i, line) in paragraph.split('\n').enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
        (hashtag_list(ctx, campaign))
        p {
            (ctx.t(
                "Publiez avec l’un de ces mots-dièse sur Mastodon, Bluesky ou Instagram : après relecture par l’équipe, votre publication peut apparaître ici.",
                "Post with one of these hashtags on Mastodon, Bluesky or Instagram: once the team has reviewed it, your post may appear here.",
            ))
        }
        @if !campaign.links.is_empty() {
            h2 id="aussi" { (ctx.t("À découvrir aussi", "See also")) }
            ul aria-labelledby="aussi" {
                @for l in &campaign.links {
                    li { a href=(ctx.link(&l.path)) { (link_label(ctx, l.kind)) } }
                }
            }
        }
    }
}

/// A link to a patron's post or profile: not endorsed (`nofollow ugc`), and opening a new tab
/// from an embed (the framing page stays).
fn patron_link(href: &str, label: Markup, frame: Frame) -> Markup {
    html! {
        a href=(href) rel="nofollow ugc noopener"
            target=[(frame == Frame::Embed).then_some("_blank")] { (label) }
    }
}

/// What a post's images show, as their authors described them.
fn media_alt(ctx: &PageContext, alts: &[String]) -> Markup {
    html! {
        @if !alts.is_empty() {
            ul.media-alt {
                @for alt in alts {
                    @let alt = alt.trim();
                    li {
                        @if alt.is_empty() {
                            (ctx.t("Image sans description", "Image without a description"))
                        } @else {
                            (ctx.t("Image :", "Image:")) " " span dir="auto" { (alt) }
                        }
                    }
                }
            }
        }
    }
}

fn wall_item(ctx: &PageContext, item: &WallItem, frame: Frame) -> Markup {
    let m = &item.mention;
    let name = if m.author_name.trim().is_empty() {
        patron_name(&m.author_handle)
    } else {
        patron_name(&m.author_name)
    };
    let handle = !m.author_handle.is_empty() && !m.author_name.trim().is_empty();
    html! {
        li id={ "m" (item.seq) } {
            article {
                p.byline {
                    @match &m.author_url {
                        Some(url) => (patron_link(url.as_str(), name, frame)),
                        None => (name),
                    }
                    @if handle {
                        " " span.handle { (patron_name(&m.author_handle)) }
                    }
                    " · " (m.platform.label()) " · "
                    time datetime=(m.created_at) { (m.created_at.date()) }
                }
                p dir="auto" { (patron_text(&m.text)) }
                (media_alt(ctx, &m.media_alt))
                @if let Some(url) = &m.url {
                    @let label = html! { (ctx.t("Voir sur", "See on")) " " (m.platform.label()) };
                    p { (patron_link(url.as_str(), label, frame)) }
                }
            }
        }
    }
}

fn wall_list(
    ctx: &PageContext,
    campaign: &Campaign,
    wall: &wall::WallPage,
    frame: Frame,
) -> Markup {
    let pages = wall.total.div_ceil(wall::PER_PAGE).max(1);
    let path = match frame {
        Frame::Page => format!("/campaigns/{}", campaign.slug),
        Frame::Embed => format!("/campaigns/{}/embed", campaign.slug),
    };
    html! {
        h2 id="mur" {
            (ctx.t("Publications des participants", "Posts from participants"))
            " (" (wall.total) ")"
        }
        @if wall.items.is_empty() {
            p { (ctx.t("Aucune publication pour l’instant.", "No posts yet.")) }
        } @else {
            ol.wall {
                @for item in &wall.items { (wall_item(ctx, item, frame)) }
            }
        }
        (pagination(ctx, wall.page, pages, |n| ctx.link(&format!("{path}?page={n}#mur"))))
    }
}

/// The code to paste in another site to show the wall, shown as text to copy.
fn embed_snippet(ctx: &PageContext, campaign: &Campaign) -> Markup {
    let code = html! {
        iframe src=(ctx.absolute(&format!("/campaigns/{}/embed", campaign.slug)))
            title=(campaign.name) width="100%" height="600" loading="lazy" {}
    };
    html! {
        h2 id="integrer" { (ctx.t("Intégrer ce mur", "Embed this wall")) }
        div.field {
            label for="embed-code" {
                (ctx.t("Code à copier dans votre site", "Code to paste into your site"))
            }
            // The snippet's HTML is the textarea's text: escaped once more.
            textarea id="embed-code" readonly rows="3" { (code.into_string()) }
        }
    }
}

fn json_ld(ctx: &PageContext, campaign: &Campaign, wall: &wall::WallPage) -> serde_json::Value {
    let posts: Vec<_> = wall
        .items
        .iter()
        .map(|item| {
            let m = &item.mention;
            json_value!({
                "@type": "SocialMediaPosting",
                "headline": m.text.chars().take(110).collect::<String>(),
                "datePublished": m.created_at,
                "url": m.url.as_ref().map(|u| u.as_str()),
                "author": {"@type": "Person", "name": m.author_name, "url": m.author_url.as_ref().map(|u| u.as_str())},
            })
        })
        .collect();
    json_value!({
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": campaign.name,
        "description": description(ctx, campaign),
        "url": ctx.canonical_url(),
        "inLanguage": ctx.lang.code(),
        "keywords": campaign.hashtags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        "temporalCoverage": format!("{}/{}", campaign.starts_on.format("%Y-%m-%d"), campaign.ends_on.format("%Y-%m-%d")),
        "hasPart": posts,
    })
}

/// The engagement chart: bars per day for mentions received and posts published, drawn
/// without scripts, readable as an image by screen readers (`role="img"` named by its title
/// and summed up by its description) and doubled by a data table in [`figure`].
mod chart {
    use kiosque_domain::campaigns::engagement::{DayCounts, Engagement};
    use kiosque_spin::Lang;
    use kiosque_spin::html::chart::{BarChart, Category};
    use kiosque_spin::html::{Markup, html};

    fn summary(stats: &Engagement, lang: Lang) -> (String, String) {
        let title = lang
            .t(
                "Engagement de la campagne par jour",
                "Campaign engagement per day",
            )
            .to_owned();
        let (from, to) = (stats.from.format("%Y-%m-%d"), stats.to.format("%Y-%m-%d"));
        let busiest = stats.days.iter().max_by_key(|d| d.mentions);
        let desc = match lang {
            Lang::Fr => format!(
                "Du {from} au {to} : {} mentions reçues et {} publications de la médiathèque.{}",
                stats.mentions,
                stats.posts,
                busiest
                    .filter(|d| d.mentions > 0)
                    .map(|d| format!(
                        " Jour le plus actif : {} ({} mentions).",
                        d.day.format("%Y-%m-%d"),
                        d.mentions
                    ))
                    .unwrap_or_default()
            ),
            Lang::En => format!(
                "From {from} to {to}: {} mentions received and {} posts published by the library.{}",
                stats.mentions,
                stats.posts,
                busiest
                    .filter(|d| d.mentions > 0)
                    .map(|d| format!(
                        " Busiest day: {} ({} mentions).",
                        d.day.format("%Y-%m-%d"),
                        d.mentions
                    ))
                    .unwrap_or_default()
            ),
        };
        (title, desc)
    }

    /// The chart as an `<svg>` element, for a page or a standalone document: the shared bar
    /// chart of the reports (`kiosque_spin::html::chart`), two bars a day.
    fn image(stats: &Engagement, lang: Lang) -> Markup {
        let (title, description) = summary(stats, lang);
        BarChart {
            id: "chart".to_owned(),
            title,
            description,
            caption: lang
                .t("Les chiffres du graphique", "The chart's figures")
                .to_owned(),
            category_header: lang.t("Jour", "Day").to_owned(),
            series: vec![
                lang.t("Mentions reçues", "Mentions received").to_owned(),
                lang.t("Publications", "Posts published").to_owned(),
            ],
            categories: stats
                .days
                .iter()
                .map(|d: &DayCounts| Category::day(d.day, vec![d.mentions, d.posts]))
                .collect(),
        }
        .svg()
    }

    /// A standalone SVG document.
    pub fn svg(stats: &Engagement, lang: Lang) -> String {
        image(stats, lang).into_string()
    }

    /// The chart and its data table, in a `<figure>`.
    pub fn figure(stats: &Engagement, lang: Lang) -> Markup {
        let (title, _) = summary(stats, lang);
        let hashtags = stats.days.first().map_or(&[][..], |d| &d.hashtags);
        html! {
            figure.engagement {
                (image(stats, lang))
                figcaption { (title) }
                table {
                    caption { (lang.t("Les chiffres du graphique", "The chart's figures")) }
                    thead {
                        tr {
                            th scope="col" { (lang.t("Jour", "Day")) }
                            th scope="col" { (lang.t("Mentions reçues", "Mentions received")) }
                            th scope="col" { (lang.t("Publications", "Posts published")) }
                            @for tag in hashtags {
                                th scope="col" {
                                    (lang.t("Mentions", "Mentions")) " " (tag.hashtag)
                                }
                            }
                        }
                    }
                    tbody {
                        @for day in &stats.days {
                            @let d = day.day.format("%Y-%m-%d");
                            tr {
                                th scope="row" { time datetime=(d) { (d) } }
                                td { (day.mentions) }
                                td { (day.posts) }
                                @for tag in &day.hashtags { td { (tag.mentions) } }
                            }
                        }
                    }
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_chart_is_an_accessible_image_with_its_figures() {
            let day = |d: u32, mentions, posts| DayCounts {
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
                mentions,
                posts,
                hashtags: Vec::new(),
            };
            let stats = Engagement {
                from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                to: chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
                mentions: 7,
                posts: 1,
                days: vec![day(1, 2, 0), day(2, 5, 1), day(3, 0, 0)],
            };
            let svg = svg(&stats, Lang::Fr);
            assert!(svg.contains("role=\"img\""));
            assert!(
                svg.contains(
                    "<title id=\"chart-title\">Engagement de la campagne par jour</title>"
                )
            );
            assert!(svg.contains("7 mentions reçues et 1 publications"));
            assert!(svg.contains("Jour le plus actif : 2026-11-02 (5 mentions)"));
            // The busiest day's mention bar is full height, in the first series' colour.
            let full = kiosque_spin::html::chart::PLOT_HEIGHT;
            let colour = kiosque_spin::html::chart::COLOURS[0];
            assert!(svg.contains(&format!("height=\"{full}\" fill=\"{colour}\"")));
            let figure = figure(&stats, Lang::En).into_string();
            assert!(figure.contains("<th scope=\"row\"><time datetime=\"2026-11-02\">2026-11-02</time></th><td>5</td><td>1</td>"));
            assert!(figure.contains("Campaign engagement per day"));
        }
    }
}
