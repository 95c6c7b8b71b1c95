//! `-L URL` of `roost pub` and `roost sub`: `mosquitto_pub`'s `mqtt://` and `mqtts://` URLs,
//! which carry the topic, and the WebSocket URLs `ws://` and `wss://`, which name a broker as
//! paho and MQTT.js read them (the path is the WebSocket one). Parsing only.

use roost_client::DEFAULT_WEBSOCKET_PATH;

use crate::client_args::{usage, UsageError};
use crate::transport_args::TLS_PORT;

/// The scheme of a `-L` URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `mqtt://`: plain TCP, port 1883.
    Mqtt,
    /// `mqtts://`: TLS, port 8883.
    Mqtts,
    /// `ws://`: MQTT over WebSocket, port 80.
    Ws,
    /// `wss://`: MQTT over WebSocket over TLS, port 443.
    Wss,
}

impl Scheme {
    pub(crate) fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    pub(crate) fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

/// What `-L` says: `mqtt[s]://[username[:password]@]host[:port]/topic`, as in `mosquitto_pub`,
/// or `ws[s]://[username[:password]@]host[:port][/path]`, where the path is the WebSocket one
/// (`/mqtt` when none is given) and the topic comes from `-t`, as a broker URL reads in paho
/// and MQTT.js.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) scheme: Scheme,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    /// The topic of an `mqtt://` or `mqtts://` URL.
    pub(crate) topic: Option<String>,
    /// The path of a `ws://` or `wss://` URL.
    pub(crate) path: Option<String>,
}

impl Url {
    /// Parses a `-L` URL as `mosquitto_pub` does, and the WebSocket schemes.
    pub(crate) fn parse(url: &str) -> Result<Url, UsageError> {
        let scheme_end = url.find("://").map_or(0, |at| at + 3);
        let (scheme, default_port) = match url[..scheme_end].to_ascii_lowercase().as_str() {
            "mqtt://" => (Scheme::Mqtt, 1883),
            "mqtts://" => (Scheme::Mqtts, TLS_PORT),
            "ws://" => (Scheme::Ws, 80),
            "wss://" => (Scheme::Wss, 443),
            _ => return Err(usage("unsupported URL scheme.")),
        };
        let rest = &url[scheme_end..];
        let (authority, topic, path) = match (rest.split_once('/'), scheme.is_websocket()) {
            (Some((authority, path)), true) => (authority, None, Some(format!("/{path}"))),
            (None, true) => (rest, None, Some(DEFAULT_WEBSOCKET_PATH.to_owned())),
            (Some((authority, topic)), false) => (authority, Some(topic.to_owned()), None),
            (None, false) => {
                return Err(usage(
                    "Invalid URL for -L argument specified - topic missing.",
                ))
            }
        };
        let (credentials, address) = match authority.split_once('@') {
            Some((credentials, address)) => (Some(credentials), address),
            None => (None, authority),
        };
        let (username, password) = match credentials {
            Some(c) => match c.split_once(':') {
                Some((user, pass)) => (Some(user.to_owned()), Some(pass.to_owned())),
                None => (Some(c.to_owned()), None),
            },
            None => (None, None),
        };
        let (host, port) = match address.split_once(':') {
            // `atoi`: what is not a number is port 0, which fails to connect as in Mosquitto.
            Some((host, port)) => (host, port.parse().unwrap_or(0)),
            None => (address, default_port),
        };
        Ok(Url {
            scheme,
            host: host.to_owned(),
            port,
            username,
            password,
            topic,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_like_mosquittos_and_websocket_urls_like_paho() {
        let url = Url::parse("mqtt://user:pa:ss@broker.example:1884/a/b").expect("valid");
        assert_eq!(
            url,
            Url {
                scheme: Scheme::Mqtt,
                host: "broker.example".into(),
                port: 1884,
                username: Some("user".into()),
                password: Some("pa:ss".into()),
                topic: Some("a/b".into()),
                path: None,
            }
        );
        let url = Url::parse("MQTT://host/t").expect("valid");
        assert_eq!((url.port, url.username), (1883, None));
        for (bad, message) in [
            ("http://h/t", "unsupported URL scheme."),
            (
                "mqtt://h",
                "Invalid URL for -L argument specified - topic missing.",
            ),
        ] {
            assert_eq!(
                Url::parse(bad).map_err(|e| e.0),
                Err(message.into()),
                "{bad}"
            );
        }
        let url = Url::parse("mqtts://h/t").expect("valid");
        assert_eq!((url.scheme, url.port), (Scheme::Mqtts, 8883));
        let url = Url::parse("ws://u:p@h:8083/mqtt").expect("valid");
        assert_eq!((url.scheme, url.port), (Scheme::Ws, 8083));
        assert_eq!((url.topic, url.path.as_deref()), (None, Some("/mqtt")));
        assert_eq!(url.username.as_deref(), Some("u"));
        let url = Url::parse("WSS://h").expect("valid");
        assert_eq!((url.scheme, url.port), (Scheme::Wss, 443));
        assert_eq!(url.path.as_deref(), Some("/mqtt"), "the default path");
    }
}
