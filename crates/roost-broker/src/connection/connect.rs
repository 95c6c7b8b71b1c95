//! CONNECT: version, client identifier rules, authentication, session takeover and CONNACK.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use roost_proto::{ConnAck, Connect, Packet, Properties, ProtocolVersion, QoS, ReasonCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::info;

use super::{Client, Connection, Ending};
use crate::auth::Verdict;
use crate::links::Link;
use crate::session::{Attachment, ConnectionInfo, Identity, NEVER_EXPIRES};
use crate::store::Durability;
use crate::transport::PeerIdentity;

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Waits for CONNECT (bounded by the connect timeout) and answers it. `None` when the
    /// connection must close; whatever must be said to the client is already in the write buffer.
    /// With the client comes what its CONNACK must wait for in the store.
    pub(super) async fn accept(&mut self) -> Option<(Client, Durability)> {
        let timeout = self.config.connect_timeout;
        let first = match tokio::time::timeout(timeout, self.read_packet()).await {
            Err(_) => {
                info!(
                    "Client <unknown> from {} sent no CONNECT within {:?}, closing.",
                    self.peer, timeout
                );
                return None;
            }
            Ok(Err(ending)) => {
                self.refuse_undecodable(&ending);
                return None;
            }
            Ok(Ok(packet)) => packet,
        };
        let Packet::Connect(connect) = first else {
            info!(
                "Client <unknown> from {} sent a packet before CONNECT, closing.",
                self.peer
            );
            return None;
        };
        self.version = connect.protocol;
        self.on_connect(*connect)
    }

    /// A CONNECT that cannot be decoded: an unsupported protocol level gets its CONNACK (MQTT-3.1.2-2).
    fn refuse_undecodable(&mut self, ending: &Ending) {
        if let Ending::Closing { reason, why } = ending {
            info!("Client <unknown> from {} refused: {why}.", self.peer);
            if *reason == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION {
                self.connack(false, *reason, Properties::default());
            }
        }
    }

    fn connack(&mut self, session_present: bool, reason: ReasonCode, properties: Properties) {
        // MQTT 3.1 has no Session Present flag: that byte is reserved.
        let session_present = session_present && self.version != ProtocolVersion::V3_1;
        self.send(&Packet::ConnAck(ConnAck {
            session_present,
            reason,
            properties,
        }));
    }

    fn refuse<T>(&mut self, client_id: &str, reason: ReasonCode, why: &str) -> Option<T> {
        info!("Client {client_id} from {} refused: {why}.", self.peer);
        let properties = Properties::from(roost_proto::PropertyValues {
            reason_string: Some(why.to_string()),
            ..roost_proto::PropertyValues::NONE
        });
        self.connack(false, reason, properties);
        None
    }

    fn on_connect(&mut self, mut connect: Connect) -> Option<(Client, Durability)> {
        self.certificate_username(&mut connect)?;
        self.admit(&connect)?;
        let v5 = connect.protocol.is_v5();
        let mut properties = Properties::default();
        let client_id = self.client_identifier(&connect, &mut properties)?;
        if let Some(will) = &mut connect.will {
            will.topic = self.mounted(&will.topic);
        }
        let session_expiry = self.session_expiry(&connect);
        let keep_alive = self.negotiate_keep_alive(connect.keep_alive, &mut properties);
        self.server_limits(&mut properties);
        let keep_alive_secs = keep_alive.map_or(0, |k| k.as_secs().try_into().unwrap_or(u16::MAX));
        let username: Option<Arc<str>> = connect.username.as_deref().map(Arc::from);
        let info = Arc::new(ConnectionInfo {
            link: Link::new(keep_alive_secs, self.may_park),
            username: username.clone(),
            peer: self.peer,
            protocol: connect.protocol,
            keep_alive: keep_alive_secs,
            clean_start: connect.clean_start,
            connected_at: SystemTime::now(),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        });
        let attachment = Attachment {
            conn_id: self.conn_id,
            conn: info.clone(),
        };
        let identity = Identity {
            username,
            listener: self.listener_index as usize,
        };
        let attached = self.broker.attach(
            &client_id,
            connect.clean_start,
            session_expiry,
            attachment,
            identity,
            connect.will.as_ref(),
        );
        attached.session.lock().connection = Some(info.clone());
        let slot = self.broker.links().add(&info);
        self.broker.metrics.client_connected();
        let properties = if v5 {
            properties
        } else {
            Properties::default()
        };
        self.connack(attached.session_present, ReasonCode::SUCCESS, properties);
        self.log_connected(&connect, &client_id);
        let mut client = Client {
            session: attached.session,
            password: connect.password.clone().map(Box::new),
            will: connect.will.map(Box::new),
            session_expiry,
            info,
            slot,
            aliases: None,
            client_alias_max: connect.properties.topic_alias_maximum.unwrap_or(0),
            client_receive_max: connect.properties.receive_maximum.unwrap_or(u16::MAX),
            client_max_packet: connect.properties.maximum_packet_size.unwrap_or(u32::MAX),
            problem_info: connect.properties.request_problem_information != Some(0),
        };
        if attached.session_present {
            self.resend_inflight(&mut client);
        }
        Some((client, attached.durability))
    }

    /// Authentication and the will's permissions; `None` (CONNACK already written) to refuse.
    fn admit(&mut self, connect: &Connect) -> Option<()> {
        let id = &connect.client_id;
        if connect.properties.authentication_method.is_some() {
            return self.refuse(
                id,
                ReasonCode::BAD_AUTHENTICATION_METHOD,
                "unknown authentication method",
            );
        }
        let prefixes = self.config.clientid_prefixes.clone();
        if let Some(prefix) = prefixes.filter(|p| !connect.client_id.starts_with(p.as_str())) {
            crate::metrics::Metrics::add(&self.broker.metrics.auth_failures, 1);
            info!("Client <unknown> disconnected, not authorised.");
            let why = format!("client id does not start with '{prefix}' (clientid_prefixes)");
            return self.refuse(id, ReasonCode::NOT_AUTHORIZED, &why);
        }
        let security = self.security();
        let verdict = match self.identity() {
            // With use_identity_as_username the certificate is the credential.
            PeerIdentity::Certificate(_) => Verdict::Allowed,
            _ => security.authenticate(connect.username.as_deref(), connect.password.as_deref()),
        };
        if verdict != Verdict::Allowed {
            crate::metrics::Metrics::add(&self.broker.metrics.auth_failures, 1);
            // Mosquitto logs the id as <unknown> here: it is not assigned until CONNECT succeeds.
            info!("Client <unknown> disconnected, not authorised.");
            self.connack(false, verdict.reason(), Properties::default());
            return None;
        }
        let Some(will) = &connect.will else {
            return Some(());
        };
        if will.qos > self.listener.max_qos {
            return self.refuse(id, ReasonCode::QOS_NOT_SUPPORTED, "will QoS above max_qos");
        }
        if will.retain && !self.config.retain_available {
            return self.refuse(id, ReasonCode::RETAIN_NOT_SUPPORTED, "retained will");
        }
        let topic = self.mounted(&will.topic);
        let user = connect.username.as_deref();
        if !security.can_publish(user, id, &topic) {
            crate::metrics::Metrics::add(&self.broker.metrics.auth_failures, 1);
            return self.refuse(
                id,
                ReasonCode::NOT_AUTHORIZED,
                "will topic not allowed by the ACL",
            );
        }
        Some(())
    }

    /// On a listener with `use_identity_as_username` or `use_subject_as_username`: the user name
    /// is the certificate's and CONNECT's user name and password are dropped, as Mosquitto does;
    /// a client whose certificate gives none is refused (bad user name or password).
    fn certificate_username(&mut self, connect: &mut Connect) -> Option<()> {
        match self.identity() {
            PeerIdentity::FromConnect => Some(()),
            PeerIdentity::Certificate(name) => {
                connect.username = Some(name.to_string());
                connect.password = None;
                Some(())
            }
            PeerIdentity::NoCertificateName(why) => {
                crate::metrics::Metrics::add(&self.broker.metrics.auth_failures, 1);
                let why = format!("no user name from the certificate: {why}");
                let id = connect.client_id.clone();
                self.refuse(&id, ReasonCode::BAD_USER_NAME_OR_PASSWORD, &why)
            }
        }
    }

    /// The client identifier: the user name with `use_username_as_clientid`, the one sent, or
    /// one assigned for an empty id (MQTT-3.1.3-6; refused with a persistent 3.x session,
    /// MQTT-3.1.3-8).
    fn client_identifier(
        &mut self,
        connect: &Connect,
        properties: &mut Properties,
    ) -> Option<Arc<str>> {
        if self.listener.use_username_as_clientid {
            // Mosquitto refuses a client without a user name here, even if anonymous is allowed.
            let Some(user) = &connect.username else {
                return self.refuse(
                    &connect.client_id,
                    ReasonCode::NOT_AUTHORIZED,
                    "use_username_as_clientid needs a user name",
                );
            };
            return Some(Arc::from(user.as_str()));
        }
        if !connect.client_id.is_empty() {
            return Some(Arc::from(connect.client_id.as_str()));
        }
        let persistent = !connect.clean_start && !connect.protocol.is_v5();
        let config = self.config.clone();
        if persistent || !config.allow_zero_length_clientid_for(&self.listener) {
            self.refuse(
                "<empty>",
                ReasonCode::CLIENT_IDENTIFIER_NOT_VALID,
                "empty client id",
            )?;
        }
        let assigned = self
            .broker
            .assign_client_id(config.auto_id_prefix_for(&self.listener));
        if connect.protocol.is_v5() {
            properties.assigned_client_identifier = Some(assigned.clone());
        }
        Some(Arc::from(assigned))
    }

    /// Seconds the session outlives the connection: the MQTT 5 property, 0 for a clean 3.x
    /// session, and for a persistent 3.x one `persistent_client_expiration` or never.
    fn session_expiry(&self, connect: &Connect) -> u32 {
        match connect.protocol {
            ProtocolVersion::V5 => connect.properties.session_expiry_interval.unwrap_or(0),
            _ if connect.clean_start => 0,
            _ => self
                .broker
                .config()
                .persistent_client_expiration
                .map_or(NEVER_EXPIRES, |d| {
                    u32::try_from(d.as_secs()).unwrap_or(NEVER_EXPIRES - 1)
                }),
        }
    }

    /// The keep-alive the broker enforces: the client's, lowered to `max_keepalive` (and reported
    /// as Server Keep Alive in MQTT 5).
    fn negotiate_keep_alive(&self, asked: u16, properties: &mut Properties) -> Option<Duration> {
        let max = self.config.max_keepalive;
        let effective = if asked == 0 || asked > max {
            if self.version.is_v5() && max < u16::MAX {
                properties.server_keep_alive = Some(max);
                max
            } else {
                asked
            }
        } else {
            asked
        };
        (effective > 0).then(|| Duration::from_secs(u64::from(effective)))
    }

    /// CONNACK properties that tell an MQTT 5 client the broker's limits.
    fn server_limits(&self, properties: &mut Properties) {
        let config = &self.config;
        let window = config.inflight_window();
        if window < usize::from(u16::MAX) {
            properties.receive_maximum = u16::try_from(window).ok();
        }
        if self.listener.max_qos < QoS::ExactlyOnce {
            properties.maximum_qos = Some(self.listener.max_qos as u8);
        }
        if !config.retain_available {
            properties.retain_available = Some(0);
        }
        if config.max_packet_size < crate::config::MAX_PACKET_SIZE {
            properties.maximum_packet_size = Some(config.max_packet_size);
        }
        if self.listener.max_topic_alias > 0 {
            properties.topic_alias_maximum = Some(self.listener.max_topic_alias);
        }
    }

    fn log_connected(&self, connect: &Connect, client_id: &str) {
        if !self.config.connection_messages {
            return;
        }
        let p = match connect.protocol {
            ProtocolVersion::V3_1 => 1,
            ProtocolVersion::V3_1_1 => 2,
            ProtocolVersion::V5 => 5,
        };
        let (c, k) = (u8::from(connect.clean_start), connect.keep_alive);
        match &connect.username {
            Some(user) => info!(
                "New client connected from {} as {client_id} (p{p}, c{c}, k{k}, u'{user}').",
                self.peer
            ),
            None => info!(
                "New client connected from {} as {client_id} (p{p}, c{c}, k{k}).",
                self.peer
            ),
        }
    }
}
