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
use sha2::{Digest, Sha256};

use super::{Account, AccountId, Email, Permission, Role, StaffError, TokenId, hex, password};
use crate::clock::Timestamp;
use crate::keys;
use crate::moderation;
use crate::ratelimit::{self, Decision, RateLimit};
use crate::store::KvStore;

/// A session lasts a working day; signing in again the next morning is expected.
pub const SESSION_SECS: i64 = 12 * 3600;
/// Sign-in attempts per account (by email, whether or not it exists) and per address.
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
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Checks `email` and `password`, throttled per account and per address (`client`), and
/// answers the account. An unknown email, a wrong password and a disabled account are the
/// same error, and take the same time. Costs 2 rate-limit checks (2 reads, 2 CAS), 2 reads
/// and one Argon2id verification.
pub fn sign_in(
    store: &dyn KvStore,
    now: Timestamp,
    email: &str,
    password_text: &str,
    client: &str,
) -> Result<Account, StaffError> {
    let folded = email.trim().to_lowercase();
    throttle_account(store, now, &folded)?;
    if let Decision::Limited { retry_after_secs } =
        ratelimit::check(store, now, "signin-address", client, ATTEMPTS_PER_ADDRESS)?
    {
        return Err(StaffError::Throttled { retry_after_secs });
    }
    let account = match Email::parse(&folded) {
        Ok(email) => super::by_email(store, &email)?,
        Err(_) => None,
    };
    let Some(account) = account else {
        password::spend_verification_time(password_text);
        return Err(StaffError::InvalidCredentials);
    };
    if !password::verify(password_text, &account.password_hash) || account.disabled {
        return Err(StaffError::InvalidCredentials);
    }
    Ok(account)
}

/// Counts one password attempt against the account of `email` (folded): sign-ins and own
/// password changes share [`ATTEMPTS_PER_ACCOUNT`].
pub(crate) fn throttle_account(
    store: &dyn KvStore,
    now: Timestamp,
    email: &str,
) -> Result<(), StaffError> {
    match ratelimit::check(store, now, "signin-account", email, ATTEMPTS_PER_ACCOUNT)? {
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
