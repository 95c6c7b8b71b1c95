//! [`ClientError`]: why a connection or a request failed.
//!
//! A refused CONNACK carries its reason code; its `Display` is Mosquitto's client sentence for the
//! codes MQTT 3.x can express (which read the same whatever version refused) and the MQTT 5
//! reason name for the rest. Use [`crate::connack_text`] to print exactly what Mosquitto prints
//! for a given protocol version.

use std::io;

use roost_proto::{DecodeError, PacketType, QoS, ReasonCode};
use roost_ws::tokio_tungstenite::tungstenite::Error as WsError;
use thiserror::Error;

use crate::reason_text::{reason_name, v3_connack_text};
use crate::tls::TlsConfigError;

/// Why a connection could not be made or a request could not complete.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The socket could not be opened, or failed while connecting.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The TLS settings could not be loaded (a file missing, no certificate in it ...).
    #[error("{0}")]
    TlsConfig(#[from] TlsConfigError),
    /// The TLS handshake with the broker failed: its certificate was not accepted, or it ended
    /// the TLS session before CONNACK (a broker that wants a client certificate does that).
    #[error("TLS handshake with {address} failed: {}", tls_text(.source))]
    Tls {
        /// `host:port` of the broker.
        address: String,
        /// What rustls said.
        source: rustls::Error,
    },
    /// The connection failed during the TLS handshake (the broker closed or reset it: a plain
    /// MQTT listener does that to a TLS client).
    #[error("TLS handshake with {address} failed: {source}")]
    TlsIo {
        /// `host:port` of the broker.
        address: String,
        /// What the system said.
        source: io::Error,
    },
    /// The WebSocket upgrade failed: the broker answered without upgrading (an HTTP error, or
    /// no `mqtt` subprotocol), or the connection failed during it.
    #[error("WebSocket handshake with {url} failed: {source}")]
    WebSocket {
        /// The URL asked for (`ws://host:port/path`).
        url: String,
        /// What tungstenite said (boxed: it is large).
        source: Box<WsError>,
    },
    /// The TCP connection or the CONNACK did not arrive within the connect timeout.
    #[error("timed out connecting to the broker")]
    ConnectTimeout,
    /// The broker answered CONNECT with this refusal.
    #[error("{}", refusal_text(*.0))]
    Refused(ReasonCode),
    /// The broker sent bytes that are not a valid MQTT packet.
    #[error("the broker sent an invalid packet: {0}")]
    Protocol(#[from] DecodeError),
    /// The broker sent a packet the client did not expect at that point.
    #[error("the broker sent an unexpected {0:?} packet")]
    UnexpectedPacket(PacketType),
    /// The connection is closed: `Some` with the broker's DISCONNECT reason, `None` when the
    /// socket closed, the client disconnected or the session task stopped.
    #[error("{}", disconnected_text(*.0))]
    Disconnected(Option<ReasonCode>),
    /// A PUBLISH topic that is not a valid topic name.
    #[error("invalid topic name {0:?}")]
    InvalidTopic(String),
    /// A SUBSCRIBE or UNSUBSCRIBE filter that is not a valid topic filter, or no filter at all.
    #[error("invalid topic filter {0:?}")]
    InvalidFilter(String),
    /// The broker's Maximum QoS is below the QoS asked for.
    #[error("the broker accepts QoS up to {max:?}, not {requested:?}")]
    QosNotSupported {
        /// The QoS of the publish.
        requested: QoS,
        /// The broker's Maximum QoS from CONNACK.
        max: QoS,
    },
    /// The broker said in CONNACK that it does not keep retained messages.
    #[error("the broker does not support retained messages")]
    RetainNotSupported,
    /// The packet is larger than the broker's Maximum Packet Size.
    #[error("packet of {size} bytes exceeds the broker's maximum packet size of {max}")]
    PacketTooLarge {
        /// Encoded size of the packet.
        size: usize,
        /// The broker's limit from CONNACK.
        max: u32,
    },
    /// Every packet identifier is in use by an unacknowledged request.
    #[error("no free packet identifier")]
    NoPacketId,
}

impl ClientError {
    /// True when the broker ended a TLS session with an alert (it refused our certificate or
    /// the lack of one), rather than the client refusing the broker's certificate.
    pub fn is_tls_alert_from_broker(&self) -> bool {
        matches!(
            self,
            ClientError::Tls {
                source: rustls::Error::AlertReceived(_),
                ..
            }
        )
    }
}

/// A TLS failure in words, with what to do about the one people meet most.
fn tls_text(error: &rustls::Error) -> String {
    match error {
        rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            format!("the broker requires a client certificate ({error})")
        }
        other => other.to_string(),
    }
}

fn refusal_text(code: ReasonCode) -> String {
    match v3_connack_text(code) {
        Some(text) => text.to_owned(),
        None => reason_name(code).to_owned(),
    }
}

fn disconnected_text(code: Option<ReasonCode>) -> String {
    match code {
        Some(code) => format!("disconnected by the broker: {} ({code})", reason_name(code)),
        None => "the connection is closed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_display_like_mosquitto_clients() {
        let cases = [
            (0x87, "Connection Refused: not authorised."),
            (0x86, "Connection Refused: bad user name or password."),
            (0x85, "Connection Refused: identifier rejected."),
            (0x84, "Connection Refused: unacceptable protocol version."),
            (0x88, "Connection Refused: broker unavailable."),
            (0x8A, "Banned"),
            (0x9F, "Connection rate exceeded"),
        ];
        for (code, text) in cases {
            assert_eq!(ClientError::Refused(ReasonCode(code)).to_string(), text);
        }
    }

    #[test]
    fn tls_failures_name_the_broker_and_the_cause() {
        let error = ClientError::Tls {
            address: "127.0.0.1:8883".into(),
            source: rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        };
        assert_eq!(
            error.to_string(),
            "TLS handshake with 127.0.0.1:8883 failed: invalid peer certificate: UnknownIssuer"
        );
        assert!(!error.is_tls_alert_from_broker());
        let error = ClientError::Tls {
            address: "localhost:8884".into(),
            source: rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired),
        };
        assert_eq!(
            error.to_string(),
            "TLS handshake with localhost:8884 failed: the broker requires a client certificate \
             (received fatal alert: CertificateRequired)"
        );
        assert!(error.is_tls_alert_from_broker());
    }

    #[test]
    fn disconnected_names_the_reason() {
        assert_eq!(
            ClientError::Disconnected(Some(ReasonCode::SESSION_TAKEN_OVER)).to_string(),
            "disconnected by the broker: Session taken over (0x8E)"
        );
    }
}
