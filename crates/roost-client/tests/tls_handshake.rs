//! What `roost-client` puts into a TLS handshake, seen from a rustls server written for the test:
//! SNI for host names (none for addresses, as RFC 6066 says), the ALPN protocols offered, and the
//! lowest TLS version (`TlsVersion::Tls13` against a TLS 1.2-only server fails, the default
//! settles on 1.2). The server answers CONNECT with a bare CONNACK.

mod certs;

use std::sync::Arc;
use std::time::Duration;

use certs::Certs;
use roost_client::{
    Client, ClientError, ClientOptions, TlsConfig, TlsOptions, TlsVersion, Transport,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ProtocolVersion, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

const LIMIT: Duration = Duration::from_secs(10);

/// What the server saw of one handshake.
#[derive(Debug)]
struct Seen {
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
    version: Option<ProtocolVersion>,
}

/// A TLS server on a free port that accepts one connection, answers its CONNECT with CONNACK
/// and reports what it saw (or the handshake error).
async fn server(
    certs: &Certs,
    versions: &'static [&'static rustls::SupportedProtocolVersion],
) -> (u16, tokio::task::JoinHandle<Result<Seen, std::io::Error>>) {
    let chain = CertificateDer::pem_file_iter(&certs.server_cert)
        .expect("cert file")
        .collect::<Result<Vec<_>, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(&certs.server_key).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    config.alpn_protocols = vec![b"mqtt".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        let (_, connection) = tls.get_ref();
        let seen = Seen {
            server_name: connection.server_name().map(str::to_owned),
            alpn: connection.alpn_protocol().map(<[u8]>::to_vec),
            version: connection.protocol_version(),
        };
        let mut connect = [0u8; 2];
        tls.read_exact(&mut connect).await?;
        let mut rest = vec![0u8; usize::from(connect[1])];
        tls.read_exact(&mut rest).await?;
        // CONNACK: session not present, accepted.
        tls.write_all(&[0x20, 0x02, 0x00, 0x00]).await?;
        tls.flush().await?;
        Ok(seen)
    });
    (port, task)
}

fn options(certs: &Certs, host: &str, port: u16, tls: TlsOptions) -> ClientOptions {
    let tls = TlsOptions {
        cafile: Some(certs.ca.clone()),
        ..tls
    };
    ClientOptions {
        transport: Transport::Tls(TlsConfig::new(tls).expect("loads")),
        ..ClientOptions::new(host, port)
    }
}

static TLS12_AND_13: [&rustls::SupportedProtocolVersion; 2] =
    [&rustls::version::TLS13, &rustls::version::TLS12];
static TLS12_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];

#[tokio::test]
async fn sni_names_the_host_and_alpn_offers_the_protocols_given() {
    let Some(certs) = Certs::make("sni") else {
        return;
    };
    for (host, sni) in [("localhost", Some("localhost")), ("127.0.0.1", None)] {
        let (port, seen) = server(&certs, &TLS12_AND_13).await;
        let tls = TlsOptions {
            alpn: vec!["mqtt".into(), "x-other".into()],
            ..TlsOptions::default()
        };
        let connected = timeout(LIMIT, Client::connect(options(&certs, host, port, tls)))
            .await
            .expect("in time");
        assert!(
            connected.is_ok(),
            "{connected:?}",
            connected = connected.err()
        );
        let seen = seen.await.expect("server task").expect("handshake");
        assert_eq!(seen.server_name.as_deref(), sni, "{host}");
        assert_eq!(seen.alpn.as_deref(), Some(&b"mqtt"[..]));
        assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_3));
    }
}

#[tokio::test]
async fn tls_1_3_only_fails_against_a_1_2_server_and_the_default_settles_on_1_2() {
    let Some(certs) = Certs::make("versions") else {
        return;
    };
    let (port, seen) = server(&certs, &TLS12_ONLY).await;
    let tls13 = TlsOptions {
        version: TlsVersion::Tls13,
        ..TlsOptions::default()
    };
    let error = match timeout(
        LIMIT,
        Client::connect(options(&certs, "localhost", port, tls13)),
    )
    .await
    .expect("in time")
    {
        Ok(_) => panic!("TLS 1.3 only should not reach a TLS 1.2 server"),
        Err(error) => error,
    };
    assert!(matches!(error, ClientError::Tls { .. }), "{error:?}");
    assert!(seen.await.expect("server task").is_err());

    let (port, seen) = server(&certs, &TLS12_ONLY).await;
    let connected = timeout(
        LIMIT,
        Client::connect(options(&certs, "localhost", port, TlsOptions::default())),
    )
    .await
    .expect("in time");
    assert!(connected.is_ok());
    let seen = seen.await.expect("server task").expect("handshake");
    assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_2));
}
