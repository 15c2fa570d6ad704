//! The media library: images staff upload once and use in posts, showcases, events, polls
//! and tutorials. A medium is never served as uploaded: the component decodes the file,
//! applies its orientation and keeps only re-encoded renditions (`kiosque-imaging`), which
//! carry no metadata; this module stores them and the medium's description (alt text,
//! credit, licence). Uploading itself, in parts, is [`upload`].
//!
//! Storage (keys in `keys`; no cost grows with the number of media):
//! - `medium/{id}/{rendition}/{n}`: the bytes of each rendition in chunks of [`CHUNK_BYTES`]
//!   (Spin guarantees values of 1 MB), written once before the medium. They never change, so
//!   a rendition's address is cached for ever.
//! - `medium/{id}`: the [`Medium`], written last on creation (the proof it exists), then
//!   rewritten by compare-and-swap when staff edit its description. Serving a rendition costs
//!   1 read, + 1 read per chunk (a 304 stops after the first).
//! - `media/seq` + `media/{n}`: the staff list, one write-once slot per medium (1 counter read
//!   + 2 batch reads per page).
//!
//! A crash between the writes of a creation leaves chunks no medium names: invisible, never
//! served; a deletion removes the medium first, so its addresses answer 404 at once.
//!
//! Patron media (a contest entry's image, [`create_patron`]) are stored the same way but take
//! no slot: the staff list never shows them. Each knows its entry ([`Medium::entry`]), so
//! whether it may be served is one more read, the entry's status (only an approved entry's
//! image is public; `contests` deletes the medium when the entry is rejected or erased).

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::hashing::sha256_hex;
use crate::ids::ContestId;
use crate::keys;
use crate::showcases::text;
use crate::store::{self, KvStore, StoreError};

pub use crate::ids::{MediumId, UploadId};

pub mod multipart;
pub mod upload;

/// The largest chunk of a stored rendition: under Spin's 1,000,000-byte guarantee per value,
/// with room to spare.
pub const CHUNK_BYTES: usize = 900_000;
/// Alt text, as Mastodon accepts it (its limit is the lowest of the networks').
pub const MAX_ALT_CHARS: usize = 1_500;
pub const MAX_CREDIT_CHARS: usize = 200;
pub const MAX_FILENAME_CHARS: usize = 200;
/// Media per page of the staff list.
pub const PAGE_SLOTS: u64 = 50;
const CAS_ATTEMPTS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("medium not found")]
    NotFound,
    #[error("upload not found or expired: start it again")]
    UploadNotFound,
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("the file is empty")]
    EmptyFile,
    #[error("the file is {size} bytes; the largest accepted is {max} bytes (20 MB)")]
    FileTooLarge { size: u64, max: u64 },
    #[error("only JPEG, PNG, WebP and GIF images are accepted (found: {found})")]
    UnsupportedType { found: String },
    #[error("part {part} does not exist: this upload has {parts} parts")]
    PartOutOfRange { part: u32, parts: u32 },
    #[error("part {part} must be {expected} bytes, not {got}")]
    WrongPartSize { part: u32, expected: u64, got: u64 },
    #[error("parts missing: {missing:?}; send them, then complete again")]
    MissingParts { missing: Vec<u32> },
    /// The image itself is refused (`kiosque-imaging`'s error, with its code).
    #[error("{message}")]
    Image { code: &'static str, message: String },
    #[error("too many simultaneous changes: try again")]
    Busy,
    /// Another request is completing this upload (a double click, a retry before the first
    /// answer): asking again in a moment answers the medium it became.
    #[error("this upload is being completed by another request: ask again in a moment")]
    UploadCompleting,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for MediaError {
    fn kind(&self) -> ErrorKind {
        match self {
            MediaError::NotFound | MediaError::UploadNotFound => ErrorKind::NotFound,
            MediaError::Invalid { .. } => ErrorKind::Unprocessable,
            MediaError::FileTooLarge { .. } => ErrorKind::PayloadTooLarge,
            MediaError::EmptyFile
            | MediaError::UnsupportedType { .. }
            | MediaError::PartOutOfRange { .. }
            | MediaError::WrongPartSize { .. }
            | MediaError::Image { .. } => ErrorKind::Unprocessable,
            MediaError::MissingParts { .. } | MediaError::Busy | MediaError::UploadCompleting => {
                ErrorKind::Conflict
            }
            MediaError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            MediaError::NotFound => "medium_not_found",
            MediaError::UploadNotFound => "upload_not_found",
            MediaError::Invalid { .. } => "invalid_medium",
            MediaError::EmptyFile => "empty_file",
            MediaError::FileTooLarge { .. } => "file_too_large",
            MediaError::UnsupportedType { .. } => "unsupported_image_type",
            MediaError::PartOutOfRange { .. } => "part_out_of_range",
            MediaError::WrongPartSize { .. } => "wrong_part_size",
            MediaError::MissingParts { .. } => "missing_parts",
            MediaError::Image { code, .. } => code,
            MediaError::Busy => "busy",
            MediaError::UploadCompleting => "upload_completing",
            MediaError::Storage(_) => "storage_error",
        }
    }

    fn field_errors(&self) -> Vec<crate::social::FieldError> {
        match self {
            MediaError::Invalid { field, message } => {
                vec![crate::social::FieldError::new(*field, message.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// A file's name as staff chose it (shown in the library, never used as a path or a key):
/// one line, with the extension of an image we read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

/// The extensions of the formats the library reads.
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "gif"];

impl FileName {
    pub fn parse(raw: &str) -> Result<FileName, MediaError> {
        let name = text::line("filename", raw, MAX_FILENAME_CHARS).map_err(|message| {
            MediaError::Invalid {
                field: "filename",
                message,
            }
        })?;
        let extension = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        if !IMAGE_EXTENSIONS.contains(&extension.as_str()) {
            return Err(MediaError::UnsupportedType {
                found: if extension.is_empty() || extension.len() > 10 {
                    "a file without an image extension".to_owned()
                } else {
                    format!(".{extension}")
                },
            });
        }
        Ok(FileName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FileName {
    type Error = MediaError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        FileName::parse(&raw)
    }
}

impl From<FileName> for String {
    fn from(name: FileName) -> String {
        name.0
    }
}

/// Under which terms a medium may be reused: staff choose one, the pages show it with the
/// credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Licence {
    #[default]
    AllRightsReserved,
    CcBy,
    CcBySa,
    CcByNc,
    CcByNcSa,
    CcByNd,
    Cc0,
    PublicDomain,
}

impl Licence {
    pub const ALL: [Licence; 8] = [
        Licence::AllRightsReserved,
        Licence::CcBy,
        Licence::CcBySa,
        Licence::CcByNc,
        Licence::CcByNcSa,
        Licence::CcByNd,
        Licence::Cc0,
        Licence::PublicDomain,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Licence::AllRightsReserved => "all_rights_reserved",
            Licence::CcBy => "cc_by",
            Licence::CcBySa => "cc_by_sa",
            Licence::CcByNc => "cc_by_nc",
            Licence::CcByNcSa => "cc_by_nc_sa",
            Licence::CcByNd => "cc_by_nd",
            Licence::Cc0 => "cc0",
            Licence::PublicDomain => "public_domain",
        }
    }

    pub fn parse(code: &str) -> Result<Licence, MediaError> {
        Licence::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| MediaError::Invalid {
                field: "licence",
                message: format!(
                    "must be one of {}",
                    Licence::ALL.map(Licence::code).join(", ")
                ),
            })
    }
}

/// The sizes kept of every medium (all JPEG, re-encoded from the pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenditionKind {
    /// Lists and the console: fits 400 px.
    Thumb,
    /// Pages: fits 1600 px.
    Page,
    /// What the networks receive: fits 2048 px and under 1,000,000 bytes (Bluesky's limit).
    Social,
    /// Fits 1440 px, on a white frame that brings its proportions between 4:5 and 1.91:1,
    /// the range Instagram accepts. Media uploaded before it existed have none.
    Framed,
}

impl RenditionKind {
    pub const ALL: [RenditionKind; 4] = [
        RenditionKind::Thumb,
        RenditionKind::Page,
        RenditionKind::Social,
        RenditionKind::Framed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RenditionKind::Thumb => "thumb",
            RenditionKind::Page => "page",
            RenditionKind::Social => "social",
            RenditionKind::Framed => "framed",
        }
    }

    /// From the file name of its address (`page.jpg`).
    pub fn from_file_name(file: &str) -> Option<RenditionKind> {
        let stem = file.strip_suffix(".jpg")?;
        RenditionKind::ALL.into_iter().find(|k| k.name() == stem)
    }

    pub fn file_name(self) -> String {
        format!("{}.jpg", self.name())
    }
}

/// A stored rendition: its size and where its bytes are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendition {
    pub kind: RenditionKind,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// SHA-256 of the bytes, hex: the `ETag`, and checked when the chunks are read back.
    pub sha256: String,
    pub chunks: u32,
}

impl Rendition {
    /// Always JPEG (`kiosque-imaging` re-encodes every format).
    pub const CONTENT_TYPE: &'static str = "image/jpeg";

    /// The public address's path.
    pub fn path(&self, id: &MediumId) -> String {
        format!("/media/{id}/{}", self.kind.file_name())
    }
}

/// A medium of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medium {
    pub id: MediumId,
    pub filename: FileName,
    /// The uploaded format (`jpeg`, `png`, `gif`, `webp`).
    pub format: String,
    /// After orientation.
    pub width: u32,
    pub height: u32,
    /// The uploaded file's size in bytes (the file itself is not kept).
    pub size: u64,
    pub alt: String,
    pub credit: String,
    pub licence: Licence,
    pub renditions: Vec<Rendition>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub version: u64,
    /// The slot in the staff list; 0 for a patron medium, which has none.
    pub slot: u64,
    /// The contest entry a patron medium belongs to; `None` for the library's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryRef>,
}

/// Which contest entry a patron medium illustrates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    pub contest: ContestId,
    pub seq: u64,
}

impl Medium {
    /// A medium may be used once it has alt text.
    pub fn usable(&self) -> bool {
        !self.alt.is_empty()
    }

    pub fn rendition(&self, kind: RenditionKind) -> Option<&Rendition> {
        self.renditions.iter().find(|r| r.kind == kind)
    }
}

/// What staff write about a medium.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Description {
    pub alt: String,
    pub credit: String,
    pub licence: Licence,
}

/// The request body that describes a medium (every member optional: absent keeps, or on
/// creation leaves empty).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionRequest {
    pub alt: Option<String>,
    pub credit: Option<String>,
    pub licence: Option<String>,
}

impl Description {
    /// `request` applied over `current`.
    pub fn parse(current: &Description, request: DescriptionRequest) -> Result<Self, MediaError> {
        let invalid = |field| move |message| MediaError::Invalid { field, message };
        let alt = match request.alt {
            Some(raw) => text::paragraphs("alt", &raw, MAX_ALT_CHARS).map_err(invalid("alt"))?,
            None => current.alt.clone(),
        };
        let credit = match request.credit {
            Some(raw) => text::optional_line("credit", Some(&raw), MAX_CREDIT_CHARS)
                .map_err(invalid("credit"))?
                .unwrap_or_default(),
            None => current.credit.clone(),
        };
        let licence = match request.licence {
            Some(code) => Licence::parse(code.trim())?,
            None => current.licence,
        };
        Ok(Description {
            alt,
            credit,
            licence,
        })
    }
}

/// A rendition's bytes, ready to store.
#[derive(Debug, Clone)]
pub struct NewRendition {
    pub kind: RenditionKind,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// What an upload became once decoded.
#[derive(Debug, Clone)]
pub struct NewMedium {
    pub filename: FileName,
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub description: Description,
    pub renditions: Vec<NewRendition>,
    pub created_by: String,
}

#[derive(Serialize, Deserialize)]
struct Slot {
    id: MediumId,
}

/// Stores a new medium: its renditions' chunks, a slot in the list, then the medium.
/// Costs 1 write per chunk (3 or 4) + 1 increment + 1 write + 1 compare-and-swap.
pub fn create(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: MediumId,
    new: NewMedium,
) -> Result<Medium, MediaError> {
    store_medium(store, clock, id, new, None)
}

/// Stores a patron's image for the contest entry `entry`: its chunks, then the medium, with
/// no slot in the staff list. Costs 1 write per chunk + 1 compare-and-swap.
pub fn create_patron(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: MediumId,
    new: NewMedium,
    entry: EntryRef,
) -> Result<Medium, MediaError> {
    store_medium(store, clock, id, new, Some(entry))
}

fn store_medium(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: MediumId,
    new: NewMedium,
    entry: Option<EntryRef>,
) -> Result<Medium, MediaError> {
    let mut renditions = Vec::with_capacity(new.renditions.len());
    for rendition in &new.renditions {
        let mut chunks = 0u32;
        for (n, chunk) in rendition.bytes.chunks(CHUNK_BYTES).enumerate() {
            let n = u32::try_from(n).map_err(|_| StoreError::Corrupt {
                key: keys::medium(&id),
                message: "rendition too large".to_owned(),
            })?;
            store.set(&keys::medium_chunk(&id, rendition.kind.name(), n), chunk)?;
            chunks = n + 1;
        }
        renditions.push(Rendition {
            kind: rendition.kind,
            width: rendition.width,
            height: rendition.height,
            bytes: rendition.bytes.len() as u64,
            sha256: sha256_hex(&rendition.bytes),
            chunks,
        });
    }
    let slot = if entry.is_some() {
        0
    } else {
        let n = store.increment(&keys::media_seq(), 1)?;
        let slot = u64::try_from(n).map_err(|_| StoreError::Corrupt {
            key: keys::media_seq(),
            message: format!("negative media sequence {n}"),
        })?;
        store.set_json(&keys::media_slot(slot), &Slot { id: id.clone() })?;
        slot
    };
    let now = clock.now();
    let medium = Medium {
        id,
        filename: new.filename,
        format: new.format,
        width: new.width,
        height: new.height,
        size: new.size,
        alt: new.description.alt,
        credit: new.description.credit,
        licence: new.description.licence,
        renditions,
        created_at: now,
        created_by: new.created_by,
        updated_at: now,
        version: 1,
        slot,
        entry,
    };
    let key = keys::medium(&medium.id);
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &medium)?)? {
        return Err(MediaError::Busy);
    }
    Ok(medium)
}

/// 1 read.
pub fn get(store: &dyn KvStore, id: &MediumId) -> Result<Medium, MediaError> {
    store
        .get_json(&keys::medium(id))?
        .ok_or(MediaError::NotFound)
}

/// A medium of the library that staff may publish: a patron's contest image is not one
/// (whether or not its entry is approved, it is the patron's, shown in the gallery only), so it
/// answers [`MediaError::NotFound`] here. 1 read.
pub fn get_library(store: &dyn KvStore, id: &MediumId) -> Result<Medium, MediaError> {
    let medium = get(store, id)?;
    if medium.entry.is_some() {
        return Err(MediaError::NotFound);
    }
    Ok(medium)
}

/// Rewrites a medium's description: 1 read + 1 compare-and-swap (again when someone else
/// changed it meanwhile).
pub fn describe(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &MediumId,
    request: DescriptionRequest,
) -> Result<Medium, MediaError> {
    let key = keys::medium(id);
    for _ in 0..CAS_ATTEMPTS {
        let Some(current_bytes) = store.get(&key)? else {
            return Err(MediaError::NotFound);
        };
        let mut medium: Medium = store::from_json(&key, &current_bytes)?;
        // Absent members keep what is there now, so each attempt applies the request anew.
        let current = Description {
            alt: medium.alt.clone(),
            credit: medium.credit.clone(),
            licence: medium.licence,
        };
        let description = Description::parse(&current, request.clone())?;
        medium.alt = description.alt;
        medium.credit = description.credit;
        medium.licence = description.licence;
        medium.updated_at = clock.now();
        medium.version += 1;
        if store.compare_and_swap(&key, Some(&current_bytes), &store::to_json(&key, &medium)?)? {
            return Ok(medium);
        }
    }
    Err(MediaError::Busy)
}

/// Deletes a medium: the document first (its addresses answer 404 at once), then its chunks
/// and its slot. 1 read + 1 delete + 1 per chunk + 1.
pub fn delete(store: &dyn KvStore, id: &MediumId) -> Result<(), MediaError> {
    let medium = get(store, id)?;
    store.delete(&keys::medium(id))?;
    for rendition in &medium.renditions {
        for n in 0..rendition.chunks {
            if let Err(e) = store.delete(&keys::medium_chunk(id, rendition.kind.name(), n)) {
                eprintln!("failed to delete a chunk of medium {id}: {e}");
            }
        }
    }
    if medium.slot != 0
        && let Err(e) = store.delete(&keys::media_slot(medium.slot))
    {
        eprintln!("failed to free media slot {}: {e}", medium.slot);
    }
    Ok(())
}

/// The bytes of one rendition: 1 read per chunk (after [`get`]). A chunk missing or
/// different from the recorded digest is a corrupt store, never served.
pub fn read_rendition(
    store: &dyn KvStore,
    medium: &Medium,
    kind: RenditionKind,
) -> Result<Vec<u8>, MediaError> {
    let rendition = medium.rendition(kind).ok_or(MediaError::NotFound)?;
    let chunk_keys: Vec<String> = (0..rendition.chunks)
        .map(|n| keys::medium_chunk(&medium.id, kind.name(), n))
        .collect();
    let mut found: std::collections::HashMap<String, Vec<u8>> =
        if let [only] = chunk_keys.as_slice() {
            store
                .get(only)?
                .map(|bytes| (only.clone(), bytes))
                .into_iter()
                .collect()
        } else {
            store
                .get_many(&chunk_keys)?
                .into_iter()
                .filter_map(|(key, value)| value.map(|v| (key, v)))
                .collect()
        };
    let mut bytes = Vec::with_capacity(usize::try_from(rendition.bytes).unwrap_or(0));
    for key in &chunk_keys {
        let chunk = found.remove(key).ok_or_else(|| StoreError::Corrupt {
            key: key.clone(),
            message: "chunk missing".to_owned(),
        })?;
        bytes.extend_from_slice(&chunk);
    }
    if sha256_hex(&bytes) != rendition.sha256 {
        return Err(StoreError::Corrupt {
            key: keys::medium(&medium.id),
            message: format!("{} rendition does not match its digest", kind.name()),
        }
        .into());
    }
    Ok(bytes)
}

/// One page of the library, newest first: 1 counter read (without `before`) + 2 batch reads.
/// Answers the `before` of the next page.
pub fn list(
    store: &dyn KvStore,
    before: Option<u64>,
) -> Result<(Vec<Medium>, Option<u64>), MediaError> {
    Ok(store::numbered_page(
        store,
        &keys::media_seq(),
        keys::media_slot,
        keys::medium,
        before,
        PAGE_SLOTS,
    )?)
}

#[cfg(test)]
mod tests;

/// A medium written straight into the store, for the unit tests of the modules that read one
/// (channels, link cards, contests) and of this one.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::clock::FixedClock;

    /// The bytes of rendition `kind` of a [`new_medium`]: a JPEG's first marker, no image,
    /// then the kind's name, so that a test sees which rendition was read.
    pub fn jpeg(kind: RenditionKind) -> Vec<u8> {
        let mut bytes = b"\xFF\xD8\xFF\xDB".to_vec();
        bytes.extend_from_slice(format!("{kind:?} rendition").as_bytes());
        bytes
    }

    /// `width` x `height` scaled to fit `longest` px, never up, as the decoder does.
    fn fit(width: u32, height: u32, longest: u32) -> (u32, u32) {
        let long = width.max(height);
        if long <= longest {
            return (width, height);
        }
        let scale = |side: u32| (u64::from(side) * u64::from(longest) / u64::from(long)) as u32;
        (scale(width), scale(height))
    }

    /// What a `width` x `height` JPEG decodes to: its thumb, page and social renditions
    /// (fitting 400, 1600 and 2048 px), each of [`jpeg`]; no framed one, as a medium uploaded
    /// before it existed.
    pub fn new_medium(width: u32, height: u32) -> NewMedium {
        let rendition = |kind, longest| {
            let (width, height) = fit(width, height, longest);
            NewRendition {
                kind,
                width,
                height,
                bytes: jpeg(kind),
            }
        };
        NewMedium {
            filename: FileName::parse("photo.jpg").unwrap(),
            format: "jpeg".into(),
            width,
            height,
            size: 1000,
            description: Description::default(),
            renditions: vec![
                rendition(RenditionKind::Thumb, 400),
                rendition(RenditionKind::Page, 1600),
                rendition(RenditionKind::Social, 2048),
            ],
            created_by: "Anne".into(),
        }
    }

    /// The rendition `kind` of `new`, to change its bytes or size.
    pub fn rendition(new: &mut NewMedium, kind: RenditionKind) -> &mut NewRendition {
        new.renditions
            .iter_mut()
            .find(|r| r.kind == kind)
            .expect("a rendition of that kind")
    }

    /// Stores [`new_medium`]`(width, height)` in the library as medium `id`.
    pub fn medium(store: &dyn KvStore, id: &MediumId, width: u32, height: u32) -> MediumId {
        let clock = FixedClock(Timestamp::from_unix_seconds(1_780_000_000).unwrap());
        create(store, &clock, id.clone(), new_medium(width, height)).unwrap();
        id.clone()
    }
}
