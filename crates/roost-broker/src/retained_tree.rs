//! Retained messages, kept by topic name so a new subscription finds the ones its filter matches.
//!
//! [`RetainedTree`] maps topic names (no wildcards) to a value, the broker's retained message, in a
//! trie of topic levels. It promises the same matching rules as the subscription tree (`+`, `#`,
//! empty levels, and no `$`-topic for a filter that starts with a wildcard, MQTT-4.7.2-1), seen
//! from the other side: one filter against many stored topics.
//!
//! It must not know about messages, expiry clocks or storage: the value `V` is opaque and expiry is
//! the caller's predicate passed to [`RetainedTree::retain`]. Like the subscription tree it walks
//! with explicit stacks and drops iteratively, so no topic depth can overflow the thread's stack.

use std::collections::HashMap;
use std::fmt;

use crate::topic_tree::{split_level, InlineStack, INLINE_FRAMES};

/// Retained values by topic name.
pub struct RetainedTree<V> {
    root: Node<V>,
    len: usize,
}

/// One topic level: the value retained at exactly this topic, if any, and the levels below.
struct Node<V> {
    children: HashMap<Box<str>, Node<V>>,
    value: Option<V>,
}

/// What the rest of a filter asks of a node reached while matching.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// These levels still have to match (`None`: the filter ends at this node).
    Levels(Option<&'a str>),
    /// A `#` was passed: the node and everything below it.
    Everything,
}

/// A node waiting to be visited while matching: its level is appended to the path at `parent_len`.
struct Frame<'a, V> {
    node: &'a Node<V>,
    parent_len: usize,
    level: &'a str,
    want: Want<'a>,
}

impl<V> RetainedTree<V> {
    /// Makes an empty tree.
    pub fn new() -> Self {
        Self {
            root: Node::new(),
            len: 0,
        }
    }

    /// Stores `value` under `topic` and returns the value it replaces, if any.
    pub fn insert(&mut self, topic: &str, value: V) -> Option<V> {
        // Walk first without inserting: inserting allocates a key per level even where it exists.
        let node = match self.root.descend_mut(topic) {
            Some(node) => node,
            None => self.root.descend_or_insert(topic),
        };
        let previous = node.value.replace(value);
        if previous.is_none() {
            self.len += 1;
        }
        previous
    }

    /// Removes and returns the value under `topic`, pruning levels that no longer lead anywhere.
    pub fn remove(&mut self, topic: &str) -> Option<V> {
        let node = self.root.descend_mut(topic)?;
        let removed = node.value.take()?;
        self.len -= 1;
        if node.children.is_empty() {
            self.root.prune(topic);
        }
        Some(removed)
    }

    /// The value under exactly `topic`.
    pub fn get(&self, topic: &str) -> Option<&V> {
        self.root.descend(topic)?.value.as_ref()
    }

    /// The number of retained values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no value is retained.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `f` with (topic, value) for every retained topic that `filter` matches, in no
    /// particular order. The topic is built in one buffer reused for the whole walk.
    pub fn for_each_matching(&self, filter: &str, mut f: impl FnMut(&str, &V)) {
        // Paths are built with a leading `/` so that an empty first level needs no special case.
        let mut path = String::new();
        let mut pending: InlineStack<Frame<'_, V>, INLINE_FRAMES> = InlineStack::new();
        self.root
            .expand(Want::Levels(Some(filter)), true, 0, &mut pending);
        while let Some(frame) = pending.pop() {
            path.truncate(frame.parent_len);
            path.push('/');
            path.push_str(frame.level);
            if let (true, Some(value)) = (frame.want.takes_node(), &frame.node.value) {
                f(path.get(1..).unwrap_or_default(), value);
            }
            frame
                .node
                .expand(frame.want, false, path.len(), &mut pending);
        }
    }

    /// Keeps only the values for which `keep` returns true, pruning levels left empty; `keep` may
    /// also change a value it keeps. Meant for dropping expired messages.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        let mut emptied = Vec::new();
        let mut removed = 0;
        let mut path = String::new();
        let mut pending: Vec<(&mut Node<V>, usize, &str)> = Vec::new();
        pending.extend(self.root.children.iter_mut().map(|(k, c)| (c, 0, &**k)));
        while let Some((node, parent_len, level)) = pending.pop() {
            path.truncate(parent_len);
            path.push('/');
            path.push_str(level);
            let topic = path.get(1..).unwrap_or_default();
            if node.value.as_mut().is_some_and(|v| !keep(topic, v)) {
                node.value = None;
                removed += 1;
                if node.children.is_empty() {
                    emptied.push(topic.to_owned());
                }
            }
            let len = path.len();
            pending.extend(node.children.iter_mut().map(|(k, c)| (c, len, &**k)));
        }
        self.len -= removed;
        // Pruning an emptied leaf removes only nodes that led to it alone, never another leaf.
        for topic in &emptied {
            self.root.prune(topic);
        }
    }

    /// Every (topic, value), in no particular order. It builds the list up front.
    pub fn iter(&self) -> impl Iterator<Item = (String, &V)> + '_ {
        let mut out = Vec::with_capacity(self.len);
        let mut path = String::new();
        let mut pending: Vec<(&Node<V>, usize, &str)> = Vec::new();
        pending.extend(self.root.children.iter().map(|(k, c)| (c, 0, &**k)));
        while let Some((node, parent_len, level)) = pending.pop() {
            path.truncate(parent_len);
            path.push('/');
            path.push_str(level);
            if let Some(value) = &node.value {
                out.push((path.get(1..).unwrap_or_default().to_owned(), value));
            }
            let len = path.len();
            pending.extend(node.children.iter().map(|(k, c)| (c, len, &**k)));
        }
        out.into_iter()
    }
}

impl<V> Default for RetainedTree<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> fmt::Debug for RetainedTree<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetainedTree")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Want<'_> {
    /// Whether the node itself is matched, not only nodes below it (`a/#` matches `a`).
    fn takes_node(self) -> bool {
        match self {
            Want::Everything | Want::Levels(None) => true,
            Want::Levels(Some(levels)) => split_level(levels).0 == "#",
        }
    }
}

impl<V> Node<V> {
    fn new() -> Self {
        Self {
            children: HashMap::new(),
            value: None,
        }
    }

    fn descend(&self, topic: &str) -> Option<&Self> {
        let mut node = self;
        for level in topic.split('/') {
            node = node.children.get(level)?;
        }
        Some(node)
    }

    fn descend_mut(&mut self, topic: &str) -> Option<&mut Self> {
        let mut node = self;
        for level in topic.split('/') {
            node = node.children.get_mut(level)?;
        }
        Some(node)
    }

    fn descend_or_insert(&mut self, topic: &str) -> &mut Self {
        let mut node = self;
        for level in topic.split('/') {
            node = node.children.entry(level.into()).or_default();
        }
        node
    }

    /// Queues the children that `want` leads to. At the root a wildcard skips `$` levels
    /// (MQTT-4.7.2-1).
    fn expand<'a>(
        &'a self,
        want: Want<'a>,
        at_root: bool,
        path_len: usize,
        pending: &mut InlineStack<Frame<'a, V>, INLINE_FRAMES>,
    ) {
        let (level, next) = match want {
            Want::Levels(None) => return,
            Want::Levels(Some(levels)) => split_level(levels),
            Want::Everything => ("#", None),
        };
        let want = match level {
            "#" => Want::Everything,
            "+" => Want::Levels(next),
            _ => {
                if let Some((key, node)) = self.children.get_key_value(level) {
                    let want = Want::Levels(next);
                    pending.push(Frame {
                        node,
                        parent_len: path_len,
                        level: key,
                        want,
                    });
                }
                return;
            }
        };
        for (key, node) in &self.children {
            if !(at_root && key.starts_with('$')) {
                pending.push(Frame {
                    node,
                    parent_len: path_len,
                    level: key,
                    want,
                });
            }
        }
    }

    /// Removes the chain of nodes that exists only to lead to the empty leaf at `topic`.
    ///
    /// Does nothing unless `topic` leads to a node with no value and no children.
    fn prune(&mut self, topic: &str) {
        let Some(keep) = self.prune_depth(topic) else {
            return;
        };
        let mut levels = topic.split('/');
        let mut node = self;
        for level in levels.by_ref().take(keep) {
            match node.children.get_mut(level) {
                Some(child) => node = child,
                None => return,
            }
        }
        if let Some(level) = levels.next() {
            node.children.remove(level);
        }
    }

    /// The depth of the deepest node on `topic` that must stay (the root, or a node with a value
    /// or other children), if `topic` ends at an empty leaf.
    fn prune_depth(&self, topic: &str) -> Option<usize> {
        let mut node = self;
        let mut keep = 0;
        for (depth, level) in topic.split('/').enumerate() {
            if depth > 0 && (node.value.is_some() || node.children.len() > 1) {
                keep = depth;
            }
            node = node.children.get(level)?;
        }
        (node.value.is_none() && node.children.is_empty()).then_some(keep)
    }
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Drop for Node<V> {
    /// Drops the subtree with a loop: the default drop glue recurses once per level.
    fn drop(&mut self) {
        if self.children.is_empty() {
            return;
        }
        let mut doomed: Vec<Self> = self.children.drain().map(|(_, c)| c).collect();
        while let Some(mut node) = doomed.pop() {
            doomed.extend(node.children.drain().map(|(_, c)| c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topic_tree::tests::{filter_strategy, naive_matches, topic_strategy};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn tree(topics: &[&str]) -> RetainedTree<String> {
        let mut tree = RetainedTree::new();
        for topic in topics {
            tree.insert(topic, topic.to_string());
        }
        tree
    }

    /// The topics `filter` matches, checking that each value was stored under the topic reported.
    fn matching(tree: &RetainedTree<String>, filter: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        tree.for_each_matching(filter, |topic, value| {
            assert_eq!(topic, value);
            assert!(out.insert(topic.to_owned()), "{topic} reported twice");
        });
        out
    }

    fn set(topics: &[&str]) -> BTreeSet<String> {
        topics.iter().map(|t| t.to_string()).collect()
    }

    /// Every node but the root holds a value or leads to one.
    fn assert_no_empty_nodes<V>(node: &Node<V>, is_root: bool) {
        assert!(is_root || node.value.is_some() || !node.children.is_empty());
        node.children
            .values()
            .for_each(|c| assert_no_empty_nodes(c, false));
    }

    #[test]
    fn insert_returns_the_replaced_value_and_get_finds_it() {
        let mut t = RetainedTree::new();
        assert_eq!(t.insert("a/b", 1), None);
        assert_eq!(t.insert("a/b", 2), Some(1));
        assert_eq!(t.get("a/b"), Some(&2));
        assert_eq!(t.len(), 1);
        assert_eq!(t.get("a"), None);
        assert_eq!(t.get("a/b/c"), None);
        assert_eq!(t.get("a/+"), None);
    }

    #[test]
    fn remove_returns_the_value_and_prunes_to_an_empty_root() {
        let topics = ["a/b/c", "a/b", "a", "/", "a//b", "$SYS/x", "x/y/z"];
        let mut t = tree(&topics);
        for topic in topics {
            assert_eq!(t.remove(topic).as_deref(), Some(topic));
            assert_no_empty_nodes(&t.root, true);
        }
        assert!(t.is_empty());
        assert!(t.root.children.is_empty());
    }

    #[test]
    fn remove_of_an_interior_or_missing_topic_keeps_the_others() {
        let mut t = tree(&["a", "a/b/c"]);
        assert_eq!(t.remove("a/b"), None);
        assert_eq!(t.remove("a/b/c/d"), None);
        assert_eq!(t.remove("a").as_deref(), Some("a"));
        assert_eq!(t.get("a/b/c").map(String::as_str), Some("a/b/c"));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn plus_matches_exactly_one_level_mqtt_4_7_1_2() {
        let t = tree(&[
            "sport/tennis/p1",
            "sport/tennis/p1/ranking",
            "sport/",
            "sport",
        ]);
        assert_eq!(matching(&t, "sport/tennis/+"), set(&["sport/tennis/p1"]));
        assert_eq!(matching(&t, "sport/+"), set(&["sport/"]));
        assert_eq!(matching(&t, "+"), set(&["sport"]));
    }

    #[test]
    fn hash_matches_parent_and_every_level_below_mqtt_4_7_1_1() {
        let t = tree(&["sport", "sport/tennis", "sport/tennis/p1", "sports", "x"]);
        let sport = set(&["sport", "sport/tennis", "sport/tennis/p1"]);
        assert_eq!(matching(&t, "sport/#"), sport);
        assert_eq!(matching(&t, "#").len(), 5);
        assert_eq!(matching(&t, "sport/tennis/p1/#"), set(&["sport/tennis/p1"]));
    }

    #[test]
    fn wildcard_first_filters_skip_dollar_topics_mqtt_4_7_2_1() {
        let t = tree(&["$SYS/broker/uptime", "$SYS", "a/$b"]);
        assert_eq!(matching(&t, "#"), set(&["a/$b"]));
        assert_eq!(matching(&t, "+/broker/uptime"), set(&[]));
        assert_eq!(matching(&t, "+"), set(&[]));
        assert_eq!(matching(&t, "+/+"), set(&["a/$b"]));
        let sys = set(&["$SYS", "$SYS/broker/uptime"]);
        assert_eq!(matching(&t, "$SYS/#"), sys);
    }

    #[test]
    fn callback_gets_full_topics_with_empty_levels_mqtt_4_7_3_4() {
        let t = tree(&["/a", "a//b", "a/", "/"]);
        assert_eq!(matching(&t, "#"), set(&["/a", "a//b", "a/", "/"]));
        assert_eq!(matching(&t, "+/+"), set(&["/a", "a/", "/"]));
        assert_eq!(matching(&t, "a/+/b"), set(&["a//b"]));
    }

    #[test]
    fn retain_drops_rejected_values_updates_kept_ones_and_prunes() {
        let mut t = RetainedTree::new();
        for (i, topic) in ["a", "a/b", "a/b/c", "a/d", "e/f/g"].iter().enumerate() {
            t.insert(topic, i);
        }
        t.retain(|topic, v| {
            *v *= 10;
            topic == "a/b/c"
        });
        assert_eq!(t.len(), 1);
        assert_eq!(t.iter().collect::<Vec<_>>(), [("a/b/c".to_owned(), &20)]);
        assert_no_empty_nodes(&t.root, true);
        t.retain(|_, _| false);
        assert!(t.is_empty());
        assert!(t.root.children.is_empty());
    }

    #[test]
    fn iter_lists_every_topic_and_value() {
        let topics = ["a", "a/b", "/", "$SYS/x", "a//"];
        let t = tree(&topics);
        let listed: BTreeSet<String> = t
            .iter()
            .map(|(topic, v)| {
                assert_eq!(&topic, v);
                topic
            })
            .collect();
        assert_eq!(listed, set(&topics));
    }

    #[test]
    fn deepest_possible_topics_do_not_overflow_the_stack() {
        let topic = "a/".repeat(32_767) + "a";
        let mut t = tree(&[&topic, "a"]);
        assert_eq!(matching(&t, "#").len(), 2);
        assert_eq!(matching(&t, &("+/".repeat(32_767) + "+")).len(), 1);
        assert_eq!(t.iter().count(), 2);
        t.retain(|topic, _| topic == "a");
        assert_eq!(t.len(), 1);
        t.insert(&topic, String::new());
        assert!(t.remove(&topic).is_some());
        t.insert(&topic, String::new());
        let empties = "/".repeat(65_535);
        t.insert(&empties, empties.clone());
        assert_eq!(matching(&t, &empties), set(&[&empties]));
        assert_eq!(matching(&t, "/#").len(), 1);
        drop(t);
    }

    #[test]
    fn malformed_topics_and_filters_do_not_panic() {
        let t = tree(&["", "a/+", "#", "$share/g"]);
        for filter in ["", "#/a", "a/#/b", "++", "+/#/+"] {
            matching(&t, filter);
        }
        assert_eq!(t.len(), 4);
    }

    proptest! {
        #[test]
        fn matching_agrees_with_the_naive_matcher(
            topics in prop::collection::btree_set(topic_strategy(), 0..24),
            filters in prop::collection::vec(filter_strategy(), 1..8),
        ) {
            let mut t = RetainedTree::new();
            for topic in &topics {
                t.insert(topic, topic.clone());
            }
            for filter in &filters {
                let expected: BTreeSet<String> =
                    topics.iter().filter(|t| naive_matches(filter, t)).cloned().collect();
                prop_assert_eq!(matching(&t, filter), expected, "filter {:?}", filter);
            }
        }

        #[test]
        fn insert_remove_and_retain_follow_a_map_model_and_prune(
            ops in prop::collection::vec((0u8..5, topic_strategy(), 0u32..100), 0..48),
        ) {
            let mut t = RetainedTree::new();
            let mut model = BTreeMap::new();
            for (op, topic, value) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(&topic, value), model.insert(topic, value)),
                    2 | 3 => prop_assert_eq!(t.remove(&topic), model.remove(&topic)),
                    _ => {
                        t.retain(|_, v| *v % 3 != value % 3);
                        model.retain(|_, v| *v % 3 != value % 3);
                    }
                }
                prop_assert_eq!(t.len(), model.len());
                assert_no_empty_nodes(&t.root, true);
            }
            let listed: BTreeMap<String, u32> = t.iter().map(|(k, v)| (k, *v)).collect();
            prop_assert_eq!(&listed, &model);
            for (topic, value) in &model {
                prop_assert_eq!(t.get(topic), Some(value));
            }
            t.retain(|_, _| false);
            prop_assert!(t.is_empty());
            prop_assert!(t.root.children.is_empty());
        }
    }
}
