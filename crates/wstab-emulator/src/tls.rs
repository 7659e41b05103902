//! TLS for the emulator's listeners, as APIM and Web PubSub are reached over `https`/`wss`:
//! a certificate and key from PEM files, or a certificate for `localhost`/127.0.0.1 signed by a
//! CA generated at start, whose PEM is written to a file for `wstab --ca` and
//! `NODE_EXTRA_CA_CERTS`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("cannot read {what} {path}: {message}")]
    Pem {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The CA file could not be written.
    #[error("cannot write the CA certificate to {path}: {source}")]
    WriteCa {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Generating the certificates or building the config failed.
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

/// A listener's TLS: the server config, and the generated CA's file when self-signed.
#[derive(Clone)]
pub struct ServerTls {
    /// The rustls config.
    pub config: Arc<rustls::ServerConfig>,
    /// Where the generated CA certificate (PEM) was written; `None` for user-supplied files.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").field("ca_file", &self.ca_file).finish()
    }
}

fn server_config(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<ServerTls, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    // Only HTTP/1.1 is served (WebSocket upgrades, the REST API).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls { config: Arc::new(config), ca_file: None })
}

impl ServerTls {
    /// The certificate chain and private key from PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let pem_err = |what, path: &Path, e: &dyn std::fmt::Display| TlsError::Pem {
            what,
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .map_err(|e| pem_err("certificate", cert, &e))?
            .collect::<Result<_, _>>()
            .map_err(|e| pem_err("certificate", cert, &e))?;
        if chain.is_empty() {
            return Err(pem_err("certificate", cert, &"no CERTIFICATE block"));
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err("private key", key, &e))?;
        server_config(chain, key_der)
    }

    /// A fresh CA and a certificate it signs for `localhost`, 127.0.0.1 and ::1; the CA's PEM
    /// is written to `ca_file`.
    pub fn self_signed(ca_file: &Path) -> Result<Self, TlsError> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let setup = |e: rcgen::Error| TlsError::Setup(e.to_string());
        let ca_key = KeyPair::generate().map_err(setup)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(setup)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "wstab local emulator CA");
        let ca_cert = ca_params.self_signed(&ca_key).map_err(setup)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().map_err(setup)?;
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
        let mut params = CertificateParams::new(names).map_err(setup)?;
        params.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &issuer).map_err(setup)?;
        if let Some(dir) = ca_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| TlsError::WriteCa { path: ca_file.display().to_string(), source })?;
        }
        std::fs::write(ca_file, ca_cert.pem())
            .map_err(|source| TlsError::WriteCa { path: ca_file.display().to_string(), source })?;
        let key_der = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let mut tls = server_config(vec![cert.der().clone(), ca_cert.der().clone()], key_der)?;
        tls.ca_file = Some(ca_file.to_path_buf());
        Ok(tls)
    }

    /// What the `--tls`, `--tls-cert`/`--tls-key` and `--tls-ca-out` flags ask for: PEM files,
    /// a generated CA (written to `ca_out`, else [`ServerTls::default_ca_file`]), or no TLS.
    pub fn from_flags(
        self_signed: bool,
        cert: Option<&Path>,
        key: Option<&Path>,
        ca_out: Option<&Path>,
        what: &str,
    ) -> Result<Option<Self>, TlsError> {
        match (cert, key) {
            (Some(c), Some(k)) => Self::from_pem_files(c, k).map(Some),
            (Some(_), None) | (None, Some(_)) => Err(TlsError::Setup("--tls-cert and --tls-key go together".into())),
            (None, None) if self_signed || ca_out.is_some() => {
                let file = ca_out.map_or_else(|| Self::default_ca_file(what), Path::to_path_buf);
                Self::self_signed(&file).map(Some)
            }
            (None, None) => Ok(None),
        }
    }

    /// The default place for a generated CA: `<temp>/wstab-<what>-ca.pem`.
    pub fn default_ca_file(what: &str) -> PathBuf {
        std::env::temp_dir().join(format!("wstab-{what}-ca.pem"))
    }
}
