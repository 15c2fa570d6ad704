//! Staff accounts: who may do what in the console and the staff APIs.
//!
//! Three roles: administrators do everything (channels, secrets, accounts, approvals, the
//! audit log), editors draft content and submit posts for approval, moderators work the
//! moderation queues. The `admin_token` variable stays a bootstrap administrator without an
//! account, for the first sign-up and for automation.
//!
//! - `password`: Argon2id hashes and the password rule;
//! - `session`: sign-in with its throttling, session cookies with their CSRF token,
//!   sign-out everywhere, personal API tokens;
//! - `audit`: who did what, when, in numbered slots.
//!
//! Accounts live under `staff/account/{id}` (rewritten by compare-and-swap), found by email
//! through a pointer under the email's hash (created behind a `claims` claim), and listed
//! through numbered slots.

pub mod audit;
pub mod password;
pub mod session;
#[cfg(test)]
mod tests;

use crate::hashing::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::claims::{self, Claim};
use crate::clock::Timestamp;
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::moderation;
use crate::store::{KvStore, StoreError, read_counters};

pub use crate::ids::{AccountId, TokenId};

/// At most this many accounts: a library's staff, not a social network.
pub const MAX_ACCOUNTS: u64 = 200;
const MAX_NAME_CHARS: usize = 80;
const MAX_EMAIL_BYTES: usize = 254;

/// What a staff member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Editor,
    Moderator,
}

/// What a request needs. Roles grant permissions; a personal token narrows them to its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read staff lists and documents: every role.
    View,
    /// Create and edit posts, showcases, events, tutorials, polls, questions, contests,
    /// campaigns: editors and administrators.
    Edit,
    /// Work the moderation queues: moderators and administrators.
    Moderate,
    /// Approve posts and let them go out without approval: administrators.
    Publish,
    /// Channels and their secrets, webhook endpoints, accounts, the audit log, RGPD erasure:
    /// administrators.
    Administer,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, StaffError> {
        match text {
            "administrator" => Ok(Role::Administrator),
            "editor" => Ok(Role::Editor),
            "moderator" => Ok(Role::Moderator),
            _ => Err(StaffError::invalid(
                "role",
                "role: must be administrator, editor or moderator",
            )),
        }
    }

    pub fn allows(self, need: Permission) -> bool {
        matches!(
            (self, need),
            (Role::Administrator, _)
                | (_, Permission::View)
                | (Role::Editor, Permission::Edit)
                | (Role::Moderator, Permission::Moderate)
        )
    }
}

impl Permission {
    pub fn parse(text: &str) -> Result<Permission, StaffError> {
        match text {
            "view" => Ok(Permission::View),
            "edit" => Ok(Permission::Edit),
            "moderate" => Ok(Permission::Moderate),
            "publish" => Ok(Permission::Publish),
            "administer" => Ok(Permission::Administer),
            _ => Err(StaffError::invalid(
                "scopes",
                "scopes: each must be view, edit, moderate, publish or administer",
            )),
        }
    }
}

/// An email address as staff sign in with it: trimmed and lowercased, so `Anne@Bib.fr` and
/// `anne@bib.fr` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, StaffError> {
        let email = text.trim().to_lowercase();
        let valid = email.len() <= MAX_EMAIL_BYTES
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@')
            });
        if valid {
            Ok(Email(email))
        } else {
            Err(StaffError::invalid("email", "email: not a valid address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex SHA-256 of the address: the store key that finds its account without the
    /// address itself in a key (keys show up in store listings and backups).
    pub fn key_hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

impl TryFrom<String> for Email {
    type Error = StaffError;
    fn try_from(text: String) -> Result<Self, StaffError> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// A staff account as stored. `session_epoch` moves on "sign out everywhere" and password
/// resets: sessions opened under an older epoch are refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub disabled: bool,
    pub password_hash: String,
    #[serde(default)]
    pub session_epoch: u32,
    pub created_at: Timestamp,
}

/// What the API shows of an account: never the password hash.
#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl Account {
    pub fn view(&self) -> AccountView {
        AccountView {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            disabled: self.disabled,
            created_at: self.created_at,
        }
    }
}

/// A new account, parsed and validated.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password: String,
}

impl NewAccount {
    pub fn parse(email: &str, name: &str, role: &str, password: &str) -> Result<Self, StaffError> {
        password::check_rule(password)?;
        Ok(NewAccount {
            email: Email::parse(email)?,
            name: parse_name(name)?,
            role: Role::parse(role)?,
            password: password.to_owned(),
        })
    }
}

/// An administrator's change to an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

pub fn parse_name(name: &str) -> Result<String, StaffError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(StaffError::invalid(
            "name",
            "name: 1 to 80 characters, no line breaks",
        ));
    }
    Ok(name.to_owned())
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("account not found")]
    NotFound,
    #[error("an account already uses this email")]
    EmailTaken,
    #[error("at most 200 accounts")]
    TooManyAccounts,
    #[error("at most 20 tokens per account")]
    TooManyTokens,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("too many sign-in attempts; try again later")]
    Throttled { retry_after_secs: u32 },
    #[error("a token cannot have a scope its account's role does not grant")]
    ScopeNotGranted,
    #[error("an administrator cannot remove their own administrator role or disable themselves")]
    OwnAdministration,
    #[error("the account changed at the same moment; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StaffError {
    pub fn invalid(field: &'static str, message: &str) -> StaffError {
        StaffError::Invalid {
            field,
            message: message.to_owned(),
        }
    }
}

impl DomainError for StaffError {
    fn kind(&self) -> ErrorKind {
        match self {
            StaffError::Invalid { .. } => ErrorKind::Invalid,
            StaffError::NotFound => ErrorKind::NotFound,
            StaffError::EmailTaken
            | StaffError::TooManyAccounts
            | StaffError::TooManyTokens
            | StaffError::OwnAdministration
            | StaffError::Busy => ErrorKind::Conflict,
            StaffError::InvalidCredentials => ErrorKind::Unauthorized,
            StaffError::WrongPassword | StaffError::ScopeNotGranted => ErrorKind::Forbidden,
            StaffError::Throttled { .. } => ErrorKind::TooManyRequests,
            StaffError::Store(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            StaffError::Invalid { .. } => "invalid",
            StaffError::NotFound => "not_found",
            StaffError::EmailTaken => "email_taken",
            StaffError::TooManyAccounts => "too_many_accounts",
            StaffError::TooManyTokens => "too_many_tokens",
            StaffError::InvalidCredentials => "invalid_credentials",
            StaffError::WrongPassword => "wrong_password",
            StaffError::Throttled { .. } => "throttled",
            StaffError::ScopeNotGranted => "scope_not_granted",
            StaffError::OwnAdministration => "own_administration",
            StaffError::Busy => "busy",
            StaffError::Store(_) => "storage_error",
        }
    }

    fn retry_after_secs(&self) -> Option<u32> {
        match self {
            StaffError::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The console shows an invalid field's message beside it.
    fn field_errors(&self) -> Vec<crate::social::FieldError> {
        match self {
            StaffError::Invalid { field, message } => {
                vec![crate::social::FieldError::new(*field, message.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// Creates an account. The email is claimed first (`claims`, an increment), so two
/// simultaneous sign-ups with one address make one account. The email's pointer, written
/// last, is the proof the account exists: a creation that failed gives the claim back, one
/// whose instance died is taken over after the grace, and [`list`] shows only accounts their
/// email points to, so a half-written one never appears. `salt` comes from the caller's
/// random source. Costs 1 batch read, 2 increments, 5 sets and one Argon2id hash.
pub fn create(
    store: &dyn KvStore,
    now: Timestamp,
    id: AccountId,
    new: NewAccount,
    salt: [u8; 16],
) -> Result<Account, StaffError> {
    let email_hash = new.email.key_hash();
    let claim = keys::staff_email_claim(&email_hash);
    match claims::claim(store, now, &claim, &keys::staff_email(&email_hash))? {
        Claim::Won => {}
        Claim::Exists(_) | Claim::Pending => return Err(StaffError::EmailTaken),
    }
    let stored = store_new(store, now, id, new, salt);
    if stored.is_err() {
        // Nothing points to the half-written account: give the email back so the
        // administrator can retry.
        claims::release(store, &claim);
    }
    stored
}

/// Writes a new account whose email is claimed: its slot, the account and its token list,
/// then the email's pointer.
fn store_new(
    store: &dyn KvStore,
    now: Timestamp,
    id: AccountId,
    new: NewAccount,
    salt: [u8; 16],
) -> Result<Account, StaffError> {
    let slot = store.increment(&keys::staff_accounts_seq(), 1)?;
    if slot > MAX_ACCOUNTS as i64 {
        // Give the slot back so the count stays usable. (A creation that fails later keeps
        // its slot: a gap that `list` skips.)
        store.increment(&keys::staff_accounts_seq(), -1)?;
        return Err(StaffError::TooManyAccounts);
    }
    let email_hash = new.email.key_hash();
    let account = Account {
        id,
        email: new.email,
        name: new.name,
        role: new.role,
        disabled: false,
        password_hash: password::hash(&new.password, salt)?,
        session_epoch: 0,
        created_at: now,
    };
    store.set_json(&keys::staff_account(&account.id), &account)?;
    store.set_json(&keys::staff_account_tokens(&account.id), &Vec::<()>::new())?;
    store.set_json(&keys::staff_accounts_slot(slot as u64), &account.id)?;
    store.set_json(&keys::staff_email(&email_hash), &account.id)?;
    Ok(account)
}

/// 1 read.
pub fn get(store: &dyn KvStore, id: &AccountId) -> Result<Account, StaffError> {
    store
        .get_json(&keys::staff_account(id))?
        .ok_or(StaffError::NotFound)
}

/// 2 reads: the email's account id, then the account.
pub fn by_email(store: &dyn KvStore, email: &Email) -> Result<Option<Account>, StaffError> {
    let Some(id) = store.get_json::<AccountId>(&keys::staff_email(&email.key_hash()))? else {
        return Ok(None);
    };
    Ok(store.get_json(&keys::staff_account(&id))?)
}

/// Every account, oldest first: 1 counter read + 3 batch reads, at most 200 accounts. An
/// account its email does not point to is a creation that failed before its last write
/// (see [`create`]): it is left out.
pub fn list(store: &dyn KvStore) -> Result<Vec<Account>, StaffError> {
    let count =
        read_counters(store, &[keys::staff_accounts_seq()])?[0].clamp(0, MAX_ACCOUNTS as i64);
    let slots: Vec<String> = (1..=count as u64).map(keys::staff_accounts_slot).collect();
    let ids: Vec<AccountId> = store
        .get_many(&slots)?
        .into_iter()
        .filter_map(|(_, value)| value.and_then(|v| serde_json::from_slice(&v).ok()))
        .collect();
    let account_keys: Vec<String> = ids.iter().map(keys::staff_account).collect();
    let mut accounts: Vec<Account> = store
        .get_many(&account_keys)?
        .into_iter()
        .filter_map(|(_, value)| value.and_then(|v| serde_json::from_slice(&v).ok()))
        .collect();
    let email_keys: Vec<String> = accounts
        .iter()
        .map(|a| keys::staff_email(&a.email.key_hash()))
        .collect();
    let owners: std::collections::HashMap<String, AccountId> = store
        .get_many(&email_keys)?
        .into_iter()
        .filter_map(|(key, value)| Some((key, serde_json::from_slice(&value?).ok()?)))
        .collect();
    accounts.retain(|a| owners.get(&keys::staff_email(&a.email.key_hash())) == Some(&a.id));
    accounts.sort_by_key(|a| a.created_at);
    Ok(accounts)
}

/// An administrator's change (`by` is the administrator's account, `None` for the bootstrap
/// token). Administrators cannot demote or disable themselves: a library must never lose its
/// last way in by a slip. Disabling also ends the account's sessions.
pub fn update(
    store: &dyn KvStore,
    id: &AccountId,
    change: AccountChange,
    by: Option<&AccountId>,
) -> Result<Account, StaffError> {
    let own = by == Some(id);
    if own
        && (change.role.is_some_and(|r| r != Role::Administrator) || change.disabled == Some(true))
    {
        return Err(StaffError::OwnAdministration);
    }
    update_account(store, id, |account| {
        if let Some(name) = &change.name {
            account.name = name.clone();
        }
        if let Some(role) = change.role {
            account.role = role;
        }
        if let Some(disabled) = change.disabled {
            if disabled && !account.disabled {
                account.session_epoch += 1;
            }
            account.disabled = disabled;
        }
        Ok(())
    })
}

/// An administrator sets a new password: the account's sessions end.
pub fn reset_password(
    store: &dyn KvStore,
    id: &AccountId,
    new_password: &str,
    salt: [u8; 16],
) -> Result<Account, StaffError> {
    password::check_rule(new_password)?;
    let hash = password::hash(new_password, salt)?;
    update_account(store, id, |account| {
        account.password_hash = hash.clone();
        account.session_epoch += 1;
        Ok(())
    })
}

/// A staff member changes their own password after proving the current one, within as
/// many attempts as a sign-in gets (a stolen session cannot guess it faster than a sign-in
/// could); every session of the account ends (the caller opens a new one for the
/// browser that asked).
pub fn change_own_password(
    store: &dyn KvStore,
    now: Timestamp,
    id: &AccountId,
    current: &str,
    new_password: &str,
    salt: [u8; 16],
) -> Result<Account, StaffError> {
    password::check_rule(new_password)?;
    let account = get(store, id)?;
    session::throttle_password_change(store, now, &account.id)?;
    if !password::verify(current, &account.password_hash) {
        return Err(StaffError::WrongPassword);
    }
    reset_password(store, id, new_password, salt)
}

/// Reads the account, applies `change` and writes it back by compare-and-swap.
pub(crate) fn update_account(
    store: &dyn KvStore,
    id: &AccountId,
    mut change: impl FnMut(&mut Account) -> Result<(), StaffError>,
) -> Result<Account, StaffError> {
    let key = keys::staff_account(id);
    if !store.exists(&key)? {
        return Err(StaffError::NotFound);
    }
    moderation::update_doc(store, &key, |account: &mut Account| {
        change(account).map(|()| true)
    })?
    .ok_or(StaffError::Busy)
}
