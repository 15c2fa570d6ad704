use super::audit::{self, Actor, AuditEntry};
use super::session::{self, TOKEN_PREFIX};
use super::*;
use crate::store::{KvStore, MemoryStore};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_790_000_000 + secs).unwrap()
}

/// Signs in with the test key, from a browser that never signed in before.
fn sign_in(
    store: &dyn KvStore,
    now: Timestamp,
    email: &str,
    password: &str,
    client: &str,
) -> Result<Account, StaffError> {
    session::sign_in(
        store,
        now,
        &session::SignInKey::derive(b"test key"),
        session::SignInAttempt {
            email,
            password,
            client,
            device: None,
        },
    )
}

fn id(n: u8) -> AccountId {
    AccountId::generate([n; 10])
}

fn new_account(email: &str, role: &str) -> NewAccount {
    NewAccount::parse(
        email,
        "Anne Bibliothèque",
        role,
        "une phrase de passe longue",
    )
    .unwrap()
}

fn editor(store: &MemoryStore) -> Account {
    create(
        store,
        at(0),
        id(1),
        new_account("Anne@Bib.example", "editor"),
        [7; 16],
    )
    .unwrap()
}

#[test]
fn roles_grant_what_the_issue_says() {
    use Permission::*;
    assert!(
        [View, Edit, Moderate, Publish, Administer]
            .iter()
            .all(|p| Role::Administrator.allows(*p))
    );
    assert!(Role::Editor.allows(Edit) && Role::Editor.allows(View));
    assert!(!Role::Editor.allows(Moderate) && !Role::Editor.allows(Publish));
    assert!(!Role::Editor.allows(Administer));
    assert!(Role::Moderator.allows(Moderate) && !Role::Moderator.allows(Edit));
}

#[test]
fn accounts_are_validated_and_one_per_email() {
    let store = MemoryStore::new();
    assert!(matches!(
        NewAccount::parse("anne@bib.example", "Anne", "editor", "court"),
        Err(StaffError::Invalid {
            field: "password",
            ..
        })
    ));
    assert!(matches!(
        NewAccount::parse(
            "pas une adresse",
            "Anne",
            "editor",
            "une phrase de passe longue"
        ),
        Err(StaffError::Invalid { field: "email", .. })
    ));
    assert!(matches!(
        NewAccount::parse(
            "anne@bib.example",
            "Anne",
            "chef",
            "une phrase de passe longue"
        ),
        Err(StaffError::Invalid { field: "role", .. })
    ));
    let anne = editor(&store);
    assert_eq!(anne.email.as_str(), "anne@bib.example");
    assert!(
        anne.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    let again = create(
        &store,
        at(1),
        id(2),
        new_account("anne@bib.EXAMPLE ", "moderator"),
        [8; 16],
    );
    assert!(matches!(again, Err(StaffError::EmailTaken)));
    let listed = list(&store).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, anne.id);
    // The API's view never carries the hash.
    let view = serde_json::to_string(&anne.view()).unwrap();
    assert!(!view.contains("argon2"), "{view}");
}

#[test]
fn sign_in_checks_the_password_and_says_nothing_about_which_part_was_wrong() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    let ok = sign_in(
        &store,
        at(10),
        " ANNE@bib.example",
        "une phrase de passe longue",
        "1.2.3.4",
    );
    assert_eq!(ok.unwrap().id, anne.id);
    for (email, password) in [
        ("anne@bib.example", "une phrase de passe fausse"),
        ("personne@bib.example", "une phrase de passe longue"),
    ] {
        let err = sign_in(&store, at(20), email, password, "5.6.7.8").unwrap_err();
        assert!(matches!(err, StaffError::InvalidCredentials));
        assert_eq!(err.to_string(), "wrong email or password");
    }
    update(
        &store,
        &anne.id,
        AccountChange {
            disabled: Some(true),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let disabled = sign_in(
        &store,
        at(30),
        "anne@bib.example",
        "une phrase de passe longue",
        "9.9.9.9",
    );
    assert!(matches!(disabled, Err(StaffError::InvalidCredentials)));
}

#[test]
fn sign_in_is_throttled_per_account_and_per_address() {
    let store = MemoryStore::new();
    editor(&store);
    for i in 0..5 {
        let err = sign_in(
            &store,
            at(i),
            "anne@bib.example",
            "mauvais mot de passe",
            &format!("10.0.0.{i}"),
        );
        assert!(matches!(err, Err(StaffError::InvalidCredentials)));
    }
    // The sixth attempt on the account is refused, even with the right password and from
    // a new address, until the window ends.
    let throttled = sign_in(
        &store,
        at(6),
        "anne@bib.example",
        "une phrase de passe longue",
        "10.0.1.1",
    );
    let Err(StaffError::Throttled { retry_after_secs }) = throttled else {
        panic!("expected throttling, got {throttled:?}");
    };
    assert!((1..=900).contains(&retry_after_secs));
    assert!(
        sign_in(
            &store,
            at(901),
            "anne@bib.example",
            "une phrase de passe longue",
            "10.0.1.1"
        )
        .is_ok()
    );

    // One address trying many accounts is stopped too.
    let store = MemoryStore::new();
    for i in 0..20 {
        let _ = sign_in(
            &store,
            at(i),
            &format!("x{i}@bib.example"),
            "mauvais mot de passe",
            "6.6.6.6",
        );
    }
    let err = sign_in(
        &store,
        at(21),
        "x99@bib.example",
        "mauvais mot de passe",
        "6.6.6.6",
    );
    assert!(matches!(err, Err(StaffError::Throttled { .. })));
}

#[test]
fn sessions_expire_end_on_sign_out_everywhere_and_follow_the_account() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    session::open(&store, at(0), &anne, "cookie-a", "csrf-a").unwrap();
    session::open(&store, at(0), &anne, "cookie-b", "csrf-b").unwrap();
    store.reset_ops();
    let live = session::resolve(&store, at(60), "cookie-a")
        .unwrap()
        .unwrap();
    assert_eq!(store.ops().total(), 2, "a session costs 2 reads");
    assert_eq!(live.csrf, "csrf-a");
    assert!(
        session::resolve(&store, at(60), "cookie-zzz")
            .unwrap()
            .is_none()
    );

    // A role change is seen on the next request.
    update(
        &store,
        &anne.id,
        AccountChange {
            role: Some(Role::Moderator),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let live = session::resolve(&store, at(61), "cookie-a")
        .unwrap()
        .unwrap();
    assert_eq!(live.account.role, Role::Moderator);

    session::close(&store, "cookie-a").unwrap();
    assert!(
        session::resolve(&store, at(62), "cookie-a")
            .unwrap()
            .is_none()
    );
    assert!(
        session::resolve(&store, at(62), "cookie-b")
            .unwrap()
            .is_some()
    );
    session::close_all(&store, &anne.id).unwrap();
    assert!(
        session::resolve(&store, at(63), "cookie-b")
            .unwrap()
            .is_none()
    );

    let anne = get(&store, &anne.id).unwrap();
    session::open(&store, at(100), &anne, "cookie-c", "csrf-c").unwrap();
    assert!(
        session::resolve(&store, at(100 + session::SESSION_SECS), "cookie-c")
            .unwrap()
            .is_none()
    );
}

#[test]
fn password_changes_need_the_current_one_and_end_sessions() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    session::open(&store, at(0), &anne, "cookie", "csrf").unwrap();
    let wrong = change_own_password(
        &store,
        at(0),
        &anne.id,
        "pas la bonne",
        "nouvelle phrase secrète",
        [1; 16],
    );
    assert!(matches!(wrong, Err(StaffError::WrongPassword)));
    change_own_password(
        &store,
        at(0),
        &anne.id,
        "une phrase de passe longue",
        "nouvelle phrase secrète",
        [1; 16],
    )
    .unwrap();
    assert!(session::resolve(&store, at(1), "cookie").unwrap().is_none());
    assert!(
        sign_in(
            &store,
            at(2),
            "anne@bib.example",
            "nouvelle phrase secrète",
            "a"
        )
        .is_ok()
    );
    reset_password(&store, &anne.id, "remise à zéro par l'admin", [2; 16]).unwrap();
    assert!(
        sign_in(
            &store,
            at(3),
            "anne@bib.example",
            "remise à zéro par l'admin",
            "a"
        )
        .is_ok()
    );
}

#[test]
fn administrators_cannot_lock_themselves_out() {
    let store = MemoryStore::new();
    let admin = create(
        &store,
        at(0),
        id(9),
        new_account("chef@bib.example", "administrator"),
        [3; 16],
    )
    .unwrap();
    for change in [
        AccountChange {
            role: Some(Role::Editor),
            ..Default::default()
        },
        AccountChange {
            disabled: Some(true),
            ..Default::default()
        },
    ] {
        let err = update(&store, &admin.id, change, Some(&admin.id));
        assert!(matches!(err, Err(StaffError::OwnAdministration)));
    }
    assert_eq!(get(&store, &admin.id).unwrap().role, Role::Administrator);
}

#[test]
fn tokens_are_scoped_hashed_and_revocable() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    assert!(matches!(
        session::parse_scopes(Role::Editor, &["administer".to_owned()]),
        Err(StaffError::ScopeNotGranted)
    ));
    let scopes =
        session::parse_scopes(Role::Editor, &["edit".to_owned(), "edit".to_owned()]).unwrap();
    let secret = format!("{TOKEN_PREFIX}secretdetest");
    session::create_token(
        &store,
        at(0),
        &anne,
        TokenId::generate([4; 10]),
        "Site web",
        scopes,
        &secret,
    )
    .unwrap();
    // The secret is stored nowhere, only its hash.
    for key in store.get_keys().unwrap() {
        let value = store.get(&key).unwrap().unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&value).contains("secretdetest"),
            "{key}"
        );
        assert!(!key.contains("secretdetest"));
    }
    let (account, scopes) = session::resolve_token(&store, &secret).unwrap().unwrap();
    assert_eq!(
        (account.id, scopes),
        (anne.id.clone(), vec![Permission::Edit])
    );
    let listed = session::list_tokens(&store, &anne).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!serde_json::to_string(&listed).unwrap().contains("hash"));
    // "Sign out everywhere" ends tokens too; a new one works.
    let anne = session::close_all(&store, &anne.id).unwrap();
    assert!(session::resolve_token(&store, &secret).unwrap().is_none());
    assert!(session::list_tokens(&store, &anne).unwrap().is_empty());
    let secret = format!("{TOKEN_PREFIX}secretdetest2");
    let token = session::create_token(
        &store,
        at(1),
        &anne,
        TokenId::generate([5; 10]),
        "Site web",
        vec![Permission::Edit],
        &secret,
    )
    .unwrap();
    assert!(session::resolve_token(&store, &secret).unwrap().is_some());
    session::revoke_token(&store, &anne.id, &token.id).unwrap();
    assert!(session::resolve_token(&store, &secret).unwrap().is_none());
    assert!(matches!(
        session::revoke_token(&store, &anne.id, &token.id),
        Err(StaffError::NotFound)
    ));
}

#[test]
fn the_audit_log_pages_newest_first_at_a_constant_cost() {
    let store = MemoryStore::new();
    for i in 0..120 {
        audit::record(
            &store,
            AuditEntry {
                seq: 0,
                at: at(i),
                actor: Actor {
                    id: None,
                    name: "admin_token".into(),
                },
                method: "POST".into(),
                path: format!("/api/posts/{i}"),
                status: 200,
                client: None,
            },
        )
        .unwrap();
    }
    store.reset_ops();
    let (first, next) = audit::page(&store, None).unwrap();
    assert_eq!(store.ops().total(), 2);
    assert_eq!(first.len(), 50);
    assert_eq!(first[0].seq, 120);
    assert_eq!(first[0].path, "/api/posts/119");
    let (second, next) = audit::page(&store, next).unwrap();
    assert_eq!(second[0].seq, 70);
    let (third, next) = audit::page(&store, next).unwrap();
    assert_eq!(third.len(), 20);
    assert_eq!(third.last().unwrap().seq, 1);
    assert_eq!(next, None);
}

#[test]
fn an_address_over_its_limit_does_not_spend_the_accounts_attempts() {
    let store = MemoryStore::new();
    editor(&store);
    for i in 0..20 {
        let _ = sign_in(
            &store,
            at(i),
            &format!("x{i}@bib.example"),
            "mauvais mot de passe",
            "6.6.6.6",
        );
    }
    for i in 0..10 {
        let refused = sign_in(
            &store,
            at(30 + i),
            "anne@bib.example",
            "mauvais mot de passe",
            "6.6.6.6",
        );
        assert!(matches!(refused, Err(StaffError::Throttled { .. })));
    }
    let ok = sign_in(
        &store,
        at(60),
        "anne@bib.example",
        "une phrase de passe longue",
        "10.0.0.1",
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn a_lockout_by_others_does_not_stop_a_browser_that_signed_in_before() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    let key = session::SignInKey::derive(b"test key");
    let device = key.device_token(&anne.id, &[42; 32]);
    fn attempt<'a>(
        password: &'a str,
        client: &'a str,
        device: Option<&'a str>,
    ) -> session::SignInAttempt<'a> {
        session::SignInAttempt {
            email: "anne@bib.example",
            password,
            client,
            device,
        }
    }
    // A stranger spends the account's attempts from addresses of their own.
    for i in 0..30 {
        let address = format!("203.0.113.{}", i / 10);
        let _ = session::sign_in(&store, at(i), &key, attempt("mauvais", &address, None));
    }
    let stranger = session::sign_in(
        &store,
        at(40),
        &key,
        attempt("une phrase de passe longue", "198.51.100.1", None),
    );
    assert!(matches!(stranger, Err(StaffError::Throttled { .. })));
    // Anne's browser, which signed in before, still gets in.
    let known = session::sign_in(
        &store,
        at(41),
        &key,
        attempt("une phrase de passe longue", "192.0.2.1", Some(&device)),
    );
    assert_eq!(known.unwrap().id, anne.id);
    // A device token of another account, a forged one, or one made under another key is
    // a stranger's browser.
    let other = key.device_token(&id(9), &[42; 32]);
    let elsewhere = session::SignInKey::derive(b"another key").device_token(&anne.id, &[42; 32]);
    for token in [other.as_str(), elsewhere.as_str(), "AAAA.BBBB", "nonsense"] {
        let refused = session::sign_in(
            &store,
            at(42),
            &key,
            attempt("une phrase de passe longue", "192.0.2.2", Some(token)),
        );
        assert!(
            matches!(refused, Err(StaffError::Throttled { .. })),
            "{token}: {refused:?}"
        );
    }
    // The known browser has a budget of its own: guessing from it is throttled too.
    for i in 0..5 {
        let _ = session::sign_in(
            &store,
            at(50 + i),
            &key,
            attempt("mauvais", "192.0.2.3", Some(&device)),
        );
    }
    let spent = session::sign_in(
        &store,
        at(60),
        &key,
        attempt("une phrase de passe longue", "192.0.2.3", Some(&device)),
    );
    assert!(matches!(spent, Err(StaffError::Throttled { .. })));
}

#[test]
fn made_up_emails_cannot_fill_an_accounts_bucket() {
    // Without the key, the bucket of an email is public (FNV-1a modulo 1,024): a stranger
    // could pick emails that share Anne's and spend them. Under the key those emails land
    // anywhere.
    fn fnv_bucket(text: &str) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.as_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % crate::ratelimit::BUCKETS
    }
    let store = MemoryStore::new();
    editor(&store);
    let target = fnv_bucket("anne@bib.example");
    let twins: Vec<String> = (0..)
        .map(|n| format!("x{n}@evil.example"))
        .filter(|email| fnv_bucket(email) == target)
        .take(6)
        .collect();
    for (i, email) in twins.iter().enumerate() {
        for j in 0..5 {
            let _ = sign_in(
                &store,
                at(i as i64 * 5 + j),
                email,
                "mauvais",
                &format!("203.0.113.{i}"),
            );
        }
    }
    let ok = sign_in(
        &store,
        at(40),
        "anne@bib.example",
        "une phrase de passe longue",
        "192.0.2.1",
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn failed_sign_ins_are_audited_without_the_password() {
    let store = MemoryStore::new();
    let anne = editor(&store);
    let _ = sign_in(
        &store,
        at(0),
        "anne@bib.example",
        "essai secret",
        "203.0.113.9",
    );
    let _ = sign_in(
        &store,
        at(1),
        "nobody@bib.example",
        "essai secret",
        "203.0.113.9",
    );
    sign_in(
        &store,
        at(2),
        "anne@bib.example",
        "une phrase de passe longue",
        "192.0.2.1",
    )
    .unwrap();
    let (entries, _) = audit::page(&store, None).unwrap();
    assert_eq!(entries.len(), 2, "successes are logged by the adapter");
    assert_eq!(entries[1].actor.id.as_deref(), Some(anne.id.as_str()));
    assert_eq!(entries[0].actor.name, "nobody@bib.example");
    for entry in &entries {
        assert_eq!(entry.status, 401);
        assert_eq!(entry.path, session::SIGN_IN_PATH);
        assert_eq!(entry.client.as_deref(), Some("203.0.113.9"));
    }
    let logged = serde_json::to_string(&entries).unwrap();
    assert!(!logged.contains("essai secret"), "{logged}");
}

#[test]
fn an_account_creation_that_fails_at_any_write_never_blocks_its_email() {
    // Past the grace of a claim whose winner died (`claims::GRACE_SECONDS`).
    let later = at(600);
    crate::claims::at_every_write(
        || (crate::store::FaultyStore::new(), ()),
        |store, _| {
            let _ = create(
                store,
                at(0),
                id(1),
                new_account("anne@bib.example", "editor"),
                [7; 16],
            );
        },
        |store, _, crash| {
            // A failure gives its claim back at once; a dead instance's expires.
            let next = if crash { later } else { at(1) };
            match create(
                store,
                next,
                id(2),
                new_account("anne@bib.example", "editor"),
                [8; 16],
            ) {
                Ok(_) | Err(StaffError::EmailTaken) => {}
                Err(e) => panic!("crash {crash}: the retry failed: {e:?}"),
            }
            create(
                store,
                next,
                id(3),
                new_account("bob@bib.example", "moderator"),
                [9; 16],
            )
            .unwrap_or_else(|e| panic!("crash {crash}: another account: {e:?}"));
            let listed = list(store).unwrap();
            let annes: Vec<_> = listed
                .iter()
                .filter(|a| a.email.as_str() == "anne@bib.example")
                .collect();
            assert_eq!(
                annes.len(),
                1,
                "crash {crash}: one account per email: {listed:?}"
            );
            assert_eq!(listed.len(), 2, "crash {crash}: {listed:?}");
            let email = Email::parse("anne@bib.example").unwrap();
            let found = by_email(store, &email).unwrap().expect("signs in");
            assert_eq!(
                found.id, annes[0].id,
                "crash {crash}: the list and sign-in agree"
            );
            sign_in(
                store,
                next,
                "anne@bib.example",
                "une phrase de passe longue",
                "198.51.100.7",
            )
            .unwrap_or_else(|e| panic!("crash {crash}: sign-in: {e:?}"));
        },
    );
}
