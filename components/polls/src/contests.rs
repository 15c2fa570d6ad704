//! Contests over HTTP: the JSON API (`/api/contests/...`) and the public pages
//! (`/contests/...`). The rules live in `kiosque_domain::contests`.

use kiosque_domain::Clock;
use kiosque_domain::contests::{
    self, CategorySlug, ContestError, ContestId, CreateContestRequest, Email, EntryImagePolicy,
    EntrySubmission, Licence, NewContest, NewEntry, SubmitEntryRequest, WinnersRequest,
};
use kiosque_domain::media::RenditionKind;
use kiosque_domain::moderation::{Decision, ModerationRequest};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::{self, PageContext, PageMeta, ShareImage, base_url};
use kiosque_spin::html::{Markup, PreEscaped, html};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::{html, json, see_other};
use kiosque_spin::{ApiError, PageError, SpinStore, SystemClock, auth, form, ids, same_site};
use serde::Deserialize;
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::engage::{
    self, api_query_u64, contact_key, error_summary, library_time, pagination, patron_name,
    patron_text, query_u64, retention_days, staff_lang,
};
use crate::voter;

fn contest_id(params: &Params) -> Option<ContestId> {
    params.get("id").and_then(|id| ContestId::parse(id).ok())
}

fn api_id(params: &Params) -> Result<ContestId, ApiError> {
    contest_id(params).ok_or_else(|| ContestError::NotFound.into())
}

/// Strictly (`01` or `+1` is no entry): one address per entry.
fn seq(params: &Params) -> Option<u64> {
    kiosque_spin::routes::number_param(params, "seq").filter(|&n| n >= 1)
}

fn contest_json(contest: &contests::Contest, base: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(contest).unwrap_or_default();
    value["rules_html"] = contest.rules_html().into();
    value["url"] = format!("{base}/contests/{}", contest.id).into();
    value
}

/// `POST /api/contests` (admin): 201 with the contest.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let new = NewContest::parse(parse_body::<CreateContestRequest>(&req)?)?;
    // Entries cannot be stored without the secret that keys their contacts' hashes.
    contact_key()?;
    let store = SpinStore::open_default()?;
    let contest = contests::create_contest(
        &store,
        &SystemClock,
        ContestId::generate(ids::random_bytes()?),
        new,
    )?;
    let base = base_url(&req);
    let mut response = json(201, &contest_json(&contest, &base));
    response.set_header("location", format!("{base}/api/contests/{}", contest.id));
    Ok(response)
}

/// `GET /api/contests?page=n&per_page=n` (admin): contests, newest first.
pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    let list = contests::list_contests(
        &store,
        api_query_u64(&req, "page", 1)?,
        api_query_u64(&req, "per_page", 50)?,
    )?;
    let base = base_url(&req);
    let items: Vec<_> = list
        .contests
        .iter()
        .map(|c| contest_json(c, &base))
        .collect();
    Ok(json(
        200,
        &json_value!({
            "contests": items, "total": list.total, "page": list.page, "next_page": list.next_page,
        }),
    ))
}

/// `POST /api/contests/:id/close` (admin): ends submissions and voting now.
pub fn close(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = api_id(&params)?;
    let store = SpinStore::open_default()?;
    let contest = contests::close_contest(&store, &SystemClock, &id)?;
    Ok(json(200, &contest_json(&contest, &base_url(&req))))
}

/// `GET /api/contests/:id`.
pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = api_id(&params)?;
    let store = SpinStore::open_default()?;
    let contest = contests::get_contest(&store, &id)?;
    Ok(json(200, &contest_json(&contest, &base_url(&req))))
}

/// `POST /api/contests/:id/entries` (public, JSON): 202, the entry waits for moderation.
pub fn submit(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = api_id(&params)?;
    let body: SubmitEntryRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::rate_limit(&store, &req, "entry", false) {
        return Ok(limited);
    }
    let contest = contests::get_contest(&store, &id)?;
    if let EntrySubmission::Entry(entry) = NewEntry::parse(&contest, body)? {
        contests::submit_entry(&store, &SystemClock, &contest, *entry, &contact_key()?)?;
    }
    Ok(json(202, &json_value!({ "status": "pending" })))
}

/// `GET /api/contests/:id/entries?category=slug&page=n` (public): the approved gallery.
pub fn gallery(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = api_id(&params)?;
    let category = form::query_param(req.query(), "category")
        .and_then(|c| CategorySlug::parse(&c).ok())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "invalid_category",
                "category: a category slug is required",
            )
        })?;
    let store = SpinStore::open_default()?;
    let g = contests::gallery(&store, &id, &category, api_query_u64(&req, "page", 1)?)?;
    let entries: Vec<_> = g.entries.iter().map(public_entry).collect();
    Ok(json(
        200,
        &json_value!({
            "contest_id": id, "category": category, "entries": entries,
            "approved": g.approved, "page": g.page, "pages": g.pages,
        }),
    ))
}

fn public_entry(e: &contests::Entry) -> serde_json::Value {
    json_value!({
        "seq": e.seq, "category": e.category, "title": e.title, "text": e.text, "link": e.link,
        "display_name": e.display_name, "licence": e.licence, "licence_url": e.licence.url(),
        "created_at": e.created_at, "image": e.image.as_ref().map(image_json),
    })
}

/// An entry's image: its renditions' addresses, the page rendition's size, the alt text.
fn image_json(image: &contests::EntryImage) -> serde_json::Value {
    json_value!({
        "medium": image.medium, "alt": image.alt, "width": image.width, "height": image.height,
        "url": image.path(RenditionKind::Page), "thumb_url": image.path(RenditionKind::Thumb),
    })
}

/// `GET /api/contests/:id/queue?from=&limit=&status=pending` (moderators): entries, with
/// their contact emails for administrators only (RGPD: moderators judge entries, they have
/// no need of who sent them); purges the contest's contacts first when their retention has
/// passed.
pub fn queue(req: Request, params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::Moderate)?;
    let id = api_id(&params)?;
    let pending = form::query_param(req.query(), "status").as_deref() == Some("pending");
    let store = SpinStore::open_default()?;
    let queue = contests::queue(
        &store,
        &SystemClock,
        &id,
        retention_days(),
        api_query_u64(&req, "from", 1)?,
        api_query_u64(&req, "limit", 50)?,
        pending,
    )?;
    if staff.can(Permission::Administer) {
        return Ok(json(200, &queue));
    }
    let mut shown = serde_json::to_value(&queue).map_err(ApiError::internal)?;
    if let Some(entries) = shown["entries"].as_array_mut() {
        for entry in entries {
            if let Some(fields) = entry.as_object_mut() {
                fields.remove("email");
                // A child's parent's name is contact data too.
                fields.remove("parental_consent");
            }
        }
    }
    Ok(json(200, &shown))
}

/// `POST /api/contests/:id/entries/:seq/moderation` (admin).
pub fn moderate(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = api_id(&params)?;
    let seq = seq(&params).ok_or(ContestError::EntryNotFound)?;
    let decision =
        Decision::parse(parse_body::<ModerationRequest>(&req)?).map_err(ContestError::Invalid)?;
    let store = SpinStore::open_default()?;
    Ok(json(
        200,
        &contests::moderate(&store, &SystemClock, &id, seq, decision)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AltRequest {
    alt: String,
}

/// `PUT /api/contests/:id/entries/:seq/alt` `{"alt"}` (moderators): corrects the alt text of
/// an entry's image (the gallery's and the medium's); audited like every staff change.
pub fn correct_alt(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = api_id(&params)?;
    let seq = seq(&params).ok_or(ContestError::EntryNotFound)?;
    let body: AltRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    Ok(json(
        200,
        &contests::correct_alt(&store, &SystemClock, &id, seq, &body.alt)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteRequest {
    entry: u64,
}

/// `POST /api/contests/:id/votes` `{"entry": n}` (public): 201; 409 `already_voted` (one
/// vote per patron per category) or `voting_closed`.
pub fn vote(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = api_id(&params)?;
    let body: VoteRequest = parse_body(&req)?;
    let (voter, cookie) = voter::identify(&req)?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::vote_rate_limit(&store, &req, "contest_vote", false) {
        return Ok(limited);
    }
    let category = contests::vote(&store, &SystemClock, &id, body.entry, &voter)?;
    let mut response = json(
        201,
        &json_value!({ "entry": body.entry, "category": category }),
    );
    voter::attach(&mut response, cookie);
    Ok(response)
}

/// `POST /api/contests/:id/winners` `{"category", "entries": [n]}` (admin).
pub fn winners(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = api_id(&params)?;
    let body: WinnersRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    Ok(json(
        200,
        &json_value!({ "winners": contests::set_winners(&store, &id, body)? }),
    ))
}

/// `GET /api/contests/:id/results` (public): winners; vote counts once voting is over.
pub fn results(_req: Request, params: Params) -> Result<Response, ApiError> {
    let id = api_id(&params)?;
    let store = SpinStore::open_default()?;
    let r = contests::results(&store, &SystemClock, &id)?;
    let categories: Vec<_> = r.categories.iter().map(|c| json_value!({
        "category": c.category,
        "winners": c.winners.iter().map(public_entry).collect::<Vec<_>>(),
        "votes": c.votes.iter().map(|(e, n)| json_value!({"entry": public_entry(e), "votes": n})).collect::<Vec<_>>(),
        "approved": c.approved,
    })).collect();
    Ok(json(
        200,
        &json_value!({ "contest_id": id, "voting_over": r.voting_over, "categories": categories }),
    ))
}

/// `POST /api/contests/purge` (admin, meant for a cron): erases the contacts due, bounded
/// work per call; `more: true` says to call again.
pub fn purge(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let store = SpinStore::open_default()?;
    Ok(json(
        200,
        &contests::purge_due(&store, &SystemClock, retention_days())?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipantRequest {
    email: String,
    /// Where to resume: the previous answer's `next_from` (1 to start).
    #[serde(default)]
    from: Option<u64>,
}

fn participant_email(req: &Request) -> Result<(Email, u64), ApiError> {
    let body: ParticipantRequest = parse_body(req)?;
    let email = Email::parse(&body.email).map_err(|m| ApiError::new(400, "invalid_email", m))?;
    Ok((email, body.from.unwrap_or(1).max(1)))
}

/// `POST /api/contests/participants/export` `{"email", "from"?}` (admin): everything stored
/// about one participant, as JSON (POST, so the address stays out of URLs and logs), one
/// page of references at a time: call again with `from: next_from` while `more` is true.
pub fn export(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let (email, from) = participant_email(&req)?;
    let key = contact_key()?;
    let store = SpinStore::open_default()?;
    let page = contests::export_participant(&store, &key, &email, from)?;
    Ok(json(
        200,
        &json_value!({
            "email": email, "entries": page.entries,
            "next_from": page.next_from, "more": page.next_from.is_some(),
        }),
    ))
}

/// `POST /api/contests/participants/erase` `{"email", "from"?}` (admin): erases the
/// participant's entries, contacts and references, one page at a time: start without
/// `from`, then call again with `from: next_from` while `more` is true. Idempotent; 409
/// `busy` when a staff list kept changing meanwhile (retry).
pub fn erase(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let (email, from) = participant_email(&req)?;
    let key = contact_key()?;
    let store = SpinStore::open_default()?;
    let report = contests::erase_participant(&store, &key, &email, from)?;
    Ok(json(
        200,
        &json_value!({
            "erased_entries": report.erased_entries,
            "next_from": report.next_from, "more": report.next_from.is_some(),
        }),
    ))
}

// --- pages ---------------------------------------------------------------------------------

/// The entry form's values and the error to show, when re-rendered after a refused entry.
#[derive(Default)]
struct EntryForm {
    values: SubmitEntryRequest,
    /// The field at fault and the patron-facing message.
    error: Option<(&'static str, String)>,
}

/// `GET /contests/:id?category=slug&page=n`: rules, prize, the entry form while submissions
/// are open, and one page of a category's gallery with vote buttons while voting is open.
pub fn page(req: Request, params: Params) -> Result<Response, PageError> {
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    render(&req, &id, EntryForm::default(), 200)
}

fn render(
    req: &Request,
    id: &ContestId,
    form: EntryForm,
    status: u16,
) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(req);
    let store = SpinStore::open_default()?;
    let contest = contests::get_contest(&store, id)?;
    let now = SystemClock.now();
    let fr = staff_lang(&ctx);
    let category = form::query_param(req.query(), "category")
        .and_then(|c| CategorySlug::parse(&c).ok())
        .filter(|c| contest.category(c).is_some())
        .or_else(|| contest.categories.first().map(|c| c.slug.clone()))
        .ok_or_else(PageError::not_found)?;
    let g = contests::gallery(&store, id, &category, query_u64(req, "page", 1))?;
    let done = match form::query_param(req.query(), "done").as_deref() {
        Some("entry") => Some(ctx.t(
            "Merci ! Votre participation sera publiée après relecture.",
            "Thank you! Your entry will be published after review.",
        )),
        Some("vote") => Some(ctx.t(
            "Merci, votre vote est enregistré.",
            "Thank you, your vote has been recorded.",
        )),
        _ => None,
    };
    let voting = contest.voting_is_open(now);
    let body = html! {
        p.kicker { (ctx.t("Concours", "Contest")) }
        h1 lang=[fr] { (contest.title) }
        @if let Some(done) = done {
            p.notice role="status" { (done) }
        }
        (dates(&ctx, &contest))
        @if !contest.rules.is_empty() {
            section aria-labelledby="regles" lang=[fr] {
                h2 #regles { (ctx.t("Règlement", "Rules")) }
                // Safe HTML Kiosque made: `kiosque_domain::markdown` writes only whitelisted
                // elements, escapes every text (raw HTML included) and drops unsafe links.
                (PreEscaped(contest.rules_html()))
            }
        }
        @if let Some(prize) = &contest.prize {
            h2 { (ctx.t("À gagner", "Prize")) }
            p lang=[fr] { (patron_text(prize)) }
        }
        @if contest.accepts_entries(now) {
            (entry_form(&ctx, &contest, &form))
        }
        h2 #galerie { (ctx.t("Galerie", "Gallery")) }
        nav aria-label=(ctx.t("Catégories", "Categories")) {
            ul {
                @for c in &contest.categories {
                    li {
                        @let href = format!("/contests/{id}?category={}#galerie", c.slug.as_str());
                        a href=(ctx.link(&href)) aria-current=[(c.slug == category).then_some("page")]
                            lang=[fr] {
                            (c.name)
                        }
                    }
                }
            }
        }
        ul.gallery {
            @for e in &g.entries {
                (gallery_entry(&ctx, id, e, voting))
            }
        }
        (pagination(&ctx, g.page, g.pages, |n| {
            ctx.link(&format!(
                "/contests/{id}?category={}&page={n}#galerie",
                category.as_str()
            ))
        }))
        p {
            a href=(ctx.link(&format!("/contests/{id}/results"))) { (ctx.t("Résultats", "Results")) }
        }
    };
    let items: Vec<_> = g.entries.iter().map(|e| json_value!({
        "@type": "CreativeWork", "name": e.title, "author": {"@type": "Person", "name": e.display_name},
        "license": e.licence.url(), "url": e.link.as_ref().map(|l| l.as_str()),
        "image": e.image.as_ref().map(|i| ctx.absolute(&i.path(RenditionKind::Page))),
    })).collect();
    // The first approved image of the gallery shown, for links shared on the networks.
    let og_image = g
        .entries
        .iter()
        .find_map(|e| e.image.as_ref())
        .map(|image| ShareImage {
            url: ctx.absolute(&image.path(RenditionKind::Page)),
            alt: image.alt.clone(),
            size: Some((image.width, image.height)),
        });
    let meta = PageMeta {
        og_image,
        title: contest.title.clone(),
        description: ctx
            .t(
                "Participez au concours de la médiathèque et votez pour vos favoris.",
                "Enter the library’s contest and vote for your favourites.",
            )
            .to_owned(),
        json_ld: Some(json_value!({
            "@context": "https://schema.org", "@type": "Event", "name": contest.title,
            "url": ctx.canonical_url(), "startDate": contest.submissions_open.to_string(), "endDate": contest.ends_at().to_string(),
            "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
            "location": {"@type": "VirtualLocation", "url": ctx.canonical_url()},
            "organizer": {"@type": "Library", "name": ctx.library_name},
            "workFeatured": items,
        })),
        ..PageMeta::default()
    };
    Ok(html(status, layout::page(&ctx, &meta, body)))
}

/// When entries, and the public vote if there is one, open and close.
fn dates(ctx: &PageContext, contest: &contests::Contest) -> Markup {
    html! {
        ul.dates {
            li {
                (ctx.t("Participations :", "Entries:")) " "
                (library_time(ctx, contest.submissions_open)) " — "
                (library_time(ctx, contest.submissions_close))
            }
            @if let (Some(open), Some(close)) = (contest.voting_open, contest.voting_close) {
                li {
                    (ctx.t("Vote du public :", "Public vote:")) " "
                    (library_time(ctx, open)) " — " (library_time(ctx, close))
                }
            }
        }
    }
}

/// One approved entry of the gallery, with its vote button while voting is open.
fn gallery_entry(ctx: &PageContext, id: &ContestId, e: &contests::Entry, voting: bool) -> Markup {
    html! {
        li id=(format!("e{}", e.seq)) {
            article {
                h3 dir="auto" { (e.title) }
                @if let Some(image) = &e.image {
                    img src=(image.path(RenditionKind::Page)) alt=(image.alt) width=(image.width)
                        height=(image.height) loading="lazy" decoding="async" dir="auto";
                }
                p {
                    (ctx.t("par", "by")) " " (patron_name(&e.display_name)) " · "
                    @match e.licence.url() {
                        Some(url) => {
                            a href=(url) rel="license" { (e.licence.code().to_uppercase()) }
                        }
                        None => { (ctx.t("Tous droits réservés", "All rights reserved")) }
                    }
                }
                @if let Some(text) = &e.text {
                    p dir="auto" { (patron_text(text)) }
                }
                @if let Some(link) = &e.link {
                    p {
                        a href=(link.as_str()) rel="nofollow ugc noopener" {
                            (ctx.t("Voir la création", "See the creation"))
                        }
                    }
                }
                @if voting {
                    form method="post" action=(ctx.link(&format!("/contests/{id}/vote"))) {
                        input type="hidden" name="entry" value=(e.seq);
                        button type="submit" {
                            (ctx.t("Voter pour", "Vote for")) " « " bdi { (e.title) } " »"
                        }
                    }
                }
            }
        }
    }
}

/// The label of each entry field, for the form and the error summary.
fn label(ctx: &PageContext, field: &str) -> &'static str {
    match field {
        "title" => ctx.t("Titre", "Title"),
        "text" => ctx.t("Texte", "Text"),
        "link" => ctx.t(
            "Lien vers votre création (https)",
            "Link to your creation (https)",
        ),
        "display_name" => ctx.t("Nom affiché", "Display name"),
        "category" => ctx.t("Catégorie", "Category"),
        "licence" => ctx.t("Licence", "Licence"),
        "email" => ctx.t(
            "Courriel (visible par l’équipe seulement, effacé après le concours)",
            "Email (seen by staff only, erased after the contest)",
        ),
        "image" => ctx.t(
            "Image (JPEG, PNG, WebP ou GIF, 10 Mo au plus)",
            "Image (JPEG, PNG, WebP or GIF, 10 MB at most)",
        ),
        "alt" => ctx.t("Description de l’image", "Image description"),
        "under_15" => ctx.t("J’ai moins de 15 ans", "I am under 15"),
        "parent_name" => ctx.t(
            "Nom de votre parent ou tuteur",
            "Name of your parent or guardian",
        ),
        "parent_consent" => ctx.t(
            "Mon parent ou tuteur nommé ci-dessus accepte ma participation et sa publication.",
            "My parent or guardian named above agrees to my entry and its publication.",
        ),
        _ => ctx.t(
            "J’accepte que ma participation soit publiée sous le nom affiché.",
            "I agree that my entry is published under the display name.",
        ),
    }
}

/// The patron-facing message for a refused entry field, in the page's language.
fn entry_message(ctx: &PageContext, field: &str, domain_message: &str) -> String {
    let message = match field {
        "title" => ctx.t(
            "Donnez un titre d’au plus 150 caractères, sur une ligne.",
            "Give a title of at most 150 characters, on one line.",
        ),
        // The one rule tied to two fields: the domain names both.
        "text" if domain_message.starts_with("text, link") => ctx.t(
            "Donnez un texte, un lien vers votre création, ou les deux.",
            "Give a text, a link to your creation, or both.",
        ),
        "text" => ctx.t(
            "Le texte doit faire au plus 2 000 caractères, sans caractères de contrôle.",
            "The text must be at most 2,000 characters, without control characters.",
        ),
        "link" => ctx.t(
            "Le lien doit commencer par https:// et ne contenir aucune espace.",
            "The link must start with https:// and contain no spaces.",
        ),
        "display_name" => ctx.t(
            "Donnez le nom à afficher, 60 caractères au plus, sur une ligne.",
            "Give the name to display, at most 60 characters, on one line.",
        ),
        "category" => ctx.t(
            "Choisissez une des catégories du concours.",
            "Choose one of the contest’s categories.",
        ),
        "licence" => ctx.t("Choisissez une licence.", "Choose a licence."),
        "email" => ctx.t(
            "Donnez une adresse électronique valide, comme nom@exemple.fr.",
            "Give a valid email address, like name@example.org.",
        ),
        "image" => ctx.t(
            "Ce concours demande une image : choisissez un fichier JPEG, PNG, WebP ou GIF.",
            "This contest needs an image: choose a JPEG, PNG, WebP or GIF file.",
        ),
        "alt" => ctx.t(
            "Décrivez l’image pour les personnes qui ne la voient pas (1 500 caractères au plus).",
            "Describe the image for people who cannot see it (at most 1,500 characters).",
        ),
        "parent_name" => ctx.t(
            "Vous avez moins de 15 ans : donnez le nom de votre parent ou tuteur.",
            "You are under 15: give the name of your parent or guardian.",
        ),
        "parent_consent" => ctx.t(
            "Vous avez moins de 15 ans : votre parent ou tuteur doit donner son accord (cochez la case).",
            "You are under 15: your parent or guardian must agree (tick the box).",
        ),
        _ => ctx.t(
            "Cochez la case pour accepter la publication.",
            "Tick the box to agree to publication.",
        ),
    };
    message.to_owned()
}

/// How a control is tied to its hint and error: the ids for `aria-describedby`, whether it
/// is `aria-invalid`, and the error message shown above it.
struct Tie<'a> {
    described: Option<String>,
    invalid: Option<&'static str>,
    error: Option<(String, &'a str)>,
}

impl Tie<'_> {
    /// The error paragraph, when the field is at fault.
    fn error(&self) -> Markup {
        html! {
            @if let Some((id, message)) = &self.error {
                p.error id=(id) { (message) }
            }
        }
    }
}

fn entry_form(ctx: &PageContext, contest: &contests::Contest, form: &EntryForm) -> Markup {
    let v = &form.values;
    let fr = staff_lang(ctx);
    let err = |field: &str| {
        form.error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    };
    // Hint and error ids for `aria-describedby`, the error paragraph, and `aria-invalid`.
    let tie = |name: &str, hint: Option<&str>| {
        let error = err(name).map(|message| (format!("{name}-error"), message));
        let ids: Vec<&str> = hint
            .into_iter()
            .chain(error.as_ref().map(|(id, _)| id.as_str()))
            .collect();
        Tie {
            described: (!ids.is_empty()).then(|| ids.join(" ")),
            invalid: error.as_ref().map(|_| "true"),
            error,
        }
    };
    let field = |name: &str, hint: Option<(&str, &str)>, tie: &Tie, control: Markup| {
        html! {
            div.field {
                label for=(name) { (label(ctx, name)) }
                @if let Some((id, text)) = hint {
                    p.hint id=(id) { (text) }
                }
                (tie.error())
                (control)
            }
        }
    };
    let policy = contest.entry_image;
    let rule = match policy {
        EntryImagePolicy::None => ctx.t(
            "Donnez un texte, un lien vers votre création (image, vidéo, son), ou les deux.",
            "Give a text, a link to your creation (picture, video, sound), or both.",
        ),
        EntryImagePolicy::Optional => ctx.t(
            "Envoyez une image, un texte ou un lien vers votre création (ou plusieurs).",
            "Send an image, a text or a link to your creation (or several).",
        ),
        EntryImagePolicy::Required => ctx.t(
            "L’image est demandée ; un texte et un lien sont facultatifs.",
            "The image is required; a text and a link are optional.",
        ),
    };
    // The image goes to the media component, the only one that decodes images.
    let (action, enctype) = if policy.takes_images() {
        (
            format!("/media/contest-entries/{}", contest.id),
            Some("multipart/form-data"),
        )
    } else {
        (format!("/contests/{}/enter", contest.id), None)
    };
    let image = tie("image", Some("image-hint"));
    let alt = tie("alt", Some("alt-hint"));
    let parent_name = tie("parent_name", Some("under-15-hint"));
    let parent_consent = tie("parent_consent", None);
    let title = tie("title", None);
    let text = tie("text", Some("text-or-link"));
    // Tied to the same rule as the text (the hint above it).
    let link = tie("link", Some("text-or-link"));
    let display_name = tie("display_name", None);
    let category = tie("category", None);
    let licence = tie("licence", None);
    let email = tie("email", None);
    let consent = tie("consent", None);
    html! {
        form #participer method="post" action=(ctx.link(&action)) enctype=[enctype]
            class="entry-form" novalidate {
            h2 { (ctx.t("Participer", "Take part")) }
            @if let Some((field, _)) = &form.error {
                // The licences are a group of radios: the summary links to the first.
                @let target = if *field == "licence" { "licence-0" } else { field };
                (error_summary(ctx, &[(target, label(ctx, field))]))
            }
            (field("title", None, &title, html! {
                input id="title" name="title" required maxlength=(contests::MAX_TITLE_CHARS)
                    dir="auto" value=(v.title) aria-describedby=[title.described.as_deref()]
                    aria-invalid=[title.invalid];
            }))
            (field("text", Some(("text-or-link", rule)), &text, html! {
                textarea id="text" name="text" rows="6" maxlength=(contests::MAX_ENTRY_TEXT_CHARS)
                    dir="auto" aria-describedby=[text.described.as_deref()]
                    aria-invalid=[text.invalid] {
                    (v.text.as_deref().unwrap_or(""))
                }
            }))
            (field("link", None, &link, html! {
                input id="link" name="link" type="url" pattern="https://.*"
                    maxlength=(contests::MAX_URL_CHARS) value=(v.link.as_deref().unwrap_or(""))
                    aria-describedby=[link.described.as_deref()] aria-invalid=[link.invalid];
            }))
            @if policy.takes_images() {
                (field("image", Some(("image-hint", ctx.t(
                    "Les informations cachées dans le fichier (lieu de prise de vue, appareil) sont retirées avant publication.",
                    "Information hidden in the file (where it was taken, the device) is removed before publication.",
                ))), &image, html! {
                    input id="image" name="image" type="file"
                        accept="image/jpeg,image/png,image/webp,image/gif"
                        required[policy == EntryImagePolicy::Required]
                        aria-describedby=[image.described.as_deref()] aria-invalid=[image.invalid];
                }))
                (field("alt", Some(("alt-hint", ctx.t(
                    "Décrivez l’image pour les personnes qui ne la voient pas : ce qu’elle montre, en une ou deux phrases.",
                    "Describe the image for people who cannot see it: what it shows, in a sentence or two.",
                ))), &alt, html! {
                    textarea id="alt" name="alt" rows="3" maxlength=(kiosque_domain::media::MAX_ALT_CHARS)
                        required[policy == EntryImagePolicy::Required] dir="auto"
                        aria-describedby=[alt.described.as_deref()] aria-invalid=[alt.invalid] {
                        (v.alt.as_deref().unwrap_or(""))
                    }
                }))
            }
            (field("display_name", None, &display_name, html! {
                input id="display_name" name="display_name" required
                    maxlength=(contests::MAX_DISPLAY_NAME_CHARS) dir="auto" value=(v.display_name)
                    aria-describedby=[display_name.described.as_deref()]
                    aria-invalid=[display_name.invalid];
            }))
            (field("category", None, &category, html! {
                select id="category" name="category" required
                    aria-describedby=[category.described.as_deref()]
                    aria-invalid=[category.invalid] {
                    @for c in &contest.categories {
                        option value=(c.slug.as_str()) selected[v.category == c.slug.as_str()]
                            lang=[fr] { (c.name) }
                    }
                }
            }))
            fieldset aria-describedby=[licence.described.as_deref()]
                aria-invalid=[licence.invalid] {
                legend { (ctx.t("Licence", "Licence")) }
                (licence.error())
                @for (i, choice) in Licence::ALL.iter().enumerate() {
                    @let id = format!("licence-{i}");
                    div {
                        input type="radio" id=(id) name="licence" value=(choice.code()) required
                            checked[v.licence == choice.code()];
                        label for=(id) { (licence_label(ctx, *choice)) }
                    }
                }
            }
            (field("email", None, &email, html! {
                input id="email" name="email" type="email" required autocomplete="email"
                    maxlength="254" value=(v.email) aria-describedby=[email.described.as_deref()]
                    aria-invalid=[email.invalid];
            }))
            // Under 15 in France, a parent's or guardian's consent (loi Informatique et
            // Libertés, art. 45): declared here, kept with the contact data.
            fieldset.under-15 {
                legend { (ctx.t("Moins de 15 ans ?", "Under 15?")) }
                p.hint id="under-15-hint" {
                    (ctx.t(
                        "Avant 15 ans, il faut l’accord d’un parent ou tuteur : cochez la première case, donnez son nom et faites-lui cocher la dernière.",
                        "Under 15, a parent or guardian must agree: tick the first box, give their name and have them tick the last one.",
                    ))
                }
                div.field {
                    input type="checkbox" id="under_15" name="under_15" value="yes"
                        checked[v.under_15] aria-describedby="under-15-hint";
                    label for="under_15" { (label(ctx, "under_15")) }
                }
                (field("parent_name", None, &parent_name, html! {
                    input id="parent_name" name="parent_name" maxlength=(contests::MAX_PARENT_NAME_CHARS)
                        dir="auto" autocomplete="off" value=(v.parent_name.as_deref().unwrap_or(""))
                        aria-describedby=[parent_name.described.as_deref()]
                        aria-invalid=[parent_name.invalid];
                }))
                div.field {
                    input type="checkbox" id="parent_consent" name="parent_consent" value="yes"
                        checked[v.parent_consent]
                        aria-describedby=[parent_consent.described.as_deref()]
                        aria-invalid=[parent_consent.invalid];
                    label for="parent_consent" { (label(ctx, "parent_consent")) }
                    (parent_consent.error())
                }
            }
            // The honeypot: hidden from people and assistive technologies, skipped by the
            // keyboard.
            div.hp aria-hidden="true" {
                label for="website" { "Site web" }
                input id="website" name="website" tabindex="-1" autocomplete="off";
            }
            div.field {
                input type="checkbox" id="consent" name="consent" value="yes" required
                    checked[v.consent] aria-describedby=[consent.described.as_deref()]
                    aria-invalid=[consent.invalid];
                label for="consent" { (label(ctx, "consent")) }
                (consent.error())
            }
            button type="submit" { (ctx.t("Envoyer", "Send")) }
        }
    }
}

/// How the form names a licence.
fn licence_label(ctx: &PageContext, licence: Licence) -> &'static str {
    match licence {
        Licence::CcBy => "CC BY 4.0",
        Licence::CcBySa => "CC BY-SA 4.0",
        Licence::AllRightsReserved => ctx.t("Tous droits réservés", "All rights reserved"),
    }
}

/// `POST /contests/:id/enter` (form): 303 back with a confirmation, or the page again (400)
/// with the typed values and the error tied to its field.
pub fn enter_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    let field = |n: &str| form::get(&pairs, n).map(str::to_owned);
    let values = SubmitEntryRequest {
        title: field("title").unwrap_or_default(),
        text: field("text"),
        link: field("link"),
        display_name: field("display_name").unwrap_or_default(),
        category: field("category").unwrap_or_default(),
        consent: field("consent").is_some(),
        licence: field("licence").unwrap_or_default(),
        email: field("email").unwrap_or_default(),
        website: field("website"),
        alt: None,
        under_15: field("under_15").is_some(),
        parent_name: field("parent_name"),
        parent_consent: field("parent_consent").is_some(),
    };
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::rate_limit(&store, &req, "entry", true) {
        return Ok(limited);
    }
    let contest = contests::get_contest(&store, &id)?;
    match NewEntry::parse(&contest, values.clone()) {
        Ok(EntrySubmission::Entry(entry)) => {
            let key = contact_key().map_err(PageError::from)?;
            contests::submit_entry(&store, &SystemClock, &contest, *entry, &key)?;
        }
        Ok(EntrySubmission::Spam) => {}
        Err(ContestError::InvalidEntry { field, message }) => {
            let message = entry_message(&ctx, field, &message);
            return render(
                &req,
                &id,
                EntryForm {
                    values,
                    error: Some((field, message)),
                },
                400,
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&ctx.link(&format!("/contests/{id}?done=entry"))))
}

/// `POST /contests/:id/vote` with `entry=n` (form): 303 back with a confirmation.
pub fn vote_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let body = String::from_utf8_lossy(req.body());
    let entry = form::get(&form::parse(&body), "entry")
        .and_then(|e| e.trim().parse().ok())
        .ok_or_else(PageError::not_found)?;
    let (voter, cookie) =
        voter::identify(&req).map_err(|_| PageError::internal("no voter token"))?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::vote_rate_limit(&store, &req, "contest_vote", true) {
        return Ok(limited);
    }
    let back = |ctx: &PageContext| ctx.link(&format!("/contests/{id}"));
    match contests::vote(&store, &SystemClock, &id, entry, &voter) {
        Ok(_) => {
            let mut response = see_other(&ctx.link(&format!("/contests/{id}?done=vote")));
            voter::attach(&mut response, cookie);
            Ok(response)
        }
        Err(ContestError::AlreadyVoted) => Err(PageError::new(
            409,
            "already_voted",
            [
                "Vous avez déjà voté",
                "Un seul vote par personne et par catégorie.",
            ],
            [
                "You have already voted",
                "One vote per person and per category.",
            ],
        )
        .with_link(back(&ctx), "Revenir au concours", "Back to the contest")),
        Err(ContestError::VotingClosed) => Err(PageError::new(
            409,
            "voting_closed",
            [
                "Le vote n’est pas ouvert",
                "Le vote du public n’est pas ouvert en ce moment pour ce concours.",
            ],
            [
                "Voting is not open",
                "The public vote for this contest is not open at the moment.",
            ],
        )
        .with_link(back(&ctx), "Revenir au concours", "Back to the contest")),
        Err(e) => Err(e.into()),
    }
}

/// `GET /contests/:id/results`: winners per category, and the most voted entries once voting
/// is over.
pub fn results_page(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let store = SpinStore::open_default()?;
    let r = contests::results(&store, &SystemClock, &id)?;
    let fr = staff_lang(&ctx);
    let body = html! {
        p.kicker { (ctx.t("Résultats du concours", "Contest results")) }
        h1 lang=[fr] { (r.contest.title) }
        @for c in &r.categories {
            h2 lang=[fr] { (c.category.name) }
            @if c.winners.is_empty() {
                p { (ctx.t("Lauréats pas encore annoncés.", "Winners not announced yet.")) }
            } @else {
                ol.winners {
                    @for w in &c.winners {
                        li { strong dir="auto" { (w.title) } " — " (patron_name(&w.display_name)) }
                    }
                }
            }
            @if !c.votes.is_empty() {
                (votes_table(&ctx, c))
            }
        }
        p {
            a href=(ctx.link(&format!("/contests/{id}"))) {
                (ctx.t("Revenir au concours", "Back to the contest"))
            }
        }
    };
    let winners: Vec<_> = r
        .categories
        .iter()
        .flat_map(|c| c.winners.iter().enumerate().map(move |(i, w)| (c, i, w)))
        .map(|(c, i, w)| {
            json_value!({
                "@type": "ListItem", "position": i + 1,
                "item": {
                    "@type": "CreativeWork", "name": w.title, "genre": c.category.name,
                    "author": {"@type": "Person", "name": w.display_name},
                    "license": w.licence.url(), "url": w.link.as_ref().map(|l| l.as_str()),
                },
            })
        })
        .collect();
    let meta = PageMeta {
        title: format!("{} — {}", ctx.t("Résultats", "Results"), r.contest.title),
        description: match ctx.lang {
            kiosque_spin::Lang::Fr => format!(
                "Les lauréats et le vote du public du concours « {} ».",
                r.contest.title
            ),
            kiosque_spin::Lang::En => format!(
                "The winners and public vote of the contest “{}”.",
                r.contest.title
            ),
        },
        og_type: "article",
        json_ld: Some(json_value!({
            "@context": "https://schema.org", "@type": "WebPage",
            "name": format!("{} — {}", ctx.t("Résultats", "Results"), r.contest.title),
            "url": ctx.canonical_url(), "inLanguage": ctx.lang.code(),
            "about": {
                "@type": "Event", "name": r.contest.title,
                "startDate": r.contest.submissions_open.to_string(),
                "endDate": r.contest.ends_at().to_string(),
                "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
                "location": {"@type": "VirtualLocation", "url": ctx.absolute(&format!("/contests/{id}"))},
                "organizer": {"@type": "Library", "name": ctx.library_name},
            },
            "mainEntity": {"@type": "ItemList", "name": ctx.t("Lauréats", "Winners"), "itemListElement": winners},
        })),
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, body)))
}

/// The public vote of one category: its most voted entries and their votes.
fn votes_table(ctx: &PageContext, c: &contests::CategoryResults) -> Markup {
    let caption = match ctx.lang {
        kiosque_spin::Lang::Fr => format!(
            "Vote du public : les {} participations les plus votées sur {}",
            c.votes.len(),
            c.approved
        ),
        kiosque_spin::Lang::En => format!(
            "Public vote: the {} most voted of {} entries",
            c.votes.len(),
            c.approved
        ),
    };
    html! {
        table {
            caption { (caption) }
            thead {
                tr {
                    th scope="col" { (ctx.t("Participation", "Entry")) }
                    th scope="col" { (ctx.t("Votes", "Votes")) }
                }
            }
            tbody {
                @for (e, n) in &c.votes {
                    tr {
                        th scope="row" dir="auto" { (e.title) }
                        td { (n) }
                    }
                }
            }
        }
    }
}
