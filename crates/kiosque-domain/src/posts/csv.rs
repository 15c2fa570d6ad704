//! CSV export of posts (for spreadsheets: formula-safe) and CSV import, validated row by row:
//! good rows become posts (scheduled when they have a date), refused rows are reported with
//! their problems, nothing half-done.
//!
//! An import can be run again: each row's post id is derived from the file's bytes and the
//! row's line, so importing the same file after an error (or a timeout) completes what the
//! first attempt left (a row's post that exists is kept, scheduled if it is still a draft
//! with a date) instead of creating the posts a second time.
//!
//! Import columns, by header name, in any order (only `channels` and `text` are required):
//! `channels` (ids separated by spaces), `at` (local date and time, empty: a draft), `zone`,
//! `text`, `content_warning`, `language`, `visibility`, `link`, `hashtags` (separated by
//! spaces or commas), `image_url`, `image_alt`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schedule::{self, When};
use super::{
    NewPost, Platform, Post, PostError, PostId, PostRequest, PostState, TargetStatus, content,
};
use crate::clock::Timestamp;
use crate::csv::push_row;
use crate::social::{FieldError, Visibility};
use crate::store::KvStore;
use crate::zone::Zone;

/// Rows one import takes, at most (bounds the request's work).
pub const MAX_IMPORT_ROWS: usize = 200;

/// The export's columns.
pub const EXPORT_HEADER: [&str; 13] = [
    "id",
    "state",
    "channels",
    "zone",
    "at",
    "due_at_utc",
    "text",
    "content_warning",
    "language",
    "visibility",
    "link",
    "hashtags",
    "result",
];

/// The export of `posts`, one row each.
pub fn export(posts: &[Post]) -> String {
    let mut csv = String::new();
    push_row(&mut csv, EXPORT_HEADER);
    for post in posts {
        let channels: Vec<&str> = post.targets.iter().map(|t| t.channel.as_str()).collect();
        let hashtags: Vec<&str> = post.hashtags.iter().map(|h| h.as_str()).collect();
        let result: Vec<String> = post
            .targets
            .iter()
            .map(|t| match &t.status {
                TargetStatus::Published { url, .. } => format!("{}: {url}", t.channel),
                TargetStatus::Failed { reason } => format!("{}: {reason}", t.channel),
                TargetStatus::Pending { .. } => format!("{}: pending", t.channel),
            })
            .collect();
        let (zone, at, due) = post.schedule.as_ref().map_or_else(
            || (String::new(), String::new(), String::new()),
            |s| {
                (
                    s.zone.to_string(),
                    s.local.to_string(),
                    s.due_at.to_string(),
                )
            },
        );
        let row = [
            post.id.to_string(),
            post.state.name().to_string(),
            channels.join(" "),
            zone,
            at,
            due,
            post.content.text.clone(),
            post.content.content_warning.clone().unwrap_or_default(),
            post.content.language.clone().unwrap_or_default(),
            post.content.visibility.as_str().to_owned(),
            post.content
                .link
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            hashtags.join(" "),
            result.join(" | "),
        ];
        push_row(&mut csv, row.iter().map(String::as_str));
    }
    csv
}

/// Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, doubled
/// quotes and line breaks). `Err` names the line of an unterminated quote.
///
/// Hand-made on purpose: `csv-core` (and `csv` over it) end a quoted field that is never
/// closed at the end of the input without saying so, which here would fold every row after
/// a stray quote into one field and drop them from the import's report. A spreadsheet
/// export that lost a quote must be refused with its line instead.
pub fn parse_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push((record_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                record_line = line;
            }
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!(
            "line {record_line}: a quoted field is never closed"
        ));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    Ok(records)
}

/// One refused row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedRow {
    /// The line of the CSV where the row starts (the header is line 1).
    pub line: usize,
    pub errors: Vec<FieldError>,
}

/// One accepted row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedRow {
    pub line: usize,
    pub id: PostId,
    pub state: &'static str,
    /// Why a row with a date was imported as a draft only (rare: checked before storing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_scheduled: Vec<FieldError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub imported: Vec<ImportedRow>,
    pub refused: Vec<RefusedRow>,
}

/// Imports posts from CSV `text`. Each row is parsed and checked against its channels before
/// anything is stored; a refused row stores nothing. Ids come from [`row_id`], so the same
/// file imported again completes an import that stopped halfway (see the module header).
/// `editor` names an editor whose posts need approval (`None` for an administrator): their
/// rows with a date wait for approval as a schedule from the API would.
pub fn import(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    text: &str,
    default_zone: Zone,
    editor: Option<&str>,
) -> Result<ImportReport, PostError> {
    let file = Sha256::digest(text.as_bytes());
    let records = parse_records(text).map_err(|e| PostError::field("csv", e))?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(PostError::field(
            "csv",
            "empty: the first line must name the columns",
        ));
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    const KNOWN: [&str; 11] = [
        "channels",
        "at",
        "zone",
        "text",
        "content_warning",
        "language",
        "visibility",
        "link",
        "hashtags",
        "image_url",
        "image_alt",
    ];
    let mut problems = Vec::new();
    for name in &header {
        if !KNOWN.contains(&name.as_str()) {
            problems.push(FieldError::new(
                "csv",
                format!("unknown column {name:?}; known: {}", KNOWN.join(", ")),
            ));
        }
    }
    for required in ["channels", "text"] {
        if !header.iter().any(|h| h == required) {
            problems.push(FieldError::new(
                "csv",
                format!("missing column {required:?}"),
            ));
        }
    }
    if rows.len() > MAX_IMPORT_ROWS {
        problems.push(FieldError::new(
            "csv",
            format!(
                "at most {MAX_IMPORT_ROWS} rows per import, got {}",
                rows.len()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(PostError::Invalid(problems));
    }

    let mut report = ImportReport::default();
    for (line, cells) in rows {
        let cell = |name: &str| -> Option<String> {
            let i = header.iter().position(|h| h == name)?;
            cells
                .get(i)
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
        };
        match import_row(
            store,
            platform,
            now,
            default_zone,
            editor,
            &cell,
            cells.len(),
            header.len(),
            row_id(&file, *line),
        ) {
            Ok((post, not_scheduled)) => report.imported.push(ImportedRow {
                line: *line,
                id: post.id,
                state: post.state.name().as_str(),
                not_scheduled,
            }),
            Err(PostError::Invalid(errors)) => report.refused.push(RefusedRow {
                line: *line,
                errors,
            }),
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn import_row(
    store: &dyn KvStore,
    platform: &impl Platform,
    now: Timestamp,
    default_zone: Zone,
    editor: Option<&str>,
    cell: &dyn Fn(&str) -> Option<String>,
    cells: usize,
    columns: usize,
    id: PostId,
) -> Result<(Post, Vec<FieldError>), PostError> {
    if cells != columns {
        return Err(PostError::field(
            "row",
            format!("{cells} cells, the header has {columns} columns"),
        ));
    }
    let mut errors = Vec::new();
    let visibility = match cell("visibility").as_deref() {
        None => None,
        Some("public") => Some(Visibility::Public),
        Some("unlisted") => Some(Visibility::Unlisted),
        Some("private") => Some(Visibility::Private),
        Some("direct") => Some(Visibility::Direct),
        Some(_) => {
            errors.push(FieldError::new(
                "visibility",
                "must be public, unlisted, private or direct",
            ));
            None
        }
    };
    let images = match (cell("image_url"), cell("image_alt")) {
        (None, None) => Vec::new(),
        (url, alt) => vec![content::ImageRequest {
            url: Some(url.unwrap_or_default()),
            medium: None,
            alt,
        }],
    };
    let request = PostRequest {
        text: cell("text").unwrap_or_default(),
        content_warning: cell("content_warning"),
        language: cell("language"),
        visibility,
        link: cell("link"),
        images,
        hashtags: cell("hashtags")
            .map(|h| {
                h.split([' ', ','])
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        channels: cell("channels")
            .map(|c| c.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        ..PostRequest::default()
    };
    let when = match cell("at") {
        None => None,
        Some(at) => {
            let request = schedule::ScheduleRequest {
                at: Some(at),
                zone: cell("zone"),
                next_free_slot: false,
            };
            match When::parse(&request, default_zone) {
                Ok(When::At { zone, local })
                    if zone.to_utc(local) < super::due::next_minute(now) =>
                {
                    errors.push(FieldError::new("at", "must be in the future"));
                    None
                }
                Ok(when) => Some((when, request)),
                Err(PostError::Invalid(found)) => {
                    errors.extend(found);
                    None
                }
                Err(other) => return Err(other),
            }
        }
    };
    let new = match NewPost::parse(&request) {
        Ok(new) => Some(new),
        Err(PostError::Invalid(found)) => {
            errors.extend(found);
            None
        }
        Err(other) => return Err(other),
    };
    if let Some(new) = &new {
        // Check the channels before storing anything (drafts too: a row names its channels).
        let draft = Post::preview(new.clone(), now);
        errors.extend(content::validate_for_channels(platform, &draft)?);
    }
    let Some(new) = new.filter(|_| errors.is_empty()) else {
        return Err(PostError::Invalid(errors));
    };
    let post = match super::get(store, &id) {
        Ok(imported) => imported,
        Err(PostError::NotFound) => super::create(store, now, id, new)?,
        Err(other) => return Err(other),
    };
    match when {
        // Imported before and scheduled, submitted or published since: it stays as it is.
        Some(_) if post.state != PostState::Draft => Ok((post, Vec::new())),
        None => Ok((post, Vec::new())),
        // Checked above; should scheduling still refuse (the minute turned meanwhile), the
        // row stays imported as a draft and says why.
        Some((when, request)) => {
            let outcome = match editor {
                Some(editor) => super::approval::schedule_or_submit(
                    store, platform, now, &post.id, &request, when, editor,
                ),
                None => schedule::schedule(store, platform, now, &post.id, when),
            };
            match outcome {
                Ok(scheduled) => Ok((scheduled, Vec::new())),
                Err(PostError::Invalid(problems)) => Ok((post, problems)),
                Err(other) => Err(other),
            }
        }
    }
}

/// The id of the post a row makes: the first 80 bits of SHA-256 over the file's digest and
/// the row's line, as random ids have. The same row of the same file always names the same
/// post; any other row or file, another.
pub fn row_id(file: &[u8], line: usize) -> PostId {
    let mut hasher = Sha256::new();
    hasher.update(b"kiosque csv import\n");
    hasher.update(file);
    hasher.update(line.to_le_bytes());
    let digest = hasher.finalize();
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    PostId::generate(bits)
}

impl Post {
    /// An unsaved post, to check a new post against its channels before storing it.
    pub fn preview(new: NewPost, now: Timestamp) -> Post {
        Post {
            id: PostId::parse("preview").unwrap_or_else(|_| PostId::generate([0; 10])),
            version: 0,
            state: PostState::Draft,
            content: new.content,
            hashtags: new.hashtags,
            campaign: None,
            campaign_hashtags: Vec::new(),
            targets: new
                .targets
                .into_iter()
                .map(|(channel, version)| super::Target {
                    channel,
                    version,
                    status: TargetStatus::Pending { last_error: None },
                })
                .collect(),
            schedule: None,
            attempts: 0,
            created_at: now,
            updated_at: now,
            registry_slot: 0,
            review: None,
        }
    }
}
