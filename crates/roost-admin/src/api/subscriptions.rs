//! `/api/v5/subscriptions` (every session's subscriptions, filtered and paged) and
//! `/api/v5/topics` (the distinct subscribed filters: the routes).

use axum::extract::State;
use axum::Json;
use roost_broker::SubscriptionSnapshot;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryArgs;
use crate::paging::Paging;
use crate::state::{Shared, NODE};

/// A subscription as EMQX describes one.
pub(crate) fn subscription_json(s: &SubscriptionSnapshot) -> Value {
    json!({
        "clientid": s.client_id,
        "topic": s.filter,
        "qos": s.qos,
        "nl": u8::from(s.no_local),
        "rap": u8::from(s.retain_as_published),
        "rh": s.retain_handling,
        "node": NODE,
    })
}

/// Whether topic name `topic` matches `filter` (MQTT §4.7: `+` one level, `#` the rest, no
/// wildcard first level for `$` topics; a shared subscription by its inner filter).
pub(crate) fn filter_matches(filter: &str, topic: &str) -> bool {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => rest.split_once('/').map_or(rest, |(_, inner)| inner),
        None => filter,
    };
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut want = filter.split('/');
    let mut have = topic.split('/');
    loop {
        match (want.next(), have.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(w), Some(h)) if w == h => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SubscriptionQuery {
    page: Option<u64>,
    limit: Option<u64>,
    clientid: Option<String>,
    topic: Option<String>,
    qos: Option<u8>,
    match_topic: Option<String>,
}

pub(crate) async fn list(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<SubscriptionQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    if q.qos.is_some_and(|qos| qos > 2) {
        return Err(ApiError::bad_request("qos must be 0, 1 or 2"));
    }
    let found: Vec<Value> = state
        .broker
        .all_subscriptions()
        .iter()
        .filter(|s| {
            q.clientid.as_ref().is_none_or(|id| *id == s.client_id)
                && q.topic.as_ref().is_none_or(|t| *t == s.filter)
                && q.qos.is_none_or(|qos| qos == s.qos)
                && q.match_topic
                    .as_deref()
                    .is_none_or(|topic| filter_matches(&s.filter, topic))
        })
        .map(subscription_json)
        .collect();
    Ok(Json(paging.answer(&found)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct TopicQuery {
    page: Option<u64>,
    limit: Option<u64>,
    topic: Option<String>,
}

pub(crate) async fn topics(
    State(state): State<Shared>,
    QueryArgs(q): QueryArgs<TopicQuery>,
) -> ApiResult<Json<Value>> {
    let paging = Paging::new(q.page, q.limit)?;
    let found: Vec<Value> = state
        .broker
        .subscribed_filters()
        .into_iter()
        .filter(|f| q.topic.as_ref().is_none_or(|t| t == f))
        .map(|topic| json!({ "topic": topic, "node": NODE }))
        .collect();
    Ok(Json(paging.answer(&found)))
}

#[cfg(test)]
mod tests {
    use super::filter_matches;

    #[test]
    fn filters_match_as_mqtt_says() {
        for (filter, topic, expected) in [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("$share/g/a/+", "a/b", true),
            ("a/b", "a/c", false),
        ] {
            assert_eq!(filter_matches(filter, topic), expected, "{filter} {topic}");
        }
    }
}
