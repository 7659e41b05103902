//! Certificates the policy XML names by id (`<key certificate-id="…" />` in `validate-jwt`).
//!
//! In APIM they are uploaded to the instance and exports do not carry them; locally they come
//! from `wstab gateway --certificate ID=PEMFILE` or `[[certificates]]` in the gateway TOML.
//! Only the certificate's public key is used: the JWT's signature is checked against it, as
//! APIM does (no chain or expiry check).

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::XmlError;
use crate::gateway::config::CertificateConfig;

/// Certificate id → its public key as a `PUBLIC KEY` PEM.
pub type Certificates = HashMap<String, String>;

/// Reads each certificate (relative paths from `base_dir`); an unreadable file, a file with no
/// certificate, a key that is not RSA or a repeated id is an error naming the certificate.
pub fn load(list: &[CertificateConfig], base_dir: &Path) -> Result<Certificates, XmlError> {
    let mut out = Certificates::new();
    for c in list {
        let path = base_dir.join(&c.path);
        let err =
            |message: String| XmlError { location: format!("certificate {:?} ({})", c.id, path.display()), message };
        if c.id.is_empty() {
            return Err(err("a certificate needs an id".into()));
        }
        if out.contains_key(&c.id) {
            return Err(err(format!("certificate id {:?} is given twice", c.id)));
        }
        let der = CertificateDer::pem_file_iter(&path)
            .map_err(|e| err(format!("cannot read the PEM file: {e}")))?
            .next()
            .ok_or_else(|| err("the file holds no CERTIFICATE block".into()))?
            .map_err(|e| err(format!("not a PEM certificate: {e}")))?;
        let cert = webpki::EndEntityCert::try_from(&der).map_err(|e| err(format!("not an X.509 certificate: {e}")))?;
        let spki = cert.subject_public_key_info();
        let pem = public_key_pem(spki.as_ref());
        // validate-jwt checks RS256/384/512 signatures with it: refuse anything else now.
        jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| err(format!("validate-jwt needs an RSA certificate; this key is not one ({e})")))?;
        out.insert(c.id.clone(), pem);
    }
    Ok(out)
}

/// A SubjectPublicKeyInfo as PEM (`-----BEGIN PUBLIC KEY-----`, 64-column base64).
fn public_key_pem(spki_der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki_der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_an_rsa_certificate_is_read_and_an_ec_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let rsa_key = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rsa_private.pem"))
            .expect("fixture key");
        let write = |name: &str, key: &rcgen::KeyPair| {
            let cert = rcgen::CertificateParams::new(vec!["signer".into()]).unwrap().self_signed(key).unwrap();
            std::fs::write(dir.path().join(name), cert.pem()).unwrap();
            CertificateConfig { id: name.into(), path: name.into() }
        };
        let rsa = write("rsa.pem", &rcgen::KeyPair::from_pem(&rsa_key).expect("an RSA PKCS#8 key"));
        let certs = load(std::slice::from_ref(&rsa), dir.path()).unwrap();
        assert!(certs["rsa.pem"].starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let ec = write("ec.pem", &rcgen::KeyPair::generate().unwrap());
        let e = load(&[ec], dir.path()).unwrap_err();
        assert!(e.message.contains("needs an RSA certificate"), "{e}");
        let e = load(&[rsa.clone(), rsa], dir.path()).unwrap_err();
        assert!(e.message.contains("given twice"), "{e}");
        let missing = CertificateConfig { id: "gone".into(), path: "gone.pem".into() };
        let e = load(&[missing], dir.path()).unwrap_err();
        assert!(e.location.contains("gone.pem") && e.message.contains("cannot read"), "{e}");
    }
}
