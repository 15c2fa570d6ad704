//! CSV for spreadsheets (RFC 4180), shared by every export staff open in a spreadsheet: poll
//! results, posts. Text in them comes from patrons and staff, so a cell that a spreadsheet
//! would run as a formula is defused.
//!
//! Written by hand on purpose: the `csv` crate's writer quotes by RFC 4180 alone and knows
//! nothing of formula injection (OWASP's "CSV injection"), which is the point of this module;
//! the guard has to see each field before quoting, so the writer is these few lines. Reading
//! CSV (`posts/csv.rs`) is a different matter, explained there.

/// One CSV field: quoted when it holds a comma, quote, semicolon or line break, quotes
/// doubled; a field a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return first) gets a leading apostrophe, so submitted text is never executed.
pub fn field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Appends one line of `fields`, ended by CRLF as RFC 4180 says.
pub fn push_row<S: AsRef<str>>(csv: &mut String, fields: impl IntoIterator<Item = S>) {
    let line: Vec<String> = fields.into_iter().map(|f| field(f.as_ref())).collect();
    csv.push_str(&line.join(","));
    csv.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("Polar"), "Polar");
        assert_eq!(field("Oui, non"), "\"Oui, non\"");
        assert_eq!(field("Le \"Horla\""), "\"Le \"\"Horla\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("été 🌞"), "été 🌞");
        let mut csv = String::new();
        push_row(&mut csv, ["a", "b\nc"]);
        assert_eq!(csv, "a,\"b\nc\"\r\n");
    }
}
