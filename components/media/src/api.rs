//! The staff API of the media library.

use kiosque_domain::Clock;
use kiosque_domain::media::upload::{self, Upload};
use kiosque_domain::media::{
    self, DescriptionRequest, FileName, MediaError, Medium, MediumId, NewMedium, NewRendition,
    RenditionKind, UploadId,
};
use kiosque_imaging::{ImageError, Limits};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, ids};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::{Params, Request, Response};

/// Editors and administrators (the same-site check comes with it), with the name the audit
/// log gives them.
fn staff_write(req: &Request) -> Result<(SpinStore, String), ApiError> {
    let staff = auth::require(req, Permission::Edit)?;
    let store = SpinStore::open_default().map_err(MediaError::from)?;
    Ok((store, staff.actor().name))
}

fn medium_id(params: &Params) -> Result<MediumId, ApiError> {
    params
        .get("id")
        .and_then(|id| MediumId::parse(id).ok())
        .ok_or_else(|| MediaError::NotFound.into())
}

fn upload_id(params: &Params) -> Result<UploadId, ApiError> {
    params
        .get("id")
        .and_then(|id| UploadId::parse(id).ok())
        .ok_or_else(|| MediaError::UploadNotFound.into())
}

/// A medium as the API shows it: its renditions by name, with their addresses on `base` (the
/// public origin, read once per request: it may be a Spin variable).
fn medium_json(base: &str, medium: &Medium) -> Value {
    let renditions: serde_json::Map<String, Value> = medium
        .renditions
        .iter()
        .map(|r| {
            let path = r.path(&medium.id);
            (
                r.kind.name().to_owned(),
                json!({
                    "url": path, "absolute_url": format!("{base}{path}"),
                    "width": r.width, "height": r.height, "bytes": r.bytes,
                }),
            )
        })
        .collect();
    json!({
        "id": medium.id, "filename": medium.filename, "format": medium.format,
        "width": medium.width, "height": medium.height, "size": medium.size,
        "alt": medium.alt, "credit": medium.credit, "licence": medium.licence.code(),
        "usable": medium.usable(), "renditions": renditions,
        "created_at": medium.created_at, "created_by": medium.created_by,
        "updated_at": medium.updated_at, "version": medium.version,
    })
}

fn upload_json(upload: &Upload) -> Value {
    json!({"upload": {
        "id": upload.id, "filename": upload.filename, "size": upload.size,
        "part_size": upload.part_size, "parts": upload.parts,
    }})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartUploadRequest {
    filename: String,
    size: u64,
}

/// `POST /api/media/uploads` `{filename, size}`: 201 with the parts to send.
pub fn start_upload(req: Request, _params: Params) -> Result<Response, ApiError> {
    let (store, who) = staff_write(&req)?;
    let body: StartUploadRequest = parse_body(&req)?;
    let filename = FileName::parse(&body.filename)?;
    let id = UploadId::generate(ids::random_bytes()?);
    let upload = upload::start(&store, &SystemClock, id, filename, body.size, &who)?;
    Ok(json(201, &upload_json(&upload)))
}

/// `PUT /api/media/uploads/:id/parts/:n`, the part's raw bytes: 204.
pub fn put_part(req: Request, params: Params) -> Result<Response, ApiError> {
    let (store, _) = staff_write(&req)?;
    let id = upload_id(&params)?;
    let n = params
        .get("n")
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| ApiError::new(404, "part_not_found", "parts are numbered from 0"))?;
    if !kiosque_spin::json::has_media_type(&req, "application/octet-stream") {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "the content-type of a part must be application/octet-stream",
        ));
    }
    upload::put_part(&store, &SystemClock, &id, n, req.body())?;
    Ok(Response::builder().status(204).build())
}

/// `POST /api/media/uploads/:id/complete` `{alt?, credit?, licence?}`: the file is decoded
/// and re-encoded (this takes a few seconds for a large photo), then the upload is
/// forgotten; 201 with the medium. A refused image forgets the upload too (sending the same
/// bytes again cannot help).
pub fn complete_upload(req: Request, params: Params) -> Result<Response, ApiError> {
    let (store, who) = staff_write(&req)?;
    let id = upload_id(&params)?;
    let request: DescriptionRequest = if req.body().is_empty() {
        DescriptionRequest::default()
    } else {
        parse_body(&req)?
    };
    let description = media::Description::parse(&media::Description::default(), request)?;
    let base = base_url(&req);
    // One request completes an upload; another one at the same time is told to ask again,
    // and one after it gets the medium the upload became.
    match upload::claim_completion(&store, SystemClock.now(), &id)? {
        upload::Completion::Done(medium) => {
            let medium = media::get(&store, &medium)?;
            return Ok(json(200, &json!({"medium": medium_json(&base, &medium)})));
        }
        upload::Completion::Mine => {}
    }
    let medium = complete_claimed(&store, &id, description, who)?;
    let mut response = json(201, &json!({"medium": medium_json(&base, &medium)}));
    response.set_header("location", format!("{base}/api/media/{}", medium.id));
    Ok(response)
}

/// Assembles, processes and stores a claimed upload: the medium it became. A failure before
/// the medium exists gives the claim back (the next try completes at once); after, it keeps
/// it, so a retry cannot make a second medium (the claim is taken over after its grace).
fn complete_claimed(
    store: &SpinStore,
    id: &UploadId,
    description: media::Description,
    who: String,
) -> Result<Medium, ApiError> {
    let created = (|| -> Result<(Upload, Medium), ApiError> {
        let (upload, file) = upload::assemble(store, &SystemClock, id)?;
        let processed = match kiosque_imaging::process(&file, &Limits::default()) {
            Ok(processed) => processed,
            Err(error) => {
                upload::discard(store, &upload);
                return Err(image_error(error).into());
            }
        };
        let size = file.len() as u64;
        drop(file);
        let new = new_medium(processed, upload.filename.clone(), size, description, who);
        let medium = media::create(
            store,
            &SystemClock,
            MediumId::generate(ids::random_bytes()?),
            new,
        )?;
        Ok((upload, medium))
    })();
    let (upload, medium) = created.inspect_err(|_| upload::release_completion(store, id))?;
    upload::finish_completion(store, id, &medium.id)?;
    upload::discard(store, &upload);
    Ok(medium)
}

/// What `kiosque-imaging` made of a file, ready to store.
pub(crate) fn new_medium(
    processed: kiosque_imaging::Processed,
    filename: FileName,
    size: u64,
    description: media::Description,
    created_by: String,
) -> NewMedium {
    NewMedium {
        filename,
        format: processed.format.name().to_owned(),
        width: processed.width,
        height: processed.height,
        size,
        description,
        renditions: processed
            .renditions
            .into_iter()
            .map(|r| NewRendition {
                kind: rendition_kind(r.kind),
                width: r.width,
                height: r.height,
                bytes: r.bytes,
            })
            .collect(),
        created_by,
    }
}

fn rendition_kind(kind: kiosque_imaging::RenditionKind) -> RenditionKind {
    match kind {
        kiosque_imaging::RenditionKind::Thumbnail => RenditionKind::Thumb,
        kiosque_imaging::RenditionKind::Page => RenditionKind::Page,
        kiosque_imaging::RenditionKind::Social => RenditionKind::Social,
        kiosque_imaging::RenditionKind::Framed => RenditionKind::Framed,
    }
}

/// The imaging crate's refusal, with its stable code and message.
pub(crate) fn image_error(error: ImageError) -> MediaError {
    if let ImageError::Corrupt { detail } = &error {
        // The decoder's own words help nobody but the logs.
        eprintln!("media: corrupt image: {detail}");
        return MediaError::Image {
            code: error.code(),
            message: "the file is not a readable image (damaged or truncated)".to_owned(),
        };
    }
    MediaError::Image {
        code: error.code(),
        message: error.to_string(),
    }
}

/// `DELETE /api/media/uploads/:id`: 204, also when there was nothing to abandon.
pub fn abandon_upload(req: Request, params: Params) -> Result<Response, ApiError> {
    let (store, _) = staff_write(&req)?;
    let id = upload_id(&params)?;
    match upload::get(&store, &SystemClock, &id) {
        Ok(upload) => upload::discard(&store, &upload),
        Err(MediaError::UploadNotFound) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Response::builder().status(204).build())
}

/// `GET /api/media?before=N`: a page of the library, newest first.
pub fn list_media(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let before = kiosque_spin::form::query_param(req.query(), "before")
        .map(|p| {
            p.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::new(400, "invalid_cursor", "before: must be a positive integer")
            })
        })
        .transpose()?;
    let store = SpinStore::open_default().map_err(MediaError::from)?;
    let (page, next) = media::list(&store, before)?;
    let base = base_url(&req);
    let items: Vec<Value> = page.iter().map(|m| medium_json(&base, m)).collect();
    Ok(json(
        200,
        &json!({"media": items, "next": next.map(|n| n.to_string())}),
    ))
}

/// `GET /api/media/:id`.
pub fn show_medium(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let id = medium_id(&params)?;
    let store = SpinStore::open_default().map_err(MediaError::from)?;
    let medium = media::get(&store, &id)?;
    Ok(json(
        200,
        &json!({"medium": medium_json(&base_url(&req), &medium)}),
    ))
}

/// `PUT /api/media/:id` `{alt?, credit?, licence?}`.
pub fn describe_medium(req: Request, params: Params) -> Result<Response, ApiError> {
    let (store, _) = staff_write(&req)?;
    let id = medium_id(&params)?;
    let request: DescriptionRequest = parse_body(&req)?;
    let medium = media::describe(&store, &SystemClock, &id, request)?;
    Ok(json(
        200,
        &json!({"medium": medium_json(&base_url(&req), &medium)}),
    ))
}

/// `DELETE /api/media/:id`: 204; its addresses answer 404 from now on.
pub fn delete_medium(req: Request, params: Params) -> Result<Response, ApiError> {
    let (store, _) = staff_write(&req)?;
    let id = medium_id(&params)?;
    media::delete(&store, &id)?;
    Ok(Response::builder().status(204).build())
}
