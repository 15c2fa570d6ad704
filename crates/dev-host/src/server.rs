//! Loading the application and serving HTTP like `spin up`: one compiled,
//! pre-instantiated component per manifest component, a fresh instance per
//! request, Spin's routing and `spin-*` headers.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::host::{self, ComponentConfig, GuestLimits, RequestState};
use crate::kv::{KvBackend, KvDatabase};
use crate::manifest::{FileMount, Manifest};
use crate::outbound::{AllowedHost, OutboundPolicy};
use crate::outbound_hooks::OutboundHooks;
use crate::routes::{Route, RouteMatch, Router};
use crate::runtime_config::{KvStoreConfig, RuntimeConfig};
use crate::variables;

/// Requests served at once; more wait for a free slot. Every pool limit
/// below derives from this one figure.
const MAX_CONCURRENT_INSTANCES: u32 = 64;
/// A Rust wasip2 component is one main core module plus a few small
/// adapter shims, each a core instance with its own table.
const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
const TABLES_PER_COMPONENT: u32 = 16;
const MEMORIES_PER_COMPONENT: u32 = 2;
/// A guest's linear memory may not grow past this. Spin sets no limit unless asked
/// (`--max-instance-memory`); the largest need is the media component decoding a 20 MB
/// upload (`kiosque-imaging` keeps it under 200 MiB), which must work here as on Spin.
const MAX_GUEST_MEMORY_BYTES: usize = 256 * 1024 * 1024;
/// Request bodies over this answer 413 before the guest runs. Spin sets no limit; this one
/// only keeps a runaway client from filling the host's memory, so it sits above the largest
/// body a component reads (`kiosque_spin::serve::body_limit`: a patron's contest entry, an
/// image of up to 10 MB in a `multipart/form-data` form, about 10.5 MiB), which then gets
/// the component's own friendly 413.
pub const MAX_REQUEST_BODY_BYTES: usize = 16 * 1024 * 1024;
/// A request whose guest runs longer than this is stopped (500), unless
/// the configuration says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a computing guest yields to other requests.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct DevHostConfig {
    pub manifest_path: PathBuf,
    /// Where the key-value store lives; `.spin/` beside the manifest when
    /// `None`, as with `spin up`.
    pub data_dir: Option<PathBuf>,
    pub listen: SocketAddr,
    /// Variable values (`--variable`, `SPIN_VARIABLE_*`), by lowercase name.
    pub variables: BTreeMap<String, String>,
    /// One log line per request on stderr.
    pub log_requests: bool,
    /// How long a guest may take to answer, waiting included.
    pub request_timeout: Duration,
    /// Spin's `--runtime-config-file`: where the key-value stores live.
    pub runtime_config_file: Option<PathBuf>,
    /// Tests only: the guests' wall clock is the machine's plus the offset in this file
    /// (see [`crate::clock`]). `None`, the only value the command line gives, is the real clock.
    pub test_clock_file: Option<PathBuf>,
}

impl DevHostConfig {
    pub fn new(manifest_path: impl Into<PathBuf>) -> Self {
        Self {
            manifest_path: manifest_path.into(),
            data_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            variables: BTreeMap::new(),
            log_requests: true,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            runtime_config_file: None,
            test_clock_file: None,
        }
    }
}

struct LoadedComponent {
    config: Arc<ComponentConfig>,
    pre: ProxyPre<RequestState>,
    files: Vec<FileMount>,
    environment: Vec<(String, String)>,
    policy: Arc<OutboundPolicy>,
}

/// Where requests spend their time inside the host, summed over every request since start,
/// for the benchmark: creating the instance (`instantiate`; measured flat, 0.03-0.05 ms from
/// the 280 KB probe to the 1.8 MB polls component, thanks to the pooling allocator's
/// copy-on-write images) and running its handler (`handle`: the guest's work and its store
/// calls). With concurrent requests both include waiting for a CPU.
#[derive(Debug, Default)]
pub struct GuestTimings {
    instances: std::sync::atomic::AtomicU64,
    instantiate_nanos: std::sync::atomic::AtomicU64,
    handle_nanos: std::sync::atomic::AtomicU64,
    /// The largest linear memory one guest asked for, in bytes.
    peak_memory: std::sync::atomic::AtomicU64,
}

/// A reading of [`GuestTimings`]; subtract two to get the figures of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimingsSnapshot {
    pub instances: u64,
    pub instantiate: Duration,
    pub handle: Duration,
    /// The largest linear memory one guest of the run asked for, in bytes (since start: not
    /// subtracted).
    pub peak_memory_bytes: u64,
}

impl GuestTimings {
    fn record(&self, instantiate: Duration, handle: Duration, memory_bytes: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.instances.fetch_add(1, Relaxed);
        self.instantiate_nanos
            .fetch_add(instantiate.as_nanos() as u64, Relaxed);
        self.handle_nanos
            .fetch_add(handle.as_nanos() as u64, Relaxed);
        self.peak_memory.fetch_max(memory_bytes as u64, Relaxed);
    }

    pub fn snapshot(&self) -> TimingsSnapshot {
        use std::sync::atomic::Ordering::Relaxed;
        TimingsSnapshot {
            instances: self.instances.load(Relaxed),
            instantiate: Duration::from_nanos(self.instantiate_nanos.load(Relaxed)),
            handle: Duration::from_nanos(self.handle_nanos.load(Relaxed)),
            peak_memory_bytes: self.peak_memory.load(Relaxed),
        }
    }
}

impl std::ops::Sub for TimingsSnapshot {
    type Output = TimingsSnapshot;

    fn sub(self, earlier: TimingsSnapshot) -> TimingsSnapshot {
        TimingsSnapshot {
            instances: self.instances.saturating_sub(earlier.instances),
            instantiate: self.instantiate.saturating_sub(earlier.instantiate),
            handle: self.handle.saturating_sub(earlier.handle),
            peak_memory_bytes: self.peak_memory_bytes,
        }
    }
}

/// The loaded application, shared by every connection.
pub struct App {
    engine: Engine,
    router: Router<Arc<LoadedComponent>>,
    kv: Arc<KvBackend>,
    /// Host calls to the key-value store and outbound Redis, for the benchmark's figures.
    store_operations: Arc<std::sync::atomic::AtomicU64>,
    timings: Arc<GuestTimings>,
    slots: Arc<Semaphore>,
    log_requests: bool,
    request_timeout: Duration,
    test_clock_file: Option<PathBuf>,
    /// Where Spin-style self requests (`http://self.alt/...`) go: the address this host
    /// listens on, set once it is bound (Spin takes its own listener's address too).
    self_origin: Option<SocketAddr>,
}

/// A running host. `stop` ends it; dropping it also stops accepting
/// connections (connections already open finish their requests).
pub struct RunningHost {
    pub addr: SocketAddr,
    pub routes: Vec<(String, String)>,
    /// Which backend holds the `default` store ("SQLite", "Redis").
    pub store: &'static str,
    /// Host calls to the store so far (every request of every component).
    pub store_operations: Arc<std::sync::atomic::AtomicU64>,
    /// Instantiation and handler time so far.
    pub timings: Arc<GuestTimings>,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningHost {
    /// Stops accepting connections and waits for the server task.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

/// Opens the `default` store where the runtime config puts it: Spin's
/// SQLite file in the data folder unless it says otherwise.
fn open_default_store(
    runtime_config: &RuntimeConfig,
    data_dir: &std::path::Path,
) -> Result<KvBackend> {
    for section in &runtime_config.ignored_sections {
        eprintln!("dev-host: runtime config section [{section}] is not used by the dev host");
    }
    for label in runtime_config.key_value_stores.keys() {
        if label != "default" {
            eprintln!(
                "dev-host: runtime config store `{label}` is not used (the dev host offers only `default`)"
            );
        }
    }
    match runtime_config.key_value_stores.get("default") {
        None => Ok(KvBackend::Sqlite(KvDatabase::open(data_dir)?)),
        Some(KvStoreConfig::Sqlite { path: None }) => {
            Ok(KvBackend::Sqlite(KvDatabase::open_in_memory()?))
        }
        Some(KvStoreConfig::Sqlite { path: Some(path) }) => {
            Ok(KvBackend::Sqlite(KvDatabase::open_file(path)?))
        }
        Some(KvStoreConfig::Redis { url }) => {
            let runtime = tokio::runtime::Handle::try_current()
                .context("the Redis store needs the dev host's async runtime")?;
            let redis = runtime.block_on(crate::kv_redis::RedisKv::connect(url))?;
            Ok(KvBackend::Redis(redis))
        }
    }
}

/// Compiles a component, or loads what an earlier start compiled from the same bytes with
/// the same engine settings: Cranelift takes seconds per component, and the multi-instance
/// tests start many hosts. The cache sits beside the `.wasm` (a build output, never
/// committed): `<name>.<hash>.cwasm`, written to a temporary file and renamed so that
/// concurrent starts never read half a file; older entries of the same component are removed.
fn compile_cached(engine: &Engine, source: &std::path::Path, bytes: &[u8]) -> Result<Component> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    bytes.hash(&mut hasher);
    let stem = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("component");
    let folder = source
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("dev-host-cache");
    let cached = folder.join(format!("{stem}.{:016x}.cwasm", hasher.finish()));
    if cached.exists() {
        // SAFETY: only this function writes the cache, with `precompile_component` of an
        // engine whose settings are in the file name's hash; Wasmtime also checks the
        // header's version and settings and refuses a file that does not match.
        match unsafe { Component::deserialize_file(engine, &cached) } {
            Ok(component) => return Ok(component),
            Err(e) => eprintln!("dev-host: ignoring cache {}: {e}", cached.display()),
        }
    }
    let compiled = engine
        .precompile_component(bytes)
        .map_err(anyhow::Error::from)?;
    let component =
        unsafe { Component::deserialize(engine, &compiled) }.map_err(anyhow::Error::from)?;
    // The cache is an optimisation: failing to write it is not an error.
    if std::fs::create_dir_all(&folder).is_ok() {
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&format!("{stem}.")) && name.ends_with(".cwasm") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let partial = folder.join(format!("{stem}.{}.partial", std::process::id()));
        if std::fs::write(&partial, &compiled).is_ok() {
            let _ = std::fs::rename(&partial, &cached);
        }
    }
    Ok(component)
}

fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.memory_init_cow(true);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_CONCURRENT_INSTANCES)
        .total_core_instances(MAX_CONCURRENT_INSTANCES * CORE_INSTANCES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(MAX_CONCURRENT_INSTANCES * MEMORIES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(MAX_CONCURRENT_INSTANCES * TABLES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .total_stacks(MAX_CONCURRENT_INSTANCES)
        .max_memory_size(MAX_GUEST_MEMORY_BYTES);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            // Some sandboxes refuse the pool's large virtual reservation:
            // instances then get their memory on demand, slower but correct.
            eprintln!("dev-host: pooling allocator unavailable ({e}); allocating on demand");
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Engine::new(&config).map_err(anyhow::Error::from)
        }
    }
}

impl App {
    /// Reads the manifest, resolves variables, compiles and links every
    /// component. Any problem is one error naming what is wrong.
    pub fn load(config: &DevHostConfig) -> Result<Self> {
        let manifest = Manifest::from_file(&config.manifest_path)?;
        let values =
            variables::resolve_application_variables(&manifest.variables, &config.variables)?;
        let data_dir = config
            .data_dir
            .clone()
            .unwrap_or_else(|| manifest.root.join(".spin"));

        let engine = engine()?;
        let mut linker: Linker<RequestState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        host::add_to_linker(&mut linker)?;

        let mut loaded = BTreeMap::new();
        // Several components may share one .wasm: compile it once.
        let mut compiled: BTreeMap<PathBuf, Component> = BTreeMap::new();
        for (id, decl) in &manifest.components {
            for label in &decl.key_value_stores {
                if label != "default" {
                    bail!(
                        "component `{id}` uses key-value store `{label}`, but the dev host offers only `default`"
                    );
                }
            }
            for mount in &decl.files {
                if !mount.source.is_dir() {
                    bail!(
                        "component `{id}` mounts {}, which is not a folder",
                        mount.source.display()
                    );
                }
            }
            let mut component_variables = BTreeMap::new();
            for (name, template) in &decl.variables {
                component_variables.insert(name.to_string(), template.render(&values)?);
            }
            let mut allowed = Vec::new();
            for template in &decl.allowed_outbound_hosts {
                let rendered = template.render(&values)?;
                allowed.push(
                    AllowedHost::parse(&rendered).with_context(|| format!("component `{id}`"))?,
                );
            }
            let component = match compiled.get(&decl.source) {
                Some(component) => component.clone(),
                None => {
                    let bytes = std::fs::read(&decl.source).with_context(|| {
                        format!(
                            "component `{id}`: cannot read {} (build it first: `cargo xtask build`)",
                            decl.source.display()
                        )
                    })?;
                    let component =
                        compile_cached(&engine, &decl.source, &bytes).with_context(|| {
                            format!(
                                "component `{id}`: {} is not a valid component",
                                decl.source.display()
                            )
                        })?;
                    compiled.insert(decl.source.clone(), component.clone());
                    component
                }
            };
            let pre = linker
                .instantiate_pre(&component)
                .map_err(anyhow::Error::from)
                .and_then(|pre| ProxyPre::new(pre).map_err(anyhow::Error::from))
                .with_context(|| format!("component `{id}` cannot run on the dev host"))?;
            loaded.insert(
                id.clone(),
                Arc::new(LoadedComponent {
                    config: Arc::new(ComponentConfig {
                        id: id.clone(),
                        allowed_stores: decl
                            .key_value_stores
                            .iter()
                            .cloned()
                            .collect::<BTreeSet<_>>(),
                        variables: component_variables,
                    }),
                    pre,
                    files: decl.files.clone(),
                    environment: decl.environment.clone().into_iter().collect(),
                    policy: Arc::new(OutboundPolicy::new(allowed)),
                }),
            );
        }

        let routes = manifest
            .triggers
            .iter()
            .map(|t| (t.route.clone(), loaded[&t.component].clone()))
            .collect();
        let runtime_config = match &config.runtime_config_file {
            Some(path) => RuntimeConfig::from_file(path)?,
            None => RuntimeConfig::default(),
        };
        let kv = Arc::new(open_default_store(&runtime_config, &data_dir)?);
        Ok(Self {
            engine,
            router: Router::new(routes),
            kv,
            store_operations: Arc::default(),
            timings: Arc::default(),
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_INSTANCES as usize)),
            log_requests: config.log_requests,
            request_timeout: config.request_timeout,
            test_clock_file: config.test_clock_file.clone(),
            self_origin: None,
        })
    }

    /// Which backend holds the `default` store ("SQLite", "Redis").
    pub fn store_summary(&self) -> &'static str {
        self.kv.summary()
    }

    /// `(route, component)` pairs in manifest order, for the start-up banner.
    pub fn route_table(&self) -> Vec<(String, String)> {
        self.router
            .entries()
            .iter()
            .map(|(r, c)| (r.as_str().to_string(), c.config.id.clone()))
            .collect()
    }

    /// Serves one request end to end, never failing: errors become 4xx/5xx.
    async fn serve(
        self: Arc<Self>,
        request: Request<Incoming>,
        client: SocketAddr,
    ) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let (component, response) = match self.router.route(&path) {
            None => (None, plain(StatusCode::NOT_FOUND, "Not Found")),
            Some((route, component, matched)) => {
                let id = component.config.id.clone();
                let response = match self
                    .clone()
                    .invoke(component.clone(), route.clone(), matched, request, client)
                    .await
                {
                    Ok(response) => response,
                    Err(failure) => failure.into_response(&id),
                };
                (Some(id), response)
            }
        };
        if self.log_requests {
            eprintln!(
                "{method} {path} -> {} {} {:.1}ms",
                component.as_deref().unwrap_or("(no route)"),
                response.status().as_u16(),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
        response
    }

    async fn invoke(
        self: Arc<Self>,
        component: Arc<LoadedComponent>,
        route: Route,
        matched: RouteMatch,
        request: Request<Incoming>,
        client: SocketAddr,
    ) -> std::result::Result<Response<HyperOutgoingBody>, Failure> {
        let (mut parts, body) = request.into_parts();
        if let Some(length) = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && length > MAX_REQUEST_BODY_BYTES as u64
        {
            return Err(Failure::TooLarge);
        }
        let mut body = body;
        let mut buffer = bytes::BytesMut::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(Failure::BadRequest("could not read the request body"));
            };
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > MAX_REQUEST_BODY_BYTES {
                    return Err(Failure::TooLarge);
                }
                buffer.extend_from_slice(&data);
            }
        }
        let body = buffer.freeze();
        add_spin_headers(&mut parts, &route, &matched, client)?;
        let request = Request::from_parts(
            parts,
            Full::new(body)
                .map_err(|never: Infallible| -> wasmtime_wasi_http::Error { match never {} }),
        );

        // The slot is held by the guest task until the instance is gone,
        // body streaming included, so the instance pool is never exceeded.
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failure::ShuttingDown)?;
        let mut store = self.new_store(&component)?;
        let (sender, receiver) = oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(|_| Failure::BadRequest("the request has no Host header"))?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(|e| Failure::Host(e.into()))?;
        let pre = component.pre.clone();
        let timeout = self.request_timeout;
        let timings = self.timings.clone();
        // The guest runs in its own task so it may keep streaming the body
        // after the headers have gone out.
        let task = tokio::spawn(async move {
            let _slot = slot;
            let run = async {
                let started = std::time::Instant::now();
                let proxy = pre.instantiate_async(&mut store).await?;
                let instantiated = std::time::Instant::now();
                let handled = proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, incoming, outparam)
                    .await;
                timings.record(
                    instantiated - started,
                    instantiated.elapsed(),
                    store.data().limits.peak_memory_bytes,
                );
                handled
            };
            // Epochs stop a guest that computes; this stops one that waits
            // (on an outgoing request, a sleep) past the deadline too.
            match tokio::time::timeout(timeout, run).await {
                Ok(result) => result,
                Err(_) => Err(wasmtime::format_err!(
                    "the guest ran past the {}s request deadline",
                    timeout.as_secs_f64()
                )),
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(Failure::Guest(format!(
                "the guest answered with error {code:?}"
            ))),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(Failure::Guest("the guest never set a response".to_string())),
                Ok(Err(trap)) => Err(Failure::Guest(format!("{trap:?}"))),
                Err(join) => Err(Failure::Guest(format!("guest task failed: {join}"))),
            },
        }
    }

    fn new_store(
        &self,
        component: &LoadedComponent,
    ) -> std::result::Result<Store<RequestState>, Failure> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout().inherit_stderr();
        wasi.envs(&component.environment);
        if let Some(file) = &self.test_clock_file {
            let clock = crate::clock::ShiftedWallClock::from_file(file).map_err(Failure::Host)?;
            wasi.wall_clock(clock);
        }
        for mount in &component.files {
            wasi.preopened_dir(&mount.source, &mount.destination, FsPerms::ReadOnly)
                .map_err(|e| {
                    Failure::Host(
                        anyhow::Error::from(e)
                            .context(format!("cannot mount {}", mount.source.display())),
                    )
                })?;
        }
        let state = RequestState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks {
                component: component.config.id.clone(),
                policy: component.policy.clone(),
                self_origin: self.self_origin,
            },
            component: component.config.clone(),
            kv: self.kv.clone(),
            store_operations: self.store_operations.clone(),
            limits: GuestLimits {
                limits: wasmtime::StoreLimitsBuilder::new()
                    .memory_size(MAX_GUEST_MEMORY_BYTES)
                    .build(),
                peak_memory_bytes: 0,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // A guest that computes yields to the other requests at every tick
        // instead of holding a runtime thread; the deadline itself is the
        // timeout around the whole call (see `invoke`).
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        Ok(store)
    }
}

/// Why a request did not reach a guest answer.
enum Failure {
    TooLarge,
    BadRequest(&'static str),
    ShuttingDown,
    Host(anyhow::Error),
    Guest(String),
}

impl Failure {
    fn into_response(self, component: &str) -> Response<HyperOutgoingBody> {
        match self {
            Failure::TooLarge => {
                // The rest of the body is not read: close the connection
                // rather than leave it in an unknown state.
                let mut response = plain(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large");
                response
                    .headers_mut()
                    .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
            Failure::BadRequest(why) => plain(StatusCode::BAD_REQUEST, why),
            Failure::ShuttingDown => plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
            Failure::Host(e) => {
                eprintln!("dev-host: component `{component}`: host error: {e:#}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Failure::Guest(detail) => {
                eprintln!("dev-host: component `{component}` failed: {detail}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from(text.to_string()))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The headers Spin adds to every request it routes, with Spin's values.
/// As in Spin they replace any header of the same name the client sent;
/// other client headers, `spin-*` ones included, pass through, so a
/// component must not trust a `spin-*` header its route does not produce.
fn add_spin_headers(
    parts: &mut http::request::Parts,
    route: &Route,
    matched: &RouteMatch,
    client: SocketAddr,
) -> std::result::Result<(), Failure> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let scheme = parts.uri.scheme_str().unwrap_or("http").to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let mut set = |name: &str, value: &str| -> std::result::Result<(), Failure> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Failure::BadRequest("invalid route parameter name"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Failure::BadRequest("invalid characters in the request path"))?;
        parts.headers.insert(name, value);
        Ok(())
    };
    set("spin-path-info", &matched.path_info)?;
    set(
        "spin-full-url",
        &format!("{scheme}://{host}{path_and_query}"),
    )?;
    set("spin-matched-route", route.matched_route())?;
    set("spin-base-path", "/")?;
    set("spin-raw-component-route", route.as_str())?;
    set("spin-component-route", route.component_route())?;
    set("spin-client-addr", &client.to_string())?;
    for (name, value) in &matched.params {
        // Spin builds SPIN_PATH_MATCH_<NAME> and then turns `_` into `-`.
        let header = format!(
            "spin-path-match-{}",
            name.to_ascii_lowercase().replace('_', "-")
        );
        set(&header, value)?;
    }
    Ok(())
}

/// Loads the application and serves it until `stop`.
pub async fn start(config: DevHostConfig) -> Result<RunningHost> {
    let mut app = tokio::task::block_in_place(|| App::load(&config))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    app.self_origin = Some(addr);
    let routes = app.route_table();
    let store = app.store_summary();
    let store_operations = app.store_operations.clone();
    let timings = app.timings.clone();
    let app = Arc::new(app);

    // The epoch ticks on its own thread: on the async runtime, guests busy
    // on every worker would stop the very clock meant to interrupt them.
    let ticking = Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let (engine, ticking) = (app.engine.clone(), ticking.clone());
        std::thread::Builder::new()
            .name("dev-host-epoch".to_string())
            .spawn(move || {
                while ticking.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })?;
    }

    let (shutdown, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let (stream, client) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            eprintln!("dev-host: accept failed: {e}");
                            continue;
                        }
                    };
                    let app = app.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let app = app.clone();
                            async move { Ok::<_, Infallible>(app.serve(request, client).await) }
                        });
                        // Errors here are clients going away mid-response.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
        ticking.store(false, std::sync::atomic::Ordering::Relaxed);
    });
    Ok(RunningHost {
        addr,
        routes,
        store,
        store_operations,
        timings,
        shutdown,
        task,
    })
}

/// A host on its own runtime thread, for blocking callers (tests, xtask).
pub struct BackgroundHost {
    pub addr: SocketAddr,
    pub routes: Vec<(String, String)>,
    store_operations: Arc<std::sync::atomic::AtomicU64>,
    timings: Arc<GuestTimings>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundHost {
    pub fn start(config: DevHostConfig) -> Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dev-host".to_string())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(anyhow::Error::from(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match start(config).await {
                        Ok(host) => {
                            let _ = ready_tx.send(Ok((
                                host.addr,
                                host.routes.clone(),
                                host.store_operations.clone(),
                                host.timings.clone(),
                            )));
                            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                            host.stop().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (addr, routes, store_operations, timings) = ready_rx
            .recv()
            .context("the dev host thread ended before starting")??;
        Ok(Self {
            addr,
            routes,
            store_operations,
            timings,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Host calls to the key-value store (and outbound Redis) since start: a
    /// compare-and-swap through `wasi:keyvalue` is three (new, current, swap).
    pub fn store_operations(&self) -> u64 {
        self.store_operations
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Instantiation and handler time since start (see [`GuestTimings`]).
    pub fn timings(&self) -> TimingsSnapshot {
        self.timings.snapshot()
    }

    /// Stops the host and waits until its store is closed, so another host
    /// can open the same data folder.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundHost {
    fn drop(&mut self) {
        self.shutdown();
    }
}
