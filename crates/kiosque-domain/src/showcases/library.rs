//! Media of the library placed in showcases, exhibitions, events, polls and tutorials. A
//! placement names a medium; when it is saved the medium must exist, and the size of its
//! `page` rendition is copied into the placement, so pages render `width`/`height` without
//! reading the medium. All the media of one save are read in one batch, whatever their number.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::model::Image;
use crate::ids::MediumId;
use crate::keys;
use crate::media::RenditionKind;
use crate::store::{self, KvStore, StoreError};

/// What a placement needs of a medium document: its size, its renditions' sizes, and
/// whether it is a patron's contest image (`entry`), which is no medium of the library: it is
/// public only while its entry is approved, so staff pages must not place it.
#[derive(Deserialize)]
struct MediumSizes {
    id: MediumId,
    width: u32,
    height: u32,
    renditions: Vec<RenditionSize>,
    #[serde(default)]
    entry: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RenditionSize {
    kind: RenditionKind,
    width: u32,
    height: u32,
}

/// The size of each named medium's `page` rendition (its own size when it has none): one
/// batch read, none when `ids` is empty. Media the library does not hold, and patrons'
/// contest images, are absent.
pub fn page_sizes(
    store: &dyn KvStore,
    ids: &[&MediumId],
) -> Result<HashMap<MediumId, (u32, u32)>, StoreError> {
    let mut keys: Vec<String> = ids.iter().map(|id| keys::medium(id)).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sizes = HashMap::new();
    for (key, value) in store.get_many(&keys)? {
        let Some(bytes) = value else { continue };
        let medium: MediumSizes = store::from_json(&key, &bytes)?;
        if medium.entry.is_some() {
            continue;
        }
        let size = medium
            .renditions
            .iter()
            .find(|r| r.kind == RenditionKind::Page)
            .map_or((medium.width, medium.height), |r| (r.width, r.height));
        sizes.insert(medium.id, size);
    }
    Ok(sizes)
}

/// Checks and measures the media among `images` (each with the field path of its placement,
/// e.g. `items[0].cover`). The outer error is the store's; the inner one names the field of
/// the first medium the library does not hold (`items[0].cover.medium: ...`).
pub fn measure(
    store: &dyn KvStore,
    images: Vec<(String, &mut Image)>,
) -> Result<Result<(), String>, StoreError> {
    let ids: Vec<&MediumId> = images
        .iter()
        .filter_map(|(_, image)| image.medium.as_ref())
        .collect();
    let sizes = page_sizes(store, &ids)?;
    for (path, image) in images {
        let Some(id) = &image.medium else { continue };
        match sizes.get(id) {
            Some(&(width, height)) => {
                image.width = width;
                image.height = height;
            }
            None => return Ok(Err(unknown_medium(&path, id))),
        }
    }
    Ok(Ok(()))
}

/// The message for a medium the library does not hold (never uploaded, or deleted).
pub fn unknown_medium(path: &str, id: &MediumId) -> String {
    format!("{path}.medium: the media library has no medium {id} (deleted, or never uploaded)")
}

/// Stores a medium document as the media library writes it, with a `page` rendition of
/// `page` pixels (tests of the areas that place media).
#[cfg(test)]
pub(crate) fn put_medium(store: &dyn KvStore, id: &MediumId, page: (u32, u32)) {
    let rendition = |kind: &str, (width, height): (u32, u32)| {
        serde_json::json!({"kind": kind, "width": width, "height": height, "bytes": 1000,
                           "sha256": "00", "chunks": 1})
    };
    let medium = serde_json::json!({
        "id": id, "filename": "photo.jpg", "format": "jpeg",
        "width": page.0 * 2, "height": page.1 * 2, "size": 123_456,
        "alt": "Une photo", "credit": "", "licence": "all_rights_reserved",
        "renditions": [rendition("thumb", (page.0 / 4, page.1 / 4)), rendition("page", page),
                       rendition("social", (page.0 * 2, page.1 * 2))],
        "created_at": "2026-11-01T10:00:00Z", "created_by": "admin",
        "updated_at": "2026-11-01T10:00:00Z", "version": 1, "slot": 1,
    });
    store.set_json(&keys::medium(id), &medium).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn image(medium: &MediumId) -> Image {
        Image {
            url: None,
            medium: Some(medium.clone()),
            width: 0,
            height: 0,
        }
    }

    #[test]
    fn media_are_measured_in_one_batch_read_and_urls_cost_nothing() {
        let store = MemoryStore::new();
        let (a, b) = (MediumId::generate([1; 10]), MediumId::generate([2; 10]));
        put_medium(&store, &a, (1600, 1067));
        put_medium(&store, &b, (900, 1600));
        let (mut first, mut second, mut again) = (image(&a), image(&b), image(&a));
        store.reset_ops();
        let images = vec![
            ("cover".to_owned(), &mut first),
            ("items[0].cover".to_owned(), &mut second),
            ("items[1].cover".to_owned(), &mut again),
        ];
        assert_eq!(measure(&store, images).unwrap(), Ok(()));
        assert_eq!(
            store.ops().total(),
            1,
            "one batch read for three placements"
        );
        assert_eq!((first.width, first.height), (1600, 1067));
        assert_eq!((second.width, second.height), (900, 1600));
        assert_eq!((again.width, again.height), (1600, 1067));

        let url = crate::web::HttpsUrl::parse("url", "https://images.example/a.jpg", 2000).unwrap();
        let mut outside = Image::from_url(url, 640, 480);
        store.reset_ops();
        let images = vec![("cover".to_owned(), &mut outside)];
        assert_eq!(measure(&store, images).unwrap(), Ok(()));
        assert_eq!(store.ops().total(), 0, "an outside image reads nothing");
        assert_eq!((outside.width, outside.height), (640, 480));
    }

    #[test]
    fn patrons_contest_images_are_not_media_of_the_library() {
        let store = MemoryStore::new();
        let id = MediumId::generate([3; 10]);
        put_medium(&store, &id, (800, 600));
        let key = keys::medium(&id);
        let kv: &dyn KvStore = &store;
        let mut medium: serde_json::Value = kv.get_json(&key).unwrap().unwrap();
        medium["entry"] = serde_json::json!({"contest": "abc", "seq": 1});
        kv.set_json(&key, &medium).unwrap();
        let mut placed = image(&id);
        let refused = measure(&store, vec![("image".to_owned(), &mut placed)]).unwrap();
        assert_eq!(refused, Err(unknown_medium("image", &id)));
    }
}
