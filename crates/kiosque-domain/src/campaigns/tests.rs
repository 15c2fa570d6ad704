use super::*;
use crate::clock::FixedClock;
use crate::moderation::{Decision, Status};
use crate::posts::{self, NewPost, PostRequest, TargetStatus};
use crate::store::MemoryStore;
use crate::web::HttpsUrl;

// 2026-11-29, a Sunday.
fn clock() -> FixedClock {
    FixedClock(Timestamp::parse("2026-11-29T10:00:00Z").unwrap())
}

fn request(name: &str, tags: &[&str]) -> CampaignRequest {
    CampaignRequest {
        name: name.to_owned(),
        slug: None,
        description: "Lisez, partagez !".to_owned(),
        starts_on: "2026-11-01".to_owned(),
        ends_on: "2026-12-31".to_owned(),
        hashtags: tags.iter().map(|t| t.to_string()).collect(),
        links: Vec::new(),
    }
}

fn id(n: u8) -> CampaignId {
    CampaignId::generate([n; 10])
}

fn new_campaign(store: &MemoryStore, n: u8, name: &str, tags: &[&str]) -> Campaign {
    let new = NewCampaign::parse(request(name, tags)).unwrap();
    create(store, &clock(), id(n), new).unwrap()
}

fn mention(platform_id: &str, tags: &[&str]) -> Mention {
    Mention {
        platform: MentionPlatform::Mastodon,
        platform_id: platform_id.to_owned(),
        author_name: "Lectrice".to_owned(),
        author_handle: "@lectrice@example.social".to_owned(),
        author_url: Some(HttpsUrl::parse("url", "https://example.social/@lectrice", 200).unwrap()),
        text: "J'ai lu toute la nuit <3 #NuitDeLaLecture".to_owned(),
        url: Some(HttpsUrl::parse("url", "https://example.social/@lectrice/1", 200).unwrap()),
        media_alt: vec!["Une pile de livres".to_owned()],
        created_at: clock().now(),
        hashtags: tags.iter().map(|t| Hashtag::parse(t).unwrap()).collect(),
    }
}

#[test]
fn campaigns_are_validated_with_clear_errors() {
    let check = |change: &dyn Fn(&mut CampaignRequest), expected: &str| {
        let mut bad = request("Nuit de la lecture", &["nuit de la lecture"]);
        change(&mut bad);
        let error = NewCampaign::parse(bad).unwrap_err().to_string();
        assert!(
            error.contains(expected),
            "{error} should contain {expected}"
        );
    };
    check(&|r| r.name = "  ".to_owned(), "name: must not be empty");
    check(
        &|r| r.starts_on = "29/11/2026".to_owned(),
        "starts_on: must be a date",
    );
    check(
        &|r| r.ends_on = "2026-10-01".to_owned(),
        "ends_on: must not be before",
    );
    check(&|r| r.ends_on = "2028-01-01".to_owned(), "at most 366 days");
    check(&|r| r.hashtags.clear(), "hashtags: from 1 to 5");
    check(
        &|r| r.hashtags.push("lire!".to_owned()),
        "hashtags[1]: '!' is not allowed",
    );
    check(
        &|r| r.hashtags.push("#NUITDELALECTURE".to_owned()),
        "already listed",
    );
    check(
        &|r| r.slug = Some("Nuit Lecture".to_owned()),
        "slug: must be",
    );
    check(
        &|r| {
            r.links.push(LinkRequest {
                kind: LinkKind::Poll,
                id: None,
                path: Some("/contests/abc".to_owned()),
            })
        },
        "links[0]: path: must start with /polls/",
    );
    let mut good = request("Nuit de la lecture", &["nuit de la lecture"]);
    good.links.push(LinkRequest {
        kind: LinkKind::Contest,
        id: Some("abc".to_owned()),
        path: None,
    });
    let new = NewCampaign::parse(good).unwrap();
    assert_eq!(new.links[0].path, "/contests/abc");
    assert_eq!(new.hashtags[0].as_str(), "NuitDeLaLecture");
}

#[test]
fn created_campaigns_are_found_by_id_slug_and_list_and_keep_their_slug() {
    let store = MemoryStore::new();
    let first = new_campaign(&store, 1, "Nuit de la lecture 2026 !", &["NuitDeLaLecture"]);
    assert_eq!(first.slug.as_str(), "nuit-de-la-lecture-2026");
    let second = new_campaign(&store, 2, "Fête de la science", &["FêteDeLaScience"]);
    assert_eq!(second.slug.as_str(), "fete-de-la-science");
    assert_eq!(by_slug(&store, &second.slug).unwrap(), second);
    let names: Vec<String> = list(&store).unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Fête de la science", "Nuit de la lecture 2026 !"]);

    let taken = NewCampaign::parse(request("Nuit de la lecture 2026", &["Lire"])).unwrap();
    assert!(matches!(
        create(&store, &clock(), id(3), taken),
        Err(CampaignError::SlugTaken(_))
    ));

    let mut edit = request("Nuit de la lecture", &["NuitDeLaLecture", "Lire"]);
    edit.slug = Some("nuit-de-la-lecture-2026".to_owned());
    let edited = update(
        &store,
        &clock(),
        &first.id,
        NewCampaign::parse(edit).unwrap(),
    )
    .unwrap();
    assert_eq!(edited.hashtags.len(), 2);
    assert_eq!(edited.slug, first.slug);
    let mut moved = request("Nuit", &["Lire"]);
    moved.slug = Some("autre".to_owned());
    assert!(
        update(
            &store,
            &clock(),
            &first.id,
            NewCampaign::parse(moved).unwrap()
        )
        .unwrap_err()
        .to_string()
        .contains("cannot change")
    );
    let active = active_campaign_hashtags(&store, &clock()).unwrap();
    assert_eq!(active.len(), 2);
    assert!(active.contains(&(first.id.clone(), edited.hashtags.clone())));
    assert!(matches!(
        update(
            &store,
            &clock(),
            &id(9),
            NewCampaign::parse(request("x", &["x"])).unwrap()
        ),
        Err(CampaignError::NotFound)
    ));
}

#[test]
fn only_campaigns_running_today_are_active() {
    let store = MemoryStore::new();
    let mut past = request("Été 2026", &["Été2026"]);
    past.starts_on = "2026-07-01".to_owned();
    past.ends_on = "2026-08-31".to_owned();
    create(&store, &clock(), id(1), NewCampaign::parse(past).unwrap()).unwrap();
    let current = new_campaign(&store, 2, "Nuit", &["NuitDeLaLecture"]);
    let active = active_campaign_hashtags(&store, &clock()).unwrap();
    assert_eq!(active, vec![(current.id, current.hashtags)]);
    // A mention of the ended campaign's tag is not filed anywhere.
    let received = receive_mention(&store, &clock(), &mention("1", &["été2026"])).unwrap();
    assert_eq!(received, Received::default());
}

#[test]
fn mentions_are_filed_once_under_every_matching_campaign() {
    let store = MemoryStore::new();
    let nuit = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture"]);
    let lire = new_campaign(&store, 2, "Lire", &["Lire", "NuitDeLaLecture"]);
    let _other = new_campaign(&store, 3, "Science", &["FêteDeLaScience"]);

    let received =
        receive_mention(&store, &clock(), &mention("109", &["nuitdelalecture"])).unwrap();
    assert_eq!(
        received.filed,
        vec![(nuit.id.clone(), 1), (lire.id.clone(), 1)]
    );
    assert!(!received.duplicate);
    let again = receive_mention(&store, &clock(), &mention("109", &["NuitDeLaLecture"])).unwrap();
    assert!(again.duplicate);
    assert!(again.filed.is_empty());
    // The same id on another platform is another post.
    let mut bsky = mention("109", &["NuitDeLaLecture"]);
    bsky.platform = MentionPlatform::Bluesky;
    assert_eq!(
        receive_mention(&store, &clock(), &bsky)
            .unwrap()
            .filed
            .len(),
        2
    );

    let queue = wall::queue(&store, &nuit.id, None, 1, 20).unwrap();
    assert_eq!(queue.total, 2);
    assert!(queue.items.iter().all(|i| i.status == Status::Pending));
    assert_eq!(queue.items[0].mention.platform, MentionPlatform::Bluesky);
    // Nothing is public before moderation.
    assert!(
        wall::wall_page(&store, &nuit.id, 1, 20)
            .unwrap()
            .items
            .is_empty()
    );

    let mut empty = mention("", &["Lire"]);
    empty.platform_id.clear();
    assert!(matches!(
        receive_mention(&store, &clock(), &empty),
        Err(CampaignError::Invalid(_))
    ));
}

#[test]
fn patron_text_is_bounded_and_stripped_of_direction_controls() {
    let store = MemoryStore::new();
    let nuit = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture"]);
    let mut long = mention("1", &["NuitDeLaLecture"]);
    long.text = format!("a\u{202E}b{}", "x".repeat(10_000));
    long.media_alt = vec!["alt".to_owned(); 9];
    receive_mention(&store, &clock(), &long).unwrap();
    let item = &wall::queue(&store, &nuit.id, None, 1, 20).unwrap().items[0];
    assert_eq!(item.mention.text.chars().count(), wall::MAX_TEXT_CHARS);
    assert!(item.mention.text.starts_with("abx"));
    assert_eq!(item.mention.media_alt.len(), wall::MAX_MEDIA);
}

#[test]
fn moderation_puts_approved_mentions_on_the_wall_newest_first() {
    let store = MemoryStore::new();
    let nuit = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture"]);
    for n in 1..=5 {
        receive_mention(
            &store,
            &clock(),
            &mention(&n.to_string(), &["NuitDeLaLecture"]),
        )
        .unwrap();
    }
    for seq in [1, 2, 4, 5] {
        wall::moderate(&store, &clock(), &nuit.id, seq, Decision::Approve).unwrap();
    }
    let rejected = wall::moderate(
        &store,
        &clock(),
        &nuit.id,
        3,
        Decision::Reject {
            reason: Some("hors sujet".to_owned()),
        },
    )
    .unwrap();
    assert_eq!(rejected.status, Status::Rejected);
    // Approving twice keeps one entry; withdrawing removes it.
    wall::moderate(&store, &clock(), &nuit.id, 5, Decision::Approve).unwrap();
    wall::moderate(
        &store,
        &clock(),
        &nuit.id,
        4,
        Decision::Reject { reason: None },
    )
    .unwrap();

    let page = wall::wall_page(&store, &nuit.id, 1, 2).unwrap();
    let seqs: Vec<u64> = page.items.iter().map(|i| i.seq).collect();
    assert_eq!(seqs, [5, 2]);
    assert_eq!(page.total, 3);
    assert_eq!(page.next_page, Some(2));
    let page2 = wall::wall_page(&store, &nuit.id, 2, 2).unwrap();
    assert_eq!(page2.items.iter().map(|i| i.seq).collect::<Vec<_>>(), [1]);
    assert_eq!(page2.next_page, None);

    let pending = wall::queue(&store, &nuit.id, Some(Status::Rejected), 1, 20).unwrap();
    assert_eq!(
        pending.items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        [4, 3]
    );
    assert!(matches!(
        wall::moderate(&store, &clock(), &nuit.id, 99, Decision::Approve),
        Err(CampaignError::MentionNotFound)
    ));
}

#[test]
fn engagement_counts_mentions_and_posts_per_day_and_hashtag() {
    let store = MemoryStore::new();
    let campaign = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture", "Lire"]);
    receive_mention(&store, &clock(), &mention("1", &["NuitDeLaLecture"])).unwrap();
    receive_mention(
        &store,
        &clock(),
        &mention("2", &["nuitdelalecture", "lire"]),
    )
    .unwrap();
    receive_mention(&store, &clock(), &mention("2", &["lire"])).unwrap(); // duplicate
    let yesterday = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    engagement::record_post(&store, &campaign.id, yesterday, &campaign.hashtags).unwrap();

    let (from, to) = engagement::default_range(&campaign, today(&clock()));
    assert_eq!(
        (from.to_string(), to.to_string()),
        ("2026-11-01".into(), "2026-11-29".into())
    );
    let stats = engagement::read(&store, &campaign, from, to).unwrap();
    assert_eq!((stats.mentions, stats.posts), (2, 1));
    assert_eq!(stats.days.len(), 29);
    let day = stats.days.last().unwrap();
    assert_eq!((day.mentions, day.posts), (2, 0));
    let counts: Vec<(String, u64)> = day
        .hashtags
        .iter()
        .map(|t| (t.hashtag.as_str().to_owned(), t.mentions))
        .collect();
    assert_eq!(
        counts,
        [("NuitDeLaLecture".to_owned(), 2), ("Lire".to_owned(), 1)]
    );
    assert_eq!(stats.days[27].posts, 1);
    assert_eq!(stats.days[27].hashtags[1].posts, 1);
    assert!(engagement::read(&store, &campaign, to, from).is_err());
    let long_ago = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    assert!(engagement::read(&store, &campaign, long_ago, to).is_err());
}

fn post_request(campaign: Option<&CampaignId>) -> PostRequest {
    PostRequest {
        text: "Ce soir, on lit !".to_owned(),
        hashtags: vec!["lire".to_owned(), "Bibliothèque".to_owned()],
        channels: vec!["masto".to_owned()],
        campaign: campaign.map(|c| c.to_string()),
        ..PostRequest::default()
    }
}

#[test]
fn posts_of_a_campaign_carry_its_hashtags_and_are_listed_and_counted() {
    let store = MemoryStore::new();
    let campaign = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture", "Lire"]);
    let now = clock().now();
    let new = NewPost::parse(&post_request(Some(&campaign.id))).unwrap();
    let post = posts::create(&store, now, posts::PostId::generate([7; 10]), new).unwrap();
    assert_eq!(post.campaign.as_deref(), Some(campaign.id.as_str()));
    // The post's own tags first, then the campaign's, "Lire" once.
    assert_eq!(
        post.resolved_hashtags(),
        ["Lire", "Bibliothèque", "NuitDeLaLecture"]
    );
    let other = NewPost::parse(&post_request(None)).unwrap();
    posts::create(&store, now, posts::PostId::generate([8; 10]), other).unwrap();

    let listed = posts::by_campaign::page(&store, &campaign.id, 1).unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].id, post.id);

    let unknown = NewPost::parse(&post_request(Some(&id(9)))).unwrap();
    let Err(posts::PostError::Invalid(errors)) =
        posts::create(&store, now, posts::PostId::generate([9; 10]), unknown)
    else {
        panic!("an unknown campaign is a field error");
    };
    assert_eq!(errors[0].field, "campaign");

    // Published on one channel: counted once, on that day, for each campaign tag.
    let mut out = post.clone();
    out.targets[0].status = TargetStatus::Published {
        platform_id: "1".to_owned(),
        url: "https://masto.example/@bib/1".to_owned(),
        at: now,
    };
    crate::posts::tick::count_published_in_campaign(&store, &post, &out, now);
    crate::posts::tick::count_published_in_campaign(&store, &out, &out, now);
    let stats = engagement::read(&store, &campaign, today(&clock()), today(&clock())).unwrap();
    assert_eq!(stats.posts, 1);
    assert_eq!(stats.days[0].hashtags[0].posts, 1);
}

#[test]
fn store_operations_stay_bounded_whatever_the_history() {
    fn costs(history: u64) -> [u64; 6] {
        let store = MemoryStore::new();
        let campaign = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture", "Lire"]);
        for n in 2..=u8::try_from(2 + history.min(150)).unwrap() {
            new_campaign(&store, n, &format!("Campagne {n}"), &[&format!("Tag{n}")]);
        }
        for n in 0..history {
            receive_mention(&store, &clock(), &mention(&format!("h{n}"), &["Lire"])).unwrap();
            wall::moderate(&store, &clock(), &campaign.id, n + 1, Decision::Approve).unwrap();
            let mut random = [0u8; 10];
            random[..8].copy_from_slice(&n.to_le_bytes());
            let new = NewPost::parse(&post_request(Some(&campaign.id))).unwrap();
            posts::create(&store, clock().now(), posts::PostId::generate(random), new).unwrap();
        }
        let measure = |f: &dyn Fn()| {
            store.reset_ops();
            f();
            store.ops().total()
        };
        let receive = measure(&|| {
            receive_mention(
                &store,
                &clock(),
                &mention("new", &["NuitDeLaLecture", "lire"]),
            )
            .unwrap();
        });
        let last = history + 1;
        let moderate = measure(&|| {
            wall::moderate(&store, &clock(), &campaign.id, last, Decision::Approve).unwrap();
        });
        let wall_page = measure(&|| {
            let c = by_slug(&store, &campaign.slug).unwrap();
            wall::wall_page(&store, &c.id, 1, wall::PER_PAGE).unwrap();
        });
        let staff = measure(&|| {
            get(&store, &campaign.id).unwrap();
            crate::posts::by_campaign::page(&store, &campaign.id, 1).unwrap();
            wall::queue(&store, &campaign.id, None, 1, 20).unwrap();
        });
        let stats = measure(&|| {
            let c = get(&store, &campaign.id).unwrap();
            let (from, to) = engagement::default_range(&c, today(&clock()));
            engagement::read(&store, &c, from, to).unwrap();
        });
        let unmatched = measure(&|| {
            receive_mention(&store, &clock(), &mention("x", &["Rien"])).unwrap();
        });
        [receive, moderate, wall_page, staff, stats, unmatched]
    }
    let few = costs(3);
    let many = costs(400);
    assert_eq!(few, many, "costs must not grow with history");
    // receive: index read + claim (1 batch read, stamp, increment) + reservation (seq,
    // author reference: 1 increment + 1 write, pending location) + (item, 1 + 2 tag
    // counters) + location complete = 13; moderate: 2 reads
    // and 2 CAS; wall page: slug, campaign, approved list, 1 batch; staff view: campaign, 3
    // batch reads of posts, 2 of the queue; engagement: campaign + 1 batch; no match: 1 read.
    assert_eq!(few, [13, 4, 4, 6, 2, 1]);
}

#[test]
fn a_creation_that_fails_halfway_gives_its_slug_back() {
    let mut store = crate::store::FaultyStore::new();
    store.lose_swaps = true;
    let new = || NewCampaign::parse(request("Nuit", &["NuitDeLaLecture"])).unwrap();
    assert!(matches!(
        create(&store, &clock(), id(1), new()),
        Err(CampaignError::Busy)
    ));
    store.lose_swaps = false;
    let campaign = create(&store, &clock(), id(2), new()).unwrap();
    assert_eq!(campaign.slug.as_str(), "nuit");
    assert_eq!(by_slug(&store, &campaign.slug).unwrap().id, id(2));
    assert_eq!(list(&store).unwrap().len(), 1);
}

#[test]
fn a_mention_that_could_not_be_filed_is_filed_on_redelivery() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let broken = Arc::new(AtomicBool::new(false));
    let mut store = crate::store::FaultyStore::new();
    let flag = broken.clone();
    store.fail_increment =
        Box::new(move |key, _| flag.load(Ordering::SeqCst) && key.ends_with("/mention-seq"));
    let campaign = create(
        &store,
        &clock(),
        id(1),
        NewCampaign::parse(request("Nuit", &["NuitDeLaLecture"])).unwrap(),
    )
    .unwrap();
    broken.store(true, Ordering::SeqCst);
    let delivery = mention("42", &["NuitDeLaLecture"]);
    assert!(receive_mention(&store, &clock(), &delivery).is_err());
    broken.store(false, Ordering::SeqCst);
    let received = receive_mention(&store, &clock(), &delivery).unwrap();
    assert_eq!(received.filed, vec![(campaign.id.clone(), 1)]);
    assert!(
        receive_mention(&store, &clock(), &delivery)
            .unwrap()
            .duplicate
    );
}

#[test]
fn extreme_campaign_dates_are_field_errors() {
    for (starts_on, ends_on, field) in [
        ("+262143-01-01", "2026-12-31", "starts_on"),
        ("-262144-01-01", "2026-12-31", "starts_on"),
        ("2026-11-01", "+262143-12-31", "ends_on"),
        ("2026-11-01", "10000-01-01", "ends_on"),
    ] {
        let mut bad = request("Mois du polar", &["polar"]);
        bad.starts_on = starts_on.to_owned();
        bad.ends_on = ends_on.to_owned();
        let error = NewCampaign::parse(bad).unwrap_err().to_string();
        assert!(
            error.contains(&format!("{field}: ")),
            "{starts_on} {ends_on}: {error}"
        );
    }
}

/// Past the grace of a creation claim whose winner died (`claims::GRACE_SECONDS`).
fn after_grace() -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(clock().now().unix_seconds() + 600).unwrap())
}

#[test]
fn a_first_campaign_that_fails_at_any_write_never_blocks_creation() {
    let new = |name: &str| NewCampaign::parse(request(name, &["NuitDeLaLecture"])).unwrap();
    crate::claims::at_every_write(
        || (crate::store::FaultyStore::new(), ()),
        |store, _| {
            let _ = create(store, &clock(), id(1), new("Nuit"));
        },
        |store, _, crash| {
            // A failure gives its claims back at once; a dead instance's expire.
            let next = if crash { after_grace() } else { clock() };
            match create(store, &next, id(2), new("Nuit")) {
                Ok(_) | Err(CampaignError::SlugTaken(_)) => {}
                Err(e) => panic!("crash {crash}: the retry failed: {e:?}"),
            }
            create(store, &next, id(3), new("Autre"))
                .unwrap_or_else(|e| panic!("crash {crash}: another campaign: {e:?}"));
            let listed = list(store).unwrap();
            let nuit: Vec<_> = listed
                .iter()
                .filter(|c| c.slug.as_str() == "nuit")
                .collect();
            assert_eq!(
                nuit.len(),
                1,
                "crash {crash}: one line per slug: {listed:?}"
            );
            let by = by_slug(store, &nuit[0].slug).unwrap();
            assert_eq!(
                by.id, nuit[0].id,
                "crash {crash}: the list and the slug agree"
            );
            assert_eq!(listed.len(), 2, "crash {crash}: {listed:?}");
        },
    );
}

#[test]
fn a_mention_whose_filing_fails_at_any_write_reaches_every_campaign_once() {
    let delivery = mention("77", &["NuitDeLaLecture"]);
    crate::claims::at_every_write(
        || {
            let store = crate::store::FaultyStore::new();
            for (n, name) in [(1, "Nuit"), (2, "Lire")] {
                let new = NewCampaign::parse(request(name, &["NuitDeLaLecture"])).unwrap();
                create(&store, &clock(), id(n), new).unwrap();
            }
            (store, ())
        },
        |store, _| {
            let _ = receive_mention(store, &clock(), &delivery);
        },
        |store, _, crash| {
            // The platform (or the next tick of hashtag following) delivers it again: at
            // once after a failure, after the grace when the instance died.
            let next = if crash { after_grace() } else { clock() };
            let again = receive_mention(store, &next, &delivery)
                .unwrap_or_else(|e| panic!("crash {crash}: redelivery: {e:?}"));
            assert!(!again.in_flight, "crash {crash}: {again:?}");
            for n in [1, 2] {
                let queue = wall::queue(store, &id(n), None, 1, 20).unwrap();
                let copies = queue
                    .items
                    .iter()
                    .filter(|i| i.mention.platform_id == "77")
                    .count();
                assert_eq!(copies, 1, "crash {crash}, campaign {n}: {queue:?}");
            }
            assert!(
                receive_mention(store, &next, &delivery).unwrap().duplicate,
                "crash {crash}: then it is a duplicate"
            );
        },
    );
}

#[test]
fn a_mention_erased_is_not_filed_again_when_it_comes_back() {
    let store = MemoryStore::new();
    let nuit = new_campaign(&store, 1, "Nuit", &["NuitDeLaLecture"]);
    let delivery = mention("78", &["NuitDeLaLecture"]);
    receive_mention(&store, &clock(), &delivery).unwrap();
    privacy::erase_author(&store, &delivery.author_handle, 1).unwrap();
    assert_eq!(
        wall::queue(&store, &nuit.id, None, 1, 20)
            .unwrap()
            .items
            .len(),
        0
    );
    for later in [clock(), after_grace()] {
        let again = receive_mention(&store, &later, &delivery).unwrap();
        assert!(again.duplicate && again.filed.is_empty(), "{again:?}");
    }
    assert_eq!(
        wall::queue(&store, &nuit.id, None, 1, 20)
            .unwrap()
            .items
            .len(),
        0
    );
}
