//! HTML for what patrons write, and the pagination of public lists: shared by the polls
//! component (answers, contest entries) and the scheduler's campaign walls.

use maud::{Markup, html};

use super::layout::PageContext;

/// A patron's name: isolated from the text around it (`<bdi>`), so a right-to-left name
/// cannot reorder what follows.
pub fn patron_name(name: &str) -> Markup {
    html! { bdi { (name) } }
}

/// Pagination links for a list shown `page` of `pages`; `href(n)` builds page `n`'s link.
pub fn pagination(
    ctx: &PageContext,
    page: u64,
    pages: u64,
    href: impl Fn(u64) -> String,
) -> Markup {
    html! {
        @if pages > 1 {
            nav aria-label=(ctx.t("Pagination", "Pagination")) {
                p {
                    @if page > 1 {
                        a href=(href(page - 1)) rel="prev" { (ctx.t("Précédentes", "Previous")) }
                        " "
                    }
                    (ctx.t("Page", "Page")) " " (page) "/" (pages)
                    @if page < pages {
                        " "
                        a href=(href(page + 1)) rel="next" { (ctx.t("Suivantes", "Next")) }
                    }
                }
            }
        }
    }
}

/// Patron text as HTML: escaped, line breaks kept, and web addresses made links that search
/// engines do not follow (`rel="nofollow ugc"`).
pub fn patron_text(text: &str) -> Markup {
    let is_link = |word: &str| {
        let lower = word.get(..8).unwrap_or(word).to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://")) && word.len() > 10
    };
    html! {
        @for (i, line) in text.split('\n').enumerate() {
            @if i > 0 { br; }
            @for (j, word) in line.split(' ').enumerate() {
                @if j > 0 { " " }
                @if is_link(word) {
                    a href=(word) rel="nofollow ugc noopener" { (word) }
                } @else {
                    (word)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patron_links_are_ugc_and_text_is_escaped() {
        assert_eq!(
            patron_text("vu sur https://x.example/a?b=1&c=\"2\"\n<b>").into_string(),
            "vu sur <a href=\"https://x.example/a?b=1&amp;c=&quot;2&quot;\" rel=\"nofollow ugc noopener\">https://x.example/a?b=1&amp;c=&quot;2&quot;</a><br>&lt;b&gt;"
        );
        assert_eq!(
            patron_text("javascript:alert(1)").into_string(),
            "javascript:alert(1)"
        );
        assert_eq!(patron_name("<i>").into_string(), "<bdi>&lt;i&gt;</bdi>");
    }
}
