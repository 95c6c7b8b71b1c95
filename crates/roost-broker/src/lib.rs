//! roost-broker

#![warn(missing_docs)]

pub mod topic_tree;
