//! A quota budget shared by every process and machine that uses the same
//! credential, kept in Redis (the `shared-quota` feature).
//!
//! Each credential's bucket is one hash, `studio:quota:v1:<fingerprint>`,
//! changed only by one Lua script (`quota.lua`), so a take or a correction
//! is one atomic round trip by Redis's own clock. The key holds a SHA-256
//! fingerprint of the credential, never the secret.
//!
//! `rediss://` speaks TLS (rustls, on the crypto provider reqwest uses),
//! verifying the server against the platform's roots and any the builder
//! adds; there is no way to turn verification off.
//!
//! Redis being down, or its certificate not trusted, never fails a call:
//! the client paces with the in-process bucket meanwhile (which every
//! response keeps corrected), warns once per outage, tries Redis again
//! after a pause, and says when sharing has resumed.

use crate::error::Error;
use crate::pacing::{Bucket, Seen, Store, Wait};
use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionAddr, IntoConnectionInfo, TlsCertificates};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The bucket script, loaded once per Redis server (`EVALSHA`, with a
/// `SCRIPT LOAD` after a `NOSCRIPT`).
static SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("quota.lua")));

/// The longest a call waits for Redis to connect, or to answer.
const PATIENCE: Duration = Duration::from_millis(250);

/// How long Redis is left alone after it failed, before it is tried again.
const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The address of a shared quota store, checked; nothing is connected
/// until a call needs it.
pub(crate) struct SharedQuota {
    client: redis::Client,
}

/// Shows nothing of the URL, which may hold a password.
impl fmt::Debug for SharedQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedQuota(**redacted**)")
    }
}

impl SharedQuota {
    /// Checks `url` (`redis://`, `rediss://` or `redis+unix://`, see
    /// `ClientBuilder::shared_quota`) without connecting; `roots` (PEM) are
    /// trusted for `rediss://` besides the platform's. `None` when no
    /// shared store is asked for.
    pub(crate) fn open(url: Option<&str>, roots: &[u8]) -> Result<Option<SharedQuota>, Error> {
        let Some(url) = url else {
            return Ok(None);
        };
        let refuse = |why: &str| {
            Error::configuration(
                "ClientBuilder::build",
                format!("the shared quota URL (not shown: it may hold a password) {why}"),
            )
        };
        let info = url.trim().into_connection_info().map_err(|_| {
            refuse(
                "is not a Redis URL; expected redis://[[user]:password@]host[:port][/db], \
                 rediss://… for TLS, or redis+unix:///path/to/socket",
            )
        })?;
        let client = match info.addr() {
            ConnectionAddr::TcpTls { insecure: true, .. } => {
                return Err(refuse(
                    "asks for TLS without certificate verification (#insecure), which this \
                     client never does; trust the server's authority with \
                     ClientBuilder::add_root_certificates_pem instead",
                ));
            }
            ConnectionAddr::TcpTls { .. } if !roots.is_empty() => {
                let certificates = TlsCertificates {
                    client_tls: None,
                    root_cert: Some(platform_roots_and(roots)),
                };
                redis::Client::build_with_tls(info, certificates).map_err(|_| {
                    refuse(
                        "cannot trust the root certificates given to \
                         ClientBuilder::add_root_certificates_pem",
                    )
                })?
            }
            _ => redis::Client::open(info)
                .map_err(|_| refuse("is not a Redis URL the client can use"))?,
        };
        Ok(Some(SharedQuota { client }))
    }

    /// The store for the credential whose fingerprint is `key`, with its
    /// documented `limit` and refill rate; `bucket` paces while Redis is
    /// out of reach.
    pub(crate) fn store(
        &self,
        key: &str,
        limit: f64,
        per_second: f64,
        bucket: Arc<Bucket>,
    ) -> Arc<dyn Store> {
        Arc::new(Redis {
            client: self.client.clone(),
            connection: OnceLock::new(),
            key: format!("studio:quota:v1:{key}"),
            limit,
            per_second,
            bucket,
            failed: Mutex::new(None),
        })
    }
}

/// The platform's roots (those the `redis` crate trusts when given none,
/// and reqwest's platform verifier trusts on Linux), then `extra`, as one
/// PEM bundle: given roots of its own, the crate trusts only those. A
/// platform root that cannot be loaded or is no trust anchor is left out.
fn platform_roots_and(extra: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let mut pem = Vec::new();
    for root in rustls_native_certs::load_native_certs().certs {
        if rustls::RootCertStore::empty().add(root.clone()).is_ok() {
            pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
            pem.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(&root)
                    .as_bytes(),
            );
            pem.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
        }
    }
    pem.extend_from_slice(extra);
    pem
}

/// One credential's bucket in Redis.
struct Redis {
    client: redis::Client,
    /// Made on the first call, inside its runtime; it reconnects by itself.
    connection: OnceLock<ConnectionManager>,
    key: String,
    limit: f64,
    per_second: f64,
    /// The in-process bucket, used while Redis cannot be reached.
    bucket: Arc<Bucket>,
    /// During an outage: when Redis may be tried again.
    failed: Mutex<Option<Instant>>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Runs the script's `operation` with `args`; `None` when Redis could
    /// not be used, which has then been noted.
    async fn run(&self, operation: &str, args: &[&str]) -> Option<(u8, u64)> {
        if self
            .outage()
            .is_some_and(|retry_at| Instant::now() < retry_at)
        {
            return None;
        }
        let mut invocation = SCRIPT.key(&self.key);
        invocation
            .arg(operation)
            .arg(self.limit)
            .arg(self.per_second);
        for arg in args {
            invocation.arg(*arg);
        }
        let reply = match self.connection() {
            Ok(mut connection) => invocation.invoke_async(&mut connection).await,
            Err(error) => Err(error),
        };
        self.note(reply.as_ref().err());
        reply.ok()
    }

    /// The connection, made on first use inside the calling runtime,
    /// where it reconnects by itself.
    fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection.clone());
        }
        let tls = matches!(
            self.client.get_connection_info().addr(),
            ConnectionAddr::TcpTls { .. }
        );
        if tls && rustls::crypto::CryptoProvider::get_default().is_none() {
            // The `redis` crate's TLS uses rustls's process-wide provider,
            // and panics without one when rustls cannot pick one itself
            // (both of its providers compiled in): this is reqwest's, the
            // one rustls would pick in this crate's own graph. Failing
            // means another was installed meanwhile, which serves as well.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(PATIENCE))
            .set_response_timeout(Some(PATIENCE))
            .set_number_of_retries(0);
        let made = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        Ok(self.connection.get_or_init(|| made).clone())
    }

    /// The outage, if any: when Redis may be tried again.
    fn outage(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes how Redis answered: the first failure of an outage is warned
    /// about, and the first success after one is told.
    fn note(&self, error: Option<&redis::RedisError>) {
        let mut outage = self.outage();
        match (error, outage.is_some()) {
            (Some(error), was_down) => {
                if !was_down {
                    tracing::warn!(
                        error.kind = ?error.kind(),
                        "the shared quota store is unreachable (or its TLS certificate is not trusted); \
                         pacing in this process alone until it is back"
                    );
                }
                *outage = Some(Instant::now() + PAUSE_AFTER_FAILURE);
            }
            (None, true) => {
                tracing::info!(
                    "the shared quota store is reachable again; the quota is shared again"
                );
                *outage = None;
            }
            (None, false) => {}
        }
    }
}

impl Store for Redis {
    fn take(&self) -> BoxFuture<'_, Option<Wait>> {
        Box::pin(async move {
            match self.run("take", &[]).await {
                Some((0, _)) => None,
                Some((1, ms)) => Some(Wait::Server(Duration::from_millis(ms))),
                Some((_, ms)) => Some(Wait::Refill(Duration::from_millis(ms))),
                None => self.bucket.try_take(Instant::now()),
            }
        })
    }

    fn observe<'a>(&'a self, seen: &'a Seen) -> BoxFuture<'a, ()> {
        // The in-process bucket follows the server too, so that it is
        // ready should Redis go away.
        self.bucket.apply(seen);
        Box::pin(async move {
            let text = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let retry_after = seen.refused.flatten().map(|wait| wait.as_millis() as u64);
            let args: [&str; 5] = [
                &text(seen.limit),
                &text(seen.remaining),
                &text(seen.reset),
                if seen.refused.is_some() { "1" } else { "" },
                &text(retry_after),
            ];
            self.run("observe", &args).await;
        })
    }
}
