//! ISBN-13, checked with its checksum: a mistyped ISBN would send patrons to the wrong book
//! (or nowhere) in the catalogue.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ISBN-13 as 13 digits, hyphens and spaces removed. Serialises as the bare digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isbn13(String);

impl Isbn13 {
    /// Accepts 13 digits with optional hyphens or spaces (`978-2-07-036822-8`), starting with
    /// 978 or 979, whose last digit is the checksum: the weights alternate 1 and 3, and the
    /// weighted sum of all 13 digits is a multiple of 10.
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits: String = text
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 13 digits (hyphens and spaces allowed)".to_owned());
        }
        if !(digits.starts_with("978") || digits.starts_with("979")) {
            return Err("must start with 978 or 979".to_owned());
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let weighted: u32 = values[..12]
            .iter()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
            .sum();
        let expected = (10 - weighted % 10) % 10;
        if values[12] != expected {
            return Err(format!(
                "checksum digit must be {expected}, got {}: check for a typing error",
                values[12]
            ));
        }
        Ok(Isbn13(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Isbn13 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Isbn13 {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Isbn13::parse(&text).map_err(|e| format!("isbn: {e}"))
    }
}

impl From<Isbn13> for String {
    fn from(isbn: Isbn13) -> String {
        isbn.0
    }
}

/// Fills a catalogue URL template: `{isbn}` becomes the 13 digits. The template comes from
/// staff configuration; the digits cannot break out of a URL.
pub fn catalogue_link(template: &str, isbn: &Isbn13) -> Option<String> {
    template
        .contains("{isbn}")
        .then(|| template.replace("{isbn}", isbn.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_isbns_pass_with_or_without_hyphens() {
        // L'Étranger (Folio) and a 979 ISBN.
        assert_eq!(
            Isbn13::parse("978-2-07-036002-4").unwrap().as_str(),
            "9782070360024"
        );
        assert_eq!(
            Isbn13::parse(" 979 10 90648 52 4 ").unwrap().as_str(),
            "9791090648524"
        );
        assert_eq!(
            Isbn13::parse("9780306406157").unwrap().as_str(),
            "9780306406157"
        );
    }

    #[test]
    fn typing_errors_are_caught() {
        assert_eq!(
            Isbn13::parse("9780306406158").unwrap_err(),
            "checksum digit must be 7, got 8: check for a typing error"
        );
        // Two swapped neighbours change the weighted sum.
        assert!(Isbn13::parse("9780306046157").is_err());
        assert_eq!(
            Isbn13::parse("2-07-036002-4").unwrap_err(),
            "must be 13 digits (hyphens and spaces allowed)"
        );
        assert_eq!(
            Isbn13::parse("1234567890128").unwrap_err(),
            "must start with 978 or 979"
        );
        assert!(Isbn13::parse("97803064061x7").is_err());
        assert!(serde_json::from_str::<Isbn13>("\"9780306406158\"").is_err());
    }

    #[test]
    fn catalogue_template_takes_the_isbn() {
        let isbn = Isbn13::parse("9780306406157").unwrap();
        assert_eq!(
            catalogue_link("https://cat.example/search?isbn={isbn}", &isbn).as_deref(),
            Some("https://cat.example/search?isbn=9780306406157")
        );
        assert_eq!(catalogue_link("https://cat.example/", &isbn), None);
    }
}
