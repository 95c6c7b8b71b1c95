//! The WebSocket subprotocols MQTT is carried under, and the server's choice among those a client
//! offers in `Sec-WebSocket-Protocol`.
//!
//! MQTT 3.1.1 and 5.0 name the subprotocol `mqtt` [MQTT-6.0.0-3]; MQTT 3.1 clients (and Mosquitto,
//! which accepts both) use `mqttv3.1`. Tokens are compared exactly, as RFC 6455 §4.1 makes them
//! case-sensitive. A client that offers no subprotocol at all is accepted and answered without the
//! header (as EMQX does by default); one that offers only others is refused, since answering
//! without the header would make a conforming client fail the connection anyway.

/// The subprotocol of MQTT 3.1.1 and 5.0.
pub const MQTT: &str = "mqtt";

/// The subprotocol MQTT 3.1 clients offer.
pub const MQTT_V31: &str = "mqttv3.1";

/// Every subprotocol a Roost server accepts, in its order of preference.
pub const SUBPROTOCOLS: [&str; 2] = [MQTT, MQTT_V31];

/// The client offered subprotocols, none of them MQTT's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported WebSocket subprotocol {offered:?}: MQTT over WebSocket uses \"mqtt\" or \"mqttv3.1\"")]
pub struct UnsupportedSubprotocol {
    /// What the client offered, its header values joined by ", ".
    pub offered: String,
}

/// Chooses the subprotocol to answer with, from the values of every `Sec-WebSocket-Protocol`
/// header of the request (each a comma-separated list): the first MQTT one in the client's order
/// of preference, `None` if the client offered none at all.
pub fn choose_subprotocol<'a>(
    offered: impl IntoIterator<Item = &'a str>,
) -> Result<Option<&'static str>, UnsupportedSubprotocol> {
    let mut seen = Vec::new();
    for value in offered {
        seen.push(value.trim());
        let tokens = value.split(',').map(str::trim).filter(|t| !t.is_empty());
        for token in tokens {
            if let Some(known) = SUBPROTOCOLS.iter().find(|known| **known == token) {
                return Ok(Some(known));
            }
        }
    }
    seen.retain(|value| value.split(',').any(|t| !t.trim().is_empty()));
    if seen.is_empty() {
        Ok(None)
    } else {
        Err(UnsupportedSubprotocol {
            offered: seen.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_means_no_subprotocol() {
        assert_eq!(choose_subprotocol([]), Ok(None));
    }

    #[test]
    fn an_empty_header_means_no_subprotocol() {
        assert_eq!(choose_subprotocol([" ", ","]), Ok(None));
    }

    #[test]
    fn mqtt_is_chosen() {
        assert_eq!(choose_subprotocol(["mqtt"]), Ok(Some(MQTT)));
    }

    #[test]
    fn mqtt_v31_is_chosen() {
        assert_eq!(choose_subprotocol(["mqttv3.1"]), Ok(Some(MQTT_V31)));
    }

    #[test]
    fn the_clients_first_mqtt_choice_wins() {
        assert_eq!(
            choose_subprotocol(["chat, mqttv3.1 , mqtt"]),
            Ok(Some(MQTT_V31))
        );
        assert_eq!(
            choose_subprotocol(["chat", "mqtt, mqttv3.1"]),
            Ok(Some(MQTT))
        );
    }

    #[test]
    fn tokens_are_case_sensitive() {
        assert_eq!(
            choose_subprotocol(["MQTT"]),
            Err(UnsupportedSubprotocol {
                offered: "MQTT".into()
            })
        );
    }

    #[test]
    fn only_other_subprotocols_are_refused_and_named() {
        let err = choose_subprotocol(["chat, superchat", "wamp"]).unwrap_err();
        assert_eq!(err.offered, "chat, superchat, wamp");
        assert!(
            err.to_string().contains("\"chat, superchat, wamp\""),
            "{err}"
        );
    }
}
