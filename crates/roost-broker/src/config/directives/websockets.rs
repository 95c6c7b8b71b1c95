//! WebSocket listener options beyond `protocol websockets` (see `listeners`): known from
//! Mosquitto, refused until Roost serves files over HTTP or has a setting they map to.

use super::{not_yet, Directive};

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
    not_yet! {
        name: "websockets_headers_size",
        scope: Global,
        form: "BYTES",
        default: "1024",
        help: "Buffer size for the HTTP headers of WebSocket clients.",
        feature: LIBWEBSOCKETS,
    },
];
