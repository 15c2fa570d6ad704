//! What a showcase is made of: one model with typed items, and the request types staff send,
//! parsed into it with precise errors.

use serde::{Deserialize, Serialize};

use super::isbn::Isbn13;
use super::text;
use super::{ShowcaseError, ShowcaseId};
use crate::clock::Timestamp;
use crate::ids::MediumId;
use crate::media::RenditionKind;
use crate::store::KvStore;
use crate::web::HttpsUrl;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SUMMARY_CHARS: usize = 500;
pub const MAX_INTRODUCTION_CHARS: usize = 10_000;
pub const MAX_NOTE_CHARS: usize = 2_000;
pub const MAX_EXTRACT_CHARS: usize = 6_000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ALT_CHARS: usize = 500;
pub const MAX_CAPTION_CHARS: usize = 1_000;
/// Items per showcase (tracks, books, films or rooms): a selection, not a catalogue. It also
/// bounds the stored document well under Spin's 1 MB value limit.
pub const MAX_ITEMS: usize = 60;
/// Images per exhibition room.
pub const MAX_IMAGES_PER_ROOM: usize = 24;
pub const MAX_AUTHORS: usize = 10;
/// The largest image dimension we accept, in pixels.
pub const MAX_IMAGE_PIXELS: i64 = 20_000;

/// The four kinds of showcase. Each holds one type of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowcaseKind {
    Playlist,
    BookExtracts,
    FilmPicks,
    Exhibition,
}

impl ShowcaseKind {
    /// The item `type` this kind holds.
    pub fn item_type(self) -> &'static str {
        match self {
            ShowcaseKind::Playlist => "track",
            ShowcaseKind::BookExtracts => "book",
            ShowcaseKind::FilmPicks => "film",
            ShowcaseKind::Exhibition => "room",
        }
    }

    pub fn label(self, french: bool) -> &'static str {
        match (self, french) {
            (ShowcaseKind::Playlist, true) => "Playlist",
            (ShowcaseKind::Playlist, false) => "Playlist",
            (ShowcaseKind::BookExtracts, true) => "Extraits de livres",
            (ShowcaseKind::BookExtracts, false) => "Book extracts",
            (ShowcaseKind::FilmPicks, true) => "Sélection de films",
            (ShowcaseKind::FilmPicks, false) => "Film picks",
            (ShowcaseKind::Exhibition, true) => "Exposition virtuelle",
            (ShowcaseKind::Exhibition, false) => "Virtual exhibition",
        }
    }
}

/// An image file with its intrinsic size (pages give `width` and `height` so the layout does
/// not shift while it loads): an outside address, or a medium of the media library, whose
/// `page` rendition's size is copied here when the placement is saved, so a page view never
/// reads the medium. Exactly one of `url` and `medium` (parsing never makes both); documents
/// stored before the library have `url` only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<MediumId>,
    pub width: u32,
    pub height: u32,
}

impl Image {
    pub fn from_url(url: HttpsUrl, width: u32, height: u32) -> Self {
        Image {
            url: Some(url),
            medium: None,
            width,
            height,
        }
    }

    /// The address of one size: a medium's rendition (`/media/{id}/page.jpg`, a site path
    /// that callers make absolute where they need to), or the outside address whatever the
    /// size. A medium deleted since keeps its address, which then answers 404: the page
    /// shows its alt text in its place.
    pub fn address(&self, size: RenditionKind) -> String {
        match (&self.medium, &self.url) {
            (Some(id), _) => format!("/media/{id}/{}", size.file_name()),
            (None, Some(url)) => url.as_str().to_owned(),
            (None, None) => String::new(),
        }
    }

    /// The address pages show (the `page` rendition of a medium).
    pub fn src(&self) -> String {
        self.address(RenditionKind::Page)
    }

    /// The picture for social cards (`og:image`: a medium's `social` rendition) and its size
    /// when known: a medium's social rendition has its own size, not stored here.
    pub fn share(&self) -> (String, Option<(u32, u32)>) {
        let size = self.medium.is_none().then_some((self.width, self.height));
        (self.address(RenditionKind::Social), size)
    }
}

/// An image placed somewhere, with what it means *there*: the same photograph may need a
/// different alternative text in two rooms, so the alt text belongs to the placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub image: Image,
    pub alt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub title: String,
    pub artist: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_url: Option<HttpsUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    pub title: String,
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isbn: Option<Isbn13>,
    pub extract: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue_url: Option<HttpsUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Film {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub director: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// The audience rating as the library shows it: "Tous publics", "-12", "PG-13"...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailer_url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue_url: Option<HttpsUrl>,
}

/// A room of a virtual exhibition: an ordered wall of images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub introduction: String,
    pub images: Vec<Placement>,
}

/// One item of a showcase; the showcase's kind says which variant it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Track(Track),
    Book(Book),
    Film(Film),
    Room(Room),
}

impl Item {
    pub fn item_type(&self) -> &'static str {
        match self {
            Item::Track(_) => "track",
            Item::Book(_) => "book",
            Item::Film(_) => "film",
            Item::Room(_) => "room",
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Item::Track(t) => &t.title,
            Item::Book(b) => &b.title,
            Item::Film(f) => &f.title,
            Item::Room(r) => &r.title,
        }
    }
}

/// A showcase as stored under `keys::showcase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Showcase {
    pub id: ShowcaseId,
    pub kind: ShowcaseKind,
    pub title: String,
    pub summary: String,
    /// Markdown: the narrative introduction (an exhibition's opening text).
    #[serde(default)]
    pub introduction: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<Placement>,
    pub items: Vec<Item>,
    /// `None`: a draft. In the future: scheduled. Otherwise public since then.
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    #[serde(default)]
    pub featured: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every change, so the index card can tell a stale copy from a fresh one.
    pub version: u64,
    /// Its slot in the list (see `index`).
    pub slot: u64,
}

/// Where a showcase stands at a given instant (derived, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Draft,
    Scheduled,
    Published,
}

pub fn visibility(published_at: Option<Timestamp>, now: Timestamp) -> Visibility {
    match published_at {
        None => Visibility::Draft,
        Some(t) if t > now => Visibility::Scheduled,
        Some(_) => Visibility::Published,
    }
}

impl Showcase {
    pub fn visibility(&self, now: Timestamp) -> Visibility {
        visibility(self.published_at, now)
    }

    pub fn is_public(&self, now: Timestamp) -> bool {
        self.visibility(now) == Visibility::Published
    }

    /// The image for social cards: the cover, else the first image found in the items.
    pub fn card_image(&self) -> Option<&Placement> {
        self.cover.as_ref().or_else(|| {
            self.items.iter().find_map(|item| match item {
                Item::Book(b) => b.cover.as_ref(),
                Item::Film(f) => f.poster.as_ref(),
                Item::Room(r) => r.images.first(),
                Item::Track(_) => None,
            })
        })
    }
}

// --- requests ---------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    /// An outside image, with its `width` and `height`...
    pub url: Option<String>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// ...or a medium of the media library (its size is read from the library).
    pub medium: Option<String>,
    /// Required: pages never show an image without alternative text.
    pub alt: Option<String>,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub licence: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ItemRequest {
    Track {
        title: String,
        artist: String,
        album: Option<String>,
        duration_secs: Option<i64>,
        year: Option<i64>,
        catalogue_url: Option<String>,
        streaming_url: Option<String>,
        sample_url: Option<String>,
    },
    Book {
        title: String,
        #[serde(default)]
        authors: Vec<String>,
        publisher: Option<String>,
        year: Option<i64>,
        isbn: Option<String>,
        extract: String,
        note: Option<String>,
        cover: Option<ImageRequest>,
        catalogue_url: Option<String>,
    },
    Film {
        title: String,
        director: Option<String>,
        year: Option<i64>,
        duration_minutes: Option<i64>,
        audience: Option<String>,
        note: Option<String>,
        trailer_url: Option<String>,
        poster: Option<ImageRequest>,
        catalogue_url: Option<String>,
    },
    Room {
        title: String,
        #[serde(default)]
        introduction: String,
        #[serde(default)]
        images: Vec<ImageRequest>,
    },
}

/// `POST /api/showcases` and `PUT /api/showcases/:id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowcaseRequest {
    pub kind: ShowcaseKind,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub introduction: String,
    pub cover: Option<ImageRequest>,
    #[serde(default)]
    pub items: Vec<ItemRequest>,
}

/// A validated showcase content, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShowcase {
    pub kind: ShowcaseKind,
    pub title: String,
    pub summary: String,
    pub introduction: String,
    pub cover: Option<Placement>,
    pub items: Vec<Item>,
}

fn invalid(message: String) -> ShowcaseError {
    ShowcaseError::Invalid(message)
}

/// The images of an item with the field path of each (`{path}.cover`, `{path}.images[2]`).
pub fn item_images_mut<'a>(path: &str, item: &'a mut Item) -> Vec<(String, &'a mut Image)> {
    match item {
        Item::Track(_) => Vec::new(),
        Item::Book(b) => b
            .cover
            .iter_mut()
            .map(|p| (format!("{path}.cover"), &mut p.image))
            .collect(),
        Item::Film(f) => f
            .poster
            .iter_mut()
            .map(|p| (format!("{path}.poster"), &mut p.image))
            .collect(),
        Item::Room(r) => r
            .images
            .iter_mut()
            .enumerate()
            .map(|(i, p)| (format!("{path}.images[{i}]"), &mut p.image))
            .collect(),
    }
}

/// Checks and measures the media an item places (1 batch read when it names any, else 0).
pub fn measure_item(store: &dyn KvStore, path: &str, item: &mut Item) -> Result<(), ShowcaseError> {
    super::library::measure(store, item_images_mut(path, item))?.map_err(invalid)
}

impl NewShowcase {
    /// Checks and measures the media of the library it places (see [`super::library`]): 1
    /// batch read when it names any, else no store call. Saving does it.
    pub fn measure(&mut self, store: &dyn KvStore) -> Result<(), ShowcaseError> {
        let mut images: Vec<(String, &mut Image)> = self
            .cover
            .iter_mut()
            .map(|p| ("cover".to_owned(), &mut p.image))
            .collect();
        for (i, item) in self.items.iter_mut().enumerate() {
            images.extend(item_images_mut(&format!("items[{i}]"), item));
        }
        super::library::measure(store, images)?.map_err(invalid)
    }

    pub fn parse(req: ShowcaseRequest) -> Result<Self, ShowcaseError> {
        let title = text::line("title", &req.title, MAX_TITLE_CHARS).map_err(invalid)?;
        let summary =
            text::paragraphs("summary", &req.summary, MAX_SUMMARY_CHARS).map_err(invalid)?;
        let introduction =
            text::paragraphs("introduction", &req.introduction, MAX_INTRODUCTION_CHARS)
                .map_err(invalid)?;
        let cover = req
            .cover
            .as_ref()
            .map(|c| parse_placement("cover", c))
            .transpose()?;
        if req.items.len() > MAX_ITEMS {
            return Err(invalid(format!(
                "items: at most {MAX_ITEMS} items, got {}",
                req.items.len()
            )));
        }
        let items = req
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_item(req.kind, &format!("items[{i}]"), item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewShowcase {
            kind: req.kind,
            title,
            summary,
            introduction,
            cover,
            items,
        })
    }
}

/// Parses one item for a showcase of `kind`; `path` prefixes error messages.
pub fn parse_item(
    kind: ShowcaseKind,
    path: &str,
    req: &ItemRequest,
) -> Result<Item, ShowcaseError> {
    let f = |name: &str| format!("{path}.{name}");
    let line = |name: &str, raw: &str, max| text::line(&f(name), raw, max).map_err(invalid);
    let opt_line = |name: &str, raw: &Option<String>, max| {
        text::optional_line(&f(name), raw.as_deref(), max).map_err(invalid)
    };
    let opt_url = |name: &str, raw: &Option<String>| {
        text::optional_url(&f(name), raw.as_deref()).map_err(invalid)
    };
    let opt_text =
        |name: &str, raw: &Option<String>, max| -> Result<Option<String>, ShowcaseError> {
            let t =
                text::paragraphs(&f(name), raw.as_deref().unwrap_or(""), max).map_err(invalid)?;
            Ok((!t.is_empty()).then_some(t))
        };
    let item = match req {
        ItemRequest::Track {
            title,
            artist,
            album,
            duration_secs,
            year,
            catalogue_url,
            streaming_url,
            sample_url,
        } => Item::Track(Track {
            title: line("title", title, MAX_TITLE_CHARS)?,
            artist: line("artist", artist, MAX_NAME_CHARS)?,
            album: opt_line("album", album, MAX_TITLE_CHARS)?,
            duration_secs: text::optional_count(&f("duration_secs"), *duration_secs, 24 * 3600)
                .map_err(invalid)?,
            year: text::optional_year(&f("year"), *year).map_err(invalid)?,
            catalogue_url: opt_url("catalogue_url", catalogue_url)?,
            streaming_url: opt_url("streaming_url", streaming_url)?,
            sample_url: opt_url("sample_url", sample_url)?,
        }),
        ItemRequest::Book {
            title,
            authors,
            publisher,
            year,
            isbn,
            extract,
            note,
            cover,
            catalogue_url,
        } => {
            if authors.len() > MAX_AUTHORS {
                return Err(invalid(format!(
                    "{}: at most {MAX_AUTHORS} authors",
                    f("authors")
                )));
            }
            let authors = authors
                .iter()
                .enumerate()
                .map(|(i, a)| line(&format!("authors[{i}]"), a, MAX_NAME_CHARS))
                .collect::<Result<Vec<_>, _>>()?;
            let isbn = match isbn.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => {
                    Some(Isbn13::parse(raw).map_err(|e| invalid(format!("{}: {e}", f("isbn"))))?)
                }
            };
            Item::Book(Book {
                title: line("title", title, MAX_TITLE_CHARS)?,
                authors,
                publisher: opt_line("publisher", publisher, MAX_NAME_CHARS)?,
                year: text::optional_year(&f("year"), *year).map_err(invalid)?,
                isbn,
                extract: text::required_paragraphs(&f("extract"), extract, MAX_EXTRACT_CHARS)
                    .map_err(invalid)?,
                note: opt_text("note", note, MAX_NOTE_CHARS)?,
                cover: cover
                    .as_ref()
                    .map(|c| parse_placement(&f("cover"), c))
                    .transpose()?,
                catalogue_url: opt_url("catalogue_url", catalogue_url)?,
            })
        }
        ItemRequest::Film {
            title,
            director,
            year,
            duration_minutes,
            audience,
            note,
            trailer_url,
            poster,
            catalogue_url,
        } => Item::Film(Film {
            title: line("title", title, MAX_TITLE_CHARS)?,
            director: opt_line("director", director, MAX_NAME_CHARS)?,
            year: text::optional_year(&f("year"), *year).map_err(invalid)?,
            duration_minutes: text::optional_count(
                &f("duration_minutes"),
                *duration_minutes,
                1_000,
            )
            .map_err(invalid)?,
            audience: opt_line("audience", audience, 60)?,
            note: opt_text("note", note, MAX_NOTE_CHARS)?,
            trailer_url: opt_url("trailer_url", trailer_url)?,
            poster: poster
                .as_ref()
                .map(|c| parse_placement(&f("poster"), c))
                .transpose()?,
            catalogue_url: opt_url("catalogue_url", catalogue_url)?,
        }),
        ItemRequest::Room {
            title,
            introduction,
            images,
        } => {
            if images.len() > MAX_IMAGES_PER_ROOM {
                return Err(invalid(format!(
                    "{}: at most {MAX_IMAGES_PER_ROOM} images per room, got {}",
                    f("images"),
                    images.len()
                )));
            }
            Item::Room(Room {
                title: line("title", title, MAX_TITLE_CHARS)?,
                introduction: text::paragraphs(
                    &f("introduction"),
                    introduction,
                    MAX_INTRODUCTION_CHARS,
                )
                .map_err(invalid)?,
                images: images
                    .iter()
                    .enumerate()
                    .map(|(i, img)| parse_placement(&f(&format!("images[{i}]")), img))
                    .collect::<Result<Vec<_>, _>>()?,
            })
        }
    };
    if item.item_type() != kind.item_type() {
        return Err(invalid(format!(
            "{path}.type: a {} showcase holds items of type \"{}\", not \"{}\"",
            serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            kind.item_type(),
            item.item_type()
        )));
    }
    Ok(item)
}

/// Parses a placement without the store: a medium's size is left at 0 until
/// [`super::library::measure`] reads it, which every save does before storing.
pub fn parse_placement(path: &str, req: &ImageRequest) -> Result<Placement, ShowcaseError> {
    let f = |name: &str| format!("{path}.{name}");
    let dimension = |name: &str, value: Option<i64>| match value {
        Some(value) if (1..=MAX_IMAGE_PIXELS).contains(&value) => Ok(value as u32),
        Some(value) => Err(invalid(format!(
            "{}: must be from 1 to {MAX_IMAGE_PIXELS} pixels, got {value}",
            f(name)
        ))),
        None => Err(invalid(format!(
            "{}: required for an outside image (url), from 1 to {MAX_IMAGE_PIXELS} pixels",
            f(name)
        ))),
    };
    let image = match (req.url.as_deref(), req.medium.as_deref()) {
        (Some(url), None) => Image::from_url(
            text::url(&f("url"), url).map_err(invalid)?,
            dimension("width", req.width)?,
            dimension("height", req.height)?,
        ),
        (None, Some(medium)) => {
            if req.width.is_some() || req.height.is_some() {
                return Err(invalid(format!(
                    "{}: a medium of the library has its own size; give width and height with url only",
                    f("width")
                )));
            }
            Image {
                url: None,
                medium: Some(MediumId::parse(medium.trim()).map_err(|_| {
                    invalid(format!("{}: not a medium of the library", f("medium")))
                })?),
                width: 0,
                height: 0,
            }
        }
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "{}: give either url or medium, not both",
                f("medium")
            )));
        }
        (None, None) => {
            return Err(invalid(format!(
                "{}: an https address, or a medium of the library (medium)",
                f("url")
            )));
        }
    };
    let alt = match req.alt.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(invalid(format!(
                "{}: every image needs alternative text describing it for patrons who cannot see it",
                f("alt")
            )));
        }
        Some(alt) => text::line(&f("alt"), alt, MAX_ALT_CHARS).map_err(invalid)?,
    };
    let opt = |name: &str, raw: &Option<String>, max| {
        text::optional_line(&f(name), raw.as_deref(), max).map_err(invalid)
    };
    Ok(Placement {
        image,
        alt,
        title: opt("title", &req.title, MAX_TITLE_CHARS)?,
        caption: opt("caption", &req.caption, MAX_CAPTION_CHARS)?,
        credit: opt("credit", &req.credit, MAX_NAME_CHARS)?,
        licence: opt("licence", &req.licence, MAX_NAME_CHARS)?,
    })
}
