//! What platforms send as text, made plain: Mastodon's status HTML to text (the wall escapes
//! it again on output, so nothing a sender writes becomes markup), and the `#hashtags` of a
//! text for platforms that do not list them.

use crate::hashtag::Hashtag;

/// The longest text a mention keeps, in characters; longer posts are cut with `…`.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Hashtags read from one text at most.
pub const MAX_HASHTAGS: usize = 30;

/// The text of an HTML fragment as Mastodon writes statuses (`<p>`, `<br>`, links whose
/// parts hide in `<span class="invisible">`): tags dropped, paragraphs and line breaks kept
/// as new lines, character references decoded, whitespace runs folded.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        push_decoded(&mut out, &rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            // An unclosed `<` is text.
            push_decoded(&mut out, &rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        match name {
            "br" => out.push('\n'),
            "p" | "div" | "li" | "blockquote" if tag.starts_with('/') => out.push_str("\n\n"),
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    push_decoded(&mut out, rest);
    tidy(&out)
}

/// Folds spaces within lines, keeps at most one blank line, trims, and cuts to
/// [`MAX_TEXT_CHARS`].
pub fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let folded = line
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if folded.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(folded);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let text = lines.join("\n");
    if text.chars().count() > MAX_TEXT_CHARS {
        let mut cut: String = text.chars().take(MAX_TEXT_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| decode_reference(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn decode_reference(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            }
        }
    };
    char::from_u32(code).filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
}

/// The distinct valid `#hashtags` of a plain text, in order of appearance (at most
/// [`MAX_HASHTAGS`]). A `#` counts only at the start or after a character that cannot be in
/// a word, so URL fragments (`page#section`) are not hashtags; invalid ones are skipped.
pub fn hashtags_in(text: &str) -> Vec<Hashtag> {
    let mut found: Vec<Hashtag> = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts_tag = c == '#'
            && previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '#' || p == '/'));
        previous = Some(c);
        if !starts_tag {
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_alphanumeric() || d == '_' || is_combining(d) {
                end = j + d.len_utf8();
                previous = Some(d);
                chars.next();
            } else {
                break;
            }
        }
        if let Ok(tag) = Hashtag::parse(&text[start..end])
            && !found.iter().any(|t| t == &tag)
        {
            found.push(tag);
            if found.len() == MAX_HASHTAGS {
                break;
            }
        }
    }
    found
}

/// Combining marks (a decomposed `é` is `e` + U+0301), which NFC folds into the letter.
fn is_combining(c: char) -> bool {
    matches!(u32::from(c), 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_html_becomes_plain_text() {
        let html = "<p>Venez à la <a href=\"https://m.example/tags/NuitDeLaLecture\" \
            class=\"mention hashtag\" rel=\"tag\">#<span>NuitDeLaLecture</span></a> &amp; \
            lisez&nbsp;!<br>Programme&#160;: <a href=\"https://bib.example/prog\"><span \
            class=\"invisible\">https://</span><span class=\"ellipsis\">bib.example/pr</span>\
            <span class=\"invisible\">og</span></a></p><p>&lt;script&gt;alert(1)&lt;/script&gt; \
            &#x1F4DA; &bogus; a & b</p>";
        assert_eq!(
            plain_text(html),
            "Venez à la #NuitDeLaLecture & lisez !\nProgramme : https://bib.example/prog\n\n\
             <script>alert(1)</script> 📚 &bogus; a & b"
        );
        assert_eq!(plain_text("<p>un</p><p></p><p>deux</p>"), "un\n\ndeux");
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn long_texts_are_cut() {
        let text = plain_text(&"é".repeat(MAX_TEXT_CHARS + 10));
        assert_eq!(text.chars().count(), MAX_TEXT_CHARS);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn finds_the_hashtags_of_a_text() {
        let tags = |text: &str| -> Vec<String> {
            hashtags_in(text)
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect()
        };
        assert_eq!(
            tags("#NuitDeLaLecture à la bib, #Médiathèque! #nuitdelalecture encore"),
            ["NuitDeLaLecture", "Médiathèque"]
        );
        assert_eq!(
            tags("voir https://bib.example/page#section et C# ou ##double #2026 #a_b"),
            ["A_b"]
        );
        // A decomposed é (e + U+0301) stays inside the tag.
        assert_eq!(tags("#Me\u{301}diathe\u{300}que").len(), 1);
        let many: String = (0..40).map(|i| format!("#tag{i} ")).collect();
        assert_eq!(tags(&many).len(), MAX_HASHTAGS);
    }
}
