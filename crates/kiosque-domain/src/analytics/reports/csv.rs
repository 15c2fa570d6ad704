//! The reports' CSV, for spreadsheets, through the domain's formula-safe writer
//! ([`crate::csv`]). Column names are English identifiers, as the posts export's
//! (`posts::csv::EXPORT_HEADER`): stable names a spreadsheet formula or a script can rely on,
//! whatever the staff member's language.

use super::super::audience::{Source, Views};
use super::super::metrics::{FetchState, PostMetrics};
use super::super::participation::DayParticipation;
use crate::csv::push_row;

/// One row per post and channel.
pub const POSTS_HEADER: [&str; 15] = [
    "post",
    "channel",
    "network",
    "published_at",
    "url",
    "excerpt",
    "state",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "engagement",
    "reach",
    "impressions",
    "fetched_at",
];

fn state_name(state: &FetchState) -> &'static str {
    match state {
        FetchState::Active => "active",
        FetchState::Finished => "finished",
        FetchState::Deleted { .. } => "deleted",
        FetchState::AccessRevoked { .. } => "access_revoked",
    }
}

/// Posts and their latest figures, newest first; an empty `reach` or `impressions` cell means
/// the network does not give it (never zero).
pub fn posts(records: &[PostMetrics]) -> String {
    let mut sorted: Vec<&PostMetrics> = records.iter().collect();
    sorted.sort_by(|a, b| {
        b.published_at
            .cmp(&a.published_at)
            .then_with(|| a.url.cmp(&b.url))
    });
    let mut csv = String::new();
    push_row(&mut csv, POSTS_HEADER);
    for record in sorted {
        let counts = record.latest();
        let optional = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
        let row = [
            record.post.to_string(),
            record.channel.to_string(),
            record.kind.as_str().to_owned(),
            record.published_at.to_string(),
            record.url.clone(),
            record.excerpt.clone(),
            state_name(&record.state).to_owned(),
            counts.likes.to_string(),
            counts.reposts.to_string(),
            counts.replies.to_string(),
            counts.quotes.to_string(),
            counts.engagement().to_string(),
            optional(counts.reach),
            optional(counts.impressions),
            record
                .history
                .last()
                .map(|snapshot| snapshot.at.to_string())
                .unwrap_or_default(),
        ];
        push_row(&mut csv, row.iter().map(String::as_str));
    }
    csv
}

/// Every page viewed, most viewed first: its total and one column per source.
pub fn pages(views: &Views) -> String {
    let mut csv = String::new();
    let mut header = vec!["path", "views"];
    header.extend(Source::ALL.iter().map(Source::as_str));
    push_row(&mut csv, header);
    let mut pages: Vec<_> = views.pages.iter().collect();
    pages.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.path.cmp(&b.path)));
    for page in pages {
        let mut row = vec![page.path.clone(), page.total.to_string()];
        row.extend(
            Source::ALL
                .iter()
                .map(|source| page.by_source.get(source).copied().unwrap_or(0).to_string()),
        );
        push_row(&mut csv, row.iter().map(String::as_str));
    }
    csv
}

/// Every day of a range: its views (in all and per source) and participation.
pub fn days(views: &Views, participation: &[DayParticipation]) -> String {
    let mut csv = String::new();
    let mut header = vec!["day", "views"];
    header.extend(Source::ALL.iter().map(Source::as_str));
    header.extend(["votes", "answers", "entries", "feedback"]);
    push_row(&mut csv, header);
    let mut days: Vec<_> = views.days.iter().map(|d| d.day).collect();
    days.extend(participation.iter().map(|d| d.day));
    days.sort();
    days.dedup();
    for day in days {
        let viewed = views.days.iter().find(|d| d.day == day);
        let took_part = participation.iter().find(|d| d.day == day);
        let mut row = vec![
            day.format("%Y-%m-%d").to_string(),
            viewed.map_or(0, |d| d.total).to_string(),
        ];
        row.extend(Source::ALL.iter().map(|source| {
            viewed
                .and_then(|d| d.by_source.get(source).copied())
                .unwrap_or(0)
                .to_string()
        }));
        let part = |f: fn(&DayParticipation) -> u64| took_part.map_or(0, f).to_string();
        row.extend([
            part(|d| d.votes),
            part(|d| d.answers),
            part(|d| d.entries),
            part(|d| d.feedback),
        ]);
        push_row(&mut csv, row.iter().map(String::as_str));
    }
    csv
}
