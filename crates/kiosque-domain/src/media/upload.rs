//! Uploads in parts. A file of up to [`MAX_FILE_BYTES`] cannot be one request body on every
//! host, nor one store value (Spin guarantees values of 1 MB), so the console sends it in
//! parts of [`PART_BYTES`], each stored as it comes, in any order, any number of times; the
//! upload is then completed in one request that reads the parts back ([`assemble`]), and
//! forgotten ([`discard`]).
//!
//! Completing is claimed ([`claim_completion`], `claims`): two requests completing one
//! upload at once (a double click, a retry after a lost answer) make one medium, and the
//! later one answers it.
//!
//! Costs: start 1 compare-and-swap; a part 1 read + 1 write; claiming the completion 1 batch
//! read + 1 write + 1 increment; assemble 1 read + 1 batch read (at most 40 parts);
//! finishing 1 write; discard 1 delete per part + 1.

use serde::{Deserialize, Serialize};

use super::{FileName, MediaError};
use crate::claims::{self, Claim};
use crate::clock::{Clock, Timestamp};
use crate::ids::{MediumId, UploadId};
use crate::keys;
use crate::store::{self, KvStore};

/// The largest file accepted: 20 MiB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// The size of every part but the last: 512 KiB keeps each request small for any host or
/// proxy in front of it, and each stored part well under Spin's 1 MB per value.
pub const PART_BYTES: u64 = 512 * 1024;
/// An upload not completed within a day is refused (its parts are then removed by the
/// request that finds it expired).
pub const UPLOAD_TTL_SECONDS: i64 = 24 * 3600;

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub id: UploadId,
    pub filename: FileName,
    /// The file's size in bytes, as announced; every part is checked against it.
    pub size: u64,
    pub parts: u32,
    pub part_size: u64,
    pub created_at: Timestamp,
    /// Who uploads (the audit log's name for the staff member).
    pub created_by: String,
}

impl Upload {
    /// The length part `n` must have.
    fn part_len(&self, n: u32) -> u64 {
        let start = u64::from(n) * self.part_size;
        (self.size - start).min(self.part_size)
    }

    fn expired(&self, now: Timestamp) -> bool {
        now.unix_seconds() - self.created_at.unix_seconds() > UPLOAD_TTL_SECONDS
    }
}

/// Opens an upload of `size` bytes named `filename` (whose extension says it is an image we
/// read; the content is checked on completion, never trusted from the name).
pub fn start(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: UploadId,
    filename: FileName,
    size: u64,
    created_by: &str,
) -> Result<Upload, MediaError> {
    if size == 0 {
        return Err(MediaError::EmptyFile);
    }
    if size > MAX_FILE_BYTES {
        return Err(MediaError::FileTooLarge {
            size,
            max: MAX_FILE_BYTES,
        });
    }
    let parts = u32::try_from(size.div_ceil(PART_BYTES)).map_err(|_| MediaError::FileTooLarge {
        size,
        max: MAX_FILE_BYTES,
    })?;
    let upload = Upload {
        id,
        filename,
        size,
        parts,
        part_size: PART_BYTES,
        created_at: clock.now(),
        created_by: created_by.to_owned(),
    };
    let key = keys::media_upload(&upload.id);
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &upload)?)? {
        return Err(MediaError::Busy);
    }
    Ok(upload)
}

/// Reads an upload that is still open.
pub fn get(store: &dyn KvStore, clock: &dyn Clock, id: &UploadId) -> Result<Upload, MediaError> {
    let upload: Upload = store
        .get_json(&keys::media_upload(id))?
        .ok_or(MediaError::UploadNotFound)?;
    if upload.expired(clock.now()) {
        discard(store, &upload);
        return Err(MediaError::UploadNotFound);
    }
    Ok(upload)
}

/// Stores part `n` of the upload. Sending a part again replaces it with the same bytes.
pub fn put_part(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &UploadId,
    n: u32,
    bytes: &[u8],
) -> Result<(), MediaError> {
    let upload = get(store, clock, id)?;
    if n >= upload.parts {
        return Err(MediaError::PartOutOfRange {
            part: n,
            parts: upload.parts,
        });
    }
    let expected = upload.part_len(n);
    if bytes.len() as u64 != expected {
        return Err(MediaError::WrongPartSize {
            part: n,
            expected,
            got: bytes.len() as u64,
        });
    }
    store.set(&keys::media_upload_part(id, n), bytes)?;
    Ok(())
}

/// The whole file, once every part is there; [`MediaError::MissingParts`] lists the others.
pub fn assemble(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &UploadId,
) -> Result<(Upload, Vec<u8>), MediaError> {
    let upload = get(store, clock, id)?;
    let part_keys: Vec<String> = (0..upload.parts)
        .map(|n| keys::media_upload_part(id, n))
        .collect();
    let mut found: std::collections::HashMap<String, Vec<u8>> = store
        .get_many(&part_keys)?
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect();
    let mut file = Vec::with_capacity(usize::try_from(upload.size).unwrap_or(0));
    let mut missing = Vec::new();
    for (n, key) in (0..upload.parts).zip(&part_keys) {
        match found.remove(key) {
            // A part of the wrong length cannot be stored (`put_part`); a store that
            // answers one anyway is corrupt, and the part is sent again.
            Some(bytes) if bytes.len() as u64 == upload.part_len(n) => {
                file.extend_from_slice(&bytes);
            }
            _ => missing.push(n),
        }
    }
    if !missing.is_empty() {
        return Err(MediaError::MissingParts { missing });
    }
    Ok((upload, file))
}

/// Who completes an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// This request: it assembles and processes the file, then calls [`finish_completion`]
    /// (or [`release_completion`] if it fails before the medium exists).
    Mine,
    /// Done already: the medium the upload became.
    Done(MediumId),
}

/// Claims the completion of upload `id`; [`MediaError::UploadCompleting`] while another
/// request holds a fresh claim (a claimant that died is taken over after
/// [`claims::GRACE_SECONDS`]).
pub fn claim_completion(
    store: &dyn KvStore,
    now: Timestamp,
    id: &UploadId,
) -> Result<Completion, MediaError> {
    let claim_key = keys::media_upload_completion(id);
    let doc = keys::media_upload_medium(id);
    match claims::claim(store, now, &claim_key, &doc)? {
        Claim::Won => Ok(Completion::Mine),
        Claim::Exists(bytes) => Ok(Completion::Done(store::from_json(&doc, &bytes)?)),
        Claim::Pending => Err(MediaError::UploadCompleting),
    }
}

/// Records the medium a claimed completion made: later completions of the upload answer it.
pub fn finish_completion(
    store: &dyn KvStore,
    id: &UploadId,
    medium: &MediumId,
) -> Result<(), MediaError> {
    store.set_json(&keys::media_upload_medium(id), medium)?;
    Ok(())
}

/// Gives a claimed completion back after a failure (best effort), so the next try may
/// complete the upload at once.
pub fn release_completion(store: &dyn KvStore, id: &UploadId) {
    claims::release(store, &keys::media_upload_completion(id));
}

/// Forgets an upload and its parts (best effort: a part left behind by a failed delete is
/// never read again, since the upload's document goes first).
pub fn discard(store: &dyn KvStore, upload: &Upload) {
    if let Err(e) = store.delete(&keys::media_upload(&upload.id)) {
        eprintln!("failed to forget upload {}: {e}", upload.id);
        return;
    }
    for n in 0..upload.parts {
        if let Err(e) = store.delete(&keys::media_upload_part(&upload.id, n)) {
            eprintln!("failed to delete part {n} of upload {}: {e}", upload.id);
        }
    }
}
