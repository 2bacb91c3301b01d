//! Property test of the loader and its text rendering against hostile shapes (issue 14): deep
//! nesting, alias floods and billion laughs, duplicate keys on one line, findings on very long
//! lines, and random bytes. Loading and rendering never panic (nor overflow the stack), and the
//! text shown is never larger than a small multiple of the file plus a constant.
//!
//! Cases are capped so the whole target runs in a few seconds of a debug build.

use pat_reconcile::cli::diagnostics;
use pat_reconcile::cli::output::Styles;
use pat_reconcile::config::load_str;
use proptest::prelude::*;

/// A file of one hostile shape.
#[derive(Debug, Clone)]
enum Shape {
    /// A block sequence `- - - … x` nested `depth` deep on one line, under `users:`.
    BlockDepth(usize),
    /// Flow sequences `[[[…]]]` nested `depth` deep.
    FlowDepth(usize),
    /// `count` aliases of one anchor on one line.
    Aliases(usize),
    /// A billion-laughs file of `levels` levels, each nine references to the one before.
    Laughs(usize),
    /// `count` copies of one key in one flow mapping on one line.
    DuplicateKeys(usize),
    /// An unknown key after `pad` spaces on one line.
    LongLine(usize),
    /// Arbitrary bytes after `version: 1`, read as UTF-8 with replacement.
    Bytes(Vec<u8>),
}

impl Shape {
    fn text(&self) -> String {
        match self {
            Shape::BlockDepth(d) => format!("version: 1\nusers:\n  {}x\n", "- ".repeat(*d)),
            Shape::FlowDepth(d) => {
                format!("version: 1\nusers: {}{}\n", "[".repeat(*d), "]".repeat(*d))
            }
            Shape::Aliases(n) => format!(
                "version: 1\nx: &a 1\nusers: [{}]\n",
                vec!["*a"; *n].join(",")
            ),
            Shape::Laughs(levels) => {
                let mut text = String::from(
                    "version: 1\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
                );
                for i in 1..=*levels {
                    let refs = vec![format!("*l{}", i - 1); 9].join(", ");
                    text.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
                }
                text
            }
            Shape::DuplicateKeys(n) => {
                format!("version: 1\nusers: {{{}}}\n", vec!["U: {}"; *n].join(","))
            }
            Shape::LongLine(pad) => format!(
                "version: 1\nusers: {{{}BOGUS: {{ nope: 1 }}}}\n",
                " ".repeat(*pad)
            ),
            Shape::Bytes(bytes) => format!("version: 1\n{}", String::from_utf8_lossy(bytes)),
        }
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (1usize..30_000).prop_map(Shape::BlockDepth),
        (1usize..2_000).prop_map(Shape::FlowDepth),
        (0usize..6_000).prop_map(Shape::Aliases),
        (0usize..10).prop_map(Shape::Laughs),
        (0usize..6_000).prop_map(Shape::DuplicateKeys),
        (0usize..100_000).prop_map(Shape::LongLine),
        proptest::collection::vec(any::<u8>(), 0..2_000).prop_map(Shape::Bytes),
    ]
}

/// The most text a file of `input` bytes may render to: a few times the file (each finding
/// quotes a window of at most a few lines, at most 20 findings per rule) plus a constant.
fn bound(input: usize) -> usize {
    4 * input + 256 * 1024
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn hostile_shapes_load_and_render_within_bounds(shape in shape()) {
        let text = shape.text();
        let loaded = load_str("hostile.yaml", &text);
        let mut out = Vec::new();
        diagnostics::render(&loaded, Styles::plain(), &mut out).unwrap();
        prop_assert!(
            out.len() <= bound(text.len()),
            "{} bytes of output for {} bytes of input",
            out.len(),
            text.len()
        );
        // Every shape but random bytes is an error the summary counts; none is silent.
        if !matches!(shape, Shape::Bytes(_)) && !matches!(shape, Shape::Laughs(0) | Shape::Aliases(0) | Shape::DuplicateKeys(0 | 1)) {
            prop_assert!(loaded.has_errors(), "{shape:?} loaded without errors");
        }
        let rendered = String::from_utf8_lossy(&out);
        prop_assert!(!rendered.contains('\u{1b}'), "an escape character reached the output");
    }
}
