//! The dev host's own behaviour, checked through the probe component
//! (`crates/host-probe`) under `tests/fixtures/probe/spin.toml`: Spin's route
//! precedence and headers, key-value limits and atomics, variables, outbound
//! hosts, files, and failures that must stay contained.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use dev_host::{App, DevHostConfig};
use tests::redis::RedisServer;
use tests::{TestApp, workspace_root};

fn probe_manifest() -> PathBuf {
    workspace_root().join("tests/fixtures/probe/spin.toml")
}

fn probe_with(extra: &[(&str, &str)]) -> TestApp {
    let mut variables = BTreeMap::from([("probe_secret".to_string(), "chut".to_string())]);
    for (name, value) in extra {
        variables.insert(name.to_string(), value.to_string());
    }
    TestApp::spawn_manifest(&probe_manifest(), variables)
}

fn probe() -> TestApp {
    probe_with(&[])
}

fn headers_at(app: &TestApp, path: &str) -> BTreeMap<String, String> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let response = app.get(&format!("{path}{separator}do=headers"));
    assert_eq!(response.status(), 200, "{path}");
    serde_json::from_str(&response.text().unwrap()).unwrap()
}

fn body(response: reqwest::blocking::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().unwrap())
}

#[test]
fn routes_follow_spin_precedence() {
    let app = probe();
    let matched = |path: &str| headers_at(&app, path)["spin-matched-route"].clone();
    // Spin reports the root route without its slash.
    assert_eq!(matched("/"), "");
    assert_eq!(matched("/anything/else"), "/...");
    assert_eq!(matched("/items"), "/items/...");
    assert_eq!(matched("/items/42"), "/items/:id");
    assert_eq!(matched("/items/special"), "/items/special");
    assert_eq!(matched("/items/42/reviews"), "/items/...");
    assert_eq!(matched("/users/ana/books/7"), "/users/:user/books/...");
    // One trailing slash does not change the route.
    assert_eq!(matched("/items/42/"), "/items/:id");
    assert_eq!(matched("/items/special/"), "/items/special");
}

#[test]
fn requests_carry_spins_headers() {
    let app = probe();
    let h = headers_at(&app, "/items/42");
    assert_eq!(h["spin-full-url"], app.url("/items/42?do=headers"));
    assert_eq!(h["spin-path-match-id"], "42");
    assert_eq!(h["spin-path-info"], "");
    assert_eq!(h["spin-matched-route"], "/items/:id");
    assert_eq!(h["spin-raw-component-route"], "/items/:id");
    assert_eq!(h["spin-component-route"], "/items/:id");
    assert_eq!(h["spin-base-path"], "/");
    assert!(h["spin-client-addr"].starts_with("127.0.0.1:"), "{h:?}");

    let h = headers_at(&app, "/users/ana/books/7/pages");
    assert_eq!(h["spin-path-match-user"], "ana");
    assert_eq!(h["spin-path-info"], "/7/pages");
    assert_eq!(h["spin-component-route"], "/users/:user/books");

    let h = headers_at(&app, "/items");
    assert_eq!(h["spin-path-info"], "");
    assert_eq!(h["spin-component-route"], "/items");
    assert_eq!(headers_at(&app, "/items/a/b/")["spin-path-info"], "/a/b/");
    assert_eq!(headers_at(&app, "/special/")["spin-path-info"], "/special/");

    // Spin turns `_` in a parameter name into `-` in the header name.
    assert_eq!(
        headers_at(&app, "/shelves/poesie")["spin-path-match-shelf-id"],
        "poesie"
    );

    let h = headers_at(&app, "/");
    assert_eq!(h["spin-raw-component-route"], "/");
    assert_eq!(h["spin-component-route"], "/");

    // As on Spin, the runtime's headers replace a client's of the same name;
    // other `spin-*` headers a client sends pass through untouched.
    let response = app
        .client
        .get(app.url("/items/42?do=headers"))
        .header("spin-full-url", "https://evil.example/")
        .header("spin-path-match-admin", "yes")
        .send()
        .unwrap();
    let h: BTreeMap<String, String> = serde_json::from_str(&response.text().unwrap()).unwrap();
    assert_eq!(h["spin-full-url"], app.url("/items/42?do=headers"));
    assert_eq!(h["spin-path-match-admin"], "yes");
}

#[test]
fn key_value_store_keeps_spins_limits_and_permissions() {
    let app = probe();
    assert_eq!(
        body(app.post_raw("/kv?do=kv-set&key=livre", "text/plain", "Les Misérables")),
        (200, "ok".into())
    );
    assert_eq!(
        body(app.get("/kv?do=kv-get&key=livre")),
        (200, "Les Misérables".into())
    );
    assert_eq!(
        body(app.get("/kv?do=kv-get&key=absent")),
        (404, "absent".into())
    );

    let longest = "k".repeat(256);
    assert_eq!(
        body(app.post_raw(&format!("/kv?do=kv-set&key={longest}"), "text/plain", "v")).0,
        200
    );
    let (status, text) =
        body(app.post_raw(&format!("/kv?do=kv-set&key={longest}k"), "text/plain", "v"));
    assert_eq!(status, 500);
    assert!(
        text.contains("257 bytes, over the 256-byte limit"),
        "{text}"
    );

    assert_eq!(
        body(app.post_raw("/kv?do=kv-set&key=big&len=1048576", "text/plain", "")).0,
        200
    );
    let (status, text) = body(app.post_raw("/kv?do=kv-set&key=big&len=1048577", "text/plain", ""));
    assert_eq!(status, 500);
    assert!(text.contains("over the 1048576-byte limit"), "{text}");

    // Batch reads answer like Spin's SQLite store: present keys only, in key order.
    app.post_raw("/kv?do=kv-set&key=auteur", "text/plain", "Zola");
    assert_eq!(
        body(app.get("/kv?do=many&keys=livre,absent,auteur")),
        (200, "auteur,livre".into())
    );

    // Only the stores the manifest lists, through either interface.
    assert_eq!(
        body(app.get("/kv?do=kv-open&label=archive")),
        (500, "Error::AccessDenied".into())
    );
    assert_eq!(
        body(app.get("/items/1/x?do=kv-open&label=default")),
        (500, "Error::AccessDenied".into())
    );
    assert_eq!(
        body(app.get("/items/1/x?do=wasi-open&label=default")),
        (500, "Error::AccessDenied".into())
    );
    assert_eq!(
        body(app.get("/kv?do=wasi-open&label=default")),
        (200, "ok".into())
    );
}

#[test]
fn increments_are_atomic_and_stored_like_spins_sqlite() {
    let app = probe();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(
                        app.post_raw("/kv?do=incr&key=votes&delta=1", "text/plain", "")
                            .status(),
                        200
                    );
                }
            });
        }
    });
    assert_eq!(
        body(app.post_raw("/kv?do=incr&key=votes&delta=0", "text/plain", "")),
        (200, "200".into())
    );
    let raw = app.get("/kv?do=kv-get&key=votes").bytes().unwrap();
    assert_eq!(raw.as_ref(), 200i64.to_le_bytes());
    // Spin's SQLite store panics on a value that is not a counter; the dev
    // host traps that request (500) and keeps the value.
    app.post_raw("/kv?do=kv-set&key=titre", "text/plain", "Les Misérables");
    assert_eq!(
        app.post_raw("/kv?do=incr&key=titre&delta=1", "text/plain", "")
            .status(),
        500
    );
    assert_eq!(
        body(app.get("/kv?do=kv-get&key=titre")),
        (200, "Les Misérables".into())
    );
}

#[test]
fn compare_and_swap_only_writes_over_what_was_read() {
    let app = probe();
    assert_eq!(
        body(app.post_raw("/kv?do=cas&key=k&new=a", "text/plain", "")),
        (200, "swapped over None".into())
    );
    assert_eq!(
        body(app.post_raw("/kv?do=cas&key=k&new=b", "text/plain", "")),
        (200, "swapped over Some(\"a\")".into())
    );
    // A swap over a value another request changed in between fails.
    let (status, _) = body(app.post_raw("/kv?do=cas-race&key=k&new=c", "text/plain", ""));
    assert_eq!(status, 409);
    assert_eq!(
        body(app.get("/kv?do=kv-get&key=k")),
        (200, "changed".into())
    );
    // Without a read, the swap is an upsert, as on Spin's SQLite store: the
    // reason exclusive claims use `increment` instead.
    assert_eq!(
        body(app.post_raw("/kv?do=cas&key=k&new=d&read=no", "text/plain", "")).0,
        200
    );
    assert_eq!(body(app.get("/kv?do=kv-get&key=k")), (200, "d".into()));
}

#[test]
fn variables_come_from_the_manifest_and_overrides() {
    let app = probe_with(&[("greeting", "salut")]);
    assert_eq!(
        body(app.get("/v?do=var&name=greeting")),
        (200, "salut, chut".into())
    );
    let (status, text) = body(app.get("/v?do=var&name=missing"));
    assert_eq!(status, 500);
    assert!(text.starts_with("Error::Undefined"), "{text}");
    // A component sees only the variables it maps.
    assert!(
        body(app.get("/items/1/v?do=var&name=greeting"))
            .1
            .starts_with("Error::Undefined")
    );
    assert!(
        body(app.get("/v?do=var&name=Bad-Name"))
            .1
            .starts_with("Error::InvalidName")
    );
}

#[test]
fn missing_required_variable_refuses_to_start() {
    let data = tempfile::tempdir().unwrap();
    let mut config = DevHostConfig::new(probe_manifest());
    config.data_dir = Some(data.path().to_path_buf());
    tests::build_once(&probe_manifest());
    let error = App::load(&config).err().expect("start-up must fail");
    assert_eq!(
        format!("{error:#}"),
        "missing required variable `probe_secret`: set SPIN_VARIABLE_PROBE_SECRET or pass --variable probe_secret=..."
    );
}

/// A one-shot HTTP server on loopback that answers 204.
fn upstream() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let thread = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
        }
    });
    (addr, thread)
}

#[test]
fn outbound_requests_only_reach_allowed_hosts() {
    let (allowed, server) = upstream();
    let app = probe_with(&[("upstream", allowed.as_str())]);
    assert_eq!(
        body(app.get(&format!("/o?do=fetch&url=http://{allowed}/ping"))),
        (200, "status 204".into())
    );
    server.join().unwrap();

    let (other, _server) = upstream();
    let (status, text) = body(app.get(&format!("/o?do=fetch&url=http://{other}/ping")));
    assert_eq!(status, 502);
    assert!(text.contains("HttpRequestDenied"), "{text}");
    // A component without allowed_outbound_hosts may call nothing.
    let (status, text) = body(app.get(&format!("/items/1/o?do=fetch&url=http://{allowed}/ping")));
    assert_eq!(status, 502);
    assert!(text.contains("HttpRequestDenied"), "{text}");
}

#[test]
fn files_are_mounted_read_only() {
    let app = probe();
    assert_eq!(
        body(app.get("/f?do=file&path=/data/hello.txt")),
        (200, "Bonjour depuis un fichier monté.\n".into())
    );
    assert_eq!(app.get("/f?do=write-file&path=/data/new.txt").status(), 403);
    assert!(
        !workspace_root()
            .join("tests/fixtures/probe/files/new.txt")
            .exists()
    );
    assert_eq!(
        app.get("/items/1/f?do=file&path=/data/hello.txt").status(),
        404
    );
}

/// Sends raw bytes and returns the status line of the answer.
fn raw_status_line(app: &TestApp, request: &str) -> String {
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn a_trap_or_an_oversized_body_fails_only_that_request() {
    let app = probe();
    assert_eq!(app.get("/t?do=trap").status(), 500);
    assert_eq!(
        body(app.post_raw("/b?do=body-len", "text/plain", vec![b'x'; 1000])),
        (200, "1000".into())
    );

    // Over the dev host's body limit: 413 before the guest runs, and the
    // connection is closed since the body was not read. (Spin itself sets
    // no limit; components cap their own bodies.)
    let too_big = dev_host::MAX_REQUEST_BODY_BYTES + 1;
    let status = raw_status_line(
        &app,
        &format!("POST /b?do=body-len HTTP/1.1\r\nhost: x\r\ncontent-length: {too_big}\r\n\r\n"),
    );
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    // The same without a length: the host counts while reading.
    let chunk = "x".repeat(1 << 20);
    let mut chunked = String::from(
        "POST /b?do=body-len HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    for _ in 0..=dev_host::MAX_REQUEST_BODY_BYTES >> 20 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    assert_eq!(
        raw_status_line(&app, &chunked),
        "HTTP/1.1 413 Payload Too Large"
    );

    assert_eq!(app.get("/t?do=headers").status(), 200);
}

#[test]
fn a_busy_guest_does_not_stop_the_others() {
    let app = probe();
    let finished = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        // More computing guests than the machine has cores.
        for n in 0..4 {
            let (app, finished) = (&app, &finished);
            scope.spawn(move || {
                assert_eq!(app.get("/busy?do=busy&ms=2500").status(), 200);
                finished.lock().unwrap().push(format!("busy {n}"));
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(app.get("/quick?do=headers").status(), 200);
        finished.lock().unwrap().push("quick".to_string());
    });
    assert_eq!(
        finished.into_inner().unwrap()[0],
        "quick",
        "the quick request waited for the busy ones"
    );
}

#[test]
fn a_guest_past_its_deadline_is_stopped() {
    tests::build_once(&probe_manifest());
    let data = tempfile::tempdir().unwrap();
    let mut config = DevHostConfig::new(probe_manifest());
    config.data_dir = Some(data.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.variables.insert("probe_secret".into(), "x".into());
    config.request_timeout = std::time::Duration::from_millis(500);
    config.log_requests = false;
    let host = dev_host::BackgroundHost::start(config).unwrap();
    let client = reqwest::blocking::Client::new();
    let status = |path: &str| {
        client
            .get(format!("http://{}{path}", host.addr))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(status("/slow?do=busy&ms=5000"), 500);
    assert_eq!(status("/after?do=headers"), 200);
}

fn write_manifest(dir: &std::path::Path, component_source: &str) -> PathBuf {
    let manifest = dir.join("spin.toml");
    std::fs::write(
        &manifest,
        format!(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"web\"\n[component.web]\nsource = \"{component_source}\"\n"
        ),
    )
    .unwrap();
    manifest
}

fn load_error(manifest: PathBuf) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut config = DevHostConfig::new(manifest);
    config.data_dir = Some(data.path().to_path_buf());
    format!(
        "{:#}",
        App::load(&config).err().expect("start-up must fail")
    )
}

#[test]
fn start_up_failures_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();

    let error = load_error(write_manifest(dir.path(), "missing.wasm"));
    assert!(
        error.contains("component `web`: cannot read") && error.contains("missing.wasm"),
        "{error}"
    );
    assert!(!error.contains('\n'));

    std::fs::write(
        dir.path().join("spin.toml"),
        "spin_manifest_version = 2\n[application]\nname = 1\n",
    )
    .unwrap();
    let error = load_error(dir.path().join("spin.toml"));
    assert!(
        error.starts_with("invalid manifest") && error.contains("line 3"),
        "{error}"
    );

    // A component that imports an interface the host does not provide.
    let wasm = wat::parse_str(
        r#"(component (import "fermyon:spin/llm@2.0.0" (instance (export "infer" (func)))))"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("llm.wasm"), wasm).unwrap();
    let error = load_error(write_manifest(dir.path(), "llm.wasm"));
    assert!(
        error.contains("component `web` cannot run on the dev host"),
        "{error}"
    );
    assert!(error.contains("fermyon:spin/llm@2.0.0"), "{error}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut config = DevHostConfig::new(probe_manifest());
    config.listen = taken.local_addr().unwrap();
    config.data_dir = Some(data.path().to_path_buf());
    config.variables.insert("probe_secret".into(), "x".into());
    tests::build_once(&probe_manifest());
    let error = dev_host::BackgroundHost::start(config)
        .err()
        .expect("must fail");
    assert!(
        format!("{error:#}")
            .starts_with(&format!("cannot listen on {}", taken.local_addr().unwrap()))
    );
}

/// The probe on a Redis store, through a runtime config as `spin up --runtime-config-file`.
fn probe_on_redis(redis: &RedisServer, folder: &std::path::Path) -> TestApp {
    let variables = BTreeMap::from([
        ("probe_secret".to_string(), "chut".to_string()),
        (
            "redis_upstream".to_string(),
            format!("127.0.0.1:{}", redis.port),
        ),
    ]);
    TestApp::spawn_manifest_with_runtime_config(
        &probe_manifest(),
        variables,
        Some(redis.runtime_config(folder)),
    )
}

#[test]
fn the_redis_store_behaves_as_spins_redis_store_faults_included() {
    let redis = RedisServer::start();
    let folder = tempfile::tempdir().unwrap();
    let app = probe_on_redis(&redis, folder.path());

    // Plain operations are plain Redis commands on unprefixed keys.
    app.post_raw("/kv?do=kv-set&key=titre", "text/plain", "Les Misérables");
    assert_eq!(redis.get("titre").as_deref(), Some("Les Misérables"));
    assert_eq!(
        body(app.get("/kv?do=kv-get&key=titre")),
        (200, "Les Misérables".into())
    );

    // Counters are INCRBY: decimal text, not Spin's SQLite encoding.
    for _ in 0..3 {
        app.post_raw("/kv?do=incr&key=votes&delta=2", "text/plain", "");
    }
    assert_eq!(redis.get("votes").as_deref(), Some("6"));
    // INCRBY on text is Redis's error for the guest, not a trap as on SQLite.
    let (status, text) = body(app.post_raw("/kv?do=incr&key=titre&delta=1", "text/plain", ""));
    assert_eq!(status, 500);
    assert!(text.contains("not an integer"), "{text}");

    // get-many is sent as KEYS: an error for two keys.
    let (status, text) = body(app.get("/kv?do=many&keys=titre,votes"));
    assert_eq!(status, 500);
    assert!(text.contains("wrong number of arguments"), "{text}");
    // One key is a pattern match: nothing for an absent key...
    assert_eq!(body(app.get("/kv?do=many&keys=absent")), (200, "".into()));
    // ...and for a present one a reply Spin's client cannot convert: its host panics, the
    // request traps (the host's own 500, not the probe's report of a store error).
    assert_eq!(
        body(app.get("/kv?do=many&keys=titre")),
        (500, "Internal Server Error".into())
    );
    // The trap took only that request.
    assert_eq!(body(app.get("/kv?do=kv-get&key=votes")), (200, "6".into()));

    // Every swap is reported failed (Redis refuses `UNWATCH key`), yet it wrote...
    assert_eq!(
        body(app.post_raw("/kv?do=cas&key=k&new=a", "text/plain", "")),
        (409, "cas failed".into())
    );
    assert_eq!(redis.get("k").as_deref(), Some("a"));
    // ...unless someone changed the key after `current`: then it did not write.
    let (status, _) = body(app.post_raw("/kv?do=cas-race&key=k&new=c", "text/plain", ""));
    assert_eq!(status, 409);
    assert_eq!(redis.get("k").as_deref(), Some("changed"));

    // Outbound Redis reaches the allowed address only.
    assert_eq!(
        body(app.get(&format!("/r?do=redis-ping&url={}", redis.url()))),
        (200, "[RedisResult::Status(\"PONG\")]".into())
    );
    let (status, text) = body(app.get("/r?do=redis-ping&url=redis://127.0.0.1:6"));
    assert_eq!(status, 502);
    assert!(text.contains("InvalidAddress"), "{text}");
}

#[test]
fn a_runtime_config_the_dev_host_cannot_honour_refuses_to_start() {
    let folder = tempfile::tempdir().unwrap();
    let runtime_config = folder.path().join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        "[key_value_store.default]\ntype = \"aws_dynamo\"\nregion = \"eu-west-3\"\ntable = \"kiosque\"\n",
    )
    .unwrap();
    let mut config = DevHostConfig::new(probe_manifest());
    config.data_dir = Some(folder.path().join("data"));
    config.runtime_config_file = Some(runtime_config);
    config.variables = BTreeMap::from([("probe_secret".to_string(), "chut".to_string())]);
    let error = format!(
        "{:#}",
        App::load(&config).err().expect("start-up must fail")
    );
    assert!(error.contains("aws_dynamo"), "{error}");
}
