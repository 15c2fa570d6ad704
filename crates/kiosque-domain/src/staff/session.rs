//! Signing in, sessions and personal API tokens.
//!
//! A session is a random secret in an `HttpOnly` cookie; the store keeps only its SHA-256
//! (`staff/session/{hash}`), with the account, the account's session epoch at sign-in, the
//! expiry and the CSRF token the console sends back in a header on every change. Resolving a
//! session costs 2 reads (session, account) so a disabled account, a changed role or a
//! "sign out everywhere" takes effect on the next request.
//!
//! Personal tokens (`kq_...`) work the same way for integrations: hashed under
//! `staff/token/{hash}`, listed per account, narrowed to scopes, revoked by deleting them.

use serde::{Deserialize, Serialize};

use super::audit::{self, Actor, AuditEntry};
use super::{Account, AccountId, Email, Permission, Role, StaffError, TokenId, password};
use crate::clock::Timestamp;
use crate::hashing::hmac_sha256;
use crate::hashing::{constant_time_eq, sha256_hex};
use crate::ids::base64url;
use crate::keys;
use crate::moderation;
use crate::ratelimit::{self, Decision, RateLimit};
use crate::store::KvStore;

/// A session lasts a working day; signing in again the next morning is expected.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Sign-in attempts per account (by email, whether or not it exists; or per known browser)
/// and per address.
pub const ATTEMPTS_PER_ACCOUNT: RateLimit = RateLimit {
    max: 5,
    window_secs: 15 * 60,
};
pub const ATTEMPTS_PER_ADDRESS: RateLimit = RateLimit {
    max: 20,
    window_secs: 15 * 60,
};
pub const MAX_TOKENS_PER_ACCOUNT: usize = 20;
/// Personal tokens start with this, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "kq_";

#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    account: AccountId,
    epoch: u32,
    csrf: String,
    expires_at: Timestamp,
}

/// A live session: its account as it is now and the CSRF token to expect.
#[derive(Debug)]
pub struct Session {
    pub account: Account,
    pub csrf: String,
}

/// The store key of a secret (session cookie or token): its SHA-256, never the secret.
fn secret_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// The secret behind sign-in throttling and device cookies, derived from one Spin secret
/// (the adapter passes `admin_token`, the one secret every deployment sets). Two sub-keys,
/// so a value shown in a cookie is never a MAC under the key that places buckets.
pub struct SignInKey {
    buckets: [u8; 32],
    devices: [u8; 32],
}

impl SignInKey {
    pub fn derive(secret: &[u8]) -> SignInKey {
        SignInKey {
            buckets: hmac_sha256(secret, b"kiosque sign-in buckets"),
            devices: hmac_sha256(secret, b"kiosque sign-in devices"),
        }
    }

    /// The device cookie's value for a browser that just signed in to `account`:
    /// `{random}.{mac}`, the MAC over the account id and the random part. It proves only
    /// that this browser signed in to that account before; it is no credential.
    pub fn device_token(&self, account: &AccountId, random: &[u8; 32]) -> String {
        let random = base64url(random);
        let mac = base64url(&self.device_mac(account, &random));
        format!("{random}.{mac}")
    }

    /// The random part of `token` when it is a device token of `account`.
    fn known_device<'a>(&self, account: &AccountId, token: &'a str) -> Option<&'a str> {
        let (random, mac) = token.split_once('.')?;
        let expected = base64url(&self.device_mac(account, random));
        constant_time_eq(mac.as_bytes(), expected.as_bytes()).then_some(random)
    }

    fn device_mac(&self, account: &AccountId, random: &str) -> [u8; 32] {
        hmac_sha256(
            &self.devices,
            format!("{}\n{random}", account.as_str()).as_bytes(),
        )
    }
}

/// One sign-in attempt as the adapter read it.
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's rate-limit identity (`kiosque_spin::client::address`).
    pub client: &'a str,
    /// The browser's device cookie, if it sent one.
    pub device: Option<&'a str>,
}

/// The method and path failed sign-ins are logged under in the audit log.
pub const SIGN_IN_PATH: &str = "/api/staff/sign-in";

/// Checks the attempt's email and password and answers the account. The address is
/// checked first ([`ATTEMPTS_PER_ADDRESS`]): an address over its budget spends nobody's
/// account attempts. Then [`ATTEMPTS_PER_ACCOUNT`] counts against the account, in a bucket
/// placed under [`SignInKey`] so no one can fill it with made-up emails, except from a
/// browser that signed in to this account before (its device cookie): that browser counts
/// against its own budget, so a stranger's lockout never stops it. An unknown email, a
/// wrong password and a disabled account are the same error, and take the same time.
/// Every attempt past the address check that fails is written to the audit log (the
/// email's account or the email, the address; never the password). Costs 2 rate-limit
/// checks (2 reads, 2 CAS), 2 reads, one Argon2id verification, and 1 increment + 1 set
/// when it fails.
pub fn sign_in(
    store: &dyn KvStore,
    now: Timestamp,
    key: &SignInKey,
    attempt: SignInAttempt<'_>,
) -> Result<Account, StaffError> {
    if let Decision::Limited { retry_after_secs } = ratelimit::check(
        store,
        now,
        "signin-address",
        attempt.client,
        ATTEMPTS_PER_ADDRESS,
    )? {
        return Err(StaffError::Throttled { retry_after_secs });
    }
    let folded = attempt.email.trim().to_lowercase();
    let email = Email::parse(&folded).ok();
    let account = match &email {
        Some(email) => super::by_email(store, email)?,
        None => None,
    };
    let result = check_attempt(store, now, key, attempt, &folded, account.as_ref());
    if let Err(error) = &result
        && matches!(
            error,
            StaffError::InvalidCredentials | StaffError::Throttled { .. }
        )
    {
        let actor = match (&account, &email) {
            (Some(account), _) => Actor {
                id: Some(account.id.to_string()),
                name: account.name.clone(),
            },
            (None, Some(email)) => Actor {
                id: None,
                name: email.as_str().to_owned(),
            },
            (None, None) => Actor {
                id: None,
                name: "?".to_owned(),
            },
        };
        let status = if matches!(error, StaffError::Throttled { .. }) {
            429
        } else {
            401
        };
        audit::record(
            store,
            AuditEntry {
                seq: 0,
                at: now,
                actor,
                method: "POST".to_owned(),
                path: SIGN_IN_PATH.to_owned(),
                status,
                client: Some(attempt.client.to_owned()),
            },
        )?;
    }
    result
}

fn check_attempt(
    store: &dyn KvStore,
    now: Timestamp,
    key: &SignInKey,
    attempt: SignInAttempt<'_>,
    folded: &str,
    account: Option<&Account>,
) -> Result<Account, StaffError> {
    let device = account
        .zip(attempt.device)
        .and_then(|(account, token)| key.known_device(&account.id, token));
    let decision = match device {
        Some(random) => ratelimit::check_keyed(
            store,
            now,
            "signin-device",
            &key.buckets,
            random,
            ATTEMPTS_PER_ACCOUNT,
        )?,
        None => ratelimit::check_keyed(
            store,
            now,
            "signin-account",
            &key.buckets,
            folded,
            ATTEMPTS_PER_ACCOUNT,
        )?,
    };
    if let Decision::Limited { retry_after_secs } = decision {
        return Err(StaffError::Throttled { retry_after_secs });
    }
    let Some(account) = account else {
        password::spend_verification_time(attempt.password);
        return Err(StaffError::InvalidCredentials);
    };
    if !password::verify(attempt.password, &account.password_hash) || account.disabled {
        return Err(StaffError::InvalidCredentials);
    }
    Ok(account.clone())
}

/// Counts one attempt at the current password of `account` when changing it: 5 per 15
/// minutes, the sign-in budget, in a scope of its own keyed by the (random) account id, so
/// a stranger's sign-in lockout never blocks a signed-in staff member's change.
pub(crate) fn throttle_password_change(
    store: &dyn KvStore,
    now: Timestamp,
    account: &AccountId,
) -> Result<(), StaffError> {
    match ratelimit::check(
        store,
        now,
        "password-change",
        account.as_str(),
        ATTEMPTS_PER_ACCOUNT,
    )? {
        Decision::Limited { retry_after_secs } => Err(StaffError::Throttled { retry_after_secs }),
        Decision::Allowed => Ok(()),
    }
}

/// Opens a session for `account` under the cookie secret `secret` with the CSRF token `csrf`
/// (both random, from the caller). 1 set.
pub fn open(
    store: &dyn KvStore,
    now: Timestamp,
    account: &Account,
    secret: &str,
    csrf: &str,
) -> Result<(), StaffError> {
    let expires_at = Timestamp::from_unix_seconds(now.unix_seconds() + SESSION_SECS).unwrap_or(now);
    store.set_json(
        &keys::staff_session(&secret_hash(secret)),
        &StoredSession {
            account: account.id.clone(),
            epoch: account.session_epoch,
            csrf: csrf.to_owned(),
            expires_at,
        },
    )?;
    Ok(())
}

/// The live session behind a cookie secret, or `None` when it is unknown, expired, from an
/// older epoch or its account is disabled. 2 reads (+1 delete for an expired one).
pub fn resolve(
    store: &dyn KvStore,
    now: Timestamp,
    secret: &str,
) -> Result<Option<Session>, StaffError> {
    let key = keys::staff_session(&secret_hash(secret));
    let Some(stored) = store.get_json::<StoredSession>(&key)? else {
        return Ok(None);
    };
    if stored.expires_at <= now {
        store.delete(&key)?;
        return Ok(None);
    }
    let Some(account) = store.get_json::<Account>(&keys::staff_account(&stored.account))? else {
        return Ok(None);
    };
    if account.disabled || account.session_epoch != stored.epoch {
        return Ok(None);
    }
    Ok(Some(Session {
        account,
        csrf: stored.csrf,
    }))
}

/// Signs one browser out. 1 delete.
pub fn close(store: &dyn KvStore, secret: &str) -> Result<(), StaffError> {
    store.delete(&keys::staff_session(&secret_hash(secret)))?;
    Ok(())
}

/// Signs the account out everywhere: every session opened before is refused from now on.
pub fn close_all(store: &dyn KvStore, id: &AccountId) -> Result<Account, StaffError> {
    super::update_account(store, id, |account| {
        account.session_epoch += 1;
        Ok(())
    })
}

/// A personal API token as listed (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: TokenId,
    pub name: String,
    pub scopes: Vec<Permission>,
    pub created_at: Timestamp,
    /// See [`StoredToken`]: listed only while it matches the account's.
    #[serde(default, skip_serializing)]
    epoch: u32,
    /// The key part of the secret's hash, so revoking finds it without the secret.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    hash: String,
}

impl TokenSummary {
    /// The listing without the hash.
    pub fn public(&self) -> TokenSummary {
        TokenSummary {
            hash: String::new(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredToken {
    id: TokenId,
    account: AccountId,
    scopes: Vec<Permission>,
    /// The account's session epoch when the token was made: "sign out everywhere", a
    /// password reset and disabling the account end its tokens too.
    #[serde(default)]
    epoch: u32,
}

/// Parses a token's scopes; each must be granted by the account's role.
pub fn parse_scopes(role: Role, scopes: &[String]) -> Result<Vec<Permission>, StaffError> {
    if scopes.is_empty() {
        return Err(StaffError::invalid("scopes", "scopes: at least one"));
    }
    let mut parsed = Vec::new();
    for scope in scopes {
        let permission = Permission::parse(scope)?;
        if !role.allows(permission) {
            return Err(StaffError::ScopeNotGranted);
        }
        if !parsed.contains(&permission) {
            parsed.push(permission);
        }
    }
    Ok(parsed)
}

/// Creates a token for `account` whose secret is `secret` (`kq_` + random, from the caller).
/// 1 read + 1 CAS (the account's list) + 1 set. Tokens of earlier epochs leave the list here,
/// so it holds live tokens only.
pub fn create_token(
    store: &dyn KvStore,
    now: Timestamp,
    account: &Account,
    id: TokenId,
    name: &str,
    scopes: Vec<Permission>,
    secret: &str,
) -> Result<TokenSummary, StaffError> {
    let name = super::parse_name(name)?;
    let summary = TokenSummary {
        id: id.clone(),
        name,
        scopes: scopes.clone(),
        created_at: now,
        epoch: account.session_epoch,
        hash: secret_hash(secret),
    };
    let listed = moderation::update_doc(
        store,
        &keys::staff_account_tokens(&account.id),
        |tokens: &mut Vec<TokenSummary>| {
            tokens.retain(|t| t.epoch == summary.epoch);
            if tokens.len() >= MAX_TOKENS_PER_ACCOUNT {
                return Err(StaffError::TooManyTokens);
            }
            tokens.push(summary.clone());
            Ok(true)
        },
    )?;
    if listed.is_none() {
        return Err(StaffError::Busy);
    }
    store.set_json(
        &keys::staff_token(&summary.hash),
        &StoredToken {
            id,
            account: account.id.clone(),
            scopes,
            epoch: account.session_epoch,
        },
    )?;
    Ok(summary.public())
}

/// The account's live tokens (those made since its last "sign out everywhere"). 1 read.
pub fn list_tokens(
    store: &dyn KvStore,
    account: &Account,
) -> Result<Vec<TokenSummary>, StaffError> {
    Ok(store
        .get_json::<Vec<TokenSummary>>(&keys::staff_account_tokens(&account.id))?
        .unwrap_or_default()
        .iter()
        .filter(|t| t.epoch == account.session_epoch)
        .map(TokenSummary::public)
        .collect())
}

/// Revokes one of the account's tokens: it stops working at once. 1 read + 1 CAS + 1 delete.
pub fn revoke_token(
    store: &dyn KvStore,
    account: &AccountId,
    token: &TokenId,
) -> Result<(), StaffError> {
    let mut removed = None;
    moderation::update_doc(
        store,
        &keys::staff_account_tokens(account),
        |tokens: &mut Vec<TokenSummary>| {
            removed = tokens
                .iter()
                .position(|t| &t.id == token)
                .map(|i| tokens.remove(i));
            Ok::<bool, StaffError>(removed.is_some())
        },
    )?;
    let removed = removed.ok_or(StaffError::NotFound)?;
    store.delete(&keys::staff_token(&removed.hash))?;
    Ok(())
}

/// The account and scopes behind a token secret, or `None` when it is unknown, revoked or
/// its account disabled or signed out everywhere since. 2 reads.
pub fn resolve_token(
    store: &dyn KvStore,
    secret: &str,
) -> Result<Option<(Account, Vec<Permission>)>, StaffError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let Some(stored) = store.get_json::<StoredToken>(&keys::staff_token(&secret_hash(secret)))?
    else {
        return Ok(None);
    };
    let Some(account) = store.get_json::<Account>(&keys::staff_account(&stored.account))? else {
        return Ok(None);
    };
    if account.disabled || account.session_epoch != stored.epoch {
        return Ok(None);
    }
    Ok(Some((account, stored.scopes)))
}
