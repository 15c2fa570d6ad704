//! The HTML pages patrons reach from social networks: `/polls/...`. They work without
//! JavaScript: a plain form posts the vote, and the results are an SVG chart plus a table.
//!
//! Staff write polls in French: the API takes no language yet, so [`POLL_LANG`] is a
//! constant. On a page in another language the staff text (question, answers) is marked
//! `lang="fr"` so screen readers pronounce it as French. When polls get a language of their
//! own, it becomes a field of `Poll` and replaces the constant.

use kiosque_domain::polls::{self, Poll, PollError, PollId, Tally};
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::response::{html, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, form, same_site};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

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

fn load(id: &PollId) -> Result<(SpinStore, Poll), PageError> {
    let store = SpinStore::open_default()?;
    let poll = polls::get_poll(&store, id)?;
    Ok((store, poll))
}

/// `GET /polls/:id`: the question and a voting form, or a notice if this visitor voted.
pub fn poll(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    let voted = match voter::from_cookie(&req) {
        Some(voter) => polls::has_voted(&store, &id, &voter)?,
        None => false,
    };
    let results_href = escape(&ctx.link(&format!("/polls/{id}/results")));
    let lang = poll_lang(&ctx);
    let question = escape(&poll.question);
    let see = ctx.t("Voir les résultats", "See the results");

    let mut body = format!("<p class=\"kicker\">{}</p>\n", ctx.t("Sondage", "Poll"));
    if voted {
        body.push_str(&format!(
            "<h1 id=\"question\"{lang}>{question}</h1>\n\
             <p class=\"notice\" role=\"status\">{already} \
             <a href=\"{results_href}\">{see}</a></p>\n",
            already = ctx.t("Vous avez déjà voté.", "You have already voted."),
        ));
    } else {
        // The question is the heading of the page and the legend of the radio group (a
        // heading inside `<legend>` is valid HTML), so screen readers announce it with every
        // answer; the instruction is the group's description.
        body.push_str(&format!(
            "<form method=\"post\" action=\"{action}\" class=\"poll-form\">\n\
             <fieldset aria-describedby=\"choice-hint\">\n\
             <legend><h1 id=\"question\"{lang}>{question}</h1></legend>\n\
             <p id=\"choice-hint\" class=\"hint\">{hint}</p>\n",
            action = escape(&ctx.link(&format!("/polls/{id}/vote"))),
            hint = ctx.t("Choisissez une réponse.", "Choose an answer."),
        ));
        for (index, option) in poll.options.iter().enumerate() {
            // `required` on a radio group makes the browser ask for a choice before posting.
            body.push_str(&format!(
                "<div class=\"choice\"><input type=\"radio\" name=\"option\" id=\"option-{index}\" \
                 value=\"{index}\" required><label for=\"option-{index}\"{lang}>{text}</label></div>\n",
                text = escape(option),
            ));
        }
        body.push_str(&format!(
            "</fieldset>\n<button type=\"submit\">{vote}</button>\n</form>\n\
             <p><a href=\"{results_href}\">{see}</a></p>\n",
            vote = ctx.t("Voter", "Vote"),
        ));
    }

    let meta = PageMeta {
        title: poll.question.clone(),
        description: describe(&ctx, &poll),
        json_ld: Some(json_ld(&ctx, &poll)),
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, &body)))
}

/// `POST /polls/:id/vote` with `option=<i>`: records the vote, then 303 to the results,
/// which thank the patron (`?vote=ok`).
pub fn vote(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let poll_href = ctx.link(&format!("/polls/{id}"));
    let results_href = ctx.link(&format!("/polls/{id}/results"));

    let body = String::from_utf8_lossy(req.body());
    let pairs = form::parse(&body);
    let Some(option) = form::get(&pairs, "option").and_then(|o| o.trim().parse::<usize>().ok())
    else {
        return Err(no_choice(&poll_href));
    };
    // `identify` already logged why it failed; the page only needs to say it did.
    let (voter, set_cookie) =
        voter::identify(&req).map_err(|_| PageError::internal("no voter token"))?;
    let store = SpinStore::open_default()?;
    // The form shows no figures, so it only records: the results page reads the tally.
    match polls::record_vote(&store, &id, &voter, option) {
        Ok(()) => {
            // `results` thanks the patron when it sees exactly this marker.
            let thanked = ctx.link(&format!("/polls/{id}/results?vote=ok"));
            let mut response = see_other(&thanked);
            voter::attach(&mut response, set_cookie);
            Ok(response)
        }
        // The claim says a vote was attempted from this browser, not that it was counted (a
        // crash between claim and count loses the vote), so the page does not promise it.
        Err(PollError::AlreadyVoted) => Err(PageError::new(
            409,
            "already_voted",
            [
                "Vous avez déjà voté",
                "Un seul vote par personne : vous avez déjà voté à ce sondage depuis ce \
                 navigateur.",
            ],
            [
                "You have already voted",
                "One vote per person: you have already voted in this poll from this browser.",
            ],
        )
        .with_link(results_href, "Voir les résultats", "See the results")),
        Err(PollError::InvalidOption { .. }) => Err(no_choice(&poll_href)),
        Err(e) => Err(e.into()),
    }
}

fn no_choice(poll_href: &str) -> PageError {
    PageError::new(
        400,
        "invalid_option",
        [
            "Aucune réponse choisie",
            "Choisissez une des réponses proposées avant de voter.",
        ],
        [
            "No answer chosen",
            "Choose one of the answers before voting.",
        ],
    )
    .with_link(poll_href, "Revenir au sondage", "Back to the poll")
}

/// `GET /polls/:id/results`: an accessible chart and the same figures as a table.
pub fn results(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    let tally = polls::tally(&store, &poll)?;
    // Only the exact marker `vote` redirects with; any other value is ignored, never echoed.
    let just_voted = form::query_param(req.query(), "vote").as_deref() == Some("ok");

    let mut body = String::new();
    if just_voted {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            ctx.t(
                "Merci, votre vote est enregistré.",
                "Thank you, your vote has been recorded."
            ),
        ));
    }
    body.push_str(&format!(
        "<p class=\"kicker\">{kicker}</p>\n<h1{lang}>{question}</h1>\n<p class=\"total\">{total}</p>\n",
        kicker = ctx.t("Résultats du sondage", "Poll results"),
        lang = poll_lang(&ctx),
        question = escape(&poll.question),
        total = votes_label(ctx.lang, tally.total),
    ));
    body.push_str(&chart(&ctx, &poll, &tally));
    body.push_str(&table(&ctx, &poll, &tally));
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

fn votes_label(lang: Lang, count: u64) -> String {
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

/// A horizontal bar chart: per answer, a line of text ("33,3 % — Polar") above a bar.
///
/// `role="img"` makes screen readers announce it as one image named by its title only; its
/// `<desc>` points to the table below, which carries the same figures as text.
///
/// There is no `viewBox`: one SVG unit is one CSS pixel, so the text keeps its size on a 320px
/// phone instead of shrinking with the chart, and the bars are percentages of the width.
/// Colours are repeated as attributes so the chart still reads without the stylesheet.
fn chart(ctx: &PageContext, poll: &Poll, tally: &Tally) -> String {
    /// Pixels per answer: a text line and a bar, with a gap.
    const ROW: usize = 52;
    /// SVG text does not wrap: at 15px, about 40 characters fit a phone's column, minus the
    /// figure in front.
    const LABEL_CHARS: usize = 30;
    let height = ROW * poll.options.len();

    let mut svg = format!(
        "<figure class=\"chart\">\n<svg role=\"img\" aria-labelledby=\"chart-title\" \
         width=\"100%\" height=\"{height}\">\n\
         <title id=\"chart-title\">{title}</title>\n<desc>{desc}</desc>\n",
        title = ctx.t("Répartition des votes", "Vote breakdown"),
        desc = ctx.t(
            "Les chiffres détaillés sont dans le tableau « Détail des votes » ci-dessous.",
            "The detailed figures are in the “Votes in detail” table below.",
        ),
    );
    for (index, (option, percent)) in poll.options.iter().zip(tally.percentages()).enumerate() {
        let y = index * ROW;
        // A sliver for any vote at all, so "a few votes" never looks like "none".
        let bar = if percent > 0.0 { percent.max(0.5) } else { 0.0 };
        svg.push_str(&format!(
            "<text class=\"chart-label\" x=\"0\" y=\"{text_y}\" fill=\"#1a1a1a\" font-size=\"15\">\
             <tspan class=\"chart-value\" font-weight=\"700\">{value}</tspan> — {label}</text>\n\
             <rect class=\"chart-track\" x=\"0\" y=\"{bar_y}\" width=\"100%\" height=\"18\" fill=\"#e8e8e8\"/>\n\
             <rect class=\"chart-bar\" x=\"0\" y=\"{bar_y}\" width=\"{bar:.1}%\" height=\"18\" fill=\"#0b5394\"/>\n",
            text_y = y + 17,
            value = escape(&percent_label(ctx.lang, percent)),
            label = escape(&shorten(option, LABEL_CHARS)),
            bar_y = y + 25,
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

fn table(ctx: &PageContext, poll: &Poll, tally: &Tally) -> String {
    let lang = poll_lang(ctx);
    let mut rows = String::new();
    for ((option, &count), percent) in poll
        .options
        .iter()
        .zip(&tally.counts)
        .zip(tally.percentages())
    {
        rows.push_str(&format!(
            "<tr><th scope=\"row\"{lang}>{}</th><td>{count}</td><td>{}</td></tr>\n",
            escape(option),
            escape(&percent_label(ctx.lang, percent)),
        ));
    }
    format!(
        "<table class=\"results\">\n<caption>{caption}</caption>\n\
         <thead><tr><th scope=\"col\">{answer}</th><th scope=\"col\">{votes}</th>\
         <th scope=\"col\">{share}</th></tr></thead>\n<tbody>\n{rows}</tbody>\n\
         <tfoot><tr><th scope=\"row\">Total</th><td>{total}</td><td></td></tr></tfoot>\n</table>\n",
        caption = ctx.t("Détail des votes", "Votes in detail"),
        answer = ctx.t("Réponse", "Answer"),
        votes = ctx.t("Votes", "Votes"),
        share = ctx.t("Pourcentage", "Percentage"),
        total = tally.total,
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
        assert_eq!(votes_label(Lang::Fr, 1), "1 vote");
        assert_eq!(votes_label(Lang::Fr, 0), "0 vote");
        assert_eq!(votes_label(Lang::En, 0), "0 votes");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
