//! The subscription topic tree: which subscriptions match a published topic name.
//!
//! [`TopicTree`] owns a trie of topic-filter levels and answers "who subscribed to this topic?"
//! under MQTT's rules: `+` matches exactly one level, `#` matches its parent level and everything
//! below, filters that start with a wildcard do not match topics that start with `$`, empty levels
//! are levels, and a shared subscription `$share/{group}/{filter}` delivers each message to one
//! member of its group, round robin.
//!
//! It must not know about sessions, QoS or I/O: the subscriber key `S` and the per-subscription data
//! `D` are opaque. The broker wraps the tree in a `std::sync::RwLock`; matching takes `&self`, so
//! many publishers match at once.
//!
//! Every walk is a loop over an explicit stack, never recursion, so the longest filter or topic MQTT
//! allows (65 535 bytes: up to 65 536 empty levels) cannot overflow the thread's stack (a test
//! builds them). Matching keeps its pending
//! branches in a fixed inline stack and touches the heap only past [`INLINE_FRAMES`] of them.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many pending branches a match keeps inline before it spills to the heap.
pub(crate) const INLINE_FRAMES: usize = 32;

/// The prefix that marks a shared subscription (`$share/{group}/{filter}`).
const SHARE_PREFIX: &str = "$share/";

/// The subscriptions of every client, arranged by topic-filter level.
///
/// `S` identifies a subscriber (the broker uses a small `Arc` wrapper compared by pointer) and `D`
/// is what the broker keeps per subscription (QoS, no-local, retain-as-published, identifier).
pub struct TopicTree<S, D> {
    root: Node<S, D>,
    len: usize,
}

/// One filter level. `+` and `#` children sit in their own fields so matching never hashes them.
struct Node<S, D> {
    children: HashMap<Box<str>, Node<S, D>>,
    plus: Option<Box<Node<S, D>>>,
    hash: Option<Box<Node<S, D>>>,
    /// Ordinary subscriptions whose filter ends at this node.
    subscribers: HashMap<S, D>,
    /// Shared subscriptions whose real filter ends at this node, one entry per group name.
    groups: Vec<Group<S, D>>,
}

/// The members of one shared-subscription group on one filter.
struct Group<S, D> {
    name: Box<str>,
    /// A `Vec` so the round-robin cursor can index it; groups are small.
    members: Vec<(S, D)>,
    /// Atomic so that matching can advance it through `&self` while holding only a read lock.
    cursor: AtomicUsize,
}

impl<S: Clone + Eq + Hash, D> TopicTree<S, D> {
    /// Makes an empty tree.
    pub fn new() -> Self {
        Self {
            root: Node::new(),
            len: 0,
        }
    }

    /// Adds `subscriber`'s subscription to `filter`, or replaces it if it already has one.
    ///
    /// Returns the replaced data, as MQTT asks of a repeated SUBSCRIBE (MQTT-3.8.4-3). A filter
    /// `$share/{group}/{real-filter}` joins group `group` on `real-filter`; membership in a group is
    /// independent of an ordinary subscription to the same real filter.
    pub fn subscribe(&mut self, filter: &str, subscriber: S, data: D) -> Option<D> {
        let (group, path) = split_shared(filter);
        // Walk first without inserting: inserting allocates a key per level even where it exists.
        let node = match self.root.descend_mut(path) {
            Some(node) => node,
            None => self.root.descend_or_insert(path),
        };
        let previous = match group {
            None => node.subscribers.insert(subscriber, data),
            Some(name) => node.join_group(name, subscriber, data),
        };
        if previous.is_none() {
            self.len += 1;
        }
        previous
    }

    /// Removes `subscriber`'s subscription to `filter` (written as it was subscribed, with any
    /// `$share/{group}/` prefix) and returns its data, or `None` if there was none.
    ///
    /// Nodes left with neither subscriptions nor children are removed, so churn does not grow the
    /// tree.
    pub fn unsubscribe(&mut self, filter: &str, subscriber: &S) -> Option<D> {
        let (group, path) = split_shared(filter);
        let node = self.root.descend_mut(path)?;
        let removed = match group {
            None => node.subscribers.remove(subscriber),
            Some(name) => node.leave_group(name, subscriber),
        }?;
        self.len -= 1;
        if node.is_empty() {
            self.root.prune(path);
        }
        Some(removed)
    }

    /// Calls `f` once for every subscription whose filter matches `topic`.
    ///
    /// A subscriber with two overlapping filters is called twice (the broker merges). For each
    /// matching shared-subscription group only one member is called, chosen round robin. The
    /// order of calls is unspecified.
    pub fn for_each_match(&self, topic: &str, mut f: impl FnMut(&S, &D)) {
        let mut pending: InlineStack<(&Node<S, D>, Option<&str>), INLINE_FRAMES> =
            InlineStack::new();
        let (first, rest) = split_level(topic);
        // MQTT-4.7.2-1: a filter starting with a wildcard does not match a topic starting with `$`.
        let wildcards = !first.starts_with('$');
        self.root.step(first, rest, wildcards, &mut pending, &mut f);
        while let Some((node, remaining)) = pending.pop() {
            match remaining {
                Some(levels) => {
                    let (level, rest) = split_level(levels);
                    node.step(level, rest, true, &mut pending, &mut f);
                }
                None => {
                    node.deliver(&mut f);
                    // `a/#` also matches `a` itself.
                    if let Some(hash) = &node.hash {
                        hash.deliver(&mut f);
                    }
                }
            }
        }
    }

    /// The number of subscriptions, counting each shared-group member once.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree holds no subscription.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every subscription as (filter as subscribed, with any `$share/{group}/` prefix; subscriber;
    /// data), in no particular order. Meant for the admin API: it builds the list up front.
    pub fn iter(&self) -> impl Iterator<Item = (String, &S, &D)> + '_ {
        let mut out = Vec::with_capacity(self.len);
        // Paths are built with a leading `/` so that an empty first level needs no special case.
        let mut path = String::new();
        let mut pending: Vec<(&Node<S, D>, usize, &str)> = Vec::new();
        self.root.push_children(0, &mut pending);
        while let Some((node, parent_len, level)) = pending.pop() {
            path.truncate(parent_len);
            path.push('/');
            path.push_str(level);
            let filter = path.get(1..).unwrap_or_default();
            for (subscriber, data) in &node.subscribers {
                out.push((filter.to_owned(), subscriber, data));
            }
            for group in &node.groups {
                for (subscriber, data) in &group.members {
                    out.push((
                        format!("{SHARE_PREFIX}{}/{filter}", group.name),
                        subscriber,
                        data,
                    ));
                }
            }
            node.push_children(path.len(), &mut pending);
        }
        out.into_iter()
    }
}

impl<S: Clone + Eq + Hash, D> Default for TopicTree<S, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, D> fmt::Debug for TopicTree<S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicTree")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<S, D> Node<S, D> {
    fn new() -> Self {
        Self {
            children: HashMap::new(),
            plus: None,
            hash: None,
            subscribers: HashMap::new(),
            groups: Vec::new(),
        }
    }

    fn child(&self, level: &str) -> Option<&Self> {
        match level {
            "+" => self.plus.as_deref(),
            "#" => self.hash.as_deref(),
            _ => self.children.get(level),
        }
    }

    fn child_mut(&mut self, level: &str) -> Option<&mut Self> {
        match level {
            "+" => self.plus.as_deref_mut(),
            "#" => self.hash.as_deref_mut(),
            _ => self.children.get_mut(level),
        }
    }

    fn child_or_insert(&mut self, level: &str) -> &mut Self {
        match level {
            "+" => self.plus.get_or_insert_with(Box::default),
            "#" => self.hash.get_or_insert_with(Box::default),
            _ => self.children.entry(level.into()).or_default(),
        }
    }

    fn descend_mut(&mut self, path: &str) -> Option<&mut Self> {
        let mut node = self;
        for level in path.split('/') {
            node = node.child_mut(level)?;
        }
        Some(node)
    }

    fn descend_or_insert(&mut self, path: &str) -> &mut Self {
        let mut node = self;
        for level in path.split('/') {
            node = node.child_or_insert(level);
        }
        node
    }

    fn child_count(&self) -> usize {
        self.children.len() + usize::from(self.plus.is_some()) + usize::from(self.hash.is_some())
    }

    fn has_subscriptions(&self) -> bool {
        !self.subscribers.is_empty() || !self.groups.is_empty()
    }

    fn is_empty(&self) -> bool {
        !self.has_subscriptions() && self.child_count() == 0
    }

    /// Removes the chain of nodes that exists only to lead to the empty node at `path`.
    ///
    /// Does nothing unless `path` leads to a node with no subscriptions and no children.
    fn prune(&mut self, path: &str) {
        let Some(keep) = self.prune_depth(path) else {
            return;
        };
        let mut levels = path.split('/');
        let mut node = self;
        for level in levels.by_ref().take(keep) {
            match node.child_mut(level) {
                Some(child) => node = child,
                None => return,
            }
        }
        if let Some(level) = levels.next() {
            match level {
                "+" => drop(node.plus.take()),
                "#" => drop(node.hash.take()),
                _ => drop(node.children.remove(level)),
            }
        }
    }

    /// The depth of the deepest node on `path` that must stay (the root, or a node with
    /// subscriptions or other children), if `path` ends at an empty node.
    fn prune_depth(&self, path: &str) -> Option<usize> {
        let mut node = self;
        let mut keep = 0;
        for (depth, level) in path.split('/').enumerate() {
            if depth > 0 && (node.has_subscriptions() || node.child_count() > 1) {
                keep = depth;
            }
            node = node.child(level)?;
        }
        node.is_empty().then_some(keep)
    }

    /// Pushes every child as (child, `parent_len`, level) for the listing walk in `iter`.
    fn push_children<'a>(&'a self, parent_len: usize, out: &mut Vec<(&'a Self, usize, &'a str)>) {
        out.extend(self.children.iter().map(|(k, c)| (c, parent_len, &**k)));
        out.extend(self.plus.as_deref().map(|c| (c, parent_len, "+")));
        out.extend(self.hash.as_deref().map(|c| (c, parent_len, "#")));
    }

    /// Takes this node's children out so that dropping it does not recurse.
    fn take_children(&mut self, out: &mut Vec<Self>) {
        out.extend(self.children.drain().map(|(_, child)| child));
        out.extend(self.plus.take().map(|child| *child));
        out.extend(self.hash.take().map(|child| *child));
    }
}

impl<S, D> Default for Node<S, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Eq + Hash, D> Node<S, D> {
    /// Matches one topic `level` at this node: delivers to `#`, queues `+` and the literal child.
    fn step<'a, F: FnMut(&S, &D)>(
        &'a self,
        level: &str,
        rest: Option<&'a str>,
        wildcards: bool,
        pending: &mut InlineStack<(&'a Self, Option<&'a str>), INLINE_FRAMES>,
        f: &mut F,
    ) {
        if wildcards {
            if let Some(hash) = &self.hash {
                hash.deliver(f);
            }
            if let Some(plus) = &self.plus {
                pending.push((plus, rest));
            }
        }
        if let Some(child) = self.children.get(level) {
            pending.push((child, rest));
        }
    }

    /// Calls `f` for every ordinary subscription here and one member of each group.
    fn deliver<F: FnMut(&S, &D)>(&self, f: &mut F) {
        for (subscriber, data) in &self.subscribers {
            f(subscriber, data);
        }
        for group in &self.groups {
            if let Some((subscriber, data)) = group.next_member() {
                f(subscriber, data);
            }
        }
    }

    fn join_group(&mut self, name: &str, subscriber: S, data: D) -> Option<D> {
        if let Some(group) = self.groups.iter_mut().find(|g| &*g.name == name) {
            return group.upsert(subscriber, data);
        }
        self.groups.push(Group {
            name: name.into(),
            members: vec![(subscriber, data)],
            cursor: AtomicUsize::new(0),
        });
        None
    }

    fn leave_group(&mut self, name: &str, subscriber: &S) -> Option<D> {
        let index = self.groups.iter().position(|g| &*g.name == name)?;
        let group = self.groups.get_mut(index)?;
        let member = group.members.iter().position(|(s, _)| s == subscriber)?;
        let (_, data) = group.members.remove(member);
        if group.members.is_empty() {
            self.groups.swap_remove(index);
        }
        Some(data)
    }
}

impl<S, D> Drop for Node<S, D> {
    /// Drops the subtree with a loop: the default drop glue recurses once per level.
    fn drop(&mut self) {
        if self.child_count() == 0 {
            return;
        }
        let mut doomed = Vec::new();
        self.take_children(&mut doomed);
        while let Some(mut node) = doomed.pop() {
            node.take_children(&mut doomed);
        }
    }
}

impl<S: Eq, D> Group<S, D> {
    fn upsert(&mut self, subscriber: S, data: D) -> Option<D> {
        if let Some((_, slot)) = self.members.iter_mut().find(|(s, _)| *s == subscriber) {
            return Some(mem::replace(slot, data));
        }
        self.members.push((subscriber, data));
        None
    }

    /// The member whose turn it is; advances the cursor.
    fn next_member(&self) -> Option<&(S, D)> {
        let count = self.members.len();
        if count == 0 {
            return None;
        }
        let turn = self.cursor.fetch_add(1, Ordering::Relaxed);
        self.members.get(turn % count)
    }
}

/// Splits `$share/{group}/{filter}` into (`Some(group)`, `filter`); any other filter, including a
/// malformed shared one, is returned whole as an ordinary filter.
fn split_shared(filter: &str) -> (Option<&str>, &str) {
    match filter
        .strip_prefix(SHARE_PREFIX)
        .and_then(|rest| rest.split_once('/'))
    {
        Some((group, real)) if !group.is_empty() => (Some(group), real),
        _ => (None, filter),
    }
}

/// Splits off the first level: `a/b/c` gives (`a`, `Some("b/c")`), `a` gives (`a`, `None`).
pub(crate) fn split_level(levels: &str) -> (&str, Option<&str>) {
    match levels.split_once('/') {
        Some((level, rest)) => (level, Some(rest)),
        None => (levels, None),
    }
}

/// A LIFO stack that keeps its first `N` items inline and spills the rest to the heap, so a walk
/// over a shallow tree does not allocate.
pub(crate) struct InlineStack<T, const N: usize> {
    inline: [Option<T>; N],
    len: usize,
    /// Holds items only while `inline` is full; they are above every inline item.
    spill: Vec<T>,
}

impl<T, const N: usize> InlineStack<T, N> {
    pub(crate) fn new() -> Self {
        Self {
            inline: [const { None }; N],
            len: 0,
            spill: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(item);
                self.len += 1;
            }
            None => self.spill.push(item),
        }
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        if let Some(item) = self.spill.pop() {
            return Some(item);
        }
        self.len = self.len.checked_sub(1)?;
        self.inline.get_mut(self.len)?.take()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// The matching rules written as plainly as possible, to check the tree against.
    pub(crate) fn naive_matches(filter: &str, topic: &str) -> bool {
        let filter: Vec<&str> = filter.split('/').collect();
        let topic: Vec<&str> = topic.split('/').collect();
        let starts_wild = matches!(filter.first(), Some(&"+") | Some(&"#"));
        if starts_wild && topic.first().is_some_and(|l| l.starts_with('$')) {
            return false;
        }
        for i in 0.. {
            match (filter.get(i), topic.get(i)) {
                (Some(&"#"), _) => return true,
                (Some(&"+"), Some(_)) => {}
                (Some(f), Some(t)) if f == t => {}
                (None, None) => return true,
                _ => return false,
            }
        }
        false
    }

    fn tree(filters: &[(&str, u32)]) -> TopicTree<u32, String> {
        let mut tree = TopicTree::new();
        for &(filter, subscriber) in filters {
            tree.subscribe(filter, subscriber, filter.to_owned());
        }
        tree
    }

    /// Every (subscriber, filter) called for `topic`, sorted.
    fn matches(tree: &TopicTree<u32, String>, topic: &str) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        tree.for_each_match(topic, |s, d| out.push((*s, d.clone())));
        out.sort();
        out
    }

    fn matched(tree: &TopicTree<u32, String>, topic: &str) -> bool {
        !matches(tree, topic).is_empty()
    }

    #[test]
    fn exact_filter_matches_only_its_own_topic() {
        let t = tree(&[("sport/tennis", 1)]);
        assert_eq!(matches(&t, "sport/tennis"), [(1, "sport/tennis".into())]);
        for topic in [
            "sport",
            "sport/tennis/x",
            "sport/Tennis",
            "sport/tennis/",
            "other",
        ] {
            assert!(!matched(&t, topic), "{topic}");
        }
    }

    #[test]
    fn plus_matches_exactly_one_level_mqtt_4_7_1_2() {
        let t = tree(&[("sport/tennis/+", 1)]);
        assert!(matched(&t, "sport/tennis/player1"));
        assert!(matched(&t, "sport/tennis/player2"));
        assert!(!matched(&t, "sport/tennis/player1/ranking"));
        assert!(!matched(&t, "sport/tennis"));
    }

    #[test]
    fn plus_matches_an_empty_level() {
        let t = tree(&[("sport/+", 1), ("+/+", 2), ("/+", 3), ("+", 4)]);
        assert_eq!(
            matches(&t, "sport/"),
            [(1, "sport/+".into()), (2, "+/+".into())]
        );
        assert!(!matches(&t, "sport").iter().any(|(s, _)| *s == 1));
        assert_eq!(
            matches(&t, "/finance"),
            [(2, "+/+".into()), (3, "/+".into())]
        );
        assert_eq!(matches(&t, "finance"), [(4, "+".into())]);
    }

    #[test]
    fn hash_matches_parent_and_every_level_below_mqtt_4_7_1_1() {
        let t = tree(&[("sport/tennis/player1/#", 1)]);
        for topic in [
            "sport/tennis/player1",
            "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon",
            "sport/tennis/player1/",
        ] {
            assert!(matched(&t, topic), "{topic}");
        }
        for topic in [
            "sport/tennis",
            "sport/tennis/player12",
            "sport/tennis/player2/x",
        ] {
            assert!(!matched(&t, topic), "{topic}");
        }
    }

    #[test]
    fn lone_hash_and_plus_hash_match_every_ordinary_topic() {
        let t = tree(&[("#", 1), ("+/#", 2)]);
        for topic in ["a", "a/b/c", "/", "/a", "a//"] {
            assert_eq!(matches(&t, topic).len(), 2, "{topic}");
        }
    }

    #[test]
    fn wildcard_first_filters_skip_dollar_topics_mqtt_4_7_2_1() {
        let t = tree(&[("#", 1), ("+/monitor/Clients", 2), ("+/#", 3), ("+", 4)]);
        assert!(!matched(&t, "$SYS/monitor/Clients"));
        assert!(!matched(&t, "$SYS"));
        assert!(!matched(&t, "$"));
        let t = tree(&[("$SYS/#", 1), ("$SYS/monitor/+", 2)]);
        assert_eq!(
            matches(&t, "$SYS/monitor/Clients"),
            [(1, "$SYS/#".into()), (2, "$SYS/monitor/+".into())]
        );
    }

    #[test]
    fn dollar_rule_applies_only_to_the_first_level() {
        let t = tree(&[("a/#", 1), ("a/+", 2), ("+/$x", 3)]);
        assert_eq!(matches(&t, "a/$x").len(), 3);
    }

    #[test]
    fn empty_levels_are_not_normalised_away_mqtt_4_7_3_4() {
        let t = tree(&[("a//b", 1), ("/a", 2), ("a/", 3)]);
        assert_eq!(matches(&t, "a//b"), [(1, "a//b".into())]);
        assert!(!matched(&t, "a/b"));
        assert_eq!(matches(&t, "/a"), [(2, "/a".into())]);
        assert!(!matched(&t, "a"));
        assert_eq!(matches(&t, "a/"), [(3, "a/".into())]);
    }

    #[test]
    fn repeated_subscribe_replaces_data_mqtt_3_8_4_3() {
        let mut t = TopicTree::new();
        assert_eq!(t.subscribe("a/+", 1, "first"), None);
        assert_eq!(t.subscribe("a/+", 1, "second"), Some("first"));
        assert_eq!(t.len(), 1);
        let mut seen = Vec::new();
        t.for_each_match("a/b", |s, d| seen.push((*s, *d)));
        assert_eq!(seen, [(1, "second")]);
    }

    #[test]
    fn overlapping_filters_call_back_once_per_subscription() {
        let t = tree(&[("a/+", 1), ("a/#", 1), ("a/b", 1), ("#", 2)]);
        assert_eq!(matches(&t, "a/b").len(), 4);
    }

    #[test]
    fn shared_group_delivers_each_message_to_one_member() {
        let t = tree(&[
            ("$share/g/a/+", 1),
            ("$share/g/a/+", 2),
            ("$share/g/a/+", 3),
        ]);
        for _ in 0..10 {
            assert_eq!(matches(&t, "a/b").len(), 1);
        }
        assert!(!matched(&t, "a"));
    }

    #[test]
    fn shared_group_round_robin_spreads_messages_evenly() {
        let t = tree(&[
            ("$share/g/a/#", 1),
            ("$share/g/a/#", 2),
            ("$share/g/a/#", 3),
        ]);
        let mut counts = BTreeMap::new();
        for _ in 0..300 {
            t.for_each_match("a/b", |s, _| *counts.entry(*s).or_insert(0) += 1);
        }
        assert_eq!(counts, BTreeMap::from([(1, 100), (2, 100), (3, 100)]));
    }

    #[test]
    fn each_group_and_each_shared_filter_gets_its_own_pick() {
        let t = tree(&[
            ("$share/g/a/+", 1),
            ("$share/g/a/+", 2),
            ("$share/h/a/+", 1),
            ("$share/g/a/#", 3),
        ]);
        let mut picked: Vec<String> = matches(&t, "a/b").into_iter().map(|(_, d)| d).collect();
        picked.sort();
        assert_eq!(picked, ["$share/g/a/#", "$share/g/a/+", "$share/h/a/+"]);
    }

    #[test]
    fn shared_and_ordinary_subscriptions_on_one_filter_are_independent() {
        let mut t = tree(&[("$share/g/a", 1), ("a", 1)]);
        assert_eq!(t.len(), 2);
        assert_eq!(matches(&t, "a").len(), 2);
        assert_eq!(t.unsubscribe("a", &1), Some("a".into()));
        assert_eq!(matches(&t, "a"), [(1, "$share/g/a".into())]);
        assert_eq!(t.unsubscribe("$share/g/a", &1), Some("$share/g/a".into()));
        assert!(t.is_empty());
    }

    #[test]
    fn shared_filter_starting_with_wildcard_skips_dollar_topics_mqtt_4_7_2_1() {
        let t = tree(&[("$share/g/#", 1)]);
        assert!(!matched(&t, "$SYS/x"));
        assert!(matched(&t, "x"));
    }

    #[test]
    fn unsubscribe_returns_data_and_prunes_back_to_an_empty_root() {
        let filters = [
            "a/b/c",
            "a/+/c",
            "a/#",
            "#",
            "+",
            "/",
            "a//b",
            "$share/g/a/b",
            "$SYS/x",
        ];
        let mut t = TopicTree::new();
        for (i, f) in filters.iter().enumerate() {
            t.subscribe(f, 7, i);
        }
        for (i, f) in filters.iter().enumerate() {
            assert_eq!(t.unsubscribe(f, &7), Some(i), "{f}");
        }
        assert!(t.is_empty());
        assert!(t.root.is_empty());
    }

    #[test]
    fn unsubscribe_of_a_prefix_or_stranger_keeps_deeper_subscriptions() {
        let mut t = tree(&[("a/b/c", 1), ("$share/g/a/b/c", 1)]);
        assert_eq!(t.unsubscribe("a/b", &1), None);
        assert_eq!(t.unsubscribe("a/b/c", &2), None);
        assert_eq!(t.unsubscribe("$share/h/a/b/c", &1), None);
        assert_eq!(t.unsubscribe("$share/g/a/b/c", &2), None);
        assert_eq!(t.unsubscribe("a/b/c/d", &1), None);
        assert_eq!(t.len(), 2);
        assert_eq!(matches(&t, "a/b/c").len(), 2);
    }

    #[test]
    fn iter_lists_filters_as_subscribed() {
        let filters = [
            ("a/+/#", 1),
            ("/", 2),
            ("$share/g/+/x", 3),
            ("$share/g/+/x", 4),
            ("a", 5),
        ];
        let t = tree(&filters);
        let listed: BTreeSet<(String, u32)> = t.iter().map(|(f, s, _)| (f, *s)).collect();
        let expected = filters.iter().map(|(f, s)| (f.to_string(), *s)).collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn malformed_filters_neither_panic_nor_linger() {
        let filters = [
            "",
            "$share/",
            "$share//a",
            "$share/g",
            "$share/g/",
            "a/#/b",
            "#/#",
            "++",
        ];
        let mut t = TopicTree::new();
        for f in filters {
            t.subscribe(f, 1, f.to_owned());
        }
        for topic in ["", "a", "a/#/b", "$share/g", "g", "++"] {
            matches(&t, topic);
        }
        let listed: BTreeSet<String> = t.iter().map(|(f, _, _)| f).collect();
        assert_eq!(listed, filters.iter().map(|f| f.to_string()).collect());
        for f in filters {
            assert_eq!(t.unsubscribe(f, &1).as_deref(), Some(f));
        }
        assert!(t.root.is_empty());
    }

    #[test]
    fn deepest_possible_filters_do_not_overflow_the_stack() {
        let deep = "+/".repeat(32_767) + "+";
        let topic = "a/".repeat(32_767) + "a";
        let mut t = TopicTree::new();
        t.subscribe(&deep, 1, 1);
        t.subscribe(&topic, 2, 2);
        let mut seen = Vec::new();
        t.for_each_match(&topic, |s, _| seen.push(*s));
        seen.sort_unstable();
        assert_eq!(seen, [1, 2]);
        assert_eq!(t.iter().count(), 2);
        assert_eq!(t.unsubscribe(&deep, &1), Some(1));
        let empties = "/".repeat(65_535);
        t.subscribe(&empties, 3, 3);
        t.subscribe("#", 4, 4);
        let mut seen = Vec::new();
        t.for_each_match(&empties, |s, _| seen.push(*s));
        seen.sort_unstable();
        assert_eq!(seen, [3, 4]);
        drop(t);
    }

    #[test]
    fn inline_stack_spills_and_stays_last_in_first_out() {
        let mut stack: InlineStack<usize, 4> = InlineStack::new();
        for i in 0..10 {
            stack.push(i);
        }
        stack.push(10);
        assert_eq!(stack.pop(), Some(10));
        let rest: Vec<usize> = std::iter::from_fn(|| stack.pop()).collect();
        assert_eq!(rest, (0..10).rev().collect::<Vec<_>>());
    }

    #[test]
    fn naive_matcher_agrees_with_the_spec_examples() {
        assert!(naive_matches("sport/#", "sport"));
        assert!(naive_matches("+/+", "/finance"));
        assert!(!naive_matches("+", "/finance"));
        assert!(!naive_matches("#", "$SYS/x"));
        assert!(naive_matches("$SYS/#", "$SYS/x"));
    }

    /// Levels from a small alphabet, so generated filters and topics collide often.
    fn topic_level() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["a", "b", "", "$s"])
    }

    pub(crate) fn topic_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(topic_level(), 1..5).prop_map(|levels| levels.join("/"))
    }

    pub(crate) fn filter_strategy() -> impl Strategy<Value = String> {
        let level = prop_oneof![3 => topic_level(), 1 => Just("+")];
        (prop::collection::vec(level, 0..5), any::<bool>()).prop_filter_map(
            "a filter has at least one level",
            |(mut levels, hash)| {
                if hash {
                    levels.push("#");
                }
                (!levels.is_empty()).then(|| levels.join("/"))
            },
        )
    }

    /// A subscription as subscribed: (subscriber, optional group, real filter).
    fn subscription() -> impl Strategy<Value = (u32, Option<&'static str>, String)> {
        let group = prop::option::of(prop::sample::select(vec!["g", "h"]));
        (0u32..4, group, filter_strategy())
    }

    fn full_filter(group: Option<&str>, real: &str) -> String {
        group.map_or_else(|| real.to_owned(), |g| format!("$share/{g}/{real}"))
    }

    proptest! {
        #[test]
        fn matching_agrees_with_the_naive_matcher(
            subs in prop::collection::vec(subscription(), 0..24),
            topics in prop::collection::vec(topic_strategy(), 1..8),
        ) {
            let mut t = TopicTree::new();
            let mut members: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
            for (s, group, real) in &subs {
                let full = full_filter(*group, real);
                t.subscribe(&full, *s, full.clone());
                members.entry(full).or_default().insert(*s);
            }
            for topic in &topics {
                let mut expected = Vec::new();
                for (full, subscribers) in &members {
                    let (group, real) = split_shared(full);
                    if !naive_matches(real, topic) {
                        continue;
                    }
                    match group {
                        None => expected.extend(subscribers.iter().map(|s| (Some(*s), full.clone()))),
                        Some(_) => expected.push((None, full.clone())),
                    }
                }
                expected.sort();
                let mut actual = Vec::new();
                t.for_each_match(topic, |s, full| {
                    let shared = full.starts_with(SHARE_PREFIX);
                    if shared {
                        assert!(members[full].contains(s), "{s} is not in {full}");
                    }
                    actual.push(((!shared).then_some(*s), full.clone()));
                });
                actual.sort();
                prop_assert_eq!(actual, expected, "topic {:?}", topic);
            }
        }

        #[test]
        fn subscribe_and_unsubscribe_follow_a_map_model_and_prune(
            ops in prop::collection::vec((any::<bool>(), subscription(), 0u32..100), 0..48),
        ) {
            let mut t = TopicTree::new();
            let mut model: BTreeMap<(String, u32), u32> = BTreeMap::new();
            for (is_subscribe, (s, group, real), data) in ops {
                let full = full_filter(group, &real);
                if is_subscribe {
                    let got = t.subscribe(&full, s, data);
                    prop_assert_eq!(got, model.insert((full, s), data));
                } else {
                    let got = t.unsubscribe(&full, &s);
                    prop_assert_eq!(got, model.remove(&(full, s)));
                }
                prop_assert_eq!(t.len(), model.len());
            }
            let listed: BTreeMap<(String, u32), u32> =
                t.iter().map(|(f, s, d)| ((f, *s), *d)).collect();
            prop_assert_eq!(&listed, &model);
            for ((full, s), data) in model {
                prop_assert_eq!(t.unsubscribe(&full, &s), Some(data));
            }
            prop_assert!(t.is_empty());
            prop_assert!(t.root.is_empty());
        }
    }
}
