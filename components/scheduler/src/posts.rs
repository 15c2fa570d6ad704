//! The staff API of posts: `/api/posts/...` (admin token, JSON bodies). The rules live in
//! `kiosque_domain::posts`; this module parses requests and shapes answers.

use std::collections::BTreeMap;

use kiosque_domain::posts::csv as posts_csv;
use kiosque_domain::posts::listing::{self, DateRange};
use kiosque_domain::posts::schedule::{self, ScheduleRequest, WeeklySlots, When};
use kiosque_domain::posts::{
    self, NewPost, Post, PostError, PostId, PostRequest, StateName, approval, tick,
};
use kiosque_domain::social::ChannelId;
use kiosque_domain::zone::Zone;
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::auth::{Permission, Staff};
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, config, form, ids};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

use crate::platform;

/// The library's time zone (see [`config::library_zone`]).
pub fn library_zone() -> Zone {
    config::library_zone()
}

/// A malformed id cannot name a post: same answer as an unknown one.
fn post_id(params: &Params) -> Result<PostId, ApiError> {
    params
        .get("id")
        .and_then(|id| PostId::parse(id).ok())
        .ok_or_else(|| PostError::NotFound.into())
}

fn new_post_id() -> Result<PostId, ApiError> {
    Ok(PostId::generate(ids::random_bytes()?))
}

/// Staff writes: editors and administrators (the same-site check comes with it).
fn staff_write(req: &Request) -> Result<(), ApiError> {
    auth::require(req, Permission::Edit).map(drop)
}

/// A post as the API shows it: the stored post and its address.
#[derive(Serialize)]
struct PostResponse<'a> {
    #[serde(flatten)]
    post: &'a Post,
    url: String,
}

fn post_json(status: u16, req: &Request, post: &Post) -> Response {
    let url = format!("{}/api/posts/{}", base_url(req), post.id);
    let mut response = json(
        status,
        &PostResponse {
            post,
            url: url.clone(),
        },
    );
    if status == 201 {
        response.set_header("location", url);
    }
    response
}

pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    staff_write(&req)?;
    let request: PostRequest = parse_body(&req)?;
    if request.version.is_some() {
        return Err(PostError::field("version", "only for edits").into());
    }
    let new = NewPost::parse(&request)?;
    let store = SpinStore::open_default()?;
    let post = posts::create(&store, SystemClock.now(), new_post_id()?, new)?;
    Ok(post_json(201, &req, &post))
}

pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = post_id(&params)?;
    let store = SpinStore::open_default()?;
    Ok(post_json(200, &req, &posts::get(&store, &id)?))
}

/// `GET /api/posts/:id/metrics`: the post's figures on each channel it was published to
/// (`analytics::metrics::for_post`): 1 read (the post) + 1 batch read (its records).
pub fn metrics(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = post_id(&params)?;
    let store = SpinStore::open_default()?;
    let post = posts::get(&store, &id)?;
    let channels = kiosque_domain::analytics::metrics::for_post(&store, &post)?;
    Ok(json(
        200,
        &serde_json::json!({"post": post.id, "channels": channels}),
    ))
}

/// The name under which an editor's changes wait for approval; `None` for staff who may
/// publish (administrators, their tokens).
fn approval_submitter(staff: &Staff) -> Option<String> {
    (!staff.can(Permission::Publish)).then(|| staff.actor().name)
}

pub fn edit(req: Request, params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::Edit)?;
    let id = post_id(&params)?;
    let request: PostRequest = parse_body(&req)?;
    let new = NewPost::parse(&request)?;
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let editor = approval_submitter(&staff);
    let post = posts::edit(
        &store,
        &live,
        SystemClock.now(),
        &id,
        new,
        request.version,
        editor.as_deref(),
    )?;
    Ok(post_json(200, &req, &post))
}

/// `POST /api/posts/:id/schedule`: administrators schedule; an editor's post waits for
/// approval when one of its channels asks for it (`awaiting_approval`).
pub fn schedule(req: Request, params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::Edit)?;
    let id = post_id(&params)?;
    let request: ScheduleRequest = parse_body(&req)?;
    let when = When::parse(&request, library_zone())?;
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let now = SystemClock.now();
    let post = match approval_submitter(&staff) {
        Some(editor) => {
            approval::schedule_or_submit(&store, &live, now, &id, &request, when, &editor)?
        }
        None => schedule::schedule(&store, &live, now, &id, when)?,
    };
    Ok(post_json(200, &req, &post))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Approve {
    /// The version the administrator read; omitted, whatever awaits is approved.
    #[serde(default)]
    version: Option<u64>,
}

/// `POST /api/posts/:id/approve` (administrator), `{"version"?}`: scheduled as its editor
/// asked.
pub fn approve(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Publish)?;
    let id = post_id(&params)?;
    let body: Approve = if req.body().is_empty() {
        Approve::default()
    } else {
        parse_body(&req)?
    };
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let post = approval::approve(
        &store,
        &live,
        SystemClock.now(),
        &id,
        body.version,
        library_zone(),
    )?;
    Ok(post_json(200, &req, &post))
}

#[derive(Deserialize)]
struct SendBack {
    comment: String,
}

/// `POST /api/posts/:id/send-back` (administrator): `{"comment"}`, back to draft.
pub fn send_back(req: Request, params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::Publish)?;
    let id = post_id(&params)?;
    let body: SendBack = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    let by = staff.actor().name;
    let post = approval::send_back(&store, SystemClock.now(), &id, &by, &body.comment)?;
    Ok(post_json(200, &req, &post))
}

pub fn unschedule(req: Request, params: Params) -> Result<Response, ApiError> {
    staff_write(&req)?;
    let id = post_id(&params)?;
    let store = SpinStore::open_default()?;
    let post = posts::unschedule(&store, SystemClock.now(), &id)?;
    Ok(post_json(200, &req, &post))
}

pub fn cancel(req: Request, params: Params) -> Result<Response, ApiError> {
    staff_write(&req)?;
    let id = post_id(&params)?;
    let store = SpinStore::open_default()?;
    let post = posts::cancel(&store, SystemClock.now(), &id)?;
    Ok(post_json(200, &req, &post))
}

/// Publishes now, in this request, claimed like the tick claims (no double publication with
/// a tick running at the same moment).
pub async fn publish_now(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Publish)?;
    let id = post_id(&params)?;
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let post = tick::publish_now(&store, &live, &SystemClock, &id, library_zone()).await?;
    Ok(post_json(200, &req, &post))
}

/// `state`, `from`/`to` (local dates, together) and `page` from the query.
struct ListQuery {
    state: Option<StateName>,
    range: Option<DateRange>,
    page: Option<u64>,
}

fn list_query(req: &Request) -> Result<ListQuery, ApiError> {
    let query = req.query();
    let state = form::query_param(query, "state")
        .filter(|s| !s.is_empty())
        .map(|s| StateName::parse(&s))
        .transpose()?;
    let range = match (
        form::query_param(query, "from"),
        form::query_param(query, "to"),
    ) {
        (None, None) => None,
        (Some(from), Some(to)) => Some(DateRange::parse(&from, &to)?),
        _ => {
            return Err(
                PostError::BadRequest("from, to: give both dates or neither".to_owned()).into(),
            );
        }
    };
    let page = match form::query_param(query, "page") {
        None => None,
        Some(p) => Some(p.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::from(PostError::BadRequest(
                "page: must be a positive whole number".to_owned(),
            ))
        })?),
    };
    Ok(ListQuery { state, range, page })
}

#[derive(Serialize)]
struct ListResponse {
    posts: Vec<Post>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<u64>,
    /// With a date range: more posts were scheduled in it than one answer holds.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    truncated: bool,
}

fn list_posts(store: &SpinStore, query: &ListQuery) -> Result<ListResponse, ApiError> {
    Ok(match query.range {
        Some(range) => {
            let (posts, truncated) = listing::range(store, range, query.state)?;
            ListResponse {
                posts,
                next_page: None,
                truncated,
            }
        }
        None => {
            let page = listing::page(store, query.state, query.page)?;
            ListResponse {
                posts: page.posts,
                next_page: page.next_page,
                truncated: false,
            }
        }
    })
}

/// `GET /api/posts?state=&from=&to=&page=`: by state (registry pages, newest first) or by
/// date range (local dates, ordered by due time).
pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let query = list_query(&req)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &list_posts(&store, &query)?))
}

/// `GET /api/posts/calendar?month=YYYY-MM`: the month's scheduled (and published) posts by
/// local day.
pub fn calendar(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let month = form::query_param(req.query(), "month")
        .ok_or_else(|| ApiError::from(PostError::BadRequest("month: required, YYYY-MM".into())))?;
    let range = DateRange::month(&month)?;
    let store = SpinStore::open_default()?;
    let (posts, truncated) = listing::range(&store, range, None)?;
    #[derive(Serialize)]
    struct Entry<'a> {
        id: &'a PostId,
        state: StateName,
        local_time: String,
        due_at: Timestamp,
        channels: Vec<&'a str>,
        text: &'a str,
    }
    let mut days: BTreeMap<String, Vec<Entry>> =
        range.dates().into_iter().map(|d| (d, Vec::new())).collect();
    for post in &posts {
        let Some(s) = &post.schedule else { continue };
        days.entry(s.day.clone()).or_default().push(Entry {
            id: &post.id,
            state: post.state.name(),
            local_time: format!("{:02}:{:02}", s.local.hour(), s.local.minute()),
            due_at: s.due_at,
            channels: post.targets.iter().map(|t| t.channel.as_str()).collect(),
            text: &post.content.text,
        });
    }
    #[derive(Serialize)]
    struct Calendar<'a> {
        month: String,
        days: BTreeMap<String, Vec<Entry<'a>>>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        truncated: bool,
    }
    Ok(json(
        200,
        &Calendar {
            month: month.trim().to_owned(),
            days,
            truncated,
        },
    ))
}

/// `GET /api/posts/export.csv`: the same selection as the list, as CSV.
pub fn export_csv(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let query = list_query(&req)?;
    let store = SpinStore::open_default()?;
    let csv = posts_csv::export(&list_posts(&store, &query)?.posts);
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", "attachment; filename=\"posts.csv\"")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(csv)
        .build())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    csv: String,
}

/// `POST /api/posts/import {"csv": "..."}`: the CSV in a JSON string (JSON only, like every
/// staff write), validated row by row; answers which rows became posts and why others did not.
pub fn import_csv(req: Request, _params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::Edit)?;
    let editor = approval_submitter(&staff);
    let request: ImportRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let report = posts_csv::import(
        &store,
        &live,
        SystemClock.now(),
        &request.csv,
        library_zone(),
        editor.as_deref(),
    );
    Ok(json(200, &report?))
}

fn channel_id(params: &Params) -> Result<ChannelId, ApiError> {
    params
        .get("channel")
        .and_then(|id| ChannelId::parse(id).ok())
        .ok_or_else(|| PostError::field("channel", "not a channel id").into())
}

/// `GET /api/posts/slots/:channel`: a channel's weekly posting slots.
pub fn get_slots(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let channel = channel_id(&params)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &schedule::get_slots(&store, &channel)?))
}

/// `PUT /api/posts/slots/:channel {"slots": [{"day": "tue", "time": "10:00"}]}`.
pub fn set_slots(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let channel = channel_id(&params)?;
    let slots: WeeklySlots = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &schedule::set_slots(&store, &channel, slots)?))
}
