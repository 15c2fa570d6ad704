//! Entries: what a patron submits (text, a link, an image with its alt text, a licence,
//! their consent and, under 15, their parent's), the staff moderation queue, and the public
//! gallery of approved entries per category.
//!
//! An entry's image is a patron medium (`media::create_patron`) that knows its entry, so the
//! media component serves it once the entry is approved, and only then (1 read of the entry,
//! [`entry_image_public`]). Rejecting the entry or erasing its participant deletes the medium.

use super::privacy::{purge_contest, purge_state};
use super::*;
use crate::media::{self, EntryRef, Medium, MediumId, NewMedium, RenditionKind};

/// In France a child under 15 needs a parent's or guardian's consent to the processing of
/// their data (loi Informatique et Libertés, art. 45): the form asks for it below this age.
pub const DIGITAL_CONSENT_AGE: u32 = 15;
pub const MAX_PARENT_NAME_CHARS: usize = 100;

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
    /// The image's text alternative, written by the patron: required with an image.
    #[serde(default)]
    pub alt: Option<String>,
    /// The patron declares being under [`DIGITAL_CONSENT_AGE`].
    #[serde(default)]
    pub under_15: bool,
    /// The parent or guardian who consents, for a patron under 15.
    #[serde(default)]
    pub parent_name: Option<String>,
    /// The box "my parent or guardian named above agrees", for a patron under 15.
    #[serde(default)]
    pub parent_consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    entry: Entry,
    email: Email,
    /// The image's alt text, when the entry comes with an image.
    image_alt: Option<String>,
    /// The consenting parent's name, for a patron under 15.
    parent_name: Option<String>,
}

/// A parent's or guardian's consent, declared in the form by a patron under 15; kept with
/// the contact, so the retention purge and erasure remove it with the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentalConsent {
    pub parent_name: String,
    pub declared_at: Timestamp,
}

/// An approved entry's image: the patron medium, the patron's alt text (staff may correct
/// it), and the page rendition's size, so the gallery sets `width` and `height` without
/// reading the medium.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryImage {
    pub medium: MediumId,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl EntryImage {
    /// The public address of a rendition (`page`, `thumb`).
    pub fn path(&self, kind: RenditionKind) -> String {
        format!("/media/{}/{}", self.medium, kind.file_name())
    }
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
    /// An entry without an image (refused where the contest requires one).
    pub fn parse(
        contest: &Contest,
        request: SubmitEntryRequest,
    ) -> Result<EntrySubmission, ContestError> {
        NewEntry::parse_entry(contest, request, false)
    }

    /// An entry that comes with an image (checked before the image is decoded): the contest
    /// must take images, and the alt text is required; a text and a link become optional.
    pub fn parse_with_image(
        contest: &Contest,
        request: SubmitEntryRequest,
    ) -> Result<EntrySubmission, ContestError> {
        NewEntry::parse_entry(contest, request, true)
    }

    fn parse_entry(
        contest: &Contest,
        request: SubmitEntryRequest,
        with_image: bool,
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
        let image_alt = match (with_image, contest.entry_image) {
            (true, EntryImagePolicy::None) => {
                return Err(ContestError::InvalidEntry {
                    field: "image",
                    message: "image: this contest takes no images".to_owned(),
                });
            }
            (true, _) => Some(entry_field(
                "alt",
                moderation::text(
                    "alt",
                    request.alt.as_deref().unwrap_or_default(),
                    media::MAX_ALT_CHARS,
                    true,
                ),
            )?),
            (false, EntryImagePolicy::Required) => {
                return Err(ContestError::InvalidEntry {
                    field: "image",
                    message: "image: this contest needs an image".to_owned(),
                });
            }
            (false, _) => None,
        };
        if image_alt.is_none() && text.is_none() && link.is_none() {
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
        let parent_name = if request.under_15 {
            let name = entry_field(
                "parent_name",
                moderation::text(
                    "parent_name",
                    request.parent_name.as_deref().unwrap_or_default(),
                    MAX_PARENT_NAME_CHARS,
                    false,
                ),
            )?;
            if !request.parent_consent {
                return Err(ContestError::InvalidEntry {
                    field: "parent_consent",
                    message: "parent_consent: under 15, a parent or guardian must agree".to_owned(),
                });
            }
            Some(name)
        } else {
            None
        };
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
                image: None,
            },
            email,
            image_alt,
            parent_name,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<EntryImage>,
}

/// The contact of one entry, under `keys::contest_contact`; `slot` is its reference's number
/// under the email's keyed `hash` (kept here so the purge can delete the reference without
/// the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Email,
    pub slot: u64,
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parental_consent: Option<ParentalConsent>,
}

/// Where one entry of an email is, under `keys::contact_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub contest: ContestId,
    pub seq: u64,
}

/// Per category, the numbers of approved entries (or of winners), in order.
pub type Index = BTreeMap<CategorySlug, Vec<u64>>;

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
    if new.image_alt.is_some() {
        return Err(ContestError::InvalidEntry {
            field: "image",
            message: "image: the image is missing".to_owned(),
        });
    }
    let seq = next_seq(store.increment(&keys::contest_entry_seq(&contest.id), 1)?)?;
    store_entry(store, now, contest, new, key, seq, None)?;
    Ok(seq)
}

/// Stores an entry with its image: the entry's number first, then the patron medium that
/// knows it (not listed in the staff library), then the entry and its contact as
/// [`submit_entry`] does. The image was decoded by the caller (`NewMedium`); its description
/// becomes the patron's alt text, name and licence. Costs [`submit_entry`]'s 5 store calls +
/// 1 write per chunk + 1 compare-and-swap. A failure after the medium is stored deletes it.
pub fn submit_entry_with_image(
    store: &dyn KvStore,
    clock: &dyn Clock,
    contest: &Contest,
    new: NewEntry,
    key: &ContactKey,
    medium_id: MediumId,
    mut image: NewMedium,
) -> Result<(u64, Medium), ContestError> {
    let now = clock.now();
    if !contest.accepts_entries(now) {
        return Err(ContestError::SubmissionsClosed);
    }
    let Some(alt) = new.image_alt.clone() else {
        return Err(ContestError::InvalidEntry {
            field: "alt",
            message: "alt: describe the image".to_owned(),
        });
    };
    image.description = media::Description {
        alt: alt.clone(),
        credit: new.entry.display_name.clone(),
        licence: match new.entry.licence {
            Licence::CcBy => media::Licence::CcBy,
            Licence::CcBySa => media::Licence::CcBySa,
            Licence::AllRightsReserved => media::Licence::AllRightsReserved,
        },
    };
    let id = &contest.id;
    let seq = next_seq(store.increment(&keys::contest_entry_seq(id), 1)?)?;
    let entry = EntryRef {
        contest: id.clone(),
        seq,
    };
    let medium = media::create_patron(store, clock, medium_id, image, entry)?;
    let (width, height) = medium
        .rendition(RenditionKind::Page)
        .map_or((medium.width, medium.height), |r| (r.width, r.height));
    let image = EntryImage {
        medium: medium.id.clone(),
        alt,
        width,
        height,
    };
    if let Err(e) = store_entry(store, now, contest, new, key, seq, Some(image)) {
        if let Err(cleanup) = media::delete(store, &medium.id) {
            eprintln!("failed to delete the image of a failed entry: {cleanup}");
        }
        return Err(e);
    }
    Ok((seq, medium))
}

/// The writes of a submission once its number is taken: the entry, the reference under the
/// email's keyed hash, the contact.
fn store_entry(
    store: &dyn KvStore,
    now: Timestamp,
    contest: &Contest,
    new: NewEntry,
    key: &ContactKey,
    seq: u64,
    image: Option<EntryImage>,
) -> Result<(), ContestError> {
    let id = &contest.id;
    let mut entry = new.entry;
    entry.seq = seq;
    entry.created_at = now;
    entry.image = image;
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
            parental_consent: new.parent_name.map(|parent_name| ParentalConsent {
                parent_name,
                declared_at: now,
            }),
        },
    )?;
    // Both kinds of entry (text, image) end here, once stored.
    use crate::analytics::participation;
    participation::record(store, now, participation::Activity::Entry);
    Ok(())
}

/// Whether the patron medium `medium` of `entry` may be served to anyone: its entry exists,
/// is approved, and names this medium. Costs 1 read.
pub fn entry_image_public(
    store: &dyn KvStore,
    entry: &EntryRef,
    medium: &MediumId,
) -> Result<bool, ContestError> {
    let found: Option<Entry> = store.get_json(&keys::contest_entry(&entry.contest, entry.seq))?;
    Ok(found.is_some_and(|e| {
        e.status == Status::Approved && e.image.is_some_and(|i| &i.medium == medium)
    }))
}

/// Staff correct the alt text of an entry's image: the entry (what the gallery shows) by
/// compare-and-swap, then the medium's description. Costs 2 reads + 2 compare-and-swaps.
pub fn correct_alt(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &ContestId,
    seq: u64,
    alt: &str,
) -> Result<Entry, ContestError> {
    let alt = entry_field(
        "alt",
        moderation::text("alt", alt, media::MAX_ALT_CHARS, true),
    )?;
    let key = keys::contest_entry(id, seq);
    let updated = moderation::update_doc(store, &key, |entry: &mut Entry| {
        let Some(image) = entry.image.as_mut() else {
            return Err(ContestError::InvalidEntry {
                field: "alt",
                message: "alt: this entry has no image".to_owned(),
            });
        };
        let changed = image.alt != alt;
        image.alt = alt.clone();
        Ok(changed)
    })?;
    let entry = match updated {
        Some(entry) => entry,
        None => {
            let entry: Entry = store.get_json(&key)?.ok_or(ContestError::EntryNotFound)?;
            // Unchanged (the same text again) or busy: the text stored says which.
            if entry.image.as_ref().is_some_and(|i| i.alt == alt) {
                entry
            } else {
                return Err(ContestError::Busy);
            }
        }
    };
    if let Some(image) = &entry.image {
        let request = media::DescriptionRequest {
            alt: Some(alt),
            ..Default::default()
        };
        match media::describe(store, clock, &image.medium, request) {
            Ok(_) | Err(MediaError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(entry)
}

/// Deletes the patron medium of an entry, if any (already gone is fine).
pub(super) fn delete_entry_image(
    store: &dyn KvStore,
    image: &EntryImage,
) -> Result<(), ContestError> {
    match media::delete(store, &image.medium) {
        Ok(()) | Err(MediaError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// An entry with its contact, for staff.
#[derive(Debug, Clone, Serialize)]
pub struct StaffEntry {
    #[serde(flatten)]
    pub entry: Entry,
    /// `None` once erased.
    pub email: Option<Email>,
    /// A patron under 15's declaration of their parent's consent; erased with the email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parental_consent: Option<ParentalConsent>,
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
            parental_consent: contacts.get(&seq).and_then(|c| c.parental_consent.clone()),
        })
        .collect();
    Ok(Queue {
        entries,
        submitted,
        next_from,
    })
}

/// Approves or rejects one entry (staff). Costs 5 store calls, 2 more per retry; a rejected
/// entry's image is deleted (its medium and renditions: + 1 read and 1 delete per chunk + 1),
/// and the entry forgets it.
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
            if status == Status::Rejected {
                entry.image = None;
            }
            Ok::<_, ContestError>(true)
        })?;
        updated.ok_or(ContestError::Busy)
    };
    if status == Status::Approved {
        update_list()?;
        update_status()
    } else {
        // The image first: it 404s at once, and a rejection that fails after this still
        // names it, so trying again deletes what is left (a deleted medium is no error).
        if let Some(image) = &entry.image {
            delete_entry_image(store, image)?;
        }
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
