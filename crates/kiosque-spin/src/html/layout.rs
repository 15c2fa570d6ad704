//! The layout shared by every public page: accessible skeleton (skip link, landmarks), the
//! stylesheet, canonical and language links, Open Graph card and schema.org JSON-LD.

use spin_sdk::http::Request;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::json_ld;

use crate::config;
use crate::lang::Lang;

/// What a page needs to know about the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageContext {
    pub lang: Lang,
    /// The visitor chose the language with `?lang=`: internal links carry it along.
    pub lang_explicit: bool,
    /// Scheme and authority of the public site, without trailing slash; empty when unknown.
    pub base_url: String,
    /// The page's path without query; empty for pages that have no address of their own
    /// (error pages).
    pub path: String,
    pub library_name: String,
    /// The library's picture for shared links, when configured ([`ShareImage::configured`]).
    pub share_image: Option<ShareImage>,
}

impl PageContext {
    pub fn from_request(req: &Request) -> Self {
        let (lang, lang_explicit) = Lang::negotiate(req);
        PageContext {
            lang,
            lang_explicit,
            base_url: base_url(req),
            path: req.path().to_owned(),
            library_name: config::library_name(),
            share_image: ShareImage::configured(),
        }
    }

    /// For error pages rendered without the request: French, no canonical address.
    pub fn without_request() -> Self {
        PageContext {
            lang: Lang::Fr,
            lang_explicit: false,
            base_url: String::new(),
            path: String::new(),
            library_name: config::library_name(),
            share_image: ShareImage::configured(),
        }
    }

    pub fn t<'a>(&self, fr: &'a str, en: &'a str) -> &'a str {
        self.lang.t(fr, en)
    }

    /// The absolute URL of a site path, e.g. for Open Graph and API answers.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An internal link that keeps a language the visitor chose explicitly.
    pub fn link(&self, path: &str) -> String {
        if self.lang_explicit {
            with_lang(path, self.lang)
        } else {
            path.to_owned()
        }
    }

    /// French pages are canonical at their bare path (crawlers send no `Accept-Language`),
    /// English ones at `?lang=en`.
    pub fn canonical_url(&self) -> String {
        self.lang_url(self.lang)
    }

    fn lang_url(&self, lang: Lang) -> String {
        match lang {
            Lang::Fr => self.absolute(&self.path),
            Lang::En => self.absolute(&with_lang(&self.path, Lang::En)),
        }
    }
}

/// `path` with `lang=` added to its query, before any `#fragment` (after it, the browser
/// would take it for part of the fragment and drop the language).
fn with_lang(path: &str, lang: Lang) -> String {
    let (path, fragment) = match path.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (path, None),
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    match fragment {
        Some(fragment) => format!("{path}{separator}lang={}#{fragment}", lang.code()),
        None => format!("{path}{separator}lang={}", lang.code()),
    }
}

/// The public origin: the `public_base_url` variable when set, else the scheme and authority
/// of the URL Spin reports for this request (`spin-full-url`), else the `host` header.
pub fn base_url(req: &Request) -> String {
    if let Some(configured) = config::public_base_url() {
        return configured;
    }
    let header = |name: &str| req.header(name).and_then(|v| v.as_str());
    header("spin-full-url")
        .and_then(origin)
        .or_else(|| origin(req.uri()))
        .or_else(|| header("host").and_then(host_origin))
        .unwrap_or_default()
}

/// `https://host:port` of an absolute http(s) URL, read as a request URI by the `http` crate
/// (which spin-sdk already uses for every request); `None` for anything else, a user part,
/// or a host name the DNS could not hold.
fn origin(url: &str) -> Option<String> {
    let uri = url.trim().parse::<http::Uri>().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    let host = authority.host();
    let sane_host = !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        });
    let web = matches!(scheme.as_str(), "http" | "https");
    (web && sane_host && !authority.as_str().contains('@')).then(|| {
        let host = host.to_ascii_lowercase();
        match authority.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }
    })
}

/// The origin of a `Host` header (`host[:port]` and nothing else), over plain http.
fn host_origin(authority: &str) -> Option<String> {
    if authority.is_empty() || authority.contains(['/', '\\', '@', '?', '#']) {
        return None;
    }
    origin(&format!("http://{authority}"))
}

/// What a page says about itself in `<head>`.
#[derive(Debug, Clone, PartialEq)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// Open Graph type: `website`, `article`...
    pub og_type: &'static str,
    /// The page's own picture for shared links; `None` shows the library's
    /// ([`PageContext::share_image`], else [`ShareImage::shipped`]), so every link shared on a
    /// network gets a card with a picture.
    pub og_image: Option<ShareImage>,
    pub json_ld: Option<serde_json::Value>,
    /// `false` adds `noindex` (error pages).
    pub indexable: bool,
    /// Versions of this page's content in each language at their own addresses, as
    /// `(BCP 47 code, absolute URL)`, the first being `x-default` (a tutorial and its
    /// translation). When given, they replace the `?lang=` alternates and the canonical URL is
    /// the bare path: the content's language is the page's, whatever the interface language.
    pub alternates: Vec<(&'static str, String)>,
    /// Feeds that mirror the page, announced in `<head>` for feed readers to discover:
    /// `(media type, title, site path or absolute URL)`.
    pub feeds: Vec<(&'static str, String, String)>,
}

/// The picture a link to a page shows on a social network (Open Graph, and the large card of
/// X and the networks that read its tags), with the alt text that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareImage {
    /// Absolute URL, or a site path made absolute with the base URL.
    pub url: String,
    pub alt: String,
    /// Width and height in pixels, when known (they let a network lay the card out before
    /// fetching the picture).
    pub size: Option<(u32, u32)>,
}

/// Drawn by `scripts/draw-share-card.py`: book spines on shelves, 1200 x 630 as Open Graph
/// recommends.
const LIBRARY_SHARE_IMAGE: &str = "/static/img/share-card.png";

impl ShareImage {
    pub fn new(url: impl Into<String>, alt: impl Into<String>) -> Self {
        ShareImage {
            url: url.into(),
            alt: alt.into(),
            size: None,
        }
    }

    /// An image placed on a page with its own alt text (showcases, events, the home page).
    /// A medium of the library gives its `social` rendition (a site path), without a size.
    pub fn placed(placement: &kiosque_domain::showcases::model::Placement) -> Self {
        let (url, size) = placement.image.share();
        ShareImage {
            url,
            alt: placement.alt.clone(),
            size,
        }
    }

    /// The library's own picture, when the `share_image_url` variable names one (an address
    /// of the media library's social rendition, or any https image), with `share_image_alt`.
    pub fn configured() -> Option<Self> {
        config::variable("share_image_url").map(|url| {
            ShareImage::new(
                url.trim(),
                config::variable("share_image_alt").unwrap_or_default(),
            )
        })
    }

    /// The picture Kiosque ships, for a library that has not chosen its own.
    pub fn shipped(lang: Lang) -> Self {
        ShareImage {
            url: LIBRARY_SHARE_IMAGE.to_owned(),
            alt: lang
                .t(
                    "Des livres de toutes les couleurs alignés sur deux étagères",
                    "Books of every colour lined up on two shelves",
                )
                .to_owned(),
            size: Some((1200, 630)),
        }
    }
}

impl Default for PageMeta {
    fn default() -> Self {
        PageMeta {
            title: String::new(),
            description: String::new(),
            og_type: "website",
            og_image: None,
            json_ld: None,
            indexable: true,
            alternates: Vec::new(),
            feeds: Vec::new(),
        }
    }
}

/// The full HTML document around `body`: the one place the `<head>` of a public page is
/// written (canonical and language links, Open Graph card, feeds, JSON-LD).
pub fn page(ctx: &PageContext, meta: &PageMeta, body: Markup) -> String {
    let lang = ctx.lang;
    let site = ctx.library_name.as_str();
    let title = if meta.title.is_empty() || meta.title == ctx.library_name {
        site.to_owned()
    } else {
        format!("{} · {site}", meta.title)
    };
    let og_title = if meta.title.is_empty() {
        site
    } else {
        meta.title.as_str()
    };
    let has_address = !ctx.path.is_empty() && !ctx.base_url.is_empty();
    let absolute = |href: &str| {
        if href.starts_with('/') {
            ctx.absolute(href)
        } else {
            href.to_owned()
        }
    };
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                meta name="description" content=(meta.description);
                link rel="stylesheet" href="/static/css/kiosque.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                @if !meta.indexable {
                    meta name="robots" content="noindex";
                }
                @if has_address && !meta.alternates.is_empty() {
                    @let canonical = ctx.absolute(&ctx.path);
                    link rel="canonical" href=(canonical);
                    @for (code, url) in &meta.alternates {
                        link rel="alternate" hreflang=(code) href=(url);
                    }
                    link rel="alternate" hreflang="x-default" href=(meta.alternates[0].1);
                    meta property="og:url" content=(canonical);
                } @else if has_address {
                    @let canonical = ctx.canonical_url();
                    @let fr = ctx.lang_url(Lang::Fr);
                    link rel="canonical" href=(canonical);
                    link rel="alternate" hreflang="fr" href=(fr);
                    link rel="alternate" hreflang="en" href=(ctx.lang_url(Lang::En));
                    link rel="alternate" hreflang="x-default" href=(fr);
                    meta property="og:url" content=(canonical);
                }
                meta property="og:title" content=(og_title);
                meta property="og:description" content=(meta.description);
                meta property="og:type" content=(meta.og_type);
                meta property="og:locale" content=(lang.og_locale());
                meta property="og:locale:alternate" content=(other.og_locale());
                meta property="og:site_name" content=(site);
                @let image = meta
                    .og_image
                    .clone()
                    .or_else(|| ctx.share_image.clone())
                    .unwrap_or_else(|| ShareImage::shipped(lang));
                meta property="og:image" content=(absolute(&image.url));
                @if let Some((width, height)) = image.size {
                    meta property="og:image:width" content=(width);
                    meta property="og:image:height" content=(height);
                }
                @if !image.alt.is_empty() {
                    meta property="og:image:alt" content=(image.alt);
                    meta name="twitter:image:alt" content=(image.alt);
                }
                meta name="twitter:card" content="summary_large_image";
                @for (media_type, feed_title, href) in &meta.feeds {
                    link rel="alternate" type=(media_type) title=(feed_title) href=(absolute(href));
                }
                @if let Some(data) = &meta.json_ld {
                    script type="application/ld+json" { (PreEscaped(json_ld(data))) }
                }
            }
            body {
                a.skip-link href="#contenu" { (lang.t("Aller au contenu", "Skip to content")) }
                header.site-header role="banner" {
                    p.site-name { a href=(ctx.link("/")) { (site) } }
                }
                main #contenu tabindex="-1" { (body) }
                footer.site-footer role="contentinfo" {
                    @if !ctx.path.is_empty() {
                        p {
                            a href=(with_lang(&ctx.path, other)) hreflang=(other.code())
                                lang=(other.code()) {
                                (other.t("Version française", "English version"))
                            }
                        }
                    }
                    (legal_links(ctx))
                    p { (site) }
                }
            }
        }
    }
    .into_string()
}

/// The site pages every public page links (the showcases component serves them, staff edit
/// them): the privacy notice with each cookie, the accessibility statement French public
/// bodies must publish, the legal notice.
fn legal_links(ctx: &PageContext) -> Markup {
    let links = [
        (
            "/confidentialite",
            ctx.t("Données personnelles et cookies", "Privacy and cookies"),
        ),
        (
            "/accessibilite",
            ctx.t(
                "Accessibilité : partiellement conforme",
                "Accessibility: partially compliant",
            ),
        ),
        (
            "/mentions-legales",
            ctx.t("Mentions légales", "Legal notice"),
        ),
    ];
    html! {
        nav aria-label=(ctx.t("Informations légales", "Legal information")) {
            ul.footer-links {
                @for (path, label) in links {
                    li { a href=(ctx.link(path)) { (label) } }
                }
            }
        }
    }
}

/// A bare document for pages shown inside other sites' iframes: the stylesheet and the
/// content, without the site header, footer or language switch (the framing page has its
/// own), and not indexed (the full page is the canonical one).
pub fn embed_page(ctx: &PageContext, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                meta name="robots" content="noindex";
                link rel="stylesheet" href="/static/css/kiosque.css";
            }
            body.embed {
                main #contenu { (body) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(lang: Lang, explicit: bool) -> PageContext {
        PageContext {
            lang,
            lang_explicit: explicit,
            base_url: "https://bib.example".into(),
            path: "/polls/abc".into(),
            library_name: "Médiathèque <Jules Verne>".into(),
            share_image: None,
        }
    }

    #[test]
    fn origins_come_only_from_sane_absolute_urls() {
        assert_eq!(
            origin("https://bib.example:8443/polls/x?lang=en").as_deref(),
            Some("https://bib.example:8443")
        );
        assert_eq!(
            origin("http://127.0.0.1:3000").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin("/polls/x"), None);
        assert_eq!(origin("ftp://bib.example/"), None);
        assert_eq!(origin("https://bad\"host/"), None);
        assert_eq!(origin("https://user@bib.example/"), None);
        assert_eq!(
            origin("HTTPS://Bib.Example:8443/x").as_deref(),
            Some("https://bib.example:8443")
        );
        assert_eq!(
            origin("http://[::1]:3000/").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(
            host_origin("localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(host_origin("evil.example/x"), None);
        assert_eq!(host_origin("a@evil.example"), None);
    }

    #[test]
    fn links_keep_an_explicit_language() {
        assert_eq!(
            ctx(Lang::En, true).link("/polls/abc/results"),
            "/polls/abc/results?lang=en"
        );
        assert_eq!(ctx(Lang::En, false).link("/"), "/");
        assert_eq!(ctx(Lang::Fr, true).link("/a?x=1"), "/a?x=1&lang=fr");
        assert_eq!(
            ctx(Lang::En, true).link("/campaigns/x?page=2#mur"),
            "/campaigns/x?page=2&lang=en#mur"
        );
        assert_eq!(
            ctx(Lang::Fr, false).canonical_url(),
            "https://bib.example/polls/abc"
        );
        assert_eq!(
            ctx(Lang::En, false).canonical_url(),
            "https://bib.example/polls/abc?lang=en"
        );
    }

    #[test]
    fn page_has_the_accessible_skeleton_and_social_card() {
        let meta = PageMeta {
            title: "Quel \"livre\" ?".into(),
            description: "Votez".into(),
            og_image: Some(ShareImage::new(
                "/static/img/card.png",
                "Une \"carte\" de lecteur",
            )),
            json_ld: Some(serde_json::json!({"@type": "Question", "name": "</script>"})),
            feeds: vec![(
                "application/rss+xml",
                "Nouveautés & co".into(),
                "/feeds/x.rss".into(),
            )],
            ..PageMeta::default()
        };
        let html = page(&ctx(Lang::Fr, false), &meta, html! { h1 { "Q" } });
        for expected in [
            "<!DOCTYPE html>",
            "<html lang=\"fr\">",
            "<title>Quel &quot;livre&quot; ? · Médiathèque &lt;Jules Verne&gt;</title>",
            "<a class=\"skip-link\" href=\"#contenu\">Aller au contenu</a>",
            "<header class=\"site-header\" role=\"banner\">",
            "<main id=\"contenu\" tabindex=\"-1\"><h1>Q</h1></main>",
            "<main id=\"contenu\"",
            "<link rel=\"stylesheet\" href=\"/static/css/kiosque.css\">",
            "<link rel=\"canonical\" href=\"https://bib.example/polls/abc\">",
            "<meta property=\"og:url\" content=\"https://bib.example/polls/abc\">",
            "<meta property=\"og:locale\" content=\"fr_FR\">",
            "<meta property=\"og:image\" content=\"https://bib.example/static/img/card.png\">",
            "<meta property=\"og:image:alt\" content=\"Une &quot;carte&quot; de lecteur\">",
            "<meta name=\"twitter:card\" content=\"summary_large_image\">",
            "<meta property=\"og:site_name\" content=\"Médiathèque &lt;Jules Verne&gt;\">",
            "<a href=\"/polls/abc?lang=en\" hreflang=\"en\" lang=\"en\">English version</a>",
            "\\u003c/script\\u003e",
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Nouveautés &amp; co\" href=\"https://bib.example/feeds/x.rss\">",
        ] {
            assert!(html.contains(expected), "missing {expected} in\n{html}");
        }
        assert!(!html.contains("noindex"));
        assert!(!html.contains("<Jules"));
    }

    #[test]
    fn a_page_without_a_picture_shares_the_library_s() {
        let meta = PageMeta {
            title: "Tutoriels".into(),
            ..PageMeta::default()
        };
        let shipped = page(&ctx(Lang::En, false), &meta, html! {});
        for expected in [
            "<meta property=\"og:image\" content=\"https://bib.example/static/img/share-card.png\">",
            "<meta property=\"og:image:width\" content=\"1200\">",
            "<meta property=\"og:image:height\" content=\"630\">",
            "<meta property=\"og:image:alt\" content=\"Books of every colour lined up on two shelves\">",
            "<meta name=\"twitter:card\" content=\"summary_large_image\">",
        ] {
            assert!(
                shipped.contains(expected),
                "missing {expected} in\n{shipped}"
            );
        }
        let chosen = PageContext {
            share_image: Some(ShareImage::new(
                "https://bib.example/media/abc/social.jpg",
                "La façade de la médiathèque",
            )),
            ..ctx(Lang::Fr, false)
        };
        let html = page(&chosen, &meta, html! {});
        assert!(html.contains(
            "<meta property=\"og:image\" content=\"https://bib.example/media/abc/social.jpg\">"
        ));
        assert!(html.contains("content=\"La façade de la médiathèque\""));
        assert!(!html.contains("og:image:width"), "its size is not known");
    }

    #[test]
    fn content_alternates_replace_the_interface_ones() {
        let meta = PageMeta {
            title: "Borrow".into(),
            alternates: vec![
                ("fr", "https://bib.example/tutorials/emprunter".into()),
                ("en", "https://bib.example/polls/abc".into()),
            ],
            feeds: vec![(
                "application/rss+xml",
                "Tutoriels".into(),
                "https://bib.example/tutorials/feed.xml".into(),
            )],
            ..PageMeta::default()
        };
        let html = page(&ctx(Lang::En, false), &meta, html! {});
        for expected in [
            "<link rel=\"canonical\" href=\"https://bib.example/polls/abc\">",
            "<link rel=\"alternate\" hreflang=\"fr\" href=\"https://bib.example/tutorials/emprunter\">",
            "<link rel=\"alternate\" hreflang=\"en\" href=\"https://bib.example/polls/abc\">",
            "<link rel=\"alternate\" hreflang=\"x-default\" href=\"https://bib.example/tutorials/emprunter\">",
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Tutoriels\" href=\"https://bib.example/tutorials/feed.xml\">",
        ] {
            assert!(html.contains(expected), "missing {expected} in\n{html}");
        }
        assert!(
            !html.contains("href=\"https://bib.example/polls/abc?lang=en\""),
            "no interface alternates"
        );
    }
}
