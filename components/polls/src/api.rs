//! The JSON API: `/api/polls/...`.

use kiosque_domain::Timestamp;
use kiosque_domain::polls::{self, CreatePollRequest, NewPoll, Poll, PollError, PollId, Tally};
use kiosque_spin::html::layout::base_url;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, ids, same_site};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

use crate::voter;

#[derive(Serialize)]
struct PollResponse<'a> {
    id: &'a PollId,
    question: &'a str,
    options: &'a [String],
    created_at: Timestamp,
    url: String,
}

impl<'a> PollResponse<'a> {
    fn new(poll: &'a Poll, base_url: &str) -> Self {
        PollResponse {
            id: &poll.id,
            question: &poll.question,
            options: &poll.options,
            created_at: poll.created_at,
            url: format!("{base_url}/polls/{}", poll.id),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteRequest {
    /// Signed so that `-1` is reported as an invalid option rather than as invalid JSON.
    option: i64,
}

#[derive(Serialize)]
struct VoteResponse<'a> {
    poll_id: &'a PollId,
    option: usize,
    results: &'a Tally,
}

#[derive(Serialize)]
struct ResultsResponse<'a> {
    poll_id: &'a PollId,
    question: &'a str,
    options: Vec<OptionResult<'a>>,
    total: u64,
}

#[derive(Serialize)]
struct OptionResult<'a> {
    text: &'a str,
    votes: u64,
    percent: f64,
}

/// A malformed id cannot name a poll: same answer as an unknown one.
fn poll_id(params: &Params) -> Result<PollId, ApiError> {
    params
        .get("id")
        .and_then(|id| PollId::parse(id).ok())
        .ok_or_else(|| PollError::NotFound.into())
}

/// `POST /api/polls` (admin, JSON): 201 with the poll and its public URL.
pub fn create_poll(req: Request, _params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    auth::require_admin(&req)?;
    let new = NewPoll::parse(parse_body::<CreatePollRequest>(&req)?)?;
    let store = SpinStore::open_default()?;
    let poll = polls::create_poll(&store, &SystemClock, ids::new_id()?, new)?;
    let base = base_url(&req);
    let mut response = json(201, &PollResponse::new(&poll, &base));
    response.set_header("location", format!("{base}/api/polls/{}", poll.id));
    Ok(response)
}

/// `GET /api/polls/:id`.
pub fn show_poll(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    let poll = polls::get_poll(&store, &id)?;
    Ok(json(200, &PollResponse::new(&poll, &base_url(&req))))
}

/// `POST /api/polls/:id/votes` `{"option": i}` (JSON): 201 with the results including this
/// vote.
pub fn cast_vote(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = poll_id(&params)?;
    let body: VoteRequest = parse_body(&req)?;
    // Out of range either way: the domain reports it with the poll's option count.
    let option = usize::try_from(body.option).unwrap_or(usize::MAX);
    let (voter, set_cookie) = voter::identify(&req)?;
    let store = SpinStore::open_default()?;
    let tally = polls::cast_vote(&store, &id, &voter, option)?;
    let mut response = json(
        201,
        &VoteResponse {
            poll_id: &id,
            option,
            results: &tally,
        },
    );
    voter::attach(&mut response, set_cookie);
    Ok(response)
}

/// `GET /api/polls/:id/results`.
pub fn results(_req: Request, params: Params) -> Result<Response, ApiError> {
    let id = poll_id(&params)?;
    let store = SpinStore::open_default()?;
    let poll = polls::get_poll(&store, &id)?;
    let tally = polls::tally(&store, &poll)?;
    let options = poll
        .options
        .iter()
        .zip(&tally.counts)
        .zip(tally.percentages())
        .map(|((text, &votes), percent)| OptionResult {
            text,
            votes,
            percent,
        })
        .collect();
    Ok(json(
        200,
        &ResultsResponse {
            poll_id: &poll.id,
            question: &poll.question,
            options,
            total: tally.total,
        },
    ))
}
