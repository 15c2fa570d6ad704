use super::*;
use crate::campaigns::{self, CampaignRequest, NewCampaign, receive_mention, wall};
use crate::clock::{FixedClock, Timestamp};
use crate::hashtag::Hashtag;
use crate::moderation::Decision;
use crate::store::MemoryStore;

fn day(d: &str) -> FixedClock {
    FixedClock(Timestamp::parse(&format!("{d}T10:00:00Z")).unwrap())
}

fn campaign(store: &MemoryStore, n: u8, tag: &str) -> CampaignId {
    let request = CampaignRequest {
        name: format!("Campagne {n}"),
        slug: None,
        description: "Lisez !".to_owned(),
        starts_on: "2026-03-01".to_owned(),
        ends_on: "2027-02-28".to_owned(),
        hashtags: vec![tag.to_owned()],
        links: Vec::new(),
    };
    let new = NewCampaign::parse(request).unwrap();
    campaigns::create(
        store,
        &day("2026-03-01"),
        CampaignId::generate([n; 10]),
        new,
    )
    .unwrap()
    .id
}

fn mention(id: &str, handle: &str, tags: &[&str]) -> Mention {
    Mention {
        platform: MentionPlatform::Mastodon,
        platform_id: id.to_owned(),
        author_name: "Lectrice".to_owned(),
        author_handle: handle.to_owned(),
        author_url: None,
        text: format!("Post {id}"),
        url: None,
        media_alt: Vec::new(),
        created_at: day("2026-02-01").now(),
        hashtags: tags.iter().map(|t| Hashtag::parse(t).unwrap()).collect(),
    }
}

/// Files a mention on `d` and approves it everywhere it was filed.
fn approved(store: &MemoryStore, d: &str, m: &Mention) -> Vec<(CampaignId, u64)> {
    let received = receive_mention(store, &day(d), m).unwrap();
    for (c, seq) in &received.filed {
        wall::moderate(store, &day(d), c, *seq, Decision::Approve).unwrap();
    }
    received.filed
}

fn wall_texts(store: &MemoryStore, c: &CampaignId) -> Vec<String> {
    wall::wall_page(store, c, 1, 100)
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.mention.text)
        .collect()
}

fn queue_len(store: &MemoryStore, c: &CampaignId) -> usize {
    wall::queue(store, c, None, 1, 100).unwrap().items.len()
}

#[test]
fn a_post_deleted_on_its_platform_leaves_every_wall_and_queue() {
    let store = MemoryStore::new();
    let a = campaign(&store, 1, "Lire");
    let b = campaign(&store, 2, "Poesie");
    let uri = "https://social.example/users/ana/statuses/701";
    approved(
        &store,
        "2026-03-01",
        &mention(uri, "@ana@social.example", &["Lire", "Poesie"]),
    );
    approved(
        &store,
        "2026-03-01",
        &mention("https://x/2", "@bob@x", &["Lire"]),
    );
    // The webhook's status also had its local id: a deletion may name either.
    record_alias(&store, &MentionPlatform::Mastodon, uri, "701").unwrap();
    assert_eq!(wall_texts(&store, &a).len(), 2);

    let removed = remove_post(&store, &MentionPlatform::Mastodon, "701").unwrap();
    assert_eq!(removed, 2, "both campaigns' copies");
    assert_eq!(wall_texts(&store, &a), vec!["Post https://x/2".to_owned()]);
    assert!(wall_texts(&store, &b).is_empty());
    assert_eq!(queue_len(&store, &a), 1, "gone from the staff queue too");
    // Nothing about it is left but the dedupe claim (following must not file it again).
    let seen = wall::seen_hash_of(&MentionPlatform::Mastodon, uri);
    assert_eq!(store.get(&keys::mention_at(&seen)).unwrap(), None);
    let refiled = receive_mention(
        &store,
        &day("2026-03-02"),
        &mention(uri, "@ana@social.example", &["Lire"]),
    )
    .unwrap();
    assert!(refiled.duplicate);
    // Again, or by the uri, or an unknown post: nothing to do, no error.
    assert_eq!(
        remove_post(&store, &MentionPlatform::Mastodon, "701").unwrap(),
        0
    );
    assert_eq!(
        remove_post(&store, &MentionPlatform::Mastodon, uri).unwrap(),
        0
    );
    assert_eq!(
        remove_post(&store, &MentionPlatform::Meta, "nope").unwrap(),
        0
    );
}

#[test]
fn an_author_is_erased_by_handle_in_pages_whatever_the_case() {
    let store = MemoryStore::new();
    let a = campaign(&store, 1, "Lire");
    for n in 0..(ERASE_PAGE + 5) {
        let m = mention(
            &format!("https://s/ana/{n}"),
            "@Ana@Social.example",
            &["Lire"],
        );
        receive_mention(&store, &day("2026-03-01"), &m).unwrap();
    }
    approved(
        &store,
        "2026-03-01",
        &mention("https://s/bob/1", "@bob@social.example", &["Lire"]),
    );
    let first = erase_author(&store, "ana@social.example", 1).unwrap();
    assert_eq!(first.removed, ERASE_PAGE as usize);
    let next = first.next_from.expect("more to erase");
    let second = erase_author(&store, "@ANA@social.example", next).unwrap();
    assert_eq!((second.removed, second.next_from), (5, None));
    assert_eq!(queue_len(&store, &a), 1);
    assert_eq!(
        wall_texts(&store, &a),
        vec!["Post https://s/bob/1".to_owned()]
    );
    // An unknown handle: nothing.
    assert_eq!(erase_author(&store, "@nobody@x", 1).unwrap().removed, 0);
}

#[test]
fn mentions_past_their_retention_are_purged_in_bounded_calls() {
    let store = MemoryStore::new();
    let a = campaign(&store, 1, "Lire");
    let b = campaign(&store, 2, "Poesie");
    // 150 old mentions in a, received 2026-03-01; 2 recent ones in a, 1 old one in b.
    for n in 0..150 {
        let m = mention(&format!("https://s/old/{n}"), "@ana@s", &["Lire"]);
        receive_mention(&store, &day("2026-03-01"), &m).unwrap();
    }
    approved(
        &store,
        "2027-02-27",
        &mention("https://s/new/1", "@ana@s", &["Lire"]),
    );
    approved(
        &store,
        "2027-02-28",
        &mention("https://s/new/2", "@bob@s", &["Lire"]),
    );
    approved(
        &store,
        "2026-03-01",
        &mention("https://s/b/1", "@cy@s", &["Poesie"]),
    );

    // 2027-03-20: 384 days after the old ones, within 395: nothing goes.
    let early = purge_due(&store, &day("2027-03-20"), DEFAULT_RETENTION_DAYS).unwrap();
    assert_eq!(
        early,
        Purge {
            removed: 0,
            more: false
        }
    );

    // 2027-04-15: the 2026-03-01 ones are past; the budget takes two calls.
    let later = day("2027-04-15");
    let before = store.ops();
    let first = purge_due(&store, &later, DEFAULT_RETENTION_DAYS).unwrap();
    assert_eq!(
        first,
        Purge {
            removed: PURGE_BUDGET as usize,
            more: true
        }
    );
    let calls = store.ops().total() - before.total();
    // Per mention: 1 read (location), 1 read (item) and 4 deletes; plus a handful.
    assert!(calls <= 6 * PURGE_BUDGET + 20, "{calls} calls");
    let mut removed = first.removed;
    for _ in 0..5 {
        let next = purge_due(&store, &later, DEFAULT_RETENTION_DAYS).unwrap();
        removed += next.removed;
        if !next.more {
            break;
        }
    }
    assert_eq!(removed, 151);
    assert_eq!(wall_texts(&store, &a).len(), 2, "recent ones kept");
    assert!(wall_texts(&store, &b).is_empty());
    // Erasing ana, page by page, finds only the recent one: the purged ones are gone.
    let (mut erased, mut from) = (0, Some(1));
    while let Some(page) = from {
        let erasure = erase_author(&store, "@ana@s", page).unwrap();
        erased += erasure.removed;
        from = erasure.next_from;
    }
    assert_eq!(erased, 1);
    // The erasure left a gap the next purge steps over (one mark moves); after that, a purge
    // with nothing due reads a few keys per campaign and writes nothing.
    purge_due(&store, &later, DEFAULT_RETENTION_DAYS).unwrap();
    let before = store.ops();
    assert_eq!(
        purge_due(&store, &later, DEFAULT_RETENTION_DAYS)
            .unwrap()
            .removed,
        0
    );
    let after = store.ops();
    let writes = |o: &crate::store::OpCounts| o.set + o.delete + o.increment + o.compare_and_swap;
    assert_eq!(writes(&after), writes(&before));
}
