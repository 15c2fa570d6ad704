use super::upload::{self, MAX_FILE_BYTES, PART_BYTES, UPLOAD_TTL_SECONDS};
use super::*;
use crate::clock::FixedClock;
use crate::store::MemoryStore;

fn at(secs: i64) -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(1_780_000_000 + secs).unwrap())
}

fn mid(n: u32) -> MediumId {
    let mut bytes = [0u8; 10];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    MediumId::generate(bytes)
}

fn uid(n: u32) -> UploadId {
    let mut bytes = [1u8; 10];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    UploadId::generate(bytes)
}

fn name(text: &str) -> FileName {
    FileName::parse(text).unwrap()
}

/// Bytes that differ from one position to the next, so a part out of place shows.
fn file_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

/// A 4000 x 3000 photo's renditions, each of other bytes (`social_len` of them for the
/// social one).
fn new_medium(social_len: usize) -> NewMedium {
    let mut new = testing::new_medium(4000, 3000);
    new.filename = name("expo.jpg");
    new.size = 5_000_000;
    for (kind, len) in [
        (RenditionKind::Thumb, 20_000),
        (RenditionKind::Page, 300_000),
        (RenditionKind::Social, social_len),
    ] {
        testing::rendition(&mut new, kind).bytes = file_of(len);
    }
    new
}

#[test]
fn file_names_must_be_one_line_with_an_image_extension() {
    assert_eq!(name("Expo photo.JPEG").as_str(), "Expo photo.JPEG");
    for (raw, code) in [
        ("", "invalid_medium"),
        ("a\nb.jpg", "invalid_medium"),
        ("dessin.svg", "unsupported_image_type"),
        ("page.html", "unsupported_image_type"),
        ("sans-extension", "unsupported_image_type"),
        ("photo.heic", "unsupported_image_type"),
    ] {
        let error = FileName::parse(raw).unwrap_err();
        assert_eq!(error.code(), code, "{raw:?}: {error}");
    }
    let long = format!("{}.png", "a".repeat(MAX_FILENAME_CHARS));
    assert_eq!(FileName::parse(&long).unwrap_err().code(), "invalid_medium");
}

#[test]
fn an_upload_in_parts_is_assembled_in_order_whatever_the_order_sent() {
    let store = MemoryStore::new();
    let size = 2 * PART_BYTES as usize + 1234;
    let file = file_of(size);
    let up = upload::start(&store, &at(0), uid(1), name("a.png"), size as u64, "Anne").unwrap();
    assert_eq!(up.parts, 3);
    let part = |n: usize| &file[n * PART_BYTES as usize..((n + 1) * PART_BYTES as usize).min(size)];
    upload::put_part(&store, &at(1), &up.id, 2, part(2)).unwrap();
    upload::put_part(&store, &at(1), &up.id, 0, part(0)).unwrap();
    // Not all there yet: the answer names what is missing.
    match upload::assemble(&store, &at(2), &up.id) {
        Err(MediaError::MissingParts { missing }) => assert_eq!(missing, vec![1]),
        other => panic!("{other:?}"),
    }
    // Sending a part twice is harmless.
    upload::put_part(&store, &at(2), &up.id, 1, part(1)).unwrap();
    upload::put_part(&store, &at(2), &up.id, 1, part(1)).unwrap();
    store.reset_ops();
    let (got, bytes) = upload::assemble(&store, &at(3), &up.id).unwrap();
    assert_eq!(got, up);
    assert!(bytes == file, "the parts come back in order");
    assert_eq!(store.ops().total(), 2, "1 read + 1 batch read");

    upload::discard(&store, &up);
    assert!(store.is_empty(), "nothing left of the upload");
}

#[test]
fn parts_of_the_wrong_size_or_number_are_refused() {
    let store = MemoryStore::new();
    let up = upload::start(&store, &at(0), uid(1), name("a.gif"), PART_BYTES + 10, "A").unwrap();
    let short = vec![0u8; PART_BYTES as usize - 1];
    assert_eq!(
        upload::put_part(&store, &at(1), &up.id, 0, &short)
            .unwrap_err()
            .code(),
        "wrong_part_size"
    );
    assert_eq!(
        upload::put_part(&store, &at(1), &up.id, 1, &[0; 11])
            .unwrap_err()
            .code(),
        "wrong_part_size"
    );
    assert_eq!(
        upload::put_part(&store, &at(1), &up.id, 2, &[0; 10])
            .unwrap_err()
            .code(),
        "part_out_of_range"
    );
    upload::put_part(&store, &at(1), &up.id, 1, &[0; 10]).unwrap();
    assert_eq!(
        upload::put_part(&store, &at(1), &uid(9), 0, &[0; 10])
            .unwrap_err()
            .code(),
        "upload_not_found"
    );
}

#[test]
fn sizes_are_checked_when_the_upload_starts() {
    let store = MemoryStore::new();
    let start = |size| upload::start(&store, &at(0), uid(size as u32), name("a.jpg"), size, "A");
    assert_eq!(start(0).unwrap_err().code(), "empty_file");
    let too_large = start(MAX_FILE_BYTES + 1).unwrap_err();
    assert_eq!(too_large.code(), "file_too_large");
    assert_eq!(too_large.kind(), ErrorKind::PayloadTooLarge);
    assert_eq!(start(MAX_FILE_BYTES).unwrap().parts, 40);
}

#[test]
fn an_upload_left_for_a_day_expires_with_its_parts() {
    let store = MemoryStore::new();
    let up = upload::start(&store, &at(0), uid(1), name("a.jpg"), 10, "A").unwrap();
    upload::put_part(&store, &at(5), &up.id, 0, &[1; 10]).unwrap();
    let later = at(UPLOAD_TTL_SECONDS + 1);
    assert_eq!(
        upload::assemble(&store, &later, &up.id).unwrap_err().code(),
        "upload_not_found"
    );
    assert!(store.is_empty(), "the expired upload was removed");
}

#[test]
fn a_medium_is_stored_in_chunks_and_read_back_exactly() {
    let store = MemoryStore::new();
    // A social rendition over one chunk, to go through the batch read.
    let new = new_medium(CHUNK_BYTES + 5_000);
    let expected: Vec<Vec<u8>> = new.renditions.iter().map(|r| r.bytes.clone()).collect();
    store.reset_ops();
    let medium = create(&store, &at(0), mid(1), new).unwrap();
    assert_eq!(
        store.ops().total(),
        4 + 3,
        "1 write per chunk, 1 increment, 1 slot, 1 compare-and-swap"
    );
    assert!(!medium.usable(), "no alt text yet");
    let social = medium.rendition(RenditionKind::Social).unwrap();
    assert_eq!(social.chunks, 2);
    assert_eq!(
        social.path(&medium.id),
        format!("/media/{}/social.jpg", medium.id)
    );
    for (kind, bytes) in RenditionKind::ALL.into_iter().zip(&expected) {
        let got = get(&store, &medium.id).unwrap();
        store.reset_ops();
        let read = read_rendition(&store, &got, kind).unwrap();
        assert!(&read == bytes, "{kind:?} comes back byte for byte");
        assert_eq!(store.ops().total(), 1, "one (batch) read for {kind:?}");
    }
}

#[test]
fn a_corrupted_chunk_is_never_served() {
    let store = MemoryStore::new();
    let medium = create(&store, &at(0), mid(1), new_medium(1000)).unwrap();
    store
        .set(&keys::medium_chunk(&medium.id, "page", 0), b"not the page")
        .unwrap();
    let error = read_rendition(&store, &medium, RenditionKind::Page).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Storage);
}

#[test]
fn staff_describe_a_medium_field_by_field() {
    let store = MemoryStore::new();
    let medium = create(&store, &at(0), mid(1), new_medium(1000)).unwrap();
    let described = describe(
        &store,
        &at(10),
        &medium.id,
        DescriptionRequest {
            alt: Some(
                "  Vue de l'exposition « Lumières du Nord », salle 2.\r\nDeux visiteurs.  ".into(),
            ),
            credit: Some("Photo : Anne Martin".into()),
            licence: Some("cc_by_sa".into()),
        },
    )
    .unwrap();
    assert!(described.usable());
    assert_eq!(
        described.alt,
        "Vue de l'exposition « Lumières du Nord », salle 2.\nDeux visiteurs."
    );
    assert_eq!(described.licence, Licence::CcBySa);
    assert_eq!(described.version, 2);
    // Absent members keep their value.
    let again = describe(
        &store,
        &at(20),
        &medium.id,
        DescriptionRequest {
            credit: Some(String::new()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(again.alt, described.alt);
    assert_eq!(again.credit, "");
    assert_eq!(again.licence, Licence::CcBySa);

    for (request, field) in [
        (
            DescriptionRequest {
                alt: Some("x".repeat(MAX_ALT_CHARS + 1)),
                ..Default::default()
            },
            "alt",
        ),
        (
            DescriptionRequest {
                credit: Some("a\u{202e}b".into()),
                ..Default::default()
            },
            "credit",
        ),
        (
            DescriptionRequest {
                licence: Some("gpl".into()),
                ..Default::default()
            },
            "licence",
        ),
    ] {
        let error = describe(&store, &at(30), &medium.id, request).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unprocessable);
        assert_eq!(error.field_errors()[0].field, field, "{error}");
    }
    assert_eq!(
        get(&store, &medium.id).unwrap().version,
        3,
        "refusals wrote nothing"
    );
}

#[test]
fn deleting_a_medium_removes_every_key_it_wrote() {
    let store = MemoryStore::new();
    let keep = create(&store, &at(0), mid(1), new_medium(1000)).unwrap();
    let before = store.len();
    let gone = create(&store, &at(1), mid(2), new_medium(CHUNK_BYTES + 1)).unwrap();
    delete(&store, &gone.id).unwrap();
    assert_eq!(store.len(), before, "only the sequence counter was shared");
    assert_eq!(
        get(&store, &gone.id).unwrap_err().code(),
        "medium_not_found"
    );
    assert_eq!(
        delete(&store, &gone.id).unwrap_err().code(),
        "medium_not_found"
    );
    let (media, _) = list(&store, None).unwrap();
    assert_eq!(media, vec![keep]);
}

#[test]
fn the_library_lists_newest_first_in_pages_at_a_fixed_cost() {
    for count in [10u32, 120] {
        let store = MemoryStore::new();
        for n in 1..=count {
            create(&store, &at(i64::from(n)), mid(n), new_medium(100)).unwrap();
        }
        store.reset_ops();
        let (first, next) = list(&store, None).unwrap();
        assert_eq!(store.ops().total(), 3, "{count} media");
        assert_eq!(first[0].id, mid(count));
        assert_eq!(first.len(), (count as usize).min(PAGE_SLOTS as usize));
        let mut seen = first.len();
        let mut next = next;
        while let Some(before) = next {
            let (page, after) = list(&store, Some(before)).unwrap();
            seen += page.len();
            next = after;
        }
        assert_eq!(seen, count as usize);
    }
}

#[test]
fn rendition_addresses_name_only_known_sizes() {
    assert_eq!(
        RenditionKind::from_file_name("social.jpg"),
        Some(RenditionKind::Social)
    );
    for file in ["social.png", "orig.jpg", "page.jpg.html", "", "thumb"] {
        assert_eq!(RenditionKind::from_file_name(file), None, "{file}");
    }
}

#[test]
fn one_request_completes_an_upload_and_later_ones_get_its_medium() {
    use upload::Completion;
    let store = MemoryStore::new();
    let id = uid(40);
    let now = at(0).0;
    assert_eq!(
        upload::claim_completion(&store, now, &id).unwrap(),
        Completion::Mine
    );
    // A second request while the first works: told to ask again.
    assert!(matches!(
        upload::claim_completion(&store, now, &id),
        Err(MediaError::UploadCompleting)
    ));
    // The first fails (a part missing, a store error): the claim is given back at once.
    upload::release_completion(&store, &id);
    assert_eq!(
        upload::claim_completion(&store, now, &id).unwrap(),
        Completion::Mine
    );
    upload::finish_completion(&store, &id, &mid(7)).unwrap();
    assert_eq!(
        upload::claim_completion(&store, now, &id).unwrap(),
        Completion::Done(mid(7))
    );
    // A claimant that died without finishing is taken over after the claims' grace.
    let other = uid(41);
    upload::claim_completion(&store, now, &other).unwrap();
    let later = at(crate::claims::GRACE_SECONDS).0;
    assert_eq!(
        upload::claim_completion(&store, later, &other).unwrap(),
        Completion::Mine
    );
}
