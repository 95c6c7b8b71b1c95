//! The configuration reference `roost broker --help-config` prints, generated from the directive
//! table so it cannot drift from what the parser reads.

use std::fmt::Write as _;

use super::directives::{Directive, GROUPS};

/// The reference: every directive by theme, with its value form, scope, default, help, and
/// either an example line or the feature it waits for.
pub fn reference() -> String {
    let mut out = String::from(
        "Roost configuration reference: the directives of mosquitto.conf(5), Mosquitto 2.0.\n\
         Each line is 'NAME VALUE'; a line starting with '#' is a comment. A directive marked\n\
         NOT SUPPORTED YET is refused with an error naming the feature it waits for; one marked\n\
         NOT SUPPORTED is refused with the reason Roost does not have it.\n",
    );
    for group in GROUPS {
        let _ = write!(
            out,
            "\n{}\n{}\n",
            group.title,
            "=".repeat(group.title.len())
        );
        for directive in group.directives {
            entry(&mut out, directive);
        }
    }
    out
}

fn entry(out: &mut String, d: &Directive) {
    let _ = writeln!(out, "\n{} {}", d.name, d.form);
    let _ = writeln!(out, "    {}", d.help);
    let _ = write!(out, "    scope: {}; default: {}", d.scope, d.default);
    if let Some(why) = d.unavailable() {
        let _ = write!(out, "\n    NOT SUPPORTED: {why}");
    }
    match (d.not_supported_yet(), d.example()) {
        (Some(feature), _) => {
            let _ = write!(out, "\n    NOT SUPPORTED YET ({feature})");
        }
        (None, Some(example)) => {
            let _ = write!(out, "; e.g. {} {example}", d.name);
        }
        (None, None) => {}
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_show_form_scope_default_and_support() {
        let text = reference();
        assert!(text.contains(
            "\nmax_qos 0 | 1 | 2\n    Highest QoS clients may use on this listener (MQTT 5 \
             clients are told).\n    scope: listener; default: 2; e.g. max_qos 1\n"
        ));
        assert!(text.contains(
            "\nconnection NAME\n    Start a bridge to another broker; NAME is also its remote \
             client id.\n    scope: bridge; default: none\n    NOT SUPPORTED YET (bridges)\n"
        ));
        assert!(text.contains(
            "\npersistence true | false\n    Keep sessions, queued QoS 1/2 and retained messages \
             on disk, each change before its ack; false: memory only.\n    scope: global; \
             default: true (Mosquitto: false); e.g. persistence false\n"
        ));
        assert!(text.contains(
            "\npsk_hint TEXT\n    Turn on pre-shared-key TLS for this listener, with this hint \
             sent to clients.\n    scope: listener; default: none\n    NOT SUPPORTED: rustls has \
             no pre-shared-key TLS; use certificates (certfile, keyfile, cafile)\n"
        ));
    }
}
