use serde_json::json;

use super::index::{self, Audience};
use super::*;
use crate::clock::FixedClock;
use crate::store::MemoryStore;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn clock() -> FixedClock {
    FixedClock(at("2026-11-29T15:00:00Z"))
}

fn request(value: serde_json::Value) -> ShowcaseRequest {
    serde_json::from_value(value).unwrap()
}

fn parse(value: serde_json::Value) -> Result<NewShowcase, String> {
    NewShowcase::parse(request(value)).map_err(|e| e.to_string())
}

fn playlist(title: &str) -> NewShowcase {
    parse(json!({
        "kind": "playlist",
        "title": title,
        "summary": "Pour les longues soirées",
        "items": [
            {"type": "track", "title": "Hymne à l'amour", "artist": "Édith Piaf", "duration_secs": 205, "year": 1950},
            {"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg",
             "sample_url": "https://sample.example/javanaise.mp3"},
            {"type": "track", "title": "Ne me quitte pas", "artist": "Jacques Brel"}
        ]
    }))
    .unwrap()
}

fn id(n: u8) -> ShowcaseId {
    ShowcaseId::generate([n; 10])
}

#[test]
fn each_kind_takes_its_own_typed_items() {
    let books = parse(json!({
        "kind": "book_extracts",
        "title": "Premières lignes",
        "items": [{"type": "book", "title": "L'Étranger", "authors": ["Albert Camus"],
                   "isbn": "978-2-07-036002-4", "extract": "Aujourd'hui, maman est morte.",
                   "note": "Un incipit célèbre."}]
    }))
    .unwrap();
    let Item::Book(book) = &books.items[0] else {
        panic!("a book")
    };
    assert_eq!(book.isbn.as_ref().unwrap().as_str(), "9782070360024");

    let films = parse(json!({
        "kind": "film_picks", "title": "Ciné-club",
        "items": [{"type": "film", "title": "Le Voyage de Chihiro", "director": "Hayao Miyazaki",
                   "year": 2001, "duration_minutes": 125, "audience": "Tous publics",
                   "trailer_url": "https://www.youtube.com/watch?v=ByXuk9QqQkk"}]
    }))
    .unwrap();
    assert_eq!(films.items[0].item_type(), "film");

    assert_eq!(
        parse(json!({"kind": "playlist", "title": "x",
                     "items": [{"type": "film", "title": "Alien"}]}))
        .unwrap_err(),
        "items[0].type: a playlist showcase holds items of type \"track\", not \"film\""
    );
}

#[test]
fn bad_input_gets_precise_errors() {
    let check = |value: serde_json::Value, expected: &str| {
        assert_eq!(parse(value).unwrap_err(), expected);
    };
    check(
        json!({"kind": "book_extracts", "title": "x", "items": [
            {"type": "book", "title": "a", "extract": "b", "isbn": "9780306406157"},
            {"type": "book", "title": "a", "extract": "b", "isbn": "978-0-306-40615-8"}]}),
        "items[1].isbn: checksum digit must be 7, got 8: check for a typing error",
    );
    check(
        json!({"kind": "exhibition", "title": "Affiches", "items": [
            {"type": "room", "title": "Salle 1", "images": [
                {"url": "https://img.example/1.jpg", "width": 800, "height": 600, "alt": "Une affiche"},
                {"url": "https://img.example/2.jpg", "width": 800, "height": 600}]}]}),
        "items[0].images[1].alt: every image needs alternative text describing it for patrons who cannot see it",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover":
            {"url": "https://img.example/1.jpg", "width": 0, "height": 600, "alt": "a"}}),
        "cover.width: must be from 1 to 20000 pixels, got 0",
    );
    check(
        json!({"kind": "playlist", "title": "x".repeat(201)}),
        "title: must be at most 200 characters, got 201",
    );
    check(
        json!({"kind": "book_extracts", "title": "x", "items": [
            {"type": "book", "title": "a", "extract": "e".repeat(6001)}]}),
        "items[0].extract: must be at most 6000 characters, got 6001",
    );
    check(
        json!({"kind": "playlist", "title": "x", "items": [
            {"type": "track", "title": "a", "artist": "b", "streaming_url": "javascript:alert(1)"}]}),
        "items[0].streaming_url: must start with https://",
    );
    let many: Vec<_> = (0..61)
        .map(|i| json!({"type": "track", "title": format!("t{i}"), "artist": "a"}))
        .collect();
    check(
        json!({"kind": "playlist", "title": "x", "items": many}),
        "items: at most 60 items, got 61",
    );
}

#[test]
fn drafts_are_never_public_until_published() {
    let store = MemoryStore::new();
    let c = clock();
    let s = create(&store, &c, id(1), playlist("Jazz")).unwrap();
    assert!(matches!(
        get_public(&store, &s.id, c.0),
        Err(ShowcaseError::NotFound)
    ));
    assert!(
        index::list(&store, Audience::Public(c.0), None)
            .unwrap()
            .cards
            .is_empty()
    );
    assert_eq!(
        index::list(&store, Audience::Staff, None)
            .unwrap()
            .cards
            .len(),
        1
    );

    // Scheduled for tomorrow: still hidden today, visible tomorrow.
    let tomorrow = at("2026-11-30T08:00:00Z");
    publish(&store, &c, &s.id, Some(tomorrow)).unwrap();
    assert!(get_public(&store, &s.id, c.0).is_err());
    assert!(get_public(&store, &s.id, tomorrow).is_ok());
    assert_eq!(
        index::list(&store, Audience::Public(tomorrow), None)
            .unwrap()
            .cards[0]
            .title,
        "Jazz"
    );

    publish(&store, &c, &s.id, None).unwrap();
    assert!(get_public(&store, &s.id, c.0).is_ok());
    unpublish(&store, &c, &s.id).unwrap();
    assert!(get_public(&store, &s.id, c.0).is_err());
    assert!(
        index::list(&store, Audience::Public(c.0), None)
            .unwrap()
            .cards
            .is_empty()
    );
}

#[test]
fn edits_and_reorders_reach_the_card() {
    let store = MemoryStore::new();
    let c = clock();
    let s = create(&store, &c, id(1), playlist("Jazz")).unwrap();
    let edited = edit(&store, &c, &s.id, playlist("Jazz manouche")).unwrap();
    assert_eq!(edited.version, 2);
    let card = &index::list(&store, Audience::Staff, None).unwrap().cards[0];
    assert_eq!((card.title.as_str(), card.version), ("Jazz manouche", 2));

    let reordered = reorder(&store, &c, &s.id, &[2, 0, 1]).unwrap();
    let titles: Vec<&str> = reordered.items.iter().map(Item::title).collect();
    assert_eq!(
        titles,
        ["Ne me quitte pas", "Hymne à l'amour", "La Javanaise"]
    );
    for (order, message) in [
        (vec![0, 1], "order: must list all 3 item indexes, got 2"),
        (vec![0, 0, 1], "order: item 0 is listed twice"),
        (
            vec![0, 1, 3],
            "order: 3 is not an item index (this showcase has 3 items, 0 to 2)",
        ),
        (
            vec![0, 1, -1],
            "order: -1 is not an item index (this showcase has 3 items, 0 to 2)",
        ),
    ] {
        assert_eq!(
            reorder(&store, &c, &s.id, &order).unwrap_err().to_string(),
            message
        );
    }
    // A refused reorder changed nothing.
    assert_eq!(get(&store, &s.id).unwrap(), reordered);

    // An older card never replaces a fresher one.
    let mut stale = index::Card::of(&s);
    stale.title = "stale".into();
    index::write_card(&store, &stale).unwrap();
    assert_eq!(
        index::list(&store, Audience::Staff, None).unwrap().cards[0].title,
        "Jazz manouche"
    );
}

#[test]
fn featured_showcases_show_on_the_home_page_once_published() {
    let store = MemoryStore::new();
    let c = clock();
    let a = create(&store, &c, id(1), playlist("A")).unwrap();
    let b = create(&store, &c, id(2), playlist("B")).unwrap();
    feature(&store, &c, &a.id, true).unwrap();
    feature(&store, &c, &b.id, true).unwrap();
    assert!(index::featured(&store, c.0).unwrap().is_empty(), "drafts");
    publish(&store, &c, &a.id, None).unwrap();
    publish(&store, &c, &b.id, None).unwrap();
    let titles: Vec<String> = index::featured(&store, c.0)
        .unwrap()
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert_eq!(titles, ["B", "A"]);
    feature(&store, &c, &b.id, false).unwrap();
    assert_eq!(index::featured(&store, c.0).unwrap().len(), 1);
    delete(&store, &a.id).unwrap();
    assert!(index::featured(&store, c.0).unwrap().is_empty());
    assert!(matches!(get(&store, &a.id), Err(ShowcaseError::NotFound)));
}

/// Every public read costs the same number of store calls with 10 or 10,000 showcases.
#[test]
fn public_reads_cost_the_same_with_few_or_many_showcases() {
    fn costs(count: u8, extra: u32) -> Vec<u64> {
        let store = MemoryStore::new();
        let c = clock();
        let mut last = None;
        for i in 0..(u32::from(count) + extra) {
            let mut bytes = [0u8; 10];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            let s = create(&store, &c, ShowcaseId::generate(bytes), playlist("x")).unwrap();
            if i % 3 == 0 {
                publish(&store, &c, &s.id, None).unwrap();
                feature(&store, &c, &s.id, true).unwrap();
            }
            last = Some(s.id);
        }
        let last = last.unwrap();
        let mut out = Vec::new();
        let mut measure = |f: &dyn Fn()| {
            store.reset_ops();
            f();
            let ops = store.ops();
            assert_eq!(ops.get_keys, 0);
            out.push(ops.total());
        };
        measure(&|| {
            index::featured(&store, c.0).unwrap();
        });
        measure(&|| {
            index::list(&store, Audience::Public(c.0), None).unwrap();
        });
        measure(&|| {
            index::list(&store, Audience::Public(c.0), Some(5)).unwrap();
        });
        measure(&|| {
            let _ = get_public(&store, &last, c.0);
        });
        out
    }
    let few = costs(10, 0);
    let many = costs(10, 9_990);
    assert_eq!(few, many);
    assert_eq!(few, vec![2, 2, 1, 1]);
}

/// The store calls of every public page, with few and with many showcases, events and polls
/// (the figures in ARCHITECTURE.md): home 6, showcase list and its feeds 2, a showcase or a
/// room 1, the events list, its feeds and the calendar 1, an event or its `.ics` 1.
#[test]
fn every_public_page_costs_the_same_with_few_or_many_items() {
    use crate::events::{self, EventId, EventRequest, NewEvent};
    use crate::polls::{self, CreatePollRequest, NewPoll, PollId};

    /// One public page's store reads.
    type Page<'a> = Box<dyn Fn() + 'a>;

    fn costs(showcases: u32, events_count: u32, polls_count: u32) -> Vec<(&'static str, u64)> {
        let store = MemoryStore::new();
        let c = clock();
        let mut last_showcase = None;
        for i in 0..showcases {
            let mut bytes = [0u8; 10];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            let s = create(&store, &c, ShowcaseId::generate(bytes), playlist("x")).unwrap();
            publish(&store, &c, &s.id, None).unwrap();
            if i % 50 == 0 {
                feature(&store, &c, &s.id, true).unwrap();
            }
            last_showcase = Some(s.id);
        }
        let mut last_event = None;
        for i in 0..events_count {
            // From an hour ago (live now) onwards, 3 h 20 apart: under the monthly cap.
            let start = c.0.unix_seconds() - 3_600 + i64::from(i) * 12_000;
            let at = |t: i64| Timestamp::from_unix_seconds(t).unwrap().to_string();
            let req: EventRequest = serde_json::from_value(json!({
                "title": "x", "starts_at": at(start), "ends_at": at(start + 7_200), "online": true
            }))
            .unwrap();
            let mut bytes = [1u8; 10];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            let e = events::create(
                &store,
                &c,
                EventId::generate(bytes),
                NewEvent::parse(req, crate::zone::Zone::PARIS).unwrap(),
            )
            .unwrap();
            events::publish(&store, &c, &e.id, None).unwrap();
            last_event = Some(e.id);
        }
        for i in 0..polls_count {
            let mut bytes = [2u8; 10];
            bytes[..4].copy_from_slice(&i.to_be_bytes());
            let new =
                NewPoll::parse(CreatePollRequest::simple("Q ?", &["a", "b"]), c.0, false).unwrap();
            polls::create_poll(&store, &c, PollId::generate(bytes), new).unwrap();
        }
        let (s, e) = (last_showcase.unwrap(), last_event.unwrap());
        let pages: Vec<(&'static str, Page)> = vec![
            (
                "home",
                Box::new(|| {
                    let home = crate::home::load(&store, c.0).unwrap();
                    assert!(!home.featured.is_empty() && !home.live.is_empty());
                    assert!(!home.open_polls.is_empty());
                }),
            ),
            (
                "showcases list, showcase feeds",
                Box::new(|| {
                    index::list(&store, Audience::Public(c.0), None).unwrap();
                }),
            ),
            (
                "showcase, exhibition room",
                Box::new(|| {
                    get_public(&store, &s, c.0).unwrap();
                }),
            ),
            (
                "events list, event feeds",
                Box::new(|| {
                    events::upcoming(&store, c.0, 1).unwrap();
                }),
            ),
            (
                "events.ics",
                Box::new(|| {
                    events::calendar(&store, c.0).unwrap();
                }),
            ),
            (
                "event, event.ics",
                Box::new(|| {
                    events::get_public(&store, &e, c.0).unwrap();
                }),
            ),
        ];
        pages
            .into_iter()
            .map(|(name, page)| {
                store.reset_ops();
                page();
                assert_eq!(store.ops().get_keys, 0, "{name}");
                (name, store.ops().total())
            })
            .collect()
    }
    let few = costs(10, 10, 3);
    let many = costs(10_000, 2_000, 300);
    assert_eq!(few, many);
    let figures: Vec<u64> = few.iter().map(|(_, n)| *n).collect();
    assert_eq!(figures, vec![6, 2, 1, 1, 1, 1], "{few:?}");
}

#[test]
fn items_are_added_replaced_and_removed_one_at_a_time() {
    let store = MemoryStore::new();
    let c = clock();
    let s = create(&store, &c, id(1), playlist("Jazz")).unwrap();
    let track: ItemRequest = serde_json::from_value(
        json!({"type": "track", "title": "So What", "artist": "Miles Davis"}),
    )
    .unwrap();
    let film: ItemRequest =
        serde_json::from_value(json!({"type": "film", "title": "Alien"})).unwrap();
    let s2 = add_item(&store, &c, &s.id, &track).unwrap();
    assert_eq!(s2.items.last().unwrap().title(), "So What");
    assert_eq!(
        add_item(&store, &c, &s.id, &film).unwrap_err().to_string(),
        "items[4].type: a playlist showcase holds items of type \"track\", not \"film\""
    );
    let s3 = replace_item(&store, &c, &s.id, 0, &track).unwrap();
    assert_eq!(s3.items[0].title(), "So What");
    assert_eq!(
        remove_item(&store, &c, &s.id, 9).unwrap_err().to_string(),
        "item 9: this showcase has 4 items, 0 to 3"
    );
    assert_eq!(remove_item(&store, &c, &s.id, 0).unwrap().items.len(), 3);
}

#[test]
fn a_showcase_too_large_to_store_is_refused_with_a_clear_error() {
    let store = MemoryStore::new();
    let c = clock();
    // 60 extracts of 6,000 four-byte characters: within every field limit, 1.4 MB in all.
    let items: Vec<_> = (0..60)
        .map(|i| json!({"type": "book", "title": format!("b{i}"), "extract": "😀".repeat(6000)}))
        .collect();
    let new = parse(json!({"kind": "book_extracts", "title": "x", "items": items})).unwrap();
    let err = create(&store, &c, id(1), new).unwrap_err();
    assert!(matches!(err, ShowcaseError::Invalid(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("showcase: too large to store ("),
        "{err}"
    );
    assert!(store.is_empty(), "nothing written");
    // Growing one item at a time stops at the same limit, leaving the stored one intact.
    let s = create(
        &store,
        &c,
        id(2),
        parse(json!({"kind": "book_extracts", "title": "y"})).unwrap(),
    )
    .unwrap();
    let big: ItemRequest =
        serde_json::from_value(json!({"type": "book", "title": "b", "extract": "😀".repeat(6000)}))
            .unwrap();
    let mut added = 0;
    while add_item(&store, &c, &s.id, &big).is_ok() {
        added += 1;
    }
    assert!((10..60).contains(&added), "{added}");
    assert_eq!(get(&store, &s.id).unwrap().items.len(), added);
}

#[test]
fn concurrent_staff_changes_are_all_kept() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let c = clock();
    let ids: Vec<ShowcaseId> = (1..=8)
        .map(|n| create(&*store, &c, id(n), playlist("x")).unwrap().id)
        .collect();
    std::thread::scope(|scope| {
        for sid in &ids {
            let store = store.clone();
            scope.spawn(move || {
                feature(&*store, &c, sid, true).unwrap();
                publish(&*store, &c, sid, None).unwrap();
                reorder(&*store, &c, sid, &[2, 1, 0]).unwrap();
            });
        }
    });
    assert_eq!(index::featured(&*store, c.0).unwrap().len(), 8);
    for card in index::list(&*store, Audience::Staff, None).unwrap().cards {
        let doc = get(&*store, &card.id).unwrap();
        assert_eq!(card, index::Card::of(&doc), "the card matches its document");
        assert_eq!(doc.version, 4);
    }
}

/// A book cover from the media library: saved with its `page` size, shown at the medium's
/// address, and a page view still costs its one read.
#[test]
fn a_medium_of_the_library_is_placed_with_its_page_size() {
    use crate::media::{MediumId, RenditionKind};
    let store = MemoryStore::new();
    let c = clock();
    let medium = MediumId::generate([7; 10]);
    super::library::put_medium(&store, &medium, (1067, 1600));
    let new = parse(json!({
        "kind": "book_extracts", "title": "Couvertures",
        "items": [{"type": "book", "title": "Nana", "extract": "Le rideau se leva.",
                   "cover": {"medium": medium, "alt": "La couverture de Nana, une affiche rouge"}}]
    }))
    .unwrap();
    let s = create(&store, &c, id(1), new).unwrap();
    let Item::Book(book) = &s.items[0] else {
        panic!("a book")
    };
    let cover = book.cover.as_ref().unwrap();
    assert_eq!(cover.image.medium.as_ref(), Some(&medium));
    assert_eq!(cover.image.url, None);
    assert_eq!((cover.image.width, cover.image.height), (1067, 1600));
    assert_eq!(cover.alt, "La couverture de Nana, une affiche rouge");
    assert_eq!(cover.image.src(), format!("/media/{medium}/page.jpg"));
    assert_eq!(
        cover.image.address(RenditionKind::Thumb),
        format!("/media/{medium}/thumb.jpg")
    );
    assert_eq!(
        cover.image.share(),
        (format!("/media/{medium}/social.jpg"), None)
    );
    // Stored as it was saved: the size is in the document, the page reads nothing else.
    publish(&store, &c, &s.id, None).unwrap();
    store.reset_ops();
    let public = get_public(&store, &s.id, c.0).unwrap();
    assert_eq!(store.ops().total(), 1);
    assert_eq!(public.card_image(), Some(cover));

    // Adding a room image from the library to an exhibition reads the medium once too.
    let ex = create(
        &store,
        &c,
        id(2),
        parse(json!({"kind": "exhibition", "title": "Affiches"})).unwrap(),
    )
    .unwrap();
    let room: ItemRequest = serde_json::from_value(json!({
        "type": "room", "title": "Salle 1",
        "images": [{"medium": medium, "alt": "Une affiche"},
                   {"url": "https://img.example/2.jpg", "width": 800, "height": 600, "alt": "Une autre"}]
    }))
    .unwrap();
    let ex = add_item(&store, &c, &ex.id, &room).unwrap();
    let Item::Room(room) = &ex.items[0] else {
        panic!("a room")
    };
    assert_eq!(
        (room.images[0].image.width, room.images[0].image.height),
        (1067, 1600)
    );
    assert_eq!(room.images[1].image.src(), "https://img.example/2.jpg");
}

#[test]
fn a_medium_the_library_does_not_hold_is_refused_by_its_field() {
    use crate::media::MediumId;
    let store = MemoryStore::new();
    let c = clock();
    let known = MediumId::generate([7; 10]);
    let gone = MediumId::generate([8; 10]);
    super::library::put_medium(&store, &known, (800, 600));
    let new = parse(json!({
        "kind": "book_extracts", "title": "Couvertures", "cover": {"medium": known, "alt": "a"},
        "items": [{"type": "book", "title": "Nana", "extract": "e",
                   "cover": {"medium": gone, "alt": "La couverture"}}]
    }))
    .unwrap();
    let refused = create(&store, &c, id(1), new).unwrap_err().to_string();
    assert_eq!(
        refused,
        format!(
            "items[0].cover.medium: the media library has no medium {gone} (deleted, or never uploaded)"
        )
    );
    assert!(matches!(get(&store, &id(1)), Err(ShowcaseError::NotFound)));

    // Editing is checked the same way.
    let s = create(&store, &c, id(2), playlist("x")).unwrap();
    let new =
        parse(json!({"kind": "exhibition", "title": "x", "cover": {"medium": gone, "alt": "a"}}))
            .unwrap();
    assert!(
        edit(&store, &c, &s.id, new)
            .unwrap_err()
            .to_string()
            .starts_with("cover.medium: the media library has no medium")
    );
}

#[test]
fn library_image_requests_get_precise_errors() {
    let check = |value: serde_json::Value, expected: &str| {
        assert_eq!(parse(value).unwrap_err(), expected);
    };
    check(
        json!({"kind": "exhibition", "title": "x", "cover": {"medium": "abcdefghijklmnop"}}),
        "cover.alt: every image needs alternative text describing it for patrons who cannot see it",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover": {"medium": "Not An Id", "alt": "a"}}),
        "cover.medium: not a medium of the library",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover":
            {"medium": "abcdefghijklmnop", "url": "https://img.example/1.jpg", "alt": "a"}}),
        "cover.medium: give either url or medium, not both",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover": {"alt": "a"}}),
        "cover.url: an https address, or a medium of the library (medium)",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover": {"url": "https://img.example/1.jpg", "alt": "a"}}),
        "cover.width: required for an outside image (url), from 1 to 20000 pixels",
    );
    check(
        json!({"kind": "exhibition", "title": "x", "cover":
            {"medium": "abcdefghijklmnop", "width": 10, "height": 10, "alt": "a"}}),
        "cover.width: a medium of the library has its own size; give width and height with url only",
    );
}

/// Outside images keep their stored form and their JSON: `url`, `width`, `height`, no
/// `medium`; documents stored before the library read as they were.
#[test]
fn outside_images_are_stored_and_answered_as_before() {
    let new = parse(json!({"kind": "exhibition", "title": "x", "cover":
        {"url": "https://img.example/1.jpg", "width": 800, "height": 600, "alt": "a"}}))
    .unwrap();
    let cover = new.cover.unwrap();
    assert_eq!(
        serde_json::to_value(&cover).unwrap(),
        json!({"image": {"url": "https://img.example/1.jpg", "width": 800, "height": 600}, "alt": "a"})
    );
    let old: Placement = serde_json::from_value(
        json!({"image": {"url": "https://img.example/1.jpg", "width": 800, "height": 600}, "alt": "a"}),
    )
    .unwrap();
    assert_eq!(old, cover);
    assert_eq!(old.image.src(), "https://img.example/1.jpg");
    assert_eq!(
        old.image.share(),
        ("https://img.example/1.jpg".to_owned(), Some((800, 600)))
    );
}
