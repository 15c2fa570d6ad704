//! A fake webhook receiver that verifies Standard Webhooks signatures the way a receiver's
//! library does: `webhook-id`, `webhook-timestamp` within 5 minutes, and one of the
//! `v1,<base64>` signatures of `webhook-signature` equal to HMAC-SHA256 of
//! `"{id}.{timestamp}.{body}"` under the `whsec_` secret. A message that fails is answered
//! 401 and recorded as a problem.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::server::{Failure, FakeRequest, FakeResponse, FakeServer};
use super::{Failures, Problems, base64_decode, base64_encode, hmac_sha256};

/// A message the receiver accepted.
#[derive(Debug, Clone)]
pub struct FakeMessage {
    pub id: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct State {
    secret: Option<Vec<u8>>,
    messages: Vec<FakeMessage>,
    requests: Vec<FakeRequest>,
    status: Option<u16>,
}

struct Inner {
    state: Mutex<State>,
    problems: Problems,
    failures: Failures,
}

pub struct FakeReceiver {
    inner: Arc<Inner>,
    server: FakeServer,
}

impl FakeReceiver {
    pub fn start() -> Self {
        let inner = Arc::new(Inner {
            state: Mutex::default(),
            problems: Problems::default(),
            failures: Failures::default(),
        });
        let handler = inner.clone();
        let server = FakeServer::start(move |req| handler.handle(req));
        FakeReceiver { inner, server }
    }

    /// The URL to register (any path is accepted).
    pub fn url(&self) -> String {
        format!("{}/hooks/kiosque", self.server.url())
    }

    /// The `whsec_...` secret Kiosque showed at creation.
    pub fn set_secret(&self, whsec: &str) {
        let bytes = whsec
            .strip_prefix("whsec_")
            .and_then(base64_decode)
            .expect("a whsec_ secret");
        self.inner.state.lock().unwrap().secret = Some(bytes);
    }

    /// Answers every verified message with `status` from now on (e.g. 410 Gone).
    pub fn answer_with(&self, status: u16) {
        self.inner.state.lock().unwrap().status = Some(status);
    }

    pub fn fail_next(&self, failure: Failure) {
        self.inner.failures.push("/", failure);
    }

    /// The verified messages, in arrival order (retries included: dedupe on `id`).
    pub fn messages(&self) -> Vec<FakeMessage> {
        self.inner.state.lock().unwrap().messages.clone()
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.inner.state.lock().unwrap().requests.clone()
    }

    pub fn problems(&self) -> Vec<String> {
        self.inner.problems.list()
    }
}

impl Inner {
    fn handle(&self, req: &FakeRequest) -> FakeResponse {
        self.state.lock().unwrap().requests.push(req.clone());
        if let Err(problem) = self.verify(req) {
            self.problems.add(format!("webhook receiver: {problem}"));
            return FakeResponse::json(401, serde_json::json!({"error": problem}));
        }
        let failure = self.failures.take(req.path());
        if let Some(response) = failure.as_ref().and_then(Failure::response) {
            return response;
        }
        let mut state = self.state.lock().unwrap();
        state.messages.push(FakeMessage {
            id: req.header("webhook-id").unwrap_or("").to_owned(),
            body: req.json().unwrap_or_default(),
        });
        let response = FakeResponse::empty(state.status.unwrap_or(204));
        match failure {
            Some(Failure::Delay(delay)) => response.delayed(delay),
            Some(Failure::Drip(every)) => response.dripped(every),
            _ => response,
        }
    }

    fn verify(&self, req: &FakeRequest) -> Result<(), String> {
        let secret = self
            .state
            .lock()
            .unwrap()
            .secret
            .clone()
            .ok_or("no secret set in the receiver")?;
        let id = req.header("webhook-id").ok_or("no webhook-id")?;
        let timestamp = req
            .header("webhook-timestamp")
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or("no numeric webhook-timestamp")?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if (now - timestamp).abs() > 300 {
            return Err(format!(
                "webhook-timestamp {timestamp} is not within 5 minutes"
            ));
        }
        let mut message = format!("{id}.{timestamp}.").into_bytes();
        message.extend_from_slice(&req.body);
        let expected = format!("v1,{}", base64_encode(&hmac_sha256(&secret, &message)));
        let signatures = req
            .header("webhook-signature")
            .ok_or("no webhook-signature")?;
        if !signatures.split(' ').any(|s| s == expected) {
            return Err("webhook-signature does not verify".into());
        }
        let body = req.json().ok_or("body is not JSON")?;
        if !body["type"].is_string() || !body["timestamp"].is_string() || body.get("data").is_none()
        {
            return Err("payload is not {type, timestamp, data}".into());
        }
        Ok(())
    }
}
