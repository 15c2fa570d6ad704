//! The HTML pages patrons reach from social networks: `/polls/...`. They work without
//! JavaScript: a plain form posts the vote, and the results are an SVG chart plus a table.

use kiosque_domain::polls::{self, Poll, PollError, PollId, Tally};
use kiosque_spin::html::escape;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::response::{html, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, form};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::voter;

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

    let mut body = format!(
        "<p class=\"kicker\">{kicker}</p>\n<h1 id=\"question\">{question}</h1>\n",
        kicker = ctx.t("Sondage", "Poll"),
        question = escape(&poll.question),
    );
    if voted {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{already} \
             <a href=\"{results_href}\">{see}</a></p>\n",
            already = ctx.t("Vous avez déjà voté.", "You have already voted."),
            see = ctx.t("Voir les résultats", "See the results"),
        ));
    } else {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{action}\" class=\"poll-form\">\n\
             <fieldset>\n<legend>{legend}</legend>\n",
            action = escape(&ctx.link(&format!("/polls/{id}/vote"))),
            legend = ctx.t("Choisissez une réponse", "Choose an answer"),
        ));
        for (index, option) in poll.options.iter().enumerate() {
            // `required` on a radio group makes the browser ask for a choice before posting.
            body.push_str(&format!(
                "<div class=\"choice\"><input type=\"radio\" name=\"option\" id=\"option-{index}\" \
                 value=\"{index}\" required><label for=\"option-{index}\">{text}</label></div>\n",
                text = escape(option),
            ));
        }
        body.push_str(&format!(
            "</fieldset>\n<button type=\"submit\">{vote}</button>\n</form>\n\
             <p><a href=\"{results_href}\">{see}</a></p>\n",
            vote = ctx.t("Voter", "Vote"),
            see = ctx.t("Voir les résultats", "See the results"),
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

/// `POST /polls/:id/vote` with `option=<i>`: records the vote, then 303 to the results.
pub fn vote(req: Request, params: Params) -> Result<Response, PageError> {
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
    match polls::cast_vote(&store, &id, &voter, option) {
        Ok(_) => {
            let mut response = see_other(&results_href);
            voter::attach(&mut response, set_cookie);
            Ok(response)
        }
        Err(PollError::AlreadyVoted) => Err(PageError::new(
            409,
            "already_voted",
            [
                "Vous avez déjà voté",
                "Un seul vote par personne : le vôtre est bien compté.",
            ],
            [
                "You have already voted",
                "One vote per person: yours has been counted.",
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

    let mut body = format!(
        "<p class=\"kicker\">{kicker}</p>\n<h1>{question}</h1>\n<p class=\"total\">{total}</p>\n",
        kicker = ctx.t("Résultats du sondage", "Poll results"),
        question = escape(&poll.question),
        total = votes_label(ctx.lang, tally.total),
    );
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

/// A horizontal bar chart. `role="img"` with a title and description makes screen readers
/// announce it as one image; the table below carries the same figures as text.
fn chart(ctx: &PageContext, poll: &Poll, tally: &Tally) -> String {
    const WIDTH: f64 = 640.0;
    const BAR_MAX: f64 = 540.0;
    const ROW: usize = 56;
    let percentages = tally.percentages();
    let height = ROW * poll.options.len() + 8;

    let summary: Vec<String> = poll
        .options
        .iter()
        .zip(&tally.counts)
        .zip(&percentages)
        .map(|((option, &count), &percent)| {
            format!(
                "{option} : {} ({})",
                votes_label(ctx.lang, count),
                percent_label(ctx.lang, percent)
            )
        })
        .collect();

    let mut svg = format!(
        "<figure class=\"chart\">\n<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\n\
         <title id=\"chart-title\">{title}</title>\n<desc id=\"chart-desc\">{desc}</desc>\n",
        title = escape(&format!(
            "{} : {}",
            ctx.t("Répartition des votes", "Vote breakdown"),
            poll.question
        )),
        desc = escape(&summary.join(" ; ")),
    );
    for (index, (option, &percent)) in poll.options.iter().zip(&percentages).enumerate() {
        let y = index * ROW;
        let bar = (percent / 100.0 * BAR_MAX).max(if percent > 0.0 { 2.0 } else { 0.0 });
        svg.push_str(&format!(
            "<text class=\"chart-label\" x=\"0\" y=\"{label_y}\" fill=\"#1a1a1a\">{label}</text>\n\
             <rect class=\"chart-track\" x=\"0\" y=\"{bar_y}\" width=\"{BAR_MAX}\" height=\"20\" fill=\"#e8e8e8\"/>\n\
             <rect class=\"chart-bar\" x=\"0\" y=\"{bar_y}\" width=\"{bar:.1}\" height=\"20\" fill=\"#0b5394\"/>\n\
             <text class=\"chart-value\" x=\"{value_x}\" y=\"{value_y}\" fill=\"#1a1a1a\">{value}</text>\n",
            label_y = y + 18,
            label = escape(&shorten(option, 70)),
            bar_y = y + 26,
            value_x = BAR_MAX + 8.0,
            value_y = y + 41,
            value = escape(&percent_label(ctx.lang, percent)),
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
    let mut rows = String::new();
    for ((option, &count), percent) in poll
        .options
        .iter()
        .zip(&tally.counts)
        .zip(tally.percentages())
    {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{count}</td><td>{}</td></tr>\n",
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
