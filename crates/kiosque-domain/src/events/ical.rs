//! iCalendar (RFC 5545) output: one `.ics` per event and a feed of the public calendar.
//!
//! What the RFC asks and this module does: lines end with CRLF (3.1); lines longer than 75
//! octets are folded with CRLF and one space, never inside a UTF-8 sequence (3.1); TEXT
//! values escape backslash, semicolon, comma and newline (3.3.11); every VEVENT has a UID
//! and a DTSTAMP (3.6.1); times are UTC date-times with `Z` (3.3.5, form 2), so no
//! VTIMEZONE is needed.
//!
//! Written by hand on purpose: Kiosque only writes (never parses) a fixed set of properties,
//! and the rules above fit in this file with a test each, where an iCalendar crate (`icalendar`
//! pulls `chrono` features and a parser in) would add code to every showcases `.wasm` for
//! nothing Kiosque uses.

use chrono::{DateTime, Utc};

use super::{Entry, Event};
use crate::clock::Timestamp;

/// The longest line, in octets, before folding (CRLF excluded).
pub const MAX_LINE_OCTETS: usize = 75;

/// One VEVENT, independent of where the data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VEvent {
    /// Globally unique: `{event id}@{host}`.
    pub uid: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// The event's page.
    pub url: String,
    pub last_modified: Timestamp,
    pub sequence: u64,
}

impl VEvent {
    /// `host` names the site in UIDs; `page_url` is the event's absolute URL.
    pub fn of_event(e: &Event, host: &str, page_url: &str) -> VEvent {
        let mut description = e.description.clone();
        if let Some(stream) = &e.stream_url {
            description.push_str(&format!("\n\n{}", stream.as_str()));
        }
        VEvent {
            uid: format!("{}@{host}", e.id),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            summary: e.title.clone(),
            description: description.trim().to_owned(),
            location: location(
                e.place.as_ref().map(|p| match &p.address {
                    Some(a) => format!("{}, {a}", p.name),
                    None => p.name.clone(),
                }),
                e.online,
            ),
            url: page_url.to_owned(),
            last_modified: e.updated_at,
            sequence: e.version,
        }
    }

    pub fn of_entry(e: &Entry, host: &str, page_url: &str) -> VEvent {
        VEvent {
            uid: format!("{}@{host}", e.id),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            summary: e.title.clone(),
            description: e.summary.clone(),
            location: location(e.place.clone(), e.online),
            url: page_url.to_owned(),
            last_modified: e.updated_at,
            sequence: e.version,
        }
    }
}

fn location(place: Option<String>, online: bool) -> Option<String> {
    match (place, online) {
        (Some(p), true) => Some(format!("{p} (et en ligne / and online)")),
        (Some(p), false) => Some(p),
        (None, true) => Some("En ligne / Online".to_owned()),
        (None, false) => None,
    }
}

/// A whole VCALENDAR document named `name`.
///
/// Each DTSTAMP is the event's last change rather than the time of the request: the RFC lets
/// a published calendar stamp its events so, and the document then only changes when an
/// event does, so its ETag lets calendar apps and caches revalidate cheaply.
pub fn calendar(name: &str, events: &[VEvent]) -> String {
    let mut out = String::with_capacity(256 + events.len() * 512);
    let mut line = |text: String| push_folded(&mut out, &text);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Kiosque//Evenements//FR".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&e.uid)));
        line(format!("DTSTAMP:{}", utc(e.last_modified)));
        line(format!("DTSTART:{}", utc(e.starts_at)));
        line(format!("DTEND:{}", utc(e.ends_at)));
        line(format!("SUMMARY:{}", escape_text(&e.summary)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape_text(&e.description)));
        }
        if let Some(location) = &e.location {
            line(format!("LOCATION:{}", escape_text(location)));
        }
        // A URI value, not TEXT: no escaping (our URLs hold no control characters).
        line(format!("URL:{}", e.url));
        line(format!("LAST-MODIFIED:{}", utc(e.last_modified)));
        line(format!("SEQUENCE:{}", e.sequence));
        line("STATUS:CONFIRMED".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// `20261212T130000Z`.
fn utc(t: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp(t.unix_seconds(), 0)
        .unwrap_or(DateTime::UNIX_EPOCH)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let text = text.replace("\r\n", "\n");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' | '\r' => out.push_str("\\n"),
            // Other control characters are not allowed in TEXT.
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` with CRLF, folded at 75 octets on character boundaries: each
/// continuation starts with one space, which counts in its 75 octets.
fn push_folded(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
pub mod parse {
    //! A strict reader for tests: checks the physical form, then unfolds and unescapes.

    /// One content line: name, parameters (raw) and the unescaped value.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Property {
        pub name: String,
        pub value: String,
    }

    pub fn parse(ics: &str) -> Result<Vec<Property>, String> {
        if !ics.ends_with("\r\n") {
            return Err("must end with CRLF".into());
        }
        let mut logical: Vec<String> = Vec::new();
        for physical in ics[..ics.len() - 2].split("\r\n") {
            if physical.contains('\n') || physical.contains('\r') {
                return Err(format!("bare CR or LF in {physical:?}"));
            }
            if physical.len() > super::MAX_LINE_OCTETS {
                return Err(format!("line of {} octets: {physical:?}", physical.len()));
            }
            if let Some(rest) = physical.strip_prefix(' ') {
                logical
                    .last_mut()
                    .ok_or("continuation without a line")?
                    .push_str(rest);
            } else {
                logical.push(physical.to_owned());
            }
        }
        logical
            .into_iter()
            .map(|line| {
                let (name, value) = line.split_once(':').ok_or(format!("no colon: {line}"))?;
                Ok(Property {
                    name: name.to_owned(),
                    value: unescape(value)?,
                })
            })
            .collect()
    }

    fn unescape(value: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') | Some('N') => out.push('\n'),
                    Some(c @ ('\\' | ';' | ',')) => out.push(c),
                    other => return Err(format!("bad escape \\{other:?} in {value}")),
                },
                ';' | ',' => return Err(format!("unescaped {c} in {value}")),
                c => out.push(c),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::parse::parse;
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn sample(summary: &str, description: &str) -> VEvent {
        VEvent {
            uid: "abc123@bib.example".into(),
            starts_at: at("2026-12-12T14:00:00+01:00"),
            ends_at: at("2026-12-12T16:00:00+01:00"),
            summary: summary.into(),
            description: description.into(),
            location: Some("Salle Jules-Verne, 1 rue de la Paix; Nantes".into()),
            url: "https://bib.example/events/abc123".into(),
            last_modified: at("2026-11-01T10:00:00Z"),
            sequence: 3,
        }
    }

    #[test]
    fn a_calendar_parses_back_with_its_text_intact() {
        let summary = "Conte, musique; et \\ goûter";
        let description = "Ligne 1\nLigne 2, avec virgule; point-virgule";
        let ics = calendar("Agenda, médiathèque", &[sample(summary, description)]);
        let props = parse(&ics).unwrap();
        let get = |name: &str| {
            props
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.value.as_str())
                .unwrap_or_else(|| panic!("no {name} in\n{ics}"))
        };
        assert_eq!(props.first().unwrap().value, "VCALENDAR");
        assert_eq!(get("VERSION"), "2.0");
        assert_eq!(get("X-WR-CALNAME"), "Agenda, médiathèque");
        assert_eq!(get("SUMMARY"), summary);
        assert_eq!(get("DESCRIPTION"), description);
        assert_eq!(
            get("LOCATION"),
            "Salle Jules-Verne, 1 rue de la Paix; Nantes"
        );
        assert_eq!(get("UID"), "abc123@bib.example");
        assert_eq!(get("DTSTAMP"), "20261101T100000Z");
        assert_eq!(get("DTSTART"), "20261212T130000Z");
        assert_eq!(get("DTEND"), "20261212T150000Z");
        assert_eq!(get("SEQUENCE"), "3");
        assert!(ics.contains("SUMMARY:Conte\\, musique\\; et \\\\ goûter\r\n"));
        let begins = props.iter().filter(|p| p.name == "BEGIN").count();
        let ends = props.iter().filter(|p| p.name == "END").count();
        assert_eq!((begins, ends), (2, 2));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        // "é" is 2 octets: a naive 75-byte cut would land inside one.
        let long = "é".repeat(100) + &"x".repeat(51);
        let ics = calendar("A", &[sample(&long, "")]);
        for line in ics.split("\r\n") {
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "{} octets: {line}",
                line.len()
            );
        }
        assert!(ics.contains("\r\n "), "expected folded lines");
        let props = parse(&ics).unwrap();
        assert_eq!(
            props.iter().find(|p| p.name == "SUMMARY").unwrap().value,
            long
        );
        // Exactly 75 octets fits on one line; 76 folds.
        let mut out = String::new();
        push_folded(&mut out, &"a".repeat(75));
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));
        out.clear();
        push_folded(&mut out, &"a".repeat(76));
        assert_eq!(out, format!("{}\r\n a\r\n", "a".repeat(75)));
    }

    #[test]
    fn escaping_covers_the_rfc_characters_and_drops_controls() {
        assert_eq!(escape_text("a,b;c\\d\r\ne\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
        assert_eq!(escape_text("bell\u{7}"), "bell");
    }
}
