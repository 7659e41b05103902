//! Reading the folder layout APIM's extractor tools (APIOps) write, as kept in Git:
//!
//! ```text
//! DIR/policy.xml                               global scope
//! DIR/apis/<api>/apiInformation.json           the API (type, path, serviceUrl, key names…)
//! DIR/apis/<api>/specification.*               (not read: a WebSocket API has no operations to type)
//! DIR/apis/<api>/policy.xml                    API scope
//! DIR/apis/<api>/operations/onHandshake/policy.xml
//! DIR/products/<product>/productInformation.json, apis.json, policy.xml
//! ```
//!
//! Every WebSocket API found becomes a gateway API with its real suffix, key names and
//! policies. Exports hold no subscription secrets, so keys come from `--subscription`, a gateway
//! TOML given beside the folder, or the well-known local key.

use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use crate::gateway::config::{ApiConfig, ConfigError, GatewayConfig, KeyNames, Policies, ProductConfig, Subscription};

pub use super::transform::{BackendUrlError, ws_url};

/// The subscription used when no key is configured.
pub const LOCAL_SUBSCRIPTION: &str = "local";
/// Its key: documented, so a copied client command works against the local gateway.
pub const LOCAL_KEY: &str = wstab_core::request::DEMO_SUBSCRIPTION_KEY;

/// What `--apim-dir` read besides the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirSummary {
    /// APIs skipped because they are not WebSocket APIs.
    pub skipped: Vec<String>,
    /// Whether the well-known local key was added.
    pub local_key: bool,
}

fn invalid(path: &Path, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { location: path.display().to_string(), message: message.into() }
}

fn read_json(path: &Path) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| invalid(path, format!("not JSON: {e}")))?;
    // ARM resources wrap the fields in "properties"; some tools write them flat.
    Ok(v.get("properties").cloned().unwrap_or(v))
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    out.sort();
    Ok(out)
}

fn file_if(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

fn folder_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn is_websocket(info: &Value) -> bool {
    let ty = info.get("type").or_else(|| info.get("apiType")).and_then(Value::as_str).unwrap_or_default();
    let protocols: Vec<&str> = info
        .get("protocols")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    ty.eq_ignore_ascii_case("websocket")
        || protocols.iter().any(|p| p.eq_ignore_ascii_case("ws") || p.eq_ignore_ascii_case("wss"))
}

/// Builds a gateway config from an APIOps folder; `base` (a gateway TOML given beside it)
/// contributes its subscriptions, limits, products' subscriptions and APIs.
pub fn load(
    dir: &Path,
    base: Option<GatewayConfig>,
    backends: &[(String, Url)],
    subscriptions: &[(String, String)],
) -> Result<(GatewayConfig, DirSummary), ConfigError> {
    if !dir.is_dir() {
        return Err(invalid(dir, "not a folder (expected the extractor's output: apis/, products/, policy.xml)"));
    }
    // Policy paths are stored absolute: a TOML beside the folder resolves its own from its folder.
    let dir = &dir.canonicalize().map_err(|e| invalid(dir, format!("cannot read: {e}")))?;
    let mut config = base.unwrap_or_default();
    let mut summary = DirSummary::default();
    config.policy_xml = config.policy_xml.take().or_else(|| file_if(dir.join("policy.xml")));
    // (folder name, display name, json name) of each WebSocket API, to match product lists.
    let mut names: Vec<(String, String, String)> = Vec::new();
    let mut used_backends = Vec::new();
    for api_dir in subdirs(&dir.join("apis"))? {
        let folder = folder_name(&api_dir);
        let Some(info_path) = file_if(api_dir.join("apiInformation.json")) else {
            continue;
        };
        let info = read_json(&info_path)?;
        if !is_websocket(&info) {
            summary.skipped.push(folder);
            continue;
        }
        let display = info.get("displayName").and_then(Value::as_str).unwrap_or(&folder).to_string();
        let json_name = info.get("name").and_then(Value::as_str).unwrap_or(&folder).to_string();
        let matches = |n: &str| n == folder || n == display || n == json_name;
        let backend = match backends.iter().find(|(n, _)| matches(n)) {
            Some((n, url)) => {
                used_backends.push(n.clone());
                url.clone()
            }
            None => {
                let service = info.get("serviceUrl").and_then(Value::as_str).ok_or_else(|| {
                    invalid(&info_path, format!("API {folder:?} has no serviceUrl: pass --backend {folder}=ws://…"))
                })?;
                super::transform::ws_url(service).map_err(|m| invalid(&info_path, format!("serviceUrl: {m}")))?
            }
        };
        let keys = info.get("subscriptionKeyParameterNames");
        let key_name = |field: &str, default: &str| {
            keys.and_then(|k| k.get(field)).and_then(Value::as_str).unwrap_or(default).to_string()
        };
        let mut operation = None;
        for op in subdirs(&api_dir.join("operations"))? {
            let Some(policy) = file_if(op.join("policy.xml")) else { continue };
            if !folder_name(&op).eq_ignore_ascii_case("onhandshake") {
                return Err(invalid(&op, "a WebSocket API has one operation, onHandshake; this folder is another"));
            }
            operation = Some(policy);
        }
        config.apis.push(ApiConfig {
            name: folder.clone(),
            display_name: display.clone(),
            url_suffix: info.get("path").and_then(Value::as_str).unwrap_or_default().to_string(),
            backend,
            subscription_required: info.get("subscriptionRequired").and_then(Value::as_bool).unwrap_or(true),
            subscription_key: KeyNames {
                header: key_name("header", crate::gateway::config::DEFAULT_KEY_HEADER),
                query: key_name("query", crate::gateway::config::DEFAULT_KEY_QUERY),
            },
            policies: Policies {
                xml: file_if(api_dir.join("policy.xml")),
                on_handshake_xml: operation,
                ..Policies::default()
            },
        });
        names.push((folder, display, json_name));
    }
    if let Some((n, _)) = backends.iter().find(|(n, _)| !used_backends.contains(n)) {
        return Err(invalid(dir, format!("--backend {n}=…: no WebSocket API {n:?} in apis/")));
    }
    for product_dir in subdirs(&dir.join("products"))? {
        let name = folder_name(&product_dir);
        let mut apis = Vec::new();
        if let Some(list) = file_if(product_dir.join("apis.json")) {
            let v: Value = serde_json::from_str(
                &std::fs::read_to_string(&list)
                    .map_err(|source| ConfigError::Read { path: list.display().to_string(), source })?,
            )
            .map_err(|e| invalid(&list, format!("not JSON: {e}")))?;
            for item in v.as_array().into_iter().flatten() {
                let n = item.as_str().or_else(|| item.get("name").and_then(Value::as_str)).unwrap_or_default();
                // Products also hold HTTP APIs, which this gateway does not serve.
                if let Some((folder, _, _)) = names.iter().find(|(f, d, j)| n == f || n == d || n == j) {
                    apis.push(folder.clone());
                }
            }
        }
        let existing = config.products.iter().position(|p| p.name == name);
        let product = ProductConfig {
            name: name.clone(),
            apis,
            subscriptions: Vec::new(),
            policy_xml: file_if(product_dir.join("policy.xml")),
        };
        match existing {
            // A TOML product of the same name lends its subscriptions.
            Some(i) => {
                let subs = std::mem::take(&mut config.products[i].subscriptions);
                config.products[i] = ProductConfig { subscriptions: subs, ..product };
            }
            None => config.products.push(product),
        }
    }
    for (name, key) in subscriptions {
        config.subscriptions.push(Subscription {
            name: name.clone(),
            primary_key: key.clone(),
            secondary_key: None,
            active: true,
        });
    }
    if config.subscriptions.is_empty() {
        config.subscriptions.push(Subscription {
            name: LOCAL_SUBSCRIPTION.into(),
            primary_key: LOCAL_KEY.into(),
            secondary_key: None,
            active: true,
        });
        summary.local_key = true;
    }
    // Check now, so a bad policy file stops the start with its file:line:col.
    crate::gateway::policy::compile(&config).map_err(|e| match e.xml_location.clone() {
        Some(location) => ConfigError::Invalid { location, message: e.message },
        None => invalid(dir, e.to_string()),
    })?;
    Ok((config, summary))
}
