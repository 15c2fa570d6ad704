//! The poll page and its widget: the question and a voting form that works without
//! JavaScript (one field per kind of ballot, the voter's card or code when the poll asks for
//! them), the vote it posts, and the refusals explained on the page.

use super::results_page::results_body;
use super::*;
use kiosque_spin::html::PreEscaped;

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
        layout::embed_page(&ctx, &poll.question, PreEscaped(body)),
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
    layout::page(ctx, &meta, PreEscaped(body))
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
