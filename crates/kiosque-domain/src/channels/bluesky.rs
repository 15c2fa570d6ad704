//! Bluesky (AT Protocol): the rules of a post (300 graphemes, 3000 bytes), rich-text facets
//! with UTF-8 byte offsets, the session cache, images by `uploadBlob`, and publishing exactly
//! once with a record key fixed at the first attempt.
//!
//! Sessions: `createSession` is limited (30 per 5 minutes, 300 per day per account), so the
//! session is cached, sealed, under `channel/{id}/session`; an expired access token is renewed
//! with `refreshSession`, and `createSession` runs only when there is no session or the
//! refresh token is refused too. Never a login per post.
//!
//! Exactly once: the first attempt for an idempotency key picks a record key (a TID) and
//! stores it under `channel/{id}/record/{sha256(key)}` *before* calling `createRecord` with
//! it; a retry finds that key and asks `getRecord` first, so a post created by an attempt whose
//! answer was lost is reported as published instead of being posted again.
//!
//! A post with a link and no image embeds the link's card (`app.bsky.embed.external`, see
//! [`link_card`]); Bluesky takes one embed per post, so images win over the card.
//!
//! Mentions (`@handle.example`) become mention facets when `resolveHandle` finds their DID at
//! publish time; otherwise they stay plain text (the post still goes out).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::text::{self, SpanKind, graphemes};
use super::{
    Channel, ChannelStatus, CheckResult, CredentialKey, classify_failure, fetch_image, link_card,
    platform_message,
};
use crate::clock::{Clock, Timestamp};
use crate::keys;
use crate::social::{
    ChannelId, FieldError, HttpClient, HttpRequest, HttpResponse, PostContent, PublishOutcome,
    Visibility,
};
use crate::store::KvStore;

pub const MAX_GRAPHEMES: usize = 300;
pub const MAX_BYTES: usize = 3000;
pub const MAX_TAGS: usize = 8;
pub const MAX_TAG_GRAPHEMES: usize = 64;
/// `uploadBlob` accepts images up to 1,000,000 bytes.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
const COLLECTION: &str = "app.bsky.feed.post";

/// The text a Bluesky post carries: Bluesky has no content warning, so one becomes the first
/// line (`CW: ...`), as people write it by hand there.
pub fn post_text(content: &PostContent) -> String {
    let composed = text::compose(content);
    match content.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{composed}"),
        _ => composed,
    }
}

/// Adds to `errors` what `content` breaks on Bluesky.
pub fn validate(content: &PostContent, errors: &mut Vec<FieldError>) {
    let post = post_text(content);
    let count = graphemes(&post);
    if count > MAX_GRAPHEMES {
        errors.push(FieldError::new(
            "text",
            format!(
                "{count} characters with the link and hashtags; Bluesky allows {MAX_GRAPHEMES}"
            ),
        ));
    }
    if post.len() > MAX_BYTES {
        errors.push(FieldError::new(
            "text",
            format!("{} bytes; Bluesky allows {MAX_BYTES}", post.len()),
        ));
    }
    if content.hashtags.len() > MAX_TAGS {
        errors.push(FieldError::new(
            "hashtags",
            format!(
                "at most {MAX_TAGS} on Bluesky, got {}",
                content.hashtags.len()
            ),
        ));
    }
    if content
        .hashtags
        .iter()
        .any(|t| graphemes(t) > MAX_TAG_GRAPHEMES)
    {
        errors.push(FieldError::new(
            "hashtags",
            format!("each at most {MAX_TAG_GRAPHEMES} characters on Bluesky"),
        ));
    }
    if content.poll.is_some() {
        errors.push(FieldError::new("poll", "Bluesky has no polls"));
    }
    if content.visibility != Visibility::Public {
        errors.push(FieldError::new(
            "visibility",
            "Bluesky posts are always public",
        ));
    }
}

/// The facets of `text`: links, hashtags, and the mentions whose DID `resolve` knows, with
/// UTF-8 byte offsets (`byteStart` inclusive, `byteEnd` exclusive).
pub fn facets(text: &str, resolve: impl Fn(&str) -> Option<String>) -> Vec<serde_json::Value> {
    let mut facets = Vec::new();
    for span in text::spans(text) {
        let entity = &text[span.start..span.end];
        let feature = match span.kind {
            SpanKind::Link => serde_json::json!({
                "$type": "app.bsky.richtext.facet#link",
                "uri": entity,
            }),
            SpanKind::Hashtag => serde_json::json!({
                "$type": "app.bsky.richtext.facet#tag",
                "tag": &entity[1..],
            }),
            SpanKind::Mention => match resolve(&entity[1..]) {
                Some(did) => serde_json::json!({
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": did,
                }),
                None => continue,
            },
        };
        facets.push(serde_json::json!({
            "index": {"byteStart": span.start, "byteEnd": span.end},
            "features": [feature],
        }));
    }
    facets
}

/// The handles of `text`'s mentions that can be Bluesky handles (a dot, no second `@`).
pub fn mentioned_handles(text: &str) -> Vec<String> {
    let mut handles: Vec<String> = text::spans(text)
        .into_iter()
        .filter(|s| s.kind == SpanKind::Mention)
        .map(|s| text[s.start + 1..s.end].to_ascii_lowercase())
        .filter(|h| h.contains('.') && !h.contains('@') && !h.ends_with('.'))
        .collect();
    handles.dedup();
    handles
}

/// A session as `createSession`/`refreshSession` answer it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub did: String,
    #[serde(default)]
    pub handle: String,
    pub access_jwt: String,
    pub refresh_jwt: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({}, ..)", self.did)
    }
}

/// Where a channel's Bluesky state lives: its sealed session and its record keys.
pub struct SessionStore<'a> {
    pub store: &'a dyn KvStore,
    pub key: &'a CredentialKey,
    pub id: &'a ChannelId,
}

impl SessionStore<'_> {
    fn context(&self) -> String {
        format!("channel/{}/session", self.id)
    }

    fn load(&self) -> Option<Session> {
        let sealed: super::Sealed = match self.store.get_json(&keys::channel_session(self.id)) {
            Ok(Some(sealed)) => sealed,
            Ok(None) => return None,
            Err(e) => {
                eprintln!("bluesky session of channel {}: {e}", self.id);
                return None;
            }
        };
        let plain = self.key.open(&self.context(), &sealed)?;
        serde_json::from_slice(&plain).ok()
    }

    fn save(&self, session: &Session, nonce: [u8; 12]) {
        let plain = serde_json::to_vec(session).unwrap_or_default();
        let sealed = self.key.seal(&self.context(), nonce, &plain);
        if let Err(e) = self
            .store
            .set_json(&keys::channel_session(self.id), &sealed)
        {
            // The session still works for this call; the next one logs in again.
            eprintln!("bluesky session of channel {}: not saved: {e}", self.id);
        }
    }
}

/// A nonce for sealing a session: unique per (access token, time), so two sealings under the
/// key never share one even without host randomness in the domain.
fn session_nonce(session: &Session, now: Timestamp) -> [u8; 12] {
    let digest = Sha256::new()
        .chain_update(session.access_jwt.as_bytes())
        .chain_update(now.unix_seconds().to_le_bytes())
        .finalize();
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&digest[..12]);
    nonce
}

fn xrpc(channel: &Channel, method: &str) -> String {
    channel.url.join(&format!("/xrpc/{method}"))
}

/// Whether an answer says the access token is no longer valid.
fn token_expired(response: &HttpResponse) -> bool {
    if !matches!(response.status, 400 | 401) {
        return false;
    }
    let error = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned));
    matches!(error.as_deref(), Some("ExpiredToken" | "InvalidToken"))
}

async fn create_session(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    password: &str,
) -> Result<Session, PublishOutcome> {
    let body = serde_json::json!({
        "identifier": channel.handle.as_deref().unwrap_or_default(),
        "password": password,
    });
    let request = HttpRequest::post(
        xrpc(channel, "com.atproto.server.createSession"),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
    .header("content-type", "application/json");
    session_answer(http.send(request).await.as_ref(), now)
}

async fn refresh_session(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    session: &Session,
) -> Result<Session, PublishOutcome> {
    let request = HttpRequest::post(
        xrpc(channel, "com.atproto.server.refreshSession"),
        Vec::new(),
    )
    .header("authorization", format!("Bearer {}", session.refresh_jwt));
    session_answer(http.send(request).await.as_ref(), now)
}

fn session_answer(
    answer: Result<&HttpResponse, &crate::social::HttpFailure>,
    now: Timestamp,
) -> Result<Session, PublishOutcome> {
    match answer {
        Ok(response) if response.status == 200 => {
            serde_json::from_slice(&response.body).map_err(|_| PublishOutcome::RetryLater {
                reason: "Bluesky: unreadable session answer".into(),
                retry_after_secs: None,
            })
        }
        // createSession answers 401 AuthenticationRequired for a wrong password.
        Ok(response) if response.status == 401 || token_expired(response) => {
            Err(PublishOutcome::NeedsReconnect {
                reason: format!(
                    "Bluesky refused the app password: {}",
                    platform_message(response)
                ),
            })
        }
        answer => Err(classify_failure("Bluesky", answer, now)),
    }
}

/// A client with a cached session: logs in only when needed.
struct Authed<'a, H: HttpClient> {
    http: &'a H,
    now: Timestamp,
    sessions: &'a SessionStore<'a>,
    channel: &'a Channel,
    password: &'a str,
    session: Option<Session>,
}

impl<H: HttpClient> Authed<'_, H> {
    async fn session(&mut self) -> Result<Session, PublishOutcome> {
        if let Some(session) = &self.session {
            return Ok(session.clone());
        }
        let session = match self.sessions.load() {
            Some(session) => session,
            None => {
                let session =
                    create_session(self.http, self.now, self.channel, self.password).await?;
                self.sessions
                    .save(&session, session_nonce(&session, self.now));
                session
            }
        };
        self.session = Some(session.clone());
        Ok(session)
    }

    /// Renews the session: `refreshSession`, or `createSession` when the refresh token is
    /// refused too.
    async fn renew(&mut self) -> Result<Session, PublishOutcome> {
        let current = self.session().await?;
        let renewed = match refresh_session(self.http, self.now, self.channel, &current).await {
            Ok(session) => session,
            Err(PublishOutcome::NeedsReconnect { .. }) => {
                create_session(self.http, self.now, self.channel, self.password).await?
            }
            Err(other) => return Err(other),
        };
        self.sessions
            .save(&renewed, session_nonce(&renewed, self.now));
        self.session = Some(renewed.clone());
        Ok(renewed)
    }

    /// Sends `build(session)`; on an expired token, renews the session once and sends again.
    async fn send(
        &mut self,
        build: impl Fn(&Session) -> HttpRequest,
    ) -> Result<HttpResponse, PublishOutcome> {
        let session = self.session().await?;
        let first = self
            .http
            .send(build(&session).header("authorization", format!("Bearer {}", session.access_jwt)))
            .await;
        let response = match first {
            Ok(response) if token_expired(&response) => {
                let session = self.renew().await?;
                self.http
                    .send(
                        build(&session)
                            .header("authorization", format!("Bearer {}", session.access_jwt)),
                    )
                    .await
            }
            other => other,
        };
        response.map_err(|failure| classify_failure("Bluesky", Err(&failure), self.now))
    }
}

#[derive(Serialize, Deserialize)]
struct RecordKey {
    rkey: String,
}

/// A TID (timestamp identifier), the record key Bluesky posts use: 53 bits of microseconds
/// since 1970 and a 10-bit clock id, in base32-sortable, 13 characters. The sub-second part
/// and the clock id come from `seed`, so two posts in one second get different keys.
pub fn tid(now: Timestamp, seed: &[u8; 32]) -> String {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    let fraction = u64::from(u32::from_le_bytes([seed[0], seed[1], seed[2], seed[3]])) % 1_000_000;
    let micros = u64::try_from(now.unix_seconds()).unwrap_or(0) * 1_000_000 + fraction;
    let clock_id = u64::from(u16::from_le_bytes([seed[4], seed[5]])) % 1024;
    let mut value = ((micros & ((1 << 53) - 1)) << 10) | clock_id;
    let mut out = [0u8; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Publishes a post (see the module comment for sessions and exactly-once).
pub async fn publish(
    http: &impl HttpClient,
    clock: &dyn Clock,
    sessions: &SessionStore<'_>,
    channel: &Channel,
    password: &str,
    content: &PostContent,
    idempotency_key: &str,
) -> PublishOutcome {
    let now = clock.now();
    let mut client = Authed {
        http,
        now,
        sessions,
        channel,
        password,
        session: None,
    };
    match publish_with(&mut client, content, idempotency_key).await {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

async fn publish_with<H: HttpClient>(
    client: &mut Authed<'_, H>,
    content: &PostContent,
    idempotency_key: &str,
) -> Result<PublishOutcome, PublishOutcome> {
    let (now, channel, sessions) = (client.now, client.channel, client.sessions);
    let session = client.session().await?;
    let handle = if session.handle.is_empty() {
        channel.handle.clone().unwrap_or_default()
    } else {
        session.handle.clone()
    };
    let post_url = |rkey: &str| format!("https://bsky.app/profile/{handle}/post/{rkey}");

    let seed: [u8; 32] = Sha256::digest(idempotency_key.as_bytes()).into();
    let key_hash = hex::encode(seed);
    let record_key = keys::channel_record(sessions.id, &key_hash);
    let stored: Option<RecordKey> = sessions.store.get_json(&record_key).map_err(|e| {
        eprintln!("bluesky record key: {e}");
        PublishOutcome::RetryLater {
            reason: "storage error".into(),
            retry_after_secs: None,
        }
    })?;
    let rkey = match stored {
        Some(RecordKey { rkey }) => {
            // A previous attempt chose this key: did its createRecord go through?
            let did = session.did.clone();
            let url = format!(
                "{}?repo={}&collection={COLLECTION}&rkey={rkey}",
                xrpc(channel, "com.atproto.repo.getRecord"),
                query_escape(&did)
            );
            let response = client.send(|_| HttpRequest::get(url.clone())).await?;
            if response.status == 200 {
                let uri = serde_json::from_slice::<serde_json::Value>(&response.body)
                    .ok()
                    .and_then(|v| v["uri"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("at://{did}/{COLLECTION}/{rkey}"));
                return Ok(PublishOutcome::Published {
                    platform_id: uri,
                    url: post_url(&rkey),
                });
            }
            if response.status != 400 && response.status != 404 {
                return Err(classify_failure("Bluesky", Ok(&response), now));
            }
            rkey
        }
        None => {
            let rkey = tid(now, &seed);
            sessions
                .store
                .set_json(&record_key, &RecordKey { rkey: rkey.clone() })
                .map_err(|e| {
                    eprintln!("bluesky record key: {e}");
                    PublishOutcome::RetryLater {
                        reason: "storage error".into(),
                        retry_after_secs: None,
                    }
                })?;
            rkey
        }
    };

    let mut images = Vec::new();
    for (i, image) in content.images.iter().enumerate() {
        let (bytes, media_type) = fetch_image(sessions.store, client.http, i, image, now).await?;
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(PublishOutcome::Refused {
                message: format!(
                    "image {}: {} bytes; Bluesky accepts at most {MAX_IMAGE_BYTES}",
                    i + 1,
                    bytes.len()
                ),
            });
        }
        let blob = upload_blob(client, bytes, &media_type).await?;
        images.push(serde_json::json!({"alt": image.alt.trim(), "image": blob}));
    }
    // Bluesky takes one embed: images, else the card of the post's link (built here, before
    // the record; a retry that finds the record created returned above, so it reads no page
    // and uploads no thumbnail again). A card never stops the post.
    let card = if images.is_empty() {
        link_card::build(sessions.store, client.http, content, now).await
    } else {
        None
    };
    let card_embed = match card {
        Some(card) => {
            let thumb = match &card.thumb {
                Some(thumb) => {
                    match upload_blob(client, thumb.bytes.clone(), &thumb.media_type).await {
                        Ok(blob) => Some(blob),
                        Err(outcome) => {
                            eprintln!("link card: thumbnail not uploaded: {outcome:?}");
                            None
                        }
                    }
                }
                None => None,
            };
            Some(card.embed(thumb))
        }
        None => None,
    };

    let text = post_text(content);
    let mut dids = Vec::new();
    for handle in mentioned_handles(&text) {
        let url = format!(
            "{}?handle={}",
            xrpc(channel, "com.atproto.identity.resolveHandle"),
            query_escape(&handle)
        );
        if let Ok(response) = client.http.send(HttpRequest::get(url)).await
            && response.status == 200
            && let Some(did) = serde_json::from_slice::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| v["did"].as_str().map(str::to_owned))
        {
            dids.push((handle, did));
        }
    }
    let facets = facets(&text, |handle| {
        let handle = handle.to_ascii_lowercase();
        dids.iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, d)| d.clone())
    });

    let mut record = serde_json::json!({
        "$type": COLLECTION,
        "text": text,
        "createdAt": now.to_string(),
    });
    if let Some(language) = &content.language {
        record["langs"] = serde_json::json!([language]);
    }
    if !facets.is_empty() {
        record["facets"] = facets.into();
    }
    let tags: Vec<&str> = content
        .hashtags
        .iter()
        .map(|t| t.trim_start_matches('#'))
        .collect();
    if !tags.is_empty() {
        record["tags"] = tags.into();
    }
    if !images.is_empty() {
        record["embed"] = serde_json::json!({
            "$type": "app.bsky.embed.images",
            "images": images,
        });
    } else if let Some(embed) = card_embed {
        record["embed"] = embed;
    }
    let url = xrpc(channel, "com.atproto.repo.createRecord");
    let response = client
        .send(|session| {
            let body = serde_json::json!({
                "repo": session.did,
                "collection": COLLECTION,
                "rkey": rkey,
                "record": record,
            });
            HttpRequest::post(url.clone(), serde_json::to_vec(&body).unwrap_or_default())
                .header("content-type", "application/json")
        })
        .await?;
    if response.status != 200 {
        return Err(classify_failure("Bluesky", Ok(&response), now));
    }
    let uri = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["uri"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("at://{}/{COLLECTION}/{rkey}", session.did));
    Ok(PublishOutcome::Published {
        platform_id: uri,
        url: post_url(&rkey),
    })
}

/// Uploads an image with `uploadBlob` and returns the blob reference its answer holds
/// (`{$type: "blob", ref: {$link}, mimeType, size}`), which the record embeds.
async fn upload_blob<H: HttpClient>(
    client: &mut Authed<'_, H>,
    bytes: Vec<u8>,
    media_type: &str,
) -> Result<serde_json::Value, PublishOutcome> {
    let url = xrpc(client.channel, "com.atproto.repo.uploadBlob");
    let response = client
        .send(|_| HttpRequest::post(url.clone(), bytes.clone()).header("content-type", media_type))
        .await?;
    if response.status != 200 {
        return Err(classify_failure("Bluesky", Ok(&response), client.now));
    }
    serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .map(|v| v["blob"].clone())
        .filter(|b| b.is_object())
        .ok_or_else(|| PublishOutcome::RetryLater {
            reason: "Bluesky: unreadable uploadBlob answer".into(),
            retry_after_secs: None,
        })
}

/// Percent-encodes a query value (DIDs carry `:`).
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A `GET` of `{pds}/xrpc/{method_and_query}` with the channel's cached session (renewed
/// once when expired), for reading: the hashtag following's `app.bsky.feed.searchPosts`,
/// which the PDS forwards to the AppView (Bluesky's public AppView refuses unauthenticated
/// searches).
pub async fn get(
    http: &impl HttpClient,
    clock: &dyn Clock,
    sessions: &SessionStore<'_>,
    channel: &Channel,
    password: &str,
    method_and_query: &str,
) -> Result<HttpResponse, PublishOutcome> {
    let mut client = Authed {
        http,
        now: clock.now(),
        sessions,
        channel,
        password,
        session: None,
    };
    let url = xrpc(channel, method_and_query);
    client.send(|_| HttpRequest::get(url.clone())).await
}

/// A post's figures (`app.bsky.feed.getPosts?uris=...` through the PDS, with the cached
/// session, renewed as publishing renews it): `likeCount`, `repostCount`, `replyCount`,
/// `quoteCount`. A URI missing from `posts` is a deleted post (getPosts leaves out what it
/// cannot find rather than failing).
pub async fn post_counts(
    http: &impl HttpClient,
    clock: &dyn Clock,
    sessions: &SessionStore<'_>,
    channel: &Channel,
    password: &str,
    uri: &str,
) -> crate::analytics::metrics::fetch::Fetched {
    use crate::analytics::metrics::Counts;
    use crate::analytics::metrics::fetch::{Fetched, count, failed_answer};
    if !uri.starts_with("at://") {
        return Fetched::Gone;
    }
    let method = format!("app.bsky.feed.getPosts?uris={}", query_escape(uri));
    let answer = get(http, clock, sessions, channel, password, &method).await;
    let response = match answer {
        Ok(response) => response,
        Err(PublishOutcome::NeedsReconnect { reason }) => return Fetched::Revoked(reason),
        Err(PublishOutcome::RetryLater { reason, .. }) => return Fetched::Transient(reason),
        Err(PublishOutcome::Refused { message }) => return Fetched::Transient(message),
        Err(PublishOutcome::Published { .. }) => {
            return Fetched::Transient("Bluesky: unexpected answer".into());
        }
    };
    if response.status != 200 {
        // An expired session was renewed once already: a 400 or 401 left is a refusal.
        if token_expired(&response) {
            return Fetched::Revoked(format!(
                "Bluesky refused the session: {}",
                platform_message(&response)
            ));
        }
        return failed_answer("Bluesky", Ok(&response));
    }
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&response.body) else {
        return Fetched::Transient("Bluesky: unreadable getPosts answer".into());
    };
    let Some(posts) = body["posts"].as_array() else {
        return Fetched::Transient("Bluesky: getPosts answered no posts list".into());
    };
    match posts.iter().find(|p| p["uri"].as_str() == Some(uri)) {
        Some(post) => Fetched::Counts(Counts {
            likes: count(&post["likeCount"]),
            reposts: count(&post["repostCount"]),
            replies: count(&post["replyCount"]),
            quotes: count(&post["quoteCount"]),
            reach: None,
            impressions: None,
        }),
        None => Fetched::Gone,
    }
}

/// "Check connection": a working session (the cached one, refreshed, or a new login).
pub async fn check(
    http: &impl HttpClient,
    clock: &dyn Clock,
    sessions: &SessionStore<'_>,
    channel: &Channel,
    password: &str,
) -> CheckResult {
    let now = clock.now();
    let mut client = Authed {
        http,
        now,
        sessions,
        channel,
        password,
        session: None,
    };
    let url = xrpc(channel, "com.atproto.server.getSession");
    let answer = client.send(|_| HttpRequest::get(url.clone())).await;
    match answer {
        Ok(response) if response.status == 200 => CheckResult {
            status: ChannelStatus::Connected,
            reason: None,
            account: client.session.map(|s| s.did),
            limits: None,
        },
        Ok(response) => CheckResult::from_failure("Bluesky", Ok(&response)),
        Err(PublishOutcome::NeedsReconnect { reason }) => {
            CheckResult::failed(ChannelStatus::NeedsReconnect, reason)
        }
        Err(PublishOutcome::RetryLater { reason, .. }) => {
            CheckResult::failed(ChannelStatus::Unreachable, reason)
        }
        Err(PublishOutcome::Refused { message }) => {
            CheckResult::failed(ChannelStatus::Unreachable, message)
        }
        Err(PublishOutcome::Published { .. }) => {
            CheckResult::failed(ChannelStatus::Unreachable, "unexpected answer")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_use_utf8_byte_offsets() {
        let text = "Été 📚 à la bib : #NuitDeLaLecture avec @auteur.bsky.social https://bib.fr/é";
        let facets = facets(text, |h| {
            (h == "auteur.bsky.social").then(|| "did:plc:x".into())
        });
        assert_eq!(facets.len(), 3);
        let range = |f: &serde_json::Value| {
            let start = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let end = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            &text.as_bytes()[start..end]
        };
        assert_eq!(range(&facets[0]), "#NuitDeLaLecture".as_bytes());
        assert_eq!(facets[0]["features"][0]["tag"], "NuitDeLaLecture");
        // "Été 📚 à la bib : " is 18 characters but 23 bytes (É, é, à: 2 each; 📚: 4).
        assert_eq!(facets[0]["index"]["byteStart"], 23);
        assert_eq!(range(&facets[1]), "@auteur.bsky.social".as_bytes());
        assert_eq!(facets[1]["features"][0]["did"], "did:plc:x");
        assert_eq!(range(&facets[2]), "https://bib.fr/é".as_bytes());
        assert_eq!(facets[2]["features"][0]["uri"], "https://bib.fr/é");

        // An unresolved mention stays plain text.
        assert_eq!(facets_count("merci @inconnu.example"), 0);
    }

    fn facets_count(text: &str) -> usize {
        facets(text, |_| None).len()
    }

    #[test]
    fn counts_graphemes_and_bytes() {
        let content = |text: String| PostContent {
            text,
            ..PostContent::default()
        };
        let check = |c: &PostContent| {
            let mut errors = Vec::new();
            validate(c, &mut errors);
            errors
        };
        // 300 family emoji: 300 graphemes (fine), but 5,400 bytes (too many).
        let family = "👨‍👩‍👧".repeat(300);
        let errors = check(&content(family));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("bytes"));
        assert!(check(&content("é".repeat(300))).is_empty());
        let errors = check(&content("é".repeat(301)));
        assert_eq!(
            errors[0].message,
            "301 characters with the link and hashtags; Bluesky allows 300"
        );
    }

    #[test]
    fn tids_are_13_sortable_characters() {
        let t1 = tid(
            Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
            &[0; 32],
        );
        let t2 = tid(
            Timestamp::from_unix_seconds(1_700_000_001).unwrap(),
            &[0; 32],
        );
        assert_eq!(t1.len(), 13);
        assert!(t1 < t2);
        assert!(t1.starts_with(|c: char| ('2'..='7').contains(&c) || ('a'..='j').contains(&c)));
        assert_ne!(
            t1,
            tid(
                Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
                &[1; 32]
            )
        );
    }

    /// A scripted double in a deployment whose `public_base_url` is `https://bib.example`.
    struct Deployed<'a>(&'a crate::social::testing::ScriptedHttp);

    impl HttpClient for Deployed<'_> {
        async fn send(
            &self,
            request: HttpRequest,
        ) -> Result<HttpResponse, crate::social::HttpFailure> {
            self.0.send(request).await
        }

        fn link_preview_origins(&self) -> crate::social::LinkPreviewOrigins {
            link_card::origins(Some("https://bib.example"), None)
        }
    }

    #[test]
    fn a_link_gets_a_card_and_images_win_over_it() {
        use crate::clock::FixedClock;
        use crate::social::testing::{ScriptedHttp, json, raw};
        use crate::social::{PostImage, block_on};
        use crate::store::MemoryStore;

        let store = MemoryStore::new();
        let key = CredentialKey::from_bytes([7; 32]);
        let id = ChannelId::parse("bsky1").unwrap();
        let sessions = SessionStore {
            store: &store,
            key: &key,
            id: &id,
        };
        let channel: Channel = serde_json::from_value(serde_json::json!({
            "id": "bsky1", "kind": "bluesky", "name": "Bib", "url": "https://pds.example",
            "handle": "bib.bsky.social", "status": "connected",
            "created_at": "2026-12-01T10:00:00Z",
        }))
        .unwrap();
        let http = ScriptedHttp::new();
        http.on(
            "POST",
            "createSession",
            json(
                200,
                serde_json::json!({"did": "did:plc:bib", "handle": "bib.bsky.social",
                    "accessJwt": "a", "refreshJwt": "r"}),
            ),
        );
        http.on(
            "GET",
            "http://self.alt/showcases/expo",
            raw(
                200,
                &[("content-type", "text/html")],
                b"<head><meta property=og:title content=\"Expo\">\
                  <meta property=og:description content=\"Jules Verne\">\
                  <meta property=og:image content=\"/static/img/share-card.png\">",
            ),
        );
        http.on(
            "GET",
            "http://self.alt/static/img/share-card.png",
            raw(200, &[("content-type", "image/png")], b"\x89PNG"),
        );
        let blob = serde_json::json!({"$type": "blob", "ref": {"$link": "bafkthumb"},
            "mimeType": "image/png", "size": 4});
        http.on(
            "POST",
            "uploadBlob",
            json(200, serde_json::json!({"blob": blob})),
        );
        http.on(
            "POST",
            "createRecord",
            json(
                200,
                serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/x"}),
            ),
        );
        let clock = FixedClock(Timestamp::from_unix_seconds(1_795_000_000).unwrap());
        let mut content = PostContent {
            text: "L'expo : https://bib.example/showcases/expo".into(),
            ..PostContent::default()
        };
        let publish_now = |content: &PostContent, idempotency_key: &str| {
            block_on(publish(
                &Deployed(&http),
                &clock,
                &sessions,
                &channel,
                "pw",
                content,
                idempotency_key,
            ))
        };
        assert!(matches!(
            publish_now(&content, "k1"),
            PublishOutcome::Published { .. }
        ));
        let created = http.requests_to("createRecord");
        let body: serde_json::Value = serde_json::from_slice(&created[0].body).unwrap();
        let embed = &body["record"]["embed"];
        assert_eq!(embed["$type"], "app.bsky.embed.external");
        assert_eq!(
            embed["external"]["uri"],
            "https://bib.example/showcases/expo"
        );
        assert_eq!(embed["external"]["title"], "Expo");
        assert_eq!(embed["external"]["description"], "Jules Verne");
        assert_eq!(embed["external"]["thumb"], blob);
        let thumb_upload = &http.requests_to("uploadBlob")[0];
        assert_eq!(thumb_upload.body, b"\x89PNG");

        // A retry of the same post (its answer lost) finds the record: no page read, no
        // thumbnail uploaded again.
        http.on(
            "GET",
            "getRecord",
            json(
                200,
                serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/x"}),
            ),
        );
        let (pages, uploads) = (
            http.requests_to("self.alt").len(),
            http.requests_to("uploadBlob").len(),
        );
        assert!(matches!(
            publish_now(&content, "k1"),
            PublishOutcome::Published { .. }
        ));
        assert_eq!(http.requests_to("self.alt").len(), pages);
        assert_eq!(http.requests_to("uploadBlob").len(), uploads);
        assert_eq!(http.requests_to("createRecord").len(), 1);
        http.clear("GET", "getRecord");

        // With an image, the post embeds the image and reads no page.
        content.images = vec![PostImage::from_url(
            crate::web::HttpsUrl::parse("url", "https://img.example/a.jpg", 500).unwrap(),
            "Une affiche",
        )];
        http.on(
            "GET",
            "https://img.example/a.jpg",
            raw(200, &[("content-type", "image/jpeg")], b"\xFF\xD8"),
        );
        let pages_before = http.requests_to("self.alt").len();
        assert!(matches!(
            publish_now(&content, "k2"),
            PublishOutcome::Published { .. }
        ));
        assert_eq!(http.requests_to("self.alt").len(), pages_before);
        let created = http.requests_to("createRecord");
        let body: serde_json::Value = serde_json::from_slice(&created[1].body).unwrap();
        assert_eq!(body["record"]["embed"]["$type"], "app.bsky.embed.images");

        // A page that fails: the post goes without a card.
        http.clear("GET", "http://self.alt/showcases/expo");
        http.on("GET", "http://self.alt/showcases/expo", raw(500, &[], b""));
        content.images.clear();
        assert!(matches!(
            publish_now(&content, "k3"),
            PublishOutcome::Published { .. }
        ));
        let created = http.requests_to("createRecord");
        let body: serde_json::Value = serde_json::from_slice(&created[2].body).unwrap();
        assert!(body["record"].get("embed").is_none(), "{body}");
    }

    #[test]
    fn only_bluesky_like_handles_are_resolved() {
        assert_eq!(
            mentioned_handles("@a.bsky.social @bib@mastodon.social @solo @a.bsky.social"),
            vec!["a.bsky.social".to_owned()]
        );
    }
}
