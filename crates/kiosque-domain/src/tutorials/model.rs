//! What a tutorial is, and the validation of what staff send: parsed once at the boundary
//! into [`TutorialContent`], so the rest never re-checks.

use serde::{Deserialize, Serialize};

use super::{TutorialError, invalid};
use crate::clock::Timestamp;
use crate::ids::MediumId;
use crate::media::RenditionKind;
use crate::moderation::{optional_text, text};
use crate::store::KvStore;
use crate::web::HttpsUrl;

pub use crate::ids::MAX_SLUG_CHARS;
pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_SUMMARY_CHARS: usize = 400;
pub const MAX_AUDIENCE_CHARS: usize = 80;
pub const MAX_SERVICE_NAME_CHARS: usize = 80;
pub const MAX_URL_CHARS: usize = 500;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_CHARS: usize = 30;
pub const MAX_STEPS: usize = 30;
pub const MAX_STEP_TITLE_CHARS: usize = 120;
/// Markdown per step; the whole request is capped at 64 KiB by the adapter anyway.
pub const MAX_STEP_TEXT_CHARS: usize = 6_000;
pub const MAX_ALT_CHARS: usize = 250;
pub const MAX_TRANSCRIPT_CHARS: usize = 6_000;
pub const MAX_MINUTES: u32 = 600;
pub const MAX_BLOCK_TEXT_CHARS: usize = 6_000;

pub use crate::ids::{BlockId, Slug};

impl From<crate::ids::InvalidId> for TutorialError {
    fn from(error: crate::ids::InvalidId) -> Self {
        TutorialError::Invalid(error.0)
    }
}

/// The language a tutorial is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Fr,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    fn parse(text: &str) -> Result<Self, TutorialError> {
        match text.trim() {
            "fr" => Ok(Language::Fr),
            "en" => Ok(Language::En),
            _ => Err(invalid("lang: must be \"fr\" or \"en\"")),
        }
    }
}

/// How much a patron needs to know already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    fn parse(text: &str) -> Result<Self, TutorialError> {
        match text.trim() {
            "beginner" => Ok(Level::Beginner),
            "intermediate" => Ok(Level::Intermediate),
            "advanced" => Ok(Level::Advanced),
            _ => Err(invalid(
                "level: must be \"beginner\", \"intermediate\" or \"advanced\"",
            )),
        }
    }
}

/// The online service a tutorial is about, with the address patrons go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub url: HttpsUrl,
}

/// A step's picture: an outside address, or a medium of the media library (exactly one;
/// steps saved before the library have `url` only). A medium's `page` size is copied here
/// when the tutorial is saved, so the step page gives `width`/`height` without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<MediumId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Required: an image without alt text is refused.
    pub alt: String,
}

impl Image {
    /// The address pages show: a medium's `page` rendition (a site path; one deleted since
    /// answers 404 and the browser shows the alt text), else the outside address.
    pub fn src(&self) -> String {
        match (&self.medium, &self.url) {
            (Some(id), _) => format!("/media/{id}/{}", RenditionKind::Page.file_name()),
            (None, Some(url)) => url.as_str().to_owned(),
            (None, None) => String::new(),
        }
    }

    /// The picture for social cards: a medium's `social` rendition.
    pub fn share_src(&self) -> String {
        match &self.medium {
            Some(id) => format!("/media/{id}/{}", RenditionKind::Social.file_name()),
            None => self.src(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    /// A PeerTube, YouTube, Vimeo, Dailymotion or Twitch address, embedded privately.
    pub url: HttpsUrl,
    /// What the video says and shows, for patrons who cannot watch or hear it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
}

/// One step: Markdown text, a reusable block, or both (the text first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Video>,
}

/// What staff write: everything a version holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TutorialContent {
    pub lang: Language,
    pub title: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_minutes: Option<u32>,
    pub service: Service,
    pub tags: Vec<String>,
    pub steps: Vec<Step>,
    /// The same tutorial in the other language (`hreflang` links between the two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<Slug>,
}

impl TutorialContent {
    /// Checks that the media of the library its steps show exist and copies their `page`
    /// size into the steps: 1 batch read when any step names one, else no store call.
    pub fn measure_media(&mut self, store: &dyn KvStore) -> Result<(), TutorialError> {
        let ids: Vec<&MediumId> = self
            .steps
            .iter()
            .filter_map(|s| s.image.as_ref()?.medium.as_ref())
            .collect();
        let sizes = crate::showcases::library::page_sizes(store, &ids)?;
        for (n, step) in self.steps.iter_mut().enumerate() {
            let Some(image) = &mut step.image else {
                continue;
            };
            let Some(id) = &image.medium else { continue };
            let &(width, height) = sizes.get(id).ok_or_else(|| {
                // Steps are numbered from 1 in messages, as parsing numbers them.
                invalid(crate::showcases::library::unknown_medium(
                    &format!("steps[{}].image", n + 1),
                    id,
                ))
            })?;
            image.width = Some(width);
            image.height = Some(height);
        }
        Ok(())
    }

    /// The blocks the steps include, each once.
    pub fn block_ids(&self) -> Vec<BlockId> {
        let mut ids: Vec<BlockId> = self.steps.iter().filter_map(|s| s.block.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// A tutorial as stored under `keys::tutorial`: the current version and its publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tutorial {
    pub slug: Slug,
    /// 1 for the first save, +1 for every save or restore.
    pub version: u64,
    #[serde(flatten)]
    pub content: TutorialContent,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None`: a draft (or unpublished). A date in the future: hidden until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
}

impl Tutorial {
    /// Whether patrons may see it at `now`.
    pub fn is_visible(&self, now: Timestamp) -> bool {
        self.published_at.is_some_and(|at| at <= now)
    }
}

// --- wire types --------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequest {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    /// An outside image...
    #[serde(default)]
    pub url: Option<String>,
    /// ...or a medium of the media library.
    #[serde(default)]
    pub medium: Option<String>,
    #[serde(default)]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoRequest {
    pub url: String,
    #[serde(default)]
    pub transcript: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub block: Option<String>,
    #[serde(default)]
    pub image: Option<ImageRequest>,
    #[serde(default)]
    pub video: Option<VideoRequest>,
}

/// The wire shape of `POST /api/tutorials` and `PUT /api/tutorials/:slug`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TutorialRequest {
    /// Required to create; on `PUT` it may be left out, or must equal the path's.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub estimated_minutes: Option<u32>,
    pub service: ServiceRequest,
    #[serde(default)]
    pub tags: Vec<String>,
    pub steps: Vec<StepRequest>,
    #[serde(default)]
    pub translation: Option<String>,
    /// On `PUT`: the version the editor started from; a later save answers 409
    /// `stale_version` instead of being overwritten.
    #[serde(default)]
    pub if_version: Option<u64>,
}

fn field<T>(result: Result<T, String>) -> Result<T, TutorialError> {
    result.map_err(TutorialError::Invalid)
}

fn url(name: &str, raw: &str) -> Result<HttpsUrl, TutorialError> {
    field(HttpsUrl::parse(name, raw, MAX_URL_CHARS))
}

impl TutorialContent {
    /// Validates a request for the tutorial `slug`.
    pub fn parse(slug: &Slug, request: TutorialRequest) -> Result<Self, TutorialError> {
        let lang = match request.lang.as_deref() {
            None => Language::Fr,
            Some(code) => Language::parse(code)?,
        };
        let level = match request.level.as_deref() {
            None => Level::Beginner,
            Some(level) => Level::parse(level)?,
        };
        if request
            .estimated_minutes
            .is_some_and(|m| m == 0 || m > MAX_MINUTES)
        {
            return Err(invalid(format!(
                "estimated_minutes: must be 1 to {MAX_MINUTES}"
            )));
        }
        let mut tags: Vec<String> = Vec::new();
        for raw in &request.tags {
            let tag = field(text("tags", raw, MAX_TAG_CHARS, false))?;
            if tag_key(&tag).is_empty() {
                return Err(invalid("tags: each tag needs a letter or a digit"));
            }
            if !tags.iter().any(|t| tag_key(t) == tag_key(&tag)) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(invalid(format!("tags: at most {MAX_TAGS}")));
        }
        if request.steps.is_empty() || request.steps.len() > MAX_STEPS {
            return Err(invalid(format!("steps: 1 to {MAX_STEPS} steps")));
        }
        let steps = request
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| parse_step(i + 1, step))
            .collect::<Result<Vec<_>, _>>()?;
        let translation = match request.translation.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(other) => {
                let other = Slug::parse(other)
                    .map_err(|_| invalid("translation: must be another tutorial's slug"))?;
                if &other == slug {
                    return Err(invalid("translation: must be another tutorial"));
                }
                Some(other)
            }
        };
        Ok(TutorialContent {
            lang,
            title: field(text("title", &request.title, MAX_TITLE_CHARS, false))?,
            summary: field(text("summary", &request.summary, MAX_SUMMARY_CHARS, true))?,
            audience: field(optional_text(
                "audience",
                request.audience.as_deref(),
                MAX_AUDIENCE_CHARS,
                false,
            ))?,
            level,
            estimated_minutes: request.estimated_minutes,
            service: Service {
                name: field(text(
                    "service.name",
                    &request.service.name,
                    MAX_SERVICE_NAME_CHARS,
                    false,
                ))?,
                url: url("service.url", &request.service.url)?,
            },
            tags,
            steps,
            translation,
        })
    }
}

fn parse_step(n: usize, step: StepRequest) -> Result<Step, TutorialError> {
    let name = |f: &str| format!("steps[{n}].{f}");
    let title = field(optional_text(
        &name("title"),
        step.title.as_deref(),
        MAX_STEP_TITLE_CHARS,
        false,
    ))?;
    let text = field(optional_text(
        &name("text"),
        step.text.as_deref(),
        MAX_STEP_TEXT_CHARS,
        true,
    ))?
    .unwrap_or_default();
    let block = match step.block.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(
            Slug::parse(id).map_err(|_| invalid(format!("{}: not a block id", name("block"))))?,
        ),
    };
    if text.is_empty() && block.is_none() {
        return Err(invalid(format!("steps[{n}]: needs a text or a block")));
    }
    let image = match step.image {
        None => None,
        Some(image) => {
            let alt = field(optional_text(
                &name("image.alt"),
                image.alt.as_deref(),
                MAX_ALT_CHARS,
                false,
            ))?
            .ok_or_else(|| {
                invalid(format!(
                    "{}: required, describe the image for patrons who cannot see it",
                    name("image.alt")
                ))
            })?;
            let (url, medium) = match (image.url.as_deref(), image.medium.as_deref()) {
                (Some(raw), None) => (Some(url(&name("image.url"), raw)?), None),
                (None, Some(raw)) => (
                    None,
                    Some(MediumId::parse(raw.trim()).map_err(|_| {
                        invalid(format!(
                            "{}: not a medium of the library",
                            name("image.medium")
                        ))
                    })?),
                ),
                (Some(_), Some(_)) => {
                    return Err(invalid(format!(
                        "{}: give either url or medium, not both",
                        name("image.medium")
                    )));
                }
                (None, None) => {
                    return Err(invalid(format!(
                        "{}: an https address, or a medium of the library (medium)",
                        name("image.url")
                    )));
                }
            };
            Some(Image {
                url,
                medium,
                width: None,
                height: None,
                alt,
            })
        }
    };
    let video = match step.video {
        None => None,
        Some(video) => {
            let url = url(&name("video.url"), &video.url)?;
            if crate::video::VideoEmbed::parse(&url).is_none() {
                return Err(invalid(format!(
                    "{}: must be a PeerTube, YouTube, Vimeo, Dailymotion or Twitch video address",
                    name("video.url")
                )));
            }
            Some(Video {
                url,
                transcript: field(optional_text(
                    &name("video.transcript"),
                    video.transcript.as_deref(),
                    MAX_TRANSCRIPT_CHARS,
                    true,
                ))?,
            })
        }
    };
    Ok(Step {
        title,
        text,
        block,
        image,
        video,
    })
}

/// A tag's address form: folded like search terms, words joined by hyphens
/// ("Livres numériques" -> `livres-numeriques`), for `?tag=` links and grouping.
pub fn tag_key(tag: &str) -> String {
    super::search::terms(tag).join("-")
}

// --- reusable blocks --------------------------------------------------------------------

/// A reusable block as stored under `keys::tutorial_block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub id: BlockId,
    pub title: String,
    /// Markdown, rendered like step text.
    pub text: String,
    pub updated_at: Timestamp,
}

/// The wire shape of `PUT /api/tutorials/blocks/:id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    pub title: String,
    pub text: String,
}

impl BlockRequest {
    /// Validates the block's title and text.
    pub fn parse(&self) -> Result<(String, String), TutorialError> {
        Ok((
            field(text("title", &self.title, MAX_STEP_TITLE_CHARS, false))?,
            field(text("text", &self.text, MAX_BLOCK_TEXT_CHARS, true))?,
        ))
    }
}
