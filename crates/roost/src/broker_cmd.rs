//! `roost broker`: load the configuration (or the embedded defaults), start logging as the file
//! says, write the pid file, bind, drop root privileges to `user`, serve until SIGINT or SIGTERM,
//! then close every connection, remove the pid file and exit 0.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use roost_broker::config::LogType;
use roost_broker::store::Store;
use roost_broker::{config, Broker, Config, Message, Server};
use roost_proto::QoS;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::logging::TopicLine;

/// Options of `roost broker`, named as Mosquitto names them.
#[derive(Debug, Args)]
pub(crate) struct BrokerArgs {
    /// Configuration file in mosquitto.conf syntax; without it, embedded defaults (local only).
    #[arg(short = 'c', long = "config-file")]
    config: Option<PathBuf>,
    /// Listen on this port (on every configured listener, or on 127.0.0.1 without a file, where
    /// MQTT over WebSocket stays on 8083).
    #[arg(short, long)]
    port: Option<u16>,
    /// Log every type of line (log_type all), debug included.
    #[arg(short, long)]
    verbose: bool,
    /// Check the configuration file and exit: 0 when it is valid, 1 when not.
    #[arg(long)]
    test_config: bool,
    /// Print every configuration directive (form, scope, default, help, support) and exit.
    #[arg(long)]
    help_config: bool,
    /// If the message store is damaged, rename it to FILE.damaged-SECONDS and start with an
    /// empty store (without this, a damaged store stops the broker and is left as it is).
    #[arg(long)]
    move_damaged_store: bool,
}

/// How long a log line published on `$SYS/broker/log/...` lives, as in Mosquitto.
const LOG_MESSAGE_EXPIRY: Duration = Duration::from_secs(20);

pub(crate) fn run(args: &BrokerArgs) -> anyhow::Result<ExitCode> {
    if args.help_config {
        print!("{}", config::reference());
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = match &args.config {
        Some(path) => config::parse_file(path)?,
        None => Config::default(),
    };
    if args.test_config {
        // The password and ACL files are part of the configuration: check them too.
        roost_broker::Broker::new(config.clone())?;
        // And so are the TLS certificate, key, CA and CRL files.
        roost_broker::check_tls(&config)?;
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
    runtime.block_on(serve(config, args.move_damaged_store, log_lines, logging))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    config: Config,
    move_damaged_store: bool,
    log_lines: Option<mpsc::Receiver<TopicLine>>,
    logging: crate::logging::Logging,
) -> anyhow::Result<()> {
    // Signals are caught from the first moment: a SIGTERM that comes while the broker is still
    // starting (its port may already take connections) then stops it cleanly once it runs,
    // instead of killing it with its store open.
    let signals = Signals::catch();
    let user = config.user.clone();
    let _pid_file = config.pid_file.as_deref().map(PidFile::write).transpose()?;
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
    let dashboard = config.dashboard.clone();
    let opened = crate::persistence::open(&config, move_damaged_store)?;
    let store = opened.as_ref().map(|o| o.store.clone());
    let server = Server::bind_with_store(config, store.clone().map(|s| s as Arc<dyn Store>))
        .await
        .context("cannot start the broker")?;
    if let Some(opened) = opened {
        let restored = server.broker().restore(opened.snapshot);
        info!(target: LogType::NOTICE_TARGET, "Restored {restored} from {}.", opened.path.display());
    }
    let admin = crate::dashboard::start(server.broker(), &dashboard, logging.recent()).await?;
    drop_privileges(user.as_deref())?;
    if let Some(lines) = log_lines {
        tokio::spawn(publish_log_lines(server.broker().clone(), lines));
    }
    tokio::spawn(reload_on_sighup(
        signals.hangup,
        server.broker().clone(),
        logging,
    ));
    info!(target: LogType::NOTICE_TARGET, "roost version {version} running");
    // One signal stops both: the broker and the dashboard beside it.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (term, int) = (signals.terminate, signals.interrupt);
    tokio::spawn(async move {
        shutdown_signal(term, int).await;
        stop_tx.send_replace(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let admin_task = admin.map(|admin| tokio::spawn(admin.run(stopped(stop_rx.clone()))));
    server.run(stopped(stop_rx)).await;
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    if let Some(store) = store {
        // Everything the connections wrote is committed before the process ends.
        tokio::task::spawn_blocking(move || store.close()).await?;
    }
    info!(target: LogType::NOTICE_TARGET, "roost version {version} terminating");
    Ok(())
}

/// `pid_file`: holds the broker's process id from start to exit.
struct PidFile(PathBuf);

impl PidFile {
    /// Writes the process id (digits only, as Mosquitto writes it).
    fn write(path: &Path) -> anyhow::Result<PidFile> {
        std::fs::write(path, std::process::id().to_string())
            .with_context(|| format!("pid_file: cannot write {}", path.display()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0) {
            warn!("pid_file: cannot remove {}: {e}", self.0.display());
        }
    }
}

/// `user`: started as root, switch to `user` (its uid, primary group and other groups) now that
/// the listeners are bound, as Mosquitto does. `user mosquitto` falls back to `nobody` when there
/// is no such user, as in Mosquitto; any other missing user is an error, never ignored.
fn drop_privileges(user: Option<&str>) -> anyhow::Result<()> {
    use nix::unistd::{geteuid, initgroups, setgid, setuid, User};
    if !geteuid().is_root() {
        if let Some(name) = user {
            info!(target: LogType::NOTICE_TARGET, "Not started as root: 'user {name}' has no effect.");
        }
        return Ok(());
    }
    let Some(name) = user.filter(|name| *name != "root") else {
        warn!("Running as root: add 'user NAME' to switch to an unprivileged user once the listeners are bound.");
        return Ok(());
    };
    let lookup = |name: &str| {
        User::from_name(name).with_context(|| format!("user {name}: cannot look the user up"))
    };
    let account = match lookup(name)? {
        Some(account) => account,
        None if name == "mosquitto" => {
            warn!("There is no user 'mosquitto' to switch to: trying 'nobody' instead.");
            lookup("nobody")?.context("user mosquitto: neither 'mosquitto' nor 'nobody' exists")?
        }
        None => anyhow::bail!("user {name}: cannot drop privileges: there is no such user"),
    };
    let c_name = CString::new(account.name.as_str()).context("user: a name with a NUL byte")?;
    initgroups(&c_name, account.gid)
        .with_context(|| format!("user {name}: cannot set the groups of '{}'", account.name))?;
    setgid(account.gid)
        .with_context(|| format!("user {name}: cannot switch to group {}", account.gid))?;
    setuid(account.uid)
        .with_context(|| format!("user {name}: cannot switch to user {}", account.uid))?;
    info!(
        target: LogType::NOTICE_TARGET,
        "Dropped privileges to user '{}' (uid {}, gid {}).",
        account.name,
        account.uid,
        account.gid
    );
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

/// SIGHUP: re-read the file and apply what can change while clients stay connected (password and
/// ACL files, limits, log settings; the server re-reads TLS certificate files when told). A file with an error changes nothing; one line says why.
async fn reload_on_sighup(
    hangups: Option<tokio::signal::unix::Signal>,
    broker: std::sync::Arc<roost_broker::Broker>,
    logging: crate::logging::Logging,
) {
    let Some(mut hangups) = hangups else {
        warn!("Cannot listen for SIGHUP: reloading the configuration is not available.");
        return;
    };
    while hangups.recv().await.is_some() {
        info!(target: LogType::NOTICE_TARGET, "Reloading config.");
        match broker.reload_from_file() {
            Err(why) => warn!("Reload failed, keeping the current settings: {why}"),
            Ok((config, lines)) => {
                if let Err(e) = logging.apply(&config.log) {
                    warn!("Reload: keeping the current log settings: {e:#}");
                }
                for line in lines {
                    info!(target: LogType::NOTICE_TARGET, "{line}");
                }
            }
        }
    }
}

/// The signals the broker answers, caught from the start (`None`: it could not be).
struct Signals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
    hangup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn catch() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        Signals {
            terminate: signal(SignalKind::terminate()).ok(),
            interrupt: signal(SignalKind::interrupt()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }
}

/// Resolves at SIGTERM or SIGINT (never, if neither could be caught).
async fn shutdown_signal(
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
) {
    let (Some(mut term), Some(mut int)) = (term, int) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
