//! `$SYS/broker/...`: the broker's counters published as retained messages every `sys_interval`
//! seconds, with the topic names and value formats Mosquitto uses, so dashboards built for it keep
//! working.

use std::sync::Arc;
use std::time::Duration;

use roost_proto::QoS;

use crate::broker::Broker;
use crate::message::Message;
use crate::metrics::Metrics;

/// Exponentially decaying per-minute rates over 1, 5 and 15 minutes, as Mosquitto computes them.
#[derive(Debug, Default, Clone, Copy)]
struct Load {
    last: u64,
    averages: [f64; 3],
}

const WINDOWS: [(&str, f64); 3] = [("1min", 60.0), ("5min", 300.0), ("15min", 900.0)];

impl Load {
    fn update(&mut self, total: u64, interval: f64) {
        let per_minute = total.saturating_sub(self.last) as f64 * 60.0 / interval;
        self.last = total;
        for (average, (_, window)) in self.averages.iter_mut().zip(WINDOWS) {
            let decay = (-interval / window).exp();
            *average = *average * decay + per_minute * (1.0 - decay);
        }
    }
}

/// Publishes `$SYS` every `sys_interval` seconds until the process ends.
pub(crate) async fn run(broker: Arc<Broker>) {
    let seconds = broker.config().sys_interval;
    let mut ticker = tokio::time::interval(Duration::from_secs(seconds));
    let mut loads = [Load::default(); 5];
    let publish = |topic: &str, value: String| {
        broker.publish(&Arc::new(Message::internal(
            topic,
            value,
            QoS::AtMostOnce,
            true,
        )));
    };
    publish(
        "$SYS/broker/version",
        format!("roost version {}", env!("CARGO_PKG_VERSION")),
    );
    loop {
        ticker.tick().await;
        broker.purge_expired_retained();
        let m = &broker.metrics;
        let connected = Metrics::get(&m.clients_connected);
        let sessions = broker.session_count() as u64;
        let counters = [
            ("messages/received", Metrics::get(&m.messages_received)),
            ("messages/sent", Metrics::get(&m.messages_sent)),
            ("bytes/received", Metrics::get(&m.bytes_received)),
            ("bytes/sent", Metrics::get(&m.bytes_sent)),
            ("connections", Metrics::get(&m.connections_total)),
        ];
        publish(
            "$SYS/broker/uptime",
            format!("{} seconds", broker.uptime().as_secs()),
        );
        publish("$SYS/broker/clients/connected", connected.to_string());
        publish("$SYS/broker/clients/active", connected.to_string());
        publish(
            "$SYS/broker/clients/total",
            sessions.max(connected).to_string(),
        );
        publish(
            "$SYS/broker/clients/disconnected",
            sessions.saturating_sub(connected).to_string(),
        );
        publish(
            "$SYS/broker/clients/inactive",
            sessions.saturating_sub(connected).to_string(),
        );
        publish(
            "$SYS/broker/clients/maximum",
            Metrics::get(&m.clients_maximum).to_string(),
        );
        publish(
            "$SYS/broker/subscriptions/count",
            broker.subscription_count().to_string(),
        );
        publish(
            "$SYS/broker/retained messages/count",
            broker.retained_count().to_string(),
        );
        // Roost's own: idle connections waiting without a task (see `parking`).
        publish(
            "$SYS/broker/clients/parked",
            broker.parked_count().to_string(),
        );
        if let Some(store) = broker.store() {
            // Roost's own: the message store's size on disk.
            publish("$SYS/broker/store/bytes", store.size().to_string());
        }
        let dropped = Metrics::get(&m.dropped_queue_full)
            + Metrics::get(&m.dropped_expired)
            + Metrics::get(&m.dropped_too_large)
            + Metrics::get(&m.dropped_offline_qos0);
        publish("$SYS/broker/publish/messages/dropped", dropped.to_string());
        publish(
            "$SYS/broker/publish/messages/received",
            Metrics::get(&m.messages_received).to_string(),
        );
        publish(
            "$SYS/broker/publish/messages/sent",
            Metrics::get(&m.messages_sent).to_string(),
        );
        for ((name, total), load) in counters.iter().zip(loads.iter_mut()) {
            if *name != "connections" {
                publish(&format!("$SYS/broker/{name}"), total.to_string());
            }
            load.update(*total, seconds as f64);
            for ((window, _), average) in WINDOWS.iter().zip(load.averages) {
                publish(
                    &format!("$SYS/broker/load/{name}/{window}"),
                    format!("{average:.2}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_converges_to_the_per_minute_rate() {
        let mut load = Load::default();
        for i in 1..=200 {
            load.update(i * 10, 10.0); // 10 per 10 s = 60 per minute
        }
        assert!(
            (load.averages[0] - 60.0).abs() < 0.01,
            "{:?}",
            load.averages
        );
        assert!(load.averages[2] < 60.0 && load.averages[2] > 50.0);
    }
}
