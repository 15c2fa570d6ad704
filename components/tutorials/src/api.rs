//! The JSON API: staff write, version, schedule and reuse tutorials; anyone searches; patrons
//! rate. Staff routes need the admin token and JSON bodies (415 otherwise).

use kiosque_domain::markdown::{self, RenderOptions};
use kiosque_domain::tutorials::feedback::{self, FeedbackRequest};
use kiosque_domain::tutorials::{
    BlockRequest, Slug, Tutorial, TutorialContent, TutorialError, TutorialRequest, blocks,
    catalogue, model, search, versions,
};
use kiosque_domain::zone::LocalDateTime;
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, form, same_site};
use serde::{Deserialize, Serialize};
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::visitor;

pub fn slug_param(params: &Params) -> Result<Slug, TutorialError> {
    params
        .get("slug")
        .and_then(|s| Slug::parse(s).ok())
        .ok_or(TutorialError::NotFound)
}

#[derive(Serialize)]
struct TutorialResponse<'a> {
    #[serde(flatten)]
    tutorial: &'a Tutorial,
    url: String,
    visible: bool,
}

fn answer(req: &Request, status: u16, tutorial: &Tutorial) -> Response {
    json(
        status,
        &TutorialResponse {
            url: format!("{}/tutorials/{}", base_url(req), tutorial.slug),
            visible: tutorial.is_visible(SystemClock.now()),
            tutorial,
        },
    )
}

/// Tutorial writes: editors and administrators (the same-site check comes with it).
fn staff(req: &Request) -> Result<(), ApiError> {
    auth::require(req, Permission::Edit).map(drop)
}

/// `POST /api/tutorials` (admin): 201, a draft at version 1.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let request: TutorialRequest = parse_body(&req)?;
    let slug = Slug::parse(request.slug.as_deref().unwrap_or("")).map_err(TutorialError::from)?;
    let content = TutorialContent::parse(&slug, request)?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::create(&store, SystemClock.now(), slug, content)?;
    let mut response = answer(&req, 201, &tutorial);
    response.set_header(
        "location",
        format!("{}/api/tutorials/{}", base_url(&req), tutorial.slug),
    );
    Ok(response)
}

/// `GET /api/tutorials` (admin): every tutorial, drafts and scheduled ones included.
pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    let now = SystemClock.now();
    let entries: Vec<_> = catalogue::all(&store)?
        .into_iter()
        .map(|e| {
            let visible = e.is_visible(now);
            json_value!({"tutorial": e, "visible": visible})
        })
        .collect();
    Ok(json(200, &json_value!({ "tutorials": entries })))
}

/// `GET /api/tutorials/search?q=` (public): visible tutorials, best first.
pub fn search(req: Request, _params: Params) -> Result<Response, ApiError> {
    let query = form::query_param(req.query(), "q").unwrap_or_default();
    let store = SpinStore::open_default()?;
    let base = base_url(&req);
    let hits: Vec<_> = search::search(&store, SystemClock.now(), &query)?
        .into_iter()
        .map(|hit| {
            json_value!({
                "slug": hit.entry.slug, "title": hit.entry.title, "summary": hit.entry.summary,
                "lang": hit.entry.lang, "score": hit.score,
                "url": format!("{base}/tutorials/{}", hit.entry.slug),
            })
        })
        .collect();
    Ok(json(200, &json_value!({ "query": query, "results": hits })))
}

/// `GET /api/tutorials/:slug` (admin): the current version, whatever its publication.
pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let slug = slug_param(&params)?;
    let store = SpinStore::open_default()?;
    Ok(answer(&req, 200, &versions::get(&store, &slug)?))
}

/// `PUT /api/tutorials/:slug` (admin): saves a new version; `if_version` guards against
/// overwriting someone else's save (409 `stale_version`).
pub fn update(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let slug = slug_param(&params)?;
    let request: TutorialRequest = parse_body(&req)?;
    if request.slug.as_deref().is_some_and(|s| s != slug.as_str()) {
        return Err(TutorialError::Invalid("slug: cannot be changed".to_owned()).into());
    }
    let if_version = request.if_version;
    let content = TutorialContent::parse(&slug, request)?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::update(&store, SystemClock.now(), &slug, content, if_version)?;
    Ok(answer(&req, 200, &tutorial))
}

/// `DELETE /api/tutorials/:slug` (admin): 204; the slug stays taken.
pub fn delete(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let slug = slug_param(&params)?;
    let store = SpinStore::open_default()?;
    versions::delete(&store, &slug)?;
    Ok(Response::builder().status(204).build())
}

/// `GET /api/tutorials/:slug/versions` (admin): the kept previous versions, newest first.
pub fn history(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let slug = slug_param(&params)?;
    let store = SpinStore::open_default()?;
    let versions = versions::history(&store, &slug)?;
    Ok(json(
        200,
        &json_value!({ "slug": slug, "versions": versions }),
    ))
}

fn version_param(params: &Params) -> Result<u64, TutorialError> {
    kiosque_spin::routes::number_param(params, "n").ok_or(TutorialError::VersionNotFound)
}

/// `GET /api/tutorials/:slug/versions/:n` (admin): one previous version in full.
pub fn version(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let slug = slug_param(&params)?;
    let n = version_param(&params)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &versions::version(&store, &slug, n)?))
}

/// `POST /api/tutorials/:slug/versions/:n/restore` (admin): version `n`'s content becomes a
/// new version.
pub fn restore(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let slug = slug_param(&params)?;
    let n = version_param(&params)?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::restore(&store, SystemClock.now(), &slug, n)?;
    Ok(answer(&req, 200, &tutorial))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    /// RFC 3339 (`2026-12-01T09:00:00Z`, any offset), or a Paris wall-clock time
    /// (`2026-12-01T09:00`); absent: now.
    #[serde(default)]
    at: Option<String>,
}

fn publication_date(at: Option<&str>, now: Timestamp) -> Result<Timestamp, TutorialError> {
    let Some(at) = at.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(now);
    };
    if let Ok(t) = Timestamp::parse(at) {
        return Ok(t);
    }
    let local = LocalDateTime::parse(at).map_err(|_| {
        TutorialError::Invalid(
            "at: expected 2026-12-01T09:00:00Z (RFC 3339) or 2026-12-01T09:00 (in the \
             library's time zone), the year from 1970 to 9999"
                .to_owned(),
        )
    })?;
    Ok(kiosque_spin::config::library_zone().to_utc(local))
}

/// `POST /api/tutorials/:slug/publish` `{"at"?}` (admin): visible now, or from `at`.
pub fn publish(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let slug = slug_param(&params)?;
    let body: PublishRequest = if req.body().is_empty() {
        PublishRequest::default()
    } else {
        parse_body(&req)?
    };
    let at = publication_date(body.at.as_deref(), SystemClock.now())?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::set_publication(&store, &slug, Some(at))?;
    Ok(answer(&req, 200, &tutorial))
}

/// `POST /api/tutorials/:slug/unpublish` (admin): back to a draft, hidden from patrons.
pub fn unpublish(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let slug = slug_param(&params)?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::set_publication(&store, &slug, None)?;
    Ok(answer(&req, 200, &tutorial))
}

/// `GET /api/tutorials/:slug/feedback` (admin): helpful/not helpful, where patrons stopped,
/// the latest comments.
pub fn feedback(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let slug = slug_param(&params)?;
    let store = SpinStore::open_default()?;
    let tutorial = versions::get(&store, &slug)?;
    Ok(json(200, &feedback::summary(&store, &tutorial)?))
}

/// `POST /api/tutorials/:slug/feedback` `{"helpful", "comment"?}` (public): 201; 409
/// `already_rated` for a second answer from the same browser.
pub fn rate(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let slug = slug_param(&params)?;
    let body: FeedbackRequest = parse_body(&req)?;
    let (visitor, cookie) = visitor::identify(&req)?;
    let store = SpinStore::open_default()?;
    if let Some(retry_after_secs) = visitor::limited(&store, &req) {
        return Err(ApiError {
            retry_after_secs: Some(retry_after_secs),
            ..ApiError::new(
                429,
                "rate_limited",
                "too many answers from this address, try again later",
            )
        });
    }
    let now = SystemClock.now();
    let tutorial = versions::get(&store, &slug)?;
    if !tutorial.is_visible(now) {
        return Err(TutorialError::NotFound.into());
    }
    feedback::rate(&store, now, &slug, &visitor, body)?;
    let mut response = json(201, &json_value!({ "status": "recorded" }));
    visitor::attach(&mut response, cookie);
    Ok(response)
}

/// `PUT /api/tutorials/blocks/:id` `{"title", "text"}` (admin): creates or edits a block;
/// every step that includes it shows the new text at once.
pub fn put_block(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = params
        .get("id")
        .and_then(|s| Slug::parse(s).ok())
        .ok_or(TutorialError::BlockNotFound)?;
    let request: BlockRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    Ok(json(
        200,
        &blocks::put(&store, SystemClock.now(), id, &request)?,
    ))
}

/// `GET /api/tutorials/blocks/:id` (admin).
pub fn get_block(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = params
        .get("id")
        .and_then(|s| Slug::parse(s).ok())
        .ok_or(TutorialError::BlockNotFound)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &blocks::get(&store, &id)?))
}

/// `GET /api/tutorials/blocks` (admin): every block's id and title.
pub fn list_blocks(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &json_value!({ "blocks": blocks::list(&store)? })))
}

#[derive(Deserialize)]
struct PreviewRequest {
    markdown: String,
}

/// `POST /api/tutorials/preview` (editors): `{"markdown"}` rendered by the very renderer and
/// options of a step page, so the console's preview shows what patrons will see. Nothing is
/// stored.
pub fn preview(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let body: PreviewRequest = parse_body(&req)?;
    if body.markdown.chars().count() > model::MAX_STEP_TEXT_CHARS {
        return Err(ApiError::new(
            400,
            "invalid",
            format!(
                "markdown: at most {} characters",
                model::MAX_STEP_TEXT_CHARS
            ),
        ));
    }
    let options = RenderOptions {
        heading_offset: 1,
        ..RenderOptions::tutorial("e1-")
    };
    let rendered = markdown::render_with(&body.markdown, &options);
    Ok(json(200, &json_value!({ "html": rendered.html })))
}
