//! Contests over HTTP: the JSON API (`/api/contests/...`) and the public pages
//! (`/contests/...`). The rules live in `kiosque_domain::contests`.

use kiosque_domain::Clock;
use kiosque_domain::contests::{
    self, CategorySlug, ContestError, ContestId, CreateContestRequest, Email, EntrySubmission,
    Licence, NewContest, NewEntry, SubmitEntryRequest, WinnersRequest,
};
use kiosque_domain::moderation::{Decision, ModerationRequest};
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta, base_url};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::{html, json, see_other};
use kiosque_spin::{ApiError, PageError, SpinStore, SystemClock, auth, form, ids, same_site};
use serde::Deserialize;
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::engage::{self, patron_text, query_u64, retention_days};
use crate::voter;

fn contest_id(params: &Params) -> Option<ContestId> {
    params.get("id").and_then(|id| ContestId::parse(id).ok())
}

fn api_id(params: &Params) -> Result<ContestId, ApiError> {
    contest_id(params).ok_or_else(|| ContestError::NotFound.into())
}

fn seq(params: &Params) -> Option<u64> {
    params
        .get("seq")
        .and_then(|s| s.parse().ok())
        .filter(|&n| n >= 1)
}

fn contest_json(contest: &contests::Contest, base: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(contest).unwrap_or_default();
    value["rules_html"] = contest.rules_html().into();
    value["url"] = format!("{base}/contests/{}", contest.id).into();
    value
}

/// `POST /api/contests` (admin): 201 with the contest.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
    let new = NewContest::parse(parse_body::<CreateContestRequest>(&req)?)?;
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
        contests::submit_entry(&store, &SystemClock, &contest, *entry)?;
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
    let g = contests::gallery(&store, &id, &category, query_u64(&req, "page", 1))?;
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
        "created_at": e.created_at,
    })
}

/// `GET /api/contests/:id/queue?from=&limit=&status=pending` (admin): entries with contacts;
/// purges the contest's contacts first when their retention has passed.
pub fn queue(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let id = api_id(&params)?;
    let pending = form::query_param(req.query(), "status").as_deref() == Some("pending");
    let store = SpinStore::open_default()?;
    let queue = contests::queue(
        &store,
        &SystemClock,
        &id,
        retention_days(),
        query_u64(&req, "from", 1),
        query_u64(&req, "limit", 50),
        pending,
    )?;
    Ok(json(200, &queue))
}

/// `POST /api/contests/:id/entries/:seq/moderation` (admin).
pub fn moderate(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
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
    same_site::check(&req)?;
    auth::require_admin(&req)?;
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
    })).collect();
    Ok(json(
        200,
        &json_value!({ "contest_id": id, "voting_over": r.voting_over, "categories": categories }),
    ))
}

/// `POST /api/contests/purge` (admin, meant for a cron): erases the contacts due, bounded
/// work per call; `more: true` says to call again.
pub fn purge(req: Request, _params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
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
}

fn participant_email(req: &Request) -> Result<Email, ApiError> {
    let body: ParticipantRequest = parse_body(req)?;
    Email::parse(&body.email).map_err(|m| ApiError::new(400, "invalid_email", m))
}

/// `POST /api/contests/participants/export` `{"email"}` (admin): everything stored about
/// one participant, as JSON (POST, so the address stays out of URLs and logs).
pub fn export(req: Request, _params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
    let email = participant_email(&req)?;
    let store = SpinStore::open_default()?;
    let entries = contests::export_participant(&store, &email)?;
    Ok(json(
        200,
        &json_value!({ "email": email, "entries": entries }),
    ))
}

/// `POST /api/contests/participants/erase` `{"email"}` (admin): erases the participant's
/// entries and contacts; idempotent.
pub fn erase(req: Request, _params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
    let email = participant_email(&req)?;
    let store = SpinStore::open_default()?;
    let erased = contests::erase_participant(&store, &email)?;
    Ok(json(200, &json_value!({ "erased_entries": erased })))
}

// --- pages ---------------------------------------------------------------------------------

/// `GET /contests/:id?category=slug`: rules, prize, the entry form while submissions are
/// open, and the gallery of one category with vote buttons while voting is open.
pub fn page(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let store = SpinStore::open_default()?;
    let contest = contests::get_contest(&store, &id)?;
    let now = SystemClock.now();
    let category = form::query_param(req.query(), "category")
        .and_then(|c| CategorySlug::parse(&c).ok())
        .filter(|c| contest.category(c).is_some())
        .or_else(|| contest.categories.first().map(|c| c.slug.clone()))
        .ok_or_else(PageError::not_found)?;
    let g = contests::gallery(&store, &id, &category, query_u64(&req, "page", 1))?;
    let mut body = format!(
        "<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n",
        ctx.t("Concours", "Contest"),
        escape(&contest.title)
    );
    match form::query_param(req.query(), "done").as_deref() {
        Some("entry") => body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            ctx.t(
                "Merci ! Votre participation sera publiée après relecture.",
                "Thank you! Your entry will be published after review."
            )
        )),
        Some("vote") => body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            ctx.t(
                "Merci, votre vote est enregistré.",
                "Thank you, your vote has been recorded."
            )
        )),
        _ => {}
    }
    body.push_str(&format!(
        "<p>{} <time datetime=\"{}\">{}</time> — <time datetime=\"{}\">{}</time></p>\n",
        ctx.t("Participations :", "Entries:"),
        contest.submissions_open,
        contest.submissions_open.date(),
        contest.submissions_close,
        contest.submissions_close.date(),
    ));
    if !contest.rules.is_empty() {
        body.push_str(&format!(
            "<section aria-labelledby=\"regles\"><h2 id=\"regles\">{}</h2>\n{}</section>\n",
            ctx.t("Règlement", "Rules"),
            contest.rules_html()
        ));
    }
    if let Some(prize) = &contest.prize {
        body.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            ctx.t("À gagner", "Prize"),
            patron_text(prize)
        ));
    }
    if contest.accepts_entries(now) {
        body.push_str(&entry_form(&ctx, &contest));
    }
    body.push_str(&format!(
        "<h2 id=\"galerie\">{}</h2>\n<nav aria-label=\"{}\"><ul>",
        ctx.t("Galerie", "Gallery"),
        ctx.t("Catégories", "Categories")
    ));
    for c in &contest.categories {
        let current = if c.slug == category {
            " aria-current=\"page\""
        } else {
            ""
        };
        body.push_str(&format!(
            "<li><a href=\"{}\"{current}>{}</a></li>",
            escape(&ctx.link(&format!(
                "/contests/{id}?category={}#galerie",
                c.slug.as_str()
            ))),
            escape(&c.name)
        ));
    }
    body.push_str("</ul></nav>\n<ul class=\"gallery\">\n");
    let voting = contest.voting_is_open(now);
    for e in &g.entries {
        let link = e
            .link
            .as_ref()
            .map(|l| {
                format!(
                    "<p><a href=\"{0}\" rel=\"nofollow ugc noopener\">{1}</a></p>",
                    escape(l.as_str()),
                    ctx.t("Voir la création", "See the creation")
                )
            })
            .unwrap_or_default();
        let text = e
            .text
            .as_deref()
            .map(|t| format!("<p dir=\"auto\">{}</p>", patron_text(t)))
            .unwrap_or_default();
        let licence = match e.licence.url() {
            Some(url) => format!(
                "<a href=\"{url}\" rel=\"license\">{}</a>",
                e.licence.code().to_uppercase()
            ),
            None => ctx
                .t("Tous droits réservés", "All rights reserved")
                .to_owned(),
        };
        let vote = if voting {
            format!(
                "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"entry\" value=\"{}\"><button type=\"submit\">{} « {} »</button></form>",
                escape(&ctx.link(&format!("/contests/{id}/vote"))),
                e.seq,
                ctx.t("Voter pour", "Vote for"),
                escape(&e.title)
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<li id=\"e{}\"><article><h3 dir=\"auto\">{}</h3><p>{} <span dir=\"auto\">{}</span> · {licence}</p>{text}{link}{vote}</article></li>\n",
            e.seq, escape(&e.title), ctx.t("par", "by"), escape(&e.display_name),
        ));
    }
    body.push_str("</ul>\n");
    body.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p>\n",
        escape(&ctx.link(&format!("/contests/{id}/results"))),
        ctx.t("Résultats", "Results")
    ));
    let items: Vec<_> = g.entries.iter().map(|e| json_value!({
        "@type": "CreativeWork", "name": e.title, "author": {"@type": "Person", "name": e.display_name},
        "license": e.licence.url(), "url": e.link.as_ref().map(|l| l.as_str()),
    })).collect();
    let meta = PageMeta {
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
    Ok(html(200, layout::page(&ctx, &meta, &body)))
}

fn entry_form(ctx: &PageContext, contest: &contests::Contest) -> String {
    let field = |name: &str, label: &str, control: String| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{}</label>{control}</div>\n",
            escape(label)
        )
    };
    let mut out = format!(
        "<form method=\"post\" action=\"{}\" class=\"entry-form\">\n<h2>{}</h2>\n",
        escape(&ctx.link(&format!("/contests/{}/enter", contest.id))),
        ctx.t("Participer", "Take part")
    );
    out.push_str(&field(
        "title",
        ctx.t("Titre", "Title"),
        format!(
            "<input id=\"title\" name=\"title\" required maxlength=\"{}\" dir=\"auto\">",
            contests::MAX_TITLE_CHARS
        ),
    ));
    out.push_str(&field("text", ctx.t("Texte (ou un lien ci-dessous)", "Text (or a link below)"), format!("<textarea id=\"text\" name=\"text\" rows=\"6\" maxlength=\"{}\" dir=\"auto\"></textarea>", contests::MAX_ENTRY_TEXT_CHARS)));
    out.push_str(&field(
        "link",
        ctx.t(
            "Lien vers votre création (https)",
            "Link to your creation (https)",
        ),
        "<input id=\"link\" name=\"link\" type=\"url\" pattern=\"https://.*\" maxlength=\"500\">"
            .to_owned(),
    ));
    out.push_str(&field("display_name", ctx.t("Nom affiché", "Display name"), format!("<input id=\"display_name\" name=\"display_name\" required maxlength=\"{}\" dir=\"auto\">", contests::MAX_DISPLAY_NAME_CHARS)));
    let options: String = contest
        .categories
        .iter()
        .map(|c| {
            format!(
                "<option value=\"{}\">{}</option>",
                c.slug.as_str(),
                escape(&c.name)
            )
        })
        .collect();
    out.push_str(&field(
        "category",
        ctx.t("Catégorie", "Category"),
        format!("<select id=\"category\" name=\"category\" required>{options}</select>"),
    ));
    out.push_str(&format!(
        "<fieldset><legend>{}</legend>\n",
        ctx.t("Licence", "Licence")
    ));
    for (i, licence) in Licence::ALL.iter().enumerate() {
        let label = match licence {
            Licence::CcBy => "CC BY 4.0",
            Licence::CcBySa => "CC BY-SA 4.0",
            Licence::AllRightsReserved => ctx.t("Tous droits réservés", "All rights reserved"),
        };
        out.push_str(&format!("<div><input type=\"radio\" id=\"licence-{i}\" name=\"licence\" value=\"{}\" required><label for=\"licence-{i}\">{}</label></div>\n", licence.code(), escape(label)));
    }
    out.push_str("</fieldset>\n");
    out.push_str(&field("email", ctx.t("Courriel (visible par l’équipe seulement, effacé après le concours)", "Email (seen by staff only, erased after the contest)"), "<input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"email\" maxlength=\"254\">".to_owned()));
    out.push_str("<div class=\"hp\" aria-hidden=\"true\"><label for=\"website\">Site web</label><input id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\n");
    out.push_str(&format!("<div class=\"field\"><input type=\"checkbox\" id=\"consent\" name=\"consent\" value=\"yes\" required><label for=\"consent\">{}</label></div>\n",
        ctx.t("J’accepte que ma participation soit publiée sous le nom affiché.", "I agree that my entry is published under the display name.")));
    out.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n",
        ctx.t("Envoyer", "Send")
    ));
    out
}

fn form_error(id: &ContestId, ctx: &PageContext, message: &str) -> PageError {
    PageError::new(
        400,
        "invalid_entry",
        [
            "Participation refusée",
            "Votre participation n’a pas été envoyée : vérifiez le formulaire.",
        ],
        ["Entry refused", message],
    )
    .with_link(
        ctx.link(&format!("/contests/{id}")),
        "Revenir au concours",
        "Back to the contest",
    )
}

/// `POST /contests/:id/enter` (form): 303 back with a confirmation.
pub fn enter_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    let field = |n: &str| form::get(&pairs, n).map(str::to_owned);
    let request = SubmitEntryRequest {
        title: field("title").unwrap_or_default(),
        text: field("text"),
        link: field("link"),
        display_name: field("display_name").unwrap_or_default(),
        category: field("category").unwrap_or_default(),
        consent: field("consent").is_some(),
        licence: field("licence").unwrap_or_default(),
        email: field("email").unwrap_or_default(),
        website: field("website"),
    };
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::rate_limit(&store, &req, "entry", true) {
        return Ok(limited);
    }
    let contest = contests::get_contest(&store, &id)?;
    match NewEntry::parse(&contest, request) {
        Ok(EntrySubmission::Entry(entry)) => {
            contests::submit_entry(&store, &SystemClock, &contest, *entry)?;
        }
        Ok(EntrySubmission::Spam) => {}
        Err(ContestError::InvalidEntry { message, .. }) => {
            return Err(form_error(&id, &ctx, &message));
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
        .with_link(
            ctx.link(&format!("/contests/{id}")),
            "Revenir au concours",
            "Back to the contest",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /contests/:id/results`: winners per category, and the votes once voting is over.
pub fn results_page(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = contest_id(&params).ok_or_else(PageError::not_found)?;
    let store = SpinStore::open_default()?;
    let r = contests::results(&store, &SystemClock, &id)?;
    let mut body = format!(
        "<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n",
        ctx.t("Résultats du concours", "Contest results"),
        escape(&r.contest.title)
    );
    for c in &r.categories {
        body.push_str(&format!("<h2>{}</h2>\n", escape(&c.category.name)));
        if c.winners.is_empty() {
            body.push_str(&format!(
                "<p>{}</p>\n",
                ctx.t(
                    "Lauréats pas encore annoncés.",
                    "Winners not announced yet."
                )
            ));
        } else {
            body.push_str("<ol class=\"winners\">");
            for w in &c.winners {
                body.push_str(&format!(
                    "<li><strong dir=\"auto\">{}</strong> — <span dir=\"auto\">{}</span></li>",
                    escape(&w.title),
                    escape(&w.display_name)
                ));
            }
            body.push_str("</ol>\n");
        }
        if !c.votes.is_empty() {
            body.push_str(&format!("<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
                ctx.t("Vote du public", "Public vote"), ctx.t("Participation", "Entry"), ctx.t("Votes", "Votes")));
            for (e, n) in &c.votes {
                body.push_str(&format!(
                    "<tr><th scope=\"row\" dir=\"auto\">{}</th><td>{n}</td></tr>",
                    escape(&e.title)
                ));
            }
            body.push_str("</tbody></table>\n");
        }
    }
    let meta = PageMeta {
        title: format!("{} — {}", ctx.t("Résultats", "Results"), r.contest.title),
        description: ctx
            .t("Les lauréats du concours.", "The contest's winners.")
            .to_owned(),
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, &body)))
}
