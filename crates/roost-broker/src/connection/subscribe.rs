//! SUBSCRIBE and UNSUBSCRIBE: the topic tree, SUBACK/UNSUBACK codes, and retained messages sent
//! on subscribe as Retain Handling asks.

use roost_proto::{
    Packet, Properties, QoS, ReasonCode, RetainHandling, SubAck, Subscribe, SubscribeFilter,
    UnsubAck, Unsubscribe,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{debug, info};

use crate::config::LogType;

use crate::message::Message;

use super::{protocol_error, Client, Connection, Ending};
use crate::session::{Delivery, SubscriptionData};
use crate::store::Durability;

/// True for `$share/{group}/{filter}`.
fn is_shared(filter: &str) -> bool {
    filter.starts_with("$share/")
}

/// The filter a shared subscription matches with (`$share/g/a/b` → `a/b`).
fn match_filter(filter: &str) -> &str {
    if is_shared(filter) {
        filter.splitn(3, '/').nth(2).unwrap_or(filter)
    } else {
        filter
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// A filter as the broker stores it: the mount point before the filter (inside a shared
    /// subscription, before its real filter).
    fn mounted_filter(&self, filter: &str) -> String {
        match (&self.listener.mount_point, is_shared(filter)) {
            (None, _) => filter.to_string(),
            (Some(_), false) => self.mounted(filter),
            (Some(mount), true) => {
                let real = match_filter(filter);
                format!("{}{mount}{real}", &filter[..filter.len() - real.len()])
            }
        }
    }

    pub(super) fn on_subscribe(
        &mut self,
        client: &mut Client,
        subscribe: &Subscribe,
    ) -> Result<(), Ending> {
        let sub_id = subscribe
            .properties
            .subscription_identifiers
            .first()
            .copied();
        let mut reasons = Vec::with_capacity(subscribe.filters.len());
        let mut durability = Durability::default();
        for entry in &subscribe.filters {
            if is_shared(&entry.filter) && entry.options.no_local {
                // MQTT-3.8.3-4: No Local on a shared subscription is a protocol error.
                return Err(protocol_error("No Local on a shared subscription"));
            }
            reasons.push(self.subscribe_one(client, entry, sub_id, &mut durability));
        }
        // The SUBACK goes out once the subscriptions are on disk.
        self.hold_for(durability)?;
        let ack = SubAck {
            packet_id: subscribe.packet_id,
            reasons,
            properties: Properties::default(),
        };
        self.send(&Packet::SubAck(ack));
        Ok(())
    }

    fn subscribe_one(
        &mut self,
        client: &Client,
        entry: &SubscribeFilter,
        sub_id: Option<u32>,
        durability: &mut Durability,
    ) -> ReasonCode {
        let filter = self.mounted_filter(&entry.filter);
        let security = self.security();
        if !security.can_subscribe(
            client.info.username.as_deref(),
            client.id(),
            match_filter(&filter),
        ) {
            debug!("Denied SUBSCRIBE from {} to '{filter}'.", client.id());
            return ReasonCode::NOT_AUTHORIZED;
        }
        let granted = entry.options.qos.min(self.listener.max_qos);
        info!(target: LogType::SUBSCRIBE_TARGET, "{} {} {filter}", client.id(), granted as u8);
        let data = SubscriptionData {
            qos: granted,
            no_local: entry.options.no_local,
            retain_as_published: entry.options.retain_as_published,
            sub_id,
            retain_handling: entry.options.retain_handling as u8,
        };
        let existed = self
            .broker
            .subscribe(&client.session, &filter, data, durability);
        let send_retained = match entry.options.retain_handling {
            _ if is_shared(&filter) => false,
            RetainHandling::SendAtSubscribe => true,
            RetainHandling::SendAtNewSubscribe => !existed,
            RetainHandling::DoNotSend => false,
        };
        if send_retained {
            self.queue_retained(client, match_filter(&filter), granted, sub_id, durability);
        }
        ReasonCode(granted as u8)
    }

    /// Queues the retained messages matching `filter` for this client, with the retain flag set
    /// (MQTT-3.3.1-8).
    fn queue_retained(
        &self,
        client: &Client,
        filter: &str,
        granted: QoS,
        sub_id: Option<u32>,
        durability: &mut Durability,
    ) {
        let target = self.broker.enqueue_target();
        let mut found = Vec::new();
        self.broker
            .for_each_retained(filter, |msg| found.push(msg.clone()));
        let security = self.security();
        let user = client.info.username.as_deref();
        for msg in found {
            if !security.can_receive(user, client.id(), &msg.topic) || !self.source_allowed(&msg) {
                continue;
            }
            let upgrade = self.config.upgrade_outgoing_qos;
            let qos = if upgrade {
                granted
            } else {
                granted.min(msg.qos)
            };
            let mut delivery = Delivery::new(msg, qos, true);
            delivery.sub_ids.extend(sub_id);
            client
                .session
                .enqueue_if(delivery, target, durability, |_| true);
        }
    }

    /// `check_retain_source`: a retained message goes out only while its publisher may still
    /// write its topic.
    fn source_allowed(&self, msg: &Message) -> bool {
        let Some(origin) = msg.origin.as_deref() else {
            return true;
        };
        !self.config.check_retain_source
            || self
                .security()
                .can_publish(msg.origin_username.as_deref(), origin, &msg.topic)
    }

    pub(super) fn on_unsubscribe(
        &mut self,
        client: &mut Client,
        unsubscribe: &Unsubscribe,
    ) -> Result<(), Ending> {
        let mut durability = Durability::default();
        let reasons = unsubscribe
            .filters
            .iter()
            .inspect(
                |filter| info!(target: LogType::UNSUBSCRIBE_TARGET, "{} {filter}", client.id()),
            )
            .map(|filter| {
                let filter = self.mounted_filter(filter);
                match self
                    .broker
                    .unsubscribe(&client.session, &filter, &mut durability)
                {
                    true => ReasonCode::SUCCESS,
                    false => ReasonCode::NO_SUBSCRIPTION_EXISTED,
                }
            })
            .collect();
        self.hold_for(durability)?;
        let reasons = if self.version.is_v5() {
            reasons
        } else {
            Vec::new()
        };
        let ack = UnsubAck {
            packet_id: unsubscribe.packet_id,
            reasons,
            properties: Properties::default(),
        };
        self.send(&Packet::UnsubAck(ack));
        Ok(())
    }
}
