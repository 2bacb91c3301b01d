//! Shared helpers for the sandbox tests: a sandbox on its own thread with an HTTP client, a
//! request builder whose every response body is validated against Snowflake's OpenAPI schemas
//! (`tests/fixtures/openapi/`), and key-pair JWTs signed with the test keys in
//! `tests/fixtures/keys/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonschema::Validator;
use pat_reconcile::sandbox::{CLIENT_IP_HEADER, SandboxConfig, SandboxThread};
use reqwest::header::HeaderMap;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const USER_AGENT: &str = "pat-reconcile-tests/1.0";

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// OpenAPI 3.0 `nullable: true` → JSON Schema `type: [t, "null"]`.
fn to_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                if let Some(Value::String(kind)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([kind, "null"]));
                }
            }
            map.values_mut().for_each(to_json_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

fn compile(document: &str, schema: &str) -> Validator {
    let text = std::fs::read_to_string(fixture(document)).unwrap();
    let spec: Value = serde_yaml::from_str(&text).unwrap();
    let mut schema = spec["components"]["schemas"][schema].clone();
    assert!(schema.is_object(), "no schema {schema} in {document}");
    to_json_schema(&mut schema);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_format("uuid", |text: &str| uuid::Uuid::parse_str(text).is_ok())
        // The docs give statementStatusUrl as a relative path; accept URI references.
        .with_format("uri", |text: &str| {
            !text.is_empty() && !text.contains(char::is_whitespace)
        })
        .build(&schema)
        .unwrap()
}

/// The schemas a body can be checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    ResultSet,
    QueryStatus,
    QueryFailureStatus,
    CancelStatus,
    ErrorResponse,
}

fn validator(schema: Schema) -> &'static Validator {
    static VALIDATORS: OnceLock<Vec<(Schema, Validator)>> = OnceLock::new();
    let all = VALIDATORS.get_or_init(|| {
        vec![
            (
                Schema::ResultSet,
                compile("openapi/sqlapi.yaml", "ResultSet"),
            ),
            (
                Schema::QueryStatus,
                compile("openapi/sqlapi.yaml", "QueryStatus"),
            ),
            (
                Schema::QueryFailureStatus,
                compile("openapi/sqlapi.yaml", "QueryFailureStatus"),
            ),
            (
                Schema::CancelStatus,
                compile("openapi/sqlapi.yaml", "CancelStatus"),
            ),
            (
                Schema::ErrorResponse,
                compile("openapi/common.yaml", "ErrorResponse"),
            ),
        ]
    });
    &all.iter().find(|(kind, _)| *kind == schema).unwrap().1
}

/// Asserts that `body` is valid against `schema`, listing every violation otherwise.
pub fn assert_valid(schema: Schema, body: &Value) {
    let errors: Vec<String> = validator(schema)
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "response body is not a valid {schema:?}: {errors:#?}\n{body:#}"
    );
}

/// Which endpoint a reply came from (the schemas differ for cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Submit,
    Status,
    Cancel,
    Control,
}

/// A response: status, headers and JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }

    pub fn handle(&self) -> String {
        self.body["statementHandle"].as_str().unwrap().to_owned()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.body["resultSetMetaData"]["rowType"]
            .as_array()
            .unwrap()
            .iter()
            .map(|column| column["name"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn rows(&self) -> Vec<Vec<Option<String>>> {
        self.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|cell| cell.as_str().map(str::to_owned))
                    .collect()
            })
            .collect()
    }

    /// The values of one column, by name.
    pub fn column(&self, name: &str) -> Vec<Option<String>> {
        let index = self
            .column_names()
            .iter()
            .position(|column| column == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.column_names()));
        self.rows()
            .into_iter()
            .map(|row| row[index].clone())
            .collect()
    }

    /// The value of `column` in the row whose `key_column` is `key`.
    pub fn cell(&self, key_column: &str, key: &str, column: &str) -> Option<String> {
        let keys = self.column(key_column);
        let values = self.column(column);
        let row = keys
            .iter()
            .position(|value| value.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("no row with {key_column} = {key}: {:#}", self.body));
        values[row].clone()
    }

    /// Asserts a 200 and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 200, "expected 200, got {:#}", self.body);
        self
    }

    /// Asserts a 422 with this Snowflake code and returns self.
    #[track_caller]
    pub fn fails_with(self, code: &str) -> Self {
        assert_eq!(
            (self.status, self.code()),
            (422, code),
            "expected 422 {code}, got {}: {:#}",
            self.status,
            self.body
        );
        self
    }

    /// Asserts a 401 with this Snowflake code.
    #[track_caller]
    pub fn refused_with(self, code: &str) -> Self {
        assert_eq!(
            (self.status, self.code()),
            (401, code),
            "expected 401 {code}, got {}: {:#}",
            self.status,
            self.body
        );
        self
    }
}

fn check(endpoint: Endpoint, reply: &Reply) {
    let schema = match (endpoint, reply.status) {
        (Endpoint::Control, _) => return,
        (Endpoint::Cancel, 200 | 422) => Schema::CancelStatus,
        (_, 200) => Schema::ResultSet,
        (_, 202 | 408) => Schema::QueryStatus,
        (_, 422) => Schema::QueryFailureStatus,
        (_, 400 | 401 | 415 | 429) => Schema::ErrorResponse,
        (_, 404 | 405 | 503) => {
            assert!(reply.body.is_null(), "expected no body: {:#}", reply.body);
            return;
        }
        (_, status) => panic!("unexpected status {status}: {:#}", reply.body),
    };
    assert_valid(schema, &reply.body);
}

/// A sandbox and a client.
pub struct Harness {
    pub sandbox: SandboxThread,
    pub client: reqwest::Client,
}

impl Harness {
    pub fn start() -> Self {
        Self::with(SandboxConfig::default())
    }

    pub fn with(config: SandboxConfig) -> Self {
        Self {
            sandbox: SandboxThread::spawn(config).unwrap(),
            client: reqwest::Client::builder().gzip(true).build().unwrap(),
        }
    }

    /// Runs setup SQL as ADMIN in process; panics with Snowflake's message on failure.
    #[track_caller]
    pub fn seed(&self, sql: &str) {
        if let Err(error) = self.sandbox.execute_as_admin(sql) {
            panic!("seeding failed: {} {error}\n{sql}", error.code());
        }
    }

    /// A statement request as the admin.
    pub fn statement(&self, sql: &str) -> Request<'_> {
        Request {
            harness: self,
            method: reqwest::Method::POST,
            path: "/api/v2/statements".into(),
            endpoint: Endpoint::Submit,
            token: Some(self.sandbox.admin_token().to_owned()),
            token_type: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(json!({ "statement": sql })),
            raw_body: None,
        }
    }

    /// `GET /api/v2/statements/{handle}` as the admin.
    pub fn poll(&self, handle: &str) -> Request<'_> {
        Request {
            method: reqwest::Method::GET,
            path: format!("/api/v2/statements/{handle}"),
            endpoint: Endpoint::Status,
            body: None,
            ..self.statement("")
        }
    }

    /// `POST /api/v2/statements/{handle}/cancel` as the admin.
    pub fn cancel(&self, handle: &str) -> Request<'_> {
        Request {
            path: format!("/api/v2/statements/{handle}/cancel"),
            endpoint: Endpoint::Cancel,
            body: None,
            ..self.statement("")
        }
    }

    /// A test-control request as the admin.
    pub fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Request<'_> {
        Request {
            method,
            path: path.into(),
            endpoint: Endpoint::Control,
            body,
            ..self.statement("")
        }
    }

    /// Runs a statement as the admin and asserts it succeeded.
    pub async fn admin(&self, sql: &str) -> Reply {
        self.statement(sql).send().await.ok()
    }

    /// Creates a PAT as the admin and returns its secret.
    pub async fn add_token(&self, sql: &str) -> String {
        let reply = self.admin(sql).await;
        reply.column("token_secret")[0].clone().unwrap()
    }

    /// Polls a statement until it is no longer running (bounded, so a hang fails the test).
    pub async fn wait_done(&self, handle: &str) -> Reply {
        for _ in 0..1000 {
            let reply = self.poll(handle).send().await;
            if reply.status != 202 {
                return reply;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("statement {handle} never finished");
    }

    /// The statement log's SQL texts, in order.
    pub fn executed_sql(&self) -> Vec<String> {
        self.sandbox
            .statement_log()
            .into_iter()
            .filter_map(|entry| entry.sql)
            .collect()
    }
}

/// A request under construction.
pub struct Request<'h> {
    harness: &'h Harness,
    method: reqwest::Method,
    path: String,
    endpoint: Endpoint,
    token: Option<String>,
    token_type: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    raw_body: Option<(String, Option<String>)>,
}

impl Request<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn no_token(mut self) -> Self {
        self.token = None;
        self
    }

    pub fn token_type(mut self, kind: &str) -> Self {
        self.token_type = Some(kind.to_owned());
        self
    }

    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn header(mut self, key: &str, value: &str) -> Self {
        self.headers.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Claims a client address (the sandbox's `X-Sandbox-Client-Ip` test control).
    pub fn client_ip(self, address: &str) -> Self {
        self.header(CLIENT_IP_HEADER, address)
    }

    /// Sets a field of the JSON body.
    pub fn field(mut self, key: &str, value: Value) -> Self {
        if let Some(Value::Object(body)) = &mut self.body {
            body.insert(key.to_owned(), value);
        }
        self
    }

    /// Replaces the body with raw text and an optional content type.
    pub fn raw(mut self, body: &str, content_type: Option<&str>) -> Self {
        self.raw_body = Some((body.to_owned(), content_type.map(str::to_owned)));
        self
    }

    /// Sends the request, validates the body against its schema, and returns the reply.
    pub async fn send(self) -> Reply {
        self.send_unchecked().await.unwrap()
    }

    /// Sends the request; a transport error (a dropped connection) is returned as is.
    pub async fn send_unchecked(self) -> Result<Reply, reqwest::Error> {
        let url = format!("{}{}", self.harness.sandbox.url(), self.path);
        let mut request = self
            .harness
            .client
            .request(self.method, url)
            .query(&self.query)
            .header("User-Agent", USER_AGENT)
            .header("Accept", "application/json");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(kind) = &self.token_type {
            request = request.header("X-Snowflake-Authorization-Token-Type", kind);
        }
        for (key, value) in &self.headers {
            request = request.header(key, value);
        }
        request = match (&self.raw_body, &self.body) {
            (Some((text, content_type)), _) => {
                let request = request.body(text.clone());
                match content_type {
                    Some(content_type) => request.header("Content-Type", content_type),
                    None => request,
                }
            }
            (None, Some(body)) => request.json(body),
            (None, None) => request,
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                panic!(
                    "response is not JSON ({error}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        let reply = Reply {
            status,
            headers,
            body,
        };
        check(self.endpoint, &reply);
        Ok(reply)
    }
}

/// A test key pair from `tests/fixtures/keys/`.
pub struct KeyPair {
    pub private_pem: String,
    /// Base64 DER SubjectPublicKeyInfo, what `RSA_PUBLIC_KEY` takes.
    pub public_body: String,
    /// `SHA256:<base64>`.
    pub fingerprint: String,
}

pub fn key(name: &str) -> KeyPair {
    let private_pem = std::fs::read_to_string(fixture(&format!("keys/{name}.p8"))).unwrap();
    let key = RsaPrivateKey::from_pkcs8_pem(&private_pem).unwrap();
    let der = key.to_public_key().to_public_key_der().unwrap();
    KeyPair {
        public_body: STANDARD.encode(der.as_bytes()),
        fingerprint: format!("SHA256:{}", STANDARD.encode(Sha256::digest(der.as_bytes()))),
        private_pem,
    }
}

/// Signs a key-pair JWT with explicit claims.
pub fn sign(key: &KeyPair, claims: &Value) -> String {
    let encoding_key = jsonwebtoken::EncodingKey::from_rsa_pem(key.private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        claims,
        &encoding_key,
    )
    .unwrap()
}

/// A valid JWT for `ACCOUNT.USER`, issued now, living 59 minutes.
pub fn jwt(key: &KeyPair, account: &str, user: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    sign(
        key,
        &json!({
            "iss": format!("{account}.{user}.{}", key.fingerprint),
            "sub": format!("{account}.{user}"),
            "iat": now,
            "exp": now + 59 * 60,
        }),
    )
}
