use super::index::{self, PAGE_SLOTS};
use super::majority::Distribution;
use super::results::Viewer;
use super::voting::{VoteOutcome, add_invite_codes, has_voted, vote};
use super::*;
use crate::clock::FixedClock;
use crate::store::{FaultyStore, MemoryStore, OpCounts};

const NOW: i64 = 1_795_964_400; // 2026-11-29T15:00:00Z

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs).unwrap()
}

fn clock() -> FixedClock {
    FixedClock(at(NOW))
}

fn id(text: &str) -> PollId {
    PollId::parse(text).unwrap()
}

fn cookie(n: usize) -> Voter {
    Voter::Cookie(VoterId::parse(&format!("voter-{n:0>16}")).unwrap())
}

fn request(options: &[&str]) -> CreatePollRequest {
    CreatePollRequest::simple("Quel livre lire cet été ?", options)
}

fn create(store: &dyn KvStore, poll_id: &str, req: CreatePollRequest) -> Poll {
    let new = NewPoll::parse(req, at(NOW), true).unwrap();
    create_poll(store, &clock(), id(poll_id), new).unwrap()
}

fn simple(store: &dyn KvStore, poll_id: &str, options: &[&str]) -> Poll {
    create(store, poll_id, request(options))
}

fn with_kind(kind: KindName, options: &[&str]) -> CreatePollRequest {
    CreatePollRequest {
        kind,
        ..request(options)
    }
}

fn cast(
    store: &dyn KvStore,
    poll: &Poll,
    voter: &Voter,
    input: BallotInput,
) -> Result<VoteOutcome, PollError> {
    let ballot = Ballot::parse(poll, input)?;
    vote(store, at(NOW), poll, voter, &ballot)
}

fn counts(store: &dyn KvStore, poll: &Poll) -> Vec<u64> {
    results::read(store, poll)
        .unwrap()
        .options
        .iter()
        .map(|o| o.count)
        .collect()
}

/// Parses a creation request and compares the outcome with `expected`: `Ok` with the
/// normalised question and option texts, or `Err` with the exact message.
fn check(req: CreatePollRequest, expected: Result<(&str, &[&str]), &str>) {
    match (NewPoll::parse(req, at(NOW), false), expected) {
        (Ok(poll), Ok((q, o))) => {
            assert_eq!(poll.question(), q);
            let texts: Vec<&str> = poll.options().iter().map(|o| o.text.as_str()).collect();
            assert_eq!(texts, o);
        }
        (Err(e), Err(want)) => assert_eq!(e.to_string(), want),
        (got, want) => panic!("got {got:?}, want {want:?}"),
    }
}

fn q(question: &str, options: &[&str]) -> CreatePollRequest {
    CreatePollRequest::simple(question, options)
}

#[test]
fn new_poll_trims_and_accepts_valid_input() {
    check(
        q("  Quel genre ?  ", &[" Polar", "Science-fiction "]),
        Ok(("Quel genre ?", &["Polar", "Science-fiction"])),
    );
    let twenty: Vec<String> = (0..20).map(|i| format!("choix {i}")).collect();
    let twenty: Vec<&str> = twenty.iter().map(String::as_str).collect();
    assert!(NewPoll::parse(q("q", &twenty), at(NOW), false).is_ok());
    // Limits count characters, not bytes; emoji and right-to-left text are ordinary text.
    assert!(NewPoll::parse(q(&"é".repeat(300), &["a", "b"]), at(NOW), false).is_ok());
    check(
        q("📚 ما هو كتابك المفضل؟", &["كتاب", "🎭 Théâtre"]),
        Ok(("📚 ما هو كتابك المفضل؟", &["كتاب", "🎭 Théâtre"])),
    );
}

#[test]
fn new_poll_rejects_bad_input_naming_the_field() {
    check(q("   ", &["a", "b"]), Err("question: must not be empty"));
    check(
        q(&"q".repeat(301), &["a", "b"]),
        Err("question: must be at most 300 characters, got 301"),
    );
    check(
        q("ligne\nsuivante", &["a", "b"]),
        Err("question: must be a single line without control characters"),
    );
    check(
        q("q", &["seul"]),
        Err("options: a poll needs between 2 and 20 options"),
    );
    let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    check(
        q("q", &many),
        Err("options: a poll needs between 2 and 20 options"),
    );
    check(
        q("q", &["a", " "]),
        Err("options[1].text: must not be empty"),
    );
    check(
        q("q", &["a", &"b".repeat(201)]),
        Err("options[1].text: must be at most 200 characters, got 201"),
    );
    check(
        q("q", &["Oui", "Non", " OUI "]),
        Err("options[2]: duplicates options[0]"),
    );
}

fn image(url: &str, alt: Option<&str>) -> CreatePollRequest {
    let mut req = q("Quelle couverture ?", &["a"]);
    req.options.push(OptionRequest::Detailed {
        text: "b".into(),
        image_url: Some(url.into()),
        image_alt: alt.map(str::to_owned),
    });
    req
}

#[test]
fn images_need_https_and_a_text_alternative() {
    let ok = NewPoll::parse(
        image("https://img.example/c.jpg", Some("Couverture bleue")),
        at(NOW),
        false,
    )
    .unwrap();
    assert_eq!(
        ok.options()[1].image_url.as_deref(),
        Some("https://img.example/c.jpg")
    );
    for (url, alt, message) in [
        (
            "http://img.example/c.jpg",
            Some("x"),
            "options[1].image_url: must start with https://",
        ),
        (
            "javascript:alert(1)",
            Some("x"),
            "options[1].image_url: must start with https://",
        ),
        (
            "https://",
            Some("x"),
            "options[1].image_url: must be a valid https URL",
        ),
        (
            "https://a.example/\"onerror=x",
            Some("x"),
            "options[1].image_url: must be a valid https URL",
        ),
        (
            "https://img.example/c.jpg",
            None,
            "options[1].image_alt: an image needs a text alternative",
        ),
    ] {
        let err = NewPoll::parse(image(url, alt), at(NOW), false).unwrap_err();
        assert_eq!(err.to_string(), message, "{url}");
    }
}

#[test]
fn kinds_times_and_methods_are_checked() {
    let mut req = with_kind(KindName::Multiple, &["a", "b", "c"]);
    req.min_choices = Some(2);
    req.max_choices = Some(4);
    assert!(
        NewPoll::parse(req.clone(), at(NOW), false)
            .unwrap_err()
            .to_string()
            .starts_with("min_choices")
    );
    req.max_choices = Some(3);
    assert!(NewPoll::parse(req, at(NOW), false).is_ok());
    let mut req = request(&["a", "b"]);
    req.min_choices = Some(1);
    assert!(
        NewPoll::parse(req, at(NOW), false).is_err(),
        "min_choices on a single-choice poll"
    );

    let mut req = request(&["a", "b"]);
    req.opens_at = Some(at(NOW + 100));
    req.closes_at = Some(at(NOW + 50));
    assert_eq!(
        NewPoll::parse(req.clone(), at(NOW), false)
            .unwrap_err()
            .to_string(),
        "closes_at: must be after opens_at"
    );
    req.opens_at = None;
    req.closes_at = Some(at(NOW - 1));
    assert_eq!(
        NewPoll::parse(req, at(NOW), false).unwrap_err().to_string(),
        "closes_at: must be in the future"
    );

    let mut req = request(&["a", "b"]);
    req.voter_method = MethodName::Card;
    let err = NewPoll::parse(req.clone(), at(NOW), false).unwrap_err();
    assert_eq!(err.code(), "card_hash_key_missing");
    assert!(NewPoll::parse(req, at(NOW), true).is_ok());
}

#[test]
fn create_get_list_and_status_filters() {
    let store = MemoryStore::new();
    let open = simple(&store, "open", &["a", "b"]);
    assert_eq!(get_poll(&store, &open.id).unwrap(), open);
    let mut req = request(&["a", "b"]);
    req.draft = true;
    create(&store, "draft", req);
    let mut req = request(&["a", "b"]);
    req.opens_at = Some(at(NOW + 3600));
    create(&store, "later", req);
    let mut req = request(&["a", "b"]);
    req.closes_at = Some(at(NOW + 60));
    create(&store, "soon", req);

    let ids = |status: Option<PollStatus>, now: i64| -> Vec<String> {
        let mut ids: Vec<String> = list(&store, at(now), status)
            .into_iter()
            .map(|(e, _)| e.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(None, NOW), ["draft", "later", "open", "soon"]);
    assert_eq!(ids(Some(PollStatus::Open), NOW), ["open", "soon"]);
    assert_eq!(ids(Some(PollStatus::Upcoming), NOW), ["later"]);
    assert_eq!(ids(Some(PollStatus::Draft), NOW), ["draft"]);
    // Status is derived from the times when read: an hour later, "soon" closed, "later" opened.
    assert_eq!(ids(Some(PollStatus::Closed), NOW + 3600), ["soon"]);
    assert_eq!(ids(Some(PollStatus::Open), NOW + 3600), ["later", "open"]);

    // Listing a page costs 1 counter read + 2 batch reads, however many polls.
    store.reset_ops();
    index::list(&store, at(NOW), None, None).unwrap();
    assert_eq!(store.ops().get_many, 3);
    assert_eq!(store.ops().total(), 3);

    delete_poll(&store, &id("soon")).unwrap();
    assert!(matches!(
        get_poll(&store, &id("soon")),
        Err(PollError::NotFound)
    ));
    assert_eq!(ids(None, NOW), ["draft", "later", "open"]);
    assert!(matches!(
        delete_poll(&store, &id("soon")),
        Err(PollError::NotFound)
    ));
}

#[test]
fn concurrent_creations_are_all_listed() {
    let store = MemoryStore::new();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let store = &store;
            scope.spawn(move || {
                for n in 0..10 {
                    // Contention may answer `busy`; a retry (as a client would) succeeds.
                    let poll_id = id(&format!("p{t}x{n}"));
                    let new = NewPoll::parse(request(&["a", "b"]), at(NOW), false).unwrap();
                    loop {
                        match create_poll(store, &clock(), poll_id.clone(), new.clone()) {
                            Ok(_) => break,
                            Err(PollError::Busy) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(list(&store, at(NOW), None).len(), 40);
}

/// Every page, newest first, following `next_page`.
fn list(
    store: &dyn KvStore,
    now: Timestamp,
    status: Option<PollStatus>,
) -> Vec<(Poll, PollStatus)> {
    let mut all = Vec::new();
    let mut page = None;
    loop {
        let listed = index::list(store, now, status, page).unwrap();
        all.extend(listed.polls);
        match listed.next_page {
            Some(next) => page = Some(next),
            None => return all,
        }
    }
}

#[test]
fn the_list_is_paged_with_bounded_work_and_small_values() {
    let store = MemoryStore::new();
    let long = "Q".repeat(MAX_QUESTION_CHARS);
    let n = PAGE_SLOTS * 2 + 7;
    for i in 0..n {
        let mut req = request(&["a", "b"]);
        req.question = long.clone();
        req.draft = i % 2 == 0;
        create(&store, &format!("p{i}"), req);
    }
    // Creating costs the same whatever the number of polls, and writes only small values.
    store.reset_ops();
    let poll = create(&store, "last", request(&["a", "b"]));
    assert_eq!(store.ops().increment, 1);
    assert_eq!(store.ops().set, 1);
    assert_eq!(store.ops().compare_and_swap, 1);
    assert_eq!(store.ops().total(), 3);
    let slot = poll.index_slot.unwrap();
    assert_eq!(slot, n + 1);
    assert!(
        store
            .get(&crate::keys::poll_index_slot(slot))
            .unwrap()
            .unwrap()
            .len()
            < 100
    );

    // First page: the newest PAGE_SLOTS, newest first; 3 calls, then 2 per following page.
    store.reset_ops();
    let first = index::list(&store, at(NOW), None, None).unwrap();
    assert_eq!(store.ops().total(), 3);
    assert_eq!(first.polls.len() as u64, PAGE_SLOTS);
    assert_eq!(first.polls[0].0.id.as_str(), "last");
    assert_eq!(first.polls[1].0.id.as_str(), format!("p{}", n - 1));
    assert_eq!(first.next_page, Some(n + 1 - PAGE_SLOTS));
    store.reset_ops();
    let second = index::list(&store, at(NOW), None, first.next_page).unwrap();
    assert_eq!(store.ops().total(), 2);
    assert_eq!(second.polls.len() as u64, PAGE_SLOTS);
    assert_eq!(list(&store, at(NOW), None).len() as u64, n + 1);
    let drafts = list(&store, at(NOW), Some(PollStatus::Draft));
    assert_eq!(drafts.len() as u64, n.div_ceil(2));
    assert!(drafts.iter().all(|(p, _)| !p.published));

    // Open, close and edit write the poll document only: one swap, no index write.
    store.reset_ops();
    close_poll(&store, &clock(), &poll.id).unwrap();
    assert_eq!(store.ops().compare_and_swap, 1);
    assert_eq!(store.ops().set + store.ops().increment, 0);
    let closed = list(&store, at(NOW), Some(PollStatus::Closed));
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].0.id, poll.id);

    // A deleted poll leaves the list; a slot whose poll is missing (a creation that crashed
    // after writing its slot) is skipped.
    delete_poll(&store, &poll.id).unwrap();
    index::reserve(&store, &id("ghost")).unwrap();
    assert_eq!(list(&store, at(NOW), None).len() as u64, n);
    assert!(
        list(&store, at(NOW), None)
            .iter()
            .all(|(p, _)| p.id != poll.id)
    );
}

#[test]
fn an_empty_store_lists_nothing() {
    let store = MemoryStore::new();
    let page = index::list(&store, at(NOW), None, None).unwrap();
    assert!(page.polls.is_empty());
    assert_eq!(page.next_page, None);
    assert_eq!(store.len(), 0);
}

#[test]
fn edits_are_refused_once_someone_voted() {
    let store = MemoryStore::new();
    let poll = simple(&store, "p", &["a", "b"]);
    let new = NewPoll::parse(q("Nouvelle question ?", &["x", "y", "z"]), at(NOW), false).unwrap();
    let edited = edit_poll(&store, &poll.id, new.clone()).unwrap();
    assert_eq!(edited.options.len(), 3);
    assert_eq!(edited.created_at, poll.created_at);
    assert_eq!(
        list(&store, at(NOW), None)[0].0.question,
        "Nouvelle question ?"
    );
    assert_eq!(edited.index_slot, poll.index_slot);
    cast(&store, &edited, &cookie(1), BallotInput::Single(2)).unwrap();
    assert!(matches!(
        edit_poll(&store, &poll.id, new),
        Err(PollError::HasVotes)
    ));
}

#[test]
fn open_and_close_follow_staff_and_the_clock() {
    let store = MemoryStore::new();
    let mut req = request(&["a", "b"]);
    req.opens_at = Some(at(NOW + 3600));
    let poll = create(&store, "p", req);
    assert!(matches!(
        cast(&store, &poll, &cookie(1), BallotInput::Single(0)),
        Err(PollError::NotOpen { .. })
    ));
    let poll = open_poll(&store, &clock(), &poll.id).unwrap();
    assert_eq!(poll.status(at(NOW)), PollStatus::Open);
    cast(&store, &poll, &cookie(1), BallotInput::Single(0)).unwrap();
    let poll = close_poll(&store, &clock(), &poll.id).unwrap();
    assert_eq!(poll.status(at(NOW)), PollStatus::Closed);
    assert_eq!(list(&store, at(NOW), Some(PollStatus::Closed)).len(), 1);
    assert!(matches!(
        cast(&store, &poll, &cookie(2), BallotInput::Single(0)),
        Err(PollError::Closed)
    ));
    let mut req = request(&["a", "b"]);
    req.draft = true;
    let draft = create(&store, "d", req);
    assert!(matches!(
        cast(&store, &draft, &cookie(2), BallotInput::Single(0)),
        Err(PollError::NotFound)
    ));
}

#[test]
fn single_choice_counts_once_per_voter() {
    let store = MemoryStore::new();
    let poll = simple(&store, "p", &["a", "b", "c"]);
    assert!(!has_voted(&store, &poll, &cookie(1)).unwrap());
    cast(&store, &poll, &cookie(1), BallotInput::Single(1)).unwrap();
    assert!(has_voted(&store, &poll, &cookie(1)).unwrap());
    assert!(matches!(
        cast(&store, &poll, &cookie(1), BallotInput::Single(2)),
        Err(PollError::AlreadyVoted)
    ));
    cast(&store, &poll, &cookie(2), BallotInput::Single(1)).unwrap();
    cast(&store, &poll, &cookie(3), BallotInput::Single(0)).unwrap();
    let results = results::read(&store, &poll).unwrap();
    assert_eq!(results.ballots, 3);
    assert_eq!(counts(&store, &poll), [1, 2, 0]);
    let percents: Vec<f64> = results.options.iter().map(|o| o.percent).collect();
    assert_eq!(percents, [33.3, 66.7, 0.0]);
    let ranks: Vec<usize> = results.options.iter().map(|o| o.rank).collect();
    assert_eq!(ranks, [2, 1, 3]);
    // A bad option changes nothing, and the voter may still vote.
    let err = cast(&store, &poll, &cookie(4), BallotInput::Single(3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "option: must be the index of one of the poll's 3 options, from 0 to 2"
    );
    assert!(!has_voted(&store, &poll, &cookie(4)).unwrap());
    // A ballot of another kind is refused by name.
    let err = cast(&store, &poll, &cookie(4), BallotInput::Multiple(vec![0])).unwrap_err();
    assert_eq!(err.code(), "invalid_ballot");
}

#[test]
fn multiple_choice_respects_min_and_max() {
    let store = MemoryStore::new();
    let mut req = with_kind(KindName::Multiple, &["a", "b", "c", "d"]);
    req.min_choices = Some(2);
    req.max_choices = Some(3);
    let poll = create(&store, "m", req);
    for bad in [vec![0], vec![0, 1, 2, 3], vec![0, 0], vec![0, 9]] {
        assert!(
            cast(
                &store,
                &poll,
                &cookie(1),
                BallotInput::Multiple(bad.clone())
            )
            .is_err(),
            "{bad:?}"
        );
    }
    cast(&store, &poll, &cookie(1), BallotInput::Multiple(vec![2, 0])).unwrap();
    cast(
        &store,
        &poll,
        &cookie(2),
        BallotInput::Multiple(vec![0, 1, 3]),
    )
    .unwrap();
    let results = results::read(&store, &poll).unwrap();
    assert_eq!(results.ballots, 2);
    assert_eq!(counts(&store, &poll), [2, 1, 1, 1]);
    // Shares are of voters: 100 % chose "a".
    assert_eq!(results.options[0].percent, 100.0);
}

#[test]
fn ranked_choice_uses_the_borda_count() {
    let store = MemoryStore::new();
    let poll = create(&store, "r", with_kind(KindName::Ranked, &["a", "b", "c"]));
    // Full rankings: 3, 2, 1 points.
    cast(
        &store,
        &poll,
        &cookie(1),
        BallotInput::Ranked(vec![0, 1, 2]),
    )
    .unwrap();
    cast(
        &store,
        &poll,
        &cookie(2),
        BallotInput::Ranked(vec![1, 2, 0]),
    )
    .unwrap();
    cast(
        &store,
        &poll,
        &cookie(3),
        BallotInput::Ranked(vec![1, 0, 2]),
    )
    .unwrap();
    // A truncated ballot: its only answer gets 1 point, the others none.
    cast(&store, &poll, &cookie(4), BallotInput::Ranked(vec![2])).unwrap();
    let results = results::read(&store, &poll).unwrap();
    assert_eq!(results.ballots, 4);
    assert_eq!(counts(&store, &poll), [3 + 1 + 2, 2 + 3 + 3, 1 + 2 + 1 + 1]);
    let ranks: Vec<usize> = results.options.iter().map(|o| o.rank).collect();
    assert_eq!(ranks, [2, 1, 3]);
    assert!(cast(&store, &poll, &cookie(5), BallotInput::Ranked(vec![])).is_err());
    assert!(cast(&store, &poll, &cookie(5), BallotInput::Ranked(vec![1, 1])).is_err());
}

#[test]
fn majority_judgment_counts_grades_and_ranks_by_median() {
    let store = MemoryStore::new();
    let poll = create(&store, "mj", with_kind(KindName::Majority, &["a", "b"]));
    for (n, grades) in [[3, 4], [3, 1], [4, 3], [2, 3]].into_iter().enumerate() {
        cast(
            &store,
            &poll,
            &cookie(n),
            BallotInput::Majority(grades.to_vec()),
        )
        .unwrap();
    }
    let results = results::read(&store, &poll).unwrap();
    assert_eq!(results.ballots, 4);
    let a: Distribution = [0, 0, 1, 2, 1, 0];
    let b: Distribution = [0, 1, 0, 2, 1, 0];
    assert_eq!(results.options[0].grades, Some(a));
    assert_eq!(results.options[1].grades, Some(b));
    // Both "Assez bien"; removing medians: a = [2,3,3,4], b = [1,3,3,4] differ at the
    // third removal (position 0): a wins.
    assert_eq!(results.options[0].majority_grade, Some(3));
    assert_eq!(results.options[0].rank, 1);
    assert_eq!(results.options[1].rank, 2);
    assert!(cast(&store, &poll, &cookie(9), BallotInput::Majority(vec![1])).is_err());
    assert!(cast(&store, &poll, &cookie(9), BallotInput::Majority(vec![1, 6])).is_err());
}

#[test]
fn changing_a_vote_moves_the_counters() {
    let store = MemoryStore::new();
    let mut req = with_kind(KindName::Ranked, &["a", "b", "c"]);
    req.allow_vote_change = true;
    let poll = create(&store, "c", req);
    assert_eq!(
        cast(
            &store,
            &poll,
            &cookie(1),
            BallotInput::Ranked(vec![0, 1, 2])
        )
        .unwrap(),
        VoteOutcome::Counted
    );
    assert_eq!(
        cast(&store, &poll, &cookie(1), BallotInput::Ranked(vec![2])).unwrap(),
        VoteOutcome::Changed
    );
    assert_eq!(counts(&store, &poll), [0, 0, 1]);
    assert_eq!(results::read(&store, &poll).unwrap().ballots, 1);
    // Not changeable once closed.
    let closed = close_poll(&store, &clock(), &poll.id).unwrap();
    assert!(matches!(
        cast(&store, &closed, &cookie(1), BallotInput::Ranked(vec![0])),
        Err(PollError::Closed)
    ));
}

#[test]
fn concurrent_changes_by_one_voter_stay_exact() {
    for kind in [KindName::Single, KindName::Majority] {
        let store = MemoryStore::new();
        let options = ["a", "b", "c", "d"];
        let mut req = with_kind(kind, &options);
        req.allow_vote_change = true;
        let poll = create(&store, "cc", req);
        let input = |n: usize| match kind {
            KindName::Single => BallotInput::Single(n % 4),
            _ => BallotInput::Majority(vec![n % 6, (n + 1) % 6, (n + 2) % 6, (n * 5) % 6]),
        };
        cast(&store, &poll, &cookie(1), input(0)).unwrap();
        std::thread::scope(|scope| {
            for t in 0..8 {
                let (store, poll) = (&store, &poll);
                scope.spawn(move || {
                    for n in 0..25 {
                        match cast(store, poll, &cookie(1), input(t * 25 + n)) {
                            Ok(_) | Err(PollError::Busy) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                });
            }
        });
        // Whatever interleaving happened, the counters say exactly the stored ballot.
        let stored = voting::stored_ballot(&store, &poll, &cookie(1))
            .unwrap()
            .unwrap();
        let fresh = MemoryStore::new();
        let mut req = with_kind(kind, &options);
        req.allow_vote_change = true;
        let reference = create(&fresh, "cc", req);
        vote(&fresh, at(NOW), &reference, &cookie(1), &stored).unwrap();
        assert_eq!(
            results::read(&store, &poll).unwrap(),
            results::read(&fresh, &reference).unwrap(),
            "{kind:?}"
        );
    }
}

#[test]
fn invitation_codes_are_single_use() {
    let store = MemoryStore::new();
    let mut req = request(&["a", "b"]);
    req.voter_method = MethodName::Codes;
    let poll = create(&store, "codes", req);
    let codes = [InviteCode::generate([1; 10]), InviteCode::generate([2; 10])];
    add_invite_codes(&store, &poll, &codes).unwrap();
    let code =
        |c: &InviteCode| Voter::Code(InviteCode::parse(&c.to_string().to_lowercase()).unwrap());
    cast(&store, &poll, &code(&codes[0]), BallotInput::Single(0)).unwrap();
    assert!(matches!(
        cast(&store, &poll, &code(&codes[0]), BallotInput::Single(1)),
        Err(PollError::AlreadyVoted)
    ));
    let unknown = Voter::Code(InviteCode::generate([3; 10]));
    assert!(matches!(
        cast(&store, &poll, &unknown, BallotInput::Single(1)),
        Err(PollError::InvalidCode)
    ));
    // A cookie cannot stand in for a code.
    assert!(matches!(
        cast(&store, &poll, &cookie(1), BallotInput::Single(1)),
        Err(PollError::WrongMethod(_))
    ));
    cast(&store, &poll, &code(&codes[1]), BallotInput::Single(1)).unwrap();
    assert_eq!(counts(&store, &poll), [1, 1]);
    // Codes only for code polls.
    let other = simple(&store, "other", &["a", "b"]);
    assert!(add_invite_codes(&store, &other, &codes).is_err());
}

#[test]
fn card_numbers_vote_once_whatever_their_typing() {
    let store = MemoryStore::new();
    let mut req = request(&["a", "b"]);
    req.voter_method = MethodName::Card;
    req.card_format = Some(CardFormat {
        min_length: 6,
        max_length: 10,
        charset: identity::CardCharset::Digits,
    });
    let poll = create(&store, "cards", req);
    let VoterMethod::Card { format } = poll.voter_method else {
        panic!()
    };
    let card = |raw: &str| {
        Voter::Card(identity::card_hash(
            "secret",
            &poll.id,
            &format.normalise(raw).unwrap(),
        ))
    };
    cast(&store, &poll, &card("123 456 789"), BallotInput::Single(0)).unwrap();
    assert!(matches!(
        cast(&store, &poll, &card("123-456-789"), BallotInput::Single(1)),
        Err(PollError::AlreadyVoted)
    ));
    // No card number is stored, only its keyed hash.
    let dump = format!("{:?}", store.get_keys().unwrap());
    assert!(!dump.contains("123456789"), "{dump}");
}

#[test]
fn results_visibility_rules() {
    let store = MemoryStore::new();
    let browser = VoterId::parse("browser-000000000001").unwrap();
    let public = Viewer {
        staff: false,
        browser: Some(&browser),
    };
    let staff = Viewer {
        staff: true,
        browser: None,
    };
    let make = |name: &str, visibility: ResultsVisibility, method: MethodName| {
        let mut req = request(&["a", "b"]);
        req.results_visibility = visibility;
        req.voter_method = method;
        create(&store, name, req)
    };
    let always = make("always", ResultsVisibility::Always, MethodName::Cookie);
    assert!(
        results::visible(
            &store,
            &always,
            at(NOW),
            Viewer {
                staff: false,
                browser: None
            }
        )
        .unwrap()
    );
    let hidden = make("staff", ResultsVisibility::Staff, MethodName::Cookie);
    assert!(!results::visible(&store, &hidden, at(NOW), public).unwrap());
    assert!(results::visible(&store, &hidden, at(NOW), staff).unwrap());
    let after_close = make(
        "afterclose",
        ResultsVisibility::AfterClose,
        MethodName::Cookie,
    );
    assert!(!results::visible(&store, &after_close, at(NOW), public).unwrap());
    let closed = close_poll(&store, &clock(), &after_close.id).unwrap();
    assert!(results::visible(&store, &closed, at(NOW), public).unwrap());

    let after_vote = make(
        "aftervote",
        ResultsVisibility::AfterVote,
        MethodName::Cookie,
    );
    assert!(!results::visible(&store, &after_vote, at(NOW), public).unwrap());
    cast(
        &store,
        &after_vote,
        &Voter::Cookie(browser.clone()),
        BallotInput::Single(0),
    )
    .unwrap();
    assert!(results::visible(&store, &after_vote, at(NOW), public).unwrap());

    let codes = make(
        "aftervotecodes",
        ResultsVisibility::AfterVote,
        MethodName::Codes,
    );
    assert!(!results::visible(&store, &codes, at(NOW), public).unwrap());
    voting::mark_seen(&store, &codes, &browser).unwrap();
    assert!(results::visible(&store, &codes, at(NOW), public).unwrap());
}

/// The store operations of `action`, on a poll that already has `prior` votes.
fn cost_with_prior_votes(
    kind: KindName,
    prior: usize,
    change: bool,
    action: &dyn Fn(&MemoryStore, &Poll),
) -> OpCounts {
    let store = MemoryStore::new();
    let options: Vec<String> = (0..20).map(|i| format!("o{i}")).collect();
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let mut req = with_kind(kind, &options);
    req.allow_vote_change = change;
    let poll = create(&store, "cost", req);
    let input = |n: usize| match kind {
        KindName::Single => BallotInput::Single(n % 20),
        KindName::Multiple => BallotInput::Multiple(vec![n % 20, (n + 1) % 20]),
        KindName::Ranked => BallotInput::Ranked(vec![n % 20, (n + 7) % 20, (n + 3) % 20]),
        KindName::Majority => BallotInput::Majority((0..20).map(|i| (n + i) % 6).collect()),
    };
    for n in 0..prior {
        cast(&store, &poll, &cookie(n), input(n)).unwrap();
    }
    store.reset_ops();
    action(&store, &poll);
    store.ops()
}

#[test]
fn costs_do_not_grow_with_the_number_of_votes() {
    for kind in [
        KindName::Single,
        KindName::Multiple,
        KindName::Ranked,
        KindName::Majority,
    ] {
        let new_vote = |store: &MemoryStore, poll: &Poll| {
            let ballot = match kind {
                KindName::Single => BallotInput::Single(3),
                KindName::Multiple => BallotInput::Multiple(vec![1, 2]),
                KindName::Ranked => BallotInput::Ranked(vec![1, 2, 3]),
                KindName::Majority => BallotInput::Majority(vec![5; 20]),
            };
            let poll = get_poll(store, &poll.id).unwrap();
            cast(store, &poll, &cookie(1_000_000), ballot).unwrap();
        };
        let read_results = |store: &MemoryStore, poll: &Poll| {
            let poll = get_poll(store, &poll.id).unwrap();
            results::read(store, &poll).unwrap();
        };
        let few = cost_with_prior_votes(kind, 10, false, &new_vote);
        let many = cost_with_prior_votes(kind, 10_000, false, &new_vote);
        assert_eq!(few, many, "vote, {kind:?}");
        assert_eq!(few.get_keys, 0);
        // Each with the day's participation counter (`analytics::participation`).
        let expected_increments = match kind {
            KindName::Single => 3,
            KindName::Multiple => 5,
            KindName::Ranked => 6,
            KindName::Majority => 22,
        };
        assert_eq!(
            (few.get, few.increment, few.total()),
            (1, expected_increments, 1 + expected_increments),
            "{kind:?}"
        );

        let few = cost_with_prior_votes(kind, 10, false, &read_results);
        let many = cost_with_prior_votes(kind, 10_000, false, &read_results);
        assert_eq!(few, many, "results, {kind:?}");
        assert_eq!(
            (few.get, few.get_many, few.total()),
            (1, 1, 2),
            "results write nothing"
        );
    }
    // Changing a vote: 1 read of the poll, 1 of the ballot, 1 swap, the differing counters.
    let change = |store: &MemoryStore, poll: &Poll| {
        let poll = get_poll(store, &poll.id).unwrap();
        cast(store, &poll, &cookie(0), BallotInput::Single(19)).unwrap();
    };
    let few = cost_with_prior_votes(KindName::Single, 10, true, &change);
    let many = cost_with_prior_votes(KindName::Single, 10_000, true, &change);
    assert_eq!(few, many);
    assert_eq!((few.get, few.compare_and_swap, few.increment), (2, 1, 2));
}

#[test]
fn concurrent_votes_give_an_exact_tally() {
    let store = MemoryStore::new();
    let poll = simple(&store, "busy", &["a", "b", "c"]);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (store, poll) = (&store, &poll);
            scope.spawn(move || {
                for v in 0..50 {
                    let n = t * 50 + v;
                    cast(store, poll, &cookie(n), BallotInput::Single(n % 3)).unwrap();
                }
            });
        }
    });
    assert_eq!(counts(&store, &poll), [134, 133, 133]);
}

#[test]
fn concurrent_double_submissions_count_once() {
    let store = MemoryStore::new();
    let poll = simple(&store, "dbl", &["a", "b"]);
    let results: Vec<Result<VoteOutcome, PollError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| cast(&store, &poll, &cookie(42), BallotInput::Single(0))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("voting thread panicked"))
            .collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, PollError::AlreadyVoted))
    );
    assert_eq!(counts(&store, &poll), [1, 0]);
}

/// A store whose count increments fail, and optionally the undo (a negative delta) too.
fn failing_counts(undo_fails: bool) -> FaultyStore {
    FaultyStore {
        fail_increment: Box::new(move |key, delta| {
            key.ends_with("/count/2") || (undo_fails && delta < 0)
        }),
        ..FaultyStore::new()
    }
}

#[test]
fn a_failed_count_is_taken_back_with_the_claim() {
    let store = failing_counts(false);
    let mut req = with_kind(KindName::Multiple, &["a", "b", "c"]);
    req.max_choices = Some(3);
    let poll = create(&store.inner, "p", req);
    // Counting "a" succeeds, then "c" fails: "a" is taken back too.
    let err = cast(&store, &poll, &cookie(1), BallotInput::Multiple(vec![0, 2])).unwrap_err();
    assert!(matches!(err, PollError::Storage(_)), "{err:?}");
    assert!(!has_voted(&store.inner, &poll, &cookie(1)).unwrap());
    assert_eq!(counts(&store.inner, &poll), [0, 0, 0]);
    cast(
        &store.inner,
        &poll,
        &cookie(1),
        BallotInput::Multiple(vec![0, 2]),
    )
    .unwrap();
    assert_eq!(counts(&store.inner, &poll), [1, 0, 1]);

    // If the undo fails as well, the error is still the answer and the vote is never
    // counted twice.
    let store = failing_counts(true);
    let poll = simple(&store.inner, "p", &["a", "b", "c"]);
    assert!(cast(&store, &poll, &cookie(1), BallotInput::Single(2)).is_err());
    assert!(matches!(
        cast(&store.inner, &poll, &cookie(1), BallotInput::Single(2)),
        Err(PollError::AlreadyVoted)
    ));
}

#[test]
fn ids_are_parsed_at_the_boundary() {
    assert!(PollId::parse("abc123").is_ok());
    for bad in ["", "ABC", "a-b", "a/b", "../x", "é", &"a".repeat(41)] {
        assert!(PollId::parse(bad).is_err(), "{bad:?}");
    }
    let generated = PollId::generate([7; 10]);
    assert_eq!(PollId::parse(generated.as_str()).unwrap(), generated);
    for bad in [
        "short",
        "has space in it ok",
        "semi;colon1234567",
        &"a".repeat(65),
    ] {
        assert!(VoterId::parse(bad).is_err(), "{bad:?}");
    }
    assert!(serde_json::from_str::<PollId>("\"NOPE\"").is_err());
}

#[test]
fn polls_stored_before_kinds_still_read() {
    let old =
        r#"{"id":"old","question":"Q ?","options":["a","b"],"created_at":"2026-11-29T15:00:00Z"}"#;
    let poll: Poll = serde_json::from_str(old).unwrap();
    assert_eq!(poll.kind, PollKind::Single);
    assert!(poll.published);
    assert_eq!(poll.options[1].text, "b");
    assert_eq!(poll.status(at(NOW)), PollStatus::Open);
}

#[test]
fn extreme_poll_dates_are_refused_by_the_request() {
    for field in ["opens_at", "closes_at"] {
        for raw in [
            "+262143-01-01T00:00:00Z",
            "-262144-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
        ] {
            let json = serde_json::json!({"question": "Q ?", "options": ["a", "b"], field: raw});
            let error = serde_json::from_value::<CreatePollRequest>(json).unwrap_err();
            assert!(error.to_string().contains("1970"), "{field} {raw}: {error}");
        }
    }
}

#[test]
fn a_poll_takes_an_illustration_from_the_library_or_an_address() {
    use crate::media::MediumId;
    let store = MemoryStore::new();
    let medium = MediumId::generate([9; 10]);
    crate::showcases::library::put_medium(&store, &medium, (1200, 800));
    let illustrated = |image: serde_json::Value| CreatePollRequest {
        image: Some(serde_json::from_value(image).unwrap()),
        ..request(&["Oui", "Non"])
    };
    let poll = create(
        &store,
        "illustrated",
        illustrated(serde_json::json!({"medium": medium, "alt": "Le jardin de la médiathèque"})),
    );
    let image = poll.image.as_ref().unwrap();
    assert_eq!((image.image.width, image.image.height), (1200, 800));
    assert_eq!(image.alt, "Le jardin de la médiathèque");
    assert_eq!(get_poll(&store, &poll.id).unwrap(), poll);
    // The poll page reads the poll alone, as before.
    store.reset_ops();
    get_poll(&store, &poll.id).unwrap();
    assert_eq!(store.ops().total(), 1);

    let outside = create(
        &store,
        "outside",
        illustrated(
            serde_json::json!({"url": "https://img.example/j.jpg", "width": 640,
                                       "height": 480, "alt": "Un jardin"}),
        ),
    );
    assert_eq!(
        outside.image.as_ref().unwrap().image.src(),
        "https://img.example/j.jpg"
    );

    let gone = MediumId::generate([10; 10]);
    let new = NewPoll::parse(
        illustrated(serde_json::json!({"medium": gone, "alt": "a"})),
        at(NOW),
        true,
    )
    .unwrap();
    let refused = create_poll(&store, &clock(), id("gone"), new).unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "image.medium: the media library has no medium {gone} (deleted, or never uploaded)"
        )
    );
    let no_alt = NewPoll::parse(
        illustrated(serde_json::json!({"medium": medium})),
        at(NOW),
        true,
    )
    .unwrap_err();
    assert_eq!(
        no_alt.to_string(),
        "image.alt: every image needs alternative text describing it for patrons who cannot see it"
    );
    // Polls stored before illustrations read as before, without one.
    let mut old = serde_json::to_value(&poll).unwrap();
    old.as_object_mut().unwrap().remove("image");
    let old: Poll = serde_json::from_value(old).unwrap();
    assert_eq!(old.image, None);
}
