//! The will message: published when a connection ends without DISCONNECT (or with MQTT 5 reason
//! 0x04), at once or after the Will Delay Interval — unless the client came back first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use roost_proto::Will;

use super::Client;
use crate::broker::Broker;
use crate::message::Message;
use crate::session::Session;
use crate::store::Op;

/// Publishes `will` now, or after its delay if the session is not resumed by then. The delay is
/// cut short by the session's own expiry (MQTT-3.1.3-9).
/// `keep`: the session's record may hold it while it waits (false for a connection that was
/// taken over, whose session belongs to the new connection now).
pub(super) fn schedule(broker: &Arc<Broker>, client: &Client, will: Will, keep: bool) {
    let delay = will
        .properties
        .will_delay_interval
        .unwrap_or(0)
        .min(client.session_expiry);
    let origin = (client.id().clone(), client.info.username.clone());
    let after = Duration::from_secs(u64::from(delay));
    schedule_for(broker, &client.session, origin, will, after, keep);
}

/// Publishes `will` for `session` after `after` (at once for zero), unless the session is
/// resumed first. With `keep`, a stored session keeps the waiting will in its record, so that a
/// restart publishes it still.
pub(crate) fn schedule_for(
    broker: &Arc<Broker>,
    session: &Arc<Session>,
    origin: (Arc<str>, Option<Arc<str>>),
    will: Will,
    after: Duration,
    keep: bool,
) {
    if after.is_zero() {
        broker.publish(&Arc::new(will_message(will, origin)));
        return;
    }
    let generation = {
        let mut state = session.lock();
        if state.stored && keep {
            state.will = Some(Box::new(will.clone()));
        }
        state.generation
    };
    let session = session.clone();
    let broker = broker.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let resumed = {
            let state = session.lock();
            state.generation != generation || state.attached.is_some()
        };
        if resumed {
            return;
        }
        broker.publish(&Arc::new(will_message(will, origin)));
        let mut state = session.lock();
        if state.generation == generation && state.will.take().is_some() && state.stored {
            broker.write_behind(|| Op::PutSession(session.client_id.clone(), state.record()));
        }
    });
}

fn will_message(will: Will, (origin, origin_username): (Arc<str>, Option<Arc<str>>)) -> Message {
    let mut properties = will.properties;
    properties.will_delay_interval = None;
    let expiry = properties.message_expiry_interval.take();
    Message {
        topic: Arc::from(will.topic.as_str()),
        payload: will.payload,
        qos: will.qos,
        retain: will.retain,
        properties,
        expires_at: Message::expiry_from(Instant::now(), expiry),
        origin: Some(origin),
        origin_username,
    }
}
