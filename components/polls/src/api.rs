//! The JSON API: `/api/polls/...`. Staff routes need the admin token; public ones answer
//! drafts as 404 unless the token is there.

use kiosque_domain::Clock;
use kiosque_domain::Timestamp;
use kiosque_domain::csv::push_row;
use kiosque_domain::polls::majority::{GRADES_EN, GRADES_FR};
use kiosque_domain::polls::results::{self, Results, Viewer};
use kiosque_domain::polls::voting::{self, VoteOutcome};
use kiosque_domain::polls::{
    self, Ballot, BallotInput, CardFormat, CreatePollRequest, InviteCode, KindName, MethodName,
    NewPoll, Poll, PollError, PollId, PollKind, PollOption, PollStatus, ResultsVisibility,
    VoterMethod, index,
};
use kiosque_domain::showcases::model::Placement;
use kiosque_spin::auth::Permission;
use kiosque_spin::html::html;
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, config, form, ids, same_site};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

use crate::voter;

#[derive(Serialize)]
pub struct PollResponse<'a> {
    id: &'a PollId,
    question: &'a str,
    kind: KindName,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_choices: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_choices: Option<u8>,
    options: &'a [PollOption],
    status: PollStatus,
    opens_at: Option<Timestamp>,
    closes_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    results_visibility: ResultsVisibility,
    voter_method: MethodName,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_format: Option<CardFormat>,
    allow_vote_change: bool,
    /// The illustration, as stored (`url` or `medium`, with the size and alt text).
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a Placement>,
    created_at: Timestamp,
    url: String,
    results_url: String,
    embed_url: String,
    /// The iframe snippet staff paste into another site.
    embed_html: String,
}

impl<'a> PollResponse<'a> {
    pub fn new(poll: &'a Poll, base_url: &str, now: Timestamp) -> Self {
        let (min_choices, max_choices) = match poll.kind {
            PollKind::Multiple {
                min_choices,
                max_choices,
            } => (Some(min_choices), Some(max_choices)),
            _ => (None, None),
        };
        let embed_url = format!("{base_url}/polls/{}/embed", poll.id);
        PollResponse {
            id: &poll.id,
            question: &poll.question,
            kind: poll.kind.name(),
            min_choices,
            max_choices,
            options: &poll.options,
            status: poll.status(now),
            opens_at: poll.opens_at,
            closes_at: poll.closes_at,
            closed_at: poll.closed_at,
            results_visibility: poll.results_visibility,
            voter_method: poll.voter_method.name(),
            card_format: match poll.voter_method {
                VoterMethod::Card { format } => Some(format),
                _ => None,
            },
            allow_vote_change: poll.allow_vote_change,
            image: poll.image.as_ref(),
            created_at: poll.created_at,
            url: format!("{base_url}/polls/{}", poll.id),
            results_url: format!("{base_url}/polls/{}/results", poll.id),
            embed_html: embed_snippet(&embed_url, &poll.question),
            embed_url,
        }
    }
}

/// The `<iframe>` to paste into another site; `title` names the frame for screen readers.
pub fn embed_snippet(embed_url: &str, question: &str) -> String {
    html! {
        iframe src=(embed_url) title=(question) width="100%" height="560" loading="lazy"
            style="border:0;max-width:40rem" {}
    }
    .into_string()
}

/// A malformed id cannot name a poll: same answer as an unknown one.
fn poll_id(params: &Params) -> Result<PollId, ApiError> {
    params
        .get("id")
        .and_then(|id| PollId::parse(id).ok())
        .ok_or_else(|| PollError::NotFound.into())
}

/// Whether signed-in staff asks (they see drafts and results the public does not).
pub fn is_staff(req: &Request) -> bool {
    auth::is_staff(req)
}

/// A poll the public may see: drafts do not exist for them.
fn visible_poll(store: &SpinStore, id: &PollId, staff: bool) -> Result<Poll, PollError> {
    let poll = polls::get_poll(store, id)?;
    if !poll.published && !staff {
        return Err(PollError::NotFound);
    }
    Ok(poll)
}

fn card_key_set() -> bool {
    config::variable("card_hash_key").is_some()
}

/// `POST /api/polls` (admin, JSON): 201 with the poll and its public URLs.
pub fn create_poll(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let now = SystemClock.now();
    let new = NewPoll::parse(parse_body::<CreatePollRequest>(&req)?, now, card_key_set())?;
    let store = SpinStore::open_default()?;
    let poll = polls::create_poll(&store, &SystemClock, ids::new_id()?, new)?;
    let base = base_url(&req);
    let mut response = json(201, &PollResponse::new(&poll, &base, now));
    response.set_header("location", format!("{base}/api/polls/{}", poll.id));
    Ok(response)
}

#[derive(Serialize)]
struct ListItem<'a> {
    id: &'a PollId,
    question: &'a str,
    kind: KindName,
    status: PollStatus,
    opens_at: Option<Timestamp>,
    closes_at: Option<Timestamp>,
    created_at: Timestamp,
    url: String,
}

/// `GET /api/polls?status=draft|upcoming|open|closed&page=N` (admin): newest first, one
/// page of at most `index::PAGE_SLOTS` polls (fewer with a status filter), and
/// `next_page`, the `page` to ask for next (`null` on the last page). 3 store calls at most.
pub fn list_polls(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let status = form::query_param(req.query(), "status")
        .map(|s| PollStatus::parse(&s))
        .transpose()?;
    let page = form::query_param(req.query(), "page")
        .map(|p| {
            p.parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| PollError::Invalid("page: must be a positive integer".into()))
        })
        .transpose()?;
    let store = SpinStore::open_default()?;
    let listed = index::list(&store, SystemClock.now(), status, page)?;
    let base = base_url(&req);
    let polls: Vec<ListItem> = listed
        .polls
        .iter()
        .map(|(poll, status)| ListItem {
            id: &poll.id,
            question: &poll.question,
            kind: poll.kind.name(),
            status: *status,
            opens_at: poll.opens_at,
            closes_at: poll.closes_at,
            created_at: poll.created_at,
            url: format!("{base}/polls/{}", poll.id),
        })
        .collect();
    Ok(json(
        200,
        &serde_json::json!({ "polls": polls, "next_page": listed.next_page }),
    ))
}

/// `GET /api/polls/:id`.
pub fn show_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    let poll = visible_poll(&store, &id, is_staff(&req))?;
    Ok(json(
        200,
        &PollResponse::new(&poll, &base_url(&req), SystemClock.now()),
    ))
}

/// `PUT /api/polls/:id` (admin): replaces the poll while nobody voted (409 otherwise).
pub fn edit_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = poll_id(&params)?;
    let now = SystemClock.now();
    let new = NewPoll::parse(parse_body::<CreatePollRequest>(&req)?, now, card_key_set())?;
    let store = SpinStore::open_default()?;
    let poll = polls::edit_poll(&store, &id, new)?;
    Ok(json(200, &PollResponse::new(&poll, &base_url(&req), now)))
}

/// `DELETE /api/polls/:id` (admin): 204; its pages answer 404 from then on.
pub fn delete_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    polls::delete_poll(&store, &id)?;
    Ok(Response::builder().status(204).build())
}

/// `POST /api/polls/:id/open` (admin).
pub fn open_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    let poll = polls::open_poll(&store, &SystemClock, &id)?;
    Ok(json(
        200,
        &PollResponse::new(&poll, &base_url(&req), SystemClock.now()),
    ))
}

/// `POST /api/polls/:id/close` (admin).
pub fn close_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    let poll = polls::close_poll(&store, &SystemClock, &id)?;
    Ok(json(
        200,
        &PollResponse::new(&poll, &base_url(&req), SystemClock.now()),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesRequest {
    count: i64,
}

/// `POST /api/polls/:id/codes` `{"count": n}` (admin): 201 with `n` fresh single-use codes.
/// They are shown this once: only their hashes are stored.
pub fn create_codes(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = poll_id(&params)?;
    let body: CodesRequest = parse_body(&req)?;
    let count = usize::try_from(body.count)
        .ok()
        .filter(|n| (1..=polls::MAX_CODES_PER_BATCH).contains(n))
        .ok_or_else(|| {
            PollError::Invalid(format!(
                "count: must be from 1 to {}",
                polls::MAX_CODES_PER_BATCH
            ))
        })?;
    let codes = (0..count)
        .map(|_| ids::random_bytes().map(InviteCode::generate))
        .collect::<Result<Vec<_>, _>>()?;
    let store = SpinStore::open_default()?;
    let poll = polls::get_poll(&store, &id)?;
    voting::add_invite_codes(&store, &poll, &codes)?;
    let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
    Ok(json(
        201,
        &serde_json::json!({ "poll_id": id, "codes": codes }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteRequest {
    /// Signed so that `-1` is reported as an invalid option rather than as invalid JSON.
    option: Option<i64>,
    options: Option<Vec<i64>>,
    ranking: Option<Vec<i64>>,
    grades: Option<Vec<i64>>,
    card: Option<String>,
    code: Option<String>,
}

fn index_of(i: i64) -> usize {
    // Out of range either way: the domain reports it with the poll's option count.
    usize::try_from(i).unwrap_or(usize::MAX)
}

impl VoteRequest {
    fn ballot(&self) -> Result<BallotInput, PollError> {
        let list = |v: &Vec<i64>| v.iter().copied().map(index_of).collect::<Vec<_>>();
        match (&self.option, &self.options, &self.ranking, &self.grades) {
            (Some(i), None, None, None) => Ok(BallotInput::Single(index_of(*i))),
            (None, Some(v), None, None) => Ok(BallotInput::Multiple(list(v))),
            (None, None, Some(v), None) => Ok(BallotInput::Ranked(list(v))),
            (None, None, None, Some(v)) => Ok(BallotInput::Majority(list(v))),
            _ => Err(PollError::InvalidBallot(
                "give exactly one of option, options, ranking, grades".into(),
            )),
        }
    }
}

#[derive(Serialize)]
struct VoteResponse<'a> {
    poll_id: &'a PollId,
    changed: bool,
    /// `null` when the poll does not show results to voters yet.
    results: Option<ResultsResponse<'a>>,
}

/// `POST /api/polls/:id/votes` (JSON): 201 with the results including this vote when the
/// poll shows them to voters. Changing a vote (polls that allow it) answers 200.
pub fn cast_vote(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = poll_id(&params)?;
    let body: VoteRequest = parse_body(&req)?;
    let input = body.ballot()?;
    let (browser, set_cookie) = voter::identify(&req)?;
    let store = SpinStore::open_default()?;
    voter::rate_limit(&store, &req)?;
    let poll = visible_poll(&store, &id, false)?;
    let ballot = Ballot::parse(&poll, input)?;
    let voter = voter::for_poll(&poll, &browser, body.card.as_deref(), body.code.as_deref())?;
    let now = SystemClock.now();
    let outcome = voting::vote(&store, now, &poll, &voter, &ballot)?;
    after_vote(&store, &poll, &browser);
    // A voter who just voted sees what "always" and "after voting" polls show; the others
    // (after close, staff only) cannot be closed while open to votes.
    let shown = matches!(
        poll.results_visibility,
        ResultsVisibility::Always | ResultsVisibility::AfterVote
    );
    let results = if shown {
        Some(results::read(&store, &poll)?)
    } else {
        None
    };
    let changed = outcome == VoteOutcome::Changed;
    let mut response = json(
        if changed { 200 } else { 201 },
        &VoteResponse {
            poll_id: &id,
            changed,
            results: results.as_ref().map(|r| ResultsResponse::new(&poll, r)),
        },
    );
    voter::attach(&mut response, set_cookie);
    Ok(response)
}

/// Remembers that this browser voted by card or code, for "results after voting"
/// (best effort: the vote is counted either way).
pub fn after_vote(store: &SpinStore, poll: &Poll, browser: &polls::VoterId) {
    if poll.results_visibility == ResultsVisibility::AfterVote
        && poll.voter_method != VoterMethod::Cookie
        && let Err(e) = voting::mark_seen(store, poll, browser)
    {
        eprintln!("failed to remember a voter's browser: {e}");
    }
}

#[derive(Serialize)]
pub struct ResultsResponse<'a> {
    poll_id: &'a PollId,
    question: &'a str,
    kind: KindName,
    /// How the results are counted: `plurality`, `approval`, `borda`, `majority_judgment`.
    method: &'static str,
    /// People who voted.
    ballots: u64,
    /// Kept for clients of the first version: the number of ballots.
    total: u64,
    options: Vec<OptionResponse<'a>>,
}

#[derive(Serialize)]
struct OptionResponse<'a> {
    text: &'a str,
    rank: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    votes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grades: Option<[u64; 6]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    majority_grade: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    majority_grade_fr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    majority_grade_en: Option<&'static str>,
}

pub fn method_name(kind: PollKind) -> &'static str {
    match kind {
        PollKind::Single => "plurality",
        PollKind::Multiple { .. } => "approval",
        PollKind::Ranked => "borda",
        PollKind::Majority => "majority_judgment",
    }
}

impl<'a> ResultsResponse<'a> {
    fn new(poll: &'a Poll, results: &Results) -> Self {
        let options = poll
            .options
            .iter()
            .zip(&results.options)
            .map(|(option, r)| {
                let (votes, percent, points) = match poll.kind {
                    PollKind::Single | PollKind::Multiple { .. } => {
                        (Some(r.count), Some(r.percent), None)
                    }
                    PollKind::Ranked => (None, Some(r.percent), Some(r.count)),
                    PollKind::Majority => (None, None, None),
                };
                OptionResponse {
                    text: &option.text,
                    rank: r.rank,
                    votes,
                    percent,
                    points,
                    grades: r.grades,
                    majority_grade: r.majority_grade,
                    majority_grade_fr: r.majority_grade.and_then(|g| GRADES_FR.get(g).copied()),
                    majority_grade_en: r.majority_grade.and_then(|g| GRADES_EN.get(g).copied()),
                }
            })
            .collect();
        ResultsResponse {
            poll_id: &poll.id,
            question: &poll.question,
            kind: poll.kind.name(),
            method: method_name(poll.kind),
            ballots: results.ballots,
            total: results.ballots,
            options,
        }
    }
}

/// The poll and its results for whoever asks, or 403 `results_hidden`.
fn readable_results(req: &Request, params: &Params) -> Result<(Poll, Results), ApiError> {
    let id = poll_id(params)?;
    let staff = is_staff(req);
    let store = SpinStore::open_default()?;
    let poll = visible_poll(&store, &id, staff)?;
    let browser = voter::from_cookie(req);
    let viewer = Viewer {
        staff,
        browser: browser.as_ref(),
    };
    if !results::visible(&store, &poll, SystemClock.now(), viewer)? {
        return Err(PollError::ResultsHidden.into());
    }
    let results = results::read(&store, &poll)?;
    Ok((poll, results))
}

/// `GET /api/polls/:id/results`: public as the poll's visibility says; staff always.
pub fn results(req: Request, params: Params) -> Result<Response, ApiError> {
    let (poll, results) = readable_results(&req, &params)?;
    Ok(json(200, &ResultsResponse::new(&poll, &results)))
}

/// `GET /api/polls/:id/results.csv` (admin): UTF-8 with a byte-order mark, so Excel reads
/// the accents, one row per answer.
pub fn results_csv(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let (poll, results) = readable_results(&req, &params)?;
    let mut csv = String::from("\u{feff}");
    let header: Vec<&str> = match poll.kind {
        PollKind::Single | PollKind::Multiple { .. } => vec!["rank", "answer", "votes", "percent"],
        PollKind::Ranked => vec!["rank", "answer", "borda_points", "percent_of_points"],
        PollKind::Majority => {
            let mut h = vec!["rank", "answer", "majority_grade"];
            h.extend(GRADES_FR);
            h
        }
    };
    push_row(&mut csv, header);
    for (option, r) in poll.options.iter().zip(&results.options) {
        let mut row = vec![r.rank.to_string(), option.text.clone()];
        match (poll.kind, r.grades) {
            (PollKind::Majority, Some(grades)) => {
                row.push(
                    r.majority_grade
                        .and_then(|g| GRADES_FR.get(g))
                        .map_or(String::new(), |s| s.to_string()),
                );
                row.extend(grades.iter().map(u64::to_string));
            }
            _ => {
                row.push(r.count.to_string());
                row.push(format!("{:.1}", r.percent));
            }
        }
        push_row(&mut csv, row);
    }
    push_row(&mut csv, ["", "ballots", &results.ballots.to_string()]);
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/csv; charset=utf-8")
        .header(
            "content-disposition",
            format!("attachment; filename=\"poll-{}-results.csv\"", poll.id),
        )
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(csv)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embed_snippet_is_escaped() {
        let html = embed_snippet("https://bib.example/polls/x/embed", "Un \"vrai\" <choix>");
        assert!(
            html.contains("title=\"Un &quot;vrai&quot; &lt;choix&gt;\""),
            "{html}"
        );
        assert!(html.starts_with("<iframe src=\"https://bib.example/polls/x/embed\""));
    }
}
