//! `roost sub`: subscribe and print what arrives — `mosquitto_sub`'s flags, output format,
//! messages and exit codes (27 after `-W` runs out), over `roost-client`.
//!
//! It stops after `-C` messages, at `-W` seconds, after the SUBACK with `-E`, at the first
//! non-retained message with `--retained-only`, on SIGINT/SIGTERM (disconnecting cleanly), or
//! when the broker sends DISCONNECT. When the connection drops it connects again after a
//! second and subscribes again, for as long as it takes, as `mosquitto_sub` does.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use roost_client::{
    Client, ClientError, Message, PendingPublish, Properties, QoS, ReasonCode, RetainHandling,
    SubscribeFilter, SubscriptionOptions,
};
use tokio::time::Instant;

use crate::client_args::{self, report_usage, usage, ClientArgs, UsageError};
use crate::client_props::CommandProperties;
use crate::sub_format::Format;
use crate::sub_time::Now;

/// `mosquitto_sub`'s exit code when `-W` runs out (libmosquitto's `MOSQ_ERR_TIMEOUT`).
const TIMED_OUT: u8 = 27;
/// `--remove-retained` publishes in flight before the command waits for the oldest.
const MAX_PENDING: usize = 256;
/// libmosquitto's reconnect delay (`reconnect_delay` 1, no backoff), which `mosquitto_sub` keeps.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Options of `roost sub`, named as `mosquitto_sub` names them.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct SubArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// MQTT topic filter to subscribe to; may be repeated.
    #[arg(short = 't', long = "topic")]
    topics: Vec<String>,
    /// Topic filter whose messages are not printed; may be repeated.
    #[arg(short = 'T', long = "filter-out")]
    filter_out: Vec<String>,
    /// Topic filter to unsubscribe from after subscribing; may be repeated.
    #[arg(short = 'U', long = "unsubscribe")]
    unsubscribe: Vec<String>,
    /// Print the topic before each payload ("topic payload").
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Disconnect and exit after receiving this many messages.
    #[arg(short = 'C', long = "count", value_name = "MSG_COUNT")]
    count: Option<u64>,
    /// Exit with code 27 after this many seconds.
    #[arg(short = 'W', long = "timeout", value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Do not print stale messages (those with the retain flag set).
    #[arg(short = 'R')]
    no_stale: bool,
    /// Do not add an end of line after each payload.
    #[arg(short = 'N')]
    no_eol: bool,
    /// Only handle retained messages; exit at the first non-retained one.
    #[arg(long = "retained-only")]
    retained_only: bool,
    /// Clear every retained message received (publish an empty retained message on its topic);
    /// -T keeps the ones it filters out.
    #[arg(long = "remove-retained")]
    remove_retained: bool,
    /// Exit once the subscriptions are acknowledged.
    #[arg(short = 'E')]
    exit_after_subscribe: bool,
    /// Output format: %t topic, %p payload, %x hex payload, %j JSON, @H hour, \n ... (see
    /// mosquitto_sub(1)).
    #[arg(short = 'F', value_name = "FORMAT")]
    format: Option<String>,
    /// Print JSON output (%j, %J) indented rather than on one line.
    #[arg(long = "pretty")]
    pretty: bool,
    /// Ask the broker to keep the retain flag of messages as published (MQTT 5).
    #[arg(long = "retain-as-published")]
    retain_as_published: bool,
    /// Print only this percentage of the messages received, chosen at random (0.1 to 100).
    #[arg(long = "random-filter", value_name = "CHANCE")]
    random_filter: Option<String>,
}

impl SubArgs {
    fn output(&self) -> Result<Output, UsageError> {
        let format = match &self.format {
            Some(text) => Some(Format::parse(text).map_err(|e| usage(e.0))?),
            None => None,
        };
        // `mosquitto_sub` keeps the chance in tenths of a percent, as an integer.
        let chance = match &self.random_filter {
            None => 1000,
            Some(text) => {
                let tenths = (10.0 * atof(text)) as i64;
                if !(1..=1000).contains(&tenths) {
                    return Err(usage("--random-filter chance must be between 0.1-100.0"));
                }
                tenths as u32
            }
        };
        Ok(Output {
            format,
            verbose: self.verbose,
            eol: !self.no_eol,
            pretty: self.pretty,
            quiet: self.client.quiet,
            chance,
            picker: RandomState::new(),
        })
    }

    /// The `-t` filters and the topic of `-L`, with the subscription options of `-q`, `-R`
    /// (MQTT 5: the broker sends no retained messages) and `--retain-as-published`.
    fn filters(&self) -> Result<Vec<SubscribeFilter>, UsageError> {
        let qos = self.client.qos()?;
        let url_topic = self.client.url()?.and_then(|url| url.topic);
        let options = SubscriptionOptions {
            qos,
            retain_as_published: self.retain_as_published,
            retain_handling: if self.no_stale {
                RetainHandling::DoNotSend
            } else {
                RetainHandling::SendAtSubscribe
            },
            ..SubscriptionOptions::default()
        };
        Ok(self
            .topics
            .iter()
            .chain(url_topic.iter())
            .map(|filter| SubscribeFilter {
                filter: filter.clone(),
                options,
            })
            .collect())
    }

    fn check(&self) -> Result<(), UsageError> {
        if self.no_stale && self.retained_only {
            return Err(usage(
                "Combining '-R' and '--retained-only' makes no sense.",
            ));
        }
        let url_topic = self.client.url()?.and_then(|url| url.topic);
        if self.topics.is_empty() && url_topic.is_none() {
            return Err(usage("You must specify a topic to subscribe to."));
        }
        let invalid = |kind: &str, filter: &str| {
            usage(format!(
                "Invalid {kind} topic '{filter}', are all '+' and '#' wildcards correct?"
            ))
        };
        let valid = roost_proto::topic::is_valid_topic_filter;
        if let Some(bad) = self
            .topics
            .iter()
            .chain(url_topic.iter())
            .find(|t| !valid(t))
        {
            return Err(invalid("subscription", bad));
        }
        if let Some(bad) = self.filter_out.iter().find(|t| !valid(t)) {
            return Err(invalid("filter", bad));
        }
        if let Some(bad) = self.unsubscribe.iter().find(|t| !valid(t)) {
            return Err(invalid("unsubscribe", bad));
        }
        if self.count == Some(0) {
            return Err(usage("Invalid message count \"0\"."));
        }
        if self.timeout == Some(0) {
            return Err(usage("Invalid timeout \"0\"."));
        }
        Ok(())
    }
}

/// Runs `roost sub`.
pub(crate) fn run(args: &SubArgs) -> anyhow::Result<ExitCode> {
    if args.no_stale && args.retained_only {
        // `mosquitto_sub` words this one differently: a blank line first, no usage hint.
        eprintln!("\nError: Combining '-R' and '--retained-only' makes no sense.");
        return Ok(ExitCode::FAILURE);
    }
    let checked = args.check().and_then(|()| {
        Ok(Plan {
            filters: args.filters()?,
            options: args.client.options()?,
            properties: args.client.command_properties()?,
            output: args.output()?,
        })
    });
    let mut plan = match checked {
        Ok(plan) => plan,
        Err(error) => return Ok(report_usage("sub", &error, args.client.quiet)),
    };
    if let Err(code) = args.client.load_transport(&mut plan.options) {
        return Ok(code);
    }
    let runtime = client_args::runtime()?;
    // Like `mosquitto_sub`, the -W clock starts before connecting.
    let deadline = args
        .timeout
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    Ok(runtime.block_on(subscribe_and_print(args, &plan, deadline)))
}

/// Everything checked before connecting.
struct Plan {
    filters: Vec<SubscribeFilter>,
    options: roost_client::ClientOptions,
    properties: CommandProperties,
    output: Output,
}

/// `future`'s output, or `None` if `deadline` passes first.
async fn within<F: std::future::Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await.ok(),
        None => Some(future.await),
    }
}

/// Reports `-W` running out and returns exit code 27.
fn timed_out(args: &SubArgs) -> ExitCode {
    if !args.client.quiet {
        eprintln!("Timed out");
    }
    ExitCode::from(TIMED_OUT)
}

/// How one connection ended.
enum SessionEnd {
    /// The command is over, with this exit code.
    Exit(ExitCode),
    /// The connection was lost: `mosquitto_sub` connects again.
    Lost,
}

/// Connects, subscribes and prints; when the connection is lost, connects again after a second,
/// for as long as it takes, as `mosquitto_sub` (libmosquitto's `loop_forever`) does. Only the
/// first connection's failures end the command.
async fn subscribe_and_print(args: &SubArgs, plan: &Plan, deadline: Option<Instant>) -> ExitCode {
    let mut printer = Printer {
        args,
        output: &plan.output,
        printed: 0,
        removals: VecDeque::new(),
    };
    let mut first = true;
    loop {
        if !first {
            let pause = tokio::time::sleep(RECONNECT_DELAY);
            tokio::select! {
                () = pause => {}
                () = client_args::interrupted() => return ExitCode::SUCCESS,
                () = until(deadline) => return timed_out(args),
            }
        }
        let connecting = client_args::connect(&args.client, plan.options.clone(), None, !first);
        let (client, _connected, incoming) = match within(deadline, connecting).await {
            Some(Ok(connected)) => connected,
            Some(Err(failed)) if first || failed.refused => return failed.code,
            Some(Err(_)) => continue,
            // `mosquitto_sub`'s alarm before its first CONNACK ends it with -1, silently.
            None if first => return ExitCode::from(255),
            None => return timed_out(args),
        };
        first = false;
        match session(args, plan, &client, incoming, &mut printer, deadline).await {
            SessionEnd::Exit(code) => return code,
            SessionEnd::Lost => printer.removals.clear(),
        }
    }
}

/// Waits until `deadline`, or forever without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// One connection: subscribe (and unsubscribe `-U`), then print until something ends it.
async fn session(
    args: &SubArgs,
    plan: &Plan,
    client: &Client,
    mut incoming: roost_client::Incoming,
    printer: &mut Printer<'_>,
    deadline: Option<Instant>,
) -> SessionEnd {
    let subscribe_props = if client.protocol().is_v5() {
        plan.properties.subscribe.clone()
    } else {
        Properties::default()
    };
    let subscribing = client.subscribe(plan.filters.clone(), subscribe_props);
    let suback = match within(deadline, subscribing).await {
        Some(Ok(suback)) => suback,
        Some(Err(_)) => return SessionEnd::Lost,
        None => {
            say_goodbye(client, plan, WITH_WILL).await;
            return SessionEnd::Exit(timed_out(args));
        }
    };
    if args.client.debug && !args.client.quiet {
        let granted: Vec<String> = suback.reasons.iter().map(|r| r.0.to_string()).collect();
        println!(
            "Subscribed (mid: {}): {}",
            suback.packet_id,
            granted.join(", ")
        );
    }
    if suback.reasons.iter().all(|r| r.is_error()) {
        say_goodbye(client, plan, ReasonCode::NORMAL_DISCONNECTION).await;
        if !args.client.quiet {
            eprintln!("All subscription requests were denied.");
        }
        return SessionEnd::Exit(ExitCode::SUCCESS);
    }
    if !args.unsubscribe.is_empty() {
        let properties = if client.protocol().is_v5() {
            plan.properties.unsubscribe.clone()
        } else {
            Properties::default()
        };
        let unsubscribing =
            client.unsubscribe_with_properties(args.unsubscribe.clone(), properties);
        if unsubscribing.await.is_err() {
            return SessionEnd::Lost;
        }
    }
    if args.exit_after_subscribe {
        say_goodbye(client, plan, ReasonCode::NORMAL_DISCONNECTION).await;
        return SessionEnd::Exit(ExitCode::SUCCESS);
    }
    let mut goodbye = ReasonCode::NORMAL_DISCONNECTION;
    loop {
        let message = tokio::select! {
            message = incoming.recv() => message,
            () = client_args::interrupted() => {
                goodbye = WITH_WILL;
                break;
            }
            () = until(deadline) => {
                let _ = printer.finish().await;
                say_goodbye(client, plan, WITH_WILL).await;
                return SessionEnd::Exit(timed_out(args));
            }
        };
        let Some(message) = message else {
            // A DISCONNECT from the broker ends `mosquitto_sub` quietly; a dropped connection
            // makes it connect again.
            return match incoming.close_cause() {
                Some(roost_client::CloseCause::BrokerDisconnect(_)) => {
                    SessionEnd::Exit(ExitCode::SUCCESS)
                }
                _ => SessionEnd::Lost,
            };
        };
        match printer.handle(client, message).await {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => break,
            Err(_) => return SessionEnd::Lost,
        }
    }
    if printer.finish().await.is_err() {
        return SessionEnd::Lost;
    }
    say_goodbye(client, plan, goodbye).await;
    SessionEnd::Exit(ExitCode::SUCCESS)
}

/// `mosquitto_sub` ends on a signal or at `-W` with DISCONNECT 0x04 (MQTT 5: the broker
/// publishes the will anyway; before MQTT 5 DISCONNECT carries no reason, so no will).
const WITH_WILL: ReasonCode = ReasonCode::DISCONNECT_WITH_WILL_MESSAGE;

/// Sends DISCONNECT with `reason` (and `-D disconnect ...`); the command is ending either way.
async fn say_goodbye(client: &Client, plan: &Plan, reason: ReasonCode) {
    let _ = client
        .disconnect(reason, plan.properties.disconnect.clone())
        .await;
}

enum Flow {
    Continue,
    Stop,
}

/// Decides what to do with each message, as `mosquitto_sub`'s message callback does. Lives
/// across reconnections, so `-C` counts every message printed.
struct Printer<'a> {
    args: &'a SubArgs,
    output: &'a Output,
    printed: u64,
    removals: VecDeque<PendingPublish>,
}

impl Printer<'_> {
    async fn handle(&mut self, client: &Client, message: Message) -> Result<Flow, ClientError> {
        let args = self.args;
        if args.retained_only && !message.retain {
            return Ok(Flow::Stop);
        }
        if message.retain && args.no_stale {
            return Ok(Flow::Continue);
        }
        if args
            .filter_out
            .iter()
            .any(|filter| topic_matches(filter, &message.topic))
        {
            return Ok(Flow::Continue);
        }
        if args.remove_retained && message.retain {
            self.remove_retained(client, &message.topic).await?;
        }
        if self.output.chosen() {
            self.output.print(&message);
        }
        self.printed += 1;
        if args.count == Some(self.printed) {
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    }

    async fn remove_retained(&mut self, client: &Client, topic: &str) -> Result<(), ClientError> {
        if self.removals.len() >= MAX_PENDING {
            if let Some(oldest) = self.removals.pop_front() {
                oldest.await?;
            }
        }
        let started = client
            .begin_publish(
                topic,
                Bytes::new(),
                QoS::AtLeastOnce,
                true,
                Properties::default(),
            )
            .await?;
        self.removals.push_back(started);
        Ok(())
    }

    /// Waits for the `--remove-retained` publishes still in flight.
    async fn finish(&mut self) -> Result<(), ClientError> {
        while let Some(oldest) = self.removals.pop_front() {
            oldest.await?;
        }
        Ok(())
    }
}

/// How messages are printed: `-F`, or the payload (`-v`: "topic payload"), with `-N` and
/// `--pretty`.
struct Output {
    format: Option<Format>,
    verbose: bool,
    eol: bool,
    pretty: bool,
    quiet: bool,
    /// `--random-filter`: tenths of a percent of messages to print (1000: all).
    chance: u32,
    /// Random numbers for `--random-filter`, from the standard library's hasher seeds.
    picker: RandomState,
}

impl Output {
    /// Whether to print the next message: always, unless `--random-filter` says otherwise.
    fn chosen(&self) -> bool {
        if self.chance >= 1000 {
            return true;
        }
        let mut hasher = self.picker.build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        (hasher.finish() % 1000) < u64::from(self.chance)
    }

    /// Writes one message as `mosquitto_sub` does and flushes.
    fn print(&self, message: &Message) {
        let mut out = Vec::with_capacity(message.topic.len() + message.payload.len() + 2);
        self.render(message, &mut out);
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (`roost sub ... | head -1`) ends the output, not the subscription.
        let _ = stdout.write_all(&out).and_then(|()| stdout.flush());
    }

    fn render(&self, message: &Message, out: &mut Vec<u8>) {
        if let Some(format) = &self.format {
            let errors = format.render(message, &Now::read(), self.pretty, out);
            if !self.quiet {
                for error in errors {
                    eprintln!("{error}");
                }
            }
            if self.eol {
                out.push(b'\n');
            }
            return;
        }
        // Without -F an empty payload prints nothing, or "topic (null)" with -v (not with -N).
        if message.payload.is_empty() {
            if self.verbose && self.eol {
                out.extend_from_slice(message.topic.as_bytes());
                out.extend_from_slice(b" (null)\n");
            }
            return;
        }
        if self.verbose {
            out.extend_from_slice(message.topic.as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(&message.payload);
        if self.eol {
            out.push(b'\n');
        }
    }
}

/// C's `atof`: the longest number at the start of `text` (after spaces), or 0.
fn atof(text: &str) -> f64 {
    let text = text.trim_start();
    (1..=text.len())
        .rev()
        .filter(|end| text.is_char_boundary(*end))
        .find_map(|end| text[..end].parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// True if `topic` matches `filter` (spec §4.7): `+` is one level, `#` the rest (and the parent);
/// wildcards at the first level do not match topics beginning with `$` [MQTT-4.7.2-1].
fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(verbose: bool, eol: bool) -> Output {
        Output {
            format: None,
            verbose,
            eol,
            pretty: false,
            quiet: true,
            chance: 1000,
            picker: RandomState::new(),
        }
    }

    #[test]
    fn random_filter_prints_about_its_share() {
        let half = Output {
            chance: 500,
            ..plain(false, true)
        };
        let printed = (0..2000).filter(|_| half.chosen()).count();
        assert!((700..1300).contains(&printed), "{printed} of 2000");
        assert!((0..100).all(|_| plain(false, true).chosen()));
        assert_eq!(atof("50.5%"), 50.5);
        assert_eq!(atof("x"), 0.0);
    }

    fn printed(output: &Output, payload: &'static [u8]) -> Vec<u8> {
        let message = Message {
            topic: "a/b".into(),
            payload: Bytes::from_static(payload),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: Properties::default(),
        };
        let mut out = Vec::new();
        output.render(&message, &mut out);
        out
    }

    #[test]
    fn empty_payloads_print_as_mosquitto_sub_prints_them() {
        assert_eq!(printed(&plain(false, true), b"x"), b"x\n");
        assert_eq!(
            printed(&plain(false, true), b""),
            b"",
            "nothing, not an empty line"
        );
        assert_eq!(printed(&plain(true, true), b""), b"a/b (null)\n");
        assert_eq!(printed(&plain(true, false), b""), b"");
        assert_eq!(printed(&plain(true, false), b"x"), b"a/b x");
        let formatted = Output {
            format: Some(Format::parse("%t:%p").expect("valid")),
            ..plain(true, true)
        };
        assert_eq!(printed(&formatted, b""), b"a/b:\n");
    }

    #[test]
    fn topic_matching_follows_the_spec() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("+/+", "/x", true),
            ("+", "a/b", false),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/b", "a/c", false),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(
                topic_matches(filter, topic),
                expected,
                "{filter} vs {topic}"
            );
        }
    }
}
