//! The results page: an accessible SVG chart and the same figures as a table (majority
//! judgment has its own chart and table), when the poll shows them to this visitor.

use super::*;
use kiosque_spin::html::PreEscaped;

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
    Ok(html(200, layout::page(&ctx, &meta, PreEscaped(body))))
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
pub(super) fn results_body(ctx: &PageContext, poll: &Poll, results: &Results, level: u8) -> String {
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
