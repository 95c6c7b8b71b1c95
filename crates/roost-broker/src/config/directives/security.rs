//! Authentication and access control: who may connect, with which client ids, and what they may
//! read and write. With `per_listener_settings true` most of these belong to the current listener.

use std::path::PathBuf;

use super::values::{boolean, set_once};
use super::{directive, not_yet, Directive};

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "per_listener_settings",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Give each listener its own authentication and access settings (put it before the listeners).",
        example: "true",
        apply: |s, v| s.config.per_listener_settings = boolean(v)?,
    },
    directive! {
        name: "allow_anonymous",
        scope: Security,
        form: "true | false",
        default: "false with a listener; true in local-only mode",
        help: "Let clients that give no user name connect.",
        example: "true",
        apply: |s, v| s.security().allow_anonymous = Some(boolean(v)?),
    },
    directive! {
        name: "password_file",
        scope: Security,
        form: "PATH",
        default: "none",
        help: "Mosquitto password file of user names and hashed passwords (see 'roost passwd').",
        example: "passwords",
        apply: |s, v| set_once(&mut s.security().password_file, PathBuf::from(v))?,
    },
    directive! {
        name: "acl_file",
        scope: Security,
        form: "PATH",
        default: "none",
        help: "Mosquitto ACL file: which topics each user, and anonymous clients, may read and write.",
        example: "acl",
        apply: |s, v| set_once(&mut s.security().acl_file, PathBuf::from(v))?,
    },
    directive! {
        name: "allow_zero_length_clientid",
        scope: Security,
        form: "true | false",
        default: "true",
        help: "Accept clients that send an empty client id, giving them one.",
        example: "false",
        apply: |s, v| {
            let allow = boolean(v)?;
            match s.listener_security() {
                Some(own) => own.allow_zero_length_clientid = Some(allow),
                None => s.config.allow_zero_length_clientid = allow,
            }
        },
    },
    directive! {
        name: "auto_id_prefix",
        scope: Security,
        form: "TEXT",
        default: "auto-",
        help: "Prefix of the client ids the broker gives clients that sent an empty one.",
        example: "gen-",
        apply: |s, v| match s.listener_security() {
            Some(own) => set_once(&mut own.auto_id_prefix, v.to_string())?,
            None => s.config.auto_id_prefix = v.to_string(),
        },
    },
    directive! {
        name: "check_retain_source",
        scope: Global,
        form: "true | false",
        default: "false",
        help: "Before sending a retained message, check its publisher may still write its topic.",
        example: "true",
        apply: |s, v| s.config.check_retain_source = boolean(v)?,
    },
    directive! {
        name: "clientid_prefixes",
        scope: Global,
        form: "PREFIX",
        default: "none (any client id)",
        help: "Deprecated: only clients whose id starts with PREFIX may connect.",
        example: "secure-",
        apply: |s, v| {
            set_once(&mut s.config.clientid_prefixes, v.to_string())?;
            s.notice("'clientid_prefixes' is deprecated in Mosquitto 2.0");
        },
    },
    not_yet! {
        name: "psk_file",
        scope: Security,
        form: "PATH",
        default: "none",
        help: "File of PSK identities and hexadecimal keys for listeners with psk_hint.",
        feature: PSK,
    },
];
