//! `roost-client` over TLS against a real Mosquitto broker with TLS listeners: a round trip
//! trusting a CA file and a CA directory, client certificates with PKCS#8, SEC1 and PKCS#1 keys,
//! and the failures people meet — no client certificate for a broker that wants one, the wrong
//! CA, a certificate for another name (and `insecure`, which forgives only that).
//!
//! Certificates are made per test with the `openssl` command ([`certs`]); tests skip when
//! Mosquitto or openssl is missing.

mod certs;
mod common;

use std::time::Duration;

use bytes::Bytes;
use certs::Certs;
use common::Mosquitto;
use roost_client::{
    Client, ClientError, ClientOptions, Properties, QoS, SubscribeFilter, SubscriptionOptions,
    TlsConfig, TlsConfigError, TlsOptions, Transport,
};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// A Mosquitto with one TLS listener presenting `cert`/`key`.
fn broker(
    certs: &Certs,
    cert: &std::path::Path,
    key: &std::path::Path,
    mutual: bool,
) -> Option<Mosquitto> {
    Mosquitto::start_with(&certs.mosquitto_listener(cert, key, mutual))
}

fn tls_options(host: &str, port: u16, tls: TlsOptions) -> Result<ClientOptions, TlsConfigError> {
    Ok(ClientOptions {
        transport: Transport::Tls(TlsConfig::new(tls)?),
        ..ClientOptions::new(host, port)
    })
}

fn trusting(ca: &std::path::Path) -> TlsOptions {
    TlsOptions {
        cafile: Some(ca.to_owned()),
        ..TlsOptions::default()
    }
}

/// Connects, subscribes, publishes at QoS 1 and gets the message back.
async fn round_trip(options: ClientOptions) {
    let (client, _connected, mut incoming) = timeout(LIMIT, Client::connect(options))
        .await
        .expect("in time")
        .expect("connects over TLS");
    let filter = SubscribeFilter {
        filter: "tls/#".into(),
        options: SubscriptionOptions {
            qos: QoS::AtLeastOnce,
            ..SubscriptionOptions::default()
        },
    };
    client
        .subscribe(vec![filter], Properties::default())
        .await
        .expect("subscribes");
    client
        .publish(
            "tls/x",
            "secret",
            QoS::AtLeastOnce,
            false,
            Properties::default(),
        )
        .await
        .expect("publishes");
    let message = timeout(LIMIT, incoming.recv())
        .await
        .expect("in time")
        .expect("a message");
    assert_eq!(
        (message.topic.as_str(), message.payload),
        ("tls/x", Bytes::from("secret"))
    );
}

/// Connects and returns the error.
async fn failure(options: ClientOptions) -> ClientError {
    match timeout(LIMIT, Client::connect(options))
        .await
        .expect("in time")
    {
        Ok(_) => panic!("connected, but should not have"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn round_trip_trusting_a_ca_file_or_a_ca_directory_by_address_and_by_name() {
    let Some(certs) = Certs::make("roundtrip") else {
        return;
    };
    let Some(mq) = broker(&certs, &certs.server_cert, &certs.server_key, false) else {
        return;
    };
    for host in ["127.0.0.1", "localhost"] {
        round_trip(tls_options(host, mq.port, trusting(&certs.ca)).expect("loads")).await;
    }
    let capath = certs.dir.join("capath");
    std::fs::create_dir_all(&capath).expect("dir");
    std::fs::copy(&certs.ca, capath.join("roost-ca.pem")).expect("copy");
    let by_dir = TlsOptions {
        capath: Some(capath),
        ..TlsOptions::default()
    };
    round_trip(tls_options("127.0.0.1", mq.port, by_dir).expect("loads")).await;
}

#[tokio::test]
async fn client_certificates_with_each_key_form_pass_mutual_tls() {
    let Some(certs) = Certs::make("mutual") else {
        return;
    };
    let Some(mq) = broker(&certs, &certs.server_cert, &certs.server_key, true) else {
        return;
    };
    for (cert, key) in [
        (&certs.client_cert, &certs.client_key),
        (&certs.client_cert, &certs.client_key_sec1),
        (&certs.client_rsa_cert, &certs.client_rsa_key),
    ] {
        let tls = TlsOptions {
            certificate: Some(cert.clone()),
            key: Some(key.clone()),
            ..trusting(&certs.ca)
        };
        round_trip(tls_options("127.0.0.1", mq.port, tls).expect("loads")).await;
    }
}

#[tokio::test]
async fn a_broker_that_wants_a_client_certificate_refuses_a_client_without_one() {
    let Some(certs) = Certs::make("nocert") else {
        return;
    };
    let Some(mq) = broker(&certs, &certs.server_cert, &certs.server_key, true) else {
        return;
    };
    let error =
        failure(tls_options("127.0.0.1", mq.port, trusting(&certs.ca)).expect("loads")).await;
    assert!(error.is_tls_alert_from_broker(), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "TLS handshake with 127.0.0.1:{} failed: ",
            mq.port
        )),
        "{text}"
    );
    assert!(text.contains("client certificate"), "{text}");
}

#[tokio::test]
async fn a_key_that_is_not_the_certificates_is_refused_before_connecting() {
    let Some(certs) = Certs::make("mismatch") else {
        return;
    };
    let tls = TlsOptions {
        certificate: Some(certs.client_cert.clone()),
        key: Some(certs.client_rsa_key.clone()),
        ..trusting(&certs.ca)
    };
    let error = TlsConfig::new(tls).expect_err("mismatched");
    assert!(
        matches!(error, TlsConfigError::ClientAuth { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("not the certificate's"),
        "{error}"
    );
}

#[tokio::test]
async fn the_wrong_ca_is_refused_even_when_insecure() {
    let Some(certs) = Certs::make("wrongca") else {
        return;
    };
    let Some(mq) = broker(&certs, &certs.server_cert, &certs.server_key, false) else {
        return;
    };
    for insecure in [false, true] {
        let tls = TlsOptions {
            insecure,
            ..trusting(&certs.other_ca)
        };
        let error = failure(tls_options("127.0.0.1", mq.port, tls).expect("loads")).await;
        assert!(matches!(error, ClientError::Tls { .. }), "{error:?}");
        assert!(!error.is_tls_alert_from_broker());
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    }
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_unless_insecure() {
    let Some(certs) = Certs::make("wrongname") else {
        return;
    };
    let Some(mq) = broker(&certs, &certs.wrong_name_cert, &certs.wrong_name_key, false) else {
        return;
    };
    let error =
        failure(tls_options("127.0.0.1", mq.port, trusting(&certs.ca)).expect("loads")).await;
    assert!(
        error
            .to_string()
            .contains("certificate not valid for name \"127.0.0.1\""),
        "{error}"
    );
    let insecure = TlsOptions {
        insecure: true,
        ..trusting(&certs.ca)
    };
    round_trip(tls_options("127.0.0.1", mq.port, insecure).expect("loads")).await;
}

#[tokio::test]
async fn tls_to_a_plain_listener_fails_as_a_tls_error() {
    let Some(certs) = Certs::make("plain") else {
        return;
    };
    let Some(mq) = Mosquitto::start() else {
        return;
    };
    let error =
        failure(tls_options("127.0.0.1", mq.port, trusting(&certs.ca)).expect("loads")).await;
    // Mosquitto resets the connection when a ClientHello arrives on its plain listener.
    assert!(matches!(error, ClientError::TlsIo { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "TLS handshake with 127.0.0.1:{} failed: ",
            mq.port
        )),
        "{text}"
    );
}
