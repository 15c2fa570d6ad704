//! Questions over HTTP: the JSON API (`/api/questions/...`) and the public pages
//! (`/questions/...`). The rules live in `kiosque_domain::questions`.

use kiosque_domain::moderation::{Decision, ModerationRequest};
use kiosque_domain::questions::{
    self, Answer, AnswerField, CreateQuestionRequest, NewAnswer, NewQuestion, Question,
    QuestionError, QuestionId, Sort, Submission, SubmitAnswerRequest,
};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::{self, PageContext, PageMeta, base_url};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::{html, json, see_other};
use kiosque_spin::{ApiError, PageError, SpinStore, SystemClock, auth, form, ids, same_site};
use serde::{Deserialize, Serialize};
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::engage::{
    self, api_query_u64, error_summary, pagination, patron_name, patron_text, query_u64, staff_lang,
};
use crate::voter;

fn question_id(params: &Params) -> Option<QuestionId> {
    params.get("id").and_then(|id| QuestionId::parse(id).ok())
}

fn api_id(params: &Params) -> Result<QuestionId, ApiError> {
    question_id(params).ok_or_else(|| QuestionError::NotFound.into())
}

/// Strictly (`01` or `+1` is no entry): one address per entry.
fn seq(params: &Params) -> Option<u64> {
    kiosque_spin::routes::number_param(params, "seq").filter(|&n| n >= 1)
}

#[derive(Serialize)]
struct QuestionResponse<'a> {
    #[serde(flatten)]
    question: &'a Question,
    url: String,
}

/// `POST /api/questions` (admin): 201 with the question and its public URL.
pub fn create(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let new = NewQuestion::parse(parse_body::<CreateQuestionRequest>(&req)?)?;
    let store = SpinStore::open_default()?;
    let id = QuestionId::generate(ids::random_bytes()?);
    let question = questions::create_question(&store, &SystemClock, id, new)?;
    let base = base_url(&req);
    let mut response = json(
        201,
        &QuestionResponse {
            url: format!("{base}/questions/{}", question.id),
            question: &question,
        },
    );
    response.set_header("location", format!("{base}/api/questions/{}", question.id));
    Ok(response)
}

/// `GET /api/questions?page=n&per_page=n` (admin): questions, newest first.
pub fn list_all(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let store = SpinStore::open_default()?;
    let list = questions::list_questions(
        &store,
        api_query_u64(&req, "page", 1)?,
        api_query_u64(&req, "per_page", 50)?,
    )?;
    let base = base_url(&req);
    let items: Vec<_> = list
        .questions
        .iter()
        .map(|question| QuestionResponse {
            url: format!("{base}/questions/{}", question.id),
            question,
        })
        .collect();
    Ok(json(
        200,
        &json_value!({
            "questions": items, "total": list.total, "page": list.page, "next_page": list.next_page,
        }),
    ))
}

/// `GET /api/questions/:id`.
pub fn show(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = api_id(&params)?;
    let store = SpinStore::open_default()?;
    let question = questions::get_question(&store, &id)?;
    Ok(json(
        200,
        &QuestionResponse {
            url: format!("{}/questions/{id}", base_url(&req)),
            question: &question,
        },
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRequest {
    open: bool,
}

/// `POST /api/questions/:id/state` `{"open": bool}` (admin).
pub fn set_state(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Edit)?;
    let id = api_id(&params)?;
    let body: StateRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    let question = questions::set_open(&store, &id, body.open)?;
    Ok(json(
        200,
        &QuestionResponse {
            url: format!("{}/questions/{id}", base_url(&req)),
            question: &question,
        },
    ))
}

/// `POST /api/questions/:id/answers` (public, JSON): 202, the answer waits for moderation.
/// A filled honeypot gets the same 202 and stores nothing.
pub fn submit(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = api_id(&params)?;
    let body: SubmitAnswerRequest = parse_body(&req)?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::rate_limit(&store, &req, "answer", false) {
        return Ok(limited);
    }
    let question = questions::get_question(&store, &id)?;
    if let Submission::Answer(answer) = NewAnswer::parse(&question, body)? {
        questions::submit_answer(&store, &SystemClock, &question, answer)?;
    }
    Ok(json(202, &json_value!({ "status": "pending" })))
}

/// `GET /api/questions/:id/answers?sort=likes&page=n` (public): approved answers.
pub fn list(req: Request, params: Params) -> Result<Response, ApiError> {
    let id = api_id(&params)?;
    let store = SpinStore::open_default()?;
    let page =
        questions::approved_page(&store, &id, sort_of(&req), api_query_u64(&req, "page", 1)?)?;
    let answers: Vec<_> = page
        .answers
        .iter()
        .map(|(a, likes)| {
            json_value!({
                "seq": a.seq, "text": a.text, "pseudonym": a.pseudonym, "title": a.title,
                "author": a.author, "created_at": a.created_at, "likes": likes,
            })
        })
        .collect();
    Ok(json(
        200,
        &json_value!({
            "question_id": id, "answers": answers, "approved": page.approved,
            "page": page.page, "pages": page.pages,
        }),
    ))
}

fn sort_of(req: &Request) -> Sort {
    match form::query_param(req.query(), "sort").as_deref() {
        Some("likes") => Sort::Likes,
        _ => Sort::Newest,
    }
}

/// `GET /api/questions/:id/queue?from=n&limit=n&status=pending` (admin): every answer, with
/// its status and staff-only rejection reason.
pub fn queue(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = api_id(&params)?;
    let pending = form::query_param(req.query(), "status").as_deref() == Some("pending");
    let store = SpinStore::open_default()?;
    let queue = questions::queue(
        &store,
        &id,
        api_query_u64(&req, "from", 1)?,
        api_query_u64(&req, "limit", 50)?,
        pending,
    )?;
    Ok(json(200, &queue))
}

/// `POST /api/questions/:id/answers/:seq/moderation` `{"decision","reason"?}` (admin).
pub fn moderate(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Moderate)?;
    let id = api_id(&params)?;
    let seq = seq(&params).ok_or(QuestionError::AnswerNotFound)?;
    let decision = Decision::parse(parse_body::<ModerationRequest>(&req)?)
        .map_err(QuestionError::InvalidModeration)?;
    let store = SpinStore::open_default()?;
    let answer = questions::moderate(&store, &SystemClock, &id, seq, decision)?;
    Ok(json(200, &answer))
}

/// `POST /api/questions/:id/answers/:seq/likes` (public): 201 with the likes; 409
/// `already_liked`.
pub fn like(req: Request, params: Params) -> Result<Response, ApiError> {
    same_site::check(&req)?;
    let id = api_id(&params)?;
    let seq = seq(&params).ok_or(QuestionError::AnswerNotFound)?;
    let (voter, cookie) = voter::identify(&req)?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::vote_rate_limit(&store, &req, "like", false) {
        return Ok(limited);
    }
    let likes = questions::like(&store, &id, seq, &voter)?;
    let mut response = json(201, &json_value!({ "seq": seq, "likes": likes }));
    voter::attach(&mut response, cookie);
    Ok(response)
}

// --- pages ---------------------------------------------------------------------------------

/// The form's values and the error to show, when re-rendered after a refused answer.
#[derive(Default)]
struct FormState {
    values: SubmitAnswerRequest,
    error: Option<(&'static str, String)>,
}

/// `GET /questions/:id`: the question, the answer form and the approved answers.
pub fn page(req: Request, params: Params) -> Result<Response, PageError> {
    let id = question_id(&params).ok_or_else(PageError::not_found)?;
    render(&req, &id, FormState::default(), 200)
}

fn render(
    req: &Request,
    id: &QuestionId,
    state: FormState,
    status: u16,
) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(req);
    let store = SpinStore::open_default()?;
    let sort = sort_of(req);
    let page = questions::approved_page(&store, id, sort, query_u64(req, "page", 1))?;
    let q = &page.question;
    let thanked = form::query_param(req.query(), "answer").as_deref() == Some("ok");
    let sort_link = |s: &str, label: &str, current: bool| {
        html! {
            a href=(ctx.link(&format!("/questions/{id}?sort={s}#reponses")))
                aria-current=[current.then_some("true")] { (label) }
        }
    };
    let s = if sort == Sort::Likes {
        "likes"
    } else {
        "newest"
    };
    let body = html! {
        p.kicker { (ctx.t("Question", "Question")) }
        h1 #question lang=[staff_lang(&ctx)] { (q.text) }
        @if thanked {
            p.notice role="status" id="merci" {
                (ctx.t(
                    "Merci ! Votre réponse sera publiée après relecture.",
                    "Thank you! Your answer will be published after review.",
                ))
            }
        }
        @if q.open {
            (answer_form(&ctx, q, &state))
        } @else {
            p.notice { (ctx.t("Cette question est close.", "This question is closed.")) }
        }
        h2 #reponses { (ctx.t("Réponses", "Answers")) " (" (page.approved) ")" }
        p {
            (ctx.t("Trier :", "Sort:")) " "
            (sort_link("newest", ctx.t("les plus récentes", "newest"), sort == Sort::Newest))
            " · "
            (sort_link("likes", ctx.t("les plus aimées", "most liked"), sort == Sort::Likes))
        }
        ol.answers {
            @for (answer, likes) in &page.answers {
                (answer_item(&ctx, id, answer, *likes))
            }
        }
        (pagination(&ctx, page.page, page.pages, |n| {
            ctx.link(&format!("/questions/{id}?sort={s}&page={n}#reponses"))
        }))
    };
    // Not `QAPage`/`Question` (that means one accepted answer to a factual question): a page
    // with patrons' comments.
    let comments: Vec<_> = page.answers.iter().map(|(a, likes)| json_value!({
        "@type": "Comment",
        "text": a.text,
        "dateCreated": a.created_at.date(),
        "author": {"@type": "Person", "name": a.pseudonym.clone().unwrap_or_else(|| "Anonyme".to_owned())},
        "interactionStatistic": {"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction", "userInteractionCount": likes},
    })).collect();
    let meta = PageMeta {
        title: q.text.clone(),
        description: match ctx.lang {
            kiosque_spin::Lang::Fr => format!(
                "Une question de la {} : répondez et découvrez les réponses.",
                ctx.library_name
            ),
            kiosque_spin::Lang::En => format!(
                "A question from {}: answer it and read the answers.",
                ctx.library_name
            ),
        },
        og_type: "article",
        json_ld: Some(json_value!({
            "@context": "https://schema.org", "@type": "WebPage", "name": q.text,
            "url": ctx.canonical_url(), "inLanguage": ctx.lang.code(), "datePublished": q.created_at.date(),
            "comment": comments, "commentCount": page.approved,
        })),
        ..PageMeta::default()
    };
    Ok(html(status, layout::page(&ctx, &meta, body)))
}

/// One approved answer: the work it names, the text, who wrote it and when, and its like
/// button.
fn answer_item(ctx: &PageContext, id: &QuestionId, answer: &Answer, likes: u64) -> Markup {
    let date = answer.created_at.date();
    let like_label = format!(
        "{} ({likes})",
        ctx.t("J’aime cette réponse", "Like this answer")
    );
    html! {
        li id=(format!("r{}", answer.seq)) {
            article {
                @if answer.title.is_some() || answer.author.is_some() {
                    p.work {
                        @if let Some(title) = &answer.title {
                            cite dir="auto" { (title) }
                        }
                        @if let Some(author) = &answer.author {
                            " — "
                            span dir="auto" { (author) }
                        }
                    }
                }
                p dir="auto" { (patron_text(&answer.text)) }
                p.byline {
                    @match &answer.pseudonym {
                        Some(name) => { (patron_name(name)) }
                        None => { (ctx.t("Anonyme", "Anonymous")) }
                    }
                    ", "
                    time datetime=(date) { (date) }
                }
                form method="post"
                    action=(ctx.link(&format!("/questions/{id}/answers/{}/like", answer.seq))) {
                    button type="submit" aria-label=(like_label) {
                        "♥ " (ctx.t("J’aime", "Like")) " (" (likes) ")"
                    }
                }
            }
        }
    }
}

fn answer_form(ctx: &PageContext, q: &Question, state: &FormState) -> Markup {
    let v = &state.values;
    let err = |field: &str| {
        state
            .error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    };
    // One input: label, optional hint, error tied with aria-describedby, value kept.
    let input = |name: &'static str,
                 label: &str,
                 hint: Option<&str>,
                 value: Option<&str>,
                 max: usize,
                 area: bool,
                 required: bool| {
        let error = err(name);
        let hint_id = format!("{name}-hint");
        let error_id = format!("{name}-error");
        let mut described = Vec::new();
        if hint.is_some() {
            described.push(hint_id.as_str());
        }
        if error.is_some() {
            described.push(error_id.as_str());
        }
        let described = (!described.is_empty()).then(|| described.join(" "));
        let invalid = error.map(|_| "true");
        let value = value.unwrap_or("");
        html! {
            div.field {
                label for=(name) { (label) }
                @if let Some(hint) = hint {
                    p.hint id=(hint_id) { (hint) }
                }
                @if let Some(message) = error {
                    p.error id=(error_id) { (message) }
                }
                @if area {
                    textarea id=(name) name=(name) maxlength=(max) rows="4" dir="auto"
                        required[required] aria-describedby=[described.as_deref()]
                        aria-invalid=[invalid] { (value) }
                } @else {
                    input id=(name) name=(name) maxlength=(max) dir="auto" value=(value)
                        required[required] aria-describedby=[described.as_deref()]
                        aria-invalid=[invalid];
                }
            }
        }
    };
    let consent_error = err("consent");
    html! {
        form method="post" action=(ctx.link(&format!("/questions/{}/answer", q.id)))
            class="answer-form" {
            h2 { (ctx.t("Votre réponse", "Your answer")) }
            @if let Some((field, _)) = &state.error {
                (error_summary(ctx, &[(field, field_label(ctx, field))]))
            }
            @if q.asks(AnswerField::Title) {
                (input(
                    "title",
                    ctx.t(
                        "Titre de l’œuvre (facultatif)",
                        "Title of the work (optional)",
                    ),
                    None,
                    v.title.as_deref(),
                    questions::MAX_TITLE_CHARS,
                    false,
                    false,
                ))
            }
            @if q.asks(AnswerField::Author) {
                (input(
                    "author",
                    ctx.t("Auteur ou autrice (facultatif)", "Author (optional)"),
                    None,
                    v.author.as_deref(),
                    questions::MAX_AUTHOR_CHARS,
                    false,
                    false,
                ))
            }
            (input(
                "text",
                ctx.t("Votre réponse", "Your answer"),
                Some(ctx.t("500 caractères au plus.", "At most 500 characters.")),
                Some(&v.text),
                questions::MAX_ANSWER_CHARS,
                true,
                true,
            ))
            (input(
                "pseudonym",
                ctx.t("Pseudonyme (facultatif)", "Pseudonym (optional)"),
                Some(ctx.t(
                    "Affiché avec votre réponse ; sinon « Anonyme ».",
                    "Shown with your answer; otherwise “Anonymous”.",
                )),
                v.pseudonym.as_deref(),
                questions::MAX_PSEUDONYM_CHARS,
                false,
                false,
            ))
            // The honeypot: hidden from people and assistive technologies, skipped by the
            // keyboard.
            div.hp aria-hidden="true" {
                label for="website" { "Site web" }
                input id="website" name="website" tabindex="-1" autocomplete="off";
            }
            div.field {
                input type="checkbox" id="consent" name="consent" value="yes" required
                    aria-invalid=[consent_error.map(|_| "true")]
                    aria-describedby=[consent_error.map(|_| "consent-error")]
                    checked[v.consent];
                label for="consent" {
                    (ctx.t(
                        "J’accepte que ma réponse soit publiée sur le site de la médiathèque.",
                        "I agree that my answer is published on the library’s site.",
                    ))
                }
                @if let Some(message) = consent_error {
                    p.error id="consent-error" { (message) }
                }
            }
            button type="submit" { (ctx.t("Envoyer", "Send")) }
        }
    }
}

/// The label of each answer field, for the error summary.
fn field_label(ctx: &PageContext, field: &str) -> &'static str {
    match field {
        "title" => ctx.t("Titre de l’œuvre", "Title of the work"),
        "author" => ctx.t("Auteur ou autrice", "Author"),
        "text" => ctx.t("Votre réponse", "Your answer"),
        "pseudonym" => ctx.t("Pseudonyme", "Pseudonym"),
        _ => ctx.t("Accord pour la publication", "Agreement to publication"),
    }
}

/// The patron-facing message for a refused answer field, in the page's language.
fn answer_message(ctx: &PageContext, field: &str) -> String {
    match field {
        "text" => ctx.t(
            "Écrivez votre réponse : 500 caractères au plus, sans caractères de contrôle.",
            "Write your answer: at most 500 characters, without control characters.",
        ),
        "pseudonym" => ctx.t(
            "Le pseudonyme fait au plus 40 caractères, sur une ligne.",
            "The pseudonym is at most 40 characters, on one line.",
        ),
        "title" => ctx.t(
            "Le titre fait au plus 200 caractères, sur une ligne.",
            "The title is at most 200 characters, on one line.",
        ),
        "author" => ctx.t(
            "Le nom de l’auteur fait au plus 120 caractères, sur une ligne.",
            "The author’s name is at most 120 characters, on one line.",
        ),
        _ => ctx.t(
            "Cochez la case pour accepter la publication de votre réponse.",
            "Tick the box to agree to your answer being published.",
        ),
    }
    .to_owned()
}

/// `POST /questions/:id/answer` (form): 303 to the page with a confirmation, or the page again
/// with the error tied to its field.
pub fn submit_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = question_id(&params).ok_or_else(PageError::not_found)?;
    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    let field = |n: &str| form::get(&pairs, n).map(str::to_owned);
    let values = SubmitAnswerRequest {
        text: field("text").unwrap_or_default(),
        pseudonym: field("pseudonym"),
        title: field("title"),
        author: field("author"),
        consent: field("consent").is_some(),
        website: field("website"),
    };
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::rate_limit(&store, &req, "answer", true) {
        return Ok(limited);
    }
    let question = questions::get_question(&store, &id)?;
    let result =
        NewAnswer::parse(&question, values.clone()).and_then(|submission| match submission {
            Submission::Answer(answer) => {
                questions::submit_answer(&store, &SystemClock, &question, answer).map(|_| ())
            }
            Submission::Spam => Ok(()),
        });
    match result {
        Ok(()) => Ok(see_other(
            &ctx.link(&format!("/questions/{id}?answer=ok#merci")),
        )),
        Err(QuestionError::InvalidAnswer { field, .. }) => render(
            &req,
            &id,
            FormState {
                values,
                error: Some((field, answer_message(&ctx, field))),
            },
            400,
        ),
        Err(e) => Err(e.into()),
    }
}

/// `POST /questions/:id/answers/:seq/like` (form): 303 back to the answer.
pub fn like_form(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = question_id(&params).ok_or_else(PageError::not_found)?;
    let seq = seq(&params).ok_or_else(PageError::not_found)?;
    let (voter, cookie) =
        voter::identify(&req).map_err(|_| PageError::internal("no voter token"))?;
    let store = SpinStore::open_default()?;
    if let Err(limited) = engage::vote_rate_limit(&store, &req, "like", true) {
        return Ok(limited);
    }
    match questions::like(&store, &id, seq, &voter) {
        // Liking twice is not an error worth a page: the like is there either way.
        Ok(_) | Err(QuestionError::AlreadyLiked) => {
            let mut response = see_other(&ctx.link(&format!("/questions/{id}#r{seq}")));
            voter::attach(&mut response, cookie);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
