//! roost-broker

#![warn(missing_docs)]

pub mod retained_tree;
pub mod topic_tree;
