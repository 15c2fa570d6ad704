//! A small, bounded reader of `multipart/form-data` bodies (RFC 7578 over RFC 2046), for the
//! one form that carries a file: a patron's contest entry with its image. Browsers send it
//! without JavaScript, so it cannot be cut into parts like the console's uploads.
//!
//! What it accepts is what browsers write: a `boundary` parameter of 1 to 70 characters, a
//! delimiter line `--boundary` before each part (a preamble before the first is skipped),
//! headers ended by an empty line, CRLF line ends only, and the closing `--boundary--`.
//! Every part needs a `Content-Disposition: form-data` with a `name`. Limits: the number of
//! parts, the size of a part's headers, the size of a text part (a part without a
//! `filename`); the body itself was capped by the adapter. Searching uses the
//! Knuth-Morris-Pratt failure table, so a hostile body costs time linear in its size whatever
//! it repeats; nothing is copied but the text values and header strings.

/// What a body may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_parts: usize,
    pub max_header_bytes: usize,
    /// A part without a `filename` (a text field).
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_parts: 32,
            max_header_bytes: 2_048,
            max_text_bytes: 16 * 1024,
        }
    }
}

/// Why a body was refused; `Display` is the message for logs and API answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the content-type must be multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the multipart boundary must be 1 to 70 characters a browser may use")]
    BadBoundary,
    #[error("the body does not start with its multipart boundary")]
    NoFirstBoundary,
    #[error("the body ends before its closing multipart boundary")]
    Unterminated,
    #[error("a multipart boundary line is malformed")]
    BadDelimiter,
    #[error("a part's headers are malformed")]
    BadHeaders,
    #[error("a part's headers exceed {0} bytes")]
    HeadersTooLarge(usize),
    #[error("a part has no content-disposition form-data name")]
    NoName,
    #[error("more than {0} parts")]
    TooManyParts(usize),
    #[error("the field {name} exceeds {max} bytes")]
    TextTooLarge { name: String, max: usize },
    #[error("the field {0} is not valid UTF-8")]
    NotUtf8(String),
}

/// One part: a text field or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    /// Present for a file input (possibly empty: a file input left empty).
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: &'a [u8],
}

/// A parsed form: its parts in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form<'a> {
    pub parts: Vec<Part<'a>>,
}

impl<'a> Form<'a> {
    /// The first text field called `name`, as text (checked UTF-8 when parsing).
    pub fn text(&self, name: &str) -> Option<&'a str> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .and_then(|p| std::str::from_utf8(p.body).ok())
    }

    /// The first file part called `name` that holds bytes (an empty file input sends a part
    /// with an empty filename and no bytes: that is no file).
    pub fn file(&self, name: &str) -> Option<&Part<'a>> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_some() && !p.body.is_empty())
    }
}

/// The boundary of a `Content-Type: multipart/form-data; boundary=...` header value.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let media_type = params.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NotMultipart);
    }
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(rest) => rest.strip_suffix('"').ok_or(MultipartError::BadBoundary)?,
            None => value,
        };
        // RFC 2046's bchars, and no trailing space.
        let valid = (1..=70).contains(&value.len())
            && !value.ends_with(' ')
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" '()+_,-./:=?".contains(&b));
        return if valid {
            Ok(value.to_owned())
        } else {
            Err(MultipartError::BadBoundary)
        };
    }
    Err(MultipartError::NotMultipart)
}

/// A needle and its Knuth-Morris-Pratt failure table.
struct Finder<'n> {
    needle: &'n [u8],
    fail: Vec<usize>,
}

impl<'n> Finder<'n> {
    fn new(needle: &'n [u8]) -> Self {
        let mut fail = vec![0; needle.len()];
        let mut k = 0;
        for i in 1..needle.len() {
            while k > 0 && needle[i] != needle[k] {
                k = fail[k - 1];
            }
            if needle[i] == needle[k] {
                k += 1;
            }
            fail[i] = k;
        }
        Finder { needle, fail }
    }

    /// The first position of the needle in `hay`, in time linear in `hay`'s length.
    fn find(&self, hay: &[u8]) -> Option<usize> {
        if self.needle.is_empty() {
            return Some(0);
        }
        let mut k = 0;
        for (i, &b) in hay.iter().enumerate() {
            while k > 0 && b != self.needle[k] {
                k = self.fail[k - 1];
            }
            if b == self.needle[k] {
                k += 1;
                if k == self.needle.len() {
                    return Some(i + 1 - k);
                }
            }
        }
        None
    }
}

/// Parses `body` sent with `boundary` (from [`boundary`]).
pub fn parse<'a>(
    body: &'a [u8],
    boundary: &str,
    limits: &Limits,
) -> Result<Form<'a>, MultipartError> {
    // Every delimiter but a first one at the very start is preceded by CRLF.
    let delimiter = format!("\r\n--{boundary}");
    let finder = Finder::new(delimiter.as_bytes());
    let first = &delimiter.as_bytes()[2..];
    let mut pos = if body.starts_with(first) {
        first.len()
    } else {
        finder
            .find(body)
            .map(|at| at + delimiter.len())
            .ok_or(MultipartError::NoFirstBoundary)?
    };
    let header_end = Finder::new(b"\r\n\r\n");
    let mut form = Form::default();
    loop {
        // After a delimiter: `--` closes the body; otherwise optional padding, then CRLF.
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(form);
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(if rest.len() < padding + 2 {
                MultipartError::Unterminated
            } else {
                MultipartError::BadDelimiter
            });
        }
        pos += padding + 2;
        if form.parts.len() == limits.max_parts {
            return Err(MultipartError::TooManyParts(limits.max_parts));
        }
        // Headers: up to an empty line (a part with no headers starts with one).
        let rest = &body[pos..];
        let (headers, body_start) = if rest.starts_with(b"\r\n") {
            (&rest[..0], pos + 2)
        } else {
            let window = &rest[..rest.len().min(limits.max_header_bytes + 4)];
            match header_end.find(window) {
                Some(at) => (&rest[..at], pos + at + 4),
                None if window.len() < rest.len() => {
                    return Err(MultipartError::HeadersTooLarge(limits.max_header_bytes));
                }
                None => return Err(MultipartError::Unterminated),
            }
        };
        let (name, filename, content_type) = part_headers(headers)?;
        let end = finder
            .find(&body[body_start..])
            .map(|at| body_start + at)
            .ok_or(MultipartError::Unterminated)?;
        let part_body = &body[body_start..end];
        if filename.is_none() {
            if part_body.len() > limits.max_text_bytes {
                return Err(MultipartError::TextTooLarge {
                    name,
                    max: limits.max_text_bytes,
                });
            }
            if std::str::from_utf8(part_body).is_err() {
                return Err(MultipartError::NotUtf8(name));
            }
        }
        form.parts.push(Part {
            name,
            filename,
            content_type,
            body: part_body,
        });
        pos = end + delimiter.len();
    }
}

type PartHeaders = (String, Option<String>, Option<String>);

/// `Content-Disposition`'s `name` and `filename`, and `Content-Type`, of one part.
fn part_headers(raw: &[u8]) -> Result<PartHeaders, MultipartError> {
    let text = std::str::from_utf8(raw).map_err(|_| MultipartError::BadHeaders)?;
    let mut disposition = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let (name, value) = line.split_once(':').ok_or(MultipartError::BadHeaders)?;
        // A bare CR or LF inside a line would be a header smuggled past the CRLF rule.
        if name.is_empty() || line.contains(['\r', '\n']) {
            return Err(MultipartError::BadHeaders);
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-disposition") {
            if disposition.is_some() {
                return Err(MultipartError::BadHeaders);
            }
            disposition = Some(value);
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        }
    }
    let disposition = disposition.ok_or(MultipartError::NoName)?;
    let (kind, params) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(MultipartError::NoName);
    }
    let params = disposition_params(params)?;
    let find = |wanted: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.clone())
    };
    let name = find("name")
        .filter(|n| !n.is_empty())
        .ok_or(MultipartError::NoName)?;
    Ok((name, find("filename"), content_type))
}

/// `; name="value"; other=token` into pairs; quoted strings may escape with a backslash
/// (browsers percent-encode quotes instead, which is kept as sent).
fn disposition_params(raw: &str) -> Result<Vec<(String, String)>, MultipartError> {
    let mut params = Vec::new();
    let mut chars = raw.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ';' || c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || name.is_empty() {
            return Err(MultipartError::BadHeaders);
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(MultipartError::BadHeaders),
                    Some('"') => break,
                    Some('\\') => value.push(chars.next().ok_or(MultipartError::BadHeaders)?),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' || c.is_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        params.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, bytes) in parts {
            out.extend_from_slice(format!("--{B}\r\n").as_bytes());
            match filename {
                Some(f) => out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        out
    }

    fn parse_default(bytes: &[u8]) -> Result<Form<'_>, MultipartError> {
        parse(bytes, B, &Limits::default())
    }

    #[test]
    fn boundaries_are_read_from_the_content_type() {
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={B}")).unwrap(),
            B
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b'c\"").unwrap(),
            "a b'c"
        );
        for bad in [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/mixed; boundary=x",
        ] {
            assert_eq!(boundary(bad), Err(MultipartError::NotMultipart), "{bad}");
        }
        let long = "x".repeat(71);
        for bad in [
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"unclosed",
            "multipart/form-data; boundary=\"trailing \"",
            "multipart/form-data; boundary=semi\u{e9}",
            "multipart/form-data; boundary=a\"b",
        ] {
            assert_eq!(boundary(bad), Err(MultipartError::BadBoundary), "{bad}");
        }
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={long}")),
            Err(MultipartError::BadBoundary)
        );
    }

    #[test]
    fn text_fields_and_a_file_come_out_as_sent() {
        // The file holds what looks like a delimiter without its CRLF, and CRLFs of its own.
        let file: &[u8] = b"\xff\xd8binary\r\n--not-the-boundary\r\n\x00\xff\xd9";
        let bytes = body(&[
            ("title", None, "Mon chat ☀".as_bytes()),
            ("photo", Some("IMG_0001.jpg"), file),
            ("alt", None, b"Un chat roux\r\nsur un mur"),
            ("empty", None, b""),
        ]);
        let form = parse_default(&bytes).unwrap();
        assert_eq!(form.parts.len(), 4);
        assert_eq!(form.text("title"), Some("Mon chat ☀"));
        assert_eq!(form.text("alt"), Some("Un chat roux\r\nsur un mur"));
        assert_eq!(form.text("empty"), Some(""));
        assert_eq!(form.text("photo"), None, "a file is not a text field");
        let photo = form.file("photo").unwrap();
        assert_eq!(photo.body, file);
        assert_eq!(photo.filename.as_deref(), Some("IMG_0001.jpg"));
        assert_eq!(photo.content_type.as_deref(), Some("image/jpeg"));
    }

    #[test]
    fn an_empty_file_input_is_no_file_and_a_preamble_is_skipped() {
        let mut bytes = b"ignored preamble\r\n".to_vec();
        bytes.extend(body(&[("photo", Some(""), b""), ("title", None, b"x")]));
        let form = parse_default(&bytes).unwrap();
        assert!(form.file("photo").is_none());
        assert_eq!(form.text("title"), Some("x"));
    }

    #[test]
    fn quoted_names_with_escapes_and_odd_spacing_are_read() {
        let bytes = format!(
            "--{B}\r\ncontent-disposition:form-data ;  name = \"a\\\"b;c\" ; filename=\"x.png\"\r\n\r\nv\r\n--{B}--"
        );
        let form = parse_default(bytes.as_bytes()).unwrap();
        assert_eq!(form.parts[0].name, "a\"b;c");
        assert_eq!(form.parts[0].filename.as_deref(), Some("x.png"));
        // Transport padding after a delimiter is allowed (RFC 2046).
        let padded =
            format!("--{B} \t\r\nContent-Disposition: form-data; name=t\r\n\r\nv\r\n--{B}--");
        assert_eq!(
            parse_default(padded.as_bytes()).unwrap().text("t"),
            Some("v")
        );
    }

    #[test]
    fn malformed_bodies_are_refused_with_their_reason() {
        let cases: Vec<(String, MultipartError)> = vec![
            (String::new(), MultipartError::NoFirstBoundary),
            ("no boundary at all".into(), MultipartError::NoFirstBoundary),
            (format!("--{B}"), MultipartError::Unterminated),
            (
                format!("--{B}\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue"),
                MultipartError::Unterminated,
            ),
            (
                format!("--{B}\r\nContent-Disposition: form-data; name=\"t\"\r\nno end"),
                MultipartError::Unterminated,
            ),
            (format!("--{B}x\r\n"), MultipartError::BadDelimiter),
            (
                format!("--{B}\nContent-Disposition: form-data; name=t\n\nv\n--{B}--"),
                MultipartError::BadDelimiter,
            ),
            (
                format!("--{B}\r\nContent-Type: text/plain\r\n\r\nv\r\n--{B}--"),
                MultipartError::NoName,
            ),
            (
                format!("--{B}\r\nContent-Disposition: attachment; name=t\r\n\r\nv\r\n--{B}--"),
                MultipartError::NoName,
            ),
            (
                format!("--{B}\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--{B}--"),
                MultipartError::NoName,
            ),
            (
                format!("--{B}\r\nContent-Disposition: form-data; name=\"t\r\n\r\nv\r\n--{B}--"),
                MultipartError::BadHeaders,
            ),
            (
                format!("--{B}\r\nno colon here\r\n\r\nv\r\n--{B}--"),
                MultipartError::BadHeaders,
            ),
            (
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=a\rX: y\r\n\r\nv\r\n--{B}--"
                ),
                MultipartError::BadHeaders,
            ),
            (
                format!(
                    "--{B}\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nv\r\n--{B}--"
                ),
                MultipartError::BadHeaders,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_default(input.as_bytes()), Err(expected), "{input:?}");
        }
        let invalid_utf8_header = [
            format!("--{B}\r\nContent-Disposition: form-data; name=\"").into_bytes(),
            vec![0xff],
            format!("\"\r\n\r\nv\r\n--{B}--").into_bytes(),
        ]
        .concat();
        assert_eq!(
            parse_default(&invalid_utf8_header),
            Err(MultipartError::BadHeaders)
        );
        let invalid_utf8_text = [
            format!("--{B}\r\nContent-Disposition: form-data; name=t\r\n\r\n").into_bytes(),
            vec![0xff],
            format!("\r\n--{B}--").into_bytes(),
        ]
        .concat();
        assert_eq!(
            parse_default(&invalid_utf8_text),
            Err(MultipartError::NotUtf8("t".into()))
        );
    }

    #[test]
    fn limits_on_parts_headers_and_text_hold() {
        let limits = Limits {
            max_parts: 3,
            max_header_bytes: 100,
            max_text_bytes: 10,
        };
        let four: Vec<(&str, Option<&str>, &[u8])> = vec![("a", None, b"1"); 4];
        assert_eq!(
            parse(&body(&four), B, &limits),
            Err(MultipartError::TooManyParts(3))
        );
        assert!(parse(&body(&four[..3]), B, &limits).is_ok());
        let long_text = body(&[("a", None, b"12345678901")]);
        assert_eq!(
            parse(&long_text, B, &limits),
            Err(MultipartError::TextTooLarge {
                name: "a".into(),
                max: 10
            })
        );
        // A file may be larger than a text field.
        assert!(parse(&body(&[("f", Some("x.gif"), b"12345678901")]), B, &limits).is_ok());
        let long_header = format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\nv\r\n--{B}--",
            "n".repeat(200)
        );
        assert_eq!(
            parse(long_header.as_bytes(), B, &limits),
            Err(MultipartError::HeadersTooLarge(100))
        );
    }

    #[test]
    fn hostile_bodies_end_quickly_without_panicking() {
        // Near-delimiters repeated over megabytes: linear time, an error or a form, never a
        // panic. (A naive search would compare each position against the whole needle.)
        let near = format!("\r\n--{}", &B[..B.len() - 1]);
        let mut bytes =
            format!("--{B}\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n")
                .into_bytes();
        while bytes.len() < 4_000_000 {
            bytes.extend_from_slice(near.as_bytes());
        }
        let started = std::time::Instant::now();
        assert_eq!(parse_default(&bytes), Err(MultipartError::Unterminated));
        bytes.extend_from_slice(format!("\r\n--{B}--").as_bytes());
        assert_eq!(parse_default(&bytes).unwrap().parts.len(), 1);
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        // Every prefix of a valid body, and every single byte flipped: no panic.
        let valid = body(&[("t", None, b"v"), ("f", Some("a.jpg"), b"\xff\xd8")]);
        for end in 0..valid.len() {
            let _ = parse_default(&valid[..end]);
        }
        for at in 0..valid.len() {
            for byte in [0u8, b'\r', b'\n', b'-', b'"', 0xff] {
                let mut copy = valid.clone();
                copy[at] = byte;
                let _ = parse_default(&copy);
            }
        }
    }
}
