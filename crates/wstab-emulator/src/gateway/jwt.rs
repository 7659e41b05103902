//! `validate-jwt`: HS256 secret, RS256 PEM public key or JWKS file; audiences, issuers, required
//! claims. The accepted algorithm is fixed by the key kind, so `alg: none` and HS/RS confusion
//! are refused.

use std::path::{Path, PathBuf};

use http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use super::config::{RequiredClaim, ValidateJwtConfig};

/// Why a `validate-jwt` policy's keys cannot be used (a config error, with the file named).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Zero or several of the key sources are set.
    #[error("validate_jwt needs exactly one of hs256_secret, rs256_public_key_file, jwks_file")]
    NotOneSource,
    /// The HS256 secret is empty.
    #[error("hs256_secret is empty")]
    EmptySecret,
    /// A key file cannot be read.
    #[error("cannot read key file {}: {source}", path.display())]
    Read {
        /// The file, as read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `rs256_public_key_file` holds no RSA public key.
    #[error("{} is not an RSA public key in PEM form: {source}", file.display())]
    NotRsaPem {
        /// The file, as configured.
        file: PathBuf,
        /// Why.
        source: jsonwebtoken::errors::Error,
    },
    /// `jwks_file` is not a JWKS document.
    #[error("{} is not a JWKS document: {source}", file.display())]
    NotJwks {
        /// The file, as configured.
        file: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A key of the JWKS cannot be used.
    #[error("{}: unusable key: {source}", file.display())]
    UnusableJwk {
        /// The file, as configured.
        file: PathBuf,
        /// Why.
        source: jsonwebtoken::errors::Error,
    },
    /// The JWKS has no keys.
    #[error("{} has no keys", file.display())]
    EmptyJwks {
        /// The file, as configured.
        file: PathBuf,
    },
    /// An `issuer-signing-keys` `<key>` is not base64.
    #[error("issuer-signing-keys: <key> is not base64: {0}")]
    NotBase64(jsonwebtoken::errors::Error),
    /// An `issuer-signing-keys` `<key n e>` is not an RSA key.
    #[error("issuer-signing-keys: <key n e> is not an RSA key: {0}")]
    NotRsaComponents(jsonwebtoken::errors::Error),
    /// A `<key certificate-id>`'s certificate holds no RSA key.
    #[error("issuer-signing-keys: certificate {certificate:?} does not hold an RSA key: {source}")]
    CertificateNotRsa {
        /// The certificate id.
        certificate: String,
        /// Why.
        source: jsonwebtoken::errors::Error,
    },
    /// `issuer-signing-keys` mixes symmetric and RSA keys, or has none.
    #[error(
        "issuer-signing-keys needs keys of one kind: base64 <key> (HS256) or <key n e> / <key certificate-id> (RS256)"
    )]
    MixedKinds,
}

/// Which check a token failed (never quoting the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejected {
    /// The header does not decode, or names an algorithm jsonwebtoken does not know (`none`).
    #[error("malformed header or unsupported algorithm (alg none is refused)")]
    MalformedHeader,
    /// No JWKS key has the token's `kid`.
    #[error("no key in the JWKS matches the token's kid")]
    NoKeyForKid,
    /// The token's algorithm is not one the keys allow.
    #[error("algorithm {got:?} is not accepted (expected {accepted:?})")]
    Algorithm {
        /// The token's.
        got: Algorithm,
        /// The policy's.
        accepted: Vec<Algorithm>,
    },
    /// The signature does not verify.
    #[error("signature is invalid")]
    Signature,
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// `nbf` is still ahead.
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    /// `aud` is not accepted.
    #[error("audience (aud) is not accepted")]
    Audience,
    /// `iss` is not accepted.
    #[error("issuer (iss) is not accepted")]
    Issuer,
    /// A claim the policy requires is absent.
    #[error("claim {0} is missing")]
    MissingClaim(String),
    /// Anything else jsonwebtoken refuses.
    #[error("token is malformed ({0})")]
    Malformed(String),
}

/// A `validate_jwt` refusal: the message the 401 (or the configured status) carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// The configured `failed_message`, or what was wrong with the token.
    pub message: String,
}

/// Where the keys come from.
#[derive(Clone)]
enum Keys {
    Hs256(DecodingKey),
    Rs256(DecodingKey),
    Jwks(Vec<(Option<String>, DecodingKey)>),
}

/// A compiled `validate-jwt` policy.
#[derive(Clone)]
pub struct JwtPolicy {
    header: String,
    query: Option<String>,
    keys: Keys,
    validation: Validation,
    required: Vec<RequiredClaim>,
    /// Status on failure.
    pub failed_status: u16,
    failed_message: Option<String>,
}

impl std::fmt::Debug for JwtPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtPolicy").field("header", &self.header).field("query", &self.query).finish_non_exhaustive()
    }
}

impl JwtPolicy {
    /// Compiles the config, reading key files relative to `base_dir`.
    pub fn compile(cfg: &ValidateJwtConfig, base_dir: &Path) -> Result<Self, KeyError> {
        let sources = [cfg.hs256_secret.is_some(), cfg.rs256_public_key_file.is_some(), cfg.jwks_file.is_some()];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(KeyError::NotOneSource);
        }
        let read = |p: &Path| {
            let path = base_dir.join(p);
            std::fs::read(&path).map_err(|source| KeyError::Read { path, source })
        };
        let (keys, alg) = if let Some(secret) = &cfg.hs256_secret {
            if secret.is_empty() {
                return Err(KeyError::EmptySecret);
            }
            (Keys::Hs256(DecodingKey::from_secret(secret.as_bytes())), Algorithm::HS256)
        } else if let Some(p) = &cfg.rs256_public_key_file {
            let pem = read(p)?;
            let key =
                DecodingKey::from_rsa_pem(&pem).map_err(|source| KeyError::NotRsaPem { file: p.clone(), source })?;
            (Keys::Rs256(key), Algorithm::RS256)
        } else if let Some(p) = &cfg.jwks_file {
            let set: JwkSet =
                serde_json::from_slice(&read(p)?).map_err(|source| KeyError::NotJwks { file: p.clone(), source })?;
            let keys = set
                .keys
                .iter()
                .map(|jwk| {
                    DecodingKey::from_jwk(jwk)
                        .map(|k| (jwk.common.key_id.clone(), k))
                        .map_err(|source| KeyError::UnusableJwk { file: p.clone(), source })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(KeyError::EmptyJwks { file: p.clone() });
            }
            (Keys::Jwks(keys), Algorithm::RS256)
        } else {
            return Err(KeyError::NotOneSource);
        };
        let mut validation = Validation::new(alg);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.validate_exp = cfg.require_expiration_time;
        validation.required_spec_claims.clear();
        if cfg.require_expiration_time {
            validation.required_spec_claims.insert("exp".into());
        }
        if cfg.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&cfg.audiences);
            validation.required_spec_claims.insert("aud".into());
        }
        if !cfg.issuers.is_empty() {
            validation.set_issuer(&cfg.issuers);
            validation.required_spec_claims.insert("iss".into());
        }
        Ok(Self {
            header: cfg.header.clone().unwrap_or_else(|| "Authorization".into()),
            query: cfg.query.clone(),
            keys,
            validation,
            required: cfg.required_claims.clone(),
            failed_status: cfg.failed_status,
            failed_message: cfg.failed_message.clone(),
        })
    }

    /// The query parameter name carrying the token, if any (it is masked in logs).
    pub fn query_name(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Checks the request's token; the refusal carries the message for the 401 body.
    pub fn check(&self, query: &[(String, String)], headers: &HeaderMap) -> Result<(), Refused> {
        let fail = |reason: String| Err(Refused { message: self.failed_message.clone().unwrap_or(reason) });
        let token = match &self.query {
            Some(q) => query.iter().find(|(n, _)| n == q).map(|(_, v)| v.trim().to_string()),
            None => headers.get(self.header.as_str()).and_then(|v| v.to_str().ok()).map(|v| {
                let v = v.trim();
                v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v).trim().to_string()
            }),
        };
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            let from =
                self.query.as_ref().map_or(format!("the {} header", self.header), |q| format!("query parameter {q}"));
            return fail(format!("JWT not present: expected a token in {from}."));
        };
        if self.required.is_empty() {
            // The claims are checked (lifetime, audience, issuer) but not kept: building them
            // as a JSON value was most of the policy's allocations.
            return match self.validate::<IgnoredAny>(&token) {
                Ok(_) => Ok(()),
                Err(reason) => fail(format!("Invalid JWT: {reason}.")),
            };
        }
        let claims = match self.validate_token(&token) {
            Ok(c) => c,
            Err(reason) => return fail(format!("Invalid JWT: {reason}.")),
        };
        for rc in &self.required {
            let ok = match claims.get(&rc.name) {
                None => false,
                Some(_) if rc.values.is_empty() => true,
                Some(Value::Array(items)) => items.iter().any(|i| claim_matches(i, &rc.values)),
                Some(v) => claim_matches(v, &rc.values),
            };
            if !ok {
                return fail(format!(
                    "Invalid JWT: required claim {} is missing or has a value not accepted.",
                    rc.name
                ));
            }
        }
        Ok(())
    }
}

/// A signing key from an APIM policy's `issuer-signing-keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// `<key>`: a base64 symmetric key (HS256/384/512).
    Symmetric {
        /// The key's `id` (matched against the token's `kid` when both are set).
        id: Option<String>,
        /// The base64 text.
        base64: String,
    },
    /// `<key n="…" e="…">`: an RSA public key's modulus and exponent (base64url).
    Rsa {
        /// The key's `id`.
        id: Option<String>,
        /// The modulus.
        n: String,
        /// The exponent.
        e: String,
    },
    /// `<key certificate-id="…">`: the public key of a certificate given to the gateway
    /// (`--certificate ID=PEMFILE`), as a `PUBLIC KEY` (SubjectPublicKeyInfo) PEM.
    Certificate {
        /// The key's `id`.
        id: Option<String>,
        /// The certificate id, for messages.
        certificate: String,
        /// The certificate's public key.
        spki_pem: String,
    },
}

impl JwtPolicy {
    /// A policy for APIM's `validate-jwt` XML: its keys, audiences, issuers, whether `exp` is
    /// required and the clock skew. The token source and required claims are the caller's.
    pub fn from_apim_keys(
        keys: &[SigningKey],
        audiences: &[String],
        issuers: &[String],
        require_expiration_time: bool,
        clock_skew_secs: u64,
    ) -> Result<Self, KeyError> {
        let mut hs = Vec::new();
        let mut rs = Vec::new();
        for k in keys {
            match k {
                SigningKey::Symmetric { id, base64 } => {
                    hs.push((id.clone(), DecodingKey::from_base64_secret(base64.trim()).map_err(KeyError::NotBase64)?))
                }
                SigningKey::Rsa { id, n, e } => rs.push((
                    id.clone(),
                    DecodingKey::from_rsa_components(n.trim(), e.trim()).map_err(KeyError::NotRsaComponents)?,
                )),
                SigningKey::Certificate { id, certificate, spki_pem } => rs.push((
                    id.clone(),
                    DecodingKey::from_rsa_pem(spki_pem.as_bytes())
                        .map_err(|source| KeyError::CertificateNotRsa { certificate: certificate.clone(), source })?,
                )),
            }
        }
        if hs.is_empty() == rs.is_empty() {
            return Err(KeyError::MixedKinds);
        }
        let (keys, algs) = if hs.is_empty() {
            (Keys::Jwks(rs), vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512])
        } else {
            (Keys::Jwks(hs), vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512])
        };
        let mut validation = Validation::new(algs[0]);
        validation.algorithms = algs;
        validation.leeway = clock_skew_secs;
        validation.validate_nbf = true;
        validation.validate_exp = require_expiration_time;
        validation.required_spec_claims.clear();
        if require_expiration_time {
            validation.required_spec_claims.insert("exp".into());
        }
        if audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(audiences);
            validation.required_spec_claims.insert("aud".into());
        }
        if !issuers.is_empty() {
            validation.set_issuer(issuers);
            validation.required_spec_claims.insert("iss".into());
        }
        Ok(Self {
            header: "Authorization".into(),
            query: None,
            keys,
            validation,
            required: Vec::new(),
            failed_status: 401,
            failed_message: None,
        })
    }

    /// Checks a token's signature, algorithm, lifetime, audience and issuer; the claims, or
    /// which check failed (never quoting the token).
    pub fn validate_token(&self, token: &str) -> Result<Value, TokenRejected> {
        self.validate(token)
    }

    /// [`JwtPolicy::validate_token`], the claims read as `T`.
    fn validate<T: DeserializeOwned>(&self, token: &str) -> Result<T, TokenRejected> {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(h) => h,
            // alg "none" is not an algorithm jsonwebtoken knows, so it fails here.
            Err(_) => return Err(TokenRejected::MalformedHeader),
        };
        let key = match &self.keys {
            Keys::Hs256(k) | Keys::Rs256(k) => k,
            Keys::Jwks(keys) => {
                let found = match &header.kid {
                    Some(kid) => keys
                        .iter()
                        .find(|(id, _)| id.as_deref() == Some(kid.as_str()))
                        .or_else(|| keys.iter().find(|(id, _)| id.is_none())),
                    None if keys.len() == 1 => keys.first(),
                    None => keys.iter().find(|(id, _)| id.is_none()),
                };
                match found {
                    Some((_, k)) => k,
                    None => return Err(TokenRejected::NoKeyForKid),
                }
            }
        };
        match jsonwebtoken::decode::<T>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::InvalidAlgorithm => {
                    TokenRejected::Algorithm { got: header.alg, accepted: self.validation.algorithms.clone() }
                }
                ErrorKind::InvalidSignature => TokenRejected::Signature,
                ErrorKind::ExpiredSignature => TokenRejected::Expired,
                ErrorKind::ImmatureSignature => TokenRejected::NotYetValid,
                ErrorKind::InvalidAudience => TokenRejected::Audience,
                ErrorKind::InvalidIssuer => TokenRejected::Issuer,
                ErrorKind::MissingRequiredClaim(c) => TokenRejected::MissingClaim(c.clone()),
                other => TokenRejected::Malformed(format!("{other:?}")),
            }),
        }
    }
}

fn claim_matches(v: &Value, accepted: &[String]) -> bool {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    accepted.contains(&s)
}
