//! HTML output: pages are `maud` templates, checked at compile time, in which every value
//! is escaped unless it is wrapped in [`PreEscaped`] (HTML Kiosque made itself: rendered
//! Markdown, JSON-LD, an SVG chart). The shared page [`layout`] and patron text helpers.
//! `html!` expands to `::maud` paths, so a component that writes templates also lists `maud`
//! among its dependencies.

pub mod chart;
pub mod layout;
pub mod patron;

pub use maud::{Markup, PreEscaped, Render, html};

/// Serialises JSON-LD for a `<script type="application/ld+json">` block. `<`, `>` and `&`
/// only occur inside JSON strings, where `\u003c` etc. mean the same, so a value containing
/// `</script>` cannot end the block early.
pub fn json_ld(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_markup_and_quotes_unless_marked() {
        let text = r#"<a href="x" title='y'>Tom & Jerry</a>"#;
        assert_eq!(
            html! { p title=(text) { (text) } }.into_string(),
            "<p title=\"&lt;a href=&quot;x&quot; title='y'&gt;Tom &amp; Jerry&lt;/a&gt;\">\
             &lt;a href=&quot;x&quot; title='y'&gt;Tom &amp; Jerry&lt;/a&gt;</p>"
        );
        assert_eq!(
            html! { p { (PreEscaped("<b>ok</b>")) } }.into_string(),
            "<p><b>ok</b></p>"
        );
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let value = serde_json::json!({"name": "</script><script>alert(1)</script>"});
        let text = json_ld(&value);
        assert!(!text.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
