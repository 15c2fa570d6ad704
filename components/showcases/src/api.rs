//! The staff JSON API: `/api/showcases/...` and `/api/events/...`. Writes need the admin
//! token, a JSON body and a same-site request; the public `GET` of one showcase or event
//! answers drafts as 404 unless the token is there.

use kiosque_domain::events::{self, Event, EventError, EventId, EventRequest, NewEvent};
use kiosque_domain::showcases::index::{self, Audience};
use kiosque_domain::showcases::{
    self, ItemRequest, NewShowcase, Showcase, ShowcaseError, ShowcaseId, ShowcaseRequest,
    Visibility,
};
use kiosque_domain::zone::{LocalDateTime, Zone};
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, config, ids};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

use crate::render;

/// Editors and administrators (the same-site check comes with it): every staff write
/// starts here.
fn staff_write(req: &Request) -> Result<SpinStore, ApiError> {
    auth::require(req, Permission::Edit)?;
    Ok(SpinStore::open_default().map_err(ShowcaseError::from)?)
}

fn showcase_id(params: &Params) -> Result<ShowcaseId, ApiError> {
    params
        .get("id")
        .and_then(|id| ShowcaseId::parse(id).ok())
        .ok_or_else(|| ShowcaseError::NotFound.into())
}

fn event_id(params: &Params) -> Result<EventId, ApiError> {
    params
        .get("id")
        .and_then(|id| EventId::parse(id).ok())
        .ok_or_else(|| EventError::NotFound.into())
}

fn page(req: &Request) -> Result<Option<u64>, ApiError> {
    kiosque_spin::form::query_param(req.query(), "page")
        .map(|p| {
            p.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::new(400, "invalid_page", "page: must be a positive integer")
            })
        })
        .transpose()
}

#[derive(Serialize)]
struct ShowcaseResponse<'a> {
    #[serde(flatten)]
    showcase: &'a Showcase,
    visibility: Visibility,
    url: String,
    embed_url: String,
    /// The iframe snippet staff paste into another site.
    embed_html: String,
}

fn showcase_response(req: &Request, s: &Showcase, status: u16) -> Response {
    let base = base_url(req);
    let embed_url = format!("{base}/showcases/{}/embed", s.id);
    json(
        status,
        &ShowcaseResponse {
            showcase: s,
            visibility: s.visibility(SystemClock.now()),
            url: format!("{base}/showcases/{}", s.id),
            embed_html: render::embed_snippet(&embed_url, &s.title, 480).into_string(),
            embed_url,
        },
    )
}

/// `POST /api/showcases` (admin): 201 with the new draft.
pub fn create_showcase(req: Request, _params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let new = NewShowcase::parse(parse_body::<ShowcaseRequest>(&req)?)?;
    let id = ShowcaseId::generate(ids::random_bytes()?);
    let s = showcases::create(&store, &SystemClock, id, new)?;
    let mut response = showcase_response(&req, &s, 201);
    response.set_header(
        "location",
        format!("{}/api/showcases/{}", base_url(&req), s.id),
    );
    Ok(response)
}

/// `GET /api/showcases?page=N` (admin): drafts too, newest first, 2 store calls.
pub fn list_showcases(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let page = page(&req)?;
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    let listed = index::list(&store, Audience::Staff, page)?;
    let now = SystemClock.now();
    let base = base_url(&req);
    let items: Vec<serde_json::Value> = listed
        .cards
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id, "kind": c.kind, "title": c.title, "summary": c.summary,
                "items": c.items, "featured": c.featured, "published_at": c.published_at,
                "visibility": c.visibility(now), "updated_at": c.updated_at,
                "url": format!("{base}/showcases/{}", c.id),
            })
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({"showcases": items, "next_page": listed.next_page}),
    ))
}

/// `GET /api/showcases/:id`: published ones for everybody, drafts for staff.
pub fn show_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = showcase_id(&params)?;
    let store = SpinStore::open_default().map_err(ShowcaseError::from)?;
    let s = if auth::is_staff(&req) {
        showcases::get(&store, &id)?
    } else {
        showcases::get_public(&store, &id, SystemClock.now())?
    };
    Ok(showcase_response(&req, &s, 200))
}

/// `PUT /api/showcases/:id` (admin): replaces the content; publication and featuring stay.
pub fn edit_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let new = NewShowcase::parse(parse_body::<ShowcaseRequest>(&req)?)?;
    let s = showcases::edit(&store, &SystemClock, &id, new)?;
    Ok(showcase_response(&req, &s, 200))
}

/// `DELETE /api/showcases/:id` (admin): 204.
pub fn delete_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    showcases::delete(&store, &id)?;
    Ok(Response::builder().status(204).build())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderRequest {
    order: Vec<i64>,
}

/// `POST /api/showcases/:id/order` `{"order": [2, 0, 1]}` (admin).
pub fn reorder_items(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let body: OrderRequest = parse_body(&req)?;
    let s = showcases::reorder(&store, &SystemClock, &id, &body.order)?;
    Ok(showcase_response(&req, &s, 200))
}

/// `POST /api/showcases/:id/items` (admin): appends one item, 201 with the showcase.
pub fn add_item(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let item: ItemRequest = parse_body(&req)?;
    let s = showcases::add_item(&store, &SystemClock, &id, &item)?;
    Ok(showcase_response(&req, &s, 201))
}

fn item_index(params: &Params) -> Result<usize, ApiError> {
    let raw = params.get("index").unwrap_or("");
    let strict = kiosque_spin::routes::strict_number(raw).and_then(|n| usize::try_from(n).ok());
    strict.ok_or_else(|| {
        ApiError::from(ShowcaseError::Invalid(format!(
            "item index: must be a whole number from 0, got {raw:?}"
        )))
    })
}

/// `PUT /api/showcases/:id/items/:index` (admin): replaces one item (0-based).
pub fn replace_item(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let index = item_index(&params)?;
    let item: ItemRequest = parse_body(&req)?;
    let s = showcases::replace_item(&store, &SystemClock, &id, index, &item)?;
    Ok(showcase_response(&req, &s, 200))
}

/// `DELETE /api/showcases/:id/items/:index` (admin): removes one item.
pub fn remove_item(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let index = item_index(&params)?;
    let s = showcases::remove_item(&store, &SystemClock, &id, index)?;
    Ok(showcase_response(&req, &s, 200))
}

/// `{"at": "2026-12-01T09:00", "time_zone": "Europe/Paris"}` (the library's zone when
/// `time_zone` is absent), `{"at": "...Z"}` or `{}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    at: Option<String>,
    time_zone: Option<String>,
}

/// When to publish: now without a body or without `at`.
fn publish_at(req: &Request) -> Result<Option<Timestamp>, ApiError> {
    let body: PublishRequest = if req.body().is_empty() {
        PublishRequest::default()
    } else {
        parse_body(req)?
    };
    let Some(at) = body.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let zone = match body.time_zone.as_deref() {
        Some(name) => Zone::parse(name)?,
        None => config::library_zone(),
    };
    if let Ok(local) = LocalDateTime::parse(at) {
        return Ok(Some(zone.to_utc(local)));
    }
    Timestamp::parse(at).map(Some).map_err(|_| {
        ApiError::new(
            400,
            "invalid_date",
            format!(
                "at: must be a local date and time such as 2026-12-01T09:00 (in time_zone), \
                 or with its offset; got {at:?}"
            ),
        )
    })
}

/// `POST /api/showcases/:id/publish` (admin): now, or at `at` (scheduled until then).
pub fn publish_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let at = publish_at(&req)?;
    let s = showcases::publish(&store, &SystemClock, &id, at)?;
    Ok(showcase_response(&req, &s, 200))
}

/// `POST /api/showcases/:id/unpublish` (admin): back to draft.
pub fn unpublish_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let s = showcases::unpublish(&store, &SystemClock, &id)?;
    Ok(showcase_response(&req, &s, 200))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureRequest {
    featured: bool,
}

/// `POST /api/showcases/:id/feature` `{"featured": true|false}` (admin).
pub fn feature_showcase(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = showcase_id(&params)?;
    let body: FeatureRequest = parse_body(&req)?;
    let s = showcases::feature(&store, &SystemClock, &id, body.featured)?;
    Ok(showcase_response(&req, &s, 200))
}

// --- events -----------------------------------------------------------------------------

#[derive(Serialize)]
struct EventResponse<'a> {
    #[serde(flatten)]
    event: &'a Event,
    visibility: Visibility,
    phase: events::Phase,
    url: String,
    ics_url: String,
    embed_url: String,
    embed_html: String,
}

fn event_response(req: &Request, e: &Event, status: u16) -> Response {
    let base = base_url(req);
    let now = SystemClock.now();
    let embed_url = format!("{base}/events/{}/embed", e.id);
    json(
        status,
        &EventResponse {
            event: e,
            visibility: showcases::model::visibility(e.published_at, now),
            phase: e.phase(now),
            url: format!("{base}/events/{}", e.id),
            ics_url: format!("{base}/events/{}/event.ics", e.id),
            embed_html: render::embed_snippet(&embed_url, &e.title, 260).into_string(),
            embed_url,
        },
    )
}

/// `POST /api/events` (admin): 201 with the new draft.
pub fn create_event(req: Request, _params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let new = NewEvent::parse(parse_body::<EventRequest>(&req)?, config::library_zone())?;
    let id = EventId::generate(ids::random_bytes()?);
    let e = events::create(&store, &SystemClock, id, new)?;
    let mut response = event_response(&req, &e, 201);
    response.set_header(
        "location",
        format!("{}/api/events/{}", base_url(&req), e.id),
    );
    Ok(response)
}

/// `GET /api/events?page=N` (admin): drafts too, newest first, 3 store calls.
pub fn list_events(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let page = page(&req)?;
    let store = SpinStore::open_default().map_err(EventError::from)?;
    let (all, next_page) = events::list_all(&store, page)?;
    let now = SystemClock.now();
    let base = base_url(&req);
    let items: Vec<serde_json::Value> = all
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "title": e.title, "starts_at": e.starts_at, "ends_at": e.ends_at,
                "time_zone": e.time_zone, "published_at": e.published_at,
                "visibility": showcases::model::visibility(e.published_at, now),
                "phase": e.phase(now), "url": format!("{base}/events/{}", e.id),
            })
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({"events": items, "next_page": next_page}),
    ))
}

/// `GET /api/events/:id`: published ones for everybody, drafts for staff.
pub fn show_event(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = event_id(&params)?;
    let store = SpinStore::open_default().map_err(EventError::from)?;
    let e = if auth::is_staff(&req) {
        events::get(&store, &id)?
    } else {
        events::get_public(&store, &id, SystemClock.now())?
    };
    Ok(event_response(&req, &e, 200))
}

/// `PUT /api/events/:id` (admin): replaces the content; publication stays.
pub fn edit_event(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = event_id(&params)?;
    let new = NewEvent::parse(parse_body::<EventRequest>(&req)?, config::library_zone())?;
    let e = events::edit(&store, &SystemClock, &id, new)?;
    Ok(event_response(&req, &e, 200))
}

/// `DELETE /api/events/:id` (admin): 204.
pub fn delete_event(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = event_id(&params)?;
    events::delete(&store, &id)?;
    Ok(Response::builder().status(204).build())
}

/// `POST /api/events/:id/publish` (admin): now, or at `at`.
pub fn publish_event(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = event_id(&params)?;
    let at = publish_at(&req)?;
    let e = events::publish(&store, &SystemClock, &id, at)?;
    Ok(event_response(&req, &e, 200))
}

/// `POST /api/events/:id/unpublish` (admin): back to draft.
pub fn unpublish_event(req: Request, params: Params) -> Result<Response, ApiError> {
    let store = staff_write(&req)?;
    let id = event_id(&params)?;
    let e = events::unpublish(&store, &SystemClock, &id)?;
    Ok(event_response(&req, &e, 200))
}
