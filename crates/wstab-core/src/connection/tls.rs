//! The rustls client configuration for `wss://`: webpki roots, plus an extra CA file, or no
//! verification at all when the user explicitly asks for `insecure`.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::target::TlsOptions;

/// Why the TLS client cannot be set up; each names the CA file and what was wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// rustls refused its own defaults (a build without a usable crypto provider).
    #[error("TLS setup failed: {0}")]
    Setup(rustls::Error),
    /// The CA file cannot be read.
    #[error("cannot read CA file {}: {source}", path.display())]
    ReadCa {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::pki_types::pem::Error,
    },
    /// The CA file is not PEM.
    #[error("CA file {} is not valid PEM: {source}", path.display())]
    NotPem {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::pki_types::pem::Error,
    },
    /// The CA file holds no certificate.
    #[error("CA file {} holds no certificate", .0.display())]
    NoCertificate(PathBuf),
    /// A certificate in the CA file cannot be a root.
    #[error("CA file {} holds an unusable certificate: {source}", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rustls::Error,
    },
}

/// Builds the client config for `opts`. Errors name the CA file and what was wrong with it.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Setup)?;
    let config = if opts.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider))).with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &opts.ca_file {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|source| TlsSetupError::ReadCa { path: path.clone(), source })?
                .collect::<Result<_, _>>()
                .map_err(|source| TlsSetupError::NotPem { path: path.clone(), source })?;
            if certs.is_empty() {
                return Err(TlsSetupError::NoCertificate(path.clone()));
            }
            for cert in certs {
                roots.add(cert).map_err(|source| TlsSetupError::Unusable { path: path.clone(), source })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// Accepts any certificate: only ever used when the user passed `--insecure`.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
