//! The tutorials' features, natively on `MemoryStore` with a fixed clock.

use serde_json::{Value, json};

use super::catalogue;
use super::feedback::{self, FeedbackRequest};
use super::model::{BlockRequest, Slug, TutorialContent, TutorialRequest};
use super::search;
use super::versions;
use super::{MAX_VERSIONS, TutorialError, blocks};
use crate::clock::Timestamp;
use crate::keys;
use crate::polls::VoterId;
use crate::store::{KvStore, MemoryStore};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_795_964_400 + secs).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn body(title: &str) -> Value {
    json!({
        "slug": "emprunter-livre-numerique",
        "title": title,
        "summary": "Emprunter un livre numérique avec sa carte de lecteur.",
        "audience": "Tout public",
        "level": "beginner",
        "estimated_minutes": 10,
        "service": {"name": "Bibliothèque numérique", "url": "https://numerique.bib.example"},
        "tags": ["Livres numériques", "Liseuse"],
        "steps": [
            {"title": "Se connecter", "block": "connexion-carte"},
            {"title": "Choisir un livre", "text": "Cherchez par titre, puis appuyez sur [[Entrée]]."},
            {"title": "Télécharger", "text": "Ouvrez le fichier sur votre **ÉCRAN**.",
             "image": {"url": "https://bib.example/ecran.png", "alt": "L’écran de téléchargement"}},
        ],
    })
}

fn parse(slug_text: &str, value: Value) -> Result<TutorialContent, TutorialError> {
    let request: TutorialRequest = serde_json::from_value(value).unwrap();
    TutorialContent::parse(&slug(slug_text), request)
}

fn create(store: &dyn KvStore, name: &str, value: Value) -> super::Tutorial {
    let content = parse(name, value).unwrap();
    versions::create(store, at(0), slug(name), content).unwrap()
}

/// A store holding the block the sample tutorial includes.
fn store_with_block() -> MemoryStore {
    let store = MemoryStore::new();
    let request = BlockRequest {
        title: "Se connecter avec sa carte de lecteur".into(),
        text: "Numéro de carte.".into(),
    };
    blocks::put(&store, at(0), slug("connexion-carte"), &request).unwrap();
    store
}

fn visitor(n: u32) -> VoterId {
    VoterId::parse(&format!("visitor-token-{n:08}")).unwrap()
}

#[test]
fn staff_input_is_validated() {
    let bad = |patch: Value, expected: &str| {
        let mut value = body("Emprunter");
        for (k, v) in patch.as_object().unwrap() {
            value[k] = v.clone();
        }
        let error = parse("emprunter", value).unwrap_err().to_string();
        assert!(error.contains(expected), "{error} does not say {expected}");
    };
    bad(json!({"title": " "}), "title: must not be empty");
    bad(json!({"steps": []}), "steps: 1 to 30");
    bad(
        json!({"steps": [{"title": "x"}]}),
        "steps[1]: needs a text or a block",
    );
    bad(
        json!({"steps": [{"text": "x", "image": {"url": "https://x.example/a.png"}}]}),
        "steps[1].image.alt: required",
    );
    bad(
        json!({"steps": [{"text": "x", "image": {"url": "javascript:alert(1)", "alt": "a"}}]}),
        "must start with https://",
    );
    bad(
        json!({"service": {"name": "x", "url": "http://x.example"}}),
        "service.url",
    );
    bad(
        json!({"steps": [{"text": "x", "video": {"url": "https://evil.example/v.mp4"}}]}),
        "steps[1].video.url: must be a PeerTube",
    );
    assert!(parse("x", {
        let mut v = body("x");
        v["steps"] = json!([{"text": "x", "video": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "transcript": "On clique."}}]);
        v
    }).is_ok());
    bad(json!({"level": "expert"}), "level:");
    bad(json!({"lang": "de"}), "lang:");
    bad(json!({"estimated_minutes": 0}), "estimated_minutes");
    bad(json!({"translation": "emprunter"}), "another tutorial");
    bad(json!({"tags": ["!!!"]}), "tags:");
    for bad_slug in [
        "",
        "A",
        "-a",
        "a-",
        "a--b",
        "blocks",
        "a/b",
        &"a".repeat(61),
    ] {
        assert!(Slug::parse(bad_slug).is_err(), "{bad_slug}");
    }
    // Tags that fold alike are one tag.
    let mut value = body("x");
    value["tags"] = json!(["Écran", "ecran", "ÉCRAN "]);
    assert_eq!(parse("x", value).unwrap().tags, ["Écran"]);
}

#[test]
fn every_save_keeps_a_bounded_history_and_restores() {
    let store = store_with_block();
    let name = "emprunter-livre-numerique";
    let first = create(&store, name, body("Version 1"));
    assert_eq!(first.version, 1);
    assert!(matches!(
        versions::create(&store, at(1), slug(name), parse(name, body("x")).unwrap()),
        Err(TutorialError::Exists)
    ));
    for v in 2..=30 {
        let saved = versions::update(
            &store,
            at(v),
            &slug(name),
            parse(name, body(&format!("Version {v}"))).unwrap(),
            Some(v as u64 - 1),
        )
        .unwrap();
        assert_eq!(saved.version, v as u64);
    }
    // A save from an old copy is refused, not lost.
    let stale = versions::update(
        &store,
        at(40),
        &slug(name),
        parse(name, body("x")).unwrap(),
        Some(3),
    );
    assert!(matches!(stale, Err(TutorialError::Stale { current: 30 })));
    let history = versions::history(&store, &slug(name)).unwrap();
    assert_eq!(history.len() as u64, MAX_VERSIONS);
    assert_eq!(history[0].version, 29);
    assert_eq!(history[19].version, 10);
    assert_eq!(history[0].title, "Version 29");
    assert!(matches!(
        versions::version(&store, &slug(name), 9),
        Err(TutorialError::VersionNotFound)
    ));
    // Only the bounded history stays in the store.
    let versions_kept = store
        .get_keys()
        .unwrap()
        .into_iter()
        .filter(|k| k.contains("/version/"))
        .count();
    assert_eq!(versions_kept as u64, MAX_VERSIONS);

    let restored = versions::restore(&store, at(50), &slug(name), 12).unwrap();
    assert_eq!(restored.version, 31);
    assert_eq!(restored.content.title, "Version 12");
    assert_eq!(
        versions::history(&store, &slug(name)).unwrap()[0].title,
        "Version 30"
    );
    // The catalogue and the search index follow the restore.
    assert_eq!(catalogue::all(&store).unwrap()[0].title, "Version 12");
}

#[test]
fn publication_now_at_a_date_and_unpublish() {
    let store = store_with_block();
    let name = "emprunter-livre-numerique";
    create(&store, name, body("Emprunter"));
    let hidden = |now: Timestamp| {
        matches!(
            versions::view(&store, now, &slug(name)),
            Err(TutorialError::NotFound)
        )
    };
    assert!(hidden(at(0)), "a draft is hidden");
    versions::set_publication(&store, &slug(name), Some(at(3_600))).unwrap();
    assert!(hidden(at(3_599)), "hidden until its date");
    assert!(catalogue::visible(&store, at(3_599)).unwrap().is_empty());
    assert!(
        search::search(&store, at(3_599), "livre")
            .unwrap()
            .is_empty()
    );
    assert!(!hidden(at(3_600)));
    assert_eq!(catalogue::visible(&store, at(3_600)).unwrap().len(), 1);
    assert_eq!(search::search(&store, at(3_600), "livre").unwrap().len(), 1);
    let draft = versions::set_publication(&store, &slug(name), None).unwrap();
    assert_eq!(draft.version, 1, "publication is not a new version");
    assert!(hidden(at(10_000)));
}

#[test]
fn blocks_are_edited_once_and_shown_everywhere() {
    let store = store_with_block();
    create(&store, "a", body("A"));
    create(&store, "b", body("B"));
    for name in ["a", "b"] {
        versions::set_publication(&store, &slug(name), Some(at(0))).unwrap();
    }
    let request = |text: &str| BlockRequest {
        title: "Se connecter avec sa carte de lecteur".into(),
        text: text.into(),
    };
    blocks::put(
        &store,
        at(0),
        slug("connexion-carte"),
        &request("Numéro de carte."),
    )
    .unwrap();
    blocks::put(
        &store,
        at(1),
        slug("connexion-carte"),
        &request("Numéro **et** mot de passe."),
    )
    .unwrap();
    for name in ["a", "b"] {
        let view = versions::view(&store, at(2), &slug(name)).unwrap();
        assert_eq!(
            view.blocks[&slug("connexion-carte")].text,
            "Numéro **et** mot de passe."
        );
    }
    assert!(
        BlockRequest {
            title: "x".into(),
            text: " ".into()
        }
        .parse()
        .is_err()
    );
}

#[test]
fn translations_link_only_visible_tutorials_in_the_other_language() {
    let store = store_with_block();
    let mut fr = body("Emprunter");
    fr["translation"] = json!("borrow-ebook");
    create(&store, "emprunter", fr);
    let mut en = body("Borrow an e-book");
    en["lang"] = json!("en");
    en["translation"] = json!("emprunter");
    create(&store, "borrow-ebook", en);
    versions::set_publication(&store, &slug("emprunter"), Some(at(0))).unwrap();
    let view = versions::view(&store, at(1), &slug("emprunter")).unwrap();
    assert!(view.translation.is_none(), "the English one is a draft");
    versions::set_publication(&store, &slug("borrow-ebook"), Some(at(0))).unwrap();
    let view = versions::view(&store, at(1), &slug("emprunter")).unwrap();
    assert_eq!(view.translation.unwrap().title, "Borrow an e-book");
}

#[test]
fn search_folds_accents_and_case_and_matches_prefixes() {
    let store = store_with_block();
    create(
        &store,
        "emprunter-livre-numerique",
        body("Emprunter un livre numérique"),
    );
    let mut press = body("Lire la presse en ligne");
    press["summary"] = json!("Les journaux sur votre Ecran.");
    press["tags"] = json!(["Presse"]);
    press["steps"] = json!([{"text": "Ouvrez Europresse."}]);
    create(&store, "presse", press);
    for name in ["emprunter-livre-numerique", "presse"] {
        versions::set_publication(&store, &slug(name), Some(at(0))).unwrap();
    }
    let found = |q: &str| -> Vec<String> {
        search::search(&store, at(1), q)
            .unwrap()
            .into_iter()
            .map(|h| h.entry.slug.to_string())
            .collect()
    };
    // "ÉCRAN" in a step of one, "Ecran" in the summary of the other (ranked higher).
    assert_eq!(found("écran"), ["presse", "emprunter-livre-numerique"]);
    assert_eq!(found("ECRAN"), found("ecran"));
    assert_eq!(found("numeriques"), ["emprunter-livre-numerique"], "tag");
    assert_eq!(found("emprunt"), ["emprunter-livre-numerique"], "prefix");
    assert_eq!(found("presse écran"), ["presse"], "every word must match");
    assert!(found("cinéma").is_empty());
    assert!(found("  ").is_empty());
    // The index follows a save: the old words go, the new ones come.
    let mut value = body("Emprunter un film");
    value["steps"] = json!([{"text": "Choisissez un film."}]);
    value["summary"] = json!("Cinéma à la maison.");
    versions::update(
        &store,
        at(2),
        &slug("emprunter-livre-numerique"),
        parse("emprunter-livre-numerique", value).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(found("cinema"), ["emprunter-livre-numerique"]);
    assert!(found("ecran").contains(&"presse".to_owned()));
    assert!(!found("ecran").contains(&"emprunter-livre-numerique".to_owned()));
}

/// Writes `count` published tutorials straight into the store, with the catalogue and the
/// search shards built from the same types `create` uses (creating 1,000 one by one rewrites
/// the growing catalogue 1,000 times, which only slows the test down).
fn seed(store: &dyn KvStore, count: usize) {
    use super::catalogue::{Catalogue, Entry};
    use super::search::{SearchDoc, Shard, shard_of};
    use std::collections::BTreeMap;
    let mut catalogue = Catalogue::default();
    let mut shards: BTreeMap<u64, Shard> = BTreeMap::new();
    for i in 0..count {
        let name = format!("tuto-{i}");
        let mut value = body(&format!("Tutoriel {i} écran"));
        value["translation"] = json!(if i == 0 { "tuto-1" } else { "tuto-0" });
        let tutorial = super::Tutorial {
            slug: slug(&name),
            version: 1,
            content: parse(&name, value).unwrap(),
            created_at: at(0),
            updated_at: at(0),
            published_at: Some(at(0)),
        };
        store
            .set_json(&crate::keys::tutorial(&tutorial.slug), &tutorial)
            .unwrap();
        store
            .increment(&crate::keys::tutorial_claim(&tutorial.slug), 1)
            .unwrap();
        catalogue.entries.push(Entry::of(&tutorial));
        shards
            .entry(shard_of(&tutorial.slug))
            .or_default()
            .docs
            .insert(tutorial.slug.clone(), SearchDoc::of(&tutorial));
    }
    store
        .set_json(&crate::keys::tutorial_catalogue(), &catalogue)
        .unwrap();
    for (n, shard) in shards {
        store
            .set_json(&crate::keys::tutorial_search_shard(n), &shard)
            .unwrap();
    }
}

#[test]
fn page_view_and_search_cost_the_same_with_10_or_1000_tutorials() {
    let measure = |count: usize| {
        let store = store_with_block();
        seed(&store, count);
        blocks::put(
            &store,
            at(0),
            slug("connexion-carte"),
            &BlockRequest {
                title: "Se connecter".into(),
                text: "Carte.".into(),
            },
        )
        .unwrap();
        let tutorial = versions::get(&store, &slug("tuto-5")).unwrap();
        store.reset_ops();
        let view = versions::view(&store, at(1), &slug("tuto-5")).unwrap();
        assert_eq!(view.blocks.len(), 1);
        assert!(view.translation.is_none(), "same language");
        let view = store.ops();
        store.reset_ops();
        feedback::step_opened(&store, at(0), &tutorial, &visitor(1), 2).unwrap();
        let step = store.ops();
        store.reset_ops();
        let hits = search::search(&store, at(1), "ecran tutoriel").unwrap();
        assert_eq!(hits.len(), count);
        let search_ops = store.ops();
        store.reset_ops();
        assert_eq!(catalogue::visible(&store, at(1)).unwrap().len(), count);
        let index = store.ops();
        store.reset_ops();
        let name = format!("tuto-{}", count - 1);
        versions::update(
            &store,
            at(2),
            &slug(&name),
            parse(&name, body("x")).unwrap(),
            None,
        )
        .unwrap();
        let save = store.ops();
        (view, step, search_ops, index, save)
    };
    let few = measure(10);
    let many = measure(1_000);
    assert_eq!(few, many);
    let (view, step, search_ops, index, save) = few;
    assert_eq!((view.get, view.get_many, view.total()), (1, 1, 2));
    // A first view: read, claim, record, count, and the readers' list (1 increment, 1 write).
    assert_eq!(step.total(), 6, "{step:?}");
    assert_eq!(
        (search_ops.get, search_ops.get_many, search_ops.total()),
        (1, 1, 2)
    );
    assert_eq!(index.total(), 1);
    assert_eq!(save.total(), 8, "{save:?}");
}

#[test]
fn catalogue_is_bounded() {
    let store = store_with_block();
    seed(&store, super::MAX_TUTORIALS);
    let refused = versions::create(
        &store,
        at(0),
        slug("one-more"),
        parse("one-more", body("T")).unwrap(),
    );
    assert!(matches!(refused, Err(TutorialError::Full)));
    let size = store.get("tutorials/catalogue").unwrap().unwrap().len();
    assert!(size < 1_000_000, "{size}");
}

#[test]
fn feedback_counts_once_per_visitor_and_where_patrons_stopped() {
    let store = store_with_block();
    let tutorial = create(&store, "t", body("T"));
    let s = slug("t");
    let rate = |v: u32, helpful: bool, comment: Option<&str>| {
        feedback::rate(
            &store,
            at(0),
            &s,
            &visitor(v),
            FeedbackRequest {
                helpful,
                comment: comment.map(str::to_owned),
            },
        )
    };
    rate(1, true, Some("Très clair, merci <3")).unwrap();
    rate(2, false, None).unwrap();
    assert!(matches!(
        rate(1, false, None),
        Err(TutorialError::AlreadyRated)
    ));
    assert!(matches!(
        rate(3, true, Some(&"x".repeat(1_001))),
        Err(TutorialError::Invalid(_))
    ));
    // Visitor 1 goes 1 -> 2 -> 3 -> 2 and stops at 2; visitor 2 opens 1 twice; visitor 3
    // reads everything.
    for (v, step) in [
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 2),
        (2, 1),
        (2, 1),
        (3, 1),
        (3, 2),
        (3, 3),
    ] {
        feedback::step_opened(&store, at(0), &tutorial, &visitor(v), step).unwrap();
    }
    assert!(matches!(
        feedback::step_opened(&store, at(0), &tutorial, &visitor(1), 4),
        Err(TutorialError::StepNotFound)
    ));
    let summary = feedback::summary(&store, &tutorial).unwrap();
    assert_eq!((summary.helpful, summary.not_helpful), (1, 1));
    assert_eq!(summary.stopped_at, [1, 1, 1]);
    assert_eq!(summary.comments.len(), 1);
    assert_eq!(summary.comments[0].text, "Très clair, merci <3");
}

#[test]
fn concurrent_first_views_of_one_visitor_count_once() {
    let store = store_with_block();
    let tutorial = create(&store, "t", body("T"));
    std::thread::scope(|scope| {
        for step in [1, 2, 3, 1, 2, 3, 1, 2] {
            let (store, tutorial) = (&store, &tutorial);
            scope.spawn(move || {
                feedback::step_opened(store, at(0), tutorial, &visitor(7), step).unwrap()
            });
        }
    });
    let summary = feedback::summary(&store, &tutorial).unwrap();
    assert_eq!(
        summary.stopped_at.iter().sum::<i64>(),
        1,
        "{:?}",
        summary.stopped_at
    );
}

#[test]
fn concurrent_saves_from_one_version_keep_exactly_one() {
    let store = store_with_block();
    let name = "t";
    create(&store, name, body("V1"));
    let results: Vec<Result<super::Tutorial, TutorialError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let store = &store;
                scope.spawn(move || {
                    let content = parse(name, body(&format!("Edit {i}"))).unwrap();
                    versions::update(store, at(i), &slug(name), content, Some(1))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let saved: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(saved.len(), 1, "{results:?}");
    // Every loser read version 1 and is told it is stale, whether it lost at the version
    // check or at the swap.
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(_) | Err(TutorialError::Stale { current: 2 }))),
        "{results:?}"
    );
    let current = versions::get(&store, &slug(name)).unwrap();
    assert_eq!(current.version, 2);
    assert_eq!(current.content.title, saved[0].content.title);
    assert_eq!(
        versions::history(&store, &slug(name)).unwrap()[0].title,
        "V1"
    );
}

#[test]
fn deleting_removes_the_tutorial_everywhere_and_keeps_the_slug() {
    let store = store_with_block();
    create(&store, "a", body("Écran A"));
    create(&store, "b", body("Écran B"));
    for name in ["a", "b"] {
        versions::update(
            &store,
            at(1),
            &slug(name),
            parse(name, body("Écran 2")).unwrap(),
            None,
        )
        .unwrap();
        versions::set_publication(&store, &slug(name), Some(at(0))).unwrap();
    }
    versions::delete(&store, &slug("a")).unwrap();
    assert!(matches!(
        versions::get(&store, &slug("a")),
        Err(TutorialError::NotFound)
    ));
    let listed: Vec<String> = catalogue::all(&store)
        .unwrap()
        .into_iter()
        .map(|e| e.slug.to_string())
        .collect();
    assert_eq!(listed, ["b"]);
    let found: Vec<String> = search::search(&store, at(2), "ecran")
        .unwrap()
        .into_iter()
        .map(|h| h.entry.slug.to_string())
        .collect();
    assert_eq!(found, ["b"]);
    assert!(
        !store
            .get_keys()
            .unwrap()
            .iter()
            .any(|k| k.starts_with("tutorial/a/version/"))
    );
    assert!(matches!(
        versions::create(&store, at(3), slug("a"), parse("a", body("x")).unwrap()),
        Err(TutorialError::Exists)
    ));
    assert!(matches!(
        versions::delete(&store, &slug("a")),
        Err(TutorialError::NotFound)
    ));
}

#[test]
fn comments_and_reading_records_past_their_retention_are_purged() {
    let store = store_with_block();
    let tutorial = create(&store, "t", body("T"));
    let day = |d: i64| at(d * 86_400);
    let comment = |v: u32, when: Timestamp| {
        feedback::rate(
            &store,
            when,
            &tutorial.slug,
            &visitor(v),
            feedback::FeedbackRequest {
                helpful: true,
                comment: Some(format!("avis {v}")),
            },
        )
        .unwrap()
    };
    comment(1, day(0));
    comment(2, day(300));
    // Readers 1 and 2 first seen on day 0 (1 goes on to step 3), reader 3 on day 150.
    feedback::step_opened(&store, day(0), &tutorial, &visitor(1), 1).unwrap();
    feedback::step_opened(&store, day(10), &tutorial, &visitor(1), 3).unwrap();
    feedback::step_opened(&store, day(0), &tutorial, &visitor(2), 2).unwrap();
    feedback::step_opened(&store, day(150), &tutorial, &visitor(3), 2).unwrap();
    assert_eq!(
        feedback::summary(&store, &tutorial).unwrap().stopped_at,
        [0, 2, 1]
    );

    // Day 200: the day-0 readers are past 183 days; reader 3 and every comment are kept.
    let readers = feedback::purge_readers(&store, day(200), 183).unwrap();
    assert_eq!((readers.removed, readers.more), (2, false));
    let comments = feedback::purge_comments(&store, day(200), 395).unwrap();
    assert_eq!(comments.removed, 0);
    let summary = feedback::summary(&store, &tutorial).unwrap();
    assert_eq!(summary.stopped_at, [0, 1, 0], "only reader 3 is counted");
    assert_eq!(summary.comments.len(), 2);
    assert_eq!(
        store
            .get(&keys::tutorial_reader(&tutorial.slug, &visitor(1)))
            .unwrap(),
        None
    );
    // Reader 1 comes back: counted afresh, once.
    feedback::step_opened(&store, day(201), &tutorial, &visitor(1), 1).unwrap();
    assert_eq!(
        feedback::summary(&store, &tutorial).unwrap().stopped_at,
        [1, 1, 0]
    );

    // Day 400: the day-0 comment goes, the day-300 one stays; reader 3 (day 150) goes.
    let comments = feedback::purge_comments(&store, day(400), 395).unwrap();
    assert_eq!(comments.removed, 1);
    let summary = feedback::summary(&store, &tutorial).unwrap();
    assert_eq!(summary.comments.len(), 1);
    assert_eq!(summary.comments[0].text, "avis 2");
    assert_eq!(
        feedback::purge_readers(&store, day(400), 183)
            .unwrap()
            .removed,
        2
    );
    assert_eq!(
        feedback::summary(&store, &tutorial).unwrap().stopped_at,
        [0, 0, 0]
    );
}

#[test]
fn a_tutorial_creation_that_fails_at_any_write_never_blocks_its_slug() {
    crate::claims::at_every_write(
        || {
            let store = crate::store::FaultyStore::new();
            let request = BlockRequest {
                title: "Se connecter avec sa carte de lecteur".into(),
                text: "Numéro de carte.".into(),
            };
            blocks::put(&store, at(0), slug("connexion-carte"), &request).unwrap();
            (store, ())
        },
        |store, _| {
            let _ = versions::create(store, at(0), slug("a"), parse("a", body("x")).unwrap());
        },
        |store, _, crash| {
            // A failure gives the slug back at once; a dead instance's claim expires.
            let next = if crash { at(600) } else { at(1) };
            match versions::create(store, next, slug("a"), parse("a", body("y")).unwrap()) {
                Ok(_) | Err(TutorialError::Exists) => {}
                Err(e) => panic!("crash {crash}: the retry failed: {e:?}"),
            }
            let stored = versions::get(store, &slug("a"))
                .unwrap_or_else(|e| panic!("crash {crash}: the tutorial exists: {e:?}"));
            // A dead instance may hold a catalogue or search document's first-write claim:
            // those are taken for dead after `INIT_RETRIES` tries.
            let tries = if crash { super::INIT_RETRIES + 1 } else { 1 };
            let saved = (0..tries).find_map(|_| {
                match versions::update(store, next, &slug("a"), stored.content.clone(), None) {
                    Err(TutorialError::Busy) => None,
                    done => Some(done),
                }
            });
            match saved {
                Some(Ok(_)) => {}
                other => panic!("crash {crash}: then it can be saved: {other:?}"),
            }
            let listed = catalogue::all(store).unwrap();
            assert_eq!(listed.len(), 1, "crash {crash}: listed once: {listed:?}");
        },
    );
}

#[test]
fn a_step_image_from_the_library_is_saved_with_its_page_size() {
    use crate::media::MediumId;
    let store = store_with_block();
    let medium = MediumId::generate([4; 10]);
    crate::showcases::library::put_medium(&store, &medium, (1600, 1000));
    let with_image = |image: Value| {
        let mut value = body("Emprunter un livre numérique");
        value["steps"][2]["image"] = image;
        value
    };
    let t = create(
        &store,
        "emprunter-livre-numerique",
        with_image(json!({"medium": medium, "alt": "L’écran de téléchargement"})),
    );
    let image = t.content.steps[2].image.as_ref().unwrap();
    assert_eq!((image.width, image.height), (Some(1600), Some(1000)));
    assert_eq!(image.src(), format!("/media/{medium}/page.jpg"));
    assert_eq!(image.share_src(), format!("/media/{medium}/social.jpg"));

    // An outside image keeps its stored form: url and alt, nothing else.
    let outside = parse("autre", body("Autre")).unwrap();
    assert_eq!(
        serde_json::to_value(outside.steps[2].image.as_ref().unwrap()).unwrap(),
        json!({"url": "https://bib.example/ecran.png", "alt": "L’écran de téléchargement"})
    );

    let gone = MediumId::generate([5; 10]);
    let refused = versions::update(
        &store,
        at(10),
        &slug("emprunter-livre-numerique"),
        parse(
            "emprunter-livre-numerique",
            with_image(json!({"medium": gone, "alt": "a"})),
        )
        .unwrap(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "steps[3].image.medium: the media library has no medium {gone} (deleted, or never uploaded)"
        )
    );
    assert_eq!(
        parse(
            "emprunter-livre-numerique",
            with_image(json!({"medium": medium}))
        )
        .unwrap_err()
        .to_string(),
        "steps[3].image.alt: required, describe the image for patrons who cannot see it"
    );
}
