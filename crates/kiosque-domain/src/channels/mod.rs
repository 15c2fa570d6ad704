//! Channels: the library's accounts that posts go to (a Mastodon account, a Bluesky account,
//! a generic outgoing webhook), their encrypted credentials, "check connection", the rules
//! each platform puts on a post ([`validate`]) and publishing ([`publish`]).
//!
//! - [`crypto`]: credentials sealed with ChaCha20-Poly1305 under the `credentials_key`
//!   variable; they go in through the staff API and never come out (no getter returns them,
//!   [`Channel`] has no field for them);
//! - [`text`]: the composed text, links/mentions/hashtags with UTF-8 byte offsets, counts;
//! - [`mastodon`], [`bluesky`], [`webhook`], [`meta`] (Facebook Pages and Instagram through
//!   the Graph API): each platform's client over the
//!   [`HttpClient`](crate::social::HttpClient) seam, so tests run natively against doubles;
//! - [`webhooks_out`]: the lifecycle webhooks staff subscribe to (Standard Webhooks).
//!
//! Store operations, whatever the number of channels or posts: `get` 1 read; `list` 1 counter
//! read and 2 batch reads; `create` 1 increment and 2 writes; `publish` 1 read, plus for
//! Bluesky 1 session read, 1 record-key read and write, and a session write only when it was
//! renewed; for Facebook and Instagram 1 progress read and a write per step (one per image,
//! the marker, the post id: at most 14), and for Instagram 1 read per library image
//! (validation).

pub mod bluesky;
pub mod crypto;
pub mod link_card;
pub mod mastodon;
pub mod meta;
pub mod text;
pub mod webhook;
pub mod webhooks_out;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::moderation;
use crate::social::{
    ChannelId, ChannelKind, FieldError, HttpClient, HttpFailure, HttpResponse, LifecycleEvent,
    PostContent, PublishOutcome,
};
use crate::store::{KvStore, StoreError};
use crate::web::{Url, UrlProblem};
use url::Host;

pub use crypto::{CredentialKey, Sealed};

/// The most channels a library registers; the staff list reads them all at once.
pub const MAX_CHANNELS: u64 = 100;
/// Images per post on Mastodon, Bluesky and webhook channels.
pub const MAX_IMAGES: usize = 4;

/// The most images a post may carry on a channel of `kind`: 4 on Mastodon and Bluesky (and
/// webhook channels, whose receivers were promised no more), 10 on a Facebook Page and in an
/// Instagram carousel.
pub fn max_images(kind: ChannelKind) -> usize {
    match kind {
        ChannelKind::Facebook | ChannelKind::Instagram => meta::MAX_IMAGES,
        ChannelKind::Mastodon | ChannelKind::Bluesky | ChannelKind::Webhook => MAX_IMAGES,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("channel not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("the library already has {MAX_CHANNELS} channels")]
    TooMany,
    /// The `credentials_key` variable is unset or malformed: a deployment mistake.
    #[error("the credentials_key variable is not configured")]
    KeyMissing,
    /// Stored credentials do not open with the current key (key changed, value corrupted).
    #[error("stored credentials of channel {0} do not decrypt with the current key")]
    Undecryptable(ChannelId),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for ChannelError {
    fn kind(&self) -> ErrorKind {
        match self {
            ChannelError::NotFound => ErrorKind::NotFound,
            ChannelError::Invalid(_) => ErrorKind::Invalid,
            ChannelError::TooMany => ErrorKind::Conflict,
            ChannelError::KeyMissing
            | ChannelError::Undecryptable(_)
            | ChannelError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ChannelError::NotFound => "channel_not_found",
            ChannelError::Invalid(_) => "invalid_channel",
            ChannelError::TooMany => "too_many_channels",
            ChannelError::KeyMissing => "credentials_key_missing",
            ChannelError::Undecryptable(_) => "credentials_undecryptable",
            ChannelError::Storage(_) => "storage_error",
        }
    }
}

/// The base URL of a platform server or webhook target: `https://` anywhere, or plain
/// `http://` on the loopback interface only (a local server during development and tests).
/// Which hosts are reachable at all is `allowed_outbound_hosts`' decision (see README).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceUrl(Url);

impl ServiceUrl {
    pub fn parse(field: &str, text: &str) -> Result<Self, String> {
        let text = text.trim().trim_end_matches('/');
        let url = crate::web::absolute_url(text).map_err(|problem| match problem {
            UrlProblem::Invalid
                if !text.to_ascii_lowercase().starts_with("https://")
                    && !text.to_ascii_lowercase().starts_with("http://") =>
            {
                format!("{field}: must start with https://")
            }
            problem => problem.message(field, "URL"),
        })?;
        let loopback = match url.host() {
            Some(Host::Domain(name)) => name == "localhost",
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "{field}: must start with https:// (plain http only on 127.0.0.1)"
                ));
            }
            _ => return Err(format!("{field}: must start with https://")),
        }
        // A fragment is never sent to a server: an address with one is a typing mistake.
        if url.fragment().is_some() {
            return Err(format!("{field}: must be a valid URL"));
        }
        if text.len() > 500 {
            return Err(format!("{field}: must be at most 500 characters"));
        }
        Ok(ServiceUrl(url))
    }

    /// The server's address without a trailing slash (`https://mastodon.example`), as stored.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The address of the API `path_and_query` (starting with `/`) on this server, after the
    /// server's own path if it has one (`https://bib.example/social` + `/api/v1/statuses`).
    pub fn join(&self, path_and_query: &str) -> String {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let mut url = self.0.clone();
        url.set_path(&format!("{}{path}", self.0.path().trim_end_matches('/')));
        url.set_query(query);
        url.into()
    }
}

impl TryFrom<String> for ServiceUrl {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        ServiceUrl::parse("url", &text)
    }
}

impl From<ServiceUrl> for String {
    fn from(url: ServiceUrl) -> String {
        url.as_str().to_owned()
    }
}

/// Whether a channel can publish, as far as we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    /// Created or given new credentials, not checked yet.
    Unchecked,
    /// The last check or publication succeeded.
    Connected,
    /// The platform refused the credentials (401/403): staff must give new ones; nothing is
    /// published to it until then.
    NeedsReconnect,
    /// The last check could not reach the platform (network, 5xx): try again later.
    Unreachable,
}

/// What a server allows, read by "check connection" from Mastodon's `GET /api/v2/instance`;
/// Mastodon's defaults until then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_characters: u32,
    pub max_media: u32,
    pub characters_reserved_per_url: u32,
    pub poll_max_options: u32,
    pub poll_max_characters_per_option: u32,
    pub poll_min_expiration: u32,
    pub poll_max_expiration: u32,
    pub alt_text_max_characters: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_characters: 500,
            max_media: 4,
            characters_reserved_per_url: 23,
            poll_max_options: 4,
            poll_max_characters_per_option: 50,
            poll_min_expiration: 300,
            poll_max_expiration: 2_629_746,
            alt_text_max_characters: 1500,
        }
    }
}

impl Limits {
    /// What a new channel of `kind` allows until "check connection" reads better: Mastodon's
    /// defaults, and Facebook's and Instagram's fixed limits (text or caption characters,
    /// 10 images), so the console counts against the right figures.
    pub fn for_kind(kind: ChannelKind) -> Self {
        let default = Limits::default();
        match kind {
            ChannelKind::Facebook => Limits {
                max_characters: meta::FACEBOOK_MAX_CHARACTERS as u32,
                max_media: meta::MAX_IMAGES as u32,
                ..default
            },
            ChannelKind::Instagram => Limits {
                max_characters: meta::INSTAGRAM_MAX_CAPTION as u32,
                max_media: meta::MAX_IMAGES as u32,
                ..default
            },
            ChannelKind::Mastodon | ChannelKind::Bluesky | ChannelKind::Webhook => default,
        }
    }
}

/// A channel as staff see it. It holds no secret, so it can be serialised into any answer;
/// the credentials live beside it, sealed, in [`StoredChannel`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    /// Mastodon: the server (`https://mastodon.social`); Bluesky: the PDS
    /// (`https://bsky.social`); webhook: the URL posts are sent to.
    pub url: ServiceUrl,
    /// Bluesky: the account's handle (`bib.bsky.social`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Facebook: the Page id; Instagram: the professional account's id (the "IG user id").
    /// Digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub status: ChannelStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The account as the platform names it (`@bib@mastodon.social`, a Bluesky DID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default)]
    pub limits: Limits,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<Timestamp>,
    /// Whether an editor's post to this channel waits for an administrator's approval
    /// (`posts::approval`). On unless an administrator turns it off.
    #[serde(default = "approval_by_default")]
    pub approval_required: bool,
}

fn approval_by_default() -> bool {
    true
}

/// The stored document: the channel and its sealed credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredChannel {
    pub channel: Channel,
    pub credentials: Sealed,
}

/// What staff give for a channel's credentials; never stored in the clear, never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    /// A Mastodon access token with the `write:statuses write:media read:accounts
    /// read:statuses` scopes (`read:statuses` for the posts' figures), or a Facebook Page
    /// access token (Facebook and Instagram channels; `read_insights` and
    /// `instagram_manage_insights` for the figures).
    AccessToken(String),
    /// A Bluesky app password (Settings > App passwords), never the account password.
    AppPassword(String),
    /// The Standard Webhooks secret of a webhook channel (raw bytes, shown once as `whsec_`).
    WebhookSecret(Vec<u8>),
}

/// The staff API's body to create a channel (the credentials are write-only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChannelRequest {
    pub kind: ChannelKind,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub handle: Option<String>,
    /// Facebook: the Page id; Instagram: the IG user id. Refused for other kinds.
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub app_password: Option<String>,
    #[serde(default)]
    pub approval_required: Option<bool>,
}

/// The staff API's body to replace a channel's credentials (reconnect).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsRequest {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub app_password: Option<String>,
}

/// A validated channel creation.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    pub url: ServiceUrl,
    pub handle: Option<String>,
    pub account_id: Option<String>,
    /// `None` for a webhook channel: its secret is generated.
    pub credentials: Option<Credentials>,
    pub approval_required: bool,
}

impl NewChannel {
    pub fn parse(request: NewChannelRequest) -> Result<Self, ChannelError> {
        let invalid = ChannelError::Invalid;
        let name = moderation::text("name", &request.name, 100, false).map_err(invalid)?;
        let url = ServiceUrl::parse("url", &request.url).map_err(invalid)?;
        let handle = match (request.kind, request.handle.as_deref().map(str::trim)) {
            (ChannelKind::Bluesky, Some(handle)) => Some(parse_handle(handle)?),
            (ChannelKind::Bluesky, None) => {
                return Err(invalid("handle: required for a Bluesky channel".into()));
            }
            (_, Some(_)) => {
                return Err(invalid("handle: only for a Bluesky channel".into()));
            }
            (_, None) => None,
        };
        let account_id = match (request.kind, request.account_id.as_deref().map(str::trim)) {
            (ChannelKind::Facebook | ChannelKind::Instagram, Some(id)) => {
                Some(parse_account_id(request.kind, id)?)
            }
            (ChannelKind::Facebook, None) => {
                return Err(invalid(
                    "account_id: required for a Facebook channel: the Page id".into(),
                ));
            }
            (ChannelKind::Instagram, None) => {
                return Err(invalid(
                    "account_id: required for an Instagram channel: the Instagram professional \
                     account id (IG user id)"
                        .into(),
                ));
            }
            (kind, Some(_)) => {
                return Err(invalid(format!(
                    "account_id: not used by a {} channel",
                    kind.as_str()
                )));
            }
            (_, None) => None,
        };
        let credentials = parse_credentials(
            request.kind,
            CredentialsRequest {
                access_token: request.access_token,
                app_password: request.app_password,
            },
        )?;
        Ok(NewChannel {
            kind: request.kind,
            name,
            url,
            handle,
            account_id,
            credentials,
            approval_required: request.approval_required.unwrap_or(true),
        })
    }
}

/// A Graph API node id: digits only (what Meta shows as a Page id or an IG user id).
fn parse_account_id(kind: ChannelKind, id: &str) -> Result<String, ChannelError> {
    if id.is_empty() || id.len() > 30 || !id.bytes().all(|b| b.is_ascii_digit()) {
        let what = match kind {
            ChannelKind::Instagram => "the Instagram professional account id (IG user id)",
            _ => "the Page id",
        };
        return Err(ChannelError::Invalid(format!(
            "account_id: must be {what}, digits only"
        )));
    }
    Ok(id.to_owned())
}

fn parse_handle(handle: &str) -> Result<String, ChannelError> {
    let handle = handle.trim_start_matches('@').to_ascii_lowercase();
    let valid = handle.len() <= 253
        && handle.contains('.')
        && handle.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(ChannelError::Invalid(
            "handle: must be a Bluesky handle such as bib.bsky.social".into(),
        ));
    }
    Ok(handle)
}

/// Checks that the credentials fit the channel kind. Secrets are checked for shape only and
/// never appear in an error message.
pub fn parse_credentials(
    kind: ChannelKind,
    request: CredentialsRequest,
) -> Result<Option<Credentials>, ChannelError> {
    let secret = |field: &str, value: Option<String>| -> Result<String, ChannelError> {
        let value = value.map(|v| v.trim().to_owned()).unwrap_or_default();
        if value.is_empty()
            || value.len() > 2000
            || value.chars().any(|c| c.is_control() || c == ' ')
        {
            return Err(ChannelError::Invalid(format!(
                "{field}: required, without spaces, at most 2000 characters"
            )));
        }
        Ok(value)
    };
    let extra = |field: &str| {
        Err(ChannelError::Invalid(format!(
            "{field}: not used by a {} channel",
            kind.as_str()
        )))
    };
    match kind {
        ChannelKind::Mastodon | ChannelKind::Facebook | ChannelKind::Instagram => {
            if request.app_password.is_some() {
                return extra("app_password");
            }
            Ok(Some(Credentials::AccessToken(secret(
                "access_token",
                request.access_token,
            )?)))
        }
        ChannelKind::Bluesky => {
            if request.access_token.is_some() {
                return extra("access_token");
            }
            Ok(Some(Credentials::AppPassword(secret(
                "app_password",
                request.app_password,
            )?)))
        }
        ChannelKind::Webhook => {
            if request.access_token.is_some() {
                return extra("access_token");
            }
            if request.app_password.is_some() {
                return extra("app_password");
            }
            Ok(None)
        }
    }
}

/// The context string a channel's sealed values are bound to (associated data).
fn credentials_context(id: &ChannelId) -> String {
    format!("channel/{id}/credentials")
}

/// Randomness a channel operation needs, drawn by the caller from the host.
#[derive(Debug, Clone, Copy)]
pub struct ChannelRandom {
    pub id: [u8; 10],
    pub nonce: [u8; 12],
    /// A webhook channel's secret (24 bytes, within Standard Webhooks' 24-64).
    pub secret: [u8; 24],
}

/// Creates a channel; for a webhook channel, also returns its `whsec_...` secret, which is
/// shown this once and never again.
pub fn create(
    store: &dyn KvStore,
    key: &CredentialKey,
    now: Timestamp,
    random: ChannelRandom,
    new: NewChannel,
) -> Result<(Channel, Option<String>), ChannelError> {
    let id = ChannelId::generate(random.id);
    let (credentials, shown_secret) = match new.credentials {
        Some(credentials) => (credentials, None),
        None => (
            Credentials::WebhookSecret(random.secret.to_vec()),
            Some(webhook::format_secret(&random.secret)),
        ),
    };
    let channel = Channel {
        id: id.clone(),
        kind: new.kind,
        name: new.name,
        url: new.url,
        handle: new.handle,
        account_id: new.account_id,
        status: ChannelStatus::Unchecked,
        status_reason: None,
        account: None,
        limits: Limits::for_kind(new.kind),
        created_at: now,
        checked_at: None,
        approval_required: new.approval_required,
    };
    let slot = u64::try_from(store.increment(&keys::channel_index_seq(), 1)?).unwrap_or(0);
    if slot > MAX_CHANNELS {
        store.increment(&keys::channel_index_seq(), -1)?;
        return Err(ChannelError::TooMany);
    }
    let stored = StoredChannel {
        channel: channel.clone(),
        credentials: seal_credentials(key, &id, random.nonce, &credentials),
    };
    store.set_json(&keys::channel(&id), &stored)?;
    store.set_json(&keys::channel_index_slot(slot), &id)?;
    Ok((channel, shown_secret))
}

fn seal_credentials(
    key: &CredentialKey,
    id: &ChannelId,
    nonce: [u8; 12],
    credentials: &Credentials,
) -> Sealed {
    let plaintext = serde_json::to_vec(credentials).unwrap_or_default();
    key.seal(&credentials_context(id), nonce, &plaintext)
}

/// Reads the stored document of a channel.
pub fn get_stored(store: &dyn KvStore, id: &ChannelId) -> Result<StoredChannel, ChannelError> {
    store
        .get_json::<StoredChannel>(&keys::channel(id))?
        .ok_or(ChannelError::NotFound)
}

/// A channel as staff see it (no secret inside).
pub fn get(store: &dyn KvStore, id: &ChannelId) -> Result<Channel, ChannelError> {
    Ok(get_stored(store, id)?.channel)
}

/// Every channel, oldest first: 1 counter read and 2 batch reads.
pub fn list(store: &dyn KvStore) -> Result<Vec<Channel>, ChannelError> {
    let last = moderation::read_counter(store, keys::channel_index_seq())?.min(MAX_CHANNELS);
    let slots: Vec<u64> = (1..=last).collect();
    let ids: Vec<(u64, ChannelId)> =
        moderation::read_items(store, &slots, keys::channel_index_slot)?;
    let keys_of: Vec<String> = ids.iter().map(|(_, id)| keys::channel(id)).collect();
    let mut found: std::collections::HashMap<String, Vec<u8>> = if keys_of.is_empty() {
        Default::default()
    } else {
        store
            .get_many(&keys_of)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    };
    let mut channels = Vec::new();
    for key in keys_of {
        if let Some(bytes) = found.remove(&key) {
            let stored: StoredChannel =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                    key: key.clone(),
                    message: e.to_string(),
                })?;
            channels.push(stored.channel);
        }
    }
    Ok(channels)
}

/// Deletes a channel, its Bluesky session and its slot stays empty (the list skips it).
pub fn delete(store: &dyn KvStore, id: &ChannelId) -> Result<(), ChannelError> {
    get_stored(store, id)?;
    store.delete(&keys::channel_session(id))?;
    store.delete(&keys::channel(id))?;
    Ok(())
}

/// Replaces a channel's credentials (after "needs reconnect"): the status goes back to
/// unchecked and a cached Bluesky session is dropped.
pub fn set_credentials(
    store: &dyn KvStore,
    key: &CredentialKey,
    id: &ChannelId,
    nonce: [u8; 12],
    request: CredentialsRequest,
) -> Result<Channel, ChannelError> {
    let kind = get(store, id)?.kind;
    let Some(credentials) = parse_credentials(kind, request)? else {
        return Err(ChannelError::Invalid(
            "a webhook channel's secret is generated: create a new channel to change it".into(),
        ));
    };
    let sealed = seal_credentials(key, id, nonce, &credentials);
    let updated = moderation::update_doc(store, &keys::channel(id), |doc: &mut StoredChannel| {
        doc.credentials = sealed.clone();
        doc.channel.status = ChannelStatus::Unchecked;
        doc.channel.status_reason = None;
        Ok::<_, ChannelError>(true)
    })?
    .ok_or(ChannelError::NotFound)?;
    store.delete(&keys::channel_session(id))?;
    Ok(updated.channel)
}

/// Turns approval of editors' posts on or off for a channel. 1 read + 1 CAS.
pub fn set_approval_required(
    store: &dyn KvStore,
    id: &ChannelId,
    required: bool,
) -> Result<Channel, ChannelError> {
    let updated = moderation::update_doc(store, &keys::channel(id), |doc: &mut StoredChannel| {
        let changed = doc.channel.approval_required != required;
        doc.channel.approval_required = required;
        Ok::<_, ChannelError>(changed)
    })?
    .ok_or(ChannelError::NotFound)?;
    Ok(updated.channel)
}

fn open_credentials(
    key: &CredentialKey,
    stored: &StoredChannel,
) -> Result<Credentials, ChannelError> {
    let id = &stored.channel.id;
    key.open(&credentials_context(id), &stored.credentials)
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .ok_or_else(|| ChannelError::Undecryptable(id.clone()))
}

/// Records what a check or a publication learnt about a channel. A move to
/// [`ChannelStatus::NeedsReconnect`] also queues the `channel.needs_reconnect` webhook.
pub fn record_status(
    store: &dyn KvStore,
    now: Timestamp,
    id: &ChannelId,
    status: ChannelStatus,
    reason: Option<String>,
    learnt: impl Fn(&mut Channel),
) -> Result<Channel, ChannelError> {
    let mut moved_to_reconnect = false;
    let updated = moderation::update_doc(store, &keys::channel(id), |doc: &mut StoredChannel| {
        moved_to_reconnect = status == ChannelStatus::NeedsReconnect
            && doc.channel.status != ChannelStatus::NeedsReconnect;
        doc.channel.status = status;
        doc.channel.status_reason = reason.clone();
        doc.channel.checked_at = Some(now);
        learnt(&mut doc.channel);
        Ok::<_, ChannelError>(true)
    })?
    .ok_or(ChannelError::NotFound)?;
    if moved_to_reconnect {
        webhooks_out::enqueue(
            store,
            now,
            &LifecycleEvent::ChannelNeedsReconnect {
                channel_id: id.clone(),
                reason: reason.unwrap_or_default(),
            },
        )?;
    }
    Ok(updated.channel)
}

/// Everything a post breaks on `channel`, each problem with its field; empty when the post
/// can go. Checked before scheduling and again before publishing.
pub fn validate(channel: &Channel, content: &PostContent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if content.text.trim().is_empty() && content.images.is_empty() {
        errors.push(FieldError::new("text", "must not be empty"));
    }
    let max = max_images(channel.kind);
    if content.images.len() > max {
        errors.push(FieldError::new(
            "images",
            format!("at most {max} images, got {}", content.images.len()),
        ));
    }
    for (i, image) in content.images.iter().enumerate() {
        if image.alt.trim().is_empty() {
            errors.push(FieldError::new(
                format!("images[{i}].alt"),
                "alt text is required: describe the image for people who cannot see it",
            ));
        }
    }
    if let Some(language) = &content.language
        && !(language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase()))
    {
        errors.push(FieldError::new(
            "language",
            "must be an ISO 639-1 code such as fr or en",
        ));
    }
    if content.hashtags.iter().any(|tag| {
        let tag = tag.trim_start_matches('#');
        tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    }) {
        errors.push(FieldError::new(
            "hashtags",
            "each hashtag is letters, digits or _ (CamelCase, without spaces)",
        ));
    }
    match channel.kind {
        ChannelKind::Mastodon => mastodon::validate(&channel.limits, content, &mut errors),
        ChannelKind::Bluesky => bluesky::validate(content, &mut errors),
        ChannelKind::Facebook => meta::validate_facebook(content, &mut errors),
        ChannelKind::Instagram => meta::validate_instagram(content, &mut errors),
        ChannelKind::Webhook => {}
    }
    errors
}

/// [`validate`], and what only the store and the deployment can tell: Instagram takes images
/// of the media library only, whose `social` rendition's aspect ratio must lie between 4:5 and
/// 1.91:1, and fetches them from the library's public address, so `public_base_url` must be
/// set. Checked when a post is scheduled (`posts::live`) and again before publishing. Store
/// calls: 1 read per library image for an Instagram channel (at most 10), none otherwise.
pub fn validate_stored(
    store: &dyn KvStore,
    channel: &Channel,
    content: &PostContent,
    public_base_url: Option<&str>,
) -> Result<Vec<FieldError>, StoreError> {
    let mut errors = validate(channel, content);
    if channel.kind == ChannelKind::Instagram {
        meta::validate_instagram_media(store, content, public_base_url, &mut errors)?;
    }
    Ok(errors)
}

/// Publishes `content` to a channel, exactly once per `idempotency_key` (the same key on every
/// retry of one post to one channel): Mastodon remembers `Idempotency-Key`; Bluesky's record
/// key is fixed at the first attempt and looked up before any retry; a webhook channel sends
/// the key as `webhook-id`, which receivers deduplicate on.
///
/// Facebook and Instagram have no idempotency key: [`meta`] records each step under the key
/// and reads back what a lost answer did. `public_base_url` is the library's public origin,
/// from which Instagram fetches the library's images.
///
/// A 401/403 marks the channel "needs reconnect" (and queues `channel.needs_reconnect`);
/// while it is marked, nothing is sent.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    id: &ChannelId,
    content: &PostContent,
    idempotency_key: &str,
    public_base_url: Option<&str>,
) -> PublishOutcome {
    let stored = match get_stored(store, id) {
        Ok(stored) => stored,
        Err(ChannelError::NotFound) => {
            return PublishOutcome::Refused {
                message: "the channel was deleted".into(),
            };
        }
        Err(e) => return retry_on_storage(e),
    };
    let channel = &stored.channel;
    if channel.status == ChannelStatus::NeedsReconnect {
        return PublishOutcome::NeedsReconnect {
            reason: channel
                .status_reason
                .clone()
                .unwrap_or_else(|| "the channel needs new credentials".into()),
        };
    }
    let errors = match validate_stored(store, channel, content, public_base_url) {
        Ok(errors) => errors,
        Err(e) => return retry_on_storage(e.into()),
    };
    if !errors.is_empty() {
        let message = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return PublishOutcome::Refused { message };
    }
    let credentials = match open_credentials(key, &stored) {
        Ok(credentials) => credentials,
        Err(e) => {
            eprintln!("publish to channel {id}: {e}");
            let reason = "stored credentials are unreadable: enter them again".to_owned();
            let _ = record_status(
                store,
                clock.now(),
                id,
                ChannelStatus::NeedsReconnect,
                Some(reason.clone()),
                |_| {},
            );
            return PublishOutcome::NeedsReconnect { reason };
        }
    };
    let outcome = match (&credentials, channel.kind) {
        (Credentials::AccessToken(token), ChannelKind::Mastodon) => {
            mastodon::publish(
                store,
                http,
                clock.now(),
                channel,
                token,
                content,
                idempotency_key,
            )
            .await
        }
        (Credentials::AppPassword(password), ChannelKind::Bluesky) => {
            let session = bluesky::SessionStore { store, key, id };
            bluesky::publish(
                http,
                clock,
                &session,
                channel,
                password,
                content,
                idempotency_key,
            )
            .await
        }
        (Credentials::WebhookSecret(secret), ChannelKind::Webhook) => {
            webhook::publish(http, clock.now(), channel, secret, content, idempotency_key).await
        }
        (Credentials::AccessToken(token), ChannelKind::Facebook | ChannelKind::Instagram) => {
            let graph = meta::Graph {
                store,
                http,
                now: clock.now(),
                channel,
                token,
            };
            meta::publish(&graph, content, idempotency_key, public_base_url).await
        }
        _ => PublishOutcome::Refused {
            message: "the channel's credentials do not match its kind".into(),
        },
    };
    let status_change = match &outcome {
        PublishOutcome::NeedsReconnect { reason } => {
            Some((ChannelStatus::NeedsReconnect, Some(reason.clone())))
        }
        PublishOutcome::Published { .. } if channel.status != ChannelStatus::Connected => {
            Some((ChannelStatus::Connected, None))
        }
        _ => None,
    };
    if let Some((status, reason)) = status_change
        && let Err(e) = record_status(store, clock.now(), id, status, reason, |_| {})
    {
        eprintln!("publish to channel {id}: failed to record its status: {e}");
    }
    outcome
}

fn retry_on_storage(error: ChannelError) -> PublishOutcome {
    eprintln!("publish: {error}");
    PublishOutcome::RetryLater {
        reason: "storage error".into(),
        retry_after_secs: None,
    }
}

/// A `GET` on a channel's own server with its credentials, for reading what the platform
/// shows (the hashtag following): Mastodon `{url}{path_and_query}` with the access token,
/// Bluesky `{pds}/xrpc/{path_and_query}` with the cached session. Failures are classified
/// like publishing's ([`PublishOutcome::RetryLater`], [`PublishOutcome::NeedsReconnect`]);
/// a channel marked "needs reconnect" or a webhook channel is not asked. Store calls: the
/// Bluesky session read (and its write when renewed).
pub async fn read(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    stored: &StoredChannel,
    path_and_query: &str,
) -> Result<HttpResponse, PublishOutcome> {
    let channel = &stored.channel;
    if channel.status == ChannelStatus::NeedsReconnect {
        return Err(PublishOutcome::NeedsReconnect {
            reason: "the channel needs new credentials".into(),
        });
    }
    let credentials = open_credentials(key, stored).map_err(|e| {
        eprintln!("read from channel {}: {e}", channel.id);
        PublishOutcome::NeedsReconnect {
            reason: "stored credentials are unreadable".into(),
        }
    })?;
    match (&credentials, channel.kind) {
        (Credentials::AccessToken(token), ChannelKind::Mastodon) => {
            let request = crate::social::HttpRequest::get(channel.url.join(path_and_query))
                .header("authorization", format!("Bearer {token}"));
            let now = clock.now();
            http.send(request)
                .await
                .map_err(|failure| classify_failure("Mastodon", Err(&failure), now))
        }
        (Credentials::AppPassword(password), ChannelKind::Bluesky) => {
            let id = &channel.id;
            let sessions = bluesky::SessionStore { store, key, id };
            bluesky::get(http, clock, &sessions, channel, password, path_and_query).await
        }
        _ => Err(PublishOutcome::Refused {
            message: "this channel cannot be read".into(),
        }),
    }
}

/// A published post's figures on its network, for `analytics::metrics`: Mastodon's status,
/// Bluesky's `getPosts` (with the cached session), Facebook's and Instagram's Graph fields and
/// insights, each read by the channel's module. The credentials are opened as
/// [`publish`] opens them; unreadable ones, or a webhook channel, count as revoked access.
/// Store calls: the Bluesky session read (and its write when renewed).
pub async fn fetch_counts(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    stored: &StoredChannel,
    platform_id: &str,
) -> crate::analytics::metrics::fetch::Fetched {
    use crate::analytics::metrics::fetch::Fetched;
    let channel = &stored.channel;
    let credentials = match open_credentials(key, stored) {
        Ok(credentials) => credentials,
        Err(e) => {
            eprintln!("metrics of channel {}: {e}", channel.id);
            return Fetched::Revoked("stored credentials are unreadable: enter them again".into());
        }
    };
    match (&credentials, channel.kind) {
        (Credentials::AccessToken(token), ChannelKind::Mastodon) => {
            mastodon::status_counts(http, channel, token, platform_id).await
        }
        (Credentials::AppPassword(password), ChannelKind::Bluesky) => {
            let id = &channel.id;
            let sessions = bluesky::SessionStore { store, key, id };
            bluesky::post_counts(http, clock, &sessions, channel, password, platform_id).await
        }
        (Credentials::AccessToken(token), ChannelKind::Facebook | ChannelKind::Instagram) => {
            meta::post_counts(http, clock.now(), channel, token, platform_id).await
        }
        _ => Fetched::Revoked("this channel has no figures to fetch".into()),
    }
}

/// "Check connection": asks the platform whether the credentials work (Mastodon
/// `verify_credentials` and the server's limits from `/api/v2/instance`, Bluesky a session,
/// a webhook channel a signed `channel.check` ping) and records the result on the channel.
pub async fn check_connection(
    store: &dyn KvStore,
    clock: &dyn Clock,
    key: &CredentialKey,
    http: &impl HttpClient,
    id: &ChannelId,
) -> Result<Channel, ChannelError> {
    let stored = get_stored(store, id)?;
    let credentials = open_credentials(key, &stored)?;
    let channel = &stored.channel;
    let check = match (&credentials, channel.kind) {
        (Credentials::AccessToken(token), ChannelKind::Mastodon) => {
            mastodon::check(http, channel, token).await
        }
        (Credentials::AppPassword(password), ChannelKind::Bluesky) => {
            let session = bluesky::SessionStore { store, key, id };
            bluesky::check(http, clock, &session, channel, password).await
        }
        (Credentials::WebhookSecret(secret), ChannelKind::Webhook) => {
            webhook::check(http, clock.now(), channel, secret).await
        }
        (Credentials::AccessToken(token), ChannelKind::Facebook | ChannelKind::Instagram) => {
            meta::check(http, clock.now(), channel, token).await
        }
        _ => CheckResult::failed(ChannelStatus::NeedsReconnect, "credentials do not match"),
    };
    record_status(store, clock.now(), id, check.status, check.reason, |c| {
        if let Some(account) = &check.account {
            c.account = Some(account.clone());
        }
        if let Some(limits) = &check.limits {
            c.limits = limits.clone();
        }
    })
}

/// What a platform check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub status: ChannelStatus,
    pub reason: Option<String>,
    pub account: Option<String>,
    pub limits: Option<Limits>,
}

impl CheckResult {
    pub fn failed(status: ChannelStatus, reason: impl Into<String>) -> Self {
        CheckResult {
            status,
            reason: Some(reason.into()),
            account: None,
            limits: None,
        }
    }

    /// The check's reading of a failed answer or transport failure.
    pub fn from_failure(platform: &str, answer: Result<&HttpResponse, &HttpFailure>) -> Self {
        match answer {
            Ok(response) if matches!(response.status, 401 | 403) => CheckResult::failed(
                ChannelStatus::NeedsReconnect,
                format!(
                    "{platform} refused the credentials ({}): {}",
                    response.status,
                    platform_message(response)
                ),
            ),
            Ok(response) => CheckResult::failed(
                ChannelStatus::Unreachable,
                format!(
                    "{platform} answered {}: {}",
                    response.status,
                    platform_message(response)
                ),
            ),
            Err(failure) => {
                CheckResult::failed(ChannelStatus::Unreachable, format!("{platform}: {failure}"))
            }
        }
    }
}

/// The most of a platform's error text we keep (it is shown to staff).
const MAX_PLATFORM_MESSAGE_CHARS: usize = 300;

/// The human message of a platform's error answer: Mastodon's `{"error": "..."}`, AT
/// Protocol's `{"error": "...", "message": "..."}`, the Graph API's
/// `{"error": {"message": "...", "code": 190}}`, or the start of the body.
pub fn platform_message(response: &HttpResponse) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let text = parsed
        .as_ref()
        .and_then(|v| {
            if let Some(message) = v["error"]["message"].as_str() {
                return Some(message.to_owned());
            }
            let message = v.get("message").and_then(|m| m.as_str());
            let error = v.get("error").and_then(|m| m.as_str());
            match (error, message) {
                (Some(e), Some(m)) => Some(format!("{e}: {m}")),
                (Some(e), None) => Some(e.to_owned()),
                (None, Some(m)) => Some(m.to_owned()),
                (None, None) => None,
            }
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
    let text: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PLATFORM_MESSAGE_CHARS)
        .collect();
    if text.trim().is_empty() {
        format!("HTTP {}", response.status)
    } else {
        text
    }
}

/// Seconds from a `Retry-After` header: a number of seconds or an HTTP date.
pub fn retry_after_secs(response: &HttpResponse, now: Timestamp) -> Option<u64> {
    let value = response.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(u64::try_from(date.timestamp() - now.unix_seconds()).unwrap_or(0))
}

/// The common reading of a failed publication answer: 401/403 reconnect, network failures,
/// timeouts, 408/429/5xx retry (honouring `Retry-After`), any other 4xx (422 above all)
/// refused with the platform's words, and a host the runtime does not allow refused too.
pub fn classify_failure(
    platform: &str,
    answer: Result<&HttpResponse, &HttpFailure>,
    now: Timestamp,
) -> PublishOutcome {
    match answer {
        // Retrying cannot help until the deployment allows the host.
        Err(failure @ HttpFailure::Denied(_)) => PublishOutcome::Refused {
            message: format!("{platform}: {failure}"),
        },
        Err(failure) => PublishOutcome::RetryLater {
            reason: format!("{platform}: {failure}"),
            retry_after_secs: None,
        },
        Ok(response) => match response.status {
            401 | 403 => PublishOutcome::NeedsReconnect {
                reason: format!(
                    "{platform} refused the credentials ({}): {}",
                    response.status,
                    platform_message(response)
                ),
            },
            408 | 425 | 429 | 500..=599 => PublishOutcome::RetryLater {
                reason: format!(
                    "{platform} answered {}: {}",
                    response.status,
                    platform_message(response)
                ),
                retry_after_secs: retry_after_secs(response, now),
            },
            _ => PublishOutcome::Refused {
                message: format!("{platform}: {}", platform_message(response)),
            },
        },
    }
}

/// The bytes and media type of image `index` of a post, or how publishing ends: a medium of
/// the library is read from the store (its `social` rendition: re-encoded without metadata,
/// under Bluesky's 1,000,000 bytes), an outside image downloaded from its URL.
pub async fn fetch_image(
    store: &dyn KvStore,
    http: &impl HttpClient,
    index: usize,
    image: &crate::social::PostImage,
    now: Timestamp,
) -> Result<(Vec<u8>, String), PublishOutcome> {
    match image.source() {
        Some(crate::social::ImageSource::Url(url)) => {
            download_image(http, index, url.as_str(), now).await
        }
        Some(crate::social::ImageSource::Medium(id)) => library_image(store, index, id),
        None => Err(PublishOutcome::Refused {
            message: format!("image {}: neither an address nor a medium", index + 1),
        }),
    }
}

/// A medium's `social` rendition. A deleted medium is refused for good (staff must choose
/// another image); a store failure is retried.
fn library_image(
    store: &dyn KvStore,
    index: usize,
    id: &crate::ids::MediumId,
) -> Result<(Vec<u8>, String), PublishOutcome> {
    use crate::media::{self, MediaError, Rendition, RenditionKind};
    let read = media::get_library(store, id)
        .and_then(|medium| media::read_rendition(store, &medium, RenditionKind::Social));
    match read {
        Ok(bytes) => Ok((bytes, Rendition::CONTENT_TYPE.to_owned())),
        Err(MediaError::NotFound) => Err(PublishOutcome::Refused {
            message: format!(
                "image {}: the medium {id} was deleted from the media library",
                index + 1
            ),
        }),
        Err(e) => {
            eprintln!("image {} (medium {id}): {e}", index + 1);
            Err(PublishOutcome::RetryLater {
                reason: "storage error".into(),
                retry_after_secs: None,
            })
        }
    }
}

/// What an image download gave: the bytes and their media type, or how publishing ends.
async fn download_image(
    http: &impl HttpClient,
    index: usize,
    url: &str,
    now: Timestamp,
) -> Result<(Vec<u8>, String), PublishOutcome> {
    let platform = format!("image {} ({url})", index + 1);
    match http.send(crate::social::HttpRequest::get(url)).await {
        Ok(response) if response.status == 200 => {
            let media_type = response
                .header("content-type")
                .and_then(|t| t.split(';').next())
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| t.starts_with("image/"))
                .ok_or_else(|| PublishOutcome::Refused {
                    message: format!("{platform}: not an image"),
                })?;
            Ok((response.body, media_type))
        }
        // The image host refusing us says nothing about the channel's credentials.
        Ok(response) if matches!(response.status, 401 | 403) => Err(PublishOutcome::Refused {
            message: format!("{platform}: answered {}", response.status),
        }),
        Ok(response) => Err(classify_failure(&platform, Ok(&response), now)),
        Err(failure) => Err(classify_failure(&platform, Err(&failure), now)),
    }
}

#[cfg(test)]
mod tests;
