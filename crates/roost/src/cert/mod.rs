//! `roost cert`: makes the certificates a TLS listener needs — a CA, a server certificate and
//! client certificates — as PEM files named as in Mosquitto's TLS documentation (ca.crt,
//! server.crt, server.key, NAME.crt, NAME.key), then prints the `mosquitto.conf` lines and the
//! client commands that use them.
//!
//! `roost cert` alone (or `roost cert init`) makes the CA and a server certificate in one go;
//! `roost cert ca`, `roost cert server` and `roost cert client NAME` make one each, the last two
//! signed by the CA read back from `--dir`. Existing files are never replaced without `--force`
//! and every check runs before the first file is written, so a refused run leaves nothing
//! half-made. Profiles and keys are in [`issue`], names in [`names`], files in [`files`],
//! the printed text in [`hints`].

mod files;
mod hints;
mod issue;
mod names;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use files::{CERT_MODE, KEY_MODE};
use hints::Made;
use issue::{Ca, Issued, Role, Sans};

/// About ten years: a CA outlives the certificates it signs and is awkward to replace.
const CA_DAYS: u32 = 3650;
/// About two years and a quarter: the longest TLS server certificate Apple's systems accept.
const LEAF_DAYS: u32 = 825;
/// The longest validity `--days` accepts (100 years).
const MAX_DAYS: i64 = 36500;

/// What replacing an existing CA breaks, added to the "already exists" error.
const CA_CONSEQUENCE: &str = " (certificates signed by the old CA stop working with the new \
    one); to sign a new server or client certificate with the CA you have, use \
    `roost cert server` or `roost cert client NAME`";

const EXAMPLES: &str = "\
Examples:
  roost cert                     a CA and a server certificate in ./certs, then what to paste
  roost cert client alice        alice.crt and alice.key, signed by ./certs/ca.key
  roost cert server --force --name broker.example.com --ip 192.0.2.10
                                 a new server certificate for those names, same CA";

/// `roost cert [init|ca|server|client]`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, after_help = EXAMPLES)]
pub(crate) struct CertArgs {
    #[command(subcommand)]
    command: Option<CertCommand>,
    #[command(flatten)]
    init: InitArgs,
}

#[derive(Debug, Subcommand)]
enum CertCommand {
    /// Make a CA and a server certificate signed by it (what `roost cert` alone does).
    Init(InitArgs),
    /// Make a certificate authority: ca.crt and ca.key.
    Ca(CaArgs),
    /// Make a server certificate signed by the CA in --dir: server.crt and server.key.
    Server(ServerArgs),
    /// Make a client certificate signed by the CA in --dir: NAME.crt and NAME.key.
    Client(ClientArgs),
}

/// Where files go and whether existing ones may be replaced.
#[derive(Debug, Args)]
struct Output {
    /// Directory for the files, created if missing; the CA that signs is read from here.
    #[arg(long, value_name = "DIR", default_value = "certs")]
    dir: PathBuf,
    /// Replace files that already exist.
    #[arg(long)]
    force: bool,
}

/// The names a server certificate is valid for.
#[derive(Debug, Args)]
struct ServerNames {
    /// A host name clients connect to; repeat for more. Without --name and --ip: localhost,
    /// this machine's host name, 127.0.0.1 and ::1.
    #[arg(long = "name", value_name = "HOST", value_parser = names::parse_dns_name)]
    names: Vec<String>,
    /// An IP address clients connect to; repeat for more.
    #[arg(long = "ip", value_name = "IP", value_parser = names::parse_ip)]
    ips: Vec<IpAddr>,
}

#[derive(Debug, Args)]
struct InitArgs {
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    server: ServerNames,
    /// Also make a client certificate NAME.crt/NAME.key; repeat for more.
    #[arg(long = "client", value_name = "NAME", value_parser = names::parse_client_name)]
    clients: Vec<String>,
    /// Days the server and client certificates are valid.
    #[arg(long, value_name = "DAYS", default_value_t = LEAF_DAYS, value_parser = days)]
    days: u32,
    /// Days the CA is valid.
    #[arg(long, value_name = "DAYS", default_value_t = CA_DAYS, value_parser = days)]
    ca_days: u32,
}

#[derive(Debug, Args)]
struct CaArgs {
    #[command(flatten)]
    output: Output,
    /// Days the CA is valid.
    #[arg(long, value_name = "DAYS", default_value_t = CA_DAYS, value_parser = days)]
    days: u32,
    /// The CA's common name (default: "Roost CA on HOSTNAME").
    #[arg(long, value_name = "NAME")]
    cn: Option<String>,
}

#[derive(Debug, Args)]
struct ServerArgs {
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    server: ServerNames,
    /// Days the certificate is valid.
    #[arg(long, value_name = "DAYS", default_value_t = LEAF_DAYS, value_parser = days)]
    days: u32,
}

#[derive(Debug, Args)]
struct ClientArgs {
    /// The client's name: the certificate's common name (the MQTT username under
    /// `use_identity_as_username true`) and the files NAME.crt and NAME.key.
    #[arg(value_name = "NAME", value_parser = names::parse_client_name)]
    name: String,
    #[command(flatten)]
    output: Output,
    /// Days the certificate is valid.
    #[arg(long, value_name = "DAYS", default_value_t = LEAF_DAYS, value_parser = days)]
    days: u32,
}

/// Runs `roost cert`; prints what was made and how to use it.
pub(crate) fn run(args: &CertArgs) -> anyhow::Result<ExitCode> {
    let text = match &args.command {
        None => init(&args.init)?,
        Some(CertCommand::Init(init_args)) => init(init_args)?,
        Some(CertCommand::Ca(ca_args)) => ca(ca_args)?,
        Some(CertCommand::Server(server_args)) => server(server_args)?,
        Some(CertCommand::Client(client_args)) => client(client_args)?,
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn init(args: &InitArgs) -> anyhow::Result<String> {
    let force = args.output.force;
    for (i, name) in args.clients.iter().enumerate() {
        if args.clients[..i].contains(name) {
            anyhow::bail!("--client {name} is given twice");
        }
    }
    let dir = files::output_dir(&args.output.dir)?;
    let host = names::host_name();
    let sans = names::server_sans(&args.server.names, &args.server.ips, host.as_deref());
    files::check_free(&pair(&dir, "ca"), force, CA_CONSEQUENCE)?;
    let mut others = pair(&dir, "server").to_vec();
    for name in &args.clients {
        others.extend(pair(&dir, name));
    }
    files::check_free(&others, force, "")?;

    let mut made = Vec::new();
    let (issued, ca) = issue::new_ca(&ca_name(host.as_deref()), args.ca_days)?;
    write_ca(&dir, &issued, force, &mut made)?;
    write_server(&dir, &ca, &sans, args.days, force, &mut made)?;
    for name in &args.clients {
        write_client(&dir, &ca, name, args.days, force, &mut made)?;
    }
    let client = args.clients.first().map(String::as_str);
    Ok(hints::report(&dir, &made, &first_host(&sans), client))
}

fn ca(args: &CaArgs) -> anyhow::Result<String> {
    let dir = files::output_dir(&args.output.dir)?;
    files::check_free(&pair(&dir, "ca"), args.output.force, CA_CONSEQUENCE)?;
    let name = match &args.cn {
        Some(name) if name.trim().is_empty() => anyhow::bail!("--cn must not be empty"),
        Some(name) => name.clone(),
        None => ca_name(names::host_name().as_deref()),
    };
    let (issued, _) = issue::new_ca(&name, args.days)?;
    let mut made = Vec::new();
    write_ca(&dir, &issued, args.output.force, &mut made)?;
    Ok(hints::after_ca(&dir, &made))
}

fn server(args: &ServerArgs) -> anyhow::Result<String> {
    let (dir, ca) = files::read_ca(&args.output.dir)?;
    files::check_free(&pair(&dir, "server"), args.output.force, "")?;
    let host = names::host_name();
    let sans = names::server_sans(&args.server.names, &args.server.ips, host.as_deref());
    let mut made = Vec::new();
    write_server(&dir, &ca, &sans, args.days, args.output.force, &mut made)?;
    Ok(hints::report(&dir, &made, &first_host(&sans), None))
}

fn client(args: &ClientArgs) -> anyhow::Result<String> {
    let (dir, ca) = files::read_ca(&args.output.dir)?;
    files::check_free(&pair(&dir, &args.name), args.output.force, "")?;
    let mut made = Vec::new();
    write_client(
        &dir,
        &ca,
        &args.name,
        args.days,
        args.output.force,
        &mut made,
    )?;
    let host = std::fs::read(dir.join("server.crt"))
        .ok()
        .and_then(|pem| issue::first_host(&pem))
        .unwrap_or_else(|| "localhost".to_owned());
    Ok(hints::report(&dir, &made, &host, Some(&args.name)))
}

fn write_ca(dir: &Path, issued: &Issued, force: bool, made: &mut Vec<Made>) -> anyhow::Result<()> {
    write_pair(dir, "ca", issued, force)?;
    made.push(Made::cert(
        "ca.crt".into(),
        "the CA certificate: clients and brokers trust it (cafile, --cafile)",
        issued.not_after,
    ));
    made.push(Made::key(
        "ca.key".into(),
        "the CA key: keep it secret; roost cert server and client sign with it",
    ));
    Ok(())
}

fn write_server(
    dir: &Path,
    ca: &Ca,
    sans: &Sans,
    days: u32,
    force: bool,
    made: &mut Vec<Made>,
) -> anyhow::Result<()> {
    let issued = ca.issue(Role::Server, &first_host(sans), sans, days)?;
    write_pair(dir, "server", &issued, force)?;
    let listed: Vec<String> = (sans.names.iter().cloned())
        .chain(sans.ips.iter().map(ToString::to_string))
        .collect();
    made.push(Made::cert(
        "server.crt".into(),
        &format!(
            "the broker's certificate (certfile) for {}",
            listed.join(", ")
        ),
        issued.not_after,
    ));
    made.push(Made::key("server.key".into(), "the broker's key (keyfile)"));
    Ok(())
}

fn write_client(
    dir: &Path,
    ca: &Ca,
    name: &str,
    days: u32,
    force: bool,
    made: &mut Vec<Made>,
) -> anyhow::Result<()> {
    let none = Sans {
        names: Vec::new(),
        ips: Vec::new(),
    };
    let issued = ca.issue(Role::Client, name, &none, days)?;
    write_pair(dir, name, &issued, force)?;
    made.push(Made::cert(
        format!("{name}.crt"),
        &format!("client certificate for {name} (--cert)"),
        issued.not_after,
    ));
    made.push(Made::key(
        format!("{name}.key"),
        &format!("{name}'s key (--key)"),
    ));
    Ok(())
}

/// Writes STEM.key (0600) and then STEM.crt (0644).
fn write_pair(dir: &Path, stem: &str, issued: &Issued, force: bool) -> anyhow::Result<()> {
    let [cert, key] = pair(dir, stem);
    files::write_file(&key, &issued.key_pem, KEY_MODE, force)?;
    files::write_file(&cert, &issued.cert_pem, CERT_MODE, force)
}

/// `dir`/STEM.crt and `dir`/STEM.key.
fn pair(dir: &Path, stem: &str) -> [PathBuf; 2] {
    [
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    ]
}

/// The name clients are told to connect to: the first host name, else the first address.
fn first_host(sans: &Sans) -> String {
    match (sans.names.first(), sans.ips.first()) {
        (Some(name), _) => name.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => "localhost".to_owned(),
    }
}

fn ca_name(host: Option<&str>) -> String {
    match host.filter(|h| !h.is_empty()) {
        Some(host) => format!("Roost CA on {host}"),
        None => "Roost CA".to_owned(),
    }
}

/// `--days`: a whole number from 1 to [`MAX_DAYS`].
fn days(value: &str) -> Result<u32, String> {
    match value.parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => {
            u32::try_from(days).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "{value:?} is not a number of days from 1 to {MAX_DAYS}"
        )),
    }
}
