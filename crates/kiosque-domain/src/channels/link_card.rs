//! Link cards: what a Bluesky post with a link and no image embeds
//! (`app.bsky.embed.external`: the link, a title, a description and a thumbnail blob), read
//! from the linked page's Open Graph tags (`og:title`, `og:description`, `og:image`), falling
//! back to `<title>` and `<meta name="description">`.
//!
//! Which pages are read: the post's link field, else the first link of its text, and only
//!
//! - the library's own pages (under `public_base_url`): read from the application itself by
//!   a Spin *self request* (`http://self.alt/...`, Spin 3.2 and later, allowed by
//!   `http://self`/`https://self` in the scheduler's `allowed_outbound_hosts`), never through
//!   the public address, which may sit behind a proxy the app cannot reach. An `og:image`
//!   that is a medium of the library (`/media/{id}/{kind}.jpg`) is read from the store, its
//!   `social` rendition, as post images are; another image of the app by a self request;
//! - pages of the one outside origin the deployment names in `link_preview_host` (also in
//!   `allowed_outbound_hosts`); any other link gets no card.
//!
//! Everything is bounded: at most [`MAX_PAGE_BYTES`] of a `text/html` page are read, with the
//! scheduler's client timeouts; a thumbnail is a JPEG, PNG, WebP or GIF of at most
//! [`MAX_THUMB_BYTES`] (the lexicon's `maxSize`); the parser is a linear scan of the page's
//! head. A card never fails a post: whatever goes wrong, the post goes without one (or
//! without its thumbnail), and the reason is logged.

use crate::clock::Timestamp;
use crate::ids::MediumId;
use crate::media::RenditionKind;
use crate::social::{HttpClient, HttpRequest, LinkPreviewOrigins, PostContent, PostImage};
use crate::store::KvStore;
use crate::web::Url;

use super::text::{self, SpanKind};

/// The most of a page we read: its head is at the start.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;
/// `app.bsky.embed.external#external.thumb`: a blob of at most 1,000,000 bytes, `image/*`.
pub const MAX_THUMB_BYTES: usize = 1_000_000;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// The authority Spin reads as "this application" on `wasi:http/outgoing-handler` (Spin 3.2
/// and later; `spin` `crates/factor-outbound-http/src/wasi.rs`): the request goes to the
/// app's own listener, whatever the public address. We never send a request without an
/// authority (CVE-2024-32980: before Spin 2.4.3 its target came from the client's `Host`).
pub const SELF_ORIGIN: &str = "http://self.alt";
/// The image types Bluesky shows in a card.
const THUMB_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];
/// The manifest's placeholder for an unset host variable (`https://unused.invalid`).
const UNSET_HOST: &str = "unused.invalid";

/// A card, ready to embed once its thumbnail is uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCard {
    pub uri: String,
    pub title: String,
    pub description: String,
    pub thumb: Option<Thumb>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Thumb {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

impl std::fmt::Debug for Thumb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Thumb({}, {} bytes)", self.media_type, self.bytes.len())
    }
}

impl LinkCard {
    /// The record's `embed`, with the blob `uploadBlob` returned for the thumbnail.
    pub fn embed(&self, thumb: Option<serde_json::Value>) -> serde_json::Value {
        let mut external = serde_json::json!({
            "uri": self.uri,
            "title": self.title,
            "description": self.description,
        });
        if let Some(blob) = thumb {
            external["thumb"] = blob;
        }
        serde_json::json!({"$type": "app.bsky.embed.external", "external": external})
    }
}

/// The origins link cards may read, from the `public_base_url` and `link_preview_host`
/// variables. An outside origin is `https://host[:port]` (plain `http` on loopback only, for
/// tests), with no path; the manifest's placeholder counts as unset.
pub fn origins(
    public_base_url: Option<&str>,
    link_preview_host: Option<&str>,
) -> LinkPreviewOrigins {
    let own = public_base_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .and_then(|u| crate::web::absolute_url(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let outside = link_preview_host
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .and_then(|u| super::ServiceUrl::parse("link_preview_host", u).ok())
        .and_then(|u| crate::web::absolute_url(u.as_str()).ok())
        .filter(|u| u.host_str() != Some(UNSET_HOST) && u.path() == "/");
    LinkPreviewOrigins { own, outside }
}

/// The link a post's card is about: its link field, else the first link of its text.
pub fn card_link(content: &PostContent) -> Option<Url> {
    if let Some(link) = &content.link {
        return crate::web::absolute_url(link.as_str()).ok();
    }
    let text = content.text.as_str();
    text::spans(text)
        .into_iter()
        .find(|span| span.kind == SpanKind::Link)
        .and_then(|span| crate::web::absolute_url(&text[span.start..span.end]).ok())
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The path (and query) of `url` inside the app when it is under `public_base_url`.
fn own_path(url: &Url, origins: &LinkPreviewOrigins) -> Option<String> {
    let own = origins.own.as_ref()?;
    if !same_origin(url, own) {
        return None;
    }
    let base = own.path().trim_end_matches('/');
    let path = url.path().strip_prefix(base)?;
    if !(path.is_empty() || path.starts_with('/')) {
        return None;
    }
    let path = if path.is_empty() { "/" } else { path };
    Some(match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

/// Where to read `url` from: the app itself, the allowed outside origin, or nowhere.
fn readable_address(url: &Url, origins: &LinkPreviewOrigins) -> Option<String> {
    if let Some(path) = own_path(url, origins) {
        return Some(format!("{SELF_ORIGIN}{path}"));
    }
    let outside = origins.outside.as_ref()?;
    if !same_origin(url, outside) {
        return None;
    }
    let mut url = url.clone();
    url.set_fragment(None);
    Some(url.into())
}

/// A medium of the library named by an address of this app (`/media/{id}/{kind}.jpg`).
fn library_medium(url: &Url, origins: &LinkPreviewOrigins) -> Option<MediumId> {
    let path = own_path(url, origins)?;
    let rest = path.strip_prefix("/media/")?;
    let (id, file) = rest.split_once('/')?;
    RenditionKind::from_file_name(file)?;
    MediumId::parse(id).ok()
}

/// How the link-card fetcher names itself: a robot, so the pages it reads (the app's own
/// included) do not count it as a visitor (`analytics::audience::is_robot`), and a site's
/// operator sees who asked.
pub const USER_AGENT: &str = "Kiosque-LinkCard/1.0 (link preview bot)";

/// The card of `content`'s link, or `None` (logged) when it has none: no link, a link the
/// deployment does not let us read, a page that fails or has no title.
pub async fn build(
    store: &dyn KvStore,
    http: &impl HttpClient,
    content: &PostContent,
    now: Timestamp,
) -> Option<LinkCard> {
    let link = card_link(content)?;
    let origins = http.link_preview_origins();
    let Some(address) = readable_address(&link, &origins) else {
        eprintln!("link card: {link} is not under public_base_url or link_preview_host: no card");
        return None;
    };
    let request = HttpRequest::get(address)
        .header("accept", "text/html")
        .header("user-agent", USER_AGENT);
    let response = match http.send_capped(request, MAX_PAGE_BYTES).await {
        Ok(response) => response,
        Err(failure) => {
            eprintln!("link card: {link}: {failure}: no card");
            return None;
        }
    };
    let media_type = media_type(response.header("content-type"));
    if response.status != 200
        || !matches!(media_type.as_str(), "text/html" | "application/xhtml+xml")
    {
        eprintln!(
            "link card: {link} answered {} ({media_type}): no card",
            response.status
        );
        return None;
    }
    let body = &response.body[..response.body.len().min(MAX_PAGE_BYTES)];
    let meta = parse_head(&String::from_utf8_lossy(body));
    let title = meta
        .og_title
        .as_deref()
        .and_then(|t| clean(t, MAX_TITLE_CHARS))
        .or_else(|| {
            meta.title
                .as_deref()
                .and_then(|t| clean(t, MAX_TITLE_CHARS))
        });
    let Some(title) = title else {
        eprintln!("link card: {link} has no title: no card");
        return None;
    };
    let description = meta
        .og_description
        .as_deref()
        .and_then(|d| clean(d, MAX_DESCRIPTION_CHARS))
        .or_else(|| {
            meta.description
                .as_deref()
                .and_then(|d| clean(d, MAX_DESCRIPTION_CHARS))
        })
        .unwrap_or_default();
    let image = meta
        .og_image
        .as_deref()
        .map(|src| decode_entities(src.trim()))
        .and_then(|src| link.join(&src).ok());
    let thumb = match image {
        Some(image) => thumb(store, http, &image, &origins, now).await,
        None => None,
    };
    Some(LinkCard {
        uri: link.into(),
        title,
        description,
        thumb,
    })
}

/// The lower-case media type of a `Content-Type` header, without parameters.
fn media_type(header: Option<&str>) -> String {
    header
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The card's thumbnail: a medium's `social` rendition from the store, or an image of the app
/// or of the allowed origin, checked for type and size. `None` (logged) otherwise.
async fn thumb(
    store: &dyn KvStore,
    http: &impl HttpClient,
    image: &Url,
    origins: &LinkPreviewOrigins,
    now: Timestamp,
) -> Option<Thumb> {
    let (bytes, media_type) = if let Some(id) = library_medium(image, origins) {
        let medium = PostImage::from_medium(id, String::new());
        match super::fetch_image(store, http, 0, &medium, now).await {
            Ok(found) => found,
            Err(outcome) => {
                eprintln!("link card: image {image}: {outcome:?}: no thumbnail");
                return None;
            }
        }
    } else {
        let Some(address) = readable_address(image, origins) else {
            eprintln!("link card: image {image} is not readable here: no thumbnail");
            return None;
        };
        let request = HttpRequest::get(address)
            .header("accept", THUMB_TYPES.join(", "))
            .header("user-agent", USER_AGENT);
        match http.send_capped(request, MAX_THUMB_BYTES).await {
            Ok(response) if response.status == 200 => {
                let media_type = media_type(response.header("content-type"));
                (response.body, media_type)
            }
            Ok(response) => {
                eprintln!(
                    "link card: image {image} answered {}: no thumbnail",
                    response.status
                );
                return None;
            }
            Err(failure) => {
                eprintln!("link card: image {image}: {failure}: no thumbnail");
                return None;
            }
        }
    };
    if !THUMB_TYPES.contains(&media_type.as_str())
        || bytes.is_empty()
        || bytes.len() > MAX_THUMB_BYTES
    {
        eprintln!(
            "link card: image {image}: {media_type}, {} bytes: no thumbnail",
            bytes.len()
        );
        return None;
    }
    Some(Thumb { bytes, media_type })
}

/// What a page's head says about it, raw (entities not decoded yet): the first of each.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PageMeta {
    pub og_title: Option<String>,
    pub og_description: Option<String>,
    pub og_image: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Attributes read per tag; the rest of a tag is skipped.
const MAX_ATTRIBUTES: usize = 16;

/// Reads the `<meta>` tags and the `<title>` of a page up to `</head>` or `<body>`, in one
/// linear pass: comments, scripts and styles are skipped, attributes come in any order with
/// either quote style or none. Never panics, whatever the input: every index it slices at is
/// the position of an ASCII byte or the end.
pub fn parse_head(html: &str) -> PageMeta {
    // ASCII lower-casing keeps every byte offset, so positions found in `lower` slice `html`.
    let lower = html.to_ascii_lowercase();
    let mut meta = PageMeta::default();
    let mut i = 0;
    while let Some(offset) = lower[i..].find('<') {
        let start = i + offset;
        let rest = &lower[start + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            match comment.find("-->") {
                Some(end) => {
                    i = start + 1 + 3 + end + 3;
                    continue;
                }
                None => break,
            }
        }
        let name_len = rest
            .bytes()
            .enumerate()
            .take_while(|(n, b)| b.is_ascii_alphanumeric() || (*n == 0 && *b == b'/'))
            .count();
        let name = &rest[..name_len];
        let after_name = start + 1 + name_len;
        match name {
            "meta" => {
                let (attributes, end) = attributes(html, after_name);
                record_meta(&mut meta, &attributes);
                i = end;
            }
            "title" => {
                let (_, open_end) = attributes(html, after_name);
                let Some(close) = lower[open_end..].find("</title") else {
                    break;
                };
                if meta.title.is_none() {
                    meta.title = Some(html[open_end..open_end + close].to_owned());
                }
                i = open_end + close + "</title".len();
            }
            "script" | "style" | "noscript" | "template" | "textarea" => {
                let (_, open_end) = attributes(html, after_name);
                let closing = format!("</{name}");
                match lower[open_end..].find(&closing) {
                    Some(close) => i = open_end + close + closing.len(),
                    None => break,
                }
            }
            "/head" | "body" => break,
            _ => i = start + 1,
        }
        if i >= lower.len() {
            break;
        }
    }
    meta
}

fn record_meta(meta: &mut PageMeta, attributes: &[(String, String)]) {
    let value = |name: &str| {
        attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(content) = value("content") else {
        return;
    };
    let key = value("property")
        .or_else(|| value("name"))
        .map(|k| k.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let slot = match key.as_str() {
        "og:title" => &mut meta.og_title,
        "og:description" => &mut meta.og_description,
        "og:image" | "og:image:url" => &mut meta.og_image,
        "description" => &mut meta.description,
        _ => return,
    };
    if slot.is_none() {
        *slot = Some(content.to_owned());
    }
}

/// The attributes of a tag whose name ends at `p`, names lower-cased, and the position after
/// its `>` (or the end of the text).
fn attributes(html: &str, mut p: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut found = Vec::new();
    loop {
        while p < len && (bytes[p].is_ascii_whitespace() || bytes[p] == b'/') {
            p += 1;
        }
        if p >= len {
            return (found, len);
        }
        if bytes[p] == b'>' {
            return (found, p + 1);
        }
        let name_start = p;
        while p < len && !bytes[p].is_ascii_whitespace() && !matches!(bytes[p], b'=' | b'>' | b'/')
        {
            p += 1;
        }
        if p == name_start {
            // A stray `=`: skip it.
            p += 1;
            continue;
        }
        let name = html[name_start..p].to_ascii_lowercase();
        while p < len && bytes[p].is_ascii_whitespace() {
            p += 1;
        }
        let mut value = String::new();
        if p < len && bytes[p] == b'=' {
            p += 1;
            while p < len && bytes[p].is_ascii_whitespace() {
                p += 1;
            }
            if p < len && matches!(bytes[p], b'"' | b'\'') {
                let quote = bytes[p];
                let value_start = p + 1;
                let end = bytes[value_start..]
                    .iter()
                    .position(|b| *b == quote)
                    .map_or(len, |n| value_start + n);
                value = html[value_start..end].to_owned();
                p = (end + 1).min(len);
            } else {
                let value_start = p;
                while p < len && !bytes[p].is_ascii_whitespace() && bytes[p] != b'>' {
                    p += 1;
                }
                value = html[value_start..p].to_owned();
            }
        }
        if found.len() < MAX_ATTRIBUTES {
            found.push((name, value));
        }
    }
}

/// Decodes the character references a page's text and attributes use: the XML five,
/// `&nbsp;`, and numeric ones (`&#39;`, `&#x2019;`). Others stay as they are; a number that
/// is no character becomes U+FFFD.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // The longest reference we decode, `&#x10FFFF;`, is 10 bytes.
        let end = rest.bytes().take(12).position(|b| b == b';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let value = match number.strip_prefix(['x', 'X']) {
                        Some(hex) if !hex.is_empty() && hex.len() <= 6 => {
                            u32::from_str_radix(hex, 16).ok()?
                        }
                        None if !number.is_empty() && number.len() <= 7 => number.parse().ok()?,
                        _ => return None,
                    };
                    char::from_u32(value)
                        .filter(|c| *c != '\0')
                        .unwrap_or('\u{fffd}')
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A title or description as the card shows it: entities decoded, control characters and
/// runs of white space made one space, trimmed, at most `max_chars` characters (cut with
/// `…`); `None` when nothing is left.
pub fn clean(raw: &str, max_chars: usize) -> Option<String> {
    let decoded = decode_entities(raw);
    let words: Vec<&str> = decoded
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let text = words.join(" ");
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= max_chars {
        return Some(text);
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::social::testing::{ScriptedHttp, raw};
    use crate::social::{HttpFailure, HttpResponse, block_on};
    use crate::store::MemoryStore;

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_795_000_000).unwrap()
    }

    /// The scripted double, with the origins a deployment gives.
    struct Deployed<'a> {
        http: &'a ScriptedHttp,
        origins: LinkPreviewOrigins,
    }

    impl HttpClient for Deployed<'_> {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpFailure> {
            self.http.send(request).await
        }

        fn link_preview_origins(&self) -> LinkPreviewOrigins {
            self.origins.clone()
        }
    }

    fn deployed<'a>(http: &'a ScriptedHttp, outside: Option<&str>) -> Deployed<'a> {
        Deployed {
            http,
            origins: origins(Some("https://bib.example"), outside),
        }
    }

    fn post(text: &str) -> PostContent {
        PostContent {
            text: text.into(),
            ..PostContent::default()
        }
    }

    const PAGE: &str = r#"<!DOCTYPE html><html lang="fr"><head>
        <meta charset="utf-8"><title>Titre de secours</title>
        <meta content="Nos coups de c&oelig;ur &amp; d&#39;autres" property='og:description'>
        <meta property=og:title content="L&#x2019;expo « Jules Verne »">
        <meta name="description" content="Description de secours">
        <meta property="og:image" content="/media/abcdefghij234567abcd/page.jpg">
        </head><body><meta property="og:title" content="dans le corps"></body></html>"#;

    fn html(status: u16, body: &str) -> crate::social::testing::ScriptedAnswer {
        raw(
            status,
            &[("content-type", "text/html; charset=utf-8")],
            body.as_bytes(),
        )
    }

    #[test]
    fn reads_open_graph_in_any_attribute_order_and_quote_style() {
        let meta = parse_head(PAGE);
        assert_eq!(
            meta.og_title.as_deref(),
            Some("L&#x2019;expo « Jules Verne »")
        );
        assert_eq!(
            clean(meta.og_title.as_deref().unwrap(), MAX_TITLE_CHARS).unwrap(),
            "L\u{2019}expo « Jules Verne »"
        );
        assert_eq!(
            clean(meta.og_description.as_deref().unwrap(), 1000).unwrap(),
            "Nos coups de c&oelig;ur & d'autres",
            "unknown entities stay as written"
        );
        assert_eq!(meta.title.as_deref(), Some("Titre de secours"));
        assert_eq!(meta.description.as_deref(), Some("Description de secours"));
        assert_eq!(
            meta.og_image.as_deref(),
            Some("/media/abcdefghij234567abcd/page.jpg")
        );
    }

    #[test]
    fn falls_back_to_the_title_and_the_description() {
        let meta = parse_head(
            "<html><head><!-- <meta property=\"og:title\" content=\"commented out\"> -->\
             <script>document.write('<meta property=\"og:title\" content=\"scripted\">')</script>\
             <TITLE>\n  La   médiathèque\t</TITLE><META NAME=Description CONTENT=\"Horaires\"></head>",
        );
        assert_eq!(meta.og_title, None);
        assert_eq!(
            clean(meta.title.as_deref().unwrap(), MAX_TITLE_CHARS).as_deref(),
            Some("La médiathèque")
        );
        assert_eq!(meta.description.as_deref(), Some("Horaires"));
    }

    #[test]
    fn titles_and_descriptions_are_bounded() {
        let long = "é".repeat(2000);
        let title = clean(&long, MAX_TITLE_CHARS).unwrap();
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS);
        assert!(title.ends_with('…'));
        let description = clean(&format!("  {long} "), MAX_DESCRIPTION_CHARS).unwrap();
        assert_eq!(description.chars().count(), MAX_DESCRIPTION_CHARS);
        assert_eq!(clean(" \n\t&nbsp; ", 10), None, "only white space");
        assert_eq!(clean("a\u{0}b\u{7}c", 10).as_deref(), Some("a b c"));
    }

    #[test]
    fn character_references() {
        assert_eq!(
            decode_entities("&lt;b&gt; &quot;x&quot; &apos;"),
            "<b> \"x\" '"
        );
        assert_eq!(decode_entities("&#233;&#xE9;&#XE9;"), "ééé");
        assert_eq!(
            decode_entities("&#xD800;&#0;&#99999999;"),
            "\u{fffd}\u{fffd}&#99999999;"
        );
        assert_eq!(decode_entities("&#x110000;"), "\u{fffd}");
        assert_eq!(decode_entities("a & b &; &# &#x; &"), "a & b &; &# &#x; &");
        assert_eq!(decode_entities("&ampère"), "&ampère", "no semicolon");
    }

    #[test]
    fn hostile_html_never_panics() {
        let cases = [
            "<",
            "<meta",
            "<meta property=\"og:title\" content=\"unterminated",
            "<meta property='og:title' content='a'",
            "<meta ====== >",
            "<meta property=og:title content=>",
            "<title>never closed",
            "<!-- never closed <meta property=\"og:title\" content=\"x\">",
            "<script>never closed",
            "<<<<>>>><meta/><meta//property=og:image content=é/>",
            "<é<ü<meta property=\"og:title\" content=\"ü\"\u{0}>",
            "&#x;&#;&&&&#xFFFFFFFFFFFF;",
            "<title></title><title>second</title>",
            "<meta property=\"og:title\" content=\"📚\" property=\"x\" a b c d e f g h i j k l m n o p q>",
        ];
        for case in cases {
            let meta = parse_head(case);
            for value in [
                &meta.og_title,
                &meta.og_description,
                &meta.og_image,
                &meta.title,
            ]
            .into_iter()
            .flatten()
            {
                let _ = clean(value, MAX_TITLE_CHARS);
            }
        }
        assert_eq!(
            parse_head("<meta property='og:title' content='a'")
                .og_title
                .as_deref(),
            Some("a")
        );
        assert_eq!(
            parse_head("<title></title><title>second</title>")
                .title
                .as_deref(),
            Some("")
        );
        assert_eq!(
            parse_head("<meta property=\"og:title\" content=\"📚\" property=\"x\">")
                .og_title
                .as_deref(),
            Some("📚"),
            "the first of a repeated attribute"
        );
        // Every prefix of a real page, cut anywhere (even inside a character), parses.
        let page = PAGE.as_bytes();
        for cut in 0..page.len() {
            parse_head(&String::from_utf8_lossy(&page[..cut]));
        }
        // A pseudo-random soup of markup pieces and multi-byte characters.
        let pieces = [
            "<", ">", "meta", " ", "=", "\"", "'", "é", "📚", "<!--", "-->", "title", "/", "&#",
            ";", "script", "og:title", "content",
        ];
        let mut seed: u32 = 12345;
        for _ in 0..300 {
            let mut soup = String::new();
            for _ in 0..60 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                soup.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            }
            let meta = parse_head(&soup);
            if let Some(title) = meta.og_title.or(meta.title) {
                let _ = clean(&title, MAX_TITLE_CHARS);
            }
        }
    }

    #[test]
    fn a_big_page_is_read_in_linear_time() {
        let page = format!(
            "<head>{}<title>fin</title>",
            "<meta a=b>".repeat(MAX_PAGE_BYTES / 10)
        );
        let started = std::time::Instant::now();
        assert_eq!(parse_head(&page).title.as_deref(), Some("fin"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_variables_give_the_origins() {
        let o = origins(
            Some("https://bib.example/"),
            Some("https://www.bib.example"),
        );
        assert_eq!(o.own.unwrap().as_str(), "https://bib.example/");
        assert_eq!(o.outside.unwrap().as_str(), "https://www.bib.example/");
        let unset = origins(None, Some("https://unused.invalid"));
        assert_eq!(unset, LinkPreviewOrigins::default());
        for refused in [
            "http://www.bib.example",
            "https://bib.example/path",
            "ftp://x",
            "*",
        ] {
            assert_eq!(origins(None, Some(refused)).outside, None, "{refused}");
        }
        assert!(
            origins(None, Some("http://127.0.0.1:8080"))
                .outside
                .is_some()
        );
    }

    #[test]
    fn the_link_field_wins_over_the_text() {
        let mut content = post("Voir https://a.example/x, puis https://b.example/y");
        assert_eq!(card_link(&content).unwrap().as_str(), "https://a.example/x");
        content.link =
            Some(crate::web::HttpsUrl::parse("link", "https://c.example/z", 500).unwrap());
        assert_eq!(card_link(&content).unwrap().as_str(), "https://c.example/z");
        assert_eq!(card_link(&post("Pas de lien")), None);
    }

    #[test]
    fn an_own_page_is_read_from_the_app_and_its_medium_from_the_store() {
        let store = MemoryStore::new();
        let social = crate::media::testing::jpeg(RenditionKind::Social);
        let medium = crate::media::testing::medium(&store, &MediumId::generate([9; 10]), 10, 10);
        let page = PAGE.replace("abcdefghij234567abcd", medium.as_str());
        let http = ScriptedHttp::new();
        http.on("GET", "http://self.alt/showcases/expo", html(200, &page));
        let content = post("L'expo est ouverte ! https://bib.example/showcases/expo?lang=fr#haut");
        store.reset_ops();
        let card = block_on(build(&store, &deployed(&http, None), &content, now())).unwrap();
        let ops = store.ops();
        assert_eq!(
            (ops.total(), ops.get),
            (2, 2),
            "the medium and its one chunk, nothing written"
        );
        assert_eq!(card.uri, "https://bib.example/showcases/expo?lang=fr#haut");
        assert_eq!(card.title, "L\u{2019}expo « Jules Verne »");
        assert_eq!(card.description, "Nos coups de c&oelig;ur & d'autres");
        let thumb = card.thumb.as_ref().unwrap();
        assert_eq!(
            (thumb.bytes.as_slice(), thumb.media_type.as_str()),
            (social.as_slice(), "image/jpeg")
        );
        let requests = http.requests();
        assert_eq!(
            requests.len(),
            1,
            "the page only: the image came from the store"
        );
        assert_eq!(requests[0].url, "http://self.alt/showcases/expo?lang=fr");
        let embed = card.embed(Some(serde_json::json!({"$type": "blob"})));
        assert_eq!(embed["$type"], "app.bsky.embed.external");
        assert_eq!(embed["external"]["thumb"]["$type"], "blob");
    }

    #[test]
    fn another_image_of_the_app_is_read_from_the_app_and_checked() {
        let store = MemoryStore::new();
        let page = "<head><title>Sondage</title>\
            <meta property=\"og:image\" content=\"https://bib.example/static/img/share-card.png\">";
        let http = ScriptedHttp::new();
        http.on("GET", "http://self.alt/polls/p1", html(200, page));
        http.on(
            "GET",
            "http://self.alt/static/img/share-card.png",
            raw(200, &[("content-type", "image/png")], b"\x89PNG..."),
        );
        let content = post("Votez : https://bib.example/polls/p1");
        let card = block_on(build(&store, &deployed(&http, None), &content, now())).unwrap();
        assert_eq!(card.title, "Sondage");
        assert_eq!(card.description, "");
        assert_eq!(card.thumb.unwrap().media_type, "image/png");

        // Not an image type Bluesky shows, or too large: the card goes without a thumbnail.
        for (media_type, size) in [
            ("image/svg+xml", 10),
            ("text/html", 10),
            ("image/png", MAX_THUMB_BYTES + 1),
        ] {
            http.clear("GET", "http://self.alt/static/img/share-card.png");
            http.on(
                "GET",
                "http://self.alt/static/img/share-card.png",
                raw(200, &[("content-type", media_type)], &vec![1; size]),
            );
            let card = block_on(build(&store, &deployed(&http, None), &content, now())).unwrap();
            assert_eq!(card.thumb, None, "{media_type} {size}");
        }
    }

    #[test]
    fn no_card_when_the_page_fails() {
        let store = MemoryStore::new();
        let content = post("https://bib.example/events/e1");
        let failures = [
            html(500, PAGE),
            html(404, PAGE),
            html(301, ""),
            raw(200, &[("content-type", "application/json")], b"{}"),
            html(200, "<html><head></head><body>no title</body>"),
            Err(HttpFailure::Timeout),
            Err(HttpFailure::Denied("self".into())),
        ];
        for answer in failures {
            let http = ScriptedHttp::new();
            http.on("GET", "http://self.alt/events/e1", answer.clone());
            let card = block_on(build(&store, &deployed(&http, None), &content, now()));
            assert_eq!(card, None, "{answer:?}");
        }
    }

    #[test]
    fn outside_links_only_from_the_allowed_origin() {
        let store = MemoryStore::new();
        let http = ScriptedHttp::new();
        http.on(
            "GET",
            "https://www.bib.example/agenda",
            html(
                200,
                "<title>Agenda</title><meta property=og:image content=https://cdn.example/x.jpg>",
            ),
        );
        let content = post("https://www.bib.example/agenda");

        // Not allowed (the default): nothing is fetched.
        assert_eq!(
            block_on(build(&store, &deployed(&http, None), &content, now())),
            None
        );
        assert_eq!(
            block_on(build(&store, &http, &content, now())),
            None,
            "no origins at all"
        );
        assert!(http.requests().is_empty());

        // Allowed: the page is read; its image elsewhere is not.
        let allowed = deployed(&http, Some("https://www.bib.example"));
        let card = block_on(build(&store, &allowed, &content, now())).unwrap();
        assert_eq!(card.title, "Agenda");
        assert_eq!(card.thumb, None);
        assert_eq!(http.requests().len(), 1);
        assert_eq!(http.requests()[0].url, "https://www.bib.example/agenda");

        // Another site, or the allowed host over another scheme or port: no card.
        for other in [
            "https://evil.example/agenda",
            "https://www.bib.example:8443/agenda",
            "http://www.bib.example/agenda",
        ] {
            assert_eq!(
                block_on(build(&store, &allowed, &post(other), now())),
                None,
                "{other}"
            );
        }
        assert_eq!(http.requests().len(), 1);
    }

    #[test]
    fn a_page_is_read_capped() {
        let store = MemoryStore::new();
        let http = ScriptedHttp::new();
        // The title comes after the cap: it is not read.
        let page = format!(
            "<head>{}<title>trop loin</title>",
            " ".repeat(MAX_PAGE_BYTES)
        );
        http.on("GET", "http://self.alt/x", html(200, &page));
        assert_eq!(
            block_on(build(
                &store,
                &deployed(&http, None),
                &post("https://bib.example/x"),
                now()
            )),
            None
        );
    }
}
