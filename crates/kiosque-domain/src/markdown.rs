//! Staff-written Markdown (contest rules) rendered to HTML that is safe to put in a page.
//!
//! We walk `pulldown-cmark`'s events and write the HTML ourselves from a whitelist, rather
//! than render with its `html` module and sanitise afterwards: only the elements below can
//! come out, every text is escaped, and a tag we do not know renders as its text only.
//!
//! - raw HTML (blocks and inline) is shown as escaped text, never interpreted;
//! - links keep only `http:`, `https:` and `mailto:` destinations; any other (`javascript:`,
//!   `data:`, relative paths) renders as plain text;
//! - images become links to the image (no third-party requests from our pages, and no image
//!   without alt text), with the alt text as the link text;
//! - headings are demoted by two levels (`#` becomes `<h3>`), because the page has its own
//!   `<h1>` and the rules sit under an `<h2>`.
//!
//! Rendering is iterative with an explicit stack, so deeply nested input cannot overflow the
//! call stack; callers also cap the input length (see `contests::MAX_RULES_CHARS`).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};

use crate::web::escape;

/// Renders `markdown` to safe HTML.
pub fn render(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    // What each open tag needs at its end: every `Start` pushes exactly one closer and every
    // `End` pops one, so unknown tags cannot unbalance the output.
    let mut closers: Vec<&'static str> = Vec::new();
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH);
    for event in parser {
        match event {
            Event::Start(tag) => {
                let closer = open(&mut out, tag);
                closers.push(closer);
            }
            Event::End(_) => {
                if let Some(closer) = closers.pop() {
                    out.push_str(closer);
                }
            }
            Event::Text(text) => out.push_str(&escape(&text)),
            Event::Code(code) => {
                out.push_str("<code>");
                out.push_str(&escape(&code));
                out.push_str("</code>");
            }
            // Raw HTML is shown as what it is: text.
            Event::Html(html) | Event::InlineHtml(html) => out.push_str(&escape(&html)),
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => out.push_str("<hr>\n"),
            Event::InlineMath(text) | Event::DisplayMath(text) => out.push_str(&escape(&text)),
            Event::FootnoteReference(label) => out.push_str(&escape(&format!("[^{label}]"))),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
        }
    }
    while let Some(closer) = closers.pop() {
        out.push_str(closer);
    }
    out
}

/// Writes the opening of `tag` and returns its closer.
fn open(out: &mut String, tag: Tag<'_>) -> &'static str {
    match tag {
        Tag::Paragraph => {
            out.push_str("<p>");
            "</p>\n"
        }
        Tag::Heading { level, .. } => {
            let (opening, closing) = match level {
                HeadingLevel::H1 => ("<h3>", "</h3>\n"),
                HeadingLevel::H2 => ("<h4>", "</h4>\n"),
                HeadingLevel::H3 => ("<h5>", "</h5>\n"),
                _ => ("<h6>", "</h6>\n"),
            };
            out.push_str(opening);
            closing
        }
        Tag::BlockQuote(_) => {
            out.push_str("<blockquote>\n");
            "</blockquote>\n"
        }
        Tag::CodeBlock(_) => {
            out.push_str("<pre><code>");
            "</code></pre>\n"
        }
        Tag::List(Some(start)) if start != 1 => {
            out.push_str(&format!("<ol start=\"{start}\">\n"));
            "</ol>\n"
        }
        Tag::List(Some(_)) => {
            out.push_str("<ol>\n");
            "</ol>\n"
        }
        Tag::List(None) => {
            out.push_str("<ul>\n");
            "</ul>\n"
        }
        Tag::Item => {
            out.push_str("<li>");
            "</li>\n"
        }
        Tag::Emphasis => {
            out.push_str("<em>");
            "</em>"
        }
        Tag::Strong => {
            out.push_str("<strong>");
            "</strong>"
        }
        Tag::Strikethrough => {
            out.push_str("<del>");
            "</del>"
        }
        Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => match safe_url(&dest_url) {
            Some(url) => {
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"nofollow noopener\">",
                    escape(url)
                ));
                "</a>"
            }
            // An unsafe destination: keep the words, drop the link.
            None => "",
        },
        // HTML blocks contain `Html` events, escaped as text above; everything else we do not
        // render as markup (tables, footnotes, metadata are not enabled) keeps its text only.
        _ => "",
    }
}

/// The destination, trimmed, when it is an absolute `http(s)` or `mailto` URL without
/// whitespace or control characters.
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:");
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (allowed && clean && url.len() <= 2000).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(render(input), expected, "{input}");
    }

    #[test]
    fn renders_the_usual_markdown() {
        check(
            "# Règlement\n\n*Un* **texte** par ~~enfant~~ personne.\n\n- a\n- b\n",
            "<h3>Règlement</h3>\n<p><em>Un</em> <strong>texte</strong> par <del>enfant</del> \
             personne.</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n",
        );
        check(
            "## Prix\n### x\n#### y",
            "<h4>Prix</h4>\n<h5>x</h5>\n<h6>y</h6>\n",
        );
        check(
            "[site](https://bib.example/a?b=1&c=2)",
            "<p><a href=\"https://bib.example/a?b=1&amp;c=2\" rel=\"nofollow noopener\">site</a></p>\n",
        );
        check(
            "<mailto:jeux@bib.example>",
            "<p><a href=\"mailto:jeux@bib.example\" rel=\"nofollow noopener\">mailto:jeux@bib.example</a></p>\n",
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        check(
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        );
        check(
            "a <img src=x onerror=alert(1)> b",
            "<p>a &lt;img src=x onerror=alert(1)&gt; b</p>\n",
        );
        let out = render("<div onclick=\"x()\">\n\n*hi*\n\n</div>");
        assert!(!out.contains("<div"), "{out}");
    }

    #[test]
    fn only_web_and_mail_links_survive() {
        for bad in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](javascript&#58;alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "[x](/relative)",
            "[x]( javascript:alert(1))",
            "<javascript:alert(1)>",
        ] {
            let out = render(bad);
            assert!(!out.contains("href"), "{bad} -> {out}");
            assert!(!out.contains("<a"), "{bad} -> {out}");
        }
        assert_eq!(safe_url("HTTPS://bib.example"), Some("HTTPS://bib.example"));
        assert_eq!(safe_url("https://bib.example/a b"), None);
    }

    #[test]
    fn images_become_links_or_text() {
        check(
            "![Affiche du concours](https://bib.example/a.png)",
            "<p><a href=\"https://bib.example/a.png\" rel=\"nofollow noopener\">Affiche du concours</a></p>\n",
        );
        check("![alt](javascript:x)", "<p>alt</p>\n");
        assert!(!render("![a](https://x.example/i.png \"t\")").contains("<img"));
    }

    #[test]
    fn huge_and_deeply_nested_input_renders_without_trouble() {
        let deep_quotes = ">".repeat(20_000) + " fond";
        let out = render(&deep_quotes);
        assert!(out.contains("fond"));
        assert_eq!(
            out.matches("<blockquote>").count(),
            out.matches("</blockquote>").count()
        );
        let deep_lists: String = (0..2_000)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        let out = render(&deep_lists);
        assert_eq!(out.matches("<ul>").count(), out.matches("</ul>").count());
        let brackets = "[".repeat(50_000) + &"]".repeat(50_000);
        let out = render(&brackets);
        // Plain text in one paragraph: no tag but the paragraph's own.
        assert!(out.starts_with("<p>") && out.trim_end().ends_with("</p>"));
        assert_eq!(out.matches('<').count(), 2, "{}", &out[..80]);
        let stars = "*a ".repeat(30_000);
        let out = render(&stars);
        assert_eq!(out.matches("<em>").count(), out.matches("</em>").count());
        let big = "Lorem ipsum <b>dolor</b>. ".repeat(5_000);
        assert!(!render(&big).contains("<b>"));
    }
}
