//! WebSocket listener options beyond `protocol websockets` (see `listeners`): the HTTP header
//! limit, and the options Mosquitto has that Roost refuses until it serves files over HTTP or
//! has a setting they map to.

use super::values::number;
use super::{directive, not_yet, Directive};

pub(super) static TABLE: &[Directive] = &[
    not_yet! {
        name: "http_dir",
        scope: Listener,
        form: "DIRECTORY",
        default: "none",
        help: "Serve these files over HTTP on a WebSocket listener.",
        feature: HTTP_FILES,
    },
    not_yet! {
        name: "websockets_log_level",
        scope: Global,
        form: "BITMASK",
        default: "0",
        help: "libwebsockets log levels to log, with log_type websockets.",
        feature: LIBWEBSOCKETS,
    },
    directive! {
        name: "websockets_headers_size",
        scope: Global,
        form: "BYTES",
        default: "0: 8192 (Mosquitto's is 1024)",
        help: "Largest HTTP request head (request line and headers) a WebSocket client may send.",
        example: "4096",
        apply: |s, v| s.config.websockets_headers_size = number(v)?,
    },
];
