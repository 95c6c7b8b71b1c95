//! Helpers shared by the store's tests: records to write and a wait for a commit.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use roost_broker::store::{Progress, SessionRecord, Store, StoredDelivery, StoredSubscription};
use roost_broker::Message;
use roost_proto::{Properties, QoS, Will};

/// Waits (10 s at most) until commit `n` has ended; returns the progress then.
pub(crate) fn wait_for(store: &dyn Store, n: u64) -> Progress {
    let rx = store.progress();
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let p = *rx.borrow();
        if p.finished >= n {
            return p;
        }
        assert!(Instant::now() < until, "commit {n} did not end: {p:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A session record with one subscription and a will with properties.
pub(crate) fn session(username: &str) -> SessionRecord {
    SessionRecord {
        expiry_interval: 3600,
        disconnected_at: Some(SystemTime::now()),
        username: Some(Arc::from(username)),
        listener: 2,
        subscriptions: vec![StoredSubscription {
            filter: "sensors/#".into(),
            qos: QoS::ExactlyOnce,
            no_local: true,
            retain_as_published: false,
            sub_id: Some(42),
            retain_handling: 1,
        }],
        will: Some(Box::new(Will {
            topic: "wills/x".into(),
            payload: "gone".into(),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::from(roost_proto::PropertyValues {
                will_delay_interval: Some(30),
                content_type: Some("text/plain".into()),
                ..roost_proto::PropertyValues::NONE
            }),
        })),
    }
}

/// A delivery of a QoS 1 message on `topic` with a user property.
pub(crate) fn delivery(topic: &str, payload: &str) -> StoredDelivery {
    let mut msg = Message::internal(topic, payload.to_string(), QoS::AtLeastOnce, false);
    msg.properties
        .user_properties
        .push(("k".into(), "v".into()));
    msg.origin = Some(Arc::from("publisher"));
    StoredDelivery {
        msg: Arc::new(msg),
        qos: QoS::AtLeastOnce,
        retain: false,
        sub_ids: vec![42],
    }
}
