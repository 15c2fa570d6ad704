//! Spin's HTTP route semantics: exact routes (`/cart`), single-segment
//! wildcards (`/users/:id`) and trailing wildcards (`/cart/...`), the most
//! specific match winning, and the `spin-*` headers that describe the match.

use anyhow::{Result, bail};

/// One `route = "..."` of a `[[trigger.http]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    text: String,
    segments: Vec<Segment>,
    trailing_wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// How specific a matched segment was; compared segment by segment so that
/// a literal beats a `:param`, which beats the trailing wildcard, and an
/// exact end of route beats a wildcard that swallows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    Wildcard = 0,
    Param = 1,
    Exact = 2,
}

/// A successful match, with what the guest is told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The path after the route's fixed part (`spin-path-info`).
    pub path_info: String,
    /// `:name` captures, in route order (`spin-path-match-<name>`).
    pub params: Vec<(String, String)>,
    specificity: Vec<Specificity>,
}

impl Route {
    pub fn parse(text: &str) -> Result<Self> {
        if !text.starts_with('/') {
            bail!("route `{text}` must start with `/`");
        }
        let (body, trailing_wildcard) = match text.strip_suffix("/...") {
            Some(body) => (body, true),
            None if text == "/..." => ("", true),
            None => (text, false),
        };
        if body.contains("...") {
            bail!("route `{text}`: `...` is only allowed as the last segment");
        }
        let mut segments = Vec::new();
        for raw in body.split('/').skip(1) {
            if raw.is_empty() && body != "/" {
                bail!("route `{text}` has an empty segment");
            }
            if raw.is_empty() {
                continue;
            }
            segments.push(match raw.strip_prefix(':') {
                Some(name) if !name.is_empty() => Segment::Param(name.to_string()),
                Some(_) => bail!("route `{text}` has a `:` without a name"),
                None => Segment::Literal(raw.to_string()),
            });
        }
        Ok(Self {
            text: text.to_string(),
            segments,
            trailing_wildcard,
        })
    }

    /// The route as written (`spin-raw-component-route`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The route as Spin reports it in `spin-matched-route`: one trailing
    /// slash removed, so `/` becomes the empty string.
    pub fn matched_route(&self) -> &str {
        self.text.strip_suffix('/').unwrap_or(&self.text)
    }

    /// The route without its trailing wildcard (`spin-component-route`).
    pub fn component_route(&self) -> &str {
        self.text.strip_suffix("/...").unwrap_or(&self.text)
    }

    /// Matches a request path (without query), or `None`. As in Spin, one
    /// trailing slash does not change which route matches (`/cart/` is
    /// `/cart`), but it is kept in `spin-path-info`.
    pub fn matches(&self, path: &str) -> Option<RouteMatch> {
        let trailing_slash = path.len() > 1 && path.ends_with('/');
        let trimmed = if trailing_slash {
            &path[..path.len() - 1]
        } else {
            path
        };
        let path_segments: Vec<&str> = if trimmed == "/" || trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.trim_start_matches('/').split('/').collect()
        };
        if path_segments.len() < self.segments.len()
            || (!self.trailing_wildcard && path_segments.len() != self.segments.len())
        {
            return None;
        }
        let mut params = Vec::new();
        let mut specificity = Vec::new();
        for (segment, actual) in self.segments.iter().zip(&path_segments) {
            match segment {
                Segment::Literal(literal) if literal == actual => {
                    specificity.push(Specificity::Exact)
                }
                Segment::Literal(_) => return None,
                Segment::Param(name) => {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push((name.clone(), (*actual).to_string()));
                    specificity.push(Specificity::Param);
                }
            }
        }
        let rest = &path_segments[self.segments.len()..];
        let path_info = if self.trailing_wildcard {
            specificity.push(Specificity::Wildcard);
            let slash = if trailing_slash { "/" } else { "" };
            if rest.is_empty() {
                slash.to_string()
            } else {
                format!("/{}{slash}", rest.join("/"))
            }
        } else {
            specificity.push(Specificity::Exact);
            String::new()
        };
        Some(RouteMatch {
            path_info,
            params,
            specificity,
        })
    }
}

/// The routing table: finds the most specific trigger for a path.
#[derive(Debug, Clone)]
pub struct Router<T> {
    routes: Vec<(Route, T)>,
}

impl<T> Router<T> {
    pub fn new(routes: Vec<(Route, T)>) -> Self {
        Self { routes }
    }

    pub fn entries(&self) -> &[(Route, T)] {
        &self.routes
    }

    pub fn route(&self, path: &str) -> Option<(&Route, &T, RouteMatch)> {
        self.routes
            .iter()
            .filter_map(|(route, target)| route.matches(path).map(|m| (route, target, m)))
            .max_by(|a, b| a.2.specificity.cmp(&b.2.specificity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[&str]) -> Router<String> {
        Router::new(
            routes
                .iter()
                .map(|r| (Route::parse(r).unwrap(), r.to_string()))
                .collect(),
        )
    }

    fn check(routes: &[&str], path: &str, expected: Option<&str>) {
        let router = router(routes);
        let actual = router.route(path).map(|(_, t, _)| t.as_str());
        assert_eq!(actual, expected, "path {path}");
    }

    #[test]
    fn most_specific_route_wins() {
        let all = [
            "/...",
            "/polls/...",
            "/polls/:id",
            "/polls/new",
            "/api/polls/...",
        ];
        check(&all, "/", Some("/..."));
        check(&all, "/polls", Some("/polls/..."));
        check(&all, "/polls/new", Some("/polls/new"));
        check(&all, "/polls/abc", Some("/polls/:id"));
        check(&all, "/polls/abc/results", Some("/polls/..."));
        check(&all, "/api/polls", Some("/api/polls/..."));
        check(&all, "/api", Some("/..."));
        check(&all, "/nowhere/at/all", Some("/..."));
        check(&["/", "/..."], "/", Some("/"));
        check(&["/cart"], "/cart/checkout", None);
        check(&["/cart"], "/cart/", Some("/cart"));
        check(&all, "/polls/abc/", Some("/polls/:id"));
        check(&["/users/:id"], "/users/", None);
    }

    #[test]
    fn match_describes_path_info_and_params() {
        let route = Route::parse("/polls/...").unwrap();
        assert_eq!(route.matches("/polls/a/b").unwrap().path_info, "/a/b");
        assert_eq!(route.matches("/polls").unwrap().path_info, "");
        assert_eq!(route.matches("/polls/").unwrap().path_info, "/");
        assert_eq!(route.matches("/polls/a/").unwrap().path_info, "/a/");
        assert_eq!(route.component_route(), "/polls");
        assert_eq!(route.matched_route(), "/polls/...");
        assert_eq!(Route::parse("/").unwrap().matched_route(), "");
        assert_eq!(
            Route::parse("/polls/:id")
                .unwrap()
                .matches("/polls/1")
                .unwrap()
                .path_info,
            ""
        );
        let route = Route::parse("/users/:id/...").unwrap();
        let m = route.matches("/users/42/books").unwrap();
        assert_eq!(m.params, vec![("id".to_string(), "42".to_string())]);
        assert_eq!(m.path_info, "/books");
        assert_eq!(Route::parse("/...").unwrap().component_route(), "");
    }

    #[test]
    fn bad_routes_are_refused() {
        for bad in ["polls", "/a//b", "/a/.../b", "/a/:"] {
            assert!(Route::parse(bad).is_err(), "{bad}");
        }
    }
}
