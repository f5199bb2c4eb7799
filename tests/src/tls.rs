//! Certificates from a throwaway authority ([`Issued`]), and a loopback
//! HTTPS server using them, for tests of what crosses from https to
//! another origin.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Answers one request, given its head (lower-cased), with raw HTTP bytes.
pub type Respond = dyn Fn(&str) -> Vec<u8> + Send + Sync;

/// A certificate authority made for one test, and a server certificate
/// it issued for `127.0.0.1` and `localhost`.
pub struct Issued {
    /// The authority's certificate, PEM, to trust in a client.
    pub authority_pem: String,
    /// The server's certificate.
    pub certificate: rcgen::Certificate,
    /// The server's key pair.
    pub key: KeyPair,
}

impl Issued {
    /// A new authority, and a server certificate from it.
    pub fn new() -> Self {
        let mut authority = CertificateParams::new(Vec::new()).expect("authority parameters");
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let authority =
            CertifiedIssuer::self_signed(authority, KeyPair::generate().expect("authority key"))
                .expect("authority certificate");
        let key = KeyPair::generate().expect("server key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("server parameters")
            .signed_by(&key, &authority)
            .expect("server certificate");
        Issued {
            authority_pem: authority.pem(),
            certificate: leaf,
            key,
        }
    }
}

impl Default for Issued {
    fn default() -> Self {
        Self::new()
    }
}

/// An HTTPS server on 127.0.0.1 whose certificate is valid for
/// `127.0.0.1` and `localhost`, issued by an authority made for it.
pub struct TlsServer {
    origin: String,
    authority_pem: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    /// Starts serving every connection's request with `respond`.
    pub fn start(respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Self {
        let issued = Issued::new();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![issued.certificate.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.key.serialize_der())),
            )
            .expect("server TLS configuration");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let origin = format!("https://{}", listener.local_addr().expect("address"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let respond: Arc<Respond> = Arc::new(respond);
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, seen, respond) = (config.clone(), seen.clone(), respond.clone());
                std::thread::spawn(move || {
                    let Ok(connection) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(connection, tcp);
                    let Some(request) = crate::scripted::read_request(&mut tls, &mut Vec::new())
                    else {
                        return;
                    };
                    let head = request.head.to_ascii_lowercase();
                    seen.lock().unwrap().push(head.clone());
                    let _ = tls.write_all(&respond(&head));
                    let _ = tls.flush();
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer {
            origin,
            authority_pem: issued.authority_pem,
            heads,
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The authority's certificate, to trust in a client.
    pub fn authority(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(self.authority_pem.as_bytes()).expect("a PEM certificate")
    }

    /// The same, PEM.
    pub fn authority_pem(&self) -> &str {
        &self.authority_pem
    }

    /// The head of every request received, lower-cased, oldest first.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}
