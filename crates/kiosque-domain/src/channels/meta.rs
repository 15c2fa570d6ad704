//! Facebook Pages and Instagram through Meta's Graph API: the rules of a post on each, "check
//! connection", and publishing without an idempotency key.
//!
//! Facebook: a post with images uploads each one unpublished (`POST /{page-id}/photos`,
//! `published=false`, the bytes as the multipart `source`), then creates the post
//! (`POST /{page-id}/feed`) with `attached_media[i]={"media_fbid": ...}`; a text post sends
//! `message` and the first link as `link`. Instagram: one container per image
//! (`POST /{ig-user-id}/media` with `image_url`, the library's public address of the `framed`
//! rendition — on a white frame within Instagram's 4:5 to 1.91:1 — which Meta downloads;
//! the `social` one for media uploaded before `framed` existed), a `CAROUSEL` container gathering several, the container's
//! `status_code` polled until `FINISHED`, then `POST /{ig-user-id}/media_publish`. The access
//! token (a Page access token) travels as the `access_token` parameter, in the form body of a
//! `POST` and the query of a `GET`, as the Graph API documents it.
//!
//! Exactly once: the Graph API has no idempotency key, so every step is recorded under
//! `channel/{id}/graph/{sha256(key)}` ([`GraphProgress`]) before the next one: each photo or
//! container id as soon as Meta answers it (a retry reuses it instead of uploading again),
//! the "publishing" marker (`attempted_at`) *before* `/feed` or `media_publish`, and the post
//! id after. A retry that finds the post id answers `Published` without calling Meta; one that
//! finds the marker but no post id reads back what the lost call did before calling again:
//! Instagram's container says `PUBLISHED` once its media is published; for Facebook, the
//! Page's recent posts (`/{page-id}/feed?fields=id,message,created_time`) are searched for one
//! with our message created since the marker.
//!
//! The window that remains: Facebook's read-back matches by message and time, so a post the
//! Page made by hand with the very same text in those minutes would be taken for ours (and
//! ours not sent); and should Meta's feed not yet show a post it did create when the retry
//! reads it back, the retry posts a second copy. Instagram's read-back is exact (the
//! container's own state). Both windows need a lost answer first; the record itself is one
//! key written by one publisher at a time (the tick's claim).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::text::{self, SpanKind};
use super::{Channel, ChannelStatus, CheckResult, classify_failure, fetch_image};
use crate::clock::Timestamp;
use crate::keys;
use crate::media::{self, MediaError, RenditionKind};
use crate::social::{
    ChannelKind, FieldError, HttpClient, HttpFailure, HttpRequest, HttpResponse, ImageSource,
    PostContent, PublishOutcome, Visibility,
};
use crate::store::{KvStore, StoreError};

/// Images per Facebook post and per Instagram carousel.
pub const MAX_IMAGES: usize = 10;
/// Characters of a Facebook post's message.
pub const FACEBOOK_MAX_CHARACTERS: usize = 63_206;
/// Characters of an Instagram caption.
pub const INSTAGRAM_MAX_CAPTION: usize = 2_200;
/// Hashtags of an Instagram caption.
pub const INSTAGRAM_MAX_HASHTAGS: usize = 30;
/// Polls of a container's `status_code` within one attempt; while it is still
/// `IN_PROGRESS` after them, the attempt ends with `RetryLater` and the next one carries on
/// from the recorded container (no request spins waiting for Meta).
const STATUS_POLLS: usize = 3;
/// When to look again at a container still being processed.
const IN_PROGRESS_RETRY_SECS: u64 = 30;
/// How far back before the "publishing" marker a Facebook post found on read-back may be
/// dated (clocks differ).
const READ_BACK_SLACK_SECS: i64 = 120;

/// The text a Facebook post or an Instagram caption carries: neither has a content warning,
/// so one becomes the first line (`CW: ...`), as on Bluesky.
pub fn post_text(content: &PostContent) -> String {
    let composed = text::compose(content);
    match content.content_warning.as_deref().map(str::trim) {
        Some(warning) if !warning.is_empty() => format!("CW: {warning}\n\n{composed}"),
        _ => composed,
    }
}

fn common_rules(platform: &str, content: &PostContent, errors: &mut Vec<FieldError>) {
    if content.poll.is_some() {
        errors.push(FieldError::new(
            "poll",
            format!("{platform} posts have no polls here"),
        ));
    }
    if content.visibility != Visibility::Public {
        errors.push(FieldError::new(
            "visibility",
            format!("{platform} posts are always public"),
        ));
    }
}

/// Adds to `errors` what `content` breaks on a Facebook Page.
pub fn validate_facebook(content: &PostContent, errors: &mut Vec<FieldError>) {
    let chars = post_text(content).chars().count();
    if chars > FACEBOOK_MAX_CHARACTERS {
        errors.push(FieldError::new(
            "text",
            format!(
                "{chars} characters with the link and hashtags; Facebook allows \
                 {FACEBOOK_MAX_CHARACTERS}"
            ),
        ));
    }
    common_rules("Facebook", content, errors);
}

/// Adds to `errors` what `content` breaks on Instagram, as far as the post alone tells (the
/// images' sizes are [`validate_instagram_media`]'s).
pub fn validate_instagram(content: &PostContent, errors: &mut Vec<FieldError>) {
    if content.images.is_empty() {
        errors.push(FieldError::new(
            "images",
            "Instagram needs an image: choose 1 to 10 images of the media library",
        ));
    }
    let caption = post_text(content);
    let chars = caption.chars().count();
    if chars > INSTAGRAM_MAX_CAPTION {
        errors.push(FieldError::new(
            "text",
            format!(
                "{chars} characters with the link and hashtags; Instagram allows \
                 {INSTAGRAM_MAX_CAPTION}"
            ),
        ));
    }
    let hashtags = text::spans(&caption)
        .iter()
        .filter(|s| s.kind == SpanKind::Hashtag)
        .count();
    if hashtags > INSTAGRAM_MAX_HASHTAGS {
        errors.push(FieldError::new(
            "hashtags",
            format!(
                "{hashtags} hashtags in the text and the post's hashtags; Instagram allows \
                 {INSTAGRAM_MAX_HASHTAGS}"
            ),
        ));
    }
    for (i, image) in content.images.iter().enumerate() {
        if !matches!(image.source(), Some(ImageSource::Medium(_))) {
            errors.push(FieldError::new(
                format!("images[{i}]"),
                "Instagram needs an image of the media library (it downloads it from the \
                 library's public address, and its size must be known): upload this one to \
                 the media library and choose it there",
            ));
        }
    }
    common_rules("Instagram", content, errors);
}

/// Whether `width` x `height` lies between 4:5 (portrait) and 1.91:1 (landscape), the
/// aspect ratios Instagram's feed accepts. Integer arithmetic: no rounding at the edges.
pub fn instagram_aspect_ok(width: u32, height: u32) -> bool {
    let (w, h) = (u64::from(width), u64::from(height));
    h > 0 && w * 5 >= h * 4 && w * 100 <= h * 191
}

/// The rendition of a medium Instagram receives: `framed`, whose white frame brings any
/// picture within the accepted proportions, or `social` for a medium uploaded before
/// `framed` existed (its proportions are then checked as they are).
pub fn instagram_rendition(medium: &media::Medium) -> (RenditionKind, u32, u32) {
    [RenditionKind::Framed, RenditionKind::Social]
        .into_iter()
        .find_map(|kind| medium.rendition(kind).map(|r| (kind, r.width, r.height)))
        .unwrap_or((RenditionKind::Social, medium.width, medium.height))
}

/// Instagram's checks that need the store and the deployment: `public_base_url` is set (Meta
/// downloads the images from it), and each library image exists and has an accepted aspect
/// ratio (that of [`instagram_rendition`], which is what Meta receives). 1 read per library
/// image.
pub fn validate_instagram_media(
    store: &dyn KvStore,
    content: &PostContent,
    public_base_url: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Result<(), StoreError> {
    let has_library_image = content
        .images
        .iter()
        .any(|i| matches!(i.source(), Some(ImageSource::Medium(_))));
    if has_library_image && public_base_url.is_none_or(|base| base.trim().is_empty()) {
        errors.push(FieldError::new(
            "images",
            "Instagram downloads images from the library's public address: the server's \
             operator must set the public_base_url variable first",
        ));
    }
    for (i, image) in content.images.iter().enumerate() {
        let Some(ImageSource::Medium(id)) = image.source() else {
            continue;
        };
        let medium = match media::get_library(store, id) {
            Ok(medium) => medium,
            Err(MediaError::NotFound) => {
                errors.push(FieldError::new(
                    format!("images[{i}].medium"),
                    format!("the medium {id} is not in the media library (deleted?)"),
                ));
                continue;
            }
            Err(MediaError::Storage(e)) => return Err(e),
            Err(other) => return Err(StoreError::Backend(other.to_string())),
        };
        let (_, width, height) = instagram_rendition(&medium);
        if !instagram_aspect_ok(width, height) {
            errors.push(FieldError::new(
                format!("images[{i}]"),
                format!(
                    "{width} x {height} pixels; Instagram accepts aspect ratios from 4:5 \
                     (portrait) to 1.91:1 (landscape): upload it again to the media library, which \
                     frames it, or crop it"
                ),
            ));
        }
    }
    Ok(())
}

/// What one publication has done so far on Meta, for one channel and idempotency key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphProgress {
    /// Facebook: the unpublished photos uploaded; Instagram: the item containers, in the
    /// order of the post's images.
    #[serde(default)]
    pub items: Vec<String>,
    /// Instagram: every item container was seen `FINISHED`.
    #[serde(default)]
    pub items_ready: bool,
    /// Instagram: the container published (the only item, or the carousel).
    #[serde(default)]
    pub container: Option<String>,
    /// The "publishing" marker: set just before `/feed` or `media_publish` is called.
    #[serde(default)]
    pub attempted_at: Option<Timestamp>,
    #[serde(default)]
    pub post_id: Option<String>,
    #[serde(default)]
    pub post_url: Option<String>,
}

/// One channel's Graph API client for one request.
pub struct Graph<'a, H> {
    pub store: &'a dyn KvStore,
    pub http: &'a H,
    pub now: Timestamp,
    pub channel: &'a Channel,
    pub token: &'a str,
}

fn platform_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Instagram => "Instagram",
        _ => "Facebook",
    }
}

fn storage_retry(e: impl std::fmt::Display) -> PublishOutcome {
    eprintln!("graph progress: {e}");
    PublishOutcome::RetryLater {
        reason: "storage error".into(),
        retry_after_secs: None,
    }
}

fn form(params: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The reading of a failed Graph answer: `{"error": {"message", "type", "code",
/// "error_subcode"}}`. Code 190 (an expired or revoked token), 102 (session), 10 and 200-299
/// (a permission taken back) need staff to reconnect; 1, 2, 4, 17, 32, 341, 613 (outages and
/// throttling) are retried; the media errors (9004, 9007, 36003, 2207xxx) and every other
/// 4xx are refused with Meta's message. Without a Graph error body, the common reading.
pub fn graph_failure(
    platform: &str,
    answer: Result<&HttpResponse, &HttpFailure>,
    now: Timestamp,
) -> PublishOutcome {
    let Ok(response) = answer else {
        return classify_failure(platform, answer, now);
    };
    let body: Option<serde_json::Value> = serde_json::from_slice(&response.body).ok();
    let error = body.as_ref().map(|b| &b["error"]).filter(|e| e.is_object());
    let Some(code) = error.and_then(|e| e["code"].as_i64()) else {
        return classify_failure(platform, answer, now);
    };
    let message = super::platform_message(response);
    match code {
        102 | 190 | 10 | 200..=299 => PublishOutcome::NeedsReconnect {
            reason: format!(
                "{platform} refused the access token (code {code}): {message}: give the \
                 channel a new Page access token"
            ),
        },
        1 | 2 | 4 | 17 | 32 | 341 | 613 => PublishOutcome::RetryLater {
            reason: format!("{platform} asks to wait (code {code}): {message}"),
            retry_after_secs: super::retry_after_secs(response, now),
        },
        _ if response.status >= 500 || response.status == 429 => {
            classify_failure(platform, answer, now)
        }
        _ => PublishOutcome::Refused {
            message: format!("{platform}: {message}"),
        },
    }
}

impl<H: HttpClient> Graph<'_, H> {
    fn platform(&self) -> &'static str {
        platform_name(self.channel.kind)
    }

    fn account(&self) -> &str {
        self.channel.account_id.as_deref().unwrap_or_default()
    }

    fn failure(&self, answer: Result<&HttpResponse, &HttpFailure>) -> PublishOutcome {
        graph_failure(self.platform(), answer, self.now)
    }

    /// A JSON answer with status 200, or how the attempt ends.
    async fn send(&self, request: HttpRequest) -> Result<serde_json::Value, PublishOutcome> {
        let answer = self.http.send(request).await;
        match &answer {
            Ok(response) if response.status == 200 => serde_json::from_slice(&response.body)
                .map_err(|_| PublishOutcome::RetryLater {
                    reason: format!("{}: unreadable answer", self.platform()),
                    retry_after_secs: None,
                }),
            Ok(response) => Err(self.failure(Ok(response))),
            Err(failure) => Err(self.failure(Err(failure))),
        }
    }

    async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, PublishOutcome> {
        let mut params = query.to_vec();
        params.push(("access_token", self.token));
        let url = self.channel.url.join(&format!("{path}?{}", form(&params)));
        self.send(HttpRequest::get(url)).await
    }

    async fn post(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<serde_json::Value, PublishOutcome> {
        let mut params = params.to_vec();
        params.push(("access_token", self.token));
        let request = HttpRequest::post(self.channel.url.join(path), form(&params).into_bytes())
            .header("content-type", "application/x-www-form-urlencoded");
        self.send(request).await
    }

    fn id_of(&self, answer: &serde_json::Value) -> Result<String, PublishOutcome> {
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| answer["id"].as_u64().map(|n| n.to_string()))
            .filter(|id| !id.is_empty())
            .ok_or_else(|| PublishOutcome::RetryLater {
                reason: format!("{}: an answer without an id", self.platform()),
                retry_after_secs: None,
            })
    }
}

/// Where one publication's progress is kept.
struct Progress<'a> {
    store: &'a dyn KvStore,
    key: String,
}

impl Progress<'_> {
    fn load(&self) -> Result<GraphProgress, PublishOutcome> {
        Ok(self
            .store
            .get_json(&self.key)
            .map_err(storage_retry)?
            .unwrap_or_default())
    }

    fn save(&self, progress: &GraphProgress) -> Result<(), PublishOutcome> {
        self.store
            .set_json(&self.key, progress)
            .map_err(storage_retry)
    }

    /// Records the post id (so no retry calls Meta again) and answers `Published`.
    fn finish(
        &self,
        progress: &mut GraphProgress,
        id: String,
        url: String,
    ) -> Result<PublishOutcome, PublishOutcome> {
        progress.post_id = Some(id.clone());
        progress.post_url = Some(url.clone());
        self.save(progress)?;
        Ok(PublishOutcome::Published {
            platform_id: id,
            url,
        })
    }
}

/// Publishes a post to a Facebook Page or Instagram account (see the module comment).
pub async fn publish<H: HttpClient>(
    graph: &Graph<'_, H>,
    content: &PostContent,
    idempotency_key: &str,
    public_base_url: Option<&str>,
) -> PublishOutcome {
    let key_hash = hex::encode(Sha256::digest(idempotency_key.as_bytes()));
    let progress = Progress {
        store: graph.store,
        key: keys::channel_graph_progress(&graph.channel.id, &key_hash),
    };
    let result = match graph.channel.kind {
        ChannelKind::Instagram => {
            publish_instagram(graph, &progress, content, public_base_url).await
        }
        _ => publish_facebook(graph, &progress, content).await,
    };
    match result {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

fn published(progress: &GraphProgress) -> Option<PublishOutcome> {
    let id = progress.post_id.clone()?;
    Some(PublishOutcome::Published {
        url: progress.post_url.clone().unwrap_or_default(),
        platform_id: id,
    })
}

fn facebook_url(post_id: &str) -> String {
    format!("https://www.facebook.com/{post_id}")
}

/// A Graph date (`2025-01-18T10:00:00+0000`) in Unix seconds.
fn graph_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z")
        .ok()
        .map(|t| t.timestamp())
}

async fn publish_facebook<H: HttpClient>(
    graph: &Graph<'_, H>,
    store: &Progress<'_>,
    content: &PostContent,
) -> Result<PublishOutcome, PublishOutcome> {
    let mut progress = store.load()?;
    if let Some(done) = published(&progress) {
        return Ok(done);
    }
    let page = graph.account().to_owned();
    let message = post_text(content);
    if let Some(attempted_at) = progress.attempted_at {
        // A `/feed` call whose answer was lost: did it create the post?
        let recent = graph
            .get(
                &format!("/{page}/feed"),
                &[("fields", "id,message,created_time"), ("limit", "25")],
            )
            .await?;
        let since = attempted_at.unix_seconds() - READ_BACK_SLACK_SECS;
        let found = recent["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|post| {
                post["message"].as_str().map(str::trim) == Some(message.trim())
                    && post["created_time"]
                        .as_str()
                        .and_then(graph_time)
                        .is_some_and(|t| t >= since)
            });
        if let Some(id) = found.and_then(|post| post["id"].as_str()) {
            return store.finish(&mut progress, id.to_owned(), facebook_url(id));
        }
    }
    for (i, image) in content.images.iter().enumerate().skip(progress.items.len()) {
        let (bytes, media_type) = fetch_image(graph.store, graph.http, i, image, graph.now).await?;
        let (content_type, body) =
            multipart_photo(&bytes, &media_type, image.alt.trim(), graph.token);
        let request = HttpRequest::post(graph.channel.url.join(&format!("/{page}/photos")), body)
            .header("content-type", content_type);
        let answer = graph.send(request).await?;
        progress.items.push(graph.id_of(&answer)?);
        // Recorded before the next upload: a retry reuses this photo.
        store.save(&progress)?;
    }
    progress.attempted_at = Some(graph.now);
    store.save(&progress)?;
    let mut params: Vec<(String, String)> = vec![("message".into(), message.clone())];
    if progress.items.is_empty() {
        let link = text::spans(&message)
            .into_iter()
            .find(|s| s.kind == SpanKind::Link)
            .map(|s| message[s.start..s.end].to_owned());
        if let Some(link) = link {
            params.push(("link".into(), link));
        }
    }
    for (i, id) in progress.items.iter().enumerate() {
        params.push((
            format!("attached_media[{i}]"),
            serde_json::json!({ "media_fbid": id }).to_string(),
        ));
    }
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let answer = graph.post(&format!("/{page}/feed"), &params).await?;
    let id = graph.id_of(&answer)?;
    let url = facebook_url(&id);
    store.finish(&mut progress, id, url)
}

/// The body of `POST /{page-id}/photos`: the image as `source`, unpublished, with its alt
/// text, and the token, as `multipart/form-data`.
fn multipart_photo(bytes: &[u8], media_type: &str, alt: &str, token: &str) -> (String, Vec<u8>) {
    let digest = Sha256::digest(bytes);
    let boundary = format!("kiosque-{}", hex::encode(&digest[..12]));
    let mut body = Vec::new();
    for (name, value) in [
        ("published", "false"),
        ("alt_text_custom", alt),
        ("access_token", token),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let extension = media_type.strip_prefix("image/").unwrap_or("jpeg");
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"source\"; \
             filename=\"image.{extension}\"\r\ncontent-type: {media_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A container's `status_code`.
async fn container_status<H: HttpClient>(
    graph: &Graph<'_, H>,
    container: &str,
) -> Result<String, PublishOutcome> {
    let answer = graph
        .get(&format!("/{container}"), &[("fields", "status_code")])
        .await?;
    Ok(answer["status_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Waits (a few polls) for a container to be `FINISHED`; `ERROR` refuses the post, an
/// `EXPIRED` container (not published within 24 hours) drops the progress so the next
/// attempt starts again, and one still `IN_PROGRESS` ends this attempt with `RetryLater`.
async fn wait_finished<H: HttpClient>(
    graph: &Graph<'_, H>,
    store: &Progress<'_>,
    container: &str,
) -> Result<(), PublishOutcome> {
    for _ in 0..STATUS_POLLS {
        match container_status(graph, container).await?.as_str() {
            "FINISHED" => return Ok(()),
            "IN_PROGRESS" => continue,
            "EXPIRED" => {
                store.store.delete(&store.key).map_err(storage_retry)?;
                return Err(PublishOutcome::RetryLater {
                    reason: "Instagram: the media container expired; it is made again".into(),
                    retry_after_secs: None,
                });
            }
            status => {
                return Err(PublishOutcome::Refused {
                    message: format!(
                        "Instagram could not process the image (container status {status:?})"
                    ),
                });
            }
        }
    }
    Err(PublishOutcome::RetryLater {
        reason: "Instagram is still processing the image".into(),
        retry_after_secs: Some(IN_PROGRESS_RETRY_SECS),
    })
}

async fn publish_instagram<H: HttpClient>(
    graph: &Graph<'_, H>,
    store: &Progress<'_>,
    content: &PostContent,
    public_base_url: Option<&str>,
) -> Result<PublishOutcome, PublishOutcome> {
    let mut progress = store.load()?;
    if let Some(done) = published(&progress) {
        return Ok(done);
    }
    let account = graph.account().to_owned();
    let caption = post_text(content);
    if let (Some(_), Some(container)) = (progress.attempted_at, progress.container.clone()) {
        // A `media_publish` whose answer was lost: the container says whether it went out.
        if container_status(graph, &container).await? == "PUBLISHED" {
            let (id, url) = find_published_media(graph, &account, &caption)
                .await
                .unwrap_or_else(|| (container.clone(), "https://www.instagram.com/".to_owned()));
            return store.finish(&mut progress, id, url);
        }
    }
    let Some(base) = public_base_url
        .map(|b| b.trim().trim_end_matches('/'))
        .filter(|b| !b.is_empty())
    else {
        return Err(PublishOutcome::Refused {
            message: "Instagram downloads images from the library's public address: set the \
                      public_base_url variable"
                .into(),
        });
    };
    let carousel = content.images.len() > 1;
    for (i, image) in content.images.iter().enumerate().skip(progress.items.len()) {
        let Some(ImageSource::Medium(id)) = image.source() else {
            return Err(PublishOutcome::Refused {
                message: format!(
                    "image {}: Instagram needs an image of the media library",
                    i + 1
                ),
            });
        };
        // 1 read: which rendition Meta is sent to (validation has checked it exists).
        let rendition = match media::get_library(graph.store, id) {
            Ok(medium) => instagram_rendition(&medium).0,
            Err(MediaError::NotFound) => {
                return Err(PublishOutcome::Refused {
                    message: format!(
                        "image {}: the medium {id} was deleted from the media library",
                        i + 1
                    ),
                });
            }
            Err(e) => {
                eprintln!("instagram image {} (medium {id}): {e}", i + 1);
                return Err(PublishOutcome::RetryLater {
                    reason: "storage error".into(),
                    retry_after_secs: None,
                });
            }
        };
        let image_url = format!("{base}/media/{id}/{}", rendition.file_name());
        let mut params = vec![
            ("image_url", image_url.as_str()),
            ("alt_text", image.alt.trim()),
        ];
        if carousel {
            params.push(("is_carousel_item", "true"));
        } else {
            params.push(("caption", caption.as_str()));
        }
        let answer = graph.post(&format!("/{account}/media"), &params).await?;
        progress.items.push(graph.id_of(&answer)?);
        // Recorded before the next one: a retry reuses this container.
        store.save(&progress)?;
    }
    if !progress.items_ready {
        for item in progress.items.clone() {
            wait_finished(graph, store, &item).await?;
        }
        progress.items_ready = true;
        if !carousel {
            progress.container = progress.items.first().cloned();
        }
        store.save(&progress)?;
    }
    let container = match progress.container.clone() {
        Some(container) => container,
        None => {
            let children = progress.items.join(",");
            let params = [
                ("media_type", "CAROUSEL"),
                ("children", children.as_str()),
                ("caption", caption.as_str()),
            ];
            let answer = graph.post(&format!("/{account}/media"), &params).await?;
            let container = graph.id_of(&answer)?;
            progress.container = Some(container.clone());
            store.save(&progress)?;
            container
        }
    };
    if carousel {
        wait_finished(graph, store, &container).await?;
    }
    progress.attempted_at = Some(graph.now);
    store.save(&progress)?;
    let answer = graph
        .post(
            &format!("/{account}/media_publish"),
            &[("creation_id", container.as_str())],
        )
        .await?;
    let id = graph.id_of(&answer)?;
    // The permalink is a courtesy: the post exists whatever this read says.
    let url = graph
        .get(&format!("/{id}"), &[("fields", "permalink")])
        .await
        .ok()
        .and_then(|v| v["permalink"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "https://www.instagram.com/".to_owned());
    store.finish(&mut progress, id, url)
}

/// The media id and permalink of the account's recent post with this caption, for a
/// `media_publish` whose answer was lost.
async fn find_published_media<H: HttpClient>(
    graph: &Graph<'_, H>,
    account: &str,
    caption: &str,
) -> Option<(String, String)> {
    let recent = graph
        .get(
            &format!("/{account}/media"),
            &[("fields", "id,caption,permalink"), ("limit", "10")],
        )
        .await
        .ok()?;
    let post = recent["data"]
        .as_array()?
        .iter()
        .find(|m| m["caption"].as_str().map(str::trim) == Some(caption.trim()))?;
    Some((
        post["id"].as_str()?.to_owned(),
        post["permalink"]
            .as_str()
            .unwrap_or("https://www.instagram.com/")
            .to_owned(),
    ))
}

/// Whether a Graph answer says the object is gone: HTTP 404, or error code 100 with subcode 33
/// ("Object with ID ... does not exist, cannot be loaded due to missing permissions, or does
/// not support this operation"), which the Graph API answers for a deleted post or media.
fn graph_gone(response: &HttpResponse) -> bool {
    if response.status == 404 {
        return true;
    }
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let error = &body["error"];
    error["code"].as_i64() == Some(100)
        && (error["error_subcode"].as_i64() == Some(33)
            || error["message"]
                .as_str()
                .is_some_and(|m| m.contains("does not exist")))
}

/// The Graph error code of an answer refusing a permission the token lacks (10, 200-299),
/// as opposed to a refused token (190, 102).
fn graph_missing_permission(response: &HttpResponse) -> Option<i64> {
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    body["error"]["code"]
        .as_i64()
        .filter(|code| matches!(code, 10 | 200..=299))
}

/// The value of one metric in a Graph insights answer: `{"data": [{"name", "values":
/// [{"value"}]}]}`, or the newer `total_value: {"value"}` shape.
fn insight(body: &serde_json::Value, name: &str) -> Option<u64> {
    let metric = body["data"]
        .as_array()?
        .iter()
        .find(|m| m["name"].as_str() == Some(name))?;
    metric["values"][0]["value"]
        .as_u64()
        .or_else(|| metric["total_value"]["value"].as_u64())
}

/// A Facebook Page post's or an Instagram media's figures, in two Graph reads with the Page
/// access token:
/// - Facebook: `GET /{post-id}?fields=reactions.summary(total_count).limit(0),
///   comments.summary(total_count).limit(0),shares` (reactions as likes, comments as replies,
///   `shares.count` as reposts, absent when none), then `GET /{post-id}/insights?metric=
///   post_total_media_view_unique` for the reach: Meta retired `post_impressions_unique` on
///   June 15, 2025 and names `post_total_media_view_unique` its replacement;
/// - Instagram: `GET /{media-id}?fields=like_count,comments_count`, then `GET /{media-id}/
///   insights?metric=reach,views,shares`: `impressions` is gone for media since April 21, 2025
///   (v22.0), replaced by `views`, which we keep as impressions; `shares` as reposts.
///
/// Quotes do not exist there (0). The post gone (404, code 100 subcode 33) is `Gone`; a refused
/// token (190, 102) `Revoked`; a missing permission (10, 200-299) `NotPermitted`, which leaves
/// the channel connected. Insights are optional:
/// Meta refuses them for posts with too few viewers (code 10) or delays them up to 48 hours,
/// so their failure leaves reach and impressions unknown (`None`) rather than failing the
/// fetch.
pub async fn post_counts(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    token: &str,
    graph_id: &str,
) -> crate::analytics::metrics::fetch::Fetched {
    use crate::analytics::metrics::Counts;
    use crate::analytics::metrics::fetch::{Fetched, count};
    // Graph ids are digits, a Page post's `{page}_{post}`: nothing else reaches the URL.
    if graph_id.is_empty() || !graph_id.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return Fetched::Gone;
    }
    let platform = platform_name(channel.kind);
    let instagram = channel.kind == ChannelKind::Instagram;
    let (fields, metrics) = if instagram {
        ("like_count,comments_count", "reach,views,shares")
    } else {
        (
            "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares",
            "post_total_media_view_unique",
        )
    };
    let read = |path: String, params: &[(&str, &str)]| {
        let mut params = params.to_vec();
        params.push(("access_token", token));
        HttpRequest::get(channel.url.join(&format!("{path}?{}", form(&params))))
    };
    let answer = http
        .send(read(format!("/{graph_id}"), &[("fields", fields)]))
        .await;
    let object: serde_json::Value = match &answer {
        Ok(response) if response.status == 200 => match serde_json::from_slice(&response.body) {
            Ok(object) => object,
            Err(_) => return Fetched::Transient(format!("{platform}: unreadable answer")),
        },
        Ok(response) if graph_gone(response) => return Fetched::Gone,
        // A token that works but may not read the post: this record stops, the channel keeps
        // publishing (publishing itself treats these codes as needing a new token).
        Ok(response) if graph_missing_permission(response).is_some() => {
            let permissions = if instagram {
                "instagram_basic, instagram_manage_insights"
            } else {
                "pages_read_engagement, read_insights"
            };
            return Fetched::NotPermitted(format!(
                "le jeton n'a pas les autorisations de lecture / the token lacks read permissions \
                 ({platform} code {}: {}): give the channel a token with {permissions}",
                graph_missing_permission(response).unwrap_or_default(),
                super::platform_message(response)
            ));
        }
        answer => {
            return match graph_failure(platform, answer.as_ref(), now) {
                PublishOutcome::NeedsReconnect { reason } => Fetched::Revoked(reason),
                PublishOutcome::RetryLater { reason, .. } => Fetched::Transient(reason),
                PublishOutcome::Refused { message } => Fetched::Transient(message),
                PublishOutcome::Published { .. } => {
                    Fetched::Transient(format!("{platform}: unexpected answer"))
                }
            };
        }
    };
    let insights = match http
        .send(read(
            format!("/{graph_id}/insights"),
            &[("metric", metrics)],
        ))
        .await
    {
        Ok(response) if response.status == 200 => {
            serde_json::from_slice::<serde_json::Value>(&response.body).unwrap_or_default()
        }
        Ok(response) => {
            eprintln!(
                "{platform} insights of {graph_id}: {}",
                super::platform_message(&response)
            );
            serde_json::Value::Null
        }
        Err(failure) => {
            eprintln!("{platform} insights of {graph_id}: {failure}");
            serde_json::Value::Null
        }
    };
    let counts = if instagram {
        Counts {
            likes: count(&object["like_count"]),
            replies: count(&object["comments_count"]),
            reposts: insight(&insights, "shares").unwrap_or(0),
            quotes: 0,
            reach: insight(&insights, "reach"),
            impressions: insight(&insights, "views"),
        }
    } else {
        Counts {
            likes: count(&object["reactions"]["summary"]["total_count"]),
            replies: count(&object["comments"]["summary"]["total_count"]),
            reposts: count(&object["shares"]["count"]),
            quotes: 0,
            reach: insight(&insights, "post_total_media_view_unique"),
            impressions: None,
        }
    };
    Fetched::Counts(counts)
}

/// "Check connection": `GET /{page-id}?fields=id,name` (Facebook) or
/// `GET /{ig-user-id}?fields=id,username` (Instagram) with the token; the account's name is
/// recorded.
pub async fn check(
    http: &impl HttpClient,
    now: Timestamp,
    channel: &Channel,
    token: &str,
) -> CheckResult {
    let (fields, name_field) = match channel.kind {
        ChannelKind::Instagram => ("id,username", "username"),
        _ => ("id,name", "name"),
    };
    let account = channel.account_id.as_deref().unwrap_or_default();
    let query = form(&[("fields", fields), ("access_token", token)]);
    let url = channel.url.join(&format!("/{account}?{query}"));
    let platform = platform_name(channel.kind);
    let answer = http.send(HttpRequest::get(url)).await;
    match &answer {
        Ok(response) if response.status == 200 => {
            let body: serde_json::Value =
                serde_json::from_slice(&response.body).unwrap_or_default();
            let name = body[name_field].as_str().map(|n| match channel.kind {
                ChannelKind::Instagram => format!("@{n}"),
                _ => n.to_owned(),
            });
            CheckResult {
                status: ChannelStatus::Connected,
                reason: None,
                account: name,
                limits: None,
            }
        }
        answer => match graph_failure(platform, answer.as_ref(), now) {
            PublishOutcome::NeedsReconnect { reason } => {
                CheckResult::failed(ChannelStatus::NeedsReconnect, reason)
            }
            // A wrong account id or a missing permission: waiting will not fix it.
            PublishOutcome::Refused { message } => {
                CheckResult::failed(ChannelStatus::NeedsReconnect, message)
            }
            PublishOutcome::RetryLater { reason, .. } => {
                CheckResult::failed(ChannelStatus::Unreachable, reason)
            }
            PublishOutcome::Published { .. } => {
                CheckResult::failed(ChannelStatus::Unreachable, format!("{platform}: no answer"))
            }
        },
    }
}

#[cfg(test)]
mod tests;
