//! `roost broker`: load the configuration (or the embedded defaults), bind, serve until SIGINT or
//! SIGTERM, then close every connection and exit 0.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use roost_broker::{config, Config, Server};
use tracing::info;

/// Options of `roost broker`, named as Mosquitto names them.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Configuration file in mosquitto.conf syntax; without it, embedded defaults (local only).
    #[arg(short = 'c', long = "config-file")]
    config: Option<PathBuf>,
    /// Listen on this port (on every configured listener, or on 127.0.0.1 without a file).
    #[arg(short, long)]
    port: Option<u16>,
    /// Log debug lines too.
    #[arg(short, long)]
    verbose: bool,
    /// Check the configuration file and exit: 0 when it is valid, 1 when not.
    #[arg(long)]
    test_config: bool,
}

pub(crate) fn run(args: &BrokerArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => config::parse_file(path)?,
        None => Config::default(),
    };
    if args.test_config {
        println!(
            "{}: configuration is valid",
            args.config
                .as_deref()
                .unwrap_or("<defaults>".as_ref())
                .display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(port) = args.port {
        config.override_port(port);
    }
    crate::logging::init(args.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(config))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    info!("roost version {version} starting");
    match &config.source {
        Some(path) => info!("Config loaded from {}.", path.display()),
        None => info!("Using default config."),
    }
    if config.local_only {
        info!("Starting in local only mode. Connections will only be possible from clients running on this machine.");
        info!("Create a configuration file which defines a listener to allow remote access.");
        info!("For example: 'listener 1883' and either 'allow_anonymous true' or a 'password_file', then run 'roost broker -c FILE'.");
    }
    let server = Server::bind(config)
        .await
        .context("cannot start the broker")?;
    info!("roost version {version} running");
    server.run(shutdown_signal()).await;
    info!("roost version {version} terminating");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
