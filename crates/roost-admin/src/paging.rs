//! EMQX's paging: `?page=1&limit=100` over a list, answered as
//! `{"data":[...],"meta":{"page","limit","count","hasnext"}}`.

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;

/// Items per page when `limit` is not given.
const DEFAULT_LIMIT: u64 = 100;
/// The largest `limit` accepted.
const MAX_LIMIT: u64 = 10_000;

/// A page of a list: 1-based page number and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    page: u64,
    limit: u64,
}

impl Paging {
    /// From the query's `page` and `limit`; 0 or a limit over 10,000 is a bad request.
    pub(crate) fn new(page: Option<u64>, limit: Option<u64>) -> Result<Paging, ApiError> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if page == 0 || limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(format!(
                "page must be 1 or more and limit 1 to {MAX_LIMIT}"
            )));
        }
        Ok(Paging { page, limit })
    }

    /// The page of `items` (already filtered), with its meta.
    pub(crate) fn answer<T: Serialize>(self, items: &[T]) -> Value {
        let count = items.len() as u64;
        let start = (self.page - 1).saturating_mul(self.limit);
        let data: Vec<&T> = items
            .iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect();
        json!({
            "data": data,
            "meta": {
                "page": self.page,
                "limit": self.limit,
                "count": count,
                "hasnext": start.saturating_add(self.limit) < count,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_meta() {
        let items: Vec<u32> = (1..=5).collect();
        let p = Paging::new(Some(2), Some(2)).expect("valid");
        let v = p.answer(&items);
        assert_eq!(v["data"], json!([3, 4]));
        assert_eq!(
            v["meta"],
            json!({"page": 2, "limit": 2, "count": 5, "hasnext": true})
        );
        let last = Paging::new(Some(3), Some(2)).expect("valid").answer(&items);
        assert_eq!(last["data"], json!([5]));
        assert_eq!(last["meta"]["hasnext"], json!(false));
        let past = Paging::new(Some(9), Some(2)).expect("valid").answer(&items);
        assert_eq!(past["data"], json!([]));
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(None, Some(0)).is_err());
        assert!(Paging::new(None, Some(10_001)).is_err());
        assert_eq!(Paging::new(None, None), Paging::new(Some(1), Some(100)));
    }
}
