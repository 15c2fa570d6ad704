//! A tiny HTTP/1.1 server on 127.0.0.1 for the platform fakes: one thread accepts, one thread
//! per connection answers with the fake's handler, one request per connection
//! (`connection: close`). Enough for the dev host's outbound client, nothing more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A request as the fake received it. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct FakeRequest {
    pub method: String,
    /// Path and query, e.g. `/xrpc/com.atproto.repo.getRecord?repo=...`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl FakeRequest {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// A query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| percent_decode(v))
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The bearer token of `authorization`.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a fake answers.
#[derive(Debug, Clone)]
pub struct FakeResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waits this long before answering (to outlast the client's timeout).
    pub delay: Option<Duration>,
    /// Sends the body one byte at a time, this long apart: a server that never goes silent
    /// long enough for a between-bytes timeout, yet never finishes.
    pub drip: Option<Duration>,
}

impl FakeResponse {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        FakeResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).expect("JSON"),
            delay: None,
            drip: None,
        }
    }

    pub fn empty(status: u16) -> Self {
        FakeResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: None,
            drip: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn dripped(mut self, every: Duration) -> Self {
        self.drip = Some(every);
        self
    }
}

/// A failure a fake can be told to produce for its next matching requests.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Answers normally, but only after this delay (past the client's timeout: the work is
    /// done, the answer is lost, which is what exactly-once must survive).
    Delay(Duration),
    /// Answers normally, but drips the body one byte per interval (see
    /// [`FakeResponse::drip`]).
    Drip(Duration),
    /// Answers this status with a JSON error and does nothing.
    Status(u16),
    /// 429 with `Retry-After: secs`.
    TooManyRequests { retry_after_secs: u64 },
    /// 401: the credentials are refused.
    Unauthorized,
    /// 422 with this message (Mastodon's `{"error": ...}`).
    Unprocessable(String),
}

impl Failure {
    /// The answer of a failure that does not do the work (all but [`Failure::Delay`] and
    /// [`Failure::Drip`]).
    pub fn response(&self) -> Option<FakeResponse> {
        Some(match self {
            Failure::Delay(_) | Failure::Drip(_) => return None,
            Failure::Status(status) => {
                FakeResponse::json(*status, serde_json::json!({"error": "fake failure"}))
            }
            Failure::TooManyRequests { retry_after_secs } => {
                FakeResponse::json(429, serde_json::json!({"error": "Too many requests"}))
                    .with_header("retry-after", &retry_after_secs.to_string())
            }
            Failure::Unauthorized => FakeResponse::json(
                401,
                serde_json::json!({"error": "The access token is invalid"}),
            ),
            Failure::Unprocessable(message) => {
                FakeResponse::json(422, serde_json::json!({"error": message}))
            }
        })
    }
}

type Handler = dyn Fn(&FakeRequest) -> FakeResponse + Send + Sync;

/// A running fake server; stops accepting when dropped.
pub struct FakeServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl FakeServer {
    pub fn start(handler: impl Fn(&FakeRequest) -> FakeResponse + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &*handler) {
                        eprintln!("fake server: {e}");
                    }
                });
            }
        });
        FakeServer { addr, stop }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(stream: TcpStream, handler: &Handler) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            break;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(length) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                let mut end = String::new();
                reader.read_line(&mut end)?;
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    }
    let request = FakeRequest {
        method,
        target,
        headers,
        body,
    };
    let response = handler(&request);
    if let Some(delay) = response.delay {
        std::thread::sleep(delay);
    }
    let mut stream = stream;
    let mut head = format!("HTTP/1.1 {} Fake\r\n", response.status);
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if let Some(every) = response.drip {
        stream.flush()?;
        for byte in &response.body {
            std::thread::sleep(every);
            // The client hanging up ends the drip.
            stream.write_all(std::slice::from_ref(byte))?;
            stream.flush()?;
        }
        return Ok(());
    }
    stream.write_all(&response.body)?;
    stream.flush()
}
