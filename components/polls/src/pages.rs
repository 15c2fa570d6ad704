//! The HTML pages patrons reach from social networks: `/polls/...`. They work without
//! JavaScript: plain forms post the vote, and the results are an SVG chart plus a table.
//!
//! Staff write polls in French: the API takes no language yet, so [`POLL_LANG`] is a
//! constant. On a page in another language the staff text (question, answers) is marked
//! `lang="fr"` so screen readers pronounce it as French.

use kiosque_domain::polls::majority::{GRADES, GRADES_EN, GRADES_FR};
use kiosque_domain::polls::results::{self, Results, Viewer};
use kiosque_domain::polls::voting::{self, VoteOutcome};
use kiosque_domain::polls::{
    self, Ballot, BallotInput, Poll, PollError, PollId, PollKind, PollStatus, VoterMethod,
};
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::response::{html, html_embeddable, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock, config, form, same_site};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::api::{self, method_name};
use crate::voter;

/// The language staff write polls in (see the module documentation).
const POLL_LANG: Lang = Lang::Fr;

/// ` lang="fr"` on elements holding staff text when the page is in another language.
fn poll_lang(ctx: &PageContext) -> String {
    if ctx.lang == POLL_LANG {
        String::new()
    } else {
        format!(" lang=\"{}\"", POLL_LANG.code())
    }
}

fn poll_id(params: &Params) -> Result<PollId, PageError> {
    params
        .get("id")
        .and_then(|id| PollId::parse(id).ok())
        .ok_or_else(PageError::not_found)
}

/// The poll, if the public may see it (drafts are 404).
fn load(id: &PollId) -> Result<(SpinStore, Poll), PageError> {
    let store = SpinStore::open_default()?;
    let poll = polls::get_poll(&store, id)?;
    if !poll.published {
        return Err(PageError::not_found());
    }
    Ok((store, poll))
}

fn date(ctx: &PageContext, t: Timestamp) -> String {
    match ctx.lang {
        Lang::Fr => config::library_zone().local(t).format_fr_with_zone(),
        Lang::En => config::library_zone().local(t).format_en_with_zone(),
    }
}

/// Which field an error belongs to, so the message is tied to it (`aria-describedby`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Choice,
    Card,
    Code,
}

struct FormError {
    field: Field,
    message: String,
}

/// Where the page is shown: the full page, or the widget inside another site's iframe.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Page,
    Embed,
}

/// `GET /polls/:id`: the question and a voting form, or where the poll stands.
pub fn poll(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    let body = poll_body(&ctx, &store, &req, &poll, Frame::Page, None)?;
    Ok(html(200, full_page(&ctx, &poll, body)))
}

/// `GET /polls/:id/embed`: the widget for other sites: the form (or the notice) and the
/// results when they are visible, without the site's header and footer.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    let mut body = poll_body(&ctx, &store, &req, &poll, Frame::Embed, None)?;
    let browser = voter::from_cookie(&req);
    let viewer = Viewer {
        staff: false,
        browser: browser.as_ref(),
    };
    if results::visible(&store, &poll, SystemClock.now(), viewer)? {
        let results = results::read(&store, &poll)?;
        body.push_str(&results_body(&ctx, &poll, &results, 2));
    }
    body.push_str(&format!(
        "<p class=\"embed-credit\"><a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a></p>\n",
        escape(&ctx.absolute(&format!("/polls/{id}"))),
        escape(&ctx.library_name),
    ));
    Ok(html_embeddable(
        200,
        layout::embed_page(&ctx, &poll.question, &body),
    ))
}

fn full_page(ctx: &PageContext, poll: &Poll, body: String) -> String {
    let meta = PageMeta {
        title: poll.question.clone(),
        description: describe(ctx, poll),
        json_ld: Some(json_ld(ctx, poll)),
        og_image: poll.options.iter().find_map(|o| o.image_url.clone()),
        ..PageMeta::default()
    };
    layout::page(ctx, &meta, &body)
}

/// The poll's main content: a notice (upcoming, closed, voted) or the voting form.
fn poll_body(
    ctx: &PageContext,
    store: &SpinStore,
    req: &Request,
    poll: &Poll,
    frame: Frame,
    error: Option<&FormError>,
) -> Result<String, PageError> {
    let id = &poll.id;
    let now = SystemClock.now();
    let lang = poll_lang(ctx);
    let question = escape(&poll.question);
    let results_href = escape(&ctx.link(&format!("/polls/{id}/results")));
    let see = ctx.t("Voir les résultats", "See the results");
    let mut body = format!("<p class=\"kicker\">{}</p>\n", ctx.t("Sondage", "Poll"));
    let status = poll.status(now);
    let notice = |text: String| {
        format!(
            "<h1 id=\"question\"{lang}>{question}</h1>\n<p class=\"notice\" role=\"status\">{text}</p>\n"
        )
    };
    match status {
        PollStatus::Upcoming => {
            let opens = poll.opens_at.map(|t| date(ctx, t)).unwrap_or_default();
            body.push_str(&notice(escape(&format!(
                "{} {opens}.",
                ctx.t("Ce sondage ouvrira le", "This poll opens on")
            ))));
            return Ok(body);
        }
        PollStatus::Closed | PollStatus::Draft => {
            body.push_str(&notice(format!(
                "{} <a href=\"{results_href}\">{see}</a>",
                ctx.t("Ce sondage est clos.", "This poll is closed.")
            )));
            return Ok(body);
        }
        PollStatus::Open => {}
    }
    // Only cookie polls know, before the form is sent, whether this browser voted.
    let mut previous: Option<Ballot> = None;
    if poll.voter_method == VoterMethod::Cookie
        && let Some(browser) = voter::from_cookie(req)
    {
        let me = polls::Voter::Cookie(browser);
        if voting::has_voted(store, poll, &me)? {
            if !poll.allow_vote_change {
                body.push_str(&notice(format!(
                    "{} <a href=\"{results_href}\">{see}</a>",
                    ctx.t("Vous avez déjà voté.", "You have already voted.")
                )));
                return Ok(body);
            }
            previous = voting::stored_ballot(store, poll, &me)?;
        }
    }

    let action = escape(&ctx.link(&format!("/polls/{id}/vote")));
    // In the widget the form opens our page in a new tab: inside another site's frame,
    // browsers withhold our voter cookie (third-party), so the vote must happen first-party.
    let target = if frame == Frame::Embed {
        " target=\"_blank\""
    } else {
        ""
    };
    let hint = kind_hint(ctx, poll);
    let error_id = |field: Field| {
        error
            .filter(|e| e.field == field)
            .map(|e| (" vote-error".to_owned(), escape(&e.message)))
    };
    let (choice_err_ref, choice_err) = error_id(Field::Choice).unzip();
    if let Some(e) = error {
        // The summary is announced first; each message is also tied to its field.
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"error-summary\">{}</p>\n",
            escape(&e.message)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{action}\"{target} class=\"poll-form\">\n\
         <fieldset aria-describedby=\"choice-hint{r}\"{invalid}>\n\
         <legend><h1 id=\"question\"{lang}>{question}</h1></legend>\n\
         <p id=\"choice-hint\" class=\"hint\">{hint}</p>\n{err}",
        r = choice_err_ref.clone().unwrap_or_default(),
        invalid = if choice_err.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
        hint = escape(&hint),
        err = choice_err
            .map(|m| format!("<p id=\"vote-error\" class=\"error\">{m}</p>\n"))
            .unwrap_or_default(),
    ));
    body.push_str(&choices(ctx, poll, previous.as_ref()));
    body.push_str("</fieldset>\n");
    body.push_str(&identity_fields(ctx, poll, error));
    if frame == Frame::Embed {
        body.push_str("<input type=\"hidden\" name=\"from\" value=\"embed\">\n");
    }
    body.push_str(&format!(
        "<button type=\"submit\">{vote}</button>{new_tab}\n</form>\n\
         <p><a href=\"{results_href}\"{target}>{see}</a></p>\n",
        vote = if previous.is_some() {
            ctx.t("Changer mon vote", "Change my vote")
        } else {
            ctx.t("Voter", "Vote")
        },
        new_tab = if frame == Frame::Embed {
            format!(
                " <span class=\"hint\">{}</span>",
                ctx.t("(s’ouvre dans un nouvel onglet)", "(opens in a new tab)")
            )
        } else {
            String::new()
        },
    ));
    if let Some(end) = poll.end() {
        body.push_str(&format!(
            "<p class=\"hint\">{} {}.</p>\n",
            ctx.t("Clôture le", "Closes on"),
            escape(&date(ctx, end))
        ));
    }
    Ok(body)
}

fn kind_hint(ctx: &PageContext, poll: &Poll) -> String {
    match poll.kind {
        PollKind::Single => ctx.t("Choisissez une réponse.", "Choose an answer.").to_owned(),
        PollKind::Multiple {
            min_choices,
            max_choices,
        } => match ctx.lang {
            Lang::Fr => format!("Choisissez de {min_choices} à {max_choices} réponses."),
            Lang::En => format!("Choose {min_choices} to {max_choices} answers."),
        },
        PollKind::Ranked => ctx
            .t(
                "Classez les réponses de votre choix : 1 pour votre préférée. Les réponses non classées ne reçoivent aucun point.",
                "Rank the answers you like: 1 for your favourite. Unranked answers get no points.",
            )
            .to_owned(),
        PollKind::Majority => ctx
            .t(
                "Donnez une mention à chaque réponse, de « À rejeter » à « Très bien ».",
                "Give each answer a grade, from “To reject” to “Excellent”.",
            )
            .to_owned(),
    }
}

fn option_label(ctx: &PageContext, poll: &Poll, index: usize) -> String {
    let option = &poll.options[index];
    let img = match (&option.image_url, &option.image_alt) {
        (Some(url), Some(alt)) => format!(
            // Staff pick the image host: send it no referrer (which poll, which patron's
            // page), load it lazily, and reserve its box so the form does not jump.
            "<img src=\"{}\" alt=\"{}\" class=\"option-image\" referrerpolicy=\"no-referrer\" \
             loading=\"lazy\" decoding=\"async\" width=\"160\" height=\"120\"{lang}> ",
            escape(url),
            escape(alt),
            lang = poll_lang(ctx)
        ),
        _ => String::new(),
    };
    format!("{img}{}", escape(&option.text))
}

fn choices(ctx: &PageContext, poll: &Poll, previous: Option<&Ballot>) -> String {
    let mut out = String::new();
    let n = poll.options.len();
    for index in 0..n {
        let label = option_label(ctx, poll, index);
        // Staff text is French: the label (or legend) says so on pages in other languages.
        let lang = poll_lang(ctx);
        match poll.kind {
            PollKind::Single | PollKind::Multiple { .. } => {
                let (kind, required) = if poll.kind == PollKind::Single {
                    // `required` on a radio group makes the browser ask for a choice.
                    ("radio", " required")
                } else {
                    ("checkbox", "")
                };
                let checked = match previous {
                    Some(Ballot::Single(i)) if *i == index => " checked",
                    Some(Ballot::Multiple(v)) if v.contains(&index) => " checked",
                    _ => "",
                };
                out.push_str(&format!(
                    "<div class=\"choice\"><input type=\"{kind}\" name=\"option\" id=\"option-{index}\" \
                     value=\"{index}\"{required}{checked}><label for=\"option-{index}\"{lang}>{label}</label></div>\n"
                ));
            }
            PollKind::Ranked => {
                let current = match previous {
                    Some(Ballot::Ranked(v)) => v.iter().position(|&i| i == index).map(|p| p + 1),
                    _ => None,
                };
                let mut select = format!(
                    "<div class=\"choice rank\"><label for=\"rank-{index}\"{lang}>{label}</label> \
                     <select name=\"rank-{index}\" id=\"rank-{index}\">\n<option value=\"\">{}</option>\n",
                    ctx.t("Non classé", "Not ranked")
                );
                for rank in 1..=n {
                    let selected = if current == Some(rank) {
                        " selected"
                    } else {
                        ""
                    };
                    select.push_str(&format!(
                        "<option value=\"{rank}\"{selected}>{rank}</option>\n"
                    ));
                }
                select.push_str("</select></div>\n");
                out.push_str(&select);
            }
            PollKind::Majority => {
                // One group per answer: its legend is the answer, its radios the grades.
                let current = match previous {
                    Some(Ballot::Majority(g)) => g.get(index).copied(),
                    _ => None,
                };
                out.push_str(&format!(
                    "<fieldset class=\"grades\">\n<legend{lang}>{label}</legend>\n"
                ));
                for grade in 0..GRADES {
                    let checked = if current == Some(grade) {
                        " checked"
                    } else {
                        ""
                    };
                    out.push_str(&format!(
                        "<span class=\"grade\"><input type=\"radio\" name=\"grade-{index}\" \
                         id=\"grade-{index}-{grade}\" value=\"{grade}\" required{checked}>\
                         <label for=\"grade-{index}-{grade}\">{}</label></span>\n",
                        grade_label(ctx.lang, grade)
                    ));
                }
                out.push_str("</fieldset>\n");
            }
        }
    }
    out
}

fn grade_label(lang: Lang, grade: usize) -> &'static str {
    let labels = match lang {
        Lang::Fr => GRADES_FR,
        Lang::En => GRADES_EN,
    };
    labels.get(grade).copied().unwrap_or("")
}

/// The card-number or invitation-code field, with its hint and error tied to it.
fn identity_fields(ctx: &PageContext, poll: &Poll, error: Option<&FormError>) -> String {
    let (field, name, label, hint, mode) = match poll.voter_method {
        VoterMethod::Cookie => return String::new(),
        VoterMethod::Card { format } => (
            Field::Card,
            "card",
            ctx.t(
                "Numéro de votre carte de bibliothèque",
                "Your library card number",
            ),
            match ctx.lang {
                Lang::Fr => format!(
                    "{} à {} caractères, sans espace. Il n’est jamais conservé tel quel.",
                    format.min_length, format.max_length
                ),
                Lang::En => format!(
                    "{} to {} characters, no spaces. It is never stored as such.",
                    format.min_length, format.max_length
                ),
            },
            "text",
        ),
        VoterMethod::Codes => (
            Field::Code,
            "code",
            ctx.t("Votre code d’invitation", "Your invitation code"),
            ctx.t(
                "Le code à 10 caractères remis par la médiathèque, par exemple ABCDE-23456.",
                "The 10-character code the library gave you, e.g. ABCDE-23456.",
            )
            .to_owned(),
            "text",
        ),
    };
    let err = error.filter(|e| e.field == field);
    format!(
        "<div class=\"field\"><label for=\"{name}\">{label}</label>\n\
         <p id=\"{name}-hint\" class=\"hint\">{hint}</p>\n{err_html}\
         <input type=\"{mode}\" id=\"{name}\" name=\"{name}\" required autocomplete=\"off\" \
         aria-describedby=\"{name}-hint{err_ref}\"{invalid}></div>\n",
        hint = escape(&hint),
        err_html = err
            .map(|e| format!(
                "<p id=\"{name}-error\" class=\"error\">{}</p>\n",
                escape(&e.message)
            ))
            .unwrap_or_default(),
        err_ref = if err.is_some() {
            format!(" {name}-error")
        } else {
            String::new()
        },
        invalid = if err.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
    )
}

/// Reads the form's ballot: `option` (once, or repeated for checkboxes), `rank-{i}`, or
/// `grade-{i}`.
fn form_ballot(poll: &Poll, pairs: &[(String, String)]) -> Result<BallotInput, PollError> {
    let number = |v: &str| v.trim().parse::<usize>().unwrap_or(usize::MAX);
    let n = poll.options.len();
    match poll.kind {
        PollKind::Single => form::get(pairs, "option")
            .map(|v| BallotInput::Single(number(v)))
            .ok_or(PollError::InvalidOption { options: n }),
        PollKind::Multiple { .. } => Ok(BallotInput::Multiple(
            pairs
                .iter()
                .filter(|(k, _)| k == "option")
                .map(|(_, v)| number(v))
                .collect(),
        )),
        PollKind::Ranked => {
            let mut ranked: Vec<(usize, usize)> = Vec::new();
            for index in 0..n {
                let Some(rank) =
                    form::get(pairs, &format!("rank-{index}")).filter(|v| !v.is_empty())
                else {
                    continue;
                };
                let rank = number(rank);
                if ranked.iter().any(|(r, _)| *r == rank) {
                    return Err(PollError::InvalidBallot(
                        "ranking: two answers share a rank".into(),
                    ));
                }
                ranked.push((rank, index));
            }
            ranked.sort_unstable();
            Ok(BallotInput::Ranked(
                ranked.into_iter().map(|(_, i)| i).collect(),
            ))
        }
        PollKind::Majority => {
            let grades: Option<Vec<usize>> = (0..n)
                .map(|i| form::get(pairs, &format!("grade-{i}")).map(number))
                .collect();
            grades
                .map(BallotInput::Majority)
                .ok_or_else(|| PollError::InvalidBallot("grades: grade every answer".into()))
        }
    }
}

/// The patron-facing message and field for a refused form, when the form can say it.
fn form_error(ctx: &PageContext, poll: &Poll, error: &PollError) -> Option<FormError> {
    let (field, message) = match error {
        PollError::InvalidOption { .. } | PollError::InvalidBallot(_) => (
            Field::Choice,
            match poll.kind {
                PollKind::Single => ctx
                    .t(
                        "Choisissez une des réponses proposées.",
                        "Choose one of the answers.",
                    )
                    .to_owned(),
                PollKind::Ranked => ctx
                    .t(
                        "Classez au moins une réponse, chacune à un rang différent.",
                        "Rank at least one answer, each at a different rank.",
                    )
                    .to_owned(),
                PollKind::Majority => ctx
                    .t(
                        "Donnez une mention à chaque réponse.",
                        "Give every answer a grade.",
                    )
                    .to_owned(),
                PollKind::Multiple { .. } => kind_hint(ctx, poll),
            },
        ),
        PollError::InvalidCard(_) => (
            Field::Card,
            match poll.voter_method {
                VoterMethod::Card { format } => match ctx.lang {
                    Lang::Fr => format!(
                        "Ce numéro de carte n’a pas le bon format : {} à {} caractères.",
                        format.min_length, format.max_length
                    ),
                    Lang::En => format!(
                        "This card number does not have the right format: {} to {} characters.",
                        format.min_length, format.max_length
                    ),
                },
                _ => return None,
            },
        ),
        PollError::InvalidCode => (
            Field::Code,
            ctx.t(
                "Ce code d’invitation n’est pas valide pour ce sondage : vérifiez-le.",
                "This invitation code is not valid for this poll: please check it.",
            )
            .to_owned(),
        ),
        _ => return None,
    };
    Some(FormError { field, message })
}

/// `POST /polls/:id/vote`: records the vote, then 303 to the results, which thank the
/// patron (`?vote=ok`); a refused form comes back with its errors tied to the fields.
pub fn vote(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    // `identify` already logged why it failed; the page only needs to say it did.
    let (browser, set_cookie) =
        voter::identify(&req).map_err(|_| PageError::internal("no voter token"))?;
    let (store, poll) = load(&id)?;
    voter::rate_limit(&store, &req)?;
    let outcome = form_ballot(&poll, &pairs)
        .and_then(|input| Ballot::parse(&poll, input))
        .and_then(|ballot| {
            let voter = voter::for_poll(
                &poll,
                &browser,
                form::get(&pairs, "card"),
                form::get(&pairs, "code"),
            )?;
            voting::vote(&store, SystemClock.now(), &poll, &voter, &ballot)
        });
    match outcome {
        Ok(outcome) => {
            api::after_vote(&store, &poll, &browser);
            let marker = if outcome == VoteOutcome::Changed {
                "changed"
            } else {
                "ok"
            };
            let thanked = ctx.link(&format!("/polls/{id}/results?vote={marker}"));
            let mut response = see_other(&thanked);
            voter::attach(&mut response, set_cookie);
            Ok(response)
        }
        Err(error) => {
            if let Some(form_error) = form_error(&ctx, &poll, &error) {
                let page = poll_body(&ctx, &store, &req, &poll, Frame::Page, Some(&form_error))?;
                let mut response = html(400, full_page(&ctx, &poll, page));
                voter::attach(&mut response, set_cookie);
                return Ok(response);
            }
            Err(refusal(&ctx, &poll, error))
        }
    }
}

fn refusal(ctx: &PageContext, poll: &Poll, error: PollError) -> PageError {
    let results_href = ctx.link(&format!("/polls/{}/results", poll.id));
    let poll_href = ctx.link(&format!("/polls/{}", poll.id));
    match error {
        // The claim says a vote was attempted, not that it was counted (a crash between
        // claim and count loses the vote), so the page does not promise it.
        PollError::AlreadyVoted => {
            let (fr, en) = match poll.voter_method {
                VoterMethod::Cookie => (
                    "Un seul vote par personne : vous avez déjà voté à ce sondage depuis ce navigateur.",
                    "One vote per person: you have already voted in this poll from this browser.",
                ),
                VoterMethod::Card { .. } => (
                    "Un seul vote par carte : cette carte a déjà servi à voter à ce sondage.",
                    "One vote per card: this card has already been used in this poll.",
                ),
                VoterMethod::Codes => (
                    "Chaque code ne sert qu’une fois : ce code a déjà servi à voter.",
                    "Each code works once: this code has already been used.",
                ),
            };
            PageError::new(
                409,
                "already_voted",
                ["Vous avez déjà voté", fr],
                ["You have already voted", en],
            )
            .with_link(results_href, "Voir les résultats", "See the results")
        }
        PollError::NotOpen { .. } | PollError::Closed => PageError::new(
            409,
            "poll_not_open",
            [
                "Sondage fermé",
                "Ce sondage n’accepte pas de vote en ce moment.",
            ],
            [
                "Poll not open",
                "This poll does not accept votes at the moment.",
            ],
        )
        .with_link(poll_href, "Revenir au sondage", "Back to the poll"),
        PollError::VoteInProgress | PollError::Busy => PageError::new(
            409,
            error.code_str(),
            [
                "Réessayez dans un instant",
                "Votre vote précédent est encore en cours d’enregistrement.",
            ],
            [
                "Try again in a moment",
                "Your previous vote is still being recorded.",
            ],
        )
        .with_link(poll_href, "Revenir au sondage", "Back to the poll"),
        other => other.into(),
    }
}

trait CodeStr {
    fn code_str(&self) -> &'static str;
}

impl CodeStr for PollError {
    fn code_str(&self) -> &'static str {
        kiosque_domain::DomainError::code(self)
    }
}

/// `GET /polls/:id/results`: an accessible chart and the same figures as a table, when the
/// poll shows them to this visitor.
pub fn results(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    // Only the exact markers `vote` redirects with; any other value is ignored, never echoed.
    let marker = form::query_param(req.query(), "vote");
    let mut body = String::new();
    match marker.as_deref() {
        Some("ok") => body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            ctx.t(
                "Merci, votre vote est enregistré.",
                "Thank you, your vote has been recorded."
            ),
        )),
        Some("changed") => body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            ctx.t("Votre vote a été modifié.", "Your vote has been changed."),
        )),
        _ => {}
    }
    let browser = voter::from_cookie(&req);
    let viewer = Viewer {
        staff: api::is_staff(&req),
        browser: browser.as_ref(),
    };
    let now = SystemClock.now();
    if results::visible(&store, &poll, now, viewer)? {
        let results = results::read(&store, &poll)?;
        body.push_str(&format!(
            "<p class=\"kicker\">{}</p>\n",
            ctx.t("Résultats du sondage", "Poll results")
        ));
        body.push_str(&results_body(&ctx, &poll, &results, 1));
    } else {
        body.push_str(&format!(
            "<p class=\"kicker\">{kicker}</p>\n<h1{lang}>{question}</h1>\n\
             <p class=\"notice\" role=\"status\">{why}</p>\n",
            kicker = ctx.t("Résultats du sondage", "Poll results"),
            lang = poll_lang(&ctx),
            question = escape(&poll.question),
            why = escape(&hidden_reason(&ctx, &poll)),
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p>\n",
        escape(&ctx.link(&format!("/polls/{id}"))),
        ctx.t("Retour au sondage", "Back to the poll"),
    ));
    let meta = PageMeta {
        title: format!("{} — {}", ctx.t("Résultats", "Results"), poll.question),
        description: describe(&ctx, &poll),
        json_ld: Some(json_ld(&ctx, &poll)),
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, &body)))
}

fn hidden_reason(ctx: &PageContext, poll: &Poll) -> String {
    use polls::ResultsVisibility::*;
    match poll.results_visibility {
        AfterVote => ctx
            .t(
                "Les résultats s’affichent après votre vote.",
                "Results are shown once you have voted.",
            )
            .to_owned(),
        AfterClose => match (poll.end(), ctx.lang) {
            (Some(end), Lang::Fr) => format!(
                "Les résultats seront publiés à la clôture, le {}.",
                date(ctx, end)
            ),
            (Some(end), Lang::En) => format!(
                "Results will be published when the poll closes, on {}.",
                date(ctx, end)
            ),
            (None, _) => ctx
                .t(
                    "Les résultats seront publiés à la clôture du sondage.",
                    "Results will be published when the poll closes.",
                )
                .to_owned(),
        },
        Staff | Always => ctx
            .t(
                "Les résultats de ce sondage ne sont pas publics.",
                "The results of this poll are not public.",
            )
            .to_owned(),
    }
}

/// The heading, method note, chart and table. `level` is the heading level (1 on the
/// results page, 2 in the widget below the form).
fn results_body(ctx: &PageContext, poll: &Poll, results: &Results, level: u8) -> String {
    let mut body = format!(
        "<h{level}{lang}>{question}</h{level}>\n<p class=\"total\">{total}</p>\n<p class=\"method\">{method}</p>\n",
        lang = poll_lang(ctx),
        question = escape(&poll.question),
        total = voters_label(ctx.lang, results.ballots),
        method = escape(&method_note(ctx, poll.kind)),
    );
    match poll.kind {
        PollKind::Majority => {
            body.push_str(&majority_chart(ctx, poll, results));
            body.push_str(&majority_table(ctx, poll, results));
        }
        _ => {
            body.push_str(&chart(ctx, poll, results));
            body.push_str(&table(ctx, poll, results));
        }
    }
    body
}

fn method_note(ctx: &PageContext, kind: PollKind) -> String {
    let _ = method_name(kind);
    match kind {
        PollKind::Single => ctx.t(
            "Une réponse par personne ; pourcentages des votants.",
            "One answer per person; percentages of voters.",
        ),
        PollKind::Multiple { .. } => ctx.t(
            "Plusieurs réponses possibles : chaque pourcentage est la part des votants qui ont choisi la réponse, leur somme peut dépasser 100 %.",
            "Several answers allowed: each percentage is the share of voters who chose the answer, so they may add up to more than 100%.",
        ),
        PollKind::Ranked => ctx.t(
            "Classement compté par la méthode de Borda : sur un bulletin qui classe k réponses, la 1re reçoit k points, la 2e k − 1, et ainsi de suite jusqu’à 1 point ; les réponses non classées n’en reçoivent aucun. La réponse qui totalise le plus de points l’emporte.",
            "Counted with the Borda count: on a ballot that ranks k answers, the first gets k points, the second k − 1, and so on down to 1 point; unranked answers get none. The answer with the most points wins.",
        ),
        PollKind::Majority => ctx.t(
            "Jugement majoritaire : chaque votant donne une mention à chaque réponse. La mention majoritaire d’une réponse est sa mention médiane (celle qu’au moins la moitié des votants lui accordent ou mieux) ; la meilleure mention majoritaire l’emporte. En cas d’égalité, on retire une à une les mentions médianes jusqu’à départager (règle de Balinski et Laraki).",
            "Majority judgment: every voter grades every answer. An answer's majority grade is its median grade (the grade at least half the voters give it or better); the best majority grade wins. Ties are broken by removing median grades one by one until they differ (Balinski and Laraki's rule).",
        ),
    }
    .to_owned()
}

fn describe(ctx: &PageContext, poll: &Poll) -> String {
    match ctx.lang {
        Lang::Fr => format!(
            "Sondage de la {} : donnez votre avis parmi {} réponses.",
            ctx.library_name,
            poll.options.len()
        ),
        Lang::En => format!(
            "A poll by {}: have your say among {} answers.",
            ctx.library_name,
            poll.options.len()
        ),
    }
}

fn json_ld(ctx: &PageContext, poll: &Poll) -> serde_json::Value {
    json!({
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": poll.question,
        "url": ctx.canonical_url(),
        "inLanguage": ctx.lang.code(),
        "datePublished": poll.created_at.date(),
        "isPartOf": {
            "@type": "WebSite",
            "name": ctx.library_name,
            "url": ctx.absolute("/"),
        },
    })
}

fn voters_label(lang: Lang, count: u64) -> String {
    match (lang, count) {
        (Lang::Fr, 0 | 1) => format!("{count} vote"),
        (Lang::Fr, _) => format!("{count} votes"),
        (Lang::En, 1) => "1 vote".to_owned(),
        (Lang::En, _) => format!("{count} votes"),
    }
}

/// `33,3 %` in French (narrow no-break space), `33.3%` in English; no `.0`.
fn percent_label(lang: Lang, percent: f64) -> String {
    let number = format!("{percent:.1}");
    let number = number.strip_suffix(".0").unwrap_or(&number);
    match lang {
        Lang::Fr => format!("{}\u{202f}%", number.replace('.', ",")),
        Lang::En => format!("{number}%"),
    }
}

/// The figure shown per answer: votes and share, or Borda points.
fn value_label(ctx: &PageContext, kind: PollKind, count: u64, percent: f64) -> String {
    match kind {
        PollKind::Ranked => match ctx.lang {
            Lang::Fr => format!("{count} pt{}", if count > 1 { "s" } else { "" }),
            Lang::En => format!("{count} pt{}", if count == 1 { "" } else { "s" }),
        },
        _ => percent_label(ctx.lang, percent),
    }
}

/// A horizontal bar chart: per answer, a line of text ("33,3 % — Polar") above a bar.
///
/// `role="img"` makes screen readers announce it as one image named by its title only; its
/// `<desc>` points to the table below, which carries the same figures as text. There is no
/// `viewBox`: one SVG unit is one CSS pixel, so the text keeps its size on a phone, and the
/// bars are percentages of the width. Colours are repeated as attributes so the chart still
/// reads without the stylesheet.
fn chart(ctx: &PageContext, poll: &Poll, results: &Results) -> String {
    const ROW: usize = 52;
    const LABEL_CHARS: usize = 30;
    let height = ROW * poll.options.len();
    // Bars are relative to the largest figure for points, to the voters for votes.
    let max_points = results.options.iter().map(|o| o.count).max().unwrap_or(0);
    let mut svg = chart_head(ctx, height);
    for (index, (option, r)) in poll.options.iter().zip(&results.options).enumerate() {
        let y = index * ROW;
        let share = match poll.kind {
            PollKind::Ranked if max_points > 0 => r.count as f64 * 100.0 / max_points as f64,
            PollKind::Ranked => 0.0,
            _ => r.percent,
        };
        // A sliver for any vote at all, so "a few votes" never looks like "none".
        let bar = if share > 0.0 { share.max(0.5) } else { 0.0 };
        svg.push_str(&format!(
            "<text class=\"chart-label\" x=\"0\" y=\"{text_y}\" fill=\"#1a1a1a\" font-size=\"15\">\
             <tspan class=\"chart-value\" font-weight=\"700\">{value}</tspan> — {label}</text>\n\
             <rect class=\"chart-track\" x=\"0\" y=\"{bar_y}\" width=\"100%\" height=\"18\" fill=\"#e8e8e8\"/>\n\
             <rect class=\"chart-bar\" x=\"0\" y=\"{bar_y}\" width=\"{bar:.1}%\" height=\"18\" fill=\"#0b5394\"/>\n",
            text_y = y + 17,
            value = escape(&value_label(ctx, poll.kind, r.count, r.percent)),
            label = escape(&shorten(&option.text, LABEL_CHARS)),
            bar_y = y + 25,
        ));
    }
    svg.push_str("</svg>\n</figure>\n");
    svg
}

fn chart_head(ctx: &PageContext, height: usize) -> String {
    format!(
        "<figure class=\"chart\">\n<svg role=\"img\" aria-labelledby=\"chart-title\" \
         width=\"100%\" height=\"{height}\">\n\
         <title id=\"chart-title\">{title}</title>\n<desc>{desc}</desc>\n",
        title = ctx.t("Répartition des votes", "Vote breakdown"),
        desc = ctx.t(
            "Les chiffres détaillés sont dans le tableau « Détail des votes » ci-dessous.",
            "The detailed figures are in the “Votes in detail” table below.",
        ),
    )
}

/// Majority judgment: per answer, its majority grade above a bar stacked by grade (worst
/// on the left), with a mark at 50 %; colours run from red to green and are also told apart
/// by the table, never by colour alone.
fn majority_chart(ctx: &PageContext, poll: &Poll, results: &Results) -> String {
    const ROW: usize = 52;
    const COLOURS: [&str; GRADES] = [
        "#a50026", "#d73027", "#fdae61", "#a6d96a", "#1a9850", "#006837",
    ];
    let mut svg = chart_head(ctx, ROW * poll.options.len());
    for (index, (option, r)) in poll.options.iter().zip(&results.options).enumerate() {
        let y = index * ROW;
        let grade = r.majority_grade.map_or("—", |g| grade_label(ctx.lang, g));
        svg.push_str(&format!(
            "<text class=\"chart-label\" x=\"0\" y=\"{}\" fill=\"#1a1a1a\" font-size=\"15\">\
             <tspan font-weight=\"700\">{}</tspan> — {}</text>\n",
            y + 17,
            escape(grade),
            escape(&shorten(&option.text, 30)),
        ));
        let total: u64 = r.grades.map_or(0, |g| g.iter().sum());
        let mut x = 0.0;
        for (g, &count) in r.grades.unwrap_or_default().iter().enumerate() {
            if total == 0 || count == 0 {
                continue;
            }
            let width = count as f64 * 100.0 / total as f64;
            svg.push_str(&format!(
                "<rect x=\"{x:.2}%\" y=\"{}\" width=\"{width:.2}%\" height=\"18\" fill=\"{}\"/>\n",
                y + 25,
                COLOURS[g]
            ));
            x += width;
        }
        svg.push_str(&format!(
            "<rect x=\"50%\" y=\"{}\" width=\"2\" height=\"24\" fill=\"#1a1a1a\"/>\n",
            y + 22
        ));
    }
    svg.push_str("</svg>\n</figure>\n");
    svg
}

/// SVG text does not wrap, so long answers are cut in the chart; the table has them in full.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars - 1).collect();
    format!("{}…", cut.trim_end())
}

fn table(ctx: &PageContext, poll: &Poll, results: &Results) -> String {
    let lang = poll_lang(ctx);
    let ranked = poll.kind == PollKind::Ranked;
    let mut rows = String::new();
    for (option, r) in poll.options.iter().zip(&results.options) {
        if ranked {
            rows.push_str(&format!(
                "<tr><th scope=\"row\"{lang}>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&option.text),
                r.rank,
                r.count,
                escape(&percent_label(ctx.lang, r.percent)),
            ));
        } else {
            rows.push_str(&format!(
                "<tr><th scope=\"row\"{lang}>{}</th><td>{}</td><td>{}</td></tr>\n",
                escape(&option.text),
                r.count,
                escape(&percent_label(ctx.lang, r.percent)),
            ));
        }
    }
    let (col2, col3) = if ranked {
        (ctx.t("Rang", "Rank"), ctx.t("Points", "Points"))
    } else {
        (ctx.t("Votes", "Votes"), ctx.t("Pourcentage", "Percentage"))
    };
    // Ranked: the share of all Borda points, so the percentages add up to 100 %.
    let (col4, foot) = if ranked {
        (
            format!(
                "<th scope=\"col\">{}</th>",
                ctx.t("Part des points", "Share of points")
            ),
            "<td></td><td></td>",
        )
    } else {
        (String::new(), "<td></td>")
    };
    format!(
        "<table class=\"results\">\n<caption>{caption}</caption>\n\
         <thead><tr><th scope=\"col\">{answer}</th><th scope=\"col\">{col2}</th>\
         <th scope=\"col\">{col3}</th>{col4}</tr></thead>\n<tbody>\n{rows}</tbody>\n\
         <tfoot><tr><th scope=\"row\">{voters}</th><td>{total}</td>{foot}</tr></tfoot>\n</table>\n",
        caption = ctx.t("Détail des votes", "Votes in detail"),
        answer = ctx.t("Réponse", "Answer"),
        voters = ctx.t("Total", "Total"),
        total = results.ballots,
    )
}

fn majority_table(ctx: &PageContext, poll: &Poll, results: &Results) -> String {
    let lang = poll_lang(ctx);
    let mut head = format!(
        "<th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>",
        ctx.t("Réponse", "Answer"),
        ctx.t("Rang", "Rank"),
        ctx.t("Mention majoritaire", "Majority grade"),
    );
    for grade in 0..GRADES {
        head.push_str(&format!(
            "<th scope=\"col\">{}</th>",
            grade_label(ctx.lang, grade)
        ));
    }
    let mut rows = String::new();
    for (option, r) in poll.options.iter().zip(&results.options) {
        rows.push_str(&format!(
            "<tr><th scope=\"row\"{lang}>{}</th><td>{}</td><td>{}</td>",
            escape(&option.text),
            r.rank,
            r.majority_grade.map_or("—", |g| grade_label(ctx.lang, g)),
        ));
        // Each grade as a count and as the share of this answer's grades, as for every kind.
        let grades = r.grades.unwrap_or_default();
        let graded: u64 = grades.iter().sum();
        for count in grades {
            let share = if graded == 0 {
                0.0
            } else {
                count as f64 * 100.0 / graded as f64
            };
            rows.push_str(&format!(
                "<td>{count} <span class=\"share\">({})</span></td>",
                percent_label(ctx.lang, share)
            ));
        }
        rows.push_str("</tr>\n");
    }
    format!(
        "<div class=\"table-scroll\" role=\"region\" aria-labelledby=\"mj-caption\" tabindex=\"0\">\
         <table class=\"results\">\n<caption id=\"mj-caption\">{caption}</caption>\n\
         <thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table></div>\n",
        caption = ctx.t(
            "Détail des votes : nombre de mentions par réponse (et part des mentions de la réponse)",
            "Votes in detail: number of grades per answer (and share of the answer's grades)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_naturally_in_both_languages() {
        assert_eq!(percent_label(Lang::Fr, 33.3), "33,3\u{202f}%");
        assert_eq!(percent_label(Lang::Fr, 50.0), "50\u{202f}%");
        assert_eq!(percent_label(Lang::En, 66.7), "66.7%");
        assert_eq!(voters_label(Lang::Fr, 1), "1 vote");
        assert_eq!(voters_label(Lang::Fr, 0), "0 vote");
        assert_eq!(voters_label(Lang::En, 0), "0 votes");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
