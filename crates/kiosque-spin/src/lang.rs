//! The page language: `?lang=fr|en` first, then `Accept-Language`, French by default.

use spin_sdk::http::Request;

use crate::form;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// The BCP 47 code for `<html lang>` and `hreflang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The Open Graph locale.
    pub fn og_locale(self) -> &'static str {
        match self {
            Lang::Fr => "fr_FR",
            Lang::En => "en_GB",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("fr") {
            Some(Lang::Fr)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language for this request, and whether the visitor chose it with `?lang=` (links
    /// then carry the choice along).
    pub fn negotiate(req: &Request) -> (Lang, bool) {
        let accept = req.header("accept-language").and_then(|v| v.as_str());
        Lang::negotiate_from(req.query(), accept)
    }

    pub fn negotiate_from(query: &str, accept_language: Option<&str>) -> (Lang, bool) {
        if let Some(lang) = form::query_param(query, "lang").and_then(|c| Lang::from_code(&c)) {
            return (lang, true);
        }
        let lang = accept_language.and_then(best_accepted).unwrap_or_default();
        (lang, false)
    }

    /// Picks the French or the English text.
    pub fn t<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

/// Shorthand for [`Lang::t`].
pub fn t<'a>(lang: Lang, fr: &'a str, en: &'a str) -> &'a str {
    lang.t(fr, en)
}

/// The supported language with the highest `q` in an `Accept-Language` header; on a tie the
/// first listed wins.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::from_code) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((lang, q));
        }
    }
    best.map(|(lang, _)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_then_accept_language_then_french() {
        let check = |query: &str, accept: Option<&str>, expected: (Lang, bool)| {
            assert_eq!(
                Lang::negotiate_from(query, accept),
                expected,
                "{query} {accept:?}"
            );
        };
        check("lang=en", Some("fr-FR"), (Lang::En, true));
        check("x=1&lang=fr", Some("en"), (Lang::Fr, true));
        check("lang=de", Some("en-GB,en;q=0.9"), (Lang::En, false));
        check("", Some("de-DE, en;q=0.8, fr;q=0.5"), (Lang::En, false));
        check("", Some("de, fr;q=0.3, en;q=0.9"), (Lang::En, false));
        check("", Some("en;q=0, fr;q=0.1"), (Lang::Fr, false));
        check("", Some("de, es"), (Lang::Fr, false));
        check("", Some("en-US, fr-CA"), (Lang::En, false));
        check("", None, (Lang::Fr, false));
    }
}
