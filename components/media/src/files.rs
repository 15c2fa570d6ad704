//! The public addresses of the renditions: `/media/{id}/{thumb,page,social,framed}.jpg`.
//!
//! A rendition never changes once written (a new upload is a new medium), so its answer is
//! cached for a year as `immutable`, with its digest as `ETag` (a revalidation costs 1 read
//! and no chunk). The bytes are always a JPEG Kiosque encoded itself from the pixels, never
//! the uploaded file, so nothing in them can run as a page; the headers say so too:
//! `nosniff`, a `Content-Disposition` naming a `.jpg`, and a policy that forbids any script
//! or plugin should a browser open the address directly.
//!
//! A patron's image (a contest entry's) is served only once its entry is approved (1 more
//! read), cached an hour rather than for ever so that an erasure reaches caches; signed-in
//! staff see it before, uncached; anyone else gets 404.

use kiosque_domain::contests;
use kiosque_domain::media::{self, MediaError, MediumId, Rendition, RenditionKind};
use kiosque_spin::response::etag_matches;
use kiosque_spin::{PageError, SpinStore, auth};
use spin_sdk::http::{Params, Request, Response};

const CACHE_FOR_EVER: &str = "public, max-age=31536000, immutable";
/// A patron's approved image: an hour, so that erasure or a later rejection reaches caches
/// soon (its bytes never change, but it may stop being public).
const PATRON_CACHE: &str = "public, max-age=3600";
/// A pending image shown to staff: never kept by a shared cache.
const PRIVATE: &str = "private, no-store";

/// `GET /media/:id/:file`.
pub fn rendition(req: Request, params: Params) -> Result<Response, PageError> {
    let id = params.get("id").and_then(|id| MediumId::parse(id).ok());
    let kind = params.get("file").and_then(RenditionKind::from_file_name);
    let (Some(id), Some(kind)) = (id, kind) else {
        return Err(not_found());
    };
    let store = SpinStore::open_default().map_err(|e| PageError::from(MediaError::from(e)))?;
    let medium = media::get(&store, &id).map_err(PageError::from)?;
    // A patron's image is public once its entry is approved; staff see it in moderation.
    let cache = match &medium.entry {
        None => CACHE_FOR_EVER,
        Some(entry) => {
            let public =
                contests::entry_image_public(&store, entry, &id).map_err(PageError::from)?;
            if public {
                PATRON_CACHE
            } else if auth::is_staff(&req) {
                PRIVATE
            } else {
                return Err(not_found());
            }
        }
    };
    let rendition = medium.rendition(kind).ok_or_else(not_found)?;
    let etag = format!("\"{}\"", rendition.sha256);
    let fresh = req
        .header("if-none-match")
        .and_then(|v| v.as_str())
        .is_some_and(|header| etag_matches(header, &etag));
    if fresh {
        let mut not_modified = Response::builder();
        not_modified.status(304);
        return Ok(with_headers(&mut not_modified, &id, rendition, &etag, cache).build());
    }
    let bytes = media::read_rendition(&store, &medium, kind).map_err(PageError::from)?;
    let mut builder = Response::builder();
    builder
        .status(200)
        .header("content-type", Rendition::CONTENT_TYPE);
    Ok(with_headers(&mut builder, &id, rendition, &etag, cache)
        .body(bytes)
        .build())
}

fn with_headers<'a>(
    builder: &'a mut spin_sdk::http::ResponseBuilder,
    id: &MediumId,
    rendition: &Rendition,
    etag: &str,
    cache: &str,
) -> &'a mut spin_sdk::http::ResponseBuilder {
    builder
        .header("etag", etag)
        .header("cache-control", cache)
        .header("x-content-type-options", "nosniff")
        .header(
            "content-disposition",
            format!("inline; filename=\"{id}-{}\"", rendition.kind.file_name()),
        )
        .header("content-security-policy", "default-src 'none'; sandbox")
        // The networks and other sites (the library's own, embeds) show these images.
        .header("cross-origin-resource-policy", "cross-origin")
}

fn not_found() -> PageError {
    PageError::from(MediaError::NotFound)
}
