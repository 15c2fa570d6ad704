//! The OpenAPI description (`openapi.yaml`, served as `/api/openapi.json`) against the code:
//! every JSON route of every component is described, nothing described is missing from the
//! route tables, and errors are described as problem details.

use std::collections::BTreeSet;

use serde_json::Value;
use tests::{TestApp, workspace_root};

/// `(METHOD, path)` of every `/api/` and `/webhooks/` route in the components' route tables
/// (`routes.get("/api/polls/:id", ...)`), with `:name` written `{}` as OpenAPI paths are
/// compared below.
fn routes_in_code() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let components = workspace_root().join("components");
    for entry in std::fs::read_dir(&components).unwrap() {
        let lib = entry.unwrap().path().join("src/lib.rs");
        let Ok(source) = std::fs::read_to_string(&lib) else {
            continue;
        };
        // `router.post(` then the path literal, on the same line or the next one.
        for call in source.split("router.").skip(1) {
            let Some((method, rest)) = call.split_once('(') else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((path, _)) = rest.split_once('"') else {
                continue;
            };
            if !(path.starts_with("/api/") || path.starts_with("/webhooks/")) {
                continue;
            }
            let method = method.trim_end_matches("_async").to_uppercase();
            routes.insert((method, normalize(path)));
        }
    }
    routes
}

/// A path with its parameters blanked, so `/api/polls/:id` and `/api/polls/{poll}` compare.
fn normalize(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with(':') || (segment.starts_with('{') && segment.ends_with('}')) {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_openapi_description_covers_every_json_route_and_nothing_else() {
    let app = TestApp::spawn();
    let response = app.get("/api/openapi.json");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("etag"));
    let document: Value = response.json().unwrap();
    assert_eq!(document["openapi"], "3.1.0");

    let mut described = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                operation["operationId"].is_string(),
                "{method} {path}: operationId"
            );
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path}: responses"
            );
            described.insert((method.to_uppercase(), normalize(path)));
        }
    }
    // The description itself is served from outside the route tables (static-files).
    described.remove(&("GET".to_owned(), "/api/openapi.json".to_owned()));

    let in_code = routes_in_code();
    assert!(
        in_code.len() > 100,
        "the route tables were read: {in_code:?}"
    );
    let undocumented: Vec<_> = in_code.difference(&described).collect();
    assert!(
        undocumented.is_empty(),
        "routes not described: {undocumented:?}"
    );
    let phantom: Vec<_> = described.difference(&in_code).collect();
    assert!(phantom.is_empty(), "described but not routed: {phantom:?}");

    // Errors are problem details, as the server answers them.
    let problem = &document["components"]["schemas"]["Problem"];
    for member in ["type", "title", "status", "detail", "code"] {
        assert!(
            problem["required"]
                .as_array()
                .unwrap()
                .contains(&Value::from(member)),
            "Problem.{member}"
        );
    }
    let not_found = &document["components"]["responses"]["NotFound"]["content"];
    assert!(not_found["application/problem+json"].is_object());
}

#[test]
fn the_description_is_cached_by_etag() {
    let app = TestApp::spawn();
    let first = app.get("/api/openapi.json");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let post = app.post_raw("/api/openapi.json", "application/json", "{}");
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}
