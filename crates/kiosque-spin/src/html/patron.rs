//! HTML for what patrons write, and the pagination of public lists: shared by the polls
//! component (answers, contest entries) and the scheduler's campaign walls.

use super::escape;
use super::layout::PageContext;

/// A patron's name: isolated from the text around it (`<bdi>`), so a right-to-left name
/// cannot reorder what follows.
pub fn patron_name(name: &str) -> String {
    format!("<bdi>{}</bdi>", escape(name))
}

/// Pagination links for a list shown `page` of `pages`; `href(n)` builds page `n`'s link.
pub fn pagination(
    ctx: &PageContext,
    page: u64,
    pages: u64,
    href: impl Fn(u64) -> String,
) -> String {
    if pages <= 1 {
        return String::new();
    }
    let mut out = format!(
        "<nav aria-label=\"{}\"><p>",
        ctx.t("Pagination", "Pagination")
    );
    if page > 1 {
        out.push_str(&format!(
            "<a href=\"{}\" rel=\"prev\">{}</a> ",
            escape(&href(page - 1)),
            ctx.t("Précédentes", "Previous")
        ));
    }
    out.push_str(&format!("{} {page}/{pages}", ctx.t("Page", "Page")));
    if page < pages {
        out.push_str(&format!(
            " <a href=\"{}\" rel=\"next\">{}</a>",
            escape(&href(page + 1)),
            ctx.t("Suivantes", "Next")
        ));
    }
    out.push_str("</p></nav>\n");
    out
}

/// Patron text as HTML: escaped, line breaks kept, and web addresses made links that search
/// engines do not follow (`rel="nofollow ugc"`).
pub fn patron_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for (j, word) in line.split(' ').enumerate() {
            if j > 0 {
                out.push(' ');
            }
            let lower = word.get(..8).unwrap_or(word).to_ascii_lowercase();
            if (lower.starts_with("https://") || lower.starts_with("http://")) && word.len() > 10 {
                let href = escape(word);
                out.push_str(&format!(
                    "<a href=\"{href}\" rel=\"nofollow ugc noopener\">{href}</a>"
                ));
            } else {
                out.push_str(&escape(word));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patron_links_are_ugc_and_text_is_escaped() {
        assert_eq!(
            patron_text("vu sur https://x.example/a?b=1&c=\"2\"\n<b>"),
            "vu sur <a href=\"https://x.example/a?b=1&amp;c=&quot;2&quot;\" rel=\"nofollow ugc noopener\">https://x.example/a?b=1&amp;c=&quot;2&quot;</a><br>&lt;b&gt;"
        );
        assert_eq!(patron_text("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(patron_name("<i>"), "<bdi>&lt;i&gt;</bdi>");
    }
}
