//! The reports as JSON for the console, and their CSV.

use kiosque_domain::analytics::reports::{self, csv};
use kiosque_domain::analytics::{AnalyticsError, Month, audience, metrics, participation};
use kiosque_domain::campaigns::{self, CampaignId};
use kiosque_domain::posts::PostId;
use kiosque_spin::auth::{self, Permission};
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock};
use spin_sdk::http::{Params, Request, Response};

pub fn month(params: &Params) -> Result<Month, AnalyticsError> {
    Month::parse(params.get("month").unwrap_or_default())
}

pub fn campaign_id(params: &Params) -> Result<CampaignId, AnalyticsError> {
    params
        .get("id")
        .and_then(|id| CampaignId::parse(id).ok())
        .ok_or(AnalyticsError::NotFound("campaign"))
}

fn staff(req: &Request) -> Result<(), ApiError> {
    auth::require(req, Permission::View).map(drop)
}

/// What every monthly handler starts with: staff only, the month, the store.
fn staff_month(req: &Request, params: &Params) -> Result<(Month, SpinStore), ApiError> {
    staff(req)?;
    let month = month(params)?;
    Ok((month, SpinStore::open_default()?))
}

/// A CSV download: named, never cached (staff figures), never sniffed as something else.
fn csv_download(name: &str, body: String) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(body)
        .build()
}

/// Staff JSON is never cached: figures change with every tick and view.
fn no_store(mut response: Response) -> Response {
    response.set_header("cache-control", "no-store");
    response
}

/// `GET /api/reports/monthly/:month`: the month's report with the month before's totals.
pub fn monthly(req: Request, params: Params) -> Result<Response, ApiError> {
    let (month, store) = staff_month(&req, &params)?;
    Ok(no_store(json(200, &reports::monthly(&store, month)?)))
}

/// `GET /api/reports/monthly/:month/posts.csv`: one row per post and channel.
pub fn monthly_posts_csv(req: Request, params: Params) -> Result<Response, ApiError> {
    let (month, store) = staff_month(&req, &params)?;
    let read = metrics::published_between(&store, month.first_day(), month.last_day())?;
    Ok(csv_download(
        &format!("posts-{month}.csv"),
        csv::posts(&read.records),
    ))
}

/// `GET /api/reports/monthly/:month/pages.csv`: every page viewed, by source.
pub fn monthly_pages_csv(req: Request, params: Params) -> Result<Response, ApiError> {
    let (month, store) = staff_month(&req, &params)?;
    let views = audience::views_between(&store, month.first_day(), month.last_day())?;
    Ok(csv_download(
        &format!("pages-{month}.csv"),
        csv::pages(&views),
    ))
}

/// `GET /api/reports/monthly/:month/days.csv`: each day's views and participation.
pub fn monthly_days_csv(req: Request, params: Params) -> Result<Response, ApiError> {
    let (month, store) = staff_month(&req, &params)?;
    let (from, to) = (month.first_day(), month.last_day());
    let views = audience::views_between(&store, from, to)?;
    let days = participation::between(&store, from, to)?;
    Ok(csv_download(
        &format!("days-{month}.csv"),
        csv::days(&views, &days),
    ))
}

/// `GET /api/reports/campaigns/:id`: the figures of the campaign's posts.
pub fn campaign(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = campaign_id(&params)?;
    let store = SpinStore::open_default()?;
    let today = campaigns::today(&SystemClock);
    Ok(no_store(json(200, &reports::campaign(&store, &id, today)?)))
}

/// `GET /api/reports/campaigns/:id/posts.csv`: one row per post and channel.
pub fn campaign_posts_csv(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = campaign_id(&params)?;
    let store = SpinStore::open_default()?;
    let (campaign, read) = reports::campaign_data(&store, &id)?;
    Ok(csv_download(
        &format!("campaign-{}-posts.csv", campaign.slug),
        csv::posts(&read.records),
    ))
}

/// `GET /api/reports/posts/:id`: a post's latest figures and history on each channel.
pub fn post(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = params
        .get("id")
        .and_then(|id| PostId::parse(id).ok())
        .ok_or(AnalyticsError::NotFound("post"))?;
    let store = SpinStore::open_default()?;
    Ok(no_store(json(200, &reports::post(&store, &id)?)))
}

/// `GET /api/reports/recent`: the last 30 days, for the dashboard.
pub fn recent(req: Request, _params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let store = SpinStore::open_default()?;
    let today = campaigns::today(&SystemClock);
    Ok(no_store(json(200, &reports::recent(&store, today)?)))
}
