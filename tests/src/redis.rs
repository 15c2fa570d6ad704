//! A throwaway `redis-server` for the tests that run Kiosque on Spin's Redis store: Debian's
//! package (`scripts/install-redis.sh`), on a free loopback port, without persistence, stopped
//! when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Redis server of one test.
pub struct RedisServer {
    pub port: u16,
    process: Child,
    _folder: tempfile::TempDir,
}

/// The `redis-server` program: `KIOSQUE_REDIS_SERVER`, else the one on `PATH`.
fn program() -> PathBuf {
    if let Some(path) = std::env::var_os("KIOSQUE_REDIS_SERVER") {
        return PathBuf::from(path);
    }
    ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RedisServer {
    /// Starts a server and waits until it answers.
    pub fn start() -> Self {
        // Another process may take the port between our probe and Redis's bind: try again.
        for _ in 0..5 {
            if let Some(server) = Self::try_start(free_port()) {
                return server;
            }
        }
        panic!("redis-server would not start (install it with scripts/install-redis.sh)");
    }

    fn try_start(port: u16) -> Option<Self> {
        let folder = tempfile::tempdir().expect("a folder for Redis");
        let process = Command::new(program())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(folder.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e} (install it with scripts/install-redis.sh)",
                    program().display()
                )
            });
        let mut server = RedisServer {
            port,
            process,
            _folder: folder,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = server.process.try_wait() {
                return None;
            }
            // Answered by the server we started, not by another test's on a port reused.
            if server.process_id() == Some(server.process.id()) {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The `process_id` that `INFO server` reports, `None` while nothing answers.
    fn process_id(&self) -> Option<u32> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        stream
            .write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
            .ok()?;
        BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
            .take(100)
            .find_map(|line| line.strip_prefix("process_id:")?.trim().parse().ok())
    }

    /// `GET key` as text, `None` when absent.
    pub fn get(&self, key: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .write_all(format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes())
            .ok()?;
        let mut reader = BufReader::new(stream);
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let length: i64 = header.trim_end().strip_prefix('$')?.parse().ok()?;
        if length < 0 {
            return None;
        }
        let mut value = String::new();
        reader.read_line(&mut value).ok()?;
        Some(value.trim_end_matches("\r\n").to_string())
    }

    /// A runtime config file (`--runtime-config-file`) that puts the `default` store here.
    pub fn runtime_config(&self, folder: &Path) -> PathBuf {
        let path = folder.join("runtime-config.toml");
        std::fs::write(
            &path,
            format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                self.url()
            ),
        )
        .expect("runtime config written");
        path
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
