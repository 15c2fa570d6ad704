//! Questions: staff ask ("Quel livre vous a accompagné cet été ?"), patrons answer with a short
//! text, optionally a title and an author (answers then become reading recommendations) and a
//! pseudonym; answers wait for moderation; approved answers are public and can be liked once
//! per patron.
//!
//! Storage (see `keys`): each answer gets its number from `increment(answer-seq, 1)` and its own
//! key, so concurrent answers never contend on one document; staff's approved list is one
//! document updated with compare-and-swap (staff only, created with the question so it is
//! never swapped from "absent"). Likes are a claim per patron and a counter per answer.
//!
//! Cost in store calls, whatever the number of answers: submitting 3 (1 read, 1 increment,
//! 1 write; the adapter's rate limit adds 1 read and 1 CAS); liking 3 (1 read, 2 increments);
//! a public page 4 (2 reads, 2 batch reads), sorted by likes too; the staff queue 3 (1 read,
//! 2 batch reads). Ranking by likes reads the counters of the latest [`MAX_RANKED`] approved
//! answers in the same one batch read, so its size is bounded too.

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::moderation::{self, Decision, Status};
use crate::polls::VoterId;
use crate::retention;
use crate::store::{self, KvStore, StoreError};

pub use crate::ids::QuestionId;

pub const MAX_QUESTION_CHARS: usize = 300;
pub const MAX_ANSWER_CHARS: usize = 500;
pub const MAX_PSEUDONYM_CHARS: usize = 40;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_AUTHOR_CHARS: usize = 120;
/// Approved answers per question: keeps the approved list well under Spin's 1 MB per value.
pub const MAX_APPROVED: usize = 20_000;
/// Ranking by likes considers the latest this many approved answers.
pub const MAX_RANKED: usize = 1_000;
pub const PER_PAGE: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    #[error("question not found")]
    NotFound,
    #[error("answer not found")]
    AnswerNotFound,
    #[error("this question no longer takes answers")]
    Closed,
    #[error("{0}")]
    InvalidQuestion(String),
    #[error("{message}")]
    InvalidAnswer {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    InvalidModeration(String),
    #[error("this visitor already likes this answer")]
    AlreadyLiked,
    #[error("the list of approved answers is full")]
    Full,
    #[error("the question changed meanwhile, try again")]
    Busy,
    #[error("a question with this id already exists")]
    Exists,
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for QuestionError {
    fn kind(&self) -> ErrorKind {
        use QuestionError::*;
        match self {
            NotFound | AnswerNotFound => ErrorKind::NotFound,
            Closed | AlreadyLiked | Full | Busy | Exists => ErrorKind::Conflict,
            InvalidQuestion(_) | InvalidAnswer { .. } | InvalidModeration(_) => ErrorKind::Invalid,
            Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        use QuestionError::*;
        match self {
            NotFound => "question_not_found",
            AnswerNotFound => "answer_not_found",
            Closed => "question_closed",
            InvalidQuestion(_) => "invalid_question",
            InvalidAnswer { field, .. } if *field == "consent" => "consent_required",
            InvalidAnswer { .. } => "invalid_answer",
            InvalidModeration(_) => "invalid_moderation",
            AlreadyLiked => "already_liked",
            Full => "approved_list_full",
            Busy => "busy",
            Exists => "question_exists",
            Storage(_) => "storage_error",
        }
    }
}

/// A structured field staff may ask for with each answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerField {
    Title,
    Author,
}

/// The wire shape of `POST /api/questions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateQuestionRequest {
    pub text: String,
    #[serde(default)]
    pub fields: Vec<AnswerField>,
    #[serde(default = "yes")]
    pub open: bool,
}

fn yes() -> bool {
    true
}

/// A question that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    text: String,
    fields: Vec<AnswerField>,
    open: bool,
}

impl NewQuestion {
    pub fn parse(request: CreateQuestionRequest) -> Result<Self, QuestionError> {
        let text = moderation::text("text", &request.text, MAX_QUESTION_CHARS, false)
            .map_err(QuestionError::InvalidQuestion)?;
        let mut fields = request.fields;
        fields.dedup();
        if fields.len() > 2 || (fields.len() == 2 && fields[0] == fields[1]) {
            return Err(QuestionError::InvalidQuestion(
                "fields: each of \"title\" and \"author\" at most once".to_owned(),
            ));
        }
        Ok(NewQuestion {
            text,
            fields,
            open: request.open,
        })
    }
}

/// A question as stored under `keys::question`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub text: String,
    pub fields: Vec<AnswerField>,
    pub open: bool,
    pub created_at: Timestamp,
}

impl Question {
    pub fn asks(&self, field: AnswerField) -> bool {
        self.fields.contains(&field)
    }
}

/// The wire shape of an answer, from JSON or from the page's form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitAnswerRequest {
    pub text: String,
    #[serde(default)]
    pub pseudonym: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub consent: bool,
    /// The honeypot: a field people never see nor fill. Anything in it marks a robot.
    #[serde(default)]
    pub website: Option<String>,
}

/// An answer that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    text: String,
    pseudonym: Option<String>,
    title: Option<String>,
    author: Option<String>,
}

/// What a submission turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Answer(NewAnswer),
    /// The honeypot was filled: accept without a word and store nothing, so the robot learns
    /// nothing to adapt to.
    Spam,
}

fn answer_field<T>(field: &'static str, result: Result<T, String>) -> Result<T, QuestionError> {
    result.map_err(|message| QuestionError::InvalidAnswer { field, message })
}

impl NewAnswer {
    /// Checks the honeypot first (a robot gets the same answer whatever it sent), then every
    /// rule; errors name the field so the page can tie its message to it.
    pub fn parse(
        question: &Question,
        request: SubmitAnswerRequest,
    ) -> Result<Submission, QuestionError> {
        if moderation::honeypot_filled(request.website.as_deref()) {
            return Ok(Submission::Spam);
        }
        let text = answer_field(
            "text",
            moderation::text("text", &request.text, MAX_ANSWER_CHARS, true),
        )?;
        let pseudonym = answer_field(
            "pseudonym",
            moderation::optional_text(
                "pseudonym",
                request.pseudonym.as_deref(),
                MAX_PSEUDONYM_CHARS,
                false,
            ),
        )?;
        let extra = |field: AnswerField,
                     name: &'static str,
                     raw: Option<String>,
                     max: usize|
         -> Result<Option<String>, QuestionError> {
            let value = answer_field(
                name,
                moderation::optional_text(name, raw.as_deref(), max, false),
            )?;
            if value.is_some() && !question.asks(field) {
                return Err(QuestionError::InvalidAnswer {
                    field: name,
                    message: format!("{name}: this question does not ask for it"),
                });
            }
            Ok(value)
        };
        let title = extra(AnswerField::Title, "title", request.title, MAX_TITLE_CHARS)?;
        let author = extra(
            AnswerField::Author,
            "author",
            request.author,
            MAX_AUTHOR_CHARS,
        )?;
        if !request.consent {
            return Err(QuestionError::InvalidAnswer {
                field: "consent",
                message: "consent: publication needs your consent".to_owned(),
            });
        }
        Ok(Submission::Answer(NewAnswer {
            text,
            pseudonym,
            title,
            author,
        }))
    }
}

/// An answer as stored under `keys::question_answer`. `rejection_reason` is for staff only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub seq: u64,
    pub text: String,
    pub pseudonym: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub status: Status,
    #[serde(default)]
    pub rejection_reason: Option<String>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub moderated_at: Option<Timestamp>,
}

/// Stores a new question, its empty approved list and its place in the staff list. Costs 4
/// store calls.
pub fn create_question(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: QuestionId,
    new: NewQuestion,
) -> Result<Question, QuestionError> {
    let question = Question {
        id,
        text: new.text,
        fields: new.fields,
        open: new.open,
        created_at: clock.now(),
    };
    let key = keys::question(&question.id);
    // Random 80-bit ids: a clash is a bug; the swap refuses to overwrite an existing question.
    if !store.compare_and_swap(&key, None, &store::to_json(&key, &question)?)? {
        return Err(QuestionError::Exists);
    }
    store.set_json(&keys::question_approved(&question.id), &Vec::<u64>::new())?;
    let n = next_seq(store.increment(&keys::question_registry_seq(), 1)?)?;
    store.set_json(&keys::question_registry(n), &question.id)?;
    Ok(question)
}

/// One page of the staff list of questions, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionList {
    pub questions: Vec<Question>,
    pub total: u64,
    pub page: u64,
    pub next_page: Option<u64>,
}

/// Questions, newest first, `per_page` (at most 100) per page (1-based), for staff. Costs 3
/// store calls (3 batch reads), whatever the number of questions.
pub fn list_questions(
    store: &dyn KvStore,
    page: u64,
    per_page: u64,
) -> Result<QuestionList, QuestionError> {
    let page = moderation::staff_page::<QuestionId, Question>(
        store,
        keys::question_registry_seq(),
        keys::question_registry,
        keys::question,
        page,
        per_page,
    )?;
    Ok(QuestionList {
        questions: page.items,
        total: page.total,
        page: page.page,
        next_page: page.next_page,
    })
}

/// Costs 1 store call.
pub fn get_question(store: &dyn KvStore, id: &QuestionId) -> Result<Question, QuestionError> {
    store
        .get_json(&keys::question(id))?
        .ok_or(QuestionError::NotFound)
}

/// Opens or closes a question (staff). Costs 2 store calls.
pub fn set_open(
    store: &dyn KvStore,
    id: &QuestionId,
    open: bool,
) -> Result<Question, QuestionError> {
    let updated = moderation::update_doc(store, &keys::question(id), |q: &mut Question| {
        let changed = q.open != open;
        q.open = open;
        Ok::<_, QuestionError>(changed)
    })?;
    match updated {
        Some(question) => Ok(question),
        None if store.exists(&keys::question(id))? => Err(QuestionError::Busy),
        None => Err(QuestionError::NotFound),
    }
}

/// Stores an answer for moderation and returns its number. Costs 2 store calls (1 increment,
/// 1 write; 3 with the caller's read of the question), whatever the number of answers.
pub fn submit_answer(
    store: &dyn KvStore,
    clock: &dyn Clock,
    question: &Question,
    new: NewAnswer,
) -> Result<u64, QuestionError> {
    if !question.open {
        return Err(QuestionError::Closed);
    }
    let seq = next_seq(store.increment(&keys::question_answer_seq(&question.id), 1)?)?;
    let answer = Answer {
        seq,
        text: new.text,
        pseudonym: new.pseudonym,
        title: new.title,
        author: new.author,
        status: Status::Pending,
        rejection_reason: None,
        created_at: clock.now(),
        moderated_at: None,
    };
    store.set_json(&keys::question_answer(&question.id, seq), &answer)?;
    use crate::analytics::participation;
    participation::record(store, answer.created_at, participation::Activity::Answer);
    Ok(seq)
}

pub(crate) fn next_seq(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| StoreError::Backend(format!("sequence counter went to {value}")))
}

/// A range of answers in submission order, whatever their status, for staff.
#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    pub answers: Vec<Answer>,
    /// How many answers were ever submitted (the last number handed out).
    pub submitted: u64,
    /// The `from` of the next range, when there is one.
    pub next_from: Option<u64>,
}

/// Answers numbered `from..from+limit` (at most 100), pending only when `pending_only`.
/// Costs 3 store calls (1 read, 2 batch reads).
pub fn queue(
    store: &dyn KvStore,
    id: &QuestionId,
    from: u64,
    limit: u64,
    pending_only: bool,
) -> Result<Queue, QuestionError> {
    get_question(store, id)?;
    let submitted = moderation::read_counter(store, keys::question_answer_seq(id))?;
    let seqs = moderation::seq_range(from, limit, submitted);
    let next_from = seqs.last().map(|&s| s + 1).filter(|&n| n <= submitted);
    let answers = moderation::read_items::<Answer>(store, &seqs, |s| keys::question_answer(id, s))?
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| !pending_only || a.status == Status::Pending)
        .collect();
    Ok(Queue {
        answers,
        submitted,
        next_from,
    })
}

/// Approves or rejects one answer (staff), keeping the approved list in step. Re-deciding is
/// allowed (an approved answer can be withdrawn). Costs 4 store calls, 2 more per retry.
pub fn moderate(
    store: &dyn KvStore,
    clock: &dyn Clock,
    id: &QuestionId,
    seq: u64,
    decision: Decision,
) -> Result<Answer, QuestionError> {
    let now = clock.now();
    let (status, reason) = match decision {
        Decision::Approve => (Status::Approved, None),
        Decision::Reject { reason } => (Status::Rejected, reason),
    };
    // The answer must exist before the list changes: a number listed without its answer
    // would be a phantom approval that counts against MAX_APPROVED forever.
    let answer_key = keys::question_answer(id, seq);
    if !store.exists(&answer_key)? {
        return Err(if store.exists(&keys::question(id))? {
            QuestionError::AnswerNotFound
        } else {
            QuestionError::NotFound
        });
    }
    // Then the list: an answer listed but still pending is skipped by the public page, while
    // an answer approved but missing from the list would never show.
    let listed = moderation::update_doc(
        store,
        &keys::question_approved(id),
        |list: &mut Vec<u64>| {
            let position = list.binary_search(&seq);
            match (status, position) {
                (Status::Approved, Err(at)) => {
                    if list.len() >= MAX_APPROVED {
                        return Err(QuestionError::Full);
                    }
                    list.insert(at, seq);
                    Ok(true)
                }
                (Status::Approved, Ok(_)) => Ok(false),
                (_, Ok(at)) => {
                    list.remove(at);
                    Ok(true)
                }
                (_, Err(_)) => Ok(false),
            }
        },
    )?;
    match listed {
        Some(_) => {}
        None if store.exists(&keys::question(id))? => return Err(QuestionError::Busy),
        None => return Err(QuestionError::NotFound),
    }
    let updated = moderation::update_doc(store, &answer_key, |answer: &mut Answer| {
        answer.status = status;
        answer.rejection_reason = reason.clone();
        answer.moderated_at = Some(now);
        Ok::<_, QuestionError>(true)
    })?;
    updated.ok_or(QuestionError::Busy)
}

/// How the public page orders approved answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Likes,
}

/// One public page of approved answers.
#[derive(Debug, Clone)]
pub struct AnswersPage {
    pub question: Question,
    /// Approved answers with their likes.
    pub answers: Vec<(Answer, u64)>,
    pub approved: usize,
    pub page: u64,
    pub pages: u64,
}

/// A page (1-based, [`PER_PAGE`] answers) of approved answers. Costs 4 store calls (2 reads,
/// 2 batch reads), whatever the number of answers.
pub fn approved_page(
    store: &dyn KvStore,
    id: &QuestionId,
    sort: Sort,
    page: u64,
) -> Result<AnswersPage, QuestionError> {
    let question = get_question(store, id)?;
    let mut approved: Vec<u64> = store
        .get_json(&keys::question_approved(id))?
        .unwrap_or_default();
    approved.reverse(); // newest first
    let approved_len = approved.len();
    let pages = (approved.len() as u64).div_ceil(PER_PAGE as u64).max(1);
    let (seqs, likes): (Vec<u64>, Vec<u64>) = match sort {
        Sort::Newest => {
            let seqs = moderation::page_of(&approved, page, PER_PAGE);
            let likes = like_counts(store, id, &seqs)?;
            (seqs, likes)
        }
        Sort::Likes => {
            approved.truncate(MAX_RANKED);
            let counts = like_counts(store, id, &approved)?;
            let mut ranked: Vec<(u64, u64)> = approved.into_iter().zip(counts).collect();
            // Stable: equal likes stay newest first.
            ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
            moderation::page_of(&ranked, page, PER_PAGE)
                .into_iter()
                .unzip()
        }
    };
    let mut found =
        moderation::read_items::<Answer>(store, &seqs, |s| keys::question_answer(id, s))?;
    // A list entry whose answer was withdrawn meanwhile is skipped.
    found.retain(|(_, a)| a.status == Status::Approved);
    let answers = found
        .into_iter()
        .map(|(seq, answer)| {
            let likes = seqs
                .iter()
                .position(|&s| s == seq)
                .and_then(|i| likes.get(i).copied())
                .unwrap_or(0);
            (answer, likes)
        })
        .collect();
    Ok(AnswersPage {
        question,
        answers,
        approved: approved_len,
        page: page.max(1),
        pages,
    })
}

fn like_counts(store: &dyn KvStore, id: &QuestionId, seqs: &[u64]) -> Result<Vec<u64>, StoreError> {
    let keys: Vec<String> = seqs
        .iter()
        .map(|&s| keys::question_answer_likes(id, s))
        .collect();
    Ok(store::read_counters(store, &keys)?
        .into_iter()
        .map(|n| u64::try_from(n).unwrap_or(0))
        .collect())
}

/// One like of `voter` for an approved answer; returns its likes. Costs 3 store calls (1 read,
/// 2 increments), whatever the number of likes.
pub fn like(
    store: &dyn KvStore,
    id: &QuestionId,
    seq: u64,
    voter: &VoterId,
) -> Result<u64, QuestionError> {
    let answer: Answer = store
        .get_json(&keys::question_answer(id, seq))?
        .ok_or(QuestionError::AnswerNotFound)?;
    if answer.status != Status::Approved {
        return Err(QuestionError::AnswerNotFound);
    }
    match moderation::claim_and_count(
        store,
        &keys::question_answer_liker(id, seq, voter),
        &keys::question_answer_likes(id, seq),
    )? {
        Some(likes) => Ok(u64::try_from(likes).unwrap_or(0)),
        None => Err(QuestionError::AlreadyLiked),
    }
}

/// Forgets the answers received more than `retention_days` ago, a bounded step per call
/// across every question (`crate::retention`): answers hold patrons' free text, and a
/// pseudonym but no email nor handle, so retention (not erasure by person) is their limit.
/// Each answer leaves the approved list first (so a crash in between hides it, never shows a
/// half-deleted one), then its like counter and itself go. Likers' claims stay: a counter under
/// a random cookie token, which links to nothing once the answer is gone.
pub fn purge_answers(
    store: &dyn KvStore,
    now: Timestamp,
    retention_days: u32,
) -> Result<retention::Purge, QuestionError> {
    let registered = moderation::read_counter(store, keys::question_registry_seq())?;
    let owners_in = |from: usize, to: usize| -> Result<Vec<(usize, QuestionId)>, StoreError> {
        let seqs: Vec<u64> = (from as u64 + 1..=to as u64).collect();
        Ok(
            moderation::read_items::<QuestionId>(store, &seqs, keys::question_registry)?
                .into_iter()
                .map(|(n, id)| (n as usize - 1, id))
                .collect(),
        )
    };
    let forget = |id: &QuestionId, seq: u64, answer: &Answer| -> Result<(), StoreError> {
        if answer.status == Status::Approved {
            let listed = moderation::update_doc(
                store,
                &keys::question_approved(id),
                |list: &mut Vec<u64>| match list.binary_search(&seq) {
                    Ok(at) => {
                        list.remove(at);
                        Ok::<_, StoreError>(true)
                    }
                    Err(_) => Ok(false),
                },
            )?;
            if listed.is_none() && store.get(&keys::question_approved(id))?.is_some() {
                return Err(StoreError::Backend(
                    "the approved list kept changing".to_owned(),
                ));
            }
        }
        store.delete(&keys::question_answer_likes(id, seq))?;
        store.delete(&keys::question_answer(id, seq))
    };
    let area = retention::Area {
        cursor_key: keys::answer_purge_cursor(),
        owner_count: usize::try_from(registered).unwrap_or(usize::MAX),
        owners_in: &owners_in,
        seq_key: &keys::question_answer_seq,
        mark_key: &keys::question_answer_purged,
        item_key: &keys::question_answer,
        received_at: &|answer: &Answer| answer.created_at,
        forget: &forget,
    };
    Ok(retention::purge(
        store,
        &area,
        retention::cutoff(now, retention_days),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::store::MemoryStore;

    fn clock() -> FixedClock {
        FixedClock(Timestamp::from_unix_seconds(1_790_000_000).unwrap())
    }

    fn voter(n: usize) -> VoterId {
        VoterId::parse(&format!("voter-{n:016}")).unwrap()
    }

    fn setup(store: &MemoryStore) -> Question {
        let new = NewQuestion::parse(CreateQuestionRequest {
            text: "Quel livre vous a accompagné cet été ?".into(),
            fields: vec![AnswerField::Title, AnswerField::Author],
            open: true,
        })
        .unwrap();
        create_question(store, &clock(), QuestionId::parse("q1").unwrap(), new).unwrap()
    }

    fn answer(question: &Question, text: &str) -> NewAnswer {
        match NewAnswer::parse(
            question,
            SubmitAnswerRequest {
                text: text.into(),
                title: Some("Germinal".into()),
                consent: true,
                ..Default::default()
            },
        )
        .unwrap()
        {
            Submission::Answer(a) => a,
            Submission::Spam => panic!("not spam"),
        }
    }

    #[test]
    fn answers_past_their_retention_are_purged_in_bounded_calls() {
        let store = MemoryStore::new();
        let q = setup(&store);
        let later = |days: i64| {
            FixedClock(Timestamp::from_unix_seconds(1_790_000_000 + days * 86_400).unwrap())
        };
        // 120 answers today, the first approved and liked; 1 answer 100 days later.
        for n in 0..120 {
            submit_answer(&store, &clock(), &q, answer(&q, &format!("vieux {n}"))).unwrap();
        }
        moderate(&store, &clock(), &q.id, 1, Decision::Approve).unwrap();
        like(&store, &q.id, 1, &voter(1)).unwrap();
        let recent = submit_answer(&store, &later(100), &q, answer(&q, "récent")).unwrap();
        moderate(&store, &later(100), &q.id, recent, Decision::Approve).unwrap();
        // Within 395 days: nothing goes.
        let early = purge_answers(&store, later(390).now(), 395).unwrap();
        assert_eq!((early.removed, early.more), (0, false));
        // Past it: the budget (100) takes two calls, each bounded.
        let now = later(400).now();
        let before = store.ops().total();
        let first = purge_answers(&store, now, 395).unwrap();
        assert_eq!((first.removed, first.more), (100, true));
        assert!(store.ops().total() - before <= 2 * 100 + 20, "bounded");
        let second = purge_answers(&store, now, 395).unwrap();
        assert_eq!((second.removed, second.more), (20, false));
        let page = approved_page(&store, &q.id, Sort::Newest, 1).unwrap();
        let texts: Vec<&str> = page.answers.iter().map(|(a, _)| a.text.as_str()).collect();
        assert_eq!(texts, ["récent"]);
        assert_eq!(store.get(&keys::question_answer(&q.id, 5)).unwrap(), None);
        assert_eq!(
            store.get(&keys::question_answer_likes(&q.id, 1)).unwrap(),
            None
        );
        // Nothing left to do: no write.
        let writes =
            |o: crate::store::OpCounts| o.set + o.delete + o.compare_and_swap + o.increment;
        let before = writes(store.ops());
        assert_eq!(purge_answers(&store, now, 395).unwrap().removed, 0);
        assert_eq!(writes(store.ops()), before);
    }

    #[test]
    fn answers_are_moderated_then_public_and_liked_once() {
        let store = MemoryStore::new();
        let q = setup(&store);
        let a = submit_answer(&store, &clock(), &q, answer(&q, "<b>Zola</b> 📚")).unwrap();
        let b = submit_answer(&store, &clock(), &q, answer(&q, "مرحبا")).unwrap();
        assert_eq!((a, b), (1, 2));
        assert!(
            approved_page(&store, &q.id, Sort::Newest, 1)
                .unwrap()
                .answers
                .is_empty()
        );
        assert_eq!(queue(&store, &q.id, 1, 50, true).unwrap().answers.len(), 2);

        moderate(&store, &clock(), &q.id, a, Decision::Approve).unwrap();
        let rejected = moderate(
            &store,
            &clock(),
            &q.id,
            b,
            Decision::Reject {
                reason: Some("hors sujet".into()),
            },
        )
        .unwrap();
        assert_eq!(rejected.rejection_reason.as_deref(), Some("hors sujet"));
        let page = approved_page(&store, &q.id, Sort::Newest, 1).unwrap();
        assert_eq!(page.answers.len(), 1);
        assert_eq!(page.answers[0].0.text, "<b>Zola</b> 📚");

        assert_eq!(like(&store, &q.id, a, &voter(1)).unwrap(), 1);
        assert!(matches!(
            like(&store, &q.id, a, &voter(1)),
            Err(QuestionError::AlreadyLiked)
        ));
        assert_eq!(like(&store, &q.id, a, &voter(2)).unwrap(), 2);
        assert!(matches!(
            like(&store, &q.id, b, &voter(1)),
            Err(QuestionError::AnswerNotFound)
        ));
        assert_eq!(queue(&store, &q.id, 1, 50, true).unwrap().answers.len(), 0);
    }

    #[test]
    fn moderating_a_missing_answer_lists_nothing_and_staff_list_pages() {
        let store = MemoryStore::new();
        let q = setup(&store);
        assert!(matches!(
            moderate(&store, &clock(), &q.id, 7, Decision::Approve),
            Err(QuestionError::AnswerNotFound)
        ));
        let listed: Vec<u64> = (&store as &dyn KvStore)
            .get_json(&keys::question_approved(&q.id))
            .unwrap()
            .unwrap();
        assert!(listed.is_empty(), "no phantom approval");
        assert!(matches!(
            moderate(
                &store,
                &clock(),
                &QuestionId::parse("nope").unwrap(),
                1,
                Decision::Approve
            ),
            Err(QuestionError::NotFound)
        ));
        for n in 2..=4 {
            let new = NewQuestion::parse(CreateQuestionRequest {
                text: format!("Question {n}"),
                fields: vec![],
                open: true,
            })
            .unwrap();
            create_question(
                &store,
                &clock(),
                QuestionId::parse(&format!("q{n}")).unwrap(),
                new,
            )
            .unwrap();
        }
        store.reset_ops();
        let first = list_questions(&store, 1, 3).unwrap();
        assert_eq!(store.ops().total(), 3);
        let ids: Vec<&str> = first.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(
            (ids, first.total, first.next_page),
            (vec!["q4", "q3", "q2"], 4, Some(2))
        );
        let second = list_questions(&store, 2, 3).unwrap();
        assert_eq!(second.questions[0].id, q.id);
        assert_eq!(second.next_page, None);
    }

    #[test]
    fn most_liked_first_and_withdrawn_answers_disappear() {
        let store = MemoryStore::new();
        let q = setup(&store);
        for n in 1..=3 {
            submit_answer(&store, &clock(), &q, answer(&q, &format!("r{n}"))).unwrap();
            moderate(&store, &clock(), &q.id, n, Decision::Approve).unwrap();
        }
        for v in 0..3 {
            like(&store, &q.id, 1, &voter(v)).unwrap();
        }
        like(&store, &q.id, 2, &voter(9)).unwrap();
        let order = |sort| -> Vec<u64> {
            approved_page(&store, &q.id, sort, 1)
                .unwrap()
                .answers
                .iter()
                .map(|(a, _)| a.seq)
                .collect()
        };
        assert_eq!(order(Sort::Newest), vec![3, 2, 1]);
        assert_eq!(order(Sort::Likes), vec![1, 2, 3]);
        moderate(
            &store,
            &clock(),
            &q.id,
            1,
            Decision::Reject { reason: None },
        )
        .unwrap();
        assert_eq!(order(Sort::Likes), vec![2, 3]);
    }

    #[test]
    fn honeypot_consent_lengths_fields_and_closing() {
        let store = MemoryStore::new();
        let q = setup(&store);
        let req = |f: &dyn Fn(&mut SubmitAnswerRequest)| {
            let mut r = SubmitAnswerRequest {
                text: "ok".into(),
                consent: true,
                ..Default::default()
            };
            f(&mut r);
            NewAnswer::parse(&q, r)
        };
        assert_eq!(
            req(&|r| {
                r.website = Some("http://spam".into());
                r.text = String::new()
            })
            .unwrap(),
            Submission::Spam
        );
        let code = |e: QuestionError| {
            (
                e.code(),
                match e {
                    QuestionError::InvalidAnswer { field, .. } => field,
                    _ => "",
                },
            )
        };
        assert_eq!(
            code(req(&|r| r.consent = false).unwrap_err()),
            ("consent_required", "consent")
        );
        assert_eq!(
            code(req(&|r| r.text = "x".repeat(501)).unwrap_err()),
            ("invalid_answer", "text")
        );
        assert_eq!(
            code(req(&|r| r.pseudonym = Some("p".repeat(41))).unwrap_err()),
            ("invalid_answer", "pseudonym")
        );
        assert!(req(&|r| r.text = "é".repeat(500)).is_ok());
        let closed = set_open(&store, &q.id, false).unwrap();
        assert!(matches!(
            submit_answer(&store, &clock(), &closed, answer(&q, "x")),
            Err(QuestionError::Closed)
        ));
        let plain = Question {
            fields: vec![],
            ..q.clone()
        };
        assert!(
            NewAnswer::parse(
                &plain,
                SubmitAnswerRequest {
                    text: "a".into(),
                    title: Some("t".into()),
                    consent: true,
                    ..Default::default()
                }
            )
            .is_err()
        );
    }

    /// Submitting, liking and reading a page cost the same with 10 and 10,000 prior answers.
    #[test]
    fn costs_do_not_grow_with_the_number_of_answers() {
        let measure = |prior: u64| {
            let store = MemoryStore::new();
            let q = setup(&store);
            for n in 1..=prior {
                submit_answer(&store, &clock(), &q, answer(&q, "r")).unwrap();
                moderate(&store, &clock(), &q.id, n, Decision::Approve).unwrap();
                like(&store, &q.id, n, &voter(n as usize)).unwrap();
            }
            let mut costs = Vec::new();
            store.reset_ops();
            submit_answer(&store, &clock(), &q, answer(&q, "r")).unwrap();
            costs.push(store.ops());
            store.reset_ops();
            like(&store, &q.id, 1, &voter(999_999)).unwrap();
            costs.push(store.ops());
            store.reset_ops();
            approved_page(&store, &q.id, Sort::Newest, 1).unwrap();
            costs.push(store.ops());
            store.reset_ops();
            approved_page(&store, &q.id, Sort::Likes, 1).unwrap();
            costs.push(store.ops());
            store.reset_ops();
            queue(&store, &q.id, 5, 50, false).unwrap();
            costs.push(store.ops());
            assert!(costs.iter().all(|c| c.get_keys == 0));
            costs.iter().map(|c| c.total()).collect::<Vec<_>>()
        };
        let small = measure(10);
        // Submitting: 1 increment + 1 write + 1 increment of the day's participation counter
        // (the adapter read the question: 4 in all).
        assert_eq!(small, vec![3, 3, 4, 4, 3]);
        assert_eq!(measure(10_000), small);
    }

    #[test]
    fn concurrent_likes_of_one_patron_count_once_and_answers_all_land() {
        let store = MemoryStore::new();
        let q = setup(&store);
        submit_answer(&store, &clock(), &q, answer(&q, "r")).unwrap();
        moderate(&store, &clock(), &q.id, 1, Decision::Approve).unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| like(&store, &q.id, 1, &voter(1)).ok());
                s.spawn(|| submit_answer(&store, &clock(), &q, answer(&q, "c")).unwrap());
            }
        });
        let page = approved_page(&store, &q.id, Sort::Newest, 1).unwrap();
        assert_eq!(page.answers[0].1, 1);
        assert_eq!(queue(&store, &q.id, 1, 100, true).unwrap().answers.len(), 8);
    }
}
