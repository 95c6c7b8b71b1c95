//! `roost broker --help-config` and `--test-config` on the real binary: the reference lists
//! every directive of the table; checking a file gives 0 or 1 and the error with its place.

mod config_harness;

use std::process::Output;

use config_harness::{roost, scratch};
use roost_broker::config::directives::directives;

fn run(args: &[&str]) -> Output {
    roost(args).output().expect("run roost")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_config_lists_every_directive_with_its_support() {
    let out = run(&["broker", "--help-config"]);
    assert!(out.status.success());
    let reference = text(&out.stdout);
    let blocks: Vec<&str> = reference.split("\n\n").collect();
    for d in directives() {
        let heading = format!("{} {}\n", d.name, d.form);
        let block = blocks
            .iter()
            .find(|b| b.starts_with(&heading))
            .unwrap_or_else(|| panic!("'{}' is missing from --help-config", d.name));
        assert!(block.contains(d.help), "{block}");
        assert!(
            block.contains(&format!("scope: {}; default: {}", d.scope, d.default)),
            "{block}"
        );
        match d.not_supported_yet() {
            Some(feature) => {
                assert!(
                    block.contains(&format!("NOT SUPPORTED YET ({feature})")),
                    "{block}"
                )
            }
            None => assert!(!block.contains("NOT SUPPORTED YET"), "{block}"),
        }
    }
}

#[test]
fn test_config_accepts_a_valid_file() {
    let dir = scratch("cli-valid");
    let file = dir.join("roost.conf");
    std::fs::write(&file, "listener 1883\nport 1884\nlog_dest stdout\n").expect("write");
    let out = run(&["broker", "--test-config", "-c", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{}: configuration is valid\n", file.display())
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:2: 'port' is deprecated; use 'listener PORT' instead\n",
            file.display()
        ),
        "notices are shown"
    );
}

#[test]
fn test_config_refuses_an_invalid_file_with_its_line() {
    let dir = scratch("cli-invalid");
    let file = dir.join("roost.conf");
    std::fs::write(&file, "listener 1883\n\nmax_qos 3\n").expect("write");
    let out = run(&["broker", "--test-config", "-c", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error: {}:3: 'max_qos 3': expected 0, 1 or 2 (expected: max_qos 0 | 1 | 2)\n",
            file.display()
        )
    );
}

#[test]
fn test_config_names_a_missing_file() {
    let file = scratch("cli-missing").join("absent.conf");
    let out = run(&["broker", "--test-config", "-c", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error: {}: cannot read the file: No such file or directory (os error 2)\n",
            file.display()
        )
    );
}

#[test]
fn the_broker_refuses_to_start_on_a_directive_not_supported_yet() {
    let dir = scratch("cli-not-yet");
    let file = dir.join("roost.conf");
    std::fs::write(
        &file,
        "listener 1883\nconnection other-broker\naddress 10.0.0.1\n",
    )
    .expect("write");
    let out = run(&["broker", "-c", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "Error: {}:2: 'connection' (bridges) is not supported yet\n",
            file.display()
        )
    );
}
