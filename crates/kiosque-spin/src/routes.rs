//! A component's route table: spin-sdk's [`Router`] plus the list of the routes it holds.
//!
//! The SDK's router answers a method it has no handler for with a bare 405 and keeps its
//! table private, while RFC 9110 (section 15.5.6) wants a 405 to carry `Allow` with the
//! methods the path does accept. [`Routes`] registers each route with the router and notes
//! its method and pattern, so [`crate::serve`] can list them ([`Routes::allowed`]).

use std::future::Future;

use spin_sdk::http::{IntoResponse, Method, Params, Request, Response, Router, conversions};

/// The routes of one component (see the module documentation).
pub struct Routes {
    router: Router,
    table: Vec<(Method, &'static str)>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

/// Registers `$method` routes with the router and the table, for sync and async handlers.
macro_rules! route_methods {
    ($($name:ident, $name_async:ident => $method:expr;)*) => {$(
        #[doc = concat!("A handler for `", stringify!($name), "` requests to `path`.")]
        pub fn $name<F, Req, Resp>(&mut self, path: &'static str, handler: F)
        where
            F: Fn(Req, Params) -> Resp + 'static,
            Req: conversions::TryFromRequest + 'static,
            Req::Error: IntoResponse + 'static,
            Resp: IntoResponse + 'static,
        {
            self.table.push(($method, path));
            self.router.add(path, $method, handler);
        }

        #[doc = concat!("An async handler for `", stringify!($name), "` requests to `path`.")]
        pub fn $name_async<F, Fut, Req, Resp>(&mut self, path: &'static str, handler: F)
        where
            F: Fn(Req, Params) -> Fut + 'static,
            Fut: Future<Output = Resp> + 'static,
            Req: conversions::TryFromRequest + 'static,
            Req::Error: IntoResponse + 'static,
            Resp: IntoResponse + 'static,
        {
            self.table.push(($method, path));
            self.router.add_async(path, $method, handler);
        }
    )*};
}

impl Routes {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    route_methods! {
        get, get_async => Method::Get;
        post, post_async => Method::Post;
        put, put_async => Method::Put;
        patch, patch_async => Method::Patch;
        delete, delete_async => Method::Delete;
    }

    /// Answers `req` with the matching handler (or the router's bare 404/405).
    pub fn handle(&self, req: Request) -> Response {
        self.router.handle(req)
    }

    /// The methods `path` accepts, for `Allow` (`"GET, HEAD, POST"`), or `None` when no route
    /// matches it. `HEAD` goes with `GET`: the router answers it with the `GET` handler.
    pub fn allowed(&self, path: &str) -> Option<String> {
        const ORDER: [(Method, &str); 5] = [
            (Method::Get, "GET, HEAD"),
            (Method::Post, "POST"),
            (Method::Put, "PUT"),
            (Method::Patch, "PATCH"),
            (Method::Delete, "DELETE"),
        ];
        let names: Vec<&str> = ORDER
            .iter()
            .filter(|(method, _)| {
                self.table
                    .iter()
                    .any(|(m, pattern)| m == method && pattern_matches(pattern, path))
            })
            .map(|(_, name)| *name)
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }
}

/// Whether `path` fits a route `pattern` as the SDK's router reads it: `:name` stands for one
/// non-empty segment, a final `*` for the rest of the path, anything else for itself; a
/// trailing slash does not count.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let mut wanted = pattern.trim_end_matches('/').split('/');
    let mut given = path.trim_end_matches('/').split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some("*"), _) => return true,
            (Some(want), Some(got)) if want.starts_with(':') => {
                if got.is_empty() {
                    return false;
                }
            }
            (Some(want), Some(got)) => {
                if want != got {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// A whole number in a path segment (`/rooms/:room`, `/steps/:n`, `/answers/:seq`), read
/// strictly: ASCII digits only, no sign, no leading zero (`0` alone is fine), at most 19
/// digits. `str::parse` also takes `01`, `+1` or `0001`: one page would then answer 200 under
/// any number of addresses, each counted as a page of its own (`audience`) and cached apart.
/// `None` for anything else, which handlers answer as not found.
pub fn strict_number(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    let valid = (1..=19).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1);
    valid.then(|| text.parse().ok()).flatten()
}

/// The path parameter `name` as a [`strict_number`].
pub fn number_param(params: &Params, name: &str) -> Option<u64> {
    params.get(name).and_then(strict_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_numbers_are_read_strictly() {
        assert_eq!(strict_number("1"), Some(1));
        assert_eq!(strict_number("0"), Some(0));
        assert_eq!(strict_number("42"), Some(42));
        assert_eq!(
            strict_number("9223372036854775807"),
            Some(9_223_372_036_854_775_807)
        );
        for variant in [
            "01",
            "001",
            "00",
            "+1",
            "-1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "",
            "١",
            "%31",
            "0x1",
            "1_000",
            "12345678901234567890",
        ] {
            assert_eq!(strict_number(variant), None, "{variant:?}");
        }
    }

    fn routes() -> Routes {
        let mut routes = Routes::new();
        routes.get("/api/polls", |_: Request, _| Response::new(200, ()));
        routes.post("/api/polls", |_: Request, _| Response::new(201, ()));
        routes.get("/api/polls/:id", |_: Request, _| Response::new(200, ()));
        routes.delete("/api/polls/:id", |_: Request, _| Response::new(204, ()));
        routes.put("/api/polls/:id/options/:n", |_: Request, _| {
            Response::new(200, ())
        });
        routes.post("/api/files/*", |_: Request, _| Response::new(200, ()));
        routes
    }

    #[test]
    fn allow_lists_every_method_of_the_path_in_a_stable_order() {
        let routes = routes();
        assert_eq!(
            routes.allowed("/api/polls").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(
            routes.allowed("/api/polls/").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(
            routes.allowed("/api/polls/abc").as_deref(),
            Some("GET, HEAD, DELETE")
        );
        assert_eq!(
            routes.allowed("/api/polls/abc/options/2").as_deref(),
            Some("PUT")
        );
        assert_eq!(routes.allowed("/api/files/a/b").as_deref(), Some("POST"));
    }

    #[test]
    fn a_path_no_route_fits_has_no_allow() {
        let routes = routes();
        assert_eq!(routes.allowed("/api/polls/abc/results"), None);
        assert_eq!(routes.allowed("/api/poll"), None);
        assert_eq!(routes.allowed("/api/polls/abc/options"), None);
        assert_eq!(routes.allowed("/api/polls//options/2"), None);
    }
}
