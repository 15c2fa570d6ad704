//! The HTML pages patrons reach from social networks: `/polls/...`. They work without
//! JavaScript: plain forms post the vote, and the results are an SVG chart plus a table.
//!
//! Staff write polls in French: the API takes no language yet, so [`POLL_LANG`] is a
//! constant. On a page in another language the staff text (question, answers) is marked
//! `lang="fr"` so screen readers pronounce it as French.
//!
//! Here what both pages share (the poll's language, dates, its metadata for link cards);
//! [`ballot`] the poll page, its widget and the vote; [`results_page`] the results.

use kiosque_domain::polls::majority::{GRADES, GRADES_EN, GRADES_FR};
use kiosque_domain::polls::results::{self, Results, Viewer};
use kiosque_domain::polls::voting::{self, VoteOutcome};
use kiosque_domain::polls::{
    self, Ballot, BallotInput, Poll, PollError, PollId, PollKind, PollStatus, VoterMethod,
};
use kiosque_domain::{Clock, Timestamp};
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::html::{Markup, html};
use kiosque_spin::response::{html, html_embeddable, see_other};
use kiosque_spin::{Lang, PageError, SpinStore, SystemClock, config, form, same_site};
use serde_json::json;
use spin_sdk::http::{Params, Request, Response};

use crate::api::{self, method_name};
use crate::voter;

mod ballot;
mod results_page;

pub use ballot::{embed, poll, vote};
pub use results_page::results;

/// The poll's illustration above the question, with its size so the form does not jump while
/// it loads. A medium of the library shows its `page` rendition; one deleted since answers
/// 404 and the browser shows the alt text in its box.
fn illustration(ctx: &PageContext, poll: &Poll) -> Markup {
    let Some(p) = &poll.image else {
        return html! {};
    };
    html! {
        figure.poll-illustration {
            img src=(p.image.src()) alt=(p.alt) width=(p.image.width) height=(p.image.height)
                loading="lazy" decoding="async" referrerpolicy="no-referrer" lang=[poll_lang(ctx)];
            @if p.caption.is_some() || p.credit.is_some() {
                figcaption lang=[poll_lang(ctx)] {
                    @if let Some(caption) = &p.caption { (caption) }
                    @if let Some(credit) = &p.credit {
                        @if p.caption.is_some() { " · " }
                        small.credit { (ctx.t("Crédit :", "Credit:")) " " (credit) }
                    }
                }
            }
        }
    }
}

/// The language staff write polls in (see the module documentation).
const POLL_LANG: Lang = Lang::Fr;

/// The `lang` attribute of elements holding staff text: `fr` when the page is in another
/// language, none otherwise (`lang=[poll_lang(ctx)]`).
fn poll_lang(ctx: &PageContext) -> Option<&'static str> {
    (ctx.lang != POLL_LANG).then_some(POLL_LANG.code())
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

pub(super) fn describe(ctx: &PageContext, poll: &Poll) -> String {
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

pub(super) fn json_ld(ctx: &PageContext, poll: &Poll) -> serde_json::Value {
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

pub(super) fn grade_label(lang: Lang, grade: usize) -> &'static str {
    let labels = match lang {
        Lang::Fr => GRADES_FR,
        Lang::En => GRADES_EN,
    };
    labels.get(grade).copied().unwrap_or("")
}
