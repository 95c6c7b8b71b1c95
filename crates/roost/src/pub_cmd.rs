//! `roost pub`: publish one message, a message repeated, a file, stdin, or stdin line by line —
//! `mosquitto_pub`'s flags, checks, messages and exit codes, over `roost-client`.
//!
//! Publishes are pipelined: every message is handed to the client at once (the client's
//! in-flight window and bounded queue pace them) and the command exits when all are done.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use clap::Args;
use roost_client::{reason_name, Client, ClientError, PendingPublish, Properties, QoS, ReasonCode};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::client_args::{self, report_usage, usage, ClientArgs, UsageError};

/// Publishes handed to the client before the command waits for the oldest to finish.
const MAX_PENDING: usize = 1024;

/// Options of `roost pub`, named as `mosquitto_pub` names them.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct PubArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// MQTT topic to publish to.
    #[arg(short = 't', long = "topic")]
    topic: Option<String>,
    /// Message payload to send.
    #[arg(short = 'm', long = "message")]
    message: Option<String>,
    /// Send the contents of a file as the message.
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// Send a null (zero length) message.
    #[arg(short = 'n', long = "null-message")]
    null_message: bool,
    /// Read messages from stdin, sending a separate message for each line.
    #[arg(short = 'l', long = "stdin-line")]
    stdin_line: bool,
    /// Read the message from stdin, sending the entire input as one message.
    #[arg(short = 's', long = "stdin-file")]
    stdin_file: bool,
    /// Make the message retained.
    #[arg(short = 'r', long = "retain")]
    retain: bool,
    /// With -m, -f, -s or -n, publish the message this many times.
    #[arg(long = "repeat", default_value_t = 1)]
    repeat: u64,
    /// Seconds to wait between repeated publishes (fractions allowed).
    #[arg(long = "repeat-delay", default_value_t = 0.0)]
    repeat_delay: f64,
    /// Most QoS 1/2 messages in flight at once.
    #[arg(short = 'M', long = "max-inflight")]
    max_inflight: Option<u16>,
}

/// Where the payload comes from.
enum Source {
    Message(Bytes),
    File(PathBuf),
    Stdin,
    Lines,
}

impl PubArgs {
    fn source(&self) -> Result<Source, UsageError> {
        let chosen = [
            self.message.is_some(),
            self.file.is_some(),
            self.null_message,
            self.stdin_line,
            self.stdin_file,
        ]
        .iter()
        .filter(|set| **set)
        .count();
        if chosen > 1 {
            return Err(usage("Only one type of message can be sent at once."));
        }
        Ok(if let Some(message) = &self.message {
            Source::Message(Bytes::from(message.clone()))
        } else if let Some(file) = &self.file {
            Source::File(file.clone())
        } else if self.null_message {
            Source::Message(Bytes::new())
        } else if self.stdin_line {
            Source::Lines
        } else if self.stdin_file {
            Source::Stdin
        } else {
            return Err(usage("Both topic and message must be supplied."));
        })
    }

    /// `-t`, or the topic of `-L`.
    fn topic(&self) -> Result<String, UsageError> {
        let url_topic = self.client.url()?.and_then(|url| url.topic);
        let Some(topic) = self.topic.clone().or(url_topic) else {
            return Err(usage("Both topic and message must be supplied."));
        };
        if !roost_proto::topic::is_valid_topic_name(&topic) {
            return Err(usage(format!(
                "Invalid publish topic '{topic}', does it contain '+' or '#'?"
            )));
        }
        Ok(topic)
    }
}

/// Runs `roost pub`.
pub(crate) fn run(args: &PubArgs) -> anyhow::Result<ExitCode> {
    let checked = (|| {
        let source = args.source()?;
        let topic = args.topic()?;
        let qos = args.client.qos()?;
        if args.repeat == 0 {
            return Err(usage("--repeat argument must be >0."));
        }
        if !args.repeat_delay.is_finite() || args.repeat_delay < 0.0 {
            return Err(usage("--repeat-delay argument must be >=0.0."));
        }
        if args.max_inflight == Some(0) {
            return Err(usage("Maximum inflight messages must be greater than 0."));
        }
        let mut options = args.client.options()?;
        options.max_inflight = args.max_inflight;
        let properties = args.client.command_properties()?;
        Ok((source, topic, qos, options, properties))
    })();
    let (source, topic, qos, mut options, properties) = match checked {
        Ok(checked) => checked,
        Err(error) => return Ok(report_usage("pub", &error, args.client.quiet)),
    };
    if let Err(code) = args.client.load_transport(&mut options) {
        return Ok(code);
    }
    let runtime = client_args::runtime()?;
    runtime.block_on(async {
        let payload = match source {
            Source::Message(payload) => Some(payload),
            Source::File(path) => match std::fs::read(&path) {
                Ok(bytes) => Some(Bytes::from(bytes)),
                Err(_) => {
                    if !args.client.quiet {
                        eprintln!("Error loading input file \"{}\".", path.display());
                    }
                    return Ok(ExitCode::FAILURE);
                }
            },
            Source::Stdin => {
                let mut all = Vec::new();
                tokio::io::stdin().read_to_end(&mut all).await?;
                Some(Bytes::from(all))
            }
            Source::Lines => None,
        };
        // What libmosquitto's error code says after a refusal, as `mosquitto_pub` prints it.
        let refused = Some(if options.protocol.is_v5() {
            "Error: A network protocol error occurred when communicating with the broker."
        } else {
            "Error: The connection was refused."
        });
        let (client, _connected, _incoming) =
            match client_args::connect(&args.client, options, refused, false).await {
                Ok(connected) => connected,
                Err(failed) => return Ok(failed.code),
            };
        let mut publisher = Publisher {
            client: &client,
            topic: &topic,
            properties: if client.protocol().is_v5() {
                properties.publish
            } else {
                Properties::default()
            },
            qos,
            retain: args.retain,
            quiet: args.client.quiet,
            pending: VecDeque::new(),
        };
        let sent = match payload {
            Some(payload) => publisher.repeat(payload, args).await,
            None => publisher.lines().await,
        };
        let finished = match sent {
            Ok(()) => publisher.finish().await,
            Err(error) => Err(error),
        };
        match finished {
            Ok(()) => {
                // Everything is acknowledged; a failure to say goodbye changes nothing.
                let _ = client
                    .disconnect(ReasonCode::NORMAL_DISCONNECTION, properties.disconnect)
                    .await;
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => {
                if !args.client.quiet {
                    eprintln!("Error: {}", lost_text(&error));
                }
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// Hands publishes to the client and collects their outcomes.
struct Publisher<'a> {
    client: &'a Client,
    topic: &'a str,
    /// `-D publish ...`, sent with every message.
    properties: Properties,
    qos: QoS,
    retain: bool,
    quiet: bool,
    pending: VecDeque<PendingPublish>,
}

impl Publisher<'_> {
    async fn publish(&mut self, payload: Bytes) -> Result<(), ClientError> {
        if self.pending.len() >= MAX_PENDING {
            if let Some(oldest) = self.pending.pop_front() {
                self.report(&oldest.await?);
            }
        }
        let started = self
            .client
            .begin_publish(
                self.topic,
                payload,
                self.qos,
                self.retain,
                self.properties.clone(),
            )
            .await?;
        self.pending.push_back(started);
        Ok(())
    }

    async fn repeat(&mut self, payload: Bytes, args: &PubArgs) -> Result<(), ClientError> {
        let delay = client_args::seconds(args.repeat_delay);
        for i in 0..args.repeat {
            if i > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            self.publish(payload.clone()).await?;
        }
        Ok(())
    }

    /// `-l`: one message per line of stdin, without its newline; empty lines are empty messages.
    async fn lines(&mut self) -> Result<(), ClientError> {
        let mut stdin = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            if stdin.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            self.publish(Bytes::copy_from_slice(&line)).await?;
        }
    }

    async fn finish(&mut self) -> Result<(), ClientError> {
        while let Some(oldest) = self.pending.pop_front() {
            self.report(&oldest.await?);
        }
        Ok(())
    }

    /// A refused publish is a warning, as in `mosquitto_pub`, not a failure of the command.
    fn report(&self, outcome: &roost_client::PubOutcome) {
        if !outcome.is_success() && !self.quiet {
            eprintln!(
                "Warning: Publish {} failed: {}.",
                outcome.packet_id.unwrap_or(0),
                reason_name(outcome.reason)
            );
        }
    }
}

/// A lost connection in libmosquitto's words.
fn lost_text(error: &ClientError) -> String {
    match error {
        ClientError::Disconnected(None) => "The connection was lost.".to_owned(),
        other => client_args::error_text(other),
    }
}
