use super::*;
use crate::clock::FixedClock;
use crate::store::MemoryStore;

const DAY: i64 = 86_400;
const T0: i64 = 1_790_000_000;

fn at(day: i64) -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(T0 + day * DAY).unwrap())
}

fn key() -> ContactKey {
    ContactKey::new("test-secret").unwrap()
}

fn voter(n: usize) -> VoterId {
    VoterId::parse(&format!("voter-{n:016}")).unwrap()
}

#[test]
fn extreme_contest_dates_are_refused_by_the_request() {
    for field in [
        "submissions_open",
        "submissions_close",
        "voting_open",
        "voting_close",
    ] {
        for raw in [
            "+262143-01-01T00:00:00Z",
            "-262144-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
        ] {
            let mut json = serde_json::json!({
                "title": "Concours", "categories": [{"slug": "tous", "name": "Tous"}],
                "submissions_open": "2026-12-01T00:00:00Z",
                "submissions_close": "2026-12-10T00:00:00Z",
            });
            json[field] = serde_json::json!(raw);
            let error = serde_json::from_value::<CreateContestRequest>(json).unwrap_err();
            assert!(error.to_string().contains("1970"), "{field} {raw}: {error}");
        }
    }
}

fn setup(store: &MemoryStore) -> Contest {
    let ts = |d: i64| Timestamp::from_unix_seconds(T0 + d * DAY).unwrap();
    let request = CreateContestRequest {
        title: "Concours de nouvelles".into(),
        rules: "# Règles\n<script>x</script>".into(),
        categories: vec![
            Category {
                slug: CategorySlug::parse("enfants").unwrap(),
                name: "Enfants".into(),
            },
            Category {
                slug: CategorySlug::parse("adultes").unwrap(),
                name: "Adultes".into(),
            },
        ],
        submissions_open: ts(0),
        submissions_close: ts(10),
        voting_open: Some(ts(10)),
        voting_close: Some(ts(20)),
        public_vote: true,
        jury: true,
        prize: Some("Un livre".into()),
        entry_image: EntryImagePolicy::None,
    };
    create_contest(
        store,
        &at(0),
        ContestId::parse("c1").unwrap(),
        NewContest::parse(request).unwrap(),
    )
    .unwrap()
}

fn entry(contest: &Contest, email: &str, category: &str) -> NewEntry {
    let request = SubmitEntryRequest {
        title: "Ma nouvelle".into(),
        text: Some("Il était une fois…".into()),
        link: Some("https://cdn.example/a.mp3".into()),
        display_name: "Léa".into(),
        category: category.into(),
        consent: true,
        licence: "cc-by-sa".into(),
        email: email.into(),
        website: None,
        ..Default::default()
    };
    match NewEntry::parse(contest, request).unwrap() {
        EntrySubmission::Entry(e) => *e,
        EntrySubmission::Spam => panic!("not spam"),
    }
}

#[test]
fn types_parse_at_the_boundary() {
    let link = |t: &str| HttpsUrl::parse("link", t, MAX_URL_CHARS);
    assert!(link("http://x.example").is_err());
    assert!(link("javascript:alert(1)").is_err());
    assert!(link("https://a b.example").is_err());
    assert!(link("https://user@evil.example").is_err());
    assert_eq!(
        HttpsUrl::parse("link", " HTTPS://x.example/a.png ", MAX_URL_CHARS)
            .unwrap()
            .as_str(),
        "https://x.example/a.png"
    );
    assert_eq!(
        Email::parse(" Lea@Exemple.FR ").unwrap().as_str(),
        "lea@exemple.fr"
    );
    for bad in [
        "lea",
        "@x.fr",
        "lea@x",
        "lea@-x.fr",
        "a b@x.fr",
        "lea@x..fr",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        Licence::parse("cc-by").unwrap().url(),
        Some("https://creativecommons.org/licenses/by/4.0/")
    );
    assert!(Licence::parse("mit").is_err());
}

#[test]
fn a_rejection_that_fails_halfway_never_leaves_the_entry_votable() {
    let enfants = CategorySlug::parse("enfants").unwrap();
    let mut n = 0;
    loop {
        let mut store = crate::store::FaultyStore::new();
        let c = setup(&store.inner);
        let seq = submit_entry(
            &store.inner,
            &at(1),
            &c,
            entry(&c, "lea@x.fr", "enfants"),
            &key(),
        )
        .unwrap();
        moderate(&store.inner, &at(2), &c.id, seq, Decision::Approve).unwrap();
        let writes = store.fail_nth_write(n);
        let reject = || Decision::Reject { reason: None };
        let failed = moderate(&store, &at(3), &c.id, seq, reject()).is_err();
        let attempted = writes.load(std::sync::atomic::Ordering::SeqCst);
        store.heal();
        if failed {
            // Whatever was written, patrons see one truth: the entry takes votes if and
            // only if the gallery shows it.
            let shown = !gallery(&store, &c.id, &enfants, 1)
                .unwrap()
                .entries
                .is_empty();
            let votable = vote(&store, &at(11), &c.id, seq, &voter(1)).is_ok();
            assert_eq!(
                votable, shown,
                "write {n}: votable {votable}, shown {shown}"
            );
            // The same decision sent again completes it.
            moderate(&store, &at(4), &c.id, seq, reject()).unwrap();
        }
        let status = (&store.inner as &dyn KvStore)
            .get_json::<Entry>(&keys::contest_entry(&c.id, seq))
            .unwrap()
            .unwrap()
            .status;
        assert_eq!(status, Status::Rejected, "write {n}");
        assert!(
            vote(&store, &at(12), &c.id, seq, &voter(2)).is_err(),
            "write {n}: votable after rejection"
        );
        assert!(
            gallery(&store, &c.id, &enfants, 1)
                .unwrap()
                .entries
                .is_empty()
        );
        let listed: Index = (&store.inner as &dyn KvStore)
            .get_json(&keys::contest_approved(&c.id))
            .unwrap()
            .unwrap_or_default();
        assert!(
            listed.get(&enfants).is_none_or(|l| !l.contains(&seq)),
            "write {n}: still listed"
        );
        if n >= attempted {
            break;
        }
        n += 1;
    }
    assert!(n >= 2, "both writes were failed in turn");
}

#[test]
fn entries_are_moderated_voted_once_per_category_and_win() {
    let store = MemoryStore::new();
    let c = setup(&store);
    assert!(c.rules_html().contains("&lt;script&gt;"));
    let e1 = submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "enfants"), &key()).unwrap();
    let e2 = submit_entry(&store, &at(1), &c, entry(&c, "tom@x.fr", "enfants"), &key()).unwrap();
    let e3 = submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "adultes"), &key()).unwrap();
    assert!(matches!(
        submit_entry(&store, &at(11), &c, entry(&c, "a@x.fr", "enfants"), &key()),
        Err(ContestError::SubmissionsClosed)
    ));
    for seq in [e1, e2, e3] {
        moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
    }
    let enfants = CategorySlug::parse("enfants").unwrap();
    assert_eq!(
        gallery(&store, &c.id, &enfants, 1).unwrap().entries.len(),
        2
    );
    assert!(matches!(
        vote(&store, &at(5), &c.id, e1, &voter(1)),
        Err(ContestError::VotingClosed)
    ));
    vote(&store, &at(12), &c.id, e1, &voter(1)).unwrap();
    assert!(matches!(
        vote(&store, &at(12), &c.id, e2, &voter(1)),
        Err(ContestError::AlreadyVoted)
    ));
    vote(&store, &at(12), &c.id, e3, &voter(1)).unwrap(); // another category
    vote(&store, &at(12), &c.id, e1, &voter(2)).unwrap();
    set_winners(
        &store,
        &c.id,
        WinnersRequest {
            category: enfants.clone(),
            entries: vec![e2],
        },
    )
    .unwrap();
    assert!(
        set_winners(
            &store,
            &c.id,
            WinnersRequest {
                category: enfants.clone(),
                entries: vec![e3]
            }
        )
        .is_err()
    );
    let during = results(&store, &at(12), &c.id).unwrap();
    assert!(during.categories[0].votes.is_empty());
    assert_eq!(during.categories[0].winners[0].seq, e2);
    let after = results(&store, &at(21), &c.id).unwrap();
    assert_eq!(after.categories[0].votes[0].0.seq, e1);
    assert_eq!(after.categories[0].votes[0].1, 2);
}

#[test]
fn contacts_are_exported_erased_and_purged_after_retention() {
    let store = MemoryStore::new();
    let c = setup(&store);
    for (email, cat) in [
        ("lea@x.fr", "enfants"),
        ("tom@x.fr", "enfants"),
        ("LEA@x.fr", "adultes"),
    ] {
        submit_entry(&store, &at(1), &c, entry(&c, email, cat), &key()).unwrap();
    }
    moderate(&store, &at(2), &c.id, 1, Decision::Approve).unwrap();
    let lea = Email::parse("lea@x.fr").unwrap();
    let export = export_participant(&store, &key(), &lea, 1).unwrap().entries;
    assert_eq!(export.len(), 2);
    assert!(export.iter().all(|p| p.email == lea && p.entry.is_some()));
    assert_eq!(
        erase_participant(&store, &key(), &lea, 1)
            .unwrap()
            .erased_entries,
        2
    );
    assert_eq!(
        erase_participant(&store, &key(), &lea, 1)
            .unwrap()
            .erased_entries,
        0
    );
    assert!(
        export_participant(&store, &key(), &lea, 1)
            .unwrap()
            .entries
            .is_empty()
    );
    let enfants = CategorySlug::parse("enfants").unwrap();
    assert!(
        gallery(&store, &c.id, &enfants, 1)
            .unwrap()
            .entries
            .is_empty()
    );

    // Tom's contact stays until 90 days after the end (day 20), then goes.
    let tom = Email::parse("tom@x.fr").unwrap();
    assert_eq!(purge_due(&store, &at(100), 90).unwrap().erased, 0);
    assert_eq!(
        export_participant(&store, &key(), &tom, 1)
            .unwrap()
            .entries
            .len(),
        1
    );
    let report = purge_due(&store, &at(111), 90).unwrap();
    assert_eq!(
        (report.erased, report.contests_done, report.more),
        (1, 1, false)
    );
    assert_eq!(
        purge_due(&store, &at(112), 90).unwrap(),
        PurgeReport::default()
    );
    // The entry itself stays (published under a display name), without its contact.
    let q = queue(&store, &at(112), &c.id, 90, 1, 10, false).unwrap();
    assert_eq!(q.entries.len(), 1);
    assert_eq!(q.entries[0].email, None);
    // Tom can still be found through the keyed hash of his address, and erased.
    let found = export_participant(&store, &key(), &tom, 1).unwrap().entries;
    assert_eq!(found.len(), 1);
    assert!(found[0].entry.is_some());
    assert_eq!(
        erase_participant(&store, &key(), &tom, 1)
            .unwrap()
            .erased_entries,
        1
    );
    assert!(
        queue(&store, &at(113), &c.id, 90, 1, 10, false)
            .unwrap()
            .entries
            .is_empty()
    );
    assert!(
        export_participant(&store, &key(), &tom, 1)
            .unwrap()
            .entries
            .is_empty()
    );
}

#[test]
fn purge_work_is_bounded_and_lazy_on_staff_reads() {
    let store = MemoryStore::new();
    let c = setup(&store);
    for n in 0..120 {
        submit_entry(
            &store,
            &at(1),
            &c,
            entry(&c, &format!("p{n}@x.fr"), "adultes"),
            &key(),
        )
        .unwrap();
    }
    let first = purge_due(&store, &at(200), 90).unwrap();
    assert_eq!((first.erased, first.more), (PURGE_BUDGET, true));
    // A staff read of the queue erases the next batch.
    let q = queue(&store, &at(200), &c.id, 90, 1, 100, false).unwrap();
    assert!(q.entries.iter().all(|e| e.email.is_none()));
    let last = purge_due(&store, &at(200), 90).unwrap();
    assert_eq!((last.erased, last.more), (120 - 2 * PURGE_BUDGET, false));
}

#[test]
fn costs_do_not_grow_with_the_number_of_entries_or_votes() {
    let measure = |prior: u64| {
        let store = MemoryStore::new();
        let c = setup(&store);
        for n in 1..=prior {
            submit_entry(&store, &at(1), &c, entry(&c, "a@x.fr", "enfants"), &key()).unwrap();
            moderate(&store, &at(2), &c.id, n, Decision::Approve).unwrap();
        }
        for n in 1..=prior {
            vote(&store, &at(12), &c.id, n, &voter(n as usize)).unwrap();
        }
        let enfants = CategorySlug::parse("enfants").unwrap();
        let mut costs = Vec::new();
        store.reset_ops();
        submit_entry(&store, &at(1), &c, entry(&c, "b@x.fr", "enfants"), &key()).unwrap();
        costs.push(store.ops());
        store.reset_ops();
        vote(&store, &at(12), &c.id, 1, &voter(1_000_000)).unwrap();
        costs.push(store.ops());
        store.reset_ops();
        gallery(&store, &c.id, &enfants, 1).unwrap();
        costs.push(store.ops());
        store.reset_ops();
        results(&store, &at(21), &c.id).unwrap();
        costs.push(store.ops());
        assert!(costs.iter().all(|c| c.get_keys == 0));
        costs.iter().map(|c| c.total()).collect::<Vec<_>>()
    };
    let small = measure(10);
    // Submitting and voting each add the day's participation counter (1 increment).
    assert_eq!(small, vec![6, 5, 3, 5]);
    assert_eq!(measure(1_999), small);
}

fn contest_ending(store: &MemoryStore, id: &str, end_day: i64) -> Contest {
    let ts = |d: i64| Timestamp::from_unix_seconds(T0 + d * DAY).unwrap();
    let request = CreateContestRequest {
        title: format!("Concours {id}"),
        rules: String::new(),
        categories: vec![Category {
            slug: CategorySlug::parse("tous").unwrap(),
            name: "Tous".into(),
        }],
        submissions_open: ts(0),
        submissions_close: ts(end_day),
        voting_open: None,
        voting_close: None,
        public_vote: false,
        jury: true,
        prize: None,
        entry_image: EntryImagePolicy::None,
    };
    create_contest(
        store,
        &at(0),
        ContestId::parse(id).unwrap(),
        NewContest::parse(request).unwrap(),
    )
    .unwrap()
}

#[test]
fn huge_retention_is_capped_and_never_erases_early() {
    let store = MemoryStore::new();
    let c = setup(&store);
    let end = c.ends_at().unix_seconds();
    for days in [u32::MAX, 1_000_000, MAX_RETENTION_DAYS + 1] {
        assert_eq!(
            c.contacts_erased_at(days).unix_seconds(),
            end + i64::from(MAX_RETENTION_DAYS) * DAY
        );
    }
    assert_eq!(c.contacts_erased_at(0).unix_seconds(), end);
    submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "enfants"), &key()).unwrap();
    assert_eq!(purge_due(&store, &at(25), u32::MAX).unwrap().erased, 0);
}

#[test]
fn winners_are_listed_once_and_closing_ends_both_windows() {
    let store = MemoryStore::new();
    let c = setup(&store);
    let e1 = submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "enfants"), &key()).unwrap();
    moderate(&store, &at(2), &c.id, e1, Decision::Approve).unwrap();
    let enfants = CategorySlug::parse("enfants").unwrap();
    let twice = set_winners(
        &store,
        &c.id,
        WinnersRequest {
            category: enfants,
            entries: vec![e1, e1],
        },
    );
    assert!(matches!(twice, Err(ContestError::Invalid(m)) if m.contains("twice")));
    let closed = close_contest(&store, &at(3), &c.id).unwrap();
    assert!(!closed.accepts_entries(at(3).now()));
    assert!(!closed.voting_is_open(at(3).now()));
    assert_eq!(closed.ends_at(), at(3).now());
    assert!(closed.voting_open <= closed.voting_close);
    assert!(matches!(
        submit_entry(
            &store,
            &at(4),
            &closed,
            entry(&c, "a@x.fr", "enfants"),
            &key()
        ),
        Err(ContestError::SubmissionsClosed)
    ));
    assert!(matches!(
        close_contest(&store, &at(3), &ContestId::parse("nope").unwrap()),
        Err(ContestError::NotFound)
    ));
}

#[test]
fn hashes_are_keyed_and_erasure_pages_through_every_entry_and_leaves_no_key() {
    let lea = Email::parse("lea@x.fr").unwrap();
    let other = ContactKey::new("another-secret").unwrap();
    assert_ne!(lea.key_hash(&key()), lea.key_hash(&other));
    assert_eq!(lea.key_hash(&key()).len(), 32);
    assert!(ContactKey::new("  ").is_none());
    assert_eq!(format!("{:?}", key()), "ContactKey(..)");

    let store = MemoryStore::new();
    let c = setup(&store);
    let total = 2 * EXPORT_PAGE + 7;
    for _ in 0..total {
        submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "adultes"), &key()).unwrap();
    }
    submit_entry(&store, &at(1), &c, entry(&c, "tom@x.fr", "adultes"), &key()).unwrap();
    for seq in [1, total] {
        moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
    }
    let (mut exported, mut from) = (0, Some(1));
    while let Some(f) = from {
        let page = export_participant(&store, &key(), &lea, f).unwrap();
        exported += page.entries.len() as u64;
        from = page.next_from;
    }
    assert_eq!(exported, total);
    let (mut erased, mut from, mut calls) = (0, Some(1), 0);
    while let Some(f) = from {
        let report = erase_participant(&store, &key(), &lea, f).unwrap();
        erased += report.erased_entries;
        from = report.next_from;
        calls += 1;
    }
    assert_eq!((erased, calls), (total, total.div_ceil(ERASE_PAGE)));
    let hash = lea.key_hash(&key());
    let left: Vec<String> = store
        .get_keys()
        .unwrap()
        .into_iter()
        .filter(|k| {
            k.contains(&hash)
                || k.starts_with(&format!("contest/{}/entry/", c.id))
                    && !k.ends_with(&format!("/{}", total + 1))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let adultes = CategorySlug::parse("adultes").unwrap();
    assert!(
        gallery(&store, &c.id, &adultes, 1)
            .unwrap()
            .entries
            .is_empty()
    );
    // Tom is untouched.
    let tom = Email::parse("tom@x.fr").unwrap();
    assert_eq!(
        export_participant(&store, &key(), &tom, 1)
            .unwrap()
            .entries
            .len(),
        1
    );
}

#[test]
fn a_contest_that_never_ends_delays_no_other_purge() {
    let store = MemoryStore::new();
    let forever = contest_ending(&store, "forever", 100_000);
    submit_entry(
        &store,
        &at(1),
        &forever,
        {
            let r = SubmitEntryRequest {
                title: "t".into(),
                text: Some("x".into()),
                display_name: "n".into(),
                category: "tous".into(),
                consent: true,
                licence: "cc-by".into(),
                email: "keep@x.fr".into(),
                ..Default::default()
            };
            match NewEntry::parse(&forever, r).unwrap() {
                EntrySubmission::Entry(e) => *e,
                EntrySubmission::Spam => unreachable!(),
            }
        },
        &key(),
    )
    .unwrap();
    let later = PURGE_WINDOW + 30;
    let mut purged_contests = Vec::new();
    for n in 0..later {
        let c = contest_ending(&store, &format!("c{n}"), 5);
        purged_contests.push(c.id.clone());
        let r = SubmitEntryRequest {
            title: "t".into(),
            text: Some("x".into()),
            display_name: "n".into(),
            category: "tous".into(),
            consent: true,
            licence: "cc-by".into(),
            email: format!("p{n}@x.fr"),
            ..Default::default()
        };
        let EntrySubmission::Entry(e) = NewEntry::parse(&c, r).unwrap() else {
            unreachable!()
        };
        submit_entry(&store, &at(1), &c, *e, &key()).unwrap();
    }
    let mut erased = 0;
    for _ in 0..20 {
        store.reset_ops();
        let report = purge_due(&store, &at(200), 90).unwrap();
        // Bounded work per call: the registry window, its contests, their progress, and
        // 2 deletes + about 3 calls per contest purged.
        assert!(
            store.ops().total() <= 8 + 6 * PURGE_BUDGET,
            "{:?}",
            store.ops()
        );
        erased += report.erased;
        if !report.more {
            break;
        }
    }
    assert_eq!(erased, later);
    for n in [0, later - 1] {
        // The address is gone; the entry stays, reachable through the keyed hash.
        let contact = keys::contest_contact(&purged_contests[n as usize], 1);
        assert_eq!(store.get(&contact).unwrap(), None);
    }
    let keep = Email::parse("keep@x.fr").unwrap();
    assert_eq!(
        export_participant(&store, &key(), &keep, 1)
            .unwrap()
            .entries
            .len(),
        1
    );
    // Another full pass finds nothing more to do.
    let mut again = 0;
    for _ in 0..5 {
        let report = purge_due(&store, &at(201), 90).unwrap();
        again += report.erased;
        if !report.more {
            break;
        }
    }
    assert_eq!(again, 0);
}

#[test]
fn results_list_the_most_voted_only_and_staff_lists_page() {
    let store = MemoryStore::new();
    let c = setup(&store);
    let n = RESULTS_TOP as u64 + 5;
    for seq in 1..=n {
        submit_entry(&store, &at(1), &c, entry(&c, "a@x.fr", "enfants"), &key()).unwrap();
        moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
    }
    for v in 0..3 {
        vote(&store, &at(12), &c.id, n, &voter(v)).unwrap();
    }
    let r = results(&store, &at(21), &c.id).unwrap();
    assert_eq!(r.categories[0].votes.len(), RESULTS_TOP);
    assert_eq!(
        r.categories[0].votes[0],
        (r.categories[0].votes[0].0.clone(), 3)
    );
    assert_eq!(r.categories[0].votes[0].0.seq, n);
    assert_eq!(r.categories[0].approved, n as usize);

    for i in 0..5 {
        contest_ending(&store, &format!("z{i}"), 3);
    }
    store.reset_ops();
    let first = list_contests(&store, 1, 4).unwrap();
    assert_eq!(store.ops().total(), 3);
    assert_eq!(first.total, 6);
    assert_eq!(first.contests[0].id.as_str(), "z4");
    assert_eq!(first.next_page, Some(2));
    let second = list_contests(&store, 2, 4).unwrap();
    assert_eq!(second.contests.len(), 2);
    assert_eq!(second.contests[1].id, c.id);
    assert_eq!(second.next_page, None);
}

// --- photo and drawing entries ------------------------------------------------------------

fn photo_contest(store: &MemoryStore, id: &str, policy: EntryImagePolicy) -> Contest {
    let ts = |d: i64| Timestamp::from_unix_seconds(T0 + d * DAY).unwrap();
    let request = CreateContestRequest {
        title: "Concours photo".into(),
        rules: String::new(),
        categories: vec![Category {
            slug: CategorySlug::parse("tous").unwrap(),
            name: "Tous".into(),
        }],
        submissions_open: ts(0),
        submissions_close: ts(10),
        voting_open: None,
        voting_close: None,
        public_vote: false,
        jury: true,
        prize: None,
        entry_image: policy,
    };
    create_contest(
        store,
        &at(0),
        ContestId::parse(id).unwrap(),
        NewContest::parse(request).unwrap(),
    )
    .unwrap()
}

fn photo_request(email: &str) -> SubmitEntryRequest {
    SubmitEntryRequest {
        title: "Le chat du voisin".into(),
        display_name: "Zoé".into(),
        category: "tous".into(),
        consent: true,
        licence: "cc-by".into(),
        email: email.into(),
        alt: Some("Un chat roux endormi sur un muret de pierre".into()),
        ..Default::default()
    }
}

fn parsed(result: Result<EntrySubmission, ContestError>) -> Result<NewEntry, ContestError> {
    result.map(|s| match s {
        EntrySubmission::Entry(e) => *e,
        EntrySubmission::Spam => panic!("not spam"),
    })
}

fn field_of(error: ContestError) -> (&'static str, &'static str) {
    let code = crate::error::DomainError::code(&error);
    match error {
        ContestError::InvalidEntry { field, .. } => (field, code),
        other => panic!("not an entry error: {other}"),
    }
}

/// A 4000 x 3000 photo as a patron sends it, its social rendition over two chunks.
fn decoded_image() -> crate::media::NewMedium {
    use crate::media::{FileName, RenditionKind, testing};
    let mut new = testing::new_medium(4000, 3000);
    new.filename = FileName::parse("entry.jpeg").unwrap();
    new.size = 3_000_000;
    new.created_by = "patron".into();
    testing::rendition(&mut new, RenditionKind::Social).bytes =
        (0..950_000).map(|i| (i % 251) as u8).collect();
    new
}

fn mid(n: u8) -> crate::media::MediumId {
    crate::media::MediumId::generate([n; 10])
}

#[test]
fn photo_entries_need_alt_text_the_right_contest_and_a_parent_under_15() {
    let store = MemoryStore::new();
    let required = photo_contest(&store, "photos", EntryImagePolicy::Required);
    let optional = photo_contest(&store, "mixte", EntryImagePolicy::Optional);
    let text_only = photo_contest(&store, "textes", EntryImagePolicy::None);
    // A contest that requires an image refuses an entry without one.
    let mut no_image = photo_request("a@x.fr");
    no_image.text = Some("Un texte".into());
    assert_eq!(
        field_of(parsed(NewEntry::parse(&required, no_image.clone())).unwrap_err()),
        ("image", "invalid_entry_image")
    );
    // Optional: a text entry still works; a text-only contest refuses images.
    assert!(parsed(NewEntry::parse(&optional, no_image)).is_ok());
    assert_eq!(
        field_of(
            parsed(NewEntry::parse_with_image(
                &text_only,
                photo_request("a@x.fr")
            ))
            .unwrap_err()
        ),
        ("image", "invalid_entry_image")
    );
    // The alt text is required with an image, and is enough without text or link.
    for alt in [None, Some(""), Some("   ")] {
        let mut r = photo_request("a@x.fr");
        r.alt = alt.map(str::to_owned);
        assert_eq!(
            field_of(parsed(NewEntry::parse_with_image(&required, r)).unwrap_err()).0,
            "alt"
        );
    }
    let mut too_long = photo_request("a@x.fr");
    too_long.alt = Some("a".repeat(crate::media::MAX_ALT_CHARS + 1));
    assert_eq!(
        field_of(parsed(NewEntry::parse_with_image(&required, too_long)).unwrap_err()).0,
        "alt"
    );
    assert!(
        parsed(NewEntry::parse_with_image(
            &required,
            photo_request("a@x.fr")
        ))
        .is_ok()
    );
    // Under 15: the parent's name, then their consent.
    let mut child = photo_request("a@x.fr");
    child.under_15 = true;
    assert_eq!(
        field_of(parsed(NewEntry::parse_with_image(&required, child.clone())).unwrap_err()).0,
        "parent_name"
    );
    child.parent_name = Some("Marie Dupont".into());
    assert_eq!(
        field_of(parsed(NewEntry::parse_with_image(&required, child.clone())).unwrap_err()),
        ("parent_consent", "parental_consent_required")
    );
    child.parent_consent = true;
    let entry = parsed(NewEntry::parse_with_image(&required, child)).unwrap();
    // Submitted without its image, an image entry is refused.
    assert_eq!(
        field_of(submit_entry(&store, &at(1), &required, entry.clone(), &key()).unwrap_err()).0,
        "image"
    );
    let (seq, _) = submit_entry_with_image(
        &store,
        &at(1),
        &required,
        entry,
        &key(),
        mid(1),
        decoded_image(),
    )
    .unwrap();
    // The declaration is kept with the contact (staff see it), dated.
    let queue = queue(&store, &at(2), &required.id, 90, 1, 10, false).unwrap();
    let consent = queue.entries[0].parental_consent.clone().unwrap();
    assert_eq!(consent.parent_name, "Marie Dupont");
    assert_eq!(consent.declared_at, at(1).0);
    assert_eq!(queue.entries[0].entry.seq, seq);
    // The retention purge erases it with the email.
    purge_due(&store, &at(10 + 91), 90).unwrap();
    let queue = super::queue(&store, &at(102), &required.id, 90, 1, 10, false).unwrap();
    assert!(queue.entries[0].email.is_none());
    assert!(queue.entries[0].parental_consent.is_none());
}

#[test]
fn an_entry_image_is_public_once_approved_and_deleted_on_rejection() {
    use crate::media;
    let store = MemoryStore::new();
    let c = photo_contest(&store, "photos", EntryImagePolicy::Required);
    let submit = |email: &str, n: u8| {
        let entry = parsed(NewEntry::parse_with_image(&c, photo_request(email))).unwrap();
        submit_entry_with_image(&store, &at(1), &c, entry, &key(), mid(n), decoded_image()).unwrap()
    };
    let (seq, medium) = submit("a@x.fr", 1);
    // A patron medium: described by the patron, knows its entry, not in the staff library.
    assert_eq!(medium.slot, 0);
    assert_eq!(
        medium.entry,
        Some(media::EntryRef {
            contest: c.id.clone(),
            seq
        })
    );
    assert_eq!(medium.alt, "Un chat roux endormi sur un muret de pierre");
    assert_eq!(medium.credit, "Zoé");
    assert_eq!(medium.licence, media::Licence::CcBy);
    assert!(media::list(&store, None).unwrap().0.is_empty());
    let entry_ref = medium.entry.clone().unwrap();
    // Pending: not public.
    assert!(!entry_image_public(&store, &entry_ref, &medium.id).unwrap());
    store.reset_ops();
    moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
    store.reset_ops();
    assert!(entry_image_public(&store, &entry_ref, &medium.id).unwrap());
    assert_eq!(store.ops().total(), 1, "one read decides");
    // Another medium never passes for this entry's.
    assert!(!entry_image_public(&store, &entry_ref, &mid(9)).unwrap());
    // Approved or not, a patron's image is not the library's: staff cannot publish it to a
    // network, nor use it as a link card's thumbnail.
    assert!(matches!(
        media::get_library(&store, &medium.id),
        Err(media::MediaError::NotFound)
    ));
    let in_a_post = crate::social::PostImage::from_medium(medium.id.clone(), "Un chat");
    let http = crate::social::testing::ScriptedHttp::new();
    let fetched = crate::social::block_on(crate::channels::fetch_image(
        &store,
        &http,
        0,
        &in_a_post,
        at(2).0,
    ));
    assert!(
        matches!(fetched, Err(crate::social::PublishOutcome::Refused { .. })),
        "{fetched:?}"
    );
    assert!(http.requests().is_empty());
    let tous = CategorySlug::parse("tous").unwrap();
    let g = gallery(&store, &c.id, &tous, 1).unwrap();
    let image = g.entries[0].image.clone().unwrap();
    assert_eq!((image.width, image.height), (1600, 1200));
    assert_eq!(
        image.path(media::RenditionKind::Page),
        format!("/media/{}/page.jpg", medium.id)
    );
    // Staff correct the alt text: the entry and the medium both change.
    let corrected = correct_alt(&store, &at(3), &c.id, seq, "Un chat roux sur un mur").unwrap();
    assert_eq!(corrected.image.unwrap().alt, "Un chat roux sur un mur");
    assert_eq!(
        media::get(&store, &medium.id).unwrap().alt,
        "Un chat roux sur un mur"
    );
    assert_eq!(
        field_of(correct_alt(&store, &at(3), &c.id, seq, " ").unwrap_err()).0,
        "alt"
    );
    // A rejected entry's image is deleted, renditions included, and the entry forgets it.
    let keys_before = store.len();
    let (other, other_medium) = submit("b@x.fr", 2);
    moderate(&store, &at(2), &c.id, other, Decision::Approve).unwrap();
    let rejected = moderate(
        &store,
        &at(3),
        &c.id,
        other,
        Decision::Reject { reason: None },
    )
    .unwrap();
    assert!(rejected.image.is_none());
    assert!(matches!(
        media::get(&store, &other_medium.id),
        Err(media::MediaError::NotFound)
    ));
    // What is left of the second entry: its entry, contact and reference (+ 1 counter of
    // the email's references); no chunk.
    assert_eq!(store.len(), keys_before + 4);
    assert!(
        !entry_image_public(
            &store,
            other_medium.entry.as_ref().unwrap(),
            &other_medium.id
        )
        .unwrap()
    );
}

#[test]
fn erasing_a_participant_deletes_their_images() {
    use crate::media;
    let store = MemoryStore::new();
    let c = photo_contest(&store, "photos", EntryImagePolicy::Optional);
    let entry = parsed(NewEntry::parse_with_image(&c, photo_request("zoe@x.fr"))).unwrap();
    let (seq, medium) =
        submit_entry_with_image(&store, &at(1), &c, entry, &key(), mid(3), decoded_image())
            .unwrap();
    moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
    let email = Email::parse("zoe@x.fr").unwrap();
    let report = erase_participant(&store, &key(), &email, 1).unwrap();
    assert_eq!(report.erased_entries, 1);
    assert!(matches!(
        media::get(&store, &medium.id),
        Err(media::MediaError::NotFound)
    ));
    assert!(!entry_image_public(&store, medium.entry.as_ref().unwrap(), &medium.id).unwrap());
    // Nothing of the entry or its image is left: only the contest's own keys.
    let fresh = MemoryStore::new();
    photo_contest(&fresh, "photos", EntryImagePolicy::Optional);
    // The entry sequence counter stays (numbers are never reused), and the day's
    // participation counter (a count of entries, nothing about the participant).
    assert_eq!(store.len(), fresh.len() + 2);
}

#[test]
fn a_photo_entry_costs_the_same_whatever_the_number_of_entries() {
    let measure = |prior: u8| {
        let store = MemoryStore::new();
        let c = photo_contest(&store, "photos", EntryImagePolicy::Optional);
        for n in 0..prior {
            let entry = parsed(NewEntry::parse_with_image(&c, photo_request("a@x.fr"))).unwrap();
            let (seq, _) =
                submit_entry_with_image(&store, &at(1), &c, entry, &key(), mid(n), decoded_image())
                    .unwrap();
            moderate(&store, &at(2), &c.id, seq, Decision::Approve).unwrap();
        }
        let entry = parsed(NewEntry::parse_with_image(&c, photo_request("b@x.fr"))).unwrap();
        store.reset_ops();
        let (seq, _) =
            submit_entry_with_image(&store, &at(1), &c, entry, &key(), mid(255), decoded_image())
                .unwrap();
        let submit = store.ops();
        store.reset_ops();
        moderate(
            &store,
            &at(2),
            &c.id,
            seq,
            Decision::Reject { reason: None },
        )
        .unwrap();
        let reject = store.ops();
        assert_eq!(submit.get_keys + reject.get_keys, 0);
        (submit.total(), reject.total())
    };
    let small = measure(3);
    // 6 of a text entry (participation included) + 4 chunks (the social rendition takes 2)
    // + 1 compare-and-swap.
    assert_eq!(small.0, 11);
    assert_eq!(measure(200), small);
}
