//! A small W3C WebDriver client for the console's browser tests: Debian's headless Chromium
//! driven through `chromedriver` (both installed by `scripts/install-browser.sh`, which
//! `cargo xtask test` and `.ci/run` call), over the blocking HTTP client the suite already
//! uses. Only what the tests need: navigate, find, click, type, read, run a script, take a
//! screenshot.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The key WebDriver gives element references under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a test waits for something to appear before failing.
const WAIT: Duration = Duration::from_secs(10);

/// Where the screenshots of the main screens are kept as test artefacts.
pub fn screenshot_dir() -> PathBuf {
    crate::workspace_root().join("target/browser-screenshots")
}

/// A headless Chromium session; the driver process ends with it.
pub struct Browser {
    driver: Child,
    http: Client,
    base: String,
    session: String,
}

/// An element found on the page.
#[derive(Clone)]
pub struct Element {
    id: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn find_program(names: &[&str]) -> String {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = format!("{dir}/{name}");
            if std::path::Path::new(&path).exists() {
                return path;
            }
        }
    }
    panic!(
        "{} not found: run scripts/install-browser.sh (cargo xtask test does)",
        names.join(" or ")
    );
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at a tablet-sized window.
    pub fn start() -> Browser {
        let driver_path = find_program(&["chromedriver"]);
        let chromium = find_program(&["chromium", "chromium-browser"]);
        let port = free_port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver answers");
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=fr-FR"],
            },
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .and_then(|r| r.json())
            .expect("a WebDriver session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Browser {
            driver,
            http,
            base,
            session,
        }
    }

    fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .and_then(|r| r.json())
            .expect("chromedriver answers");
        answer["value"].clone()
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body))
    }

    fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None)
    }

    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// Fills and submits the console's sign-in form of `app` as `email` with `password`; the
    /// caller waits for what should follow (an error, or the console with
    /// [`Browser::sign_in`]).
    pub fn submit_sign_in(&self, app: &crate::TestApp, email: &str, password: &str) {
        self.goto(&app.url("/admin/sign-in.html"));
        self.type_into("[data-testid=sign-in-email]", email);
        self.type_into("[data-testid=sign-in-password]", password);
        self.click("[data-testid=sign-in-submit]");
    }

    /// Signs in to `app`'s console as `email` and waits until it names who is signed in.
    pub fn sign_in(&self, app: &crate::TestApp, email: &str, password: &str) {
        self.submit_sign_in(app, email, password);
        self.find("[data-testid=whoami]");
    }

    pub fn current_url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, if there is one now.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let found = self.post("/element", json!({"using": "css selector", "value": css}));
        found[ELEMENT]
            .as_str()
            .map(|id| Element { id: id.to_owned() })
    }

    /// Waits until an element matches `css` (and is displayed) and answers it.
    pub fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(element) = self.try_find(css)
                && self.is_displayed(&element)
            {
                return element;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-{}", sanitize(css)));
                panic!("nothing visible matches {css} at {}", self.current_url());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.post("/elements", json!({"using": "css selector", "value": css}));
        found
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|e| e[ELEMENT].as_str())
                    .map(|id| Element { id: id.to_owned() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits until `condition` (a JavaScript expression) is true on the page.
    pub fn wait_for(&self, what: &str, condition: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.script(&format!("return !!({condition});"), json!([])) == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                self.screenshot(&format!("failed-{}", sanitize(what)));
                panic!("{what}: still false after {WAIT:?}: {condition}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn is_displayed(&self, element: &Element) -> bool {
        self.get(&format!("/element/{}/displayed", element.id)) == json!(true)
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.click_element(&element);
    }

    pub fn click_element(&self, element: &Element) {
        let answer = self.post(&format!("/element/{}/click", element.id), json!({}));
        if answer.get("error").is_some() {
            // Covered by a sticky header or out of view: the browser's own click.
            self.script("arguments[0].click();", json!([element.to_json()]));
        }
    }

    /// Replaces the value of the field matching `css` with `text`, as typed.
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.post(&format!("/element/{}/clear", element.id), json!({}));
        self.post(
            &format!("/element/{}/value", element.id),
            json!({ "text": text }),
        );
    }

    /// Presses keys on the element matching `css` (WebDriver key codes, e.g. "\u{E015}"
    /// for the down arrow).
    pub fn press(&self, css: &str, keys: &str) {
        let element = self.find(css);
        self.post(
            &format!("/element/{}/value", element.id),
            json!({ "text": keys }),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.element_text(&element)
    }

    pub fn element_text(&self, element: &Element) -> String {
        self.get(&format!("/element/{}/text", element.id))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.get(&format!("/element/{}/attribute/{name}", element.id))
            .as_str()
            .map(str::to_owned)
    }

    /// Runs `script` in the page (synchronously) and answers its result.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs an asynchronous script: it calls `arguments[arguments.length - 1]` with its result.
    pub fn async_script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Saves a PNG of the window under `target/browser-screenshots/{name}.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let encoded = self.get("/screenshot");
        let bytes = encoded
            .as_str()
            .and_then(decode_base64)
            .expect("a base64 PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).expect("the screenshot is written");
        path
    }

    /// Clears cookies and storage: the next page starts signed out.
    pub fn forget_everything(&self) {
        self.command(reqwest::Method::DELETE, "/cookie", None);
    }
}

impl Element {
    fn to_json(&self) -> Value {
        json!({ ELEMENT: self.id })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect()
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = ALPHABET.iter().position(|a| *a == byte)? as u32;
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}
