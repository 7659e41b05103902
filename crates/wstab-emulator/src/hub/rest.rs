//! The data-plane REST API the server SDKs call (`/api/hubs/{hub}/…?api-version=…`), served on
//! the hub's own listener: send to all, a group, a user or a connection; group membership of
//! connections and users; closing connections; existence checks; permissions; `:generateToken`.
//!
//! Requests are authenticated as the service does (see [`authorize`]); errors carry the
//! service's `ErrorDetail` body (`{"code","message"}`) and an `x-ms-error-code` header.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::odata::{Filter, Subject};
use super::protocol;
use super::room::{Member, Registry};
use wstab_core::webpubsub_token::{self, ConnectionString, TokenRequest};

/// The largest request body accepted (the service's message limit is 1 MB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The permissions `grant`/`revoke`/`check` name, and the role each stands for.
const PERMISSIONS: &[(&str, &str)] =
    &[("sendToGroup", webpubsub_token::ROLE_SEND_TO_GROUP), ("joinLeaveGroup", webpubsub_token::ROLE_JOIN_LEAVE)];

type Reply = Response<Full<Bytes>>;

/// An error as the service returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    /// The status.
    pub status: StatusCode,
    /// The `code` (and `x-ms-error-code`).
    pub code: &'static str,
    /// The `message`.
    pub message: String,
}

impl RestError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    fn into_response(self, head: bool) -> Reply {
        let body = if head {
            Bytes::new()
        } else {
            Bytes::from(serde_json::json!({"code": self.code, "message": self.message}).to_string())
        };
        let mut res = crate::wsserver::response(self.status, "application/json; charset=utf-8", body);
        if let Ok(v) = http::HeaderValue::from_str(self.code) {
            res.headers_mut().insert("x-ms-error-code", v);
        }
        res
    }
}

/// Checks the request's `Authorization: Bearer <jwt>` as the service does: HS256 signed with the
/// access key, not expired, and `aud` naming this request's URL (scheme and query aside: the
/// SDKs sign `request.url`, query included, and a TLS front end may change the scheme).
pub fn authorize(cs: &ConnectionString, path: &str, headers: &HeaderMap) -> Result<(), RestError> {
    let unauthorized = |m: String| RestError::new(StatusCode::UNAUTHORIZED, "Unauthorized", m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("missing Authorization: Bearer <token signed with the AccessKey>".into()))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "aud"]);
    validation.leeway = 5;
    let key = jsonwebtoken::DecodingKey::from_secret(cs.access_key.as_bytes());
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        unauthorized(match e.kind() {
            ErrorKind::ExpiredSignature => "the token has expired".into(),
            ErrorKind::InvalidSignature => "invalid signature: the token was not signed with this AccessKey".into(),
            _ => format!("invalid token: {e}"),
        })
    })?;
    let auds: Vec<&str> = match &data.claims["aud"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let endpoint_authority = cs.endpoint.port_or_known_default().map_or_else(
        || cs.endpoint.host_str().unwrap_or_default().to_string(),
        |p| format!("{}:{p}", cs.endpoint.host_str().unwrap_or_default()),
    );
    let want_path = path.trim_end_matches('/');
    let accepted = auds.iter().filter_map(|a| url::Url::parse(a).ok()).any(|aud| {
        let authority = aud.port_or_known_default().map_or_else(
            || aud.host_str().unwrap_or_default().to_string(),
            |p| format!("{}:{p}", aud.host_str().unwrap_or_default()),
        );
        let host_ok = authority.eq_ignore_ascii_case(&endpoint_authority)
            || authority.eq_ignore_ascii_case(host)
            || aud.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host));
        host_ok && aud.path().trim_end_matches('/') == want_path
    });
    if accepted {
        Ok(())
    } else {
        Err(unauthorized(format!("wrong audience: the token's aud must be this request's URL ({want_path})")))
    }
}

/// Handles one REST request on `/api/hubs/…`.
pub async fn handle(req: http::Request<Incoming>, cs: &ConnectionString, registry: &Registry) -> Reply {
    let head = req.method() == Method::HEAD;
    match route(req, cs, registry).await {
        Ok(res) => res,
        Err(e) => e.into_response(head),
    }
}

fn status(code: StatusCode) -> Reply {
    crate::wsserver::response(code, "application/json; charset=utf-8", Bytes::new())
}

/// One request's query parameters, in order, decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect()
    }
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = segment.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(req: http::Request<Incoming>, cs: &ConnectionString, registry: &Registry) -> Result<Reply, RestError> {
    let path = req.uri().path().to_string();
    let segments: Vec<String> =
        path.trim_matches('/').split('/').map(percent_decode).collect::<Vec<_>>().into_iter().skip(2).collect();
    let Some((hub, rest)) = segments.split_first() else {
        return Err(RestError::not_found("not found: the REST API is /api/hubs/{hub}/…"));
    };
    authorize(cs, &path, req.headers())?;
    let query = Query(
        url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect(),
    );
    if query.get("api-version").is_none_or(str::is_empty) {
        return Err(RestError::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersion",
            "the api-version query parameter is required (the SDKs send e.g. 2024-12-01)",
        ));
    }
    let method = req.method().clone();
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| RestError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLarge", e.to_string()))?
        .to_bytes();
    let hub = hub.as_str();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let payload = || Payload::from_body(content_type.as_deref(), &body);
    let reason = query.get("reason").unwrap_or_default().to_string();
    let excluded: HashSet<String> = query.all("excluded").into_iter().collect();
    let filter = || query.get("filter").filter(|f| !f.is_empty()).map(Filter::parse).transpose();

    use Method as M;
    match (&method, rest.as_slice()) {
        (&M::POST, [":send"]) => {
            let (p, f) = (payload()?, filter().map_err(|e| RestError::bad_request(e.to_string()))?);
            send(registry, hub, &p, |id, m| !excluded.contains(id) && selected(&f, id, m));
            Ok(status(StatusCode::ACCEPTED))
        }
        (&M::POST, [":closeConnections"]) => {
            close(registry, hub, &reason, |id, _| !excluded.contains(id));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::POST, [":generateToken"]) => generate_token(cs, hub, &query),
        (&M::POST, [op @ (":addToGroups" | ":removeFromGroups")]) => {
            let req: GroupsRequest =
                serde_json::from_slice(&body).map_err(|e| RestError::bad_request(format!("invalid body: {e}")))?;
            let f = req.filter.as_deref().filter(|f| !f.is_empty()).map(Filter::parse).transpose();
            let f = f.map_err(|e| RestError::bad_request(e.to_string()))?;
            let add = *op == ":addToGroups";
            registry.with_hub(hub, |conns| {
                for (id, m) in conns.iter_mut() {
                    if selected(&f, id, m) {
                        for g in &req.groups {
                            if add {
                                m.groups.insert(g.clone());
                            } else {
                                m.groups.remove(g);
                            }
                        }
                    }
                }
            });
            Ok(status(StatusCode::OK))
        }
        (&M::HEAD, ["connections", id]) => Ok(exists(registry.with_hub(hub, |c| c.contains_key(*id)))),
        (&M::DELETE, ["connections", id]) => {
            close(registry, hub, &reason, |cid, _| cid == *id);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::POST, ["connections", id, ":send"]) => {
            let p = payload()?;
            send(registry, hub, &p, |cid, _| cid == *id);
            Ok(status(StatusCode::ACCEPTED))
        }
        (&M::DELETE, ["connections", id, "groups"]) => {
            registry.with_hub(hub, |c| c.get_mut(*id).map(|m| m.groups.clear()));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::HEAD, ["groups", group]) => {
            Ok(exists(registry.with_hub(hub, |c| c.values().any(|m| m.groups.contains(*group)))))
        }
        (&M::POST, ["groups", group, ":send"]) => {
            let (p, f) = (payload()?, filter().map_err(|e| RestError::bad_request(e.to_string()))?);
            send(registry, hub, &p, |id, m| m.groups.contains(*group) && !excluded.contains(id) && selected(&f, id, m));
            Ok(status(StatusCode::ACCEPTED))
        }
        (&M::POST, ["groups", group, ":closeConnections"]) => {
            close(registry, hub, &reason, |id, m| m.groups.contains(*group) && !excluded.contains(id));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::GET, ["groups", group, "connections"]) => {
            let value: Vec<Value> = registry.with_hub(hub, |c| {
                c.iter()
                    .filter(|(_, m)| m.groups.contains(*group))
                    .map(|(id, m)| serde_json::json!({"connectionId": id, "userId": m.user}))
                    .collect()
            });
            let body = serde_json::json!({"value": value}).to_string();
            Ok(crate::wsserver::response(StatusCode::OK, "application/json; charset=utf-8", body))
        }
        (&M::PUT | &M::DELETE, ["groups", group, "connections", id]) => {
            let add = method == M::PUT;
            let found = registry.with_hub(hub, |c| {
                c.get_mut(*id).map(|m| {
                    if add {
                        m.groups.insert(group.to_string());
                    } else {
                        m.groups.remove(*group);
                    }
                })
            });
            match (found, add) {
                (None, true) => Err(RestError::not_found(format!("connection {id} does not exist in hub {hub}"))),
                (_, true) => Ok(status(StatusCode::OK)),
                (_, false) => Ok(status(StatusCode::NO_CONTENT)),
            }
        }
        (&M::PUT | &M::DELETE | &M::HEAD, ["permissions", permission, "connections", id]) => {
            permission_call(registry, hub, &method, permission, id, query.get("targetName"))
        }
        (&M::HEAD, ["users", user]) => {
            Ok(exists(registry.with_hub(hub, |c| c.values().any(|m| m.user.as_deref() == Some(*user)))))
        }
        (&M::POST, ["users", user, ":send"]) => {
            let (p, f) = (payload()?, filter().map_err(|e| RestError::bad_request(e.to_string()))?);
            send(registry, hub, &p, |id, m| m.user.as_deref() == Some(*user) && selected(&f, id, m));
            Ok(status(StatusCode::ACCEPTED))
        }
        (&M::POST, ["users", user, ":closeConnections"]) => {
            close(registry, hub, &reason, |id, m| m.user.as_deref() == Some(*user) && !excluded.contains(id));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::DELETE, ["users", user, "groups"]) => {
            registry.remove_user_from_all_groups(hub, user);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&M::PUT | &M::DELETE, ["users", user, "groups", group]) => {
            let add = method == M::PUT;
            registry.set_user_group(hub, user, group, add);
            Ok(status(if add { StatusCode::OK } else { StatusCode::NO_CONTENT }))
        }
        _ => Err(RestError::not_found(format!("no operation {method} {path}"))),
    }
}

#[derive(serde::Deserialize)]
struct GroupsRequest {
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    filter: Option<String>,
}

fn exists(found: bool) -> Reply {
    status(if found { StatusCode::OK } else { StatusCode::NOT_FOUND })
}

fn selected(filter: &Option<Filter>, id: &str, m: &Member) -> bool {
    filter
        .as_ref()
        .is_none_or(|f| f.matches(&Subject { connection_id: id, user: m.user.as_deref(), groups: &m.groups }))
}

/// A message body and what each kind of client receives from it.
struct Payload {
    /// For JSON-protocol clients: `{"type":"message","from":"server",…}`.
    json: Message,
    /// For simple clients: the body itself, text or binary.
    simple: Message,
}

impl Payload {
    fn from_body(content_type: Option<&str>, body: &Bytes) -> Result<Self, RestError> {
        let media = content_type.unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let text = || {
            std::str::from_utf8(body)
                .map(str::to_string)
                .map_err(|_| RestError::bad_request("the body is not valid UTF-8 text"))
        };
        let (data_type, data, simple) = match media.as_str() {
            "application/json" => {
                let t = text()?;
                let v: Value = serde_json::from_str(&t)
                    .map_err(|e| RestError::bad_request(format!("the body is not valid JSON: {e}")))?;
                ("json", v, Message::text(t))
            }
            "text/plain" => {
                let t = text()?;
                ("text", Value::from(t.clone()), Message::text(t))
            }
            "application/octet-stream" => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(body);
                ("binary", Value::from(b64), Message::binary(body.clone()))
            }
            _ => {
                return Err(RestError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    "Content-Type must be application/json, text/plain or application/octet-stream",
                ));
            }
        };
        let json = Message::text(protocol::server_message(data_type, &data).to_string());
        Ok(Self { json, simple })
    }
}

fn send(registry: &Registry, hub: &str, payload: &Payload, pick: impl Fn(&str, &Member) -> bool) {
    registry.with_hub(hub, |conns| {
        for (_, m) in conns.iter().filter(|(id, m)| pick(id, m)) {
            let message = if m.json { payload.json.clone() } else { payload.simple.clone() };
            let _ = m.tx.send(message);
        }
    });
}

fn close(registry: &Registry, hub: &str, reason: &str, pick: impl Fn(&str, &Member) -> bool) {
    registry.with_hub(hub, |conns| {
        for (_, m) in conns.iter().filter(|(id, m)| pick(id, m)) {
            m.close(reason);
        }
    });
}

fn generate_token(cs: &ConnectionString, hub: &str, query: &Query) -> Result<Reply, RestError> {
    let minutes: u64 = match query.get("minutesToExpire") {
        Some(m) => m.parse().map_err(|_| RestError::bad_request(format!("minutesToExpire {m:?} is not a number")))?,
        None => 60,
    };
    let request = TokenRequest {
        hub: hub.to_string(),
        user: query.get("userId").filter(|u| !u.is_empty()).map(str::to_string),
        roles: query.all("role"),
        groups: query.all("group"),
        ttl: Duration::from_secs(minutes.max(1) * 60),
    };
    let access = webpubsub_token::client_access(cs, &request)
        .map_err(|e| RestError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", e.to_string()))?;
    let body = serde_json::json!({"token": access.token}).to_string();
    Ok(crate::wsserver::response(StatusCode::OK, "application/json; charset=utf-8", body))
}

fn permission_call(
    registry: &Registry,
    hub: &str,
    method: &Method,
    permission: &str,
    id: &str,
    target: Option<&str>,
) -> Result<Reply, RestError> {
    let Some((_, role)) = PERMISSIONS.iter().find(|(p, _)| p.eq_ignore_ascii_case(permission)) else {
        return Err(RestError::bad_request(format!(
            "unknown permission {permission:?}: use sendToGroup or joinLeaveGroup"
        )));
    };
    let target = target.filter(|t| !t.is_empty());
    let name = target.map_or_else(|| role.to_string(), |t| format!("{role}.{t}"));
    if *method == Method::HEAD {
        // Without a target: the permission for every group, as the service checks it.
        let held =
            registry.with_hub(hub, |c| c.get(id).is_some_and(|m| m.roles.contains(*role) || m.roles.contains(&name)));
        return Ok(exists(held));
    }
    let grant = *method == Method::PUT;
    let found = registry.with_hub(hub, |c| {
        c.get_mut(id).map(|m| {
            if grant {
                m.roles.insert(name.clone());
            } else if target.is_some() {
                m.roles.remove(&name);
            } else {
                // Revoking without a target revokes the permission for every group.
                let scoped = format!("{role}.");
                m.roles.retain(|r| r != role && !r.starts_with(&scoped));
            }
        })
    });
    match (found, grant) {
        (None, true) => Err(RestError::not_found(format!("connection {id} does not exist in hub {hub}"))),
        (_, true) => Ok(status(StatusCode::OK)),
        (_, false) => Ok(status(StatusCode::NO_CONTENT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs() -> ConnectionString {
        ConnectionString::parse("Endpoint=http://127.0.0.1:5000;AccessKey=secret;Version=1.0;").unwrap()
    }

    fn bearer(aud: &str, key: &str) -> HeaderMap {
        let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
        let claims = serde_json::json!({"aud": aud, "exp": exp});
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        h.insert(header::HOST, "127.0.0.1:5000".parse().unwrap());
        h
    }

    #[test]
    fn test_rest_token_must_name_this_url_and_be_signed_with_the_key() {
        let path = "/api/hubs/chat/:send";
        let ok = bearer("http://127.0.0.1:5000/api/hubs/chat/:send?api-version=2024-12-01", "secret");
        assert_eq!(authorize(&cs(), path, &ok), Ok(()));
        let other_path = bearer("http://127.0.0.1:5000/api/hubs/other/:send", "secret");
        assert_eq!(authorize(&cs(), path, &other_path).unwrap_err().status, StatusCode::UNAUTHORIZED);
        let bad_key = bearer("http://127.0.0.1:5000/api/hubs/chat/:send", "wrong");
        assert!(authorize(&cs(), path, &bad_key).unwrap_err().message.contains("signature"));
        assert!(authorize(&cs(), path, &HeaderMap::new()).unwrap_err().message.contains("missing"));
    }

    #[test]
    fn test_payload_per_client_kind() {
        let p = Payload::from_body(Some("application/octet-stream"), &Bytes::from_static(b"\x01\x02")).unwrap();
        assert_eq!(p.simple, Message::binary(vec![1u8, 2]));
        let v: Value = serde_json::from_str(p.json.to_text().unwrap()).unwrap();
        assert_eq!(v["dataType"], "binary");
        assert_eq!(v["data"], "AQI=");
        let e = Payload::from_body(Some("application/json"), &Bytes::from_static(b"{")).err().unwrap();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(Payload::from_body(None, &Bytes::new()).is_err());
    }
}
