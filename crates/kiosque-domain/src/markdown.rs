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
//!
//! [`render`] is the plain rendering above. [`render_with`] adds what tutorials need, each
//! behind a [`RenderOptions`] switch so that existing callers keep their exact output:
//!
//! - `outline`: headings get numbers ("1", "1.2") and anchors (`id="{prefix}s1-2"`), and the
//!   outline comes back with the HTML so a page can print a table of contents;
//! - `keys`: keyboard keys written `[[Ctrl]]` become `<kbd>Ctrl</kbd>`; a combination
//!   `[[Ctrl+C]]` becomes `<kbd><kbd>Ctrl</kbd>+<kbd>C</kbd></kbd>` (HTML's own markup for a
//!   key combination). At most 30 characters between the brackets, no bracket nor line break;
//!   anything else stays text. Inside code spans and blocks nothing is converted;
//! - `code_language`: a fenced block's language (```` ```bash ````) becomes
//!   `class="language-bash"` when it is 1 to 20 characters of `[a-z0-9+#-]`, for styling.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TextMergeStream};

use crate::web::escape;

/// Renders `markdown` to safe HTML, as contest rules use it.
pub fn render(markdown: &str) -> String {
    render_with(markdown, &RenderOptions::default()).html
}

/// What [`render_with`] adds to the plain rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Levels added to every heading: 2 turns `#` into `<h3>` (the page has its own `<h1>` and
    /// the text sits under an `<h2>`). Headings deeper than `<h6>` stay `<h6>`.
    pub heading_offset: u8,
    /// Number the headings and give them anchors (see the module documentation).
    pub outline: bool,
    /// Put before every anchor, so several texts on one page keep distinct ids (`e2-`).
    pub anchor_prefix: String,
    /// Turn `[[Key]]` into `<kbd>`.
    pub keys: bool,
    /// Keep a fenced code block's language as a class.
    pub code_language: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            heading_offset: 2,
            outline: false,
            anchor_prefix: String::new(),
            keys: false,
            code_language: false,
        }
    }
}

impl RenderOptions {
    /// Everything on: the tutorials' rendering, with anchors starting with `anchor_prefix`.
    pub fn tutorial(anchor_prefix: &str) -> Self {
        RenderOptions {
            heading_offset: 2,
            outline: true,
            anchor_prefix: anchor_prefix.to_owned(),
            keys: true,
            code_language: true,
        }
    }
}

/// One heading of a rendered text, for a table of contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineEntry {
    /// 1 for the text's top level, 2 below it...
    pub depth: usize,
    /// "1", "1.2", ...
    pub number: String,
    /// The element's id (without `#`).
    pub anchor: String,
    /// The heading's text, unescaped (escape it on output).
    pub text: String,
}

/// Safe HTML and, with [`RenderOptions::outline`], the outline of its headings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    pub html: String,
    pub outline: Vec<OutlineEntry>,
}

/// Where the outline stands while rendering.
#[derive(Default)]
struct Numbering {
    counters: [u32; 6],
    /// The entry of the heading being rendered, whose text is still being collected.
    open: Option<OutlineEntry>,
}

impl Numbering {
    /// Numbers a heading of Markdown level `level` (1-6) and returns its entry. The anchor
    /// keeps every level (`s0-1` for a `##` before any `#`), so anchors never collide; the
    /// visible number drops leading zeros ("1" rather than "0.1").
    fn next(&mut self, level: usize, prefix: &str) -> OutlineEntry {
        let level = level.clamp(1, 6);
        self.counters[level - 1] += 1;
        for deeper in &mut self.counters[level..] {
            *deeper = 0;
        }
        let parts = &self.counters[..level];
        let anchor = format!(
            "{prefix}s{}",
            parts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("-")
        );
        let first = parts.iter().position(|&n| n != 0).unwrap_or(0);
        let visible = &parts[first..];
        OutlineEntry {
            depth: visible.len(),
            number: visible
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("."),
            anchor,
            text: String::new(),
        }
    }
}

/// Renders `markdown` to safe HTML with `options`.
pub fn render_with(markdown: &str, options: &RenderOptions) -> Rendered {
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    let mut outline = Vec::new();
    let mut numbering = Numbering::default();
    // What each open tag needs at its end: every `Start` pushes exactly one closer and every
    // `End` pops one, so unknown tags cannot unbalance the output.
    let mut closers: Vec<Closer> = Vec::new();
    let mut in_code_block = 0usize;
    let parser = TextMergeStream::new(Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH));
    for event in parser {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let tag = heading_tag(level, options.heading_offset);
                if options.outline {
                    let entry = numbering.next(level as usize, &options.anchor_prefix);
                    out.push_str(&format!(
                        "<{tag} id=\"{}\"><span class=\"heading-number\">{}</span> ",
                        escape(&entry.anchor),
                        entry.number
                    ));
                    numbering.open = Some(entry);
                    closers.push(Closer::Heading(tag));
                } else {
                    out.push_str(&format!("<{tag}>"));
                    closers.push(Closer::Static(heading_closer(tag)));
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code_block += 1;
                let language = match &kind {
                    CodeBlockKind::Fenced(info) if options.code_language => code_language(info),
                    _ => None,
                };
                match language {
                    Some(language) => {
                        out.push_str(&format!("<pre><code class=\"language-{language}\">"))
                    }
                    None => out.push_str("<pre><code>"),
                }
                closers.push(Closer::CodeBlock);
            }
            Event::Start(tag) => {
                let closer = open(&mut out, tag);
                closers.push(Closer::Static(closer));
            }
            Event::End(_) => match closers.pop() {
                Some(Closer::Static(closer)) => out.push_str(closer),
                Some(Closer::CodeBlock) => {
                    in_code_block = in_code_block.saturating_sub(1);
                    out.push_str("</code></pre>\n");
                }
                Some(Closer::Heading(tag)) => {
                    out.push_str(heading_closer(tag));
                    if let Some(mut entry) = numbering.open.take() {
                        entry.text = entry.text.trim().to_owned();
                        outline.push(entry);
                    }
                }
                None => {}
            },
            Event::Text(text) => {
                if let Some(entry) = &mut numbering.open {
                    entry.text.push_str(&text);
                }
                if options.keys && in_code_block == 0 {
                    push_with_keys(&mut out, &text);
                } else {
                    out.push_str(&escape(&text));
                }
            }
            Event::Code(code) => {
                if let Some(entry) = &mut numbering.open {
                    entry.text.push_str(&code);
                }
                out.push_str("<code>");
                out.push_str(&escape(&code));
                out.push_str("</code>");
            }
            // Raw HTML is shown as what it is: text.
            Event::Html(html) | Event::InlineHtml(html) => {
                if let Some(entry) = &mut numbering.open {
                    entry.text.push_str(&html);
                }
                out.push_str(&escape(&html))
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => out.push_str("<hr>\n"),
            Event::InlineMath(text) | Event::DisplayMath(text) => out.push_str(&escape(&text)),
            Event::FootnoteReference(label) => out.push_str(&escape(&format!("[^{label}]"))),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
        }
    }
    while let Some(closer) = closers.pop() {
        match closer {
            Closer::Static(closer) => out.push_str(closer),
            Closer::CodeBlock => out.push_str("</code></pre>\n"),
            Closer::Heading(tag) => out.push_str(heading_closer(tag)),
        }
    }
    Rendered { html: out, outline }
}

/// How an open element ends.
enum Closer {
    Static(&'static str),
    Heading(&'static str),
    CodeBlock,
}

fn heading_tag(level: HeadingLevel, offset: u8) -> &'static str {
    match (level as usize).saturating_add(usize::from(offset)) {
        0 | 1 => "h1",
        2 => "h2",
        3 => "h3",
        4 => "h4",
        5 => "h5",
        _ => "h6",
    }
}

fn heading_closer(tag: &'static str) -> &'static str {
    match tag {
        "h1" => "</h1>\n",
        "h2" => "</h2>\n",
        "h3" => "</h3>\n",
        "h4" => "</h4>\n",
        "h5" => "</h5>\n",
        _ => "</h6>\n",
    }
}

/// The language of a fenced block's info string, when it is safe as a class name.
fn code_language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?.to_ascii_lowercase();
    let ok = (1..=20).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+#-".contains(&b));
    // `#` is not valid unescaped in a CSS class selector but is fine in the attribute.
    ok.then(|| word.replace('#', "sharp"))
}

/// The longest key name between `[[` and `]]`.
const MAX_KEY_CHARS: usize = 30;

/// Escapes `text`, turning every `[[Key]]` into `<kbd>`.
fn push_with_keys(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        let after = &rest[start + 2..];
        let key = after.find("]]").map(|end| &after[..end]).filter(|key| {
            let key = key.trim();
            !key.is_empty()
                && key.chars().count() <= MAX_KEY_CHARS
                && !key.contains(['[', ']', '\n'])
        });
        match key {
            Some(key) => {
                out.push_str(&escape(&rest[..start]));
                out.push_str(&kbd(key.trim()));
                rest = &after[key.len() + 2..];
            }
            None => {
                out.push_str(&escape(&rest[..start + 2]));
                rest = after;
            }
        }
    }
    out.push_str(&escape(rest));
}

/// `<kbd>` for one key, nested `<kbd>`s for a combination (`Ctrl+C`; a lone `+` is a key).
fn kbd(key: &str) -> String {
    let parts: Vec<&str> = key.split('+').map(str::trim).collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return format!("<kbd>{}</kbd>", escape(key));
    }
    let inner: Vec<String> = parts
        .iter()
        .map(|p| format!("<kbd>{}</kbd>", escape(p)))
        .collect();
    format!("<kbd>{}</kbd>", inner.join("+"))
}

/// Writes the opening of `tag` and returns its closer.
fn open(out: &mut String, tag: Tag<'_>) -> &'static str {
    match tag {
        Tag::Paragraph => {
            out.push_str("<p>");
            "</p>\n"
        }
        Tag::BlockQuote(_) => {
            out.push_str("<blockquote>\n");
            "</blockquote>\n"
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

/// The destination, trimmed, when the `url` crate reads it as an absolute `http(s)` URL with a
/// host or a `mailto:` one, without whitespace or control characters. A domain name in
/// non-ASCII letters passes (the browser converts it; see `idna_adapter` in `Cargo.toml` for
/// why Kiosque does not).
pub fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let allowed = match crate::web::Url::parse(url) {
        Ok(parsed) => match parsed.scheme() {
            "https" | "http" => parsed.host().is_some(),
            "mailto" => true,
            _ => false,
        },
        Err(url::ParseError::IdnaError) => {
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        }
        Err(_) => false,
    };
    allowed.then_some(url)
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
        assert_eq!(
            safe_url("mailto:accueil@bib.example"),
            Some("mailto:accueil@bib.example")
        );
        assert_eq!(
            safe_url("https://médiathèque.example/"),
            Some("https://médiathèque.example/")
        );
        assert_eq!(safe_url("https://"), None);
        assert_eq!(safe_url("https://[::1/"), None);
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

    #[test]
    fn tutorial_options_number_headings_with_anchors() {
        let rendered = render_with(
            "# Se connecter\n\n## Avec sa carte\n\n## Avec `e-mail` <b>\n\n# Emprunter",
            &RenderOptions::tutorial("e2-"),
        );
        assert_eq!(
            rendered.html,
            "<h3 id=\"e2-s1\"><span class=\"heading-number\">1</span> Se connecter</h3>\n\
             <h4 id=\"e2-s1-1\"><span class=\"heading-number\">1.1</span> Avec sa carte</h4>\n\
             <h4 id=\"e2-s1-2\"><span class=\"heading-number\">1.2</span> Avec <code>e-mail</code> &lt;b&gt;</h4>\n\
             <h3 id=\"e2-s2\"><span class=\"heading-number\">2</span> Emprunter</h3>\n"
        );
        let outline: Vec<_> = rendered
            .outline
            .iter()
            .map(|e| {
                (
                    e.depth,
                    e.number.as_str(),
                    e.anchor.as_str(),
                    e.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            outline,
            [
                (1, "1", "e2-s1", "Se connecter"),
                (2, "1.1", "e2-s1-1", "Avec sa carte"),
                (2, "1.2", "e2-s1-2", "Avec e-mail <b>"),
                (1, "2", "e2-s2", "Emprunter"),
            ]
        );
        // A text that starts below the top level: visible numbers skip the zero, anchors
        // keep it, so a later top-level heading cannot reuse an anchor.
        let rendered = render_with("## a\n\n# b\n\n## c", &RenderOptions::tutorial(""));
        let anchors: Vec<_> = rendered.outline.iter().map(|e| e.anchor.as_str()).collect();
        let numbers: Vec<_> = rendered.outline.iter().map(|e| e.number.as_str()).collect();
        assert_eq!(anchors, ["s0-1", "s1", "s1-1"]);
        assert_eq!(numbers, ["1", "1", "1.1"]);
        // The default keeps the contest rules' rendering: no ids, no numbers.
        assert_eq!(render("# a"), "<h3>a</h3>\n");
    }

    #[test]
    fn keys_and_code_are_styled_only_when_asked() {
        let options = RenderOptions::tutorial("");
        let html = |md: &str| render_with(md, &options).html;
        assert_eq!(
            html("Appuyez sur [[Ctrl+C]] puis [[Entrée]]."),
            "<p>Appuyez sur <kbd><kbd>Ctrl</kbd>+<kbd>C</kbd></kbd> puis <kbd>Entrée</kbd>.</p>\n"
        );
        assert_eq!(html("[[+]] [[<]]"), "<p><kbd>+</kbd> <kbd>&lt;</kbd></p>\n");
        // Not keys: empty, too long, unclosed, inside code.
        assert_eq!(html("[[]] [[x"), "<p>[[]] [[x</p>\n");
        let long = format!("[[{}]]", "k".repeat(31));
        assert!(!html(&long).contains("<kbd>"));
        assert_eq!(html("`[[Ctrl]]`"), "<p><code>[[Ctrl]]</code></p>\n");
        assert_eq!(
            html("```bash\necho [[x]] <i>\n```"),
            "<pre><code class=\"language-bash\">echo [[x]] &lt;i&gt;\n</code></pre>\n"
        );
        assert_eq!(
            html("```x\" onclick=\"y\nz\n```"),
            "<pre><code>z\n</code></pre>\n"
        );
        // Default rendering: keys stay text, code blocks carry no class.
        assert_eq!(render("[[Ctrl]]"), "<p>[[Ctrl]]</p>\n");
        assert_eq!(render("```bash\nx\n```"), "<pre><code>x\n</code></pre>\n");
    }

    #[test]
    fn tutorial_options_keep_the_safety_guarantees() {
        let options = RenderOptions::tutorial("e1-");
        for bad in [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "# <img src=x onerror=alert(1)>",
            "[[<script>]]",
            "<a href=\"javascript:x\">[[Ctrl]]</a>",
        ] {
            let out = render_with(bad, &options).html;
            assert!(!out.contains("<script"), "{bad} -> {out}");
            assert!(!out.contains("<img"), "{bad} -> {out}");
            assert!(!out.contains("href=\"javascript"), "{bad} -> {out}");
            assert!(!out.contains("<a "), "{bad} -> {out}");
        }
        let deep_lists: String = (0..2_000)
            .map(|i| format!("{}- [[k]] x\n", "  ".repeat(i)))
            .collect();
        let out = render_with(&deep_lists, &options).html;
        assert_eq!(out.matches("<ul>").count(), out.matches("</ul>").count());
        let many_headings = "# t\n\n".repeat(5_000);
        let rendered = render_with(&many_headings, &options);
        assert_eq!(rendered.outline.len(), 5_000);
        assert_eq!(rendered.outline[4_999].anchor, "e1-s5000");
        let keys = "[[a]]".repeat(20_000);
        assert_eq!(
            render_with(&keys, &options).html.matches("<kbd>").count(),
            20_000
        );
    }
}
