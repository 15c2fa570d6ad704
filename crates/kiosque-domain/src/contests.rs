//! Contests and challenges: staff set rules (Markdown), categories (age groups...), a
//! submission window and a voting window; patrons submit entries that wait for moderation;
//! approved entries make a public gallery per category; patrons vote once per category; staff
//! mark winners; everyone sees the results.
//!
//! Personal data (RGPD): the contact email of an entry is kept apart from the entry, under
//! `contest/{id}/contact/{seq}`, and reached from the email through `contact-ref/{hash}/{n}`
//! (a sequence per email, so two entries of one person never contend). `hash` is keyed
//! ([`Email::key_hash`], HMAC-SHA-256 with the `card_hash_key` secret): without the secret
//! nobody can confirm from the key names that an address took part, which is why contests
//! refuse to run without it ([`ContactKey`]). The contact is erased [`purge_due`]
//! `retention_days` (at most [`MAX_RETENTION_DAYS`]) after the contest ends (a cron calls it;
//! staff reading a contest's queue purges that contest too), and on request
//! ([`erase_participant`], which deletes the references too).
//!
//! Cost in store calls, whatever the number of entries and votes: submitting 5 (1 increment,
//! 3 writes, 1 increment; the adapter adds the contest read and the rate limit's 2); voting 4
//! (2 reads, 2 increments; the adapter's rate limit adds 2); a gallery page 3 (2 reads,
//! 1 batch read); results 5 (3 reads, 1 batch read of the vote counters, 1 batch read of the
//! winners and the [`RESULTS_TOP`] most voted entries per category).

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::hashing::hmac_sha256;
use crate::keys;
use crate::markdown;
use crate::moderation::{self, Decision, Status};
use crate::polls::VoterId;
use crate::questions::next_seq;
use crate::store::{self, KvStore, StoreError};
use crate::web::HttpsUrl;

pub use crate::ids::ContestId;

pub const MAX_TITLE_CHARS: usize = 150;
pub const MAX_RULES_CHARS: usize = 20_000;
pub const MAX_PRIZE_CHARS: usize = 1_000;
pub const MAX_CATEGORIES: usize = 12;
pub const MAX_CATEGORY_NAME_CHARS: usize = 60;
pub const MAX_ENTRY_TEXT_CHARS: usize = 2_000;
pub const MAX_DISPLAY_NAME_CHARS: usize = 60;
pub const MAX_URL_CHARS: usize = 500;
/// Approved entries per contest (all categories): keeps the index well under 1 MB, and the
/// results' one batch read of vote counters bounded.
pub const MAX_APPROVED: usize = 2_000;
pub const PER_PAGE: usize = 24;
/// References of one participant one export call reads (`from` pages through the rest).
pub const EXPORT_PAGE: u64 = 100;
/// References of one participant one erasure call erases (`from` pages through the rest).
pub const ERASE_PAGE: u64 = 50;
/// Contests one purge call looks at (its scan resumes where the previous call stopped).
pub const PURGE_WINDOW: u64 = 100;
/// The longest contact retention honoured: ten years. Longer settings are refused by the
/// adapter (which falls back to its default) and capped here.
pub const MAX_RETENTION_DAYS: u32 = 3_650;
/// Entries per category the results list with their votes (the counters of all are read).
pub const RESULTS_TOP: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ContestError {
    #[error("contest not found")]
    NotFound,
    #[error("entry not found")]
    EntryNotFound,
    #[error("this contest does not take entries now")]
    SubmissionsClosed,
    #[error("voting is not open for this contest now")]
    VotingClosed,
    #[error("this visitor has already voted in this category")]
    AlreadyVoted,
    #[error("{0}")]
    InvalidContest(String),
    #[error("{message}")]
    InvalidEntry {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("the list of approved entries is full")]
    Full,
    #[error("the contest changed meanwhile, try again")]
    Busy,
    #[error("a contest with this id already exists")]
    Exists,
    #[error(
        "contests need the card_hash_key secret (it keys the hashes that find a participant's entries); set it first"
    )]
    ContactKeyMissing,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for ContestError {
    fn kind(&self) -> ErrorKind {
        use ContestError::*;
        match self {
            NotFound | EntryNotFound => ErrorKind::NotFound,
            SubmissionsClosed | VotingClosed | AlreadyVoted | Full | Busy | Exists => {
                ErrorKind::Conflict
            }
            InvalidContest(_) | InvalidEntry { .. } | Invalid(_) | ContactKeyMissing => {
                ErrorKind::Invalid
            }
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use ContestError::*;
        match self {
            NotFound => "contest_not_found",
            EntryNotFound => "entry_not_found",
            SubmissionsClosed => "submissions_closed",
            VotingClosed => "voting_closed",
            AlreadyVoted => "already_voted",
            InvalidContest(_) => "invalid_contest",
            InvalidEntry { field, .. } if *field == "consent" => "consent_required",
            InvalidEntry { .. } => "invalid_entry",
            Invalid(_) => "invalid_request",
            Full => "approved_list_full",
            Busy => "busy",
            Exists => "contest_exists",
            ContactKeyMissing => "contact_hash_key_missing",
            Storage(_) => "storage_error",
        }
    }
}

pub use crate::ids::CategorySlug;

/// A contact email, lower-cased so the same person is found whatever the case they typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_lowercase();
        let invalid = || "email: must be an address like name@example.org".to_owned();
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = (1..=64).contains(&local.len())
            && !local.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || moderation::is_bidi_control(c)
                    || matches!(c, '@' | '<' | '>' | '"' | ',' | ';')
            });
        let domain_ok = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok && text.len() <= 254 {
            Ok(Email(text))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which this address's entries are listed: the first 128 bits of
    /// HMAC-SHA-256(`key`, "contest-contact\n" + address), as 32 hex digits. Keyed, so the key
    /// names do not let anyone test addresses; the stored contact is still compared with the
    /// address itself.
    pub fn key_hash(&self, key: &ContactKey) -> String {
        let mac = hmac_sha256(
            key.0.as_bytes(),
            format!("contest-contact\n{}", self.0).as_bytes(),
        );
        hex::encode(&mac[..16])
    }
}

/// The secret that keys [`Email::key_hash`] (the `card_hash_key` variable). Never printed.
#[derive(Clone)]
pub struct ContactKey(String);

impl ContactKey {
    /// `None` for an empty secret: contests then refuse to run
    /// ([`ContestError::ContactKeyMissing`]) rather than fall back to an unkeyed hash.
    pub fn new(secret: &str) -> Option<Self> {
        let secret = secret.trim();
        (!secret.is_empty()).then(|| ContactKey(secret.to_owned()))
    }
}

impl std::fmt::Debug for ContactKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactKey(..)")
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// The licence a patron grants on their entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Licence {
    CcBy,
    CcBySa,
    AllRightsReserved,
}

impl Licence {
    pub const ALL: [Licence; 3] = [Licence::CcBy, Licence::CcBySa, Licence::AllRightsReserved];

    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "cc-by" => Ok(Licence::CcBy),
            "cc-by-sa" => Ok(Licence::CcBySa),
            "all-rights-reserved" => Ok(Licence::AllRightsReserved),
            _ => Err(
                "licence: must be \"cc-by\", \"cc-by-sa\" or \"all-rights-reserved\"".to_owned(),
            ),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Licence::CcBy => "cc-by",
            Licence::CcBySa => "cc-by-sa",
            Licence::AllRightsReserved => "all-rights-reserved",
        }
    }

    /// The licence's deed, for links and schema.org `license`.
    pub fn url(self) -> Option<&'static str> {
        match self {
            Licence::CcBy => Some("https://creativecommons.org/licenses/by/4.0/"),
            Licence::CcBySa => Some("https://creativecommons.org/licenses/by-sa/4.0/"),
            Licence::AllRightsReserved => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub slug: CategorySlug,
    pub name: String,
}

/// The wire shape of `POST /api/contests`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateContestRequest {
    pub title: String,
    #[serde(default)]
    pub rules: String,
    pub categories: Vec<Category>,
    pub submissions_open: Timestamp,
    pub submissions_close: Timestamp,
    #[serde(default)]
    pub voting_open: Option<Timestamp>,
    #[serde(default)]
    pub voting_close: Option<Timestamp>,
    #[serde(default)]
    pub public_vote: bool,
    #[serde(default)]
    pub jury: bool,
    #[serde(default)]
    pub prize: Option<String>,
}

/// A contest as stored under `keys::contest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contest {
    pub id: ContestId,
    pub title: String,
    /// Markdown, rendered with [`markdown::render`].
    pub rules: String,
    pub categories: Vec<Category>,
    pub submissions_open: Timestamp,
    pub submissions_close: Timestamp,
    pub voting_open: Option<Timestamp>,
    pub voting_close: Option<Timestamp>,
    pub public_vote: bool,
    pub jury: bool,
    pub prize: Option<String>,
    pub created_at: Timestamp,
}

/// A validated contest, waiting for an id and a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContest(Contest);

impl NewContest {
    pub fn parse(request: CreateContestRequest) -> Result<Self, ContestError> {
        let invalid = ContestError::InvalidContest;
        let title =
            moderation::text("title", &request.title, MAX_TITLE_CHARS, false).map_err(invalid)?;
        let rules = if request.rules.trim().is_empty() {
            String::new()
        } else {
            moderation::text("rules", &request.rules, MAX_RULES_CHARS, true).map_err(invalid)?
        };
        let prize =
            moderation::optional_text("prize", request.prize.as_deref(), MAX_PRIZE_CHARS, true)
                .map_err(invalid)?;
        if request.categories.is_empty() || request.categories.len() > MAX_CATEGORIES {
            return Err(invalid(format!(
                "categories: between 1 and {MAX_CATEGORIES}"
            )));
        }
        let mut categories: Vec<Category> = Vec::with_capacity(request.categories.len());
        for (i, category) in request.categories.into_iter().enumerate() {
            let name = moderation::text(
                &format!("categories[{i}].name"),
                &category.name,
                MAX_CATEGORY_NAME_CHARS,
                false,
            )
            .map_err(invalid)?;
            if categories.iter().any(|c| c.slug == category.slug) {
                return Err(invalid(format!("categories[{i}].slug: used twice")));
            }
            categories.push(Category {
                slug: category.slug,
                name,
            });
        }
        if request.submissions_open >= request.submissions_close {
            return Err(invalid(
                "submissions_close: must come after submissions_open".to_owned(),
            ));
        }
        if !request.public_vote && !request.jury {
            return Err(invalid(
                "public_vote, jury: a contest needs at least one of them".to_owned(),
            ));
        }
        let (voting_open, voting_close) = match (
            request.public_vote,
            request.voting_open,
            request.voting_close,
        ) {
            (true, Some(open), Some(close)) => {
                // Patrons vote on a complete gallery: voting starts once submissions end.
                if open < request.submissions_close || open >= close {
                    return Err(invalid(
                        "voting_open, voting_close: voting must start after submissions close and end after it starts"
                            .to_owned(),
                    ));
                }
                (Some(open), Some(close))
            }
            (true, _, _) => {
                return Err(invalid(
                    "voting_open, voting_close: required for a public vote".to_owned(),
                ));
            }
            (false, _, _) => (None, None),
        };
        Ok(NewContest(Contest {
            // A placeholder: `create` gives the contest its id.
            id: ContestId::generate([0; 10]),
            title,
            rules,
            categories,
            submissions_open: request.submissions_open,
            submissions_close: request.submissions_close,
            voting_open,
            voting_close,
            public_vote: request.public_vote,
            jury: request.jury,
            prize,
            created_at: Timestamp::UNIX_EPOCH,
        }))
    }
}

impl Contest {
    pub fn accepts_entries(&self, now: Timestamp) -> bool {
        self.submissions_open <= now && now < self.submissions_close
    }

    pub fn voting_is_open(&self, now: Timestamp) -> bool {
        self.public_vote
            && matches!((self.voting_open, self.voting_close), (Some(o), Some(c)) if o <= now && now < c)
    }

    /// When nothing more happens: the end of voting, or of submissions without a public vote.
    pub fn ends_at(&self) -> Timestamp {
        self.voting_close
            .unwrap_or(self.submissions_close)
            .max(self.submissions_close)
    }

    /// When contact emails are erased: `retention_days` (capped at [`MAX_RETENTION_DAYS`])
    /// after the end. Saturates rather than wrapping, so no setting erases early.
    pub fn contacts_erased_at(&self, retention_days: u32) -> Timestamp {
        let days = i64::from(retention_days.min(MAX_RETENTION_DAYS));
        let secs = self.ends_at().unix_seconds().saturating_add(days * 86_400);
        Timestamp::from_unix_seconds(secs)
            // 9999-12-31T23:59:59Z: later than any date a contest can be given.
            .or_else(|| Timestamp::from_unix_seconds(253_402_300_799))
            .unwrap_or(self.ends_at())
            .max(self.ends_at())
    }

    pub fn category(&self, slug: &CategorySlug) -> Option<&Category> {
        self.categories.iter().find(|c| &c.slug == slug)
    }

    pub fn rules_html(&self) -> String {
        markdown::render(&self.rules)
    }
}

/// The wire shape of an entry, from JSON or from the page's form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitEntryRequest {
    pub title: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    pub display_name: String,
    pub category: String,
    #[serde(default)]
    pub consent: bool,
    pub licence: String,
    pub email: String,
    /// The honeypot (see `questions::SubmitAnswerRequest::website`).
    #[serde(default)]
    pub website: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    entry: Entry,
    email: Email,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySubmission {
    Entry(Box<NewEntry>),
    Spam,
}

fn entry_field<T>(
    field: &'static str,
    result: Result<T, impl Into<String>>,
) -> Result<T, ContestError> {
    result.map_err(|message| ContestError::InvalidEntry {
        field,
        message: message.into(),
    })
}

impl NewEntry {
    pub fn parse(
        contest: &Contest,
        request: SubmitEntryRequest,
    ) -> Result<EntrySubmission, ContestError> {
        if moderation::honeypot_filled(request.website.as_deref()) {
            return Ok(EntrySubmission::Spam);
        }
        let title = entry_field(
            "title",
            moderation::text("title", &request.title, MAX_TITLE_CHARS, false),
        )?;
        let text = entry_field(
            "text",
            moderation::optional_text("text", request.text.as_deref(), MAX_ENTRY_TEXT_CHARS, true),
        )?;
        let link = match request.link.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(entry_field(
                "link",
                HttpsUrl::parse("link", raw, MAX_URL_CHARS),
            )?),
        };
        if text.is_none() && link.is_none() {
            return Err(ContestError::InvalidEntry {
                field: "text",
                message: "text, link: give a text or a link to your creation".to_owned(),
            });
        }
        let display_name = entry_field(
            "display_name",
            moderation::text(
                "display_name",
                &request.display_name,
                MAX_DISPLAY_NAME_CHARS,
                false,
            ),
        )?;
        let category = entry_field("category", CategorySlug::parse(request.category.trim()))?;
        if contest.category(&category).is_none() {
            return Err(ContestError::InvalidEntry {
                field: "category",
                message: "category: not one of this contest's categories".to_owned(),
            });
        }
        let licence = entry_field("licence", Licence::parse(&request.licence))?;
        let email = entry_field("email", Email::parse(&request.email))?;
        if !request.consent {
            return Err(ContestError::InvalidEntry {
                field: "consent",
                message: "consent: publication needs your consent".to_owned(),
            });
        }
        Ok(EntrySubmission::Entry(Box::new(NewEntry {
            entry: Entry {
                seq: 0,
                category,
                title,
                text,
                link,
                display_name,
                licence,
                status: Status::Pending,
                rejection_reason: None,
                created_at: Timestamp::UNIX_EPOCH,
                moderated_at: None,
            },
            email,
        })))
    }
}

/// An entry as stored under `keys::contest_entry`: no contact data here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub category: CategorySlug,
    pub title: String,
    pub text: Option<String>,
    pub link: Option<HttpsUrl>,
    pub display_name: String,
    pub licence: Licence,
    pub status: Status,
    #[serde(default)]
    pub rejection_reason: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub moderated_at: Option<Timestamp>,
}

/// The contact of one entry, under `keys::contest_contact`; `slot` is its reference's number
/// under the email's keyed `hash` (kept here so the purge can delete the reference without
/// the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Email,
    pub slot: u64,
    pub hash: String,
}

/// Where one entry of an email is, under `keys::contact_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub contest: ContestId,
    pub seq: u64,
}

/// Per category, the numbers of approved entries (or of winners), in order.
pub type Index = BTreeMap<CategorySlug, Vec<u64>>;

/// How far the contact erasure of a contest went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeState {
    pub next: u64,
    pub done: bool,
}

/// Stores a contest, its empty indexes, and its place in the registry the purge walks.
/// Costs 5 store calls.
pub fn create_contest(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: ContestId,
    new: NewContest,
) -> Result<Contest, ContestError> {
    let mut contest = new.0;
    contest.id = id;
    contest.created_at = clock.now();
    let key = keys::contest(&contest.id);
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &contest)?)? {
        return Err(ContestError::Exists);
    }
    store.set_json(&keys::contest_approved(&contest.id), &Index::new())?;
    store.set_json(&keys::contest_winners(&contest.id), &Index::new())?;
    let n = next_seq(store.increment(&keys::contest_registry_seq(), 1)?)?;
    store.set_json(&keys::contest_registry(n), &contest.id)?;
    Ok(contest)
}

pub fn get_contest(store: &dyn KvStore, id: &ContestId) -> Result<Contest, ContestError> {
    store
        .get_json(&keys::contest(id))?
        .ok_or(ContestError::NotFound)
}

/// Stores an entry for moderation, its contact apart, and the contact's reference under the
/// email's keyed hash. Costs 5 store calls (2 increments, 3 writes), whatever the number of
/// entries.
pub fn submit_entry(
    store: &dyn KvStore,
    clock: &dyn Clock,
    contest: &Contest,
    new: NewEntry,
    key: &ContactKey,
) -> Result<u64, ContestError> {
    let now = clock.now();
    if !contest.accepts_entries(now) {
        return Err(ContestError::SubmissionsClosed);
    }
    let id = &contest.id;
    let seq = next_seq(store.increment(&keys::contest_entry_seq(id), 1)?)?;
    let mut entry = new.entry;
    entry.seq = seq;
    entry.created_at = now;
    store.set_json(&keys::contest_entry(id, seq), &entry)?;
    // The reference before the contact: a stored email is always findable by export/erasure.
    let hash = new.email.key_hash(key);
    let slot = next_seq(store.increment(&keys::contact_ref_seq(&hash), 1)?)?;
    store.set_json(
        &keys::contact_ref(&hash, slot),
        &ContactRef {
            contest: id.clone(),
            seq,
        },
    )?;
    store.set_json(
        &keys::contest_contact(id, seq),
        &Contact {
            email: new.email,
            slot,
            hash,
        },
    )?;
    Ok(seq)
}

/// An entry with its contact, for staff.
#[derive(Debug, Clone, Serialize)]
pub struct StaffEntry {
    #[serde(flatten)]
    pub entry: Entry,
    /// `None` once erased.
    pub email: Option<Email>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    pub entries: Vec<StaffEntry>,
    pub submitted: u64,
    pub next_from: Option<u64>,
}

/// Entries `from..from+limit` (at most 100) with their contacts, for staff; pending only when
/// `pending_only`. A contest past its erasure date is purged first (bounded). Costs 4 store
/// calls plus the purge's, when due.
pub fn queue(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
    retention_days: u32,
    from: u64,
    limit: u64,
    pending_only: bool,
) -> Result<Queue, ContestError> {
    let contest = get_contest(store, id)?;
    if clock.now() >= contest.contacts_erased_at(retention_days) {
        purge_contest(store, id, PURGE_BUDGET, purge_state(store, id)?)?;
    }
    let submitted = moderation::read_counter(store, keys::contest_entry_seq(id))?;
    let seqs = moderation::seq_range(from, limit, submitted);
    let next_from = seqs.last().map(|&s| s + 1).filter(|&n| n <= submitted);
    let entries = moderation::read_items::<Entry>(store, &seqs, |s| keys::contest_entry(id, s))?;
    let contacts: HashMap<u64, Contact> =
        moderation::read_items::<Contact>(store, &seqs, |s| keys::contest_contact(id, s))?
            .into_iter()
            .collect();
    let entries = entries
        .into_iter()
        .filter(|(_, e)| !pending_only || e.status == Status::Pending)
        .map(|(seq, entry)| StaffEntry {
            entry,
            email: contacts.get(&seq).map(|c| c.email.clone()),
        })
        .collect();
    Ok(Queue {
        entries,
        submitted,
        next_from,
    })
}

/// Approves or rejects one entry (staff). Costs 5 store calls, 2 more per retry.
///
/// Two documents change, with no transaction: the entry's status, which is the truth (votes
/// and the gallery read it), and the category's approved list, which only says where to look.
/// So the list may hold more than the approved entries, never fewer: an approval lists the
/// entry before it sets the status, a rejection sets the status before it unlists. Whichever
/// write fails, the entry is never votable without being approved, and the same decision
/// sent again completes the other write.
pub fn moderate(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
    seq: u64,
    decision: Decision,
) -> Result<Entry, ContestError> {
    let now = clock.now();
    let entry_key = keys::contest_entry(id, seq);
    let entry: Entry = store
        .get_json(&entry_key)?
        .ok_or(ContestError::EntryNotFound)?;
    let (status, reason) = match decision {
        Decision::Approve => (Status::Approved, None),
        Decision::Reject { reason } => (Status::Rejected, reason),
    };
    let category = entry.category.clone();
    let update_list = || -> Result<(), ContestError> {
        let listed =
            moderation::update_doc(store, &keys::contest_approved(id), |index: &mut Index| {
                let total: usize = index.values().map(Vec::len).sum();
                let list = index.entry(category.clone()).or_default();
                match (status, list.binary_search(&seq)) {
                    (Status::Approved, Err(at)) => {
                        if total >= MAX_APPROVED {
                            return Err(ContestError::Full);
                        }
                        list.insert(at, seq);
                        Ok(true)
                    }
                    (Status::Approved, Ok(_)) | (_, Err(_)) => Ok(false),
                    (_, Ok(at)) => {
                        list.remove(at);
                        Ok(true)
                    }
                }
            })?;
        listed.map(|_| ()).ok_or(ContestError::Busy)
    };
    let update_status = || -> Result<Entry, ContestError> {
        let updated = moderation::update_doc(store, &entry_key, |entry: &mut Entry| {
            entry.status = status;
            entry.rejection_reason = reason.clone();
            entry.moderated_at = Some(now);
            Ok::<_, ContestError>(true)
        })?;
        updated.ok_or(ContestError::Busy)
    };
    if status == Status::Approved {
        update_list()?;
        update_status()
    } else {
        let updated = update_status()?;
        update_list()?;
        Ok(updated)
    }
}

/// One public gallery page of a category.
#[derive(Debug, Clone)]
pub struct Gallery {
    pub contest: Contest,
    pub category: CategorySlug,
    pub entries: Vec<Entry>,
    pub approved: usize,
    pub page: u64,
    pub pages: u64,
}

/// A page (1-based, [`PER_PAGE`] entries, newest first) of a category's approved entries.
/// Costs 3 store calls (2 reads, 1 batch read).
pub fn gallery(
    store: &dyn KvStore,
    id: &ContestId,
    category: &CategorySlug,
    page: u64,
) -> Result<Gallery, ContestError> {
    let contest = get_contest(store, id)?;
    if contest.category(category).is_none() {
        return Err(ContestError::NotFound);
    }
    let index: Index = store
        .get_json(&keys::contest_approved(id))?
        .unwrap_or_default();
    let mut seqs = index.get(category).cloned().unwrap_or_default();
    seqs.reverse();
    let pages = (seqs.len() as u64).div_ceil(PER_PAGE as u64).max(1);
    let wanted = moderation::page_of(&seqs, page, PER_PAGE);
    let entries = moderation::read_items::<Entry>(store, &wanted, |s| keys::contest_entry(id, s))?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.status == Status::Approved)
        .collect();
    Ok(Gallery {
        contest,
        category: category.clone(),
        entries,
        approved: seqs.len(),
        page: page.max(1),
        pages,
    })
}

/// One public vote of `voter` for an approved entry, one per category. Returns the entry's
/// category. Costs 4 store calls (2 reads, 2 increments), whatever the number of votes.
pub fn vote(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
    seq: u64,
    voter: &VoterId,
) -> Result<CategorySlug, ContestError> {
    let contest = get_contest(store, id)?;
    if !contest.voting_is_open(clock.now()) {
        return Err(ContestError::VotingClosed);
    }
    let entry: Entry = store
        .get_json(&keys::contest_entry(id, seq))?
        .filter(|e: &Entry| e.status == Status::Approved)
        .ok_or(ContestError::EntryNotFound)?;
    match moderation::claim_and_count(
        store,
        &keys::contest_voter(id, &entry.category, voter),
        &keys::contest_entry_votes(id, seq),
    )? {
        Some(_) => Ok(entry.category),
        None => Err(ContestError::AlreadyVoted),
    }
}

/// The wire shape of `POST /api/contests/:id/winners`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinnersRequest {
    pub category: CategorySlug,
    /// Entry numbers, first prize first; empty clears the category's winners.
    pub entries: Vec<u64>,
}

/// Marks the winners of one category (staff): approved entries of that category only.
/// Costs 4 store calls.
pub fn set_winners(
    store: &dyn KvStore,
    id: &ContestId,
    request: WinnersRequest,
) -> Result<Index, ContestError> {
    let contest = get_contest(store, id)?;
    if contest.category(&request.category).is_none() {
        return Err(ContestError::Invalid(
            "category: not one of this contest's categories".to_owned(),
        ));
    }
    if request.entries.len() > 10 {
        return Err(ContestError::Invalid(
            "entries: at most 10 winners per category".to_owned(),
        ));
    }
    if let Some((i, dup)) = request
        .entries
        .iter()
        .enumerate()
        .find(|(i, s)| request.entries[..*i].contains(s))
    {
        return Err(ContestError::Invalid(format!(
            "entries[{i}]: {dup} is listed twice"
        )));
    }
    let approved: Index = store
        .get_json(&keys::contest_approved(id))?
        .unwrap_or_default();
    let listed = approved.get(&request.category).cloned().unwrap_or_default();
    if let Some(bad) = request
        .entries
        .iter()
        .find(|s| listed.binary_search(s).is_err())
    {
        return Err(ContestError::Invalid(format!(
            "entries: {bad} is not an approved entry of this category"
        )));
    }
    let updated =
        moderation::update_doc(store, &keys::contest_winners(id), |winners: &mut Index| {
            winners.insert(request.category.clone(), request.entries.clone());
            Ok::<_, ContestError>(true)
        })?;
    updated.ok_or(ContestError::Busy)
}

/// One category of the results.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryResults {
    pub category: Category,
    pub winners: Vec<Entry>,
    /// The [`RESULTS_TOP`] most voted approved entries with their votes, most voted first;
    /// empty until voting has ended (counts shown during the vote would sway it).
    pub votes: Vec<(Entry, u64)>,
    /// Approved entries in the category.
    pub approved: usize,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub contest: Contest,
    pub categories: Vec<CategoryResults>,
    pub voting_over: bool,
}

/// Winners and, once voting ended, the most voted entries per category. Costs 5 store calls
/// (3 reads, 1 batch read of the vote counters, 1 batch read of at most 10 winners and
/// [`RESULTS_TOP`] entries per category), whatever the number of entries and votes.
pub fn results(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
) -> Result<Results, ContestError> {
    let contest = get_contest(store, id)?;
    let approved: Index = store
        .get_json(&keys::contest_approved(id))?
        .unwrap_or_default();
    let winners: Index = store
        .get_json(&keys::contest_winners(id))?
        .unwrap_or_default();
    let voting_over = contest.public_vote && contest.voting_close.is_some_and(|c| clock.now() >= c);
    // Counters only (a few bytes each) for every approved entry; documents for the top ones.
    let mut top: HashMap<&CategorySlug, Vec<(u64, u64)>> = HashMap::new();
    if voting_over {
        let seqs: Vec<u64> = approved.values().flatten().copied().collect();
        let keys: Vec<String> = seqs
            .iter()
            .map(|&s| keys::contest_entry_votes(id, s))
            .collect();
        let counts: HashMap<u64, u64> = seqs
            .into_iter()
            .zip(store::read_counters(store, &keys)?)
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect();
        for (category, list) in &approved {
            let mut ranked: Vec<(u64, u64)> = list
                .iter()
                .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
                .collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(RESULTS_TOP);
            top.insert(category, ranked);
        }
    }
    let mut wanted: Vec<u64> = winners.values().flatten().copied().collect();
    wanted.extend(top.values().flatten().map(|(s, _)| *s));
    wanted.sort_unstable();
    wanted.dedup();
    let entries: HashMap<u64, Entry> = read_all(store, &wanted, |s| keys::contest_entry(id, s))?;
    let pick = |seq: &u64| {
        entries
            .get(seq)
            .filter(|e| e.status == Status::Approved)
            .cloned()
    };
    let categories = contest
        .categories
        .iter()
        .map(|category| CategoryResults {
            category: category.clone(),
            winners: winners
                .get(&category.slug)
                .map_or_else(Vec::new, |w| w.iter().filter_map(pick).collect()),
            votes: top.get(&category.slug).map_or_else(Vec::new, |t| {
                t.iter().filter_map(|(s, n)| Some((pick(s)?, *n))).collect()
            }),
            approved: approved.get(&category.slug).map_or(0, Vec::len),
        })
        .collect();
    Ok(Results {
        contest,
        categories,
        voting_over,
    })
}

/// Reads JSON values by sequence number in one batch read (absent ones skipped).
fn read_all<T: DeserializeOwned>(
    store: &dyn KvStore,
    seqs: &[u64],
    key_of: impl Fn(u64) -> String,
) -> Result<HashMap<u64, T>, StoreError> {
    Ok(moderation::read_items(store, seqs, key_of)?
        .into_iter()
        .collect())
}

/// Ends submissions and voting now (staff): each window that is still running or yet to come
/// closes at `now`; windows already over stay as they were. Costs 2 store calls.
pub fn close_contest(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
) -> Result<Contest, ContestError> {
    let now = clock.now();
    let updated = moderation::update_doc(store, &keys::contest(id), |c: &mut Contest| {
        let mut changed = false;
        if c.submissions_close > now {
            c.submissions_open = c.submissions_open.min(now);
            c.submissions_close = now;
            changed = true;
        }
        if let (Some(open), Some(close)) = (c.voting_open, c.voting_close)
            && close > now
        {
            // Voting never starts before submissions close (see `NewContest::parse`).
            c.voting_open = Some(open.min(now).max(c.submissions_close));
            c.voting_close = Some(now);
            changed = true;
        }
        Ok::<_, ContestError>(changed)
    })?;
    match updated {
        Some(contest) => Ok(contest),
        None if store.exists(&keys::contest(id))? => Err(ContestError::Busy),
        None => Err(ContestError::NotFound),
    }
}

/// One page of the staff list of contests, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ContestList {
    pub contests: Vec<Contest>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// Contests, newest first, `per_page` (at most 100) per page (1-based), from the registry.
/// Costs 3 store calls (3 batch reads), whatever the number of contests.
pub fn list_contests(
    store: &dyn KvStore,
    page: u64,
    per_page: u64,
) -> Result<ContestList, ContestError> {
    let page = moderation::staff_page::<ContestId, Contest>(
        store,
        keys::contest_registry_seq(),
        keys::contest_registry,
        keys::contest,
        page,
        per_page,
    )?;
    Ok(ContestList {
        contests: page.items,
        total: page.total,
        page: page.page,
        next_page: page.next_page,
    })
}

/// Contacts one purge call erases at most, across contests: bounded work per request.
pub const PURGE_BUDGET: u64 = 50;

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Contact records erased by this call.
    pub erased: u64,
    /// Contests looked at whose contacts are all erased now.
    pub contests_done: u64,
    /// Whether to call again: contacts due remain, or the scan has not reached the end of
    /// the registry yet. A cron that calls until `false` makes one full pass.
    pub more: bool,
}

/// Erases the contacts due (contests ended more than `retention_days` ago), at most
/// [`PURGE_BUDGET`] per call, looking at most at [`PURGE_WINDOW`] contests per call. The scan
/// resumes where the previous call stopped (`contests/purge-cursor`) and wraps around to the
/// low mark (registry entries below it are all purged), so a contest that never ends delays
/// no other. Idempotent. Costs 5 store calls (3 batch reads, ...) plus about 3 per contest
/// due and 2 per contact erased; never lists the store.
pub fn purge_due(
    store: &dyn KvStore,
    clock: &dyn Clock,
    retention_days: u32,
) -> Result<PurgeReport, ContestError> {
    let now = clock.now();
    let registered = moderation::read_counter(store, keys::contest_registry_seq())?;
    let marks = store.get_many(&[keys::contest_purge_cursor(), keys::contest_purge_low()])?;
    let mark = |key: String| -> u64 {
        marks
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| serde_json::from_slice(v.as_deref()?).ok())
            .unwrap_or(1)
    };
    let low = mark(keys::contest_purge_low()).max(1);
    let cursor = mark(keys::contest_purge_cursor());
    let start = if cursor < low || cursor > registered {
        low
    } else {
        cursor
    };
    let window: Vec<u64> = (start..=registered).take(PURGE_WINDOW as usize).collect();
    let ids: Vec<(u64, ContestId)> =
        moderation::read_items(store, &window, keys::contest_registry)?;
    let contests: HashMap<u64, Contest> = {
        let docs =
            moderation::read_docs::<Contest>(store, ids.iter().map(|(_, id)| keys::contest(id)))?;
        let by_id: HashMap<&ContestId, u64> = ids.iter().map(|(n, id)| (id, *n)).collect();
        docs.into_iter()
            .filter_map(|c| Some((*by_id.get(&c.id)?, c)))
            .collect()
    };
    let due: Vec<&Contest> = window
        .iter()
        .filter_map(|n| contests.get(n))
        .filter(|c| now >= c.contacts_erased_at(retention_days))
        .collect();
    // The progress of every contest due, in one batch read.
    let states: HashMap<String, PurgeState> = if due.is_empty() {
        HashMap::new()
    } else {
        let keys: Vec<String> = due.iter().map(|c| keys::contest_purge(&c.id)).collect();
        store
            .get_many(&keys)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::from_slice(&v?).ok()?)))
            .collect()
    };
    let mut report = PurgeReport::default();
    let mut new_low = low;
    let mut leading_done = start == low;
    // The first contest due that this call left unfinished: the next call resumes there.
    let mut resume = None;
    for &n in &window {
        let done = match contests.get(&n) {
            // A registry entry without its contest (never finished creating): nothing to erase.
            None => true,
            Some(contest) if now < contest.contacts_erased_at(retention_days) => false,
            Some(contest) => {
                let state = states
                    .get(&keys::contest_purge(&contest.id))
                    .cloned()
                    .unwrap_or(PurgeState {
                        next: 1,
                        done: false,
                    });
                let budget = PURGE_BUDGET.saturating_sub(report.erased);
                let done = if state.done {
                    true
                } else if budget == 0 {
                    false
                } else {
                    let (erased, done) = purge_contest(store, &contest.id, budget, state)?;
                    report.erased += erased;
                    if done {
                        report.contests_done += 1;
                    }
                    done
                };
                if !done {
                    report.more = true;
                    resume = resume.or(Some(n));
                }
                done
            }
        };
        leading_done &= done;
        if leading_done {
            new_low = n + 1;
        }
    }
    // Resume after the window; past the end, wrap to the low mark.
    let next_cursor = resume.unwrap_or_else(|| window.last().map_or(new_low, |&n| n + 1));
    let (next_cursor, wrapped) = if next_cursor > registered {
        (new_low, true)
    } else {
        (next_cursor.max(new_low), false)
    };
    report.more |= !wrapped;
    if new_low != low {
        store.set_json(&keys::contest_purge_low(), &new_low)?;
    }
    if next_cursor != cursor {
        store.set_json(&keys::contest_purge_cursor(), &next_cursor)?;
    }
    Ok(report)
}

fn purge_state(store: &dyn KvStore, id: &ContestId) -> Result<PurgeState, StoreError> {
    Ok(store
        .get_json(&keys::contest_purge(id))?
        .unwrap_or(PurgeState {
            next: 1,
            done: false,
        }))
}

/// Erases up to `budget` contacts of one contest from `state`; returns how many and whether
/// all are gone.
fn purge_contest(
    store: &dyn KvStore,
    id: &ContestId,
    budget: u64,
    state: PurgeState,
) -> Result<(u64, bool), ContestError> {
    if state.done {
        return Ok((0, true));
    }
    let submitted = moderation::read_counter(store, keys::contest_entry_seq(id))?;
    let seqs = moderation::seq_range(state.next, budget, submitted);
    let contacts =
        moderation::read_items::<Contact>(store, &seqs, |s| keys::contest_contact(id, s))?;
    let mut erased = 0;
    for (seq, contact) in contacts {
        erase_contact(store, id, seq, &contact)?;
        erased += 1;
    }
    let next = seqs.last().map_or(state.next, |&s| s + 1);
    // Submissions are closed once a contest is due, so the sequence no longer grows.
    let done = next > submitted;
    store.set_json(&keys::contest_purge(id), &PurgeState { next, done })?;
    Ok((erased, done))
}

/// The retention purge erases the email itself. The reference under the keyed hash of the
/// email stays: it holds no address, and without it a participant who later asks for
/// erasure of their (still published) entry could no longer be found.
fn erase_contact(
    store: &dyn KvStore,
    id: &ContestId,
    seq: u64,
    _contact: &Contact,
) -> Result<(), StoreError> {
    store.delete(&keys::contest_contact(id, seq))
}

/// One participant's entry with its contest, for an export.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantEntry {
    pub contest_id: ContestId,
    pub contest_title: Option<String>,
    pub entry: Option<Entry>,
    pub email: Email,
}

/// One page of an export.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantExport {
    pub entries: Vec<ParticipantEntry>,
    /// The `from` of the next call, when references remain beyond this page.
    pub next_from: Option<u64>,
}

/// Everything stored about `email` in its references `from..from+EXPORT_PAGE`: its entries
/// and their contacts; `next_from` pages through the rest. Costs 3 store calls (3 batch
/// reads).
pub fn export_participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
) -> Result<ParticipantExport, ContestError> {
    let found = participant(store, key, email, from, EXPORT_PAGE)?;
    Ok(ParticipantExport {
        entries: found.items.into_iter().map(|p| p.export).collect(),
        next_from: found.next_from,
    })
}

struct Found {
    export: ParticipantEntry,
    slot: u64,
    seq: u64,
}

struct Participant {
    items: Vec<Found>,
    /// References read whose contact is gone already (purged, or a half-done erasure).
    stale_slots: Vec<u64>,
    next_from: Option<u64>,
}

fn participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
    limit: u64,
) -> Result<Participant, ContestError> {
    let hash = email.key_hash(key);
    let slots = moderation::read_counter(store, keys::contact_ref_seq(&hash))?;
    let wanted = moderation::seq_range(from, limit, slots);
    let next_from = wanted.last().map(|&n| n + 1).filter(|&n| n <= slots);
    let refs =
        moderation::read_items::<ContactRef>(store, &wanted, |n| keys::contact_ref(&hash, n))?;
    // One batch read for every contact, entry and contest the references name.
    let mut keys_wanted = Vec::with_capacity(refs.len() * 3);
    for (_, r) in &refs {
        keys_wanted.push(keys::contest_contact(&r.contest, r.seq));
        keys_wanted.push(keys::contest_entry(&r.contest, r.seq));
        keys_wanted.push(keys::contest(&r.contest));
    }
    keys_wanted.sort();
    keys_wanted.dedup();
    let values: HashMap<String, Vec<u8>> = if keys_wanted.is_empty() {
        HashMap::new()
    } else {
        store
            .get_many(&keys_wanted)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect()
    };
    fn decode<T: DeserializeOwned>(values: &HashMap<String, Vec<u8>>, key: &str) -> Option<T> {
        values.get(key).and_then(|b| serde_json::from_slice(b).ok())
    }
    let mut items = Vec::new();
    let mut stale_slots = Vec::new();
    for (slot, r) in refs {
        let entry_key = keys::contest_entry(&r.contest, r.seq);
        match decode::<Contact>(&values, &keys::contest_contact(&r.contest, r.seq)) {
            // The hash only narrows the search: while the address is kept, it must match.
            Some(contact) if &contact.email != email => continue,
            Some(_) => {}
            // The retention purge erased the address but the entry is still published: the
            // keyed hash (128 bits of HMAC) is then the only link, and enough of one.
            None if values.contains_key(&entry_key) => {}
            None => {
                stale_slots.push(slot);
                continue;
            }
        }
        let contest: Option<Contest> = decode(&values, &keys::contest(&r.contest));
        items.push(Found {
            slot,
            seq: r.seq,
            export: ParticipantEntry {
                contest_title: contest.map(|c| c.title),
                entry: decode(&values, &entry_key),
                contest_id: r.contest,
                email: email.clone(),
            },
        });
    }
    Ok(Participant {
        items,
        stale_slots,
        next_from,
    })
}

/// What one erasure call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EraseReport {
    pub erased_entries: u64,
    /// The `from` of the next call, when references remain beyond this page.
    pub next_from: Option<u64>,
}

/// Erases everything stored about `email` in its references `from..from+ERASE_PAGE`: its
/// entries (withdrawn from galleries and winners), their contacts and the references
/// themselves; the last page (`next_from: None`) also deletes the email's reference counter,
/// so no key is left under its hash. Call again with `next_from` until it is `None`, starting
/// from 1. Idempotent. A staff index changed concurrently too often is `Busy` (retry).
/// Costs 3 batch reads, 4 calls per contest touched and 3 deletes per entry.
pub fn erase_participant(
    store: &dyn KvStore,
    key: &ContactKey,
    email: &Email,
    from: u64,
) -> Result<EraseReport, ContestError> {
    let found = participant(store, key, email, from, ERASE_PAGE)?;
    let hash = email.key_hash(key);
    let mut by_contest: HashMap<&ContestId, Vec<u64>> = HashMap::new();
    for item in &found.items {
        by_contest
            .entry(&item.export.contest_id)
            .or_default()
            .push(item.seq);
    }
    for (id, seqs) in &by_contest {
        let drop_seqs = |index: &mut Index| {
            let mut changed = false;
            for list in index.values_mut() {
                let before = list.len();
                list.retain(|s| !seqs.contains(s));
                changed |= list.len() != before;
            }
            Ok::<_, ContestError>(changed)
        };
        for index_key in [keys::contest_approved(id), keys::contest_winners(id)] {
            // `None`: absent (a contest that never finished creating: nothing listed) or busy.
            if moderation::update_doc(store, &index_key, drop_seqs)?.is_none()
                && store.exists(&index_key)?
            {
                return Err(ContestError::Busy);
            }
        }
    }
    for item in &found.items {
        let id = &item.export.contest_id;
        store.delete(&keys::contest_entry(id, item.seq))?;
        store.delete(&keys::contest_contact(id, item.seq))?;
        store.delete(&keys::contact_ref(&hash, item.slot))?;
    }
    for slot in &found.stale_slots {
        store.delete(&keys::contact_ref(&hash, *slot))?;
    }
    if found.next_from.is_none() {
        store.delete(&keys::contact_ref_seq(&hash))?;
    }
    Ok(EraseReport {
        erased_entries: found.items.len() as u64,
        next_from: found.next_from,
    })
}

#[cfg(test)]
mod tests {
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
        let e1 =
            submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "enfants"), &key()).unwrap();
        let e2 =
            submit_entry(&store, &at(1), &c, entry(&c, "tom@x.fr", "enfants"), &key()).unwrap();
        let e3 =
            submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "adultes"), &key()).unwrap();
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
        assert_eq!(small, vec![5, 4, 3, 5]);
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
        let e1 =
            submit_entry(&store, &at(1), &c, entry(&c, "lea@x.fr", "enfants"), &key()).unwrap();
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
}
