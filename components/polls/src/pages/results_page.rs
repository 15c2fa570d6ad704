//! The results page: an accessible SVG chart and the same figures as a table (majority
//! judgment has its own chart and table), when the poll shows them to this visitor.

use super::*;
use kiosque_domain::polls::majority::Distribution;
use kiosque_domain::polls::results::OptionResult;

/// `GET /polls/:id/results`: an accessible chart and the same figures as a table, when the
/// poll shows them to this visitor.
pub fn results(req: Request, params: Params) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let id = poll_id(&params)?;
    let (store, poll) = load(&id)?;
    // Only the exact markers `vote` redirects with; any other value is ignored, never echoed.
    let thanks = match form::query_param(req.query(), "vote").as_deref() {
        Some("ok") => Some(ctx.t(
            "Merci, votre vote est enregistré.",
            "Thank you, your vote has been recorded.",
        )),
        Some("changed") => Some(ctx.t("Votre vote a été modifié.", "Your vote has been changed.")),
        _ => None,
    };
    let browser = voter::from_cookie(&req);
    let viewer = Viewer {
        staff: api::is_staff(&req),
        browser: browser.as_ref(),
    };
    let now = SystemClock.now();
    let results = if results::visible(&store, &poll, now, viewer)? {
        Some(results::read(&store, &poll)?)
    } else {
        None
    };
    let body = html! {
        @if let Some(thanks) = thanks {
            p.notice role="status" { (thanks) }
        }
        p.kicker { (ctx.t("Résultats du sondage", "Poll results")) }
        @if let Some(results) = &results {
            (results_body(&ctx, &poll, results, 1))
        } @else {
            h1 lang=[poll_lang(&ctx)] { (poll.question) }
            p.notice role="status" { (hidden_reason(&ctx, &poll)) }
        }
        p {
            a href=(ctx.link(&format!("/polls/{id}"))) {
                (ctx.t("Retour au sondage", "Back to the poll"))
            }
        }
    };
    let meta = PageMeta {
        title: format!("{} — {}", ctx.t("Résultats", "Results"), poll.question),
        description: describe(&ctx, &poll),
        json_ld: Some(json_ld(&ctx, &poll)),
        ..PageMeta::default()
    };
    Ok(html(200, layout::page(&ctx, &meta, body)))
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

/// The heading, method note, chart and table. `level` is the heading level: 1 on the
/// results page, 2 (any other value) in the widget below the form.
pub(super) fn results_body(ctx: &PageContext, poll: &Poll, results: &Results, level: u8) -> Markup {
    let lang = poll_lang(ctx);
    html! {
        @if level == 1 {
            h1 lang=[lang] { (poll.question) }
        } @else {
            h2 lang=[lang] { (poll.question) }
        }
        p.total { (voters_label(ctx.lang, results.ballots)) }
        p.method { (method_note(ctx, poll.kind)) }
        @match poll.kind {
            PollKind::Majority => {
                (majority_chart(ctx, poll, results))
                (majority_table(ctx, poll, results))
            }
            _ => {
                (chart(ctx, poll, results))
                (table(ctx, poll, results))
            }
        }
    }
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
/// reads without the stylesheet. Shapes are closed with an end tag (`<rect ...></rect>`):
/// inside `<svg>` an unclosed start tag would hold the shapes that follow.
fn chart(ctx: &PageContext, poll: &Poll, results: &Results) -> Markup {
    const ROW: usize = 52;
    const LABEL_CHARS: usize = 30;
    // Bars are relative to the largest figure for points, to the voters for votes.
    let max_points = results.options.iter().map(|o| o.count).max().unwrap_or(0);
    let bar = |r: &OptionResult| {
        let share = match poll.kind {
            PollKind::Ranked if max_points > 0 => r.count as f64 * 100.0 / max_points as f64,
            PollKind::Ranked => 0.0,
            _ => r.percent,
        };
        // A sliver for any vote at all, so "a few votes" never looks like "none".
        if share > 0.0 { share.max(0.5) } else { 0.0 }
    };
    let rows = html! {
        @for (index, (option, r)) in poll.options.iter().zip(&results.options).enumerate() {
            @let y = index * ROW;
            text.chart-label x="0" y=(y + 17) fill="#1a1a1a" font-size="15" {
                tspan.chart-value font-weight="700" {
                    (value_label(ctx, poll.kind, r.count, r.percent))
                }
                " — " (shorten(&option.text, LABEL_CHARS))
            }
            rect.chart-track x="0" y=(y + 25) width="100%" height="18" fill="#e8e8e8" {}
            rect.chart-bar x="0" y=(y + 25) width=(format!("{:.1}%", bar(r))) height="18"
                fill="#0b5394" {}
        }
    };
    chart_frame(ctx, ROW * poll.options.len(), rows)
}

/// The figure and SVG around a chart's rows, with the title and description that name it.
fn chart_frame(ctx: &PageContext, height: usize, rows: Markup) -> Markup {
    html! {
        figure.chart {
            svg role="img" aria-labelledby="chart-title" width="100%" height=(height) {
                title #chart-title { (ctx.t("Répartition des votes", "Vote breakdown")) }
                desc {
                    (ctx.t(
                        "Les chiffres détaillés sont dans le tableau « Détail des votes » ci-dessous.",
                        "The detailed figures are in the “Votes in detail” table below.",
                    ))
                }
                (rows)
            }
        }
    }
}

/// Majority judgment: per answer, its majority grade above a bar stacked by grade (worst
/// on the left), with a mark at 50 %; colours run from red to green and are also told apart
/// by the table, never by colour alone.
fn majority_chart(ctx: &PageContext, poll: &Poll, results: &Results) -> Markup {
    const ROW: usize = 52;
    const COLOURS: [&str; GRADES] = [
        "#a50026", "#d73027", "#fdae61", "#a6d96a", "#1a9850", "#006837",
    ];
    let rows = html! {
        @for (index, (option, r)) in poll.options.iter().zip(&results.options).enumerate() {
            @let y = index * ROW;
            text.chart-label x="0" y=(y + 17) fill="#1a1a1a" font-size="15" {
                tspan font-weight="700" {
                    (r.majority_grade.map_or("—", |g| grade_label(ctx.lang, g)))
                }
                " — " (shorten(&option.text, 30))
            }
            @for (grade, x, width) in segments(&r.grades.unwrap_or_default()) {
                rect x=(format!("{x:.2}%")) y=(y + 25) width=(format!("{width:.2}%")) height="18"
                    fill=(COLOURS[grade]) {}
            }
            rect x="50%" y=(y + 22) width="2" height="24" fill="#1a1a1a" {}
        }
    };
    chart_frame(ctx, ROW * poll.options.len(), rows)
}

/// The pieces of one answer's stacked bar, as `(grade, x %, width %)`; grades nobody gave
/// have none.
fn segments(grades: &Distribution) -> Vec<(usize, f64, f64)> {
    let total: u64 = grades.iter().sum();
    let mut x = 0.0;
    let mut pieces = Vec::new();
    for (grade, &count) in grades.iter().enumerate() {
        if total == 0 || count == 0 {
            continue;
        }
        let width = count as f64 * 100.0 / total as f64;
        pieces.push((grade, x, width));
        x += width;
    }
    pieces
}

/// SVG text does not wrap, so long answers are cut in the chart; the table has them in full.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars - 1).collect();
    format!("{}…", cut.trim_end())
}

fn table(ctx: &PageContext, poll: &Poll, results: &Results) -> Markup {
    let lang = poll_lang(ctx);
    let ranked = poll.kind == PollKind::Ranked;
    let (col2, col3) = if ranked {
        (ctx.t("Rang", "Rank"), ctx.t("Points", "Points"))
    } else {
        (ctx.t("Votes", "Votes"), ctx.t("Pourcentage", "Percentage"))
    };
    html! {
        table.results {
            caption { (ctx.t("Détail des votes", "Votes in detail")) }
            thead {
                tr {
                    th scope="col" { (ctx.t("Réponse", "Answer")) }
                    th scope="col" { (col2) }
                    th scope="col" { (col3) }
                    // Ranked: the share of all Borda points, so the percentages add up to 100 %.
                    @if ranked {
                        th scope="col" { (ctx.t("Part des points", "Share of points")) }
                    }
                }
            }
            tbody {
                @for (option, r) in poll.options.iter().zip(&results.options) {
                    tr {
                        th scope="row" lang=[lang] { (option.text) }
                        @if ranked {
                            td { (r.rank) }
                        }
                        td { (r.count) }
                        td { (percent_label(ctx.lang, r.percent)) }
                    }
                }
            }
            tfoot {
                tr {
                    th scope="row" { (ctx.t("Total", "Total")) }
                    td { (results.ballots) }
                    td {}
                    @if ranked {
                        td {}
                    }
                }
            }
        }
    }
}

fn majority_table(ctx: &PageContext, poll: &Poll, results: &Results) -> Markup {
    let lang = poll_lang(ctx);
    html! {
        div.table-scroll role="region" aria-labelledby="mj-caption" tabindex="0" {
            table.results {
                caption #mj-caption {
                    (ctx.t(
                        "Détail des votes : nombre de mentions par réponse (et part des mentions de la réponse)",
                        "Votes in detail: number of grades per answer (and share of the answer's grades)",
                    ))
                }
                thead {
                    tr {
                        th scope="col" { (ctx.t("Réponse", "Answer")) }
                        th scope="col" { (ctx.t("Rang", "Rank")) }
                        th scope="col" { (ctx.t("Mention majoritaire", "Majority grade")) }
                        @for grade in 0..GRADES {
                            th scope="col" { (grade_label(ctx.lang, grade)) }
                        }
                    }
                }
                tbody {
                    @for (option, r) in poll.options.iter().zip(&results.options) {
                        @let grades = r.grades.unwrap_or_default();
                        @let graded: u64 = grades.iter().sum();
                        tr {
                            th scope="row" lang=[lang] { (option.text) }
                            td { (r.rank) }
                            td { (r.majority_grade.map_or("—", |g| grade_label(ctx.lang, g))) }
                            // Each grade as a count and as the share of this answer's grades,
                            // as for every kind.
                            @for count in grades {
                                @let share = if graded == 0 {
                                    0.0
                                } else {
                                    count as f64 * 100.0 / graded as f64
                                };
                                td {
                                    (count) " "
                                    span.share { "(" (percent_label(ctx.lang, share)) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
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

    fn ctx(lang: Lang) -> PageContext {
        PageContext {
            lang,
            lang_explicit: false,
            base_url: "https://bib.example".into(),
            path: "/polls/x/results".into(),
            library_name: "Médiathèque".into(),
            share_image: None,
        }
    }

    fn poll(kind: PollKind) -> Poll {
        let option = |text: &str| polls::PollOption {
            text: text.into(),
            image_url: None,
            image_alt: None,
        };
        Poll {
            id: PollId::generate([1; 10]),
            question: "Un <script>\"piège\"</script> ?".into(),
            options: vec![option("Oui & non"), option("Peut-être")],
            kind,
            opens_at: None,
            closes_at: None,
            closed_at: None,
            published: true,
            results_visibility: Default::default(),
            voter_method: VoterMethod::Cookie,
            allow_vote_change: false,
            image: None,
            created_at: Timestamp::from_unix_seconds(1_700_000_000).unwrap(),
            index_slot: None,
        }
    }

    fn results(majority: bool) -> Results {
        let option = |count: u64, percent: f64, rank: usize| OptionResult {
            count,
            percent,
            rank,
            grades: majority.then_some([0, 0, 1, 0, 0, count]),
            majority_grade: majority.then_some(5),
        };
        Results {
            ballots: 1,
            options: vec![option(0, 0.0, 2), option(1, 100.0, 1)],
        }
    }

    #[test]
    fn results_are_escaped_and_their_shapes_closed() {
        for kind in [PollKind::Single, PollKind::Ranked, PollKind::Majority] {
            let results = results(kind == PollKind::Majority);
            let html = results_body(&ctx(Lang::En), &poll(kind), &results, 2).into_string();
            assert!(
                html.starts_with(
                    "<h2 lang=\"fr\">Un &lt;script&gt;&quot;piège&quot;&lt;/script&gt; ?</h2>"
                ),
                "{html}"
            );
            assert!(!html.contains("<script"), "{html}");
            assert!(html.contains("<svg role=\"img\" aria-labelledby=\"chart-title\""));
            // Inside `<svg>` an unclosed `<rect>` would hold the shapes after it.
            assert_eq!(
                html.matches("<rect ").count(),
                html.matches("</rect>").count()
            );
            assert!(html.contains("<tr><th scope=\"row\" lang=\"fr\">Oui &amp; non</th><td>"));
        }
        let html = results_body(&ctx(Lang::Fr), &poll(PollKind::Single), &results(false), 1);
        assert!(
            html.into_string().contains(
                "<tr><th scope=\"row\">Peut-être</th><td>1</td><td>100\u{202f}%</td></tr>"
            )
        );
    }
}
