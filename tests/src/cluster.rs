//! Kiosque as a multi-node deployment runs it: several dev-host **processes** sharing one
//! Redis store through a Spin runtime config, behind one address that hands each new
//! connection to the next instance (round robin, skipping an instance that does not accept),
//! as a Kubernetes Service or a load balancer does.
//!
//! The instances are the `e2e-instance` binary of this package (the dev host's command line),
//! so a test can kill one with SIGKILL in the middle of a burst.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::redis::RedisServer;

/// One dev-host process.
struct Instance {
    process: Child,
    addr: SocketAddr,
}

/// Several instances on one Redis, behind one round-robin address.
pub struct Cluster {
    pub redis: RedisServer,
    pub proxy_addr: SocketAddr,
    instances: Mutex<Vec<Option<Instance>>>,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    /// Connections handed to each instance, by address.
    served: Arc<Mutex<BTreeMap<SocketAddr, usize>>>,
    stop: Arc<AtomicBool>,
    manifest: PathBuf,
    variables: BTreeMap<String, String>,
    runtime_config: PathBuf,
    folder: tempfile::TempDir,
}

/// The `e2e-instance` program, built by cargo beside the test binaries.
fn instance_program() -> PathBuf {
    if let Some(path) = std::env::var_os("KIOSQUE_INSTANCE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/e2e-instance
    let profile_dir = exe
        .parent()
        .and_then(|deps| {
            if deps.ends_with("deps") {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .expect("a target folder");
    profile_dir.join("e2e-instance")
}

fn start_instance(
    manifest: &Path,
    data_dir: &Path,
    runtime_config: &Path,
    variables: &BTreeMap<String, String>,
    clock_file: &Path,
) -> Instance {
    let program = instance_program();
    let mut command = Command::new(&program);
    command
        .arg("--from")
        .arg(manifest)
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--runtime-config-file")
        .arg(runtime_config)
        .arg("--test-clock-file")
        .arg(clock_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if std::env::var_os("KIOSQUE_TEST_LOG").is_none() {
        command.arg("--quiet").stderr(Stdio::null());
    }
    for (name, value) in variables {
        command.arg("--variable").arg(format!("{name}={value}"));
    }
    let mut process = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let stdout = process.stdout.take().expect("piped stdout");
    // The banner comes on the first line; the rest is read (and dropped) so the instance
    // never blocks on a full pipe. An instance that does not start in time fails the test.
    let (banner_tx, banner_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = banner_tx.send(lines.next().and_then(Result::ok));
        lines.for_each(drop);
    });
    let banner = banner_rx
        .recv_timeout(Duration::from_secs(120))
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            let _ = process.kill();
            panic!("the instance did not start (run with KIOSQUE_TEST_LOG=1)")
        });
    let addr = banner
        .strip_prefix("Serving http://")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("unexpected banner: {banner}"));
    assert!(
        banner.contains("key-value store: Redis"),
        "the instance must run on Redis: {banner}"
    );
    Instance { process, addr }
}

/// Copies bytes one way until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}

fn serve_proxy(
    listener: TcpListener,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    served: Arc<Mutex<BTreeMap<SocketAddr, usize>>>,
    stop: Arc<AtomicBool>,
) {
    let next = AtomicUsize::new(0);
    for client in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(client) = client else { continue };
        let candidates = backends.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let start = next.fetch_add(1, Ordering::Relaxed);
        // An instance that refuses the connection (killed) is skipped, as a load balancer's
        // health check would do.
        let upstream = (0..candidates.len()).find_map(|i| {
            let index = (start + i) % candidates.len();
            let stream =
                TcpStream::connect_timeout(&candidates[index], Duration::from_secs(2)).ok()?;
            *served
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(candidates[index])
                .or_default() += 1;
            Some(stream)
        });
        let Some(upstream) = upstream else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let (Ok(client_read), Ok(upstream_read)) = (client.try_clone(), upstream.try_clone())
        else {
            continue;
        };
        std::thread::spawn(move || pipe(client_read, upstream));
        std::thread::spawn(move || pipe(upstream_read, client));
    }
}

/// The instances' shared test clock (`dev_host::clock`), in the cluster's folder.
const CLOCK_FILE: &str = "clock";

impl Cluster {
    /// The clock file every instance reads its guests' time from.
    pub fn clock_file(&self) -> PathBuf {
        self.folder.path().join(CLOCK_FILE)
    }

    /// Starts Redis, `count` instances of `manifest` on it, and the round-robin address.
    pub fn start(manifest: &Path, variables: BTreeMap<String, String>, count: usize) -> Self {
        let redis = RedisServer::start();
        let folder = tempfile::tempdir().expect("a folder for the instances");
        let runtime_config = redis.runtime_config(folder.path());
        let mut variables = variables;
        variables.insert("kv_redis_url".to_string(), redis.url());
        let instances: Vec<_> = (0..count)
            .map(|i| {
                Some(start_instance(
                    manifest,
                    &folder.path().join(format!("instance-{i}")),
                    &runtime_config,
                    &variables,
                    &folder.path().join(CLOCK_FILE),
                ))
            })
            .collect();
        let backends = Arc::new(Mutex::new(
            instances
                .iter()
                .flatten()
                .map(|i| i.addr)
                .collect::<Vec<_>>(),
        ));
        let served = Arc::new(Mutex::new(BTreeMap::new()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the proxy");
        let proxy_addr = listener.local_addr().expect("the proxy's address");
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (backends, served, stop) = (backends.clone(), served.clone(), stop.clone());
            std::thread::spawn(move || serve_proxy(listener, backends, served, stop));
        }
        Cluster {
            redis,
            proxy_addr,
            instances: Mutex::new(instances),
            backends,
            served,
            stop,
            manifest: manifest.to_path_buf(),
            variables,
            runtime_config,
            folder,
        }
    }

    fn instances(&self) -> std::sync::MutexGuard<'_, Vec<Option<Instance>>> {
        self.instances.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The base URL of instance `i` itself, bypassing the round robin.
    pub fn instance_url(&self, i: usize) -> String {
        let instances = self.instances();
        let instance = instances[i].as_ref().expect("a running instance");
        format!("http://{}", instance.addr)
    }

    pub fn len(&self) -> usize {
        self.instances().len()
    }

    pub fn is_empty(&self) -> bool {
        self.instances().is_empty()
    }

    /// How many connections the round robin handed to each instance so far.
    pub fn connections_served(&self) -> Vec<usize> {
        let served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        self.instances()
            .iter()
            .map(|i| {
                i.as_ref()
                    .and_then(|i| served.get(&i.addr))
                    .copied()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Kills instance `i` with SIGKILL: no shutdown, requests in flight are cut.
    pub fn kill(&self, i: usize) {
        let taken = self.instances()[i].take();
        if let Some(mut instance) = taken {
            // Out of the round robin first: its port may soon be another test's.
            self.backends
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|addr| *addr != instance.addr);
            let _ = instance.process.kill();
            let _ = instance.process.wait();
        }
    }

    /// Stops every instance and starts them again on the same Redis (ports change).
    pub fn restart(&mut self) {
        let count = self.len();
        for i in 0..count {
            self.kill(i);
        }
        let restarted: Vec<_> = (0..count)
            .map(|i| {
                Some(start_instance(
                    &self.manifest,
                    &self.folder.path().join(format!("instance-{i}")),
                    &self.runtime_config,
                    &self.variables,
                    &self.clock_file(),
                ))
            })
            .collect();
        *self.backends.lock().unwrap_or_else(|p| p.into_inner()) =
            restarted.iter().flatten().map(|i| i.addr).collect();
        *self.instances() = restarted;
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.proxy_addr);
        for i in 0..self.len() {
            self.kill(i);
        }
    }
}
