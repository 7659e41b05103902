//! `wstab import apim --resource-group RG --service-name NAME`: the Azure CLI (`az`) run for
//! the user, so importing from Azure is one command, with the same result as importing the
//! JSON `az apim api list` prints.

use std::process::Command;

/// The ARM API version of APIM's `listSecrets` call (a stable one `az rest` accepts).
const LIST_SECRETS_API_VERSION: &str = "2022-08-01";

/// Why `az` could not give what the import needs.
#[derive(Debug, thiserror::Error)]
pub enum AzError {
    /// `az` is not on PATH (or cannot be started).
    #[error("cannot run `az` ({0}): install the Azure CLI and `az login`, or pass the JSON file of `az apim api list`")]
    NotRun(std::io::Error),
    /// `az` ran and failed: its exit code and what it said.
    #[error("`az {args}` failed (exit code {code}):\n{stderr}")]
    Failed {
        /// The arguments, as run.
        args: String,
        /// Its exit code (`-1` when killed by a signal).
        code: i32,
        /// Its stderr, trimmed.
        stderr: String,
    },
    /// `az` printed something that is not what was asked for.
    #[error("`az {args}` printed no {what}")]
    Unexpected {
        /// The arguments, as run.
        args: String,
        /// What was expected.
        what: &'static str,
    },
}

/// Runs `az ARGS… -o json` and returns its stdout.
fn az(args: &[&str]) -> Result<String, AzError> {
    let out = Command::new("az").args(args).args(["-o", "json"]).output().map_err(AzError::NotRun)?;
    if !out.status.success() {
        return Err(AzError::Failed {
            args: args.join(" "),
            code: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What the import reads from Azure: the API list (as `az apim api list` prints it) and the
/// service's gateway URL (`gatewayUrl` from `az apim show`).
pub struct FromAzure {
    /// The JSON of `az apim api list`.
    pub api_list: String,
    /// The service's gateway URL.
    pub gateway_url: Option<String>,
}

/// Runs `az apim api list` and `az apim show` for the service.
pub fn read_service(resource_group: &str, service: &str) -> Result<FromAzure, AzError> {
    let api_list = az(&["apim", "api", "list", "-g", resource_group, "-n", service])?;
    let show_args = ["apim", "show", "-g", resource_group, "-n", service];
    let show = az(&show_args)?;
    let gateway_url = serde_json::from_str::<serde_json::Value>(&show)
        .ok()
        .and_then(|v| v.get("gatewayUrl").and_then(|g| g.as_str()).map(str::to_string))
        .filter(|g| !g.is_empty());
    Ok(FromAzure { api_list, gateway_url })
}

/// The primary key of the APIM subscription `sid` (`az rest` on its `listSecrets`, as the
/// portal's Test tab does for the user's own subscription). `{subscriptionId}` is filled in by
/// `az` with the signed-in Azure subscription.
pub fn subscription_primary_key(resource_group: &str, service: &str, sid: &str) -> Result<String, AzError> {
    let uri = format!(
        "/subscriptions/{{subscriptionId}}/resourceGroups/{resource_group}/providers/Microsoft.ApiManagement/service/\
         {service}/subscriptions/{sid}/listSecrets?api-version={LIST_SECRETS_API_VERSION}"
    );
    let args = ["rest", "--method", "post", "--uri", &uri];
    let text = az(&args)?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("primaryKey").and_then(|k| k.as_str()).map(str::to_string))
        .filter(|k| !k.is_empty())
        .ok_or(AzError::Unexpected { args: args.join(" "), what: "primaryKey" })
}

/// `contoso-apim` → `CONTOSO_APIM_SUBSCRIPTION_KEY`: the variable an imported key is referenced
/// by, unless the user names one.
pub fn key_env_name(service: &str) -> String {
    let base: String =
        service.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("{base}_SUBSCRIPTION_KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_key_variable_is_named_after_the_service() {
        assert_eq!(key_env_name("contoso-apim"), "CONTOSO_APIM_SUBSCRIPTION_KEY");
    }
}
