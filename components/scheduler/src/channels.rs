//! `/api/channels/...`: the library's accounts, managed by administrators and listed for
//! every staff member (the composer needs them). Credentials go in (create, replace) and
//! never come out: every answer is built from `Channel`, which has no field for them; a
//! webhook channel's generated secret is shown once, in the creation answer, and its address
//! (which some receivers treat as a secret) only to administrators.

use kiosque_domain::Clock;
use kiosque_domain::channels::{
    self, Channel, ChannelError, ChannelRandom, CredentialKey, CredentialsRequest, NewChannel,
    NewChannelRequest,
};
use kiosque_domain::social::{ChannelId, ChannelKind, PostContent};
use kiosque_spin::auth::{Permission, Staff};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, config, ids};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

use crate::http_client::SpinHttp;

/// The `credentials_key` variable, or a 503: channels are unavailable until the operator
/// sets it. The answer names the variable (never a value) so staff know whom to ask.
pub fn credential_key() -> Result<CredentialKey, ApiError> {
    let missing = || {
        ApiError::new(
            503,
            "credentials_key_missing",
            "channels are not configured on this server: its operator must set the \
             credentials_key variable (64 hexadecimal characters, openssl rand -hex 32)",
        )
    };
    let text = config::variable("credentials_key").ok_or_else(missing)?;
    CredentialKey::parse(&text).map_err(|_| missing())
}

fn channel_id(params: &Params) -> Result<ChannelId, ApiError> {
    params
        .get("id")
        .and_then(|id| ChannelId::parse(id).ok())
        .ok_or_else(|| ChannelError::NotFound.into())
}

/// Channels hold the library's platform secrets: administrators only (the same-site check
/// comes with it).
fn staff(req: &Request) -> Result<(), ApiError> {
    auth::require_admin(req).map(drop)
}

#[derive(Serialize)]
struct Created<'a> {
    channel: &'a channels::Channel,
    /// A webhook channel's `whsec_` secret: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let request: NewChannelRequest = parse_body(&req)?;
    let new = NewChannel::parse(request)?;
    let key = credential_key()?;
    let random = ChannelRandom {
        id: ids::random_bytes()?,
        nonce: ids::random_bytes()?,
        secret: ids::random_bytes()?,
    };
    let store = SpinStore::open_default()?;
    let (channel, secret) = channels::create(&store, &key, SystemClock.now(), random, new)?;
    let mut response = json(
        201,
        &Created {
            channel: &channel,
            secret,
        },
    );
    response.set_header("location", format!("/api/channels/{}", channel.id));
    Ok(response)
}

/// A channel as `staff` may see it: a webhook channel's address is for administrators.
fn for_viewer(channel: &Channel, staff: &Staff) -> serde_json::Value {
    let mut value = serde_json::to_value(channel).unwrap_or_default();
    if channel.kind == ChannelKind::Webhook && !staff.can(Permission::Administer) {
        value["url"] = serde_json::Value::Null;
    }
    value
}

pub fn list(req: Request, _params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    let channels: Vec<serde_json::Value> = channels::list(&store)?
        .iter()
        .map(|c| for_viewer(c, &staff))
        .collect();
    Ok(json(200, &serde_json::json!({ "channels": channels })))
}

pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::View)?;
    let id = channel_id(&params)?;
    let store = SpinStore::open_default()?;
    Ok(json(200, &for_viewer(&channels::get(&store, &id)?, &staff)))
}

pub fn delete(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = channel_id(&params)?;
    let store = SpinStore::open_default()?;
    channels::delete(&store, &id)?;
    Ok(Response::new(204, ()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelSettings {
    approval_required: bool,
}

/// `PUT /api/channels/:id`: `{"approval_required"}`, whether editors' posts to the channel
/// wait for an administrator; answers the channel.
pub fn update(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = channel_id(&params)?;
    let settings: ChannelSettings = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    let channel = channels::set_approval_required(&store, &id, settings.approval_required)?;
    Ok(json(200, &channel))
}

/// `PUT /api/channels/:id/credentials`: new credentials (reconnect); answers the channel.
pub fn set_credentials(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = channel_id(&params)?;
    let request: CredentialsRequest = parse_body(&req)?;
    let key = credential_key()?;
    let store = SpinStore::open_default()?;
    let channel = channels::set_credentials(&store, &key, &id, ids::random_bytes()?, request)?;
    Ok(json(200, &channel))
}

/// `POST /api/channels/:id/check`: asks the platform, records and answers the result.
pub async fn check(req: Request, params: Params) -> Result<Response, ApiError> {
    staff(&req)?;
    let id = channel_id(&params)?;
    let key = credential_key()?;
    let store = SpinStore::open_default()?;
    let http = SpinHttp::from_config();
    let channel = channels::check_connection(&store, &SystemClock, &key, &http, &id).await?;
    Ok(json(200, &channel))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateRequest {
    content: PostContent,
}

/// `POST /api/channels/:id/validate` `{"content": {...}}`: what the channel's platform would
/// refuse in a post, field by field (empty when it can go).
pub fn validate(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = channel_id(&params)?;
    let request: ValidateRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    let channel = channels::get(&store, &id)?;
    let public_base_url = crate::platform::public_base_url();
    let errors = channels::validate_stored(
        &store,
        &channel,
        &request.content,
        public_base_url.as_deref(),
    )
    .map_err(ChannelError::from)?;
    Ok(json(200, &serde_json::json!({ "errors": errors })))
}
