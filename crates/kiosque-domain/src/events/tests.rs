use serde_json::json;

use super::*;
use crate::clock::FixedClock;
use crate::store::MemoryStore;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn now() -> Timestamp {
    at("2026-11-29T15:00:00Z")
}

fn parse(value: serde_json::Value) -> Result<NewEvent, String> {
    NewEvent::parse(serde_json::from_value(value).unwrap(), Zone::PARIS).map_err(|e| e.to_string())
}

fn event(title: &str, starts: &str, ends: &str) -> NewEvent {
    parse(json!({
        "title": title,
        "description": "Une rencontre, avec lecture",
        "starts_at": starts,
        "ends_at": ends,
        "place": {"name": "Auditorium", "address": "1 place de la Mairie"},
        "stream_url": "https://peertube.example/w/abc"
    }))
    .unwrap()
}

fn eid(n: u32) -> EventId {
    let mut bytes = [0u8; 10];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    EventId::generate(bytes)
}

#[test]
fn bad_input_gets_precise_errors() {
    let base = || {
        json!({"title": "Atelier", "starts_at": "2026-12-12T14:00:00+01:00",
               "ends_at": "2026-12-12T16:00:00+01:00", "place": {"name": "Salle"}})
    };
    assert!(parse(base()).is_ok());
    let with = |key: &str, value: serde_json::Value| {
        let mut v = base();
        v[key] = value;
        parse(v).unwrap_err()
    };
    assert_eq!(
        with("ends_at", json!("2026-12-12T13:00:00+01:00")),
        "ends_at: must be after starts_at (2026-12-12T13:00:00Z), got 2026-12-12T12:00:00Z"
    );
    assert_eq!(
        with("ends_at", json!("2027-02-12T13:00:00+01:00")),
        "ends_at: an event lasts at most 31 days; create one event per session"
    );
    assert!(
        with("starts_at", json!("demain"))
            .starts_with("starts_at: must be a local date and time such as 2026-12-12T14:00")
    );
    assert_eq!(
        with("place", json!(null)),
        "place: an event needs a place, or \"online\": true (or a stream_url)"
    );
    assert_eq!(
        with("stream_url", json!("http://live.example")),
        "stream_url: must start with https://"
    );
    assert_eq!(
        with("title", json!("t".repeat(201))),
        "title: must be at most 200 characters, got 201"
    );
    assert_eq!(
        with("time_zone", json!("Mars/Olympus")),
        "time_zone: unknown time zone \"Mars/Olympus\": give an IANA name such as \"Europe/Paris\", \"Indian/Reunion\" or \"America/Martinique\""
    );
    assert!(
        with("starts_at", json!("2027-03-28T02:30")).contains("does not exist in Europe/Paris")
    );
    // Wall-clock times are read in the event's zone: 14:00 in Réunion is 10:00 UTC.
    let mut local = base();
    local["starts_at"] = json!("2026-12-12T14:00");
    local["ends_at"] = json!("2026-12-12T16:30");
    local["time_zone"] = json!("Indian/Reunion");
    let parsed = parse(local).unwrap();
    assert_eq!(parsed.starts_at, at("2026-12-12T10:00:00Z"));
    assert_eq!(parsed.time_zone.name(), "Indian/Reunion");
    // Online only is fine.
    let mut online = base();
    online["place"] = json!(null);
    online["online"] = json!(true);
    assert!(parse(online).unwrap().online);
}

#[test]
fn drafts_are_hidden_and_phases_follow_the_clock() {
    let store = MemoryStore::new();
    let clock = FixedClock(now());
    let e = create(
        &store,
        &clock,
        eid(1),
        event("Conte", "2026-11-29T14:30:00Z", "2026-11-29T16:00:00Z"),
    )
    .unwrap();
    assert!(get_public(&store, &e.id, now()).is_err());
    assert!(upcoming(&store, now(), 1).unwrap().live.is_empty());
    publish(&store, &clock, &e.id, None).unwrap();
    let shown = upcoming(&store, now(), 1).unwrap();
    assert_eq!(shown.live.len(), 1, "live now");
    assert_eq!(
        get_public(&store, &e.id, now()).unwrap().phase(now()),
        Phase::Live
    );
    assert_eq!(e.phase(at("2026-11-29T16:00:00Z")), Phase::Past);
    assert_eq!(e.phase(at("2026-11-29T14:00:00Z")), Phase::Upcoming);
    unpublish(&store, &clock, &e.id).unwrap();
    assert!(upcoming(&store, now(), 1).unwrap().live.is_empty());
}

#[test]
fn upcoming_events_come_soonest_first_and_move_when_rescheduled() {
    let store = MemoryStore::new();
    let clock = FixedClock(now());
    let later = create(
        &store,
        &clock,
        eid(1),
        event("Plus tard", "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z"),
    )
    .unwrap();
    let soon = create(
        &store,
        &clock,
        eid(2),
        event("Bientôt", "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"),
    )
    .unwrap();
    let past = create(
        &store,
        &clock,
        eid(3),
        event("Passé", "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z"),
    )
    .unwrap();
    for e in [&later, &soon, &past] {
        publish(&store, &clock, &e.id, None).unwrap();
    }
    let titles = |u: &Upcoming| {
        u.upcoming
            .iter()
            .map(|e| e.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        titles(&upcoming(&store, now(), 1).unwrap()),
        ["Bientôt", "Plus tard"]
    );

    // Moving "Plus tard" to next week moves it between months and ahead in the list.
    edit(
        &store,
        &clock,
        &later.id,
        event("Plus tard", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
    )
    .unwrap();
    assert_eq!(
        titles(&upcoming(&store, now(), 1).unwrap()),
        ["Plus tard", "Bientôt"]
    );
    // The calendar also has the past event of the window (for subscribers).
    assert_eq!(calendar(&store, now()).unwrap().len(), 3);

    delete(&store, &soon.id).unwrap();
    assert_eq!(titles(&upcoming(&store, now(), 1).unwrap()), ["Plus tard"]);
    let (all, next) = list_all(&store, None).unwrap();
    assert_eq!((all.len(), next), (2, None));
}

/// The public calendar costs one batch read and the event page one read, whatever the
/// number of events.
#[test]
fn public_reads_cost_the_same_with_few_or_many_events() {
    fn costs(count: u32) -> Vec<u64> {
        let store = MemoryStore::new();
        let clock = FixedClock(now());
        let mut last = None;
        for i in 0..count {
            // Spread over the next ten months, under the monthly cap.
            let start = now().unix_seconds() + 86_400 + i64::from(i) * 12_000;
            let s = Timestamp::from_unix_seconds(start).unwrap();
            let e = Timestamp::from_unix_seconds(start + 3_600).unwrap();
            let new = event("x", &s.to_string(), &e.to_string());
            let created = create(&store, &clock, eid(i), new).unwrap();
            publish(&store, &clock, &created.id, None).unwrap();
            last = Some(created.id);
        }
        let last = last.unwrap();
        let mut out = Vec::new();
        for f in [
            &(|| {
                upcoming(&store, now(), 1).unwrap();
            }) as &dyn Fn(),
            &|| {
                upcoming(&store, now(), 3).unwrap();
            },
            &|| {
                get_public(&store, &last, now()).unwrap();
            },
        ] {
            store.reset_ops();
            f();
            assert_eq!(store.ops().get_keys, 0);
            out.push(store.ops().total());
        }
        out
    }
    let few = costs(10);
    let many = costs(3_000);
    assert_eq!(few, many);
    assert_eq!(few, vec![1, 1, 1]);
}

#[test]
fn a_month_document_stays_bounded() {
    let store = MemoryStore::new();
    let clock = FixedClock(now());
    // The worst case: the longest title and description, in 4-byte characters.
    let worst = || {
        parse(json!({"title": "😀".repeat(MAX_TITLE_CHARS), "description": "😀".repeat(MAX_DESCRIPTION_CHARS),
                     "starts_at": "2026-12-05T10:00:00Z", "ends_at": "2026-12-05T11:00:00Z",
                     "place": {"name": "😀".repeat(MAX_TITLE_CHARS)}, "online": true}))
        .unwrap()
    };
    for i in 0..MAX_EVENTS_PER_MONTH as u32 {
        create(&store, &clock, eid(i), worst()).unwrap();
    }
    let err = create(&store, &clock, eid(9_999), worst()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "starts_at: the calendar of 2026-12 is full (250 events)"
    );
    let bytes = store.get(&keys::event_month("2026-12")).unwrap().unwrap();
    assert!(bytes.len() < 700_000, "{} bytes", bytes.len());
    // An event of another month cannot move into the full one, and stays where it was.
    let january = create(
        &store,
        &clock,
        eid(20_000),
        event("Janvier", "2027-01-05T10:00:00Z", "2027-01-05T11:00:00Z"),
    )
    .unwrap();
    let err = edit(&store, &clock, &january.id, worst()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "starts_at: the calendar of 2026-12 is full (250 events)"
    );
    assert_eq!(get(&store, &january.id).unwrap(), january);
    // The refused event left no slot behind in the staff list (its slot was the 251st).
    assert!(!store.exists(&keys::event_slot(251)).unwrap());
    let (all, _) = list_all(&store, None).unwrap();
    assert_eq!(all.len(), 49);
}

#[test]
fn concurrent_creations_in_one_month_all_reach_the_calendar() {
    /// `Busy` (another request won every attempt) writes nothing and asks to try again.
    fn retry<T>(f: impl Fn() -> Result<T, EventError>) -> T {
        loop {
            match f() {
                Err(EventError::Busy) => continue,
                other => return other.unwrap(),
            }
        }
    }
    let store = std::sync::Arc::new(MemoryStore::new());
    let clock = FixedClock(now());
    std::thread::scope(|scope| {
        for t in 0..4u32 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..5u32 {
                    let e = retry(|| {
                        create(
                            &*store,
                            &clock,
                            eid(t * 100 + i),
                            event("x", "2026-12-05T10:00:00Z", "2026-12-05T11:00:00Z"),
                        )
                    });
                    retry(|| publish(&*store, &clock, &e.id, None));
                }
            });
        }
    });
    let entries = calendar(&*store, now()).unwrap();
    assert_eq!(entries.len(), 20);
    assert!(
        entries
            .iter()
            .all(|e| e.version == 2 && e.published_at.is_some())
    );
}

#[test]
fn extreme_years_are_field_errors_not_panics() {
    for (field, raw) in [
        ("starts_at", "+262143-01-01T00:00:00Z"),
        ("starts_at", "-262144-01-01T00:00:00Z"),
        ("starts_at", "+262143-12-31T23:00"),
        ("ends_at", "10000-01-01T00:00"),
    ] {
        let mut v = json!({"title": "Atelier", "starts_at": "2026-12-12T14:00:00+01:00",
               "ends_at": "2026-12-12T16:00:00+01:00", "place": {"name": "Salle"},
               "time_zone": "Pacific/Tahiti"});
        v[field] = json!(raw);
        let error = parse(v).unwrap_err();
        assert!(error.starts_with(&format!("{field}: ")), "{raw}: {error}");
    }
}

#[test]
fn an_event_image_from_the_library_is_saved_with_its_page_size() {
    use crate::media::MediumId;
    let store = MemoryStore::new();
    let clock = FixedClock(now());
    let medium = MediumId::generate([5; 10]);
    crate::showcases::library::put_medium(&store, &medium, (1600, 900));
    let with_image = |image: serde_json::Value| {
        parse(
            json!({"title": "Lecture", "starts_at": "2026-12-12T14:00:00+01:00",
                     "ends_at": "2026-12-12T16:00:00+01:00", "online": true, "image": image}),
        )
        .unwrap()
    };
    let e = create(
        &store,
        &clock,
        eid(1),
        with_image(json!({"medium": medium, "alt": "La salle de lecture"})),
    )
    .unwrap();
    let image = e.image.as_ref().unwrap();
    assert_eq!((image.image.width, image.image.height), (1600, 900));
    assert_eq!(image.image.src(), format!("/media/{medium}/page.jpg"));
    assert_eq!(get(&store, &e.id).unwrap().image, e.image);

    let gone = MediumId::generate([6; 10]);
    let refused = edit(
        &store,
        &clock,
        &e.id,
        with_image(json!({"medium": gone, "alt": "a"})),
    )
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "image.medium: the media library has no medium {gone} (deleted, or never uploaded)"
        )
    );
    assert_eq!(
        parse(
            json!({"title": "Lecture", "starts_at": "2026-12-12T14:00:00+01:00",
                     "ends_at": "2026-12-12T16:00:00+01:00", "online": true,
                     "image": {"medium": medium}})
        )
        .unwrap_err(),
        "image.alt: every image needs alternative text describing it for patrons who cannot see it"
    );
}
