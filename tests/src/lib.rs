//! Support for the end-to-end suite and the benchmarks: builds the
//! components once, boots the dev host in-process on the real `spin.toml`
//! with a fresh data folder and a free port, and offers request helpers.
//!
//! Set `KIOSQUE_BASE_URL` (and `KIOSQUE_ADMIN_TOKEN`) to run the same suite
//! against an instance that is already running, such as `spin up`.
//!
//! Set `KIOSQUE_E2E_STORE=redis` to run the application tests as a multi-node
//! deployment does: two dev-host processes sharing one Redis (Spin's Redis
//! store through a runtime config), each new connection handed to the next
//! instance (`cluster`).

pub mod browser;
pub mod channels;
pub mod cluster;
pub mod fakes;
pub mod images;
pub mod redis;
pub mod time;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cluster::Cluster;
use dev_host::{BackgroundHost, DevHostConfig};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};

/// The admin token of in-process hosts.
pub const TEST_ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The `credentials_key` of in-process hosts started by [`TestApp::spawn_with_fakes`].
pub const TEST_CREDENTIALS_KEY: &str =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// Runs `spin build` for a manifest once per test process (cargo itself
/// skips what is up to date).
pub fn build_once(manifest: &Path) {
    static BUILT: OnceLock<std::sync::Mutex<Vec<PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if built.iter().any(|m| m == manifest) {
        return;
    }
    if let Err(e) = dev_host::spin_build::build(manifest, true) {
        panic!(
            "cannot build the components of {}: {e:#}",
            manifest.display()
        );
    }
    built.push(manifest.to_path_buf());
}

/// An application under test: in-process on the dev host, or external.
pub struct TestApp {
    pub base_url: String,
    pub admin_token: String,
    pub client: Client,
    manifest: PathBuf,
    variables: BTreeMap<String, String>,
    runtime_config: Option<PathBuf>,
    host: Option<BackgroundHost>,
    data_dir: Option<tempfile::TempDir>,
    /// Set when the app runs as two instances on Redis (`KIOSQUE_E2E_STORE=redis`).
    pub cluster: Option<Cluster>,
}

/// How many instances share the store when the suite runs on Redis.
pub const CLUSTER_INSTANCES: usize = 2;

/// Whether the application tests run on Redis with several instances.
pub fn on_redis_cluster() -> bool {
    std::env::var("KIOSQUE_E2E_STORE").is_ok_and(|store| store == "redis")
}

impl TestApp {
    /// The real application: `spin.toml` at the workspace root.
    pub fn spawn() -> Self {
        if let Ok(base_url) = std::env::var("KIOSQUE_BASE_URL") {
            return Self {
                base_url: base_url.trim_end_matches('/').to_string(),
                admin_token: std::env::var("KIOSQUE_ADMIN_TOKEN").unwrap_or_default(),
                client: client(),
                manifest: PathBuf::new(),
                variables: BTreeMap::new(),
                runtime_config: None,
                host: None,
                data_dir: None,
                cluster: None,
            };
        }
        let variables = BTreeMap::from([("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string())]);
        Self::spawn_with_variables(variables)
    }

    /// The real application with these variables: in-process on SQLite, or as a cluster on
    /// Redis when `KIOSQUE_E2E_STORE=redis`.
    pub fn spawn_with_variables(variables: BTreeMap<String, String>) -> Self {
        let manifest = workspace_root().join("spin.toml");
        if on_redis_cluster() {
            Self::spawn_cluster(&manifest, variables, CLUSTER_INSTANCES)
        } else {
            Self::spawn_manifest(&manifest, variables)
        }
    }

    /// `count` instance processes of `manifest` on one fresh Redis, behind one address.
    pub fn spawn_cluster(
        manifest: &Path,
        variables: BTreeMap<String, String>,
        count: usize,
    ) -> Self {
        build_once(manifest);
        let cluster = Cluster::start(manifest, variables.clone(), count);
        Self {
            base_url: format!("http://{}", cluster.proxy_addr),
            admin_token: variables.get("admin_token").cloned().unwrap_or_default(),
            // A new connection per request, so that requests alternate between instances.
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(0)
                .build()
                .expect("HTTP client"),
            manifest: manifest.to_path_buf(),
            variables,
            runtime_config: None,
            host: None,
            data_dir: None,
            cluster: Some(cluster),
        }
    }

    /// The real application, in-process, allowed to call the loopback fakes
    /// (`crate::fakes`): `mastodon_host`, `bluesky_host`, `webhook_host` and `image_host`
    /// are `http://127.0.0.1:*`, `credentials_key` is [`TEST_CREDENTIALS_KEY`]. `extra`
    /// adds or overrides variables.
    pub fn spawn_with_fakes(extra: &[(&str, &str)]) -> Self {
        Self::spawn_with_variables(fakes_variables(extra))
    }

    /// [`TestApp::spawn_with_fakes`] for Meta (`meta_host` on loopback) with a
    /// [`fakes::PublicOrigin`] started first as its `public_base_url`: Instagram downloads a
    /// post's image from the library's public address, which the origin forwards to the app
    /// (as a CDN in front of it would). Keep the origin as long as the app.
    pub fn spawn_with_public_origin(extra: &[(&str, &str)]) -> (Self, fakes::PublicOrigin) {
        let origin = fakes::PublicOrigin::start();
        let public = origin.url();
        let mut variables = vec![
            ("meta_host", "http://127.0.0.1:*"),
            ("public_base_url", public.as_str()),
        ];
        variables.extend_from_slice(extra);
        let app = Self::spawn_with_fakes(&variables);
        origin.forward_to(&app.base_url);
        (app, origin)
    }

    /// Any manifest, always in-process, on the dev host's SQLite store.
    pub fn spawn_manifest(manifest: &Path, variables: BTreeMap<String, String>) -> Self {
        Self::spawn_manifest_with_runtime_config(manifest, variables, None)
    }

    /// Any manifest, in-process, with a Spin runtime config file (`--runtime-config-file`).
    pub fn spawn_manifest_with_runtime_config(
        manifest: &Path,
        variables: BTreeMap<String, String>,
        runtime_config: Option<PathBuf>,
    ) -> Self {
        build_once(manifest);
        let data_dir = tempfile::tempdir().expect("temporary data folder");
        let host = start_host(
            manifest,
            data_dir.path(),
            &variables,
            runtime_config.as_deref(),
        );
        Self {
            base_url: format!("http://{}", host.addr),
            admin_token: variables.get("admin_token").cloned().unwrap_or_default(),
            client: client(),
            manifest: manifest.to_path_buf(),
            variables,
            runtime_config,
            host: Some(host),
            data_dir: Some(data_dir),
            cluster: None,
        }
    }

    pub fn is_external(&self) -> bool {
        self.host.is_none() && self.cluster.is_none()
    }

    /// Stops the host and starts a new one on the same data folder (the
    /// port may change); a cluster restarts every instance on the same Redis.
    /// `false` for an external instance.
    pub fn restart(&mut self) -> bool {
        if let Some(cluster) = self.cluster.as_mut() {
            cluster.restart();
            return true;
        }
        let Some(host) = self.host.take() else {
            return false;
        };
        host.stop();
        let data_dir = self
            .data_dir
            .as_ref()
            .expect("in-process app has a data folder");
        let host = start_host(
            &self.manifest,
            data_dir.path(),
            &self.variables,
            self.runtime_config.as_deref(),
        );
        self.base_url = format!("http://{}", host.addr);
        self.host = Some(host);
        true
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to build by hand (headers, cookies, bodies), sent with [`TestApp::send`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn send(&self, request: RequestBuilder) -> Response {
        send(request)
    }

    pub fn get(&self, path: &str) -> Response {
        send(self.client.get(self.url(path)))
    }

    pub fn get_with_cookie(&self, path: &str, cookie: &str) -> Response {
        send(self.client.get(self.url(path)).header(COOKIE, cookie))
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        send(self.client.post(self.url(path)).json(body))
    }

    pub fn post_json_with_cookie(
        &self,
        path: &str,
        body: &serde_json::Value,
        cookie: &str,
    ) -> Response {
        send(
            self.client
                .post(self.url(path))
                .json(body)
                .header(COOKIE, cookie),
        )
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        send(
            self.client
                .post(self.url(path))
                .header(CONTENT_TYPE, content_type)
                .body(body.into()),
        )
    }

    pub fn post_form_with_cookie(&self, path: &str, form: &str, cookie: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.to_string());
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        send(request)
    }

    /// `GET` with the admin token, decoded as JSON (staff queues, lists, exports).
    pub fn get_json_as_admin(&self, path: &str) -> serde_json::Value {
        send(
            self.client
                .get(self.url(path))
                .bearer_auth(&self.admin_token),
        )
        .json()
        .expect("a JSON answer")
    }

    pub fn post_json_as_admin(&self, path: &str, body: &serde_json::Value) -> Response {
        send(
            self.client
                .post(self.url(path))
                .header(AUTHORIZATION, format!("Bearer {}", self.admin_token))
                .json(body),
        )
    }

    /// Any staff request with the admin token, with an optional JSON body.
    pub fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request)
    }

    /// `POST` JSON as admin, expecting success (2xx): the answer's JSON.
    pub fn post_json_as_admin_ok(&self, path: &str, body: &serde_json::Value) -> serde_json::Value {
        let response = self.post_json_as_admin(path, body);
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().expect("a JSON answer");
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    /// One scheduler tick, as the cron calls it with `token` (`scheduler_tick_token`): its
    /// JSON report.
    pub fn tick(&self, token: &str) -> serde_json::Value {
        let response = send(
            self.client
                .post(self.url("/api/scheduler/tick"))
                .bearer_auth(token),
        );
        assert_eq!(response.status(), 200, "the tick succeeds");
        response.json().expect("a JSON report")
    }

    /// Moves the app's clock to `at`, then ticks with `token` until the tick says nothing is
    /// left (`more` false; at most 12 ticks: the posts' due index catches up 4 hours per
    /// call after such a jump): the ticks' reports, in order.
    pub fn tick_at(&self, token: &str, at: i64) -> Vec<serde_json::Value> {
        self.advance_clock_to(at);
        let mut reports = Vec::new();
        for _ in 0..12 {
            let report = self.tick(token);
            let more = report["more"] == true;
            reports.push(report);
            if !more {
                break;
            }
        }
        reports
    }

    /// Publishes post `id` through the scheduler: scheduled for the next minute (zone `UTC`),
    /// the clock moved there, one tick with `token` that publishes it. Answers the tick's
    /// report.
    pub fn publish_by_tick(&self, token: &str, id: &str) -> serde_json::Value {
        let due = self.next_minute();
        self.post_json_as_admin_ok(
            &format!("/api/posts/{id}/schedule"),
            &serde_json::json!({"at": time::utc_minute(due), "zone": "UTC"}),
        );
        self.advance_clock_to(due);
        let report = self.tick(token);
        assert_eq!(report["posts"]["published"], 1, "{report}");
        report
    }

    /// The file the app's guests read their clock offset from (`dev_host::clock`); `None`
    /// for an external app, whose clock is its machine's.
    fn clock_file(&self) -> Option<PathBuf> {
        if let Some(cluster) = &self.cluster {
            return Some(cluster.clock_file());
        }
        self.data_dir
            .as_ref()
            .map(|dir| dir.path().join(TEST_CLOCK_FILE))
    }

    /// Unix seconds on the application's clock: the machine's, plus how far
    /// [`TestApp::advance_clock_to`] moved it.
    pub fn now(&self) -> i64 {
        let offset = self.clock_file().map_or(0, |file| {
            dev_host::clock::read_offset_millis(&file).expect("a readable clock file")
        });
        (time::unix_now_millis() + offset).div_euclid(1000)
    }

    /// The next whole minute at least 5 seconds away on the app's clock (unix seconds): when a
    /// post scheduled "for the next minute" in zone `UTC` comes due.
    pub fn next_minute(&self) -> i64 {
        (self.now() + 5) / 60 * 60 + 60
    }

    /// Moves the application's clock forward until it reads `unix_secs` (plus a few hundred
    /// milliseconds): what a test does instead of waiting for a post to come due. The clock
    /// never goes back. An external app cannot be moved: the test waits in real time.
    pub fn advance_clock_to(&self, unix_secs: i64) {
        const MARGIN_MILLIS: i64 = 300;
        let target = unix_secs * 1000 + MARGIN_MILLIS;
        let Some(file) = self.clock_file() else {
            let wait = target - time::unix_now_millis();
            if wait > 0 {
                std::thread::sleep(std::time::Duration::from_millis(wait as u64));
            }
            return;
        };
        let offset = dev_host::clock::read_offset_millis(&file).expect("a readable clock file");
        let needed = target - time::unix_now_millis();
        if needed > offset {
            dev_host::clock::write_offset_millis(&file, needed).expect("a writable clock file");
        }
    }
}

/// The name of an in-process app's clock file, in its data folder.
const TEST_CLOCK_FILE: &str = "test-clock";

/// The variables of [`TestApp::spawn_with_fakes`]: the admin token, [`TEST_CREDENTIALS_KEY`],
/// every platform host on loopback, then `extra`.
pub fn fakes_variables(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        (
            "credentials_key".to_string(),
            TEST_CREDENTIALS_KEY.to_string(),
        ),
    ]);
    for host in [
        "mastodon_host",
        "bluesky_host",
        "webhook_host",
        "image_host",
    ] {
        variables.insert(host.to_string(), "http://127.0.0.1:*".to_string());
    }
    for (name, value) in extra {
        variables.insert((*name).to_string(), (*value).to_string());
    }
    variables
}

/// A signed-in console browser: its session cookie and CSRF token.
pub struct StaffBrowser {
    pub cookie: String,
    pub csrf: String,
}

impl StaffBrowser {
    /// Signs in through `POST /api/staff/sign-in` as the console does.
    pub fn sign_in(app: &TestApp, email: &str, password: &str) -> StaffBrowser {
        let response = app.post_json(
            "/api/staff/sign-in",
            &serde_json::json!({"email": email, "password": password}),
        );
        assert_eq!(response.status(), 200, "{email} signs in");
        let cookie = cookie_from(&response, "kiosque_session").expect("a session cookie");
        let body: serde_json::Value = response.json().expect("a JSON answer");
        StaffBrowser {
            cookie,
            csrf: body["csrf_token"]
                .as_str()
                .expect("a CSRF token")
                .to_owned(),
        }
    }

    pub fn get(&self, app: &TestApp, path: &str) -> Response {
        app.get_with_cookie(path, &self.cookie)
    }

    /// A console change: cookie and CSRF header, as the console's scripts send it.
    pub fn send(
        &self,
        app: &TestApp,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Response {
        send(
            app.request(method, path)
                .header(COOKIE, &self.cookie)
                .header("x-csrf-token", &self.csrf)
                .json(body),
        )
    }
}

/// The `name=value` part of a response's `Set-Cookie` for `name`.
pub fn cookie_from(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

fn send(request: RequestBuilder) -> Response {
    request.send().expect("the app answers")
}

fn start_host(
    manifest: &Path,
    data_dir: &Path,
    variables: &BTreeMap<String, String>,
    runtime_config: Option<&Path>,
) -> BackgroundHost {
    let mut config = DevHostConfig::new(manifest);
    config.runtime_config_file = runtime_config.map(Path::to_path_buf);
    config.data_dir = Some(data_dir.to_path_buf());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.variables = variables.clone();
    config.log_requests = std::env::var_os("KIOSQUE_TEST_LOG").is_some();
    config.test_clock_file = Some(data_dir.join(TEST_CLOCK_FILE));
    BackgroundHost::start(config).unwrap_or_else(|e| panic!("the dev host starts: {e:#}"))
}
