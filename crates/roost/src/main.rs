//! The `roost` binary: parses the command line and hands each subcommand to the library crates.

mod bench;
mod broker_cmd;
mod cert;
mod client_args;
mod client_props;
mod client_trace;
mod client_url;
mod dashboard;
mod logging;
mod passwd_cmd;
mod persistence;
mod pub_cmd;
mod sub_cmd;
mod sub_format;
mod sub_json;
mod sub_time;
mod transport_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Roost: an MQTT broker and the tools around it, in one binary.
#[derive(Debug, Parser)]
#[command(name = "roost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the MQTT broker (like `mosquitto`).
    Broker(broker_cmd::BrokerArgs),
    /// Publish a message (like `mosquitto_pub`).
    Pub(pub_cmd::PubArgs),
    /// Subscribe and print messages (like `mosquitto_sub`).
    Sub(sub_cmd::SubArgs),
    /// Manage a password file (like `mosquitto_passwd`).
    Passwd(passwd_cmd::PasswdArgs),
    /// Generate load and measure a broker (like `emqtt-bench`).
    Bench(bench::BenchArgs),
    /// Make a CA, server and client certificates for TLS.
    Cert(cert::CertArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return client_args::report_parse_error(&error),
    };
    let result = match cli.command {
        Command::Broker(args) => broker_cmd::run(&args),
        Command::Pub(args) => pub_cmd::run(&args),
        Command::Sub(args) => sub_cmd::run(&args),
        Command::Passwd(args) => passwd_cmd::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Cert(args) => cert::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
