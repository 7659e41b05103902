//! Checking a client's access token at connect time, as Web PubSub does: HS256 signed with the
//! access key, `aud` = `<endpoint>/client/hubs/<hub>`, `exp` checked once.

use http::{HeaderMap, header};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use wstab_core::webpubsub_token::ConnectionString;

/// Who a valid token says the client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientIdentity {
    /// `sub`, if any.
    pub user: Option<String>,
    /// `role` claim values.
    pub roles: Vec<String>,
    /// `webpubsub.group` claim values, joined on connect.
    pub groups: Vec<String>,
}

/// Why a connection was refused (the text becomes the 401 body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `access_token` query parameter and no `Authorization: Bearer` header.
    #[error("Unauthorized: missing access token (send ?access_token=<jwt> or Authorization: Bearer <jwt>)")]
    Missing,
    /// `exp` is in the past.
    #[error("Unauthorized: the access token has expired; generate a new one (wstab token)")]
    Expired,
    /// The signature does not match the access key.
    #[error("Unauthorized: invalid signature: the token was not signed with this hub's access key")]
    BadSignature,
    /// `aud` is not this hub's URL.
    #[error("Unauthorized: wrong audience: expected {expected}")]
    WrongAudience {
        /// The audience this hub accepts.
        expected: String,
    },
    /// Not an HS256 JWT, or a claim is malformed or missing.
    #[error("Unauthorized: invalid access token: {0}")]
    Invalid(String),
}

/// A claim that is a string or an array of strings (.NET writes one value as a plain string).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    role: Option<OneOrMany>,
    #[serde(rename = "webpubsub.group", default)]
    groups: Option<OneOrMany>,
}

/// The token a request carries: the `access_token` query parameter, else a Bearer header.
pub fn token_from_request(query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let from_query = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes()).find(|(n, _)| n == "access_token").map(|(_, v)| v.into_owned())
    });
    from_query.filter(|t| !t.is_empty()).or_else(|| {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    })
}

/// Verifies `token` for `hub`.
pub fn verify(cs: &ConnectionString, hub: &str, token: Option<&str>) -> Result<ClientIdentity, AuthError> {
    let token = token.ok_or(AuthError::Missing)?;
    let expected = cs.audience(hub);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[&expected]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    validation.leeway = 5;
    let key = DecodingKey::from_secret(cs.access_key.as_bytes());
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAudience => AuthError::WrongAudience { expected: expected.clone() },
        ErrorKind::InvalidAlgorithm => AuthError::Invalid("the algorithm must be HS256".into()),
        ErrorKind::MissingRequiredClaim(c) => AuthError::Invalid(format!("missing claim {c}")),
        _ => AuthError::Invalid("not a well-formed JWT".into()),
    })?;
    let claims = data.claims;
    Ok(ClientIdentity {
        user: claims.sub.filter(|s| !s.is_empty()),
        roles: claims.role.map(OneOrMany::into_vec).unwrap_or_default(),
        groups: claims.groups.map(OneOrMany::into_vec).unwrap_or_default(),
    })
}
