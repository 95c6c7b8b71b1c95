//! `roost broker`: load the configuration (or the embedded defaults), start logging as the file
//! says, bind, serve until SIGINT or SIGTERM, then close every connection and exit 0.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use roost_broker::config::LogType;
use roost_broker::{config, Broker, Config, Message, Server};
use roost_proto::QoS;
use tokio::sync::mpsc;
use tracing::info;

use crate::logging::TopicLine;

/// Options of `roost broker`, named as Mosquitto names them.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Configuration file in mosquitto.conf syntax; without it, embedded defaults (local only).
    #[arg(short = 'c', long = "config-file")]
    config: Option<PathBuf>,
    /// Listen on this port (on every configured listener, or on 127.0.0.1 without a file).
    #[arg(short, long)]
    port: Option<u16>,
    /// Log every type of line (log_type all), debug included.
    #[arg(short, long)]
    verbose: bool,
    /// Check the configuration file and exit: 0 when it is valid, 1 when not.
    #[arg(long)]
    test_config: bool,
}

/// How long a log line published on `$SYS/broker/log/...` lives, as in Mosquitto.
const LOG_MESSAGE_EXPIRY: Duration = Duration::from_secs(20);

pub(crate) fn run(args: &BrokerArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => config::parse_file(path)?,
        None => Config::default(),
    };
    if args.test_config {
        for notice in &config.notices {
            eprintln!("{notice}");
        }
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
    let mut logging = crate::logging::init(&config.log, args.verbose)?;
    let log_lines = logging.topic_lines();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(config, log_lines))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, log_lines: Option<mpsc::Receiver<TopicLine>>) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    info!(target: LogType::NOTICE_TARGET, "roost version {version} starting");
    match &config.source {
        Some(path) => {
            info!(target: LogType::NOTICE_TARGET, "Config loaded from {}.", path.display())
        }
        None => info!(target: LogType::NOTICE_TARGET, "Using default config."),
    }
    for notice in &config.notices {
        info!(target: LogType::NOTICE_TARGET, "{notice}");
    }
    if config.local_only {
        info!(target: LogType::NOTICE_TARGET, "Starting in local only mode. Connections will only be possible from clients running on this machine.");
        info!(target: LogType::NOTICE_TARGET, "Create a configuration file which defines a listener to allow remote access.");
        info!(target: LogType::NOTICE_TARGET, "For example: 'listener 1883' and either 'allow_anonymous true' or a 'password_file', then run 'roost broker -c FILE'.");
    }
    let server = Server::bind(config)
        .await
        .context("cannot start the broker")?;
    if let Some(lines) = log_lines {
        tokio::spawn(publish_log_lines(server.broker().clone(), lines));
    }
    info!(target: LogType::NOTICE_TARGET, "roost version {version} running");
    server.run(shutdown_signal()).await;
    info!(target: LogType::NOTICE_TARGET, "roost version {version} terminating");
    Ok(())
}

/// `log_dest topic`: publishes each log line on its `$SYS/broker/log/...` topic, at QoS 2, not
/// retained, expiring after 20 seconds, as Mosquitto does.
async fn publish_log_lines(broker: Arc<Broker>, mut lines: mpsc::Receiver<TopicLine>) {
    while let Some(TopicLine { topic, line }) = lines.recv().await {
        let mut message = Message::internal(topic, line, QoS::ExactlyOnce, false);
        message.expires_at = Some(Instant::now() + LOG_MESSAGE_EXPIRY);
        broker.publish(&Arc::new(message));
    }
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
