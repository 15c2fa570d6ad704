//! The privacy notice, the accessibility statement and the legal notice
//! (`/confidentialite`, `/accessibilite`, `/mentions-legales`, English at `?lang=en`), which
//! every page's footer links; and their staff API `GET|PUT /api/site-pages/{name}`
//! (administrators: these pages engage the library's responsibility). The text and its
//! defaults live in `kiosque_domain::site_pages`.

use kiosque_domain::site_pages::{self, PageText, PageTextRequest, SitePage};
use kiosque_spin::auth::Permission;
use kiosque_spin::html::layout::{self, PageContext, PageMeta};
use kiosque_spin::html::{PreEscaped, html};
use kiosque_spin::json::parse_body;
use kiosque_spin::response::{html, json};
use kiosque_spin::{ApiError, Lang, PageError, SpinStore, auth};
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::render::cached;

fn page_of(params: &Params) -> Result<SitePage, ApiError> {
    params
        .get("name")
        .and_then(SitePage::parse)
        .ok_or_else(ApiError::not_found)
}

/// `GET /confidentialite`, `/accessibilite`, `/mentions-legales`: 1 store call.
pub fn show(req: Request, page: SitePage) -> Result<Response, PageError> {
    let ctx = PageContext::from_request(&req);
    let store = SpinStore::open_default().map_err(site_pages::SitePageError::from)?;
    let saved = site_pages::get(&store, page)?;
    let english = ctx.lang == Lang::En;
    let markdown = site_pages::markdown_for(page, saved.as_ref(), english);
    let (fr, en) = page.title();
    let title = ctx.t(fr, en);
    let body = html! {
        h1 { (title) }
        // Safe: rendered by `kiosque_domain::site_pages`, which escapes all text and raw HTML
        // and keeps only safe links.
        div.site-page { (PreEscaped(site_pages::render(&markdown))) }
    };
    let meta = PageMeta {
        title: format!("{title} · {}", ctx.library_name),
        description: title.to_owned(),
        ..PageMeta::default()
    };
    Ok(cached(&req, html(200, layout::page(&ctx, &meta, body))))
}

/// `GET /api/site-pages/{name}` (staff): the saved text, or the defaults with `default: true`.
pub fn get(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let page = page_of(&params)?;
    let store = SpinStore::open_default()?;
    let saved = site_pages::get(&store, page)?;
    let (default_fr, default_en) = page.default_text();
    let (fr, en, default) = match &saved {
        Some(text) => (text.fr.as_str(), text.en.as_str(), false),
        None => (default_fr, default_en, true),
    };
    Ok(json(
        200,
        &json_value!({"page": page.name(), "path": page.path(), "fr": fr, "en": en,
                      "default": default}),
    ))
}

/// `PUT /api/site-pages/{name}` `{"fr", "en"?}` (administrators).
pub fn put(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let page = page_of(&params)?;
    let request: PageTextRequest = parse_body(&req)?;
    let text = PageText::parse(request)?;
    let store = SpinStore::open_default()?;
    site_pages::save(&store, page, &text)?;
    Ok(json(
        200,
        &json_value!({"page": page.name(), "path": page.path(), "fr": text.fr, "en": text.en,
                      "default": false}),
    ))
}

pub fn privacy(req: Request, _params: Params) -> Result<Response, PageError> {
    show(req, SitePage::Privacy)
}

pub fn accessibility(req: Request, _params: Params) -> Result<Response, PageError> {
    show(req, SitePage::Accessibility)
}

pub fn legal(req: Request, _params: Params) -> Result<Response, PageError> {
    show(req, SitePage::Legal)
}
