//! What staff send to create or edit a post, and its parsing: every problem is collected with
//! the path of its field (`images[1].alt`, `versions.abc.text`), so one answer lists them all.
//!
//! Rules checked here are the platform-independent ones (lengths that no platform exceeds,
//! alt text present, https URLs, CamelCase hashtags). Each channel's own rules (Mastodon's
//! server limit and URL rule, Bluesky's graphemes and bytes) are checked before scheduling by
//! `channels::validate`, through [`validate_for_channels`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Platform, Post, PostError};
use crate::ids::MediumId;
use crate::moderation;
use crate::social::{ChannelId, FieldError, PostContent, PostImage, PostPoll, Visibility};
use crate::web::HttpsUrl;

/// Longer than any platform allows: each channel checks its own limit.
pub const MAX_TEXT_CHARS: usize = 5000;
pub const MAX_CONTENT_WARNING_CHARS: usize = 500;
/// Mastodon's limit for media descriptions.
pub const MAX_ALT_CHARS: usize = 1500;
pub const MAX_IMAGES: usize = 4;
pub const MAX_HASHTAGS: usize = 10;
pub use crate::hashtag::MAX_HASHTAG_CHARS;
pub const MAX_CHANNELS: usize = 10;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_POLL_OPTIONS: usize = 4;
pub const MAX_POLL_OPTION_CHARS: usize = 50;
/// Mastodon: from 5 minutes to about a month.
pub const POLL_EXPIRY_SECS: std::ops::RangeInclusive<u32> = 300..=2_629_746;

/// The project's hashtag type lives in `crate::hashtag` (campaigns and webhooks use it too).
pub use crate::hashtag::Hashtag;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    /// An outside image (https), fetched at publish time.
    #[serde(default)]
    pub url: Option<String>,
    /// Or a medium of the media library.
    #[serde(default)]
    pub medium: Option<String>,
    #[serde(default)]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    pub options: Vec<String>,
    pub expires_in_secs: u32,
    #[serde(default)]
    pub multiple: bool,
}

/// One channel's own version: each field given replaces the post's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRequest {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub content_warning: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub images: Option<Vec<ImageRequest>>,
    #[serde(default)]
    pub poll: Option<PollRequest>,
}

/// The wire shape of `POST /api/posts` and `PUT /api/posts/:id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostRequest {
    pub text: String,
    #[serde(default)]
    pub content_warning: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub images: Vec<ImageRequest>,
    #[serde(default)]
    pub poll: Option<PollRequest>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    pub channels: Vec<String>,
    /// Per-channel versions, keyed by channel id (each must be one of `channels`).
    #[serde(default)]
    pub versions: BTreeMap<String, VersionRequest>,
    /// For edits: the version the client read (optimistic locking); absent: last write wins.
    #[serde(default)]
    pub version: Option<u64>,
    /// The campaign (id) the post belongs to: its hashtags are appended, the post is listed
    /// on the campaign's staff page and counted in its engagement.
    #[serde(default)]
    pub campaign: Option<String>,
}

/// A channel's own version, parsed: each `Some` replaces the post's field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_warning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<PostImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PostPoll>,
}

impl ContentOverride {
    pub fn apply(&self, content: &mut PostContent) {
        if let Some(text) = &self.text {
            content.text = text.clone();
        }
        if let Some(cw) = &self.content_warning {
            content.content_warning = Some(cw.clone());
        }
        if let Some(language) = &self.language {
            content.language = Some(language.clone());
        }
        if let Some(visibility) = self.visibility {
            content.visibility = visibility;
        }
        if let Some(link) = &self.link {
            content.link = Some(link.clone());
        }
        if let Some(images) = &self.images {
            content.images = images.clone();
        }
        if let Some(poll) = &self.poll {
            content.poll = Some(poll.clone());
        }
    }
}

/// A post that passed the platform-independent checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub content: PostContent,
    pub hashtags: Vec<Hashtag>,
    pub targets: Vec<(ChannelId, Option<ContentOverride>)>,
    /// Checked against the stored campaigns by `posts::create` and `posts::edit`.
    pub campaign: Option<crate::campaigns::CampaignId>,
}

/// Collects field errors while parsing.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `moderation::text` messages start with the field name: keep only the message.
    fn take<T>(&mut self, field: &str, result: Result<T, impl Into<String>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                let message: String = message.into();
                let message = message
                    .strip_prefix(&format!("{field}: "))
                    .unwrap_or(&message)
                    .to_owned();
                self.push(field, message);
                None
            }
        }
    }
}

fn language(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|l| !l.is_empty())?;
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
        Some(raw.to_ascii_lowercase())
    } else {
        errors.push(field, "must be an ISO 639-1 code of two letters, e.g. fr");
        None
    }
}

fn link(errors: &mut Errors, field: &str, raw: Option<&str>) -> Option<HttpsUrl> {
    let raw = raw.map(str::trim).filter(|l| !l.is_empty())?;
    errors.take(field, HttpsUrl::parse(field, raw, MAX_URL_CHARS))
}

fn images(errors: &mut Errors, prefix: &str, raw: &[ImageRequest]) -> Vec<PostImage> {
    if raw.len() > MAX_IMAGES {
        errors.push(
            prefix,
            format!("at most {MAX_IMAGES} images, got {}", raw.len()),
        );
    }
    let mut images = Vec::new();
    for (i, image) in raw.iter().enumerate() {
        let url_field = format!("{prefix}[{i}].url");
        let medium_field = format!("{prefix}[{i}].medium");
        let alt_field = format!("{prefix}[{i}].alt");
        let source = match (image.url.as_deref(), image.medium.as_deref()) {
            (Some(url), None) => errors
                .take(&url_field, HttpsUrl::parse(&url_field, url, MAX_URL_CHARS))
                .map(|url| PostImage::from_url(url, "")),
            (None, Some(medium)) => errors
                .take(
                    &medium_field,
                    MediumId::parse(medium.trim())
                        .map_err(|_| format!("{medium_field}: not a medium of the library")),
                )
                .map(|medium| PostImage::from_medium(medium, "")),
            (Some(_), Some(_)) => {
                errors.push(&medium_field, "give either url or medium, not both");
                None
            }
            (None, None) => {
                errors.push(
                    &url_field,
                    "an https address, or a medium of the library (medium)",
                );
                None
            }
        };
        let alt = match image.alt.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(
                    &alt_field,
                    "every image needs a text alternative describing it",
                );
                None
            }
            Some(alt) => errors.take(
                &alt_field,
                moderation::text(&alt_field, alt, MAX_ALT_CHARS, true),
            ),
        };
        if let (Some(image), Some(alt)) = (source, alt) {
            images.push(PostImage { alt, ..image });
        }
    }
    images
}

fn poll(errors: &mut Errors, field: &str, raw: Option<&PollRequest>) -> Option<PostPoll> {
    let raw = raw?;
    let before = errors.0.len();
    if !(2..=MAX_POLL_OPTIONS).contains(&raw.options.len()) {
        errors.push(
            format!("{field}.options"),
            format!("a poll needs 2 to {MAX_POLL_OPTIONS} options"),
        );
    }
    let mut options = Vec::new();
    for (i, option) in raw.options.iter().enumerate() {
        let option_field = format!("{field}.options[{i}]");
        if let Some(text) = errors.take(
            &option_field,
            moderation::text(&option_field, option, MAX_POLL_OPTION_CHARS, false),
        ) {
            options.push(text);
        }
    }
    if !POLL_EXPIRY_SECS.contains(&raw.expires_in_secs) {
        errors.push(
            format!("{field}.expires_in_secs"),
            format!(
                "must be between {} (5 minutes) and {} (about a month)",
                POLL_EXPIRY_SECS.start(),
                POLL_EXPIRY_SECS.end()
            ),
        );
    }
    (errors.0.len() == before).then_some(PostPoll {
        options,
        expires_in_secs: raw.expires_in_secs,
        multiple: raw.multiple,
    })
}

fn optional_text(
    errors: &mut Errors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    errors
        .take(field, moderation::optional_text(field, raw, max, true))
        .flatten()
}

impl NewPost {
    /// Checks every platform-independent rule; all problems are reported together (422).
    pub fn parse(request: &PostRequest) -> Result<Self, PostError> {
        let mut errors = Errors::default();
        let text = errors
            .take(
                "text",
                moderation::text("text", &request.text, MAX_TEXT_CHARS, true),
            )
            .unwrap_or_default();
        let content_warning = optional_text(
            &mut errors,
            "content_warning",
            request.content_warning.as_deref(),
            MAX_CONTENT_WARNING_CHARS,
        );
        let content = PostContent {
            text,
            content_warning,
            language: language(&mut errors, "language", request.language.as_deref()),
            visibility: request.visibility.unwrap_or_default(),
            link: link(&mut errors, "link", request.link.as_deref()),
            images: images(&mut errors, "images", &request.images),
            poll: poll(&mut errors, "poll", request.poll.as_ref()),
            hashtags: Vec::new(),
        };

        if request.hashtags.len() > MAX_HASHTAGS {
            errors.push(
                "hashtags",
                format!(
                    "at most {MAX_HASHTAGS} hashtags, got {}",
                    request.hashtags.len()
                ),
            );
        }
        let mut hashtags: Vec<Hashtag> = Vec::new();
        for (i, raw) in request.hashtags.iter().enumerate() {
            if let Some(tag) = errors.take(&format!("hashtags[{i}]"), Hashtag::parse(raw))
                && !hashtags.contains(&tag)
            {
                hashtags.push(tag);
            }
        }

        if request.channels.is_empty() || request.channels.len() > MAX_CHANNELS {
            errors.push(
                "channels",
                format!("a post goes to 1 to {MAX_CHANNELS} channels"),
            );
        }
        let mut targets: Vec<(ChannelId, Option<ContentOverride>)> = Vec::new();
        for (i, raw) in request.channels.iter().enumerate() {
            let field = format!("channels[{i}]");
            let Some(id) = errors.take(&field, ChannelId::parse(raw.trim())) else {
                continue;
            };
            if targets.iter().any(|(c, _)| *c == id) {
                errors.push(field, "this channel is listed twice");
                continue;
            }
            let version = request
                .versions
                .get(id.as_str())
                .map(|v| parse_version(&mut errors, &format!("versions.{id}"), v));
            targets.push((id, version));
        }
        for key in request.versions.keys() {
            if !request.channels.iter().any(|c| c.trim() == key) {
                errors.push(
                    format!("versions.{key}"),
                    "a version for a channel the post does not go to",
                );
            }
        }

        let campaign = request
            .campaign
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .and_then(|c| errors.take("campaign", crate::campaigns::CampaignId::parse(c)));

        if errors.0.is_empty() {
            Ok(NewPost {
                content,
                hashtags,
                targets,
                campaign,
            })
        } else {
            Err(PostError::Invalid(errors.0))
        }
    }
}

fn parse_version(errors: &mut Errors, prefix: &str, raw: &VersionRequest) -> ContentOverride {
    let text = raw.text.as_deref().and_then(|t| {
        let field = format!("{prefix}.text");
        errors.take(&field, moderation::text(&field, t, MAX_TEXT_CHARS, true))
    });
    ContentOverride {
        text,
        content_warning: optional_text(
            errors,
            &format!("{prefix}.content_warning"),
            raw.content_warning.as_deref(),
            MAX_CONTENT_WARNING_CHARS,
        ),
        language: language(
            errors,
            &format!("{prefix}.language"),
            raw.language.as_deref(),
        ),
        visibility: raw.visibility,
        link: link(errors, &format!("{prefix}.link"), raw.link.as_deref()),
        images: raw
            .images
            .as_ref()
            .map(|images_raw| images(errors, &format!("{prefix}.images"), images_raw)),
        poll: poll(errors, &format!("{prefix}.poll"), raw.poll.as_ref()),
    }
}

/// Checks the post against each of its channels' own rules (`channels::validate`, through
/// [`Platform::validate`]), after the channel's version and the hashtags are applied; every
/// problem comes back with its path, `channels[i].<field>`. An unknown channel is a problem
/// too. Costs 1 read per channel.
pub fn validate_for_channels(
    platform: &impl Platform,
    post: &Post,
) -> Result<Vec<FieldError>, PostError> {
    let mut errors = Vec::new();
    for (i, target) in post.targets.iter().enumerate() {
        match platform.validate(&target.channel, &post.content_for(target))? {
            Some(found) => {
                for error in found {
                    errors.push(FieldError::new(
                        format!("channels[{i}].{}", error.field),
                        format!("{} ({})", error.message, target.channel),
                    ));
                }
            }
            None => errors.push(FieldError::new(
                format!("channels[{i}]"),
                format!("no channel has the id {}", target.channel),
            )),
        }
    }
    Ok(errors)
}
