//! The APIM subscription key: **one credential** that API Management takes in either of two
//! places, a query parameter (`subscription-key`) or a header (`Ocp-Apim-Subscription-Key`), or
//! the API's own names for them (`subscriptionKeyParameterNames` on import).
//!
//! A request keeps both rows (so the user can move the key between them, and old profile files
//! keep loading unchanged); the place is the row that holds the key. Whichever place holds it
//! satisfies "required", and the other, empty place is not sent.

use serde::{Deserialize, Serialize};

use crate::connection::Param;

/// APIM's default query parameter name for the subscription key.
pub const DEFAULT_QUERY: &str = "subscription-key";
/// APIM's default header name for the subscription key.
pub const DEFAULT_HEADER: &str = "Ocp-Apim-Subscription-Key";

/// The names the API takes its subscription key under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeyNames {
    /// The query parameter's name.
    #[serde(default = "default_query")]
    pub query: String,
    /// The header's name (compared without case, as headers are).
    #[serde(default = "default_header")]
    pub header: String,
}

fn default_query() -> String {
    DEFAULT_QUERY.into()
}
fn default_header() -> String {
    DEFAULT_HEADER.into()
}

impl Default for SubscriptionKeyNames {
    fn default() -> Self {
        Self { query: default_query(), header: default_header() }
    }
}

/// Where the subscription key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlace {
    /// As the query parameter: what browsers (and APIM's test console) must use.
    Query,
    /// As the header: kept out of URLs and access logs.
    Header,
}

/// True when `p` is sent and holds a value.
fn holds(p: &Param) -> bool {
    p.enabled && !p.value.trim().is_empty()
}

impl SubscriptionKeyNames {
    fn is_query(&self, p: &Param) -> bool {
        p.name == self.query
    }

    fn is_header(&self, p: &Param) -> bool {
        p.name.eq_ignore_ascii_case(&self.header)
    }

    /// True when `p` is one of the key's two places (`in_query` says which table it is in).
    pub fn is_key_row(&self, p: &Param, in_query: bool) -> bool {
        if in_query { self.is_query(p) } else { self.is_header(p) }
    }

    /// Where the key is sent now: the place holding a value (the query when both do, as it is
    /// first in the URL), else the enabled row; `None` when neither row is sent.
    pub fn place(&self, query: &[Param], headers: &[Param]) -> Option<KeyPlace> {
        let q = query.iter().find(|p| self.is_query(p));
        let h = headers.iter().find(|p| self.is_header(p));
        match (q, h) {
            (Some(q), _) if holds(q) => Some(KeyPlace::Query),
            (_, Some(h)) if holds(h) => Some(KeyPlace::Header),
            (Some(q), _) if q.enabled => Some(KeyPlace::Query),
            (_, Some(h)) if h.enabled => Some(KeyPlace::Header),
            _ => None,
        }
    }

    /// One credential, one place: when one place holds the key, the other place's row, if
    /// empty, is not sent (an empty `subscription-key=` beside a good header would only
    /// confuse the gateway), and "required" is satisfied.
    pub fn settle(&self, query: &mut [Param], headers: &mut [Param]) {
        let in_query = query.iter().any(|p| self.is_query(p) && holds(p));
        let in_header = headers.iter().any(|p| self.is_header(p) && holds(p));
        if in_header {
            query.iter_mut().filter(|p| self.is_query(p) && !holds(p)).for_each(|p| p.enabled = false);
        }
        if in_query {
            headers.iter_mut().filter(|p| self.is_header(p) && !holds(p)).for_each(|p| p.enabled = false);
        }
    }

    /// Moves the key to `place` (the console's toggle): the key's value, secrecy and
    /// "required" go to that row (added when missing), the other row is kept but disabled.
    pub fn move_to(&self, place: KeyPlace, query: &mut Vec<Param>, headers: &mut Vec<Param>) {
        let qi = query.iter().position(|p| self.is_query(p));
        let hi = headers.iter().position(|p| self.is_header(p));
        let from = match place {
            KeyPlace::Query => hi.map(|i| headers[i].clone()),
            KeyPlace::Header => qi.map(|i| query[i].clone()),
        };
        let (rows, at, name) = match place {
            KeyPlace::Query => (&mut *query, qi, &self.query),
            KeyPlace::Header => (&mut *headers, hi, &self.header),
        };
        let at = at.unwrap_or_else(|| {
            rows.push(Param::new(name.clone(), "").secret());
            rows.len() - 1
        });
        let row = &mut rows[at];
        row.enabled = true;
        if let Some(from) = from {
            if !from.value.trim().is_empty() {
                row.value = from.value;
            }
            row.secret |= from.secret;
            row.required |= from.required;
        }
        match place {
            KeyPlace::Query => hi.into_iter().for_each(|i| headers[i].enabled = false),
            KeyPlace::Header => qi.into_iter().for_each(|i| query[i].enabled = false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported() -> (Vec<Param>, Vec<Param>) {
        let mut h = Param::new(DEFAULT_HEADER, "").secret();
        h.enabled = false;
        (vec![Param::new("a", "1"), Param::new(DEFAULT_QUERY, "").secret().required()], vec![h])
    }

    #[test]
    fn test_a_key_in_the_header_leaves_the_empty_query_place_unsent() {
        let names = SubscriptionKeyNames::default();
        let (mut q, mut h) = imported();
        h[0] = Param::new("ocp-apim-subscription-key", "k");
        names.settle(&mut q, &mut h);
        assert!(!q[1].enabled, "the empty query place is not sent");
        assert!(q[0].enabled, "other rows are untouched");
        assert_eq!(names.place(&q, &h), Some(KeyPlace::Header));
    }

    #[test]
    fn test_a_key_in_the_query_leaves_the_empty_header_place_unsent() {
        let names = SubscriptionKeyNames::default();
        let (mut q, mut h) = imported();
        q[1].value = "k".into();
        h[0].enabled = true;
        names.settle(&mut q, &mut h);
        assert!(q[1].enabled && !h[0].enabled);
        assert_eq!(names.place(&q, &h), Some(KeyPlace::Query));
    }

    #[test]
    fn test_with_no_key_anywhere_nothing_changes() {
        let names = SubscriptionKeyNames::default();
        let (mut q, mut h) = imported();
        let before = (q.clone(), h.clone());
        names.settle(&mut q, &mut h);
        assert_eq!((q.clone(), h.clone()), before, "the required query row stays, to be reported missing");
        assert_eq!(names.place(&q, &h), Some(KeyPlace::Query));
    }

    #[test]
    fn test_moving_the_key_carries_its_value_and_flags() {
        let names = SubscriptionKeyNames { query: "key".into(), header: "X-Key".into() };
        let mut q = vec![Param::new("key", "${env:K}").secret().required()];
        let mut h = Vec::new();
        names.move_to(KeyPlace::Header, &mut q, &mut h);
        assert_eq!(h, vec![Param::new("X-Key", "${env:K}").secret().required()]);
        assert!(!q[0].enabled);
        assert_eq!(names.place(&q, &h), Some(KeyPlace::Header));
        names.move_to(KeyPlace::Query, &mut q, &mut h);
        assert!(q[0].enabled && !h[0].enabled);
        assert_eq!(names.place(&q, &h), Some(KeyPlace::Query));
    }
}
