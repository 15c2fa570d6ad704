//! The text a platform receives and how platforms measure it: the post's text with its link
//! and campaign hashtags appended, the links, mentions and hashtags found in it (as UTF-8 byte
//! ranges, which Bluesky facets need), Mastodon's count (URLs as 23 characters, remote
//! mentions as their local part) and grapheme counts.

use unicode_segmentation::UnicodeSegmentation;

use crate::social::PostContent;

/// How Mastodon counts every URL, whatever its length.
pub const MASTODON_URL_CHARS: usize = 23;

/// The text sent to a platform: the post's text, then its link unless the text already has
/// it, then the campaign hashtags (`#CamelCase`) that the text does not already carry.
pub fn compose(content: &PostContent) -> String {
    let mut text = content.text.trim().to_owned();
    if let Some(link) = &content.link
        && !text.contains(link.as_str())
    {
        push_paragraph(&mut text, link.as_str());
    }
    let present: Vec<String> = spans(&text)
        .into_iter()
        .filter(|s| s.kind == SpanKind::Hashtag)
        .map(|s| text[s.start + 1..s.end].to_lowercase())
        .collect();
    let tags: Vec<String> = content
        .hashtags
        .iter()
        .map(|t| t.trim_start_matches('#'))
        .filter(|t| !t.is_empty() && !present.contains(&t.to_lowercase()))
        .map(|t| format!("#{t}"))
        .collect();
    if !tags.is_empty() {
        push_paragraph(&mut text, &tags.join(" "));
    }
    text
}

fn push_paragraph(text: &mut String, paragraph: &str) {
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(paragraph);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    Link,
    Mention,
    Hashtag,
}

/// A link, mention or hashtag in a text: `text[start..end]` (byte offsets, `end` exclusive),
/// including the leading `@` or `#`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub kind: SpanKind,
    pub start: usize,
    pub end: usize,
}

/// Characters that end a link, mention or hashtag when they close it (`see https://x.fr.`).
const TRAILING_PUNCTUATION: &[char] = &['.', ',', ';', ':', '!', '?', ')', '"', '\'', '…'];

/// Finds links (`http(s)://...`), mentions (`@handle`, `@user@server`) and hashtags
/// (`#Word`, letters, digits and `_`, not only digits), each starting a word.
pub fn spans(text: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let starts_word = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(');
        let c = rest.chars().next().unwrap_or(' ');
        if starts_word {
            let lower = rest
                .get(..8)
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                let end = i + word_end(rest);
                let end = i + text[i..end].trim_end_matches(TRAILING_PUNCTUATION).len();
                let scheme = if lower.starts_with("https://") { 8 } else { 7 };
                if end > i + scheme {
                    found.push(Span {
                        kind: SpanKind::Link,
                        start: i,
                        end,
                    });
                    i = end;
                    continue;
                }
            } else if c == '#' {
                let body_len: usize = rest[1..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .map(char::len_utf8)
                    .sum();
                let body = &rest[1..1 + body_len];
                if !body.is_empty() && !body.chars().all(|c| c.is_ascii_digit()) {
                    found.push(Span {
                        kind: SpanKind::Hashtag,
                        start: i,
                        end: i + 1 + body_len,
                    });
                    i += 1 + body_len;
                    continue;
                }
            } else if c == '@' {
                let body_len: usize = rest[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "._-@".contains(*c))
                    .map(char::len_utf8)
                    .sum();
                let body = rest[1..1 + body_len].trim_end_matches(TRAILING_PUNCTUATION);
                if !body.is_empty() && !body.starts_with(['.', '-', '@']) {
                    found.push(Span {
                        kind: SpanKind::Mention,
                        start: i,
                        end: i + 1 + body.len(),
                    });
                    i += 1 + body.len();
                    continue;
                }
            }
        }
        i += c.len_utf8();
    }
    found
}

fn word_end(text: &str) -> usize {
    text.find(char::is_whitespace).unwrap_or(text.len())
}

/// User-perceived characters (extended grapheme clusters): `é` written with a combining
/// accent and a family emoji each count as one, as on Bluesky and Mastodon.
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// The length Mastodon checks against its limit: graphemes, with every URL counted as
/// `url_chars` (23 unless the server says otherwise) and every mention `@user@server` as
/// `@user`.
pub fn mastodon_length(text: &str, url_chars: usize) -> usize {
    let mut length = 0;
    let mut last = 0;
    for span in spans(text) {
        length += graphemes(&text[last..span.start]);
        let entity = &text[span.start..span.end];
        length += match span.kind {
            SpanKind::Link => url_chars,
            SpanKind::Mention => graphemes(entity.split('@').nth(1).unwrap_or("")) + 1,
            SpanKind::Hashtag => graphemes(entity),
        };
        last = span.end;
    }
    length + graphemes(&text[last..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::HttpsUrl;

    fn found(text: &str) -> Vec<(SpanKind, &str)> {
        spans(text)
            .into_iter()
            .map(|s| (s.kind, &text[s.start..s.end]))
            .collect()
    }

    #[test]
    fn finds_links_mentions_and_hashtags() {
        use SpanKind::*;
        assert_eq!(
            found("Voir https://bib.fr/a?b=1. Merci @amie.bsky.social et #NuitDeLaLecture !"),
            vec![
                (Link, "https://bib.fr/a?b=1"),
                (Mention, "@amie.bsky.social"),
                (Hashtag, "#NuitDeLaLecture"),
            ]
        );
        assert_eq!(
            found("#2024 n'est pas un tag, #Été2024 oui; mail@exemple.fr non; (#Lire)"),
            vec![(Hashtag, "#Été2024"), (Hashtag, "#Lire")]
        );
        assert_eq!(
            found("@bib@mastodon.social: https:// seul"),
            vec![(Mention, "@bib@mastodon.social")]
        );
    }

    #[test]
    fn byte_offsets_account_for_accents_and_emoji() {
        let text = "Café 📚 lecture #Été 👨‍👩‍👧 https://bib.fr/é";
        let spans = spans(text);
        assert_eq!(spans.len(), 2);
        // "Café " is 6 bytes, "📚" 4, " lecture " 9: the hashtag starts at byte 19, and
        // "#Été" is 6 bytes long (É and é take 2 each).
        assert_eq!((spans[0].start, spans[0].end), (19, 25));
        assert_eq!(&text[spans[0].start..spans[0].end], "#Été");
        assert_eq!(&text[spans[1].start..spans[1].end], "https://bib.fr/é");
        assert_eq!(spans[1].end, text.len());
    }

    #[test]
    fn counts_like_mastodon() {
        let long_url = format!("https://bib.example/{}", "a".repeat(100));
        assert_eq!(
            mastodon_length(&format!("Lire {long_url}"), MASTODON_URL_CHARS),
            5 + 23
        );
        assert_eq!(mastodon_length("Merci @bib@mastodon.social", 23), 6 + 4);
        assert_eq!(mastodon_length("👨‍👩‍👧 é", 23), 3);
        assert_eq!(graphemes("e\u{301}té"), 3);
    }

    #[test]
    fn composes_text_link_and_campaign_hashtags() {
        let content = PostContent {
            text: "  Nuit de la lecture samedi #nuitdelalecture ".into(),
            link: Some(HttpsUrl::parse("link", "https://bib.fr/nuit", 100).unwrap()),
            hashtags: vec!["NuitDeLaLecture".into(), "Bibliothèque".into()],
            ..PostContent::default()
        };
        assert_eq!(
            compose(&content),
            "Nuit de la lecture samedi #nuitdelalecture\n\nhttps://bib.fr/nuit\n\n#Bibliothèque"
        );
        let already = PostContent {
            text: "Voir https://bib.fr/nuit".into(),
            link: content.link.clone(),
            ..PostContent::default()
        };
        assert_eq!(compose(&already), "Voir https://bib.fr/nuit");
    }
}
