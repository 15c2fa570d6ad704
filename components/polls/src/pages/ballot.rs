//! The poll page and its widget: the question and a voting form that works without
//! JavaScript (one field per kind of ballot, the voter's card or code when the poll asks for
//! them), the vote it posts, and the refusals explained on the page.

use super::results_page::results_body;
use super::*;

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
    let body = html! { (illustration(&ctx, &poll)) (body) };
    Ok(html(200, full_page(&ctx, &poll, body)))
}

/// `GET /polls/:id/embed`: the widget for other sites: the form (or the notice) and the
/// results when they are visible, without the site's header and footer.
pub fn embed(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    let form = poll_body(&ctx, &store, &req, &poll, Frame::Embed, None)?;
    let browser = voter::from_cookie(&req);
    let viewer = Viewer {
        staff: false,
        browser: browser.as_ref(),
    };
    let results = if results::visible(&store, &poll, SystemClock.now(), viewer)? {
        Some(results::read(&store, &poll)?)
    } else {
        None
    };
    let body = html! {
        (illustration(&ctx, &poll))
        (form)
        @if let Some(results) = &results {
            (results_body(&ctx, &poll, results, 2))
        }
        p.embed-credit {
            a href=(ctx.absolute(&format!("/polls/{id}"))) target="_blank" rel="noopener" {
                (ctx.library_name)
            }
        }
    };
    Ok(html_embeddable(
        200,
        layout::embed_page(&ctx, &poll.question, body),
    ))
}

fn full_page(ctx: &PageContext, poll: &Poll, body: Markup) -> String {
    let meta = PageMeta {
        title: poll.question.clone(),
        description: describe(ctx, poll),
        json_ld: Some(json_ld(ctx, poll)),
        // The poll's own illustration first, else the first answer's picture.
        og_image: poll
            .image
            .as_ref()
            .map(kiosque_spin::ShareImage::placed)
            .or_else(|| {
                poll.options.iter().find_map(|o| {
                    let url = o.image_url.as_ref()?;
                    Some(kiosque_spin::ShareImage::new(
                        url,
                        o.image_alt.clone().unwrap_or_default(),
                    ))
                })
            }),
        ..PageMeta::default()
    };
    layout::page(ctx, &meta, body)
}

/// The poll's main content: a notice (upcoming, closed, voted) or the voting form.
fn poll_body(
    ctx: &PageContext,
    store: &SpinStore,
    req: &Request,
    poll: &Poll,
    frame: Frame,
    error: Option<&FormError>,
) -> Result<Markup, PageError> {
    let id = &poll.id;
    let now = SystemClock.now();
    let results_href = ctx.link(&format!("/polls/{id}/results"));
    let see = ctx.t("Voir les résultats", "See the results");
    let kicker = html! { p.kicker { (ctx.t("Sondage", "Poll")) } };
    let notice = |text: Markup| {
        html! {
            (kicker)
            h1 #question lang=[poll_lang(ctx)] { (poll.question) }
            p.notice role="status" { (text) }
        }
    };
    let see_results = |text: &str| html! { (text) " " a href=(results_href) { (see) } };
    match poll.status(now) {
        PollStatus::Upcoming => {
            let opens = poll.opens_at.map(|t| date(ctx, t)).unwrap_or_default();
            let text = ctx.t("Ce sondage ouvrira le", "This poll opens on");
            return Ok(notice(html! { (text) " " (opens) "." }));
        }
        PollStatus::Closed | PollStatus::Draft => {
            let text = ctx.t("Ce sondage est clos.", "This poll is closed.");
            return Ok(notice(see_results(text)));
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
                let text = ctx.t("Vous avez déjà voté.", "You have already voted.");
                return Ok(notice(see_results(text)));
            }
            previous = voting::stored_ballot(store, poll, &me)?;
        }
    }

    let embedded = frame == Frame::Embed;
    // In the widget the form opens our page in a new tab: inside another site's frame,
    // browsers withhold our voter cookie (third-party), so the vote must happen first-party.
    let target = embedded.then_some("_blank");
    let choice_error = error.filter(|e| e.field == Field::Choice);
    let described = match choice_error {
        Some(_) => "choice-hint vote-error",
        None => "choice-hint",
    };
    let vote = if previous.is_some() {
        ctx.t("Changer mon vote", "Change my vote")
    } else {
        ctx.t("Voter", "Vote")
    };
    Ok(html! {
        (kicker)
        @if let Some(e) = error {
            // The summary is announced first; each message is also tied to its field.
            p class="error" role="alert" id="error-summary" { (e.message) }
        }
        form method="post" action=(ctx.link(&format!("/polls/{id}/vote"))) target=[target]
            class="poll-form" {
            fieldset aria-describedby=(described) aria-invalid=[choice_error.map(|_| "true")] {
                legend { h1 #question lang=[poll_lang(ctx)] { (poll.question) } }
                p id="choice-hint" class="hint" { (kind_hint(ctx, poll)) }
                @if let Some(e) = choice_error {
                    p id="vote-error" class="error" { (e.message) }
                }
                (choices(ctx, poll, previous.as_ref()))
            }
            (identity_fields(ctx, poll, error))
            @if embedded {
                input type="hidden" name="from" value="embed";
            }
            button type="submit" { (vote) }
            @if embedded {
                " "
                span.hint { (ctx.t("(s’ouvre dans un nouvel onglet)", "(opens in a new tab)")) }
            }
        }
        p { a href=(results_href) target=[target] { (see) } }
        @if let Some(end) = poll.end() {
            p.hint { (ctx.t("Clôture le", "Closes on")) " " (date(ctx, end)) "." }
        }
    })
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

fn option_label(ctx: &PageContext, poll: &Poll, index: usize) -> Markup {
    let option = &poll.options[index];
    html! {
        @if let (Some(url), Some(alt)) = (&option.image_url, &option.image_alt) {
            // Staff pick the image host: send it no referrer (which poll, which patron's
            // page), load it lazily, and reserve its box so the form does not jump.
            img src=(url) alt=(alt) class="option-image" referrerpolicy="no-referrer"
                loading="lazy" decoding="async" width="160" height="120" lang=[poll_lang(ctx)];
            " "
        }
        (option.text)
    }
}

fn choices(ctx: &PageContext, poll: &Poll, previous: Option<&Ballot>) -> Markup {
    html! {
        @for index in 0..poll.options.len() {
            (choice(ctx, poll, index, previous))
        }
    }
}

/// The field of one answer, as the kind of poll asks: a radio or checkbox, a rank, or a
/// group of grades; pre-filled from the patron's `previous` ballot.
fn choice(ctx: &PageContext, poll: &Poll, index: usize, previous: Option<&Ballot>) -> Markup {
    let n = poll.options.len();
    let label = option_label(ctx, poll, index);
    // Staff text is French: the label (or legend) says so on pages in other languages.
    let lang = poll_lang(ctx);
    match poll.kind {
        PollKind::Single | PollKind::Multiple { .. } => {
            // `required` on a radio group makes the browser ask for a choice.
            let single = poll.kind == PollKind::Single;
            let checked = match previous {
                Some(Ballot::Single(i)) => *i == index,
                Some(Ballot::Multiple(v)) => v.contains(&index),
                _ => false,
            };
            let id = format!("option-{index}");
            html! {
                div.choice {
                    input type=(if single { "radio" } else { "checkbox" }) name="option" id=(id)
                        value=(index) required[single] checked[checked];
                    label for=(id) lang=[lang] { (label) }
                }
            }
        }
        PollKind::Ranked => {
            let current = match previous {
                Some(Ballot::Ranked(v)) => v.iter().position(|&i| i == index).map(|p| p + 1),
                _ => None,
            };
            let id = format!("rank-{index}");
            html! {
                div.choice.rank {
                    label for=(id) lang=[lang] { (label) }
                    " "
                    select name=(id) id=(id) {
                        option value="" { (ctx.t("Non classé", "Not ranked")) }
                        @for rank in 1..=n {
                            option value=(rank) selected[current == Some(rank)] { (rank) }
                        }
                    }
                }
            }
        }
        PollKind::Majority => {
            // One group per answer: its legend is the answer, its radios the grades.
            let current = match previous {
                Some(Ballot::Majority(g)) => g.get(index).copied(),
                _ => None,
            };
            html! {
                fieldset.grades {
                    legend lang=[lang] { (label) }
                    @for grade in 0..GRADES {
                        @let id = format!("grade-{index}-{grade}");
                        span.grade {
                            input type="radio" name=(format!("grade-{index}")) id=(id)
                                value=(grade) required checked[current == Some(grade)];
                            label for=(id) { (grade_label(ctx.lang, grade)) }
                        }
                    }
                }
            }
        }
    }
}

/// The card-number or invitation-code field, with its hint and error tied to it.
fn identity_fields(ctx: &PageContext, poll: &Poll, error: Option<&FormError>) -> Markup {
    let (field, name, label, hint, mode) = match poll.voter_method {
        VoterMethod::Cookie => return html! {},
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
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = match err {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field {
            label for=(name) { (label) }
            p id=(hint_id) class="hint" { (hint) }
            @if let Some(e) = err {
                p id=(error_id) class="error" { (e.message) }
            }
            input type=(mode) id=(name) name=(name) required autocomplete="off"
                aria-describedby=(described) aria-invalid=[err.map(|_| "true")];
        }
    }
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
