//! `/api/webhook-endpoints/...` (admin): the endpoints that receive the lifecycle webhooks
//! (`post.scheduled`, `post.published`, `post.failed`, `channel.needs_reconnect`) and the
//! delivery log. The tick sends the deliveries (see `tick.rs`).

use kiosque_domain::Clock;
use kiosque_domain::channels::webhooks_out::{self, EndpointError, EndpointId, NewEndpointRequest};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, ids};
use spin_sdk::http::{Params, Request, Response};

use crate::channels::credential_key;

fn endpoint_id(params: &Params) -> Result<EndpointId, ApiError> {
    params
        .get("id")
        .and_then(|id| EndpointId::parse(id).ok())
        .ok_or_else(|| EndpointError::NotFound.into())
}

/// `POST /api/webhook-endpoints` `{"url", "description"?, "events"?}`: 201 with the endpoint
/// and its `whsec_` secret, shown this once.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let request: NewEndpointRequest = parse_body(&req)?;
    let key = credential_key()?;
    let random = (
        ids::random_bytes()?,
        ids::random_bytes()?,
        ids::random_bytes()?,
    );
    let store = SpinStore::open_default()?;
    let (endpoint, secret) =
        webhooks_out::create_endpoint(&store, &key, SystemClock.now(), random, request)?;
    Ok(json(
        201,
        &serde_json::json!({ "endpoint": endpoint, "secret": secret }),
    ))
}

pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let store = SpinStore::open_default()?;
    let endpoints = webhooks_out::list_endpoints(&store)?;
    Ok(json(200, &serde_json::json!({ "endpoints": endpoints })))
}

pub fn delete(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let id = endpoint_id(&params)?;
    let store = SpinStore::open_default()?;
    webhooks_out::delete_endpoint(&store, &id)?;
    Ok(Response::new(204, ()))
}

/// `POST /api/webhook-endpoints/:id/enable`: back on after a 410 Gone.
pub fn enable(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let id = endpoint_id(&params)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &webhooks_out::enable_endpoint(&store, &id)?))
}

/// `GET /api/webhook-endpoints/deliveries?before=n&limit=50`: the delivery log, newest first,
/// each with its status, attempts and the endpoint's last answer.
pub fn deliveries(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let query = req.query();
    let param = |name: &str| {
        query.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.parse::<u64>().ok()).flatten()
        })
    };
    let store = SpinStore::open_default()?;
    let deliveries =
        webhooks_out::list_deliveries(&store, param("before"), param("limit").unwrap_or(50))?;
    let next_before = deliveries.last().map(|d| d.seq).filter(|&seq| seq > 1);
    Ok(json(
        200,
        &serde_json::json!({ "deliveries": deliveries, "next_before": next_before }),
    ))
}
