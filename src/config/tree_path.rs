//! Paths into the YAML tree: their steps, how a diagnostic shows them, and what they reach.
//!
//! Shared by the schema-error translation and the model-error fallback of the loader. No I/O.

use super::yaml::{Node, Scalar};

/// One step of a path into the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

pub(super) fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

pub(super) fn node_at<'a>(root: &'a Node, path: &[Seg]) -> Option<&'a Node> {
    let mut node = root;
    for seg in path {
        node = match seg {
            Seg::Key(k) => node.get(k)?,
            Seg::Index(i) => node.items().get(*i)?,
        };
    }
    Some(node)
}

pub(super) fn key_at<'a>(root: &'a Node, path: &[Seg]) -> Option<&'a Scalar> {
    let (last, parent) = path.split_last()?;
    match last {
        Seg::Key(k) => node_at(root, parent)?.entry(k).map(|(k, _)| k),
        Seg::Index(_) => None,
    }
}
