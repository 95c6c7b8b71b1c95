//! General directives: including other files, the process (pid file, user), `$SYS`, connection
//! log lines, socket options, and the obsolete words Mosquitto still reads.

use super::values::{boolean, number, set_once};
use super::{directive, not_yet, Directive};

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "include_dir",
        scope: Global,
        form: "DIRECTORY",
        default: "none",
        help: "Also read every *.conf file in DIRECTORY (main file only; A.conf, a.conf, B.conf order).",
        example: "conf.d",
        apply: |s, v| s.include_dir(v),
    },
    directive! {
        name: "pid_file",
        scope: Global,
        form: "PATH",
        default: "none",
        help: "Write the broker's process id to PATH at start and remove it at exit.",
        example: "/run/roost.pid",
        apply: |s, v| set_once(&mut s.config.pid_file, v.into())?,
    },
    directive! {
        name: "user",
        scope: Global,
        form: "USERNAME",
        default: "none: keep the starting user (Mosquitto: mosquitto)",
        help: "When started as root, switch to USERNAME and its groups once the listeners are bound.",
        example: "nobody",
        apply: |s, v| set_once(&mut s.config.user, v.to_string())?,
    },
    directive! {
        name: "sys_interval",
        scope: Global,
        form: "0..65535",
        default: "10",
        help: "Seconds between updates of the $SYS topics (0: no $SYS at all).",
        example: "30",
        apply: |s, v| s.config.sys_interval = number::<u16>(v)?.into(),
    },
    directive! {
        name: "connection_messages",
        scope: Global,
        form: "true | false",
        default: "true",
        help: "Log a line when a client connects or disconnects.",
        example: "false",
        apply: |s, v| s.config.connection_messages = boolean(v)?,
    },
    directive! {
        name: "set_tcp_nodelay",
        scope: Global,
        form: "true | false",
        default: "true (Mosquitto: false)",
        help: "Turn off Nagle's algorithm on client sockets; Roost batches its own writes, so it only adds delay.",
        example: "false",
        apply: |s, v| s.config.set_tcp_nodelay = boolean(v)?,
    },
    directive! {
        name: "allow_duplicate_messages",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Deprecated: a client whose subscriptions overlap gets one copy of a message either way.",
        example: "false",
        apply: |s, v| {
            if boolean(v)? {
                s.notice(
                    "'allow_duplicate_messages' is deprecated; Roost sends a client one copy \
                     of a message however many of its subscriptions match (MQTT allows both)",
                );
            } else {
                s.notice("'allow_duplicate_messages' is deprecated (false is what Roost does)");
            }
        },
    },
    directive! {
        name: "retry_interval",
        scope: Global,
        form: "SECONDS",
        default: "none",
        help: "Obsolete since Mosquitto 1.6 (messages are resent on reconnection); read and ignored with a warning.",
        example: "20",
        apply: |s, v| {
            number::<u64>(v)?;
            s.notice("'retry_interval' is no longer available: unacknowledged messages are resent when the client reconnects");
        },
    },
    not_yet! {
        name: "memory_limit",
        scope: Global,
        form: "BYTES",
        default: "0 (no limit)",
        help: "Most heap the broker may use; allocations past it are refused.",
        feature: MEMORY_LIMIT,
    },
];
