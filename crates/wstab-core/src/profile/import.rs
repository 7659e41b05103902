//! Importing WebSocket APIs from Azure API Management: the JSON printed by
//! `az apim api list` (flattened, `apiType`) or the ARM/REST shape (`properties.type`).

use serde_json::Value;

use super::model::Profile;
use super::store::sanitize_name;
use crate::connection::Param;
use crate::request::{SubscriptionKeyNames, subscription_key};

/// What an import produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Profiles to save, by name.
    pub profiles: Vec<(String, Profile)>,
    /// APIs that were not imported, and why.
    pub skipped: Vec<Skipped>,
}

/// An API that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The API's name (or its position when it has none).
    pub name: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Why an APIM export cannot be read at all (single APIs that cannot be imported are
/// [`Skipped`] instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The text is not JSON.
    #[error("not valid JSON at line {line}, column {column}: {source}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// JSON, but neither a list of APIs nor an object holding one.
    #[error("expected a JSON array of APIs (az apim api list) or an object with a \"value\" array")]
    Shape,
}

/// Parses `az apim api list` / ARM JSON. `gateway` is the `gatewayUrl` from `az apim show`
/// (https:// is turned into wss://); without it the gateway is derived from the API's resource id
/// (`https://<service>.azure-api.net`, APIM's default host name).
pub fn import_apim_json(text: &str, gateway: Option<&str>) -> Result<ImportReport, ImportError> {
    let json: Value = serde_json::from_str(text).map_err(|source| ImportError::Json {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    let items: Vec<&Value> = match &json {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![&json],
        },
        _ => return Err(ImportError::Shape),
    };
    let mut report = ImportReport::default();
    for (i, item) in items.iter().enumerate() {
        let name = str_at(item, &["name"]).unwrap_or_default();
        let shown = if name.is_empty() { format!("#{}", i + 1) } else { name.to_string() };
        // The flattened CLI shape has the fields at the top; ARM nests them in `properties`.
        let props = item.get("properties").filter(|p| p.is_object()).unwrap_or(item);
        let api_type = str_at(props, &["apiType"]).or_else(|| str_at(props, &["type"]).filter(|t| !t.contains('/')));
        match api_type {
            Some(t) if t.eq_ignore_ascii_case("websocket") => {}
            Some(t) => {
                report.skipped.push(Skipped { name: shown, reason: format!("not a WebSocket API (type {t})") });
                continue;
            }
            None => {
                report.skipped.push(Skipped {
                    name: shown,
                    reason: "not a WebSocket API (no apiType; HTTP APIs have none)".into(),
                });
                continue;
            }
        }
        if name.is_empty() {
            report.skipped.push(Skipped { name: shown, reason: "has no name".into() });
            continue;
        }
        let gateway = match gateway {
            Some(g) => ws_scheme(g),
            None => match service_from_id(str_at(item, &["id"]).unwrap_or_default()) {
                Some(service) => format!("wss://{service}.azure-api.net"),
                None => {
                    report.skipped.push(Skipped {
                        name: shown,
                        reason: "no gateway URL: pass --gateway (the gatewayUrl from `az apim show`)".into(),
                    });
                    continue;
                }
            },
        };
        let key_names = props.get("subscriptionKeyParameterNames");
        let header = key_names.and_then(|k| str_at(k, &["header"])).unwrap_or(subscription_key::DEFAULT_HEADER);
        let query = key_names.and_then(|k| str_at(k, &["query"])).unwrap_or(subscription_key::DEFAULT_QUERY);
        let required = props.get("subscriptionRequired").and_then(Value::as_bool).unwrap_or(true);
        let mut profile = Profile {
            display_name: str_at(props, &["displayName"]).unwrap_or_default().to_string(),
            gateway,
            url_suffix: str_at(props, &["path"]).unwrap_or_default().to_string(),
            // The two rows below are one credential: the key given in either place is enough.
            // APIM's default names need no entry, so such files read as before.
            subscription_key: Some(SubscriptionKeyNames { query: query.to_string(), header: header.to_string() })
                .filter(|n| *n != SubscriptionKeyNames::default()),
            ..Profile::default()
        };
        // Browsers cannot set headers on a WebSocket, so APIM's test console sends the key as a
        // query parameter; the header row is there, disabled, for clients that can.
        let mut q = Param::new(query, "").secret();
        let mut h = Param::new(header, "").secret();
        h.enabled = false;
        if required {
            q = q.required();
        }
        profile.query.push(q);
        profile.headers.push(h);
        report.profiles.push((sanitize_name(name), profile));
    }
    Ok(report)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// `https://x.azure-api.net` → `wss://x.azure-api.net`; ws/wss kept.
pub(crate) fn ws_scheme(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if url.contains("://") {
        url.to_string()
    } else {
        format!("wss://{url}")
    }
}

/// The service name from `/subscriptions/…/providers/Microsoft.ApiManagement/service/<name>/apis/…`.
fn service_from_id(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    parts.find(|p| p.eq_ignore_ascii_case("service"))?;
    parts.next().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_gateway_scheme_and_service_name() {
        assert_eq!(ws_scheme("https://contoso.azure-api.net/"), "wss://contoso.azure-api.net");
        assert_eq!(ws_scheme("contoso.example"), "wss://contoso.example");
        assert_eq!(
            service_from_id(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso/apis/chat"
            ),
            Some("contoso")
        );
    }

    #[test]
    fn test_the_apis_own_key_names_make_one_credential_either_place_satisfies() {
        use crate::request::{Overrides, Purpose, RequestError, build_target};
        let json = r#"[{"name":"chat","apiType":"websocket","path":"chat","subscriptionRequired":true,
            "subscriptionKeyParameterNames":{"header":"X-Chat-Key","query":"chat-key"}}]"#;
        let report = import_apim_json(json, Some("https://gw.example")).unwrap();
        let (_, profile) = &report.profiles[0];
        let names = profile.subscription_key.clone().unwrap();
        assert_eq!((names.query.as_str(), names.header.as_str()), ("chat-key", "X-Chat-Key"));
        let request = profile.request();
        let missing = build_target(&request, &Overrides::default(), Purpose::Connect).unwrap_err();
        assert!(
            matches!(&missing, RequestError::MissingSubscriptionKey { header, .. } if header == "X-Chat-Key"),
            "{missing}"
        );
        let by_header = Overrides { headers: vec![Param::new("x-chat-key", "k")], ..Overrides::default() };
        let t = build_target(&request, &by_header, Purpose::Connect).unwrap().target;
        assert!(t.query.iter().all(|p| !p.enabled), "the empty query place is not sent: {:?}", t.query);
        // APIM's default names are not written, so a default import reads as before.
        let json = r#"[{"name":"echo","apiType":"websocket","path":"echo"}]"#;
        let report = import_apim_json(json, Some("https://gw.example")).unwrap();
        assert_eq!(report.profiles[0].1.subscription_key, None);
        let text = toml::to_string(&report.profiles[0].1).unwrap();
        assert!(!text.contains("subscription_key"), "{text}");
    }
}
