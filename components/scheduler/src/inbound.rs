//! `/webhooks/...`: events the social platforms push to Kiosque, turned into campaign
//! mentions by `kiosque_domain::inbound`. Each kind is verified with its own secret variable
//! (`secret = true` in the manifest); an unset variable closes its endpoint (401, logged).
//! Bodies are capped at 256 KiB by `kiosque_spin::serve` (413 beyond).
//!
//! No admin token and no same-site check here: the platforms are the callers, and the
//! signature over the raw body is what proves it.

use kiosque_domain::inbound::verify::{self, MetaHandshake, StandardHeaders};
use kiosque_domain::inbound::{self, InboundError};
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, config, form};
use spin_sdk::http::{Params, Request, Response};

/// A secret variable's bytes, or the 401 of a closed endpoint.
fn secret(variable: &str) -> Result<String, ApiError> {
    config::variable(variable).ok_or_else(|| {
        eprintln!("webhook refused: the {variable} variable is empty");
        InboundError::BadSignature.into()
    })
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name).and_then(|v| v.as_str())
}

fn answer(outcome: Result<inbound::Outcome, InboundError>) -> Result<Response, ApiError> {
    Ok(json(200, &outcome?))
}

/// `GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`: Meta's
/// subscription check; the challenge back as text only when the token is `meta_verify_token`.
pub fn meta_handshake(req: Request, _params: Params) -> Result<Response, ApiError> {
    let expected = config::variable("meta_verify_token").ok_or_else(|| {
        eprintln!("meta handshake refused: the meta_verify_token variable is empty");
        ApiError::from(InboundError::BadVerifyToken)
    })?;
    let pairs = form::parse(req.query());
    let challenge = verify::meta_handshake(
        &expected,
        MetaHandshake {
            mode: form::get(&pairs, "hub.mode"),
            verify_token: form::get(&pairs, "hub.verify_token"),
            challenge: form::get(&pairs, "hub.challenge"),
        },
    )?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(challenge.to_owned())
        .build())
}

/// `POST /webhooks/meta`: Instagram and Page events, `X-Hub-Signature-256` with
/// `meta_app_secret`.
pub fn meta(req: Request, _params: Params) -> Result<Response, ApiError> {
    let secret = secret("meta_app_secret")?;
    let store = SpinStore::open_default()?;
    answer(inbound::meta::receive(
        &store,
        &SystemClock,
        secret.trim().as_bytes(),
        header(&req, "x-hub-signature-256"),
        req.body(),
    ))
}

/// `POST /webhooks/mastodon`: a Mastodon server's admin webhook, `X-Hub-Signature` with
/// `mastodon_webhook_secret`.
pub fn mastodon(req: Request, _params: Params) -> Result<Response, ApiError> {
    let secret = secret("mastodon_webhook_secret")?;
    let store = SpinStore::open_default()?;
    answer(inbound::mastodon::receive(
        &store,
        &SystemClock,
        secret.trim().as_bytes(),
        header(&req, "x-hub-signature"),
        req.body(),
    ))
}

/// `POST /webhooks/standard`: Standard Webhooks from automation tools, signed with
/// `inbound_webhook_secret` (`whsec_<base64>`).
pub fn standard(req: Request, _params: Params) -> Result<Response, ApiError> {
    let text = secret("inbound_webhook_secret")?;
    let secret = verify::standard_secret(&text).ok_or_else(|| {
        eprintln!("webhook refused: inbound_webhook_secret is not whsec_<base64> of 16+ bytes");
        ApiError::from(InboundError::BadSignature)
    })?;
    let store = SpinStore::open_default()?;
    answer(inbound::standard::receive(
        &store,
        &SystemClock,
        &secret,
        StandardHeaders {
            id: header(&req, "webhook-id"),
            timestamp: header(&req, "webhook-timestamp"),
            signature: header(&req, "webhook-signature"),
        },
        req.body(),
    ))
}
