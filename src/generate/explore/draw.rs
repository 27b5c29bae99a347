//! One schema node's random values, drawn three ways from the same RNG reads: straight into
//! the JSON bytes a run sends, into a `Value` (for plans), or as a proptest value tree when a
//! failure is to be made minimal.
//!
//! A run sends hundreds of thousands of random payloads and shrinks a handful. Writing the
//! bytes directly skips what only readers and shrinking need: a map per object (every key
//! hashed), a second pass to serialise it, a boxed tree per field. [`Draw::write`] and
//! [`Draw::tree`] read the RNG in exactly the order [`Draw::value`] does, so the bytes sent
//! are the value's serialisation and the tree of a request starts from the very payload that
//! was sent (pinned by a test over every shape).

use super::super::solve::number_value;
use super::super::solve::outline::Outline;
use super::super::solve::value::Kind;
use proptest::num::{u64::BinarySearch as Shrink64, usize::BinarySearch as ShrinkIndex};
use proptest::prelude::Rng;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRng;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The longest random string, so payloads stay small and generation fast.
const MAX_RANDOM_STRING: usize = 64;

/// How one node's random values are drawn.
#[derive(Debug)]
pub(crate) enum Draw {
    /// Always this value: a `const`, or a node random values cannot serve (a pattern, a
    /// format we do not draw, `multipleOf`, a cycle); its minimal value is valid.
    Fixed(Value),
    /// One of an `enum`'s values; shrinks towards the first. `encoded` holds each value as
    /// JSON, for [`Draw::write`].
    OneOf {
        options: Arc<[Value]>,
        encoded: Box<[Box<[u8]>]>,
    },
    /// A string of `min..=max` characters; shrinks by shortening towards `min`.
    Text {
        min: usize,
        max: usize,
    },
    /// An RFC 3339 date (`time: false`) or date-time.
    Date {
        time: bool,
    },
    /// A finite number within limits.
    Number(NumberRange),
    /// An integer in `lo..=hi`; shrinks towards the value nearest zero.
    Integer {
        lo: i64,
        hi: i64,
    },
    Bool,
    /// Required properties always, each optional one on the flip of a coin.
    Object(Box<[Property]>),
    /// `min..=max` items.
    Array {
        items: Box<Draw>,
        min: usize,
        max: usize,
    },
}

/// Changes to a payload's top-level properties, made while it is written.
#[derive(Debug, Default)]
pub(crate) struct Edit<'a> {
    /// Properties left out.
    pub remove: &'a [String],
    /// A property given this value, added if it was not drawn.
    pub set: Option<(&'a str, &'a Value)>,
}

#[derive(Debug)]
pub(crate) struct Property {
    name: String,
    /// `"name":` as JSON, for [`Draw::write`].
    key: Box<[u8]>,
    required: bool,
    draw: Draw,
}

impl Draw {
    /// How to draw `node`'s values; `known` gives checked valid values of a subschema (by
    /// its pointer), drawn from when the node is not one this module draws itself.
    pub(super) fn new(node: &Outline, known: &dyn Fn(&str) -> Vec<Value>) -> Draw {
        if let Some(fixed) = &node.const_value {
            return Draw::Fixed(fixed.clone());
        }
        if let Some(values) = node.enum_values.as_ref().filter(|v| !v.is_empty()) {
            return Draw::OneOf {
                encoded: values.iter().map(json).collect(),
                options: values.clone().into(),
            };
        }
        let drawn = match node.shape {
            Kind::String => string(node),
            Kind::Number => NumberRange::new(node).map(Draw::Number),
            Kind::Integer => integer(node),
            Kind::Boolean => Some(Draw::Bool),
            Kind::Object if !node.cyclic => Some(object(node, known)),
            Kind::Array if !node.cyclic => array(node, known),
            _ => None,
        };
        drawn.unwrap_or_else(|| match known(&node.pointer) {
            // A pattern, a format drawn from a list, `multipleOf`, a cycle: one of the
            // subschema's own checked values.
            values if !values.is_empty() => Draw::OneOf {
                encoded: values.iter().map(json).collect(),
                options: values.into(),
            },
            _ => Draw::Fixed(node.minimal()),
        })
    }

    /// A random value.
    pub(super) fn value(&self, rng: &mut TestRng) -> Value {
        match self {
            Draw::Fixed(value) => value.clone(),
            Draw::OneOf { options, .. } => options[pick(rng, options.len())].clone(),
            Draw::Text { min, max } => Value::String(text(rng, *min, *max).0),
            Draw::Date { time } => Value::String(date(rng, *time)),
            Draw::Number(range) => number_value(range.draw(rng)),
            Draw::Integer { lo, hi } => Value::from(integer_in(rng, *lo, *hi)),
            Draw::Bool => Value::Bool(coin(rng)),
            Draw::Object(properties) => {
                let mut map = Map::with_capacity(properties.len());
                for property in properties {
                    if property.required || coin(rng) {
                        map.insert(property.name.clone(), property.draw.value(rng));
                    }
                }
                Value::Object(map)
            }
            Draw::Array { items, min, max } => {
                let len = length(rng, *min, *max);
                Value::Array((0..len).map(|_| items.value(rng)).collect())
            }
        }
    }

    /// The same random value as [`Draw::value`] for the same RNG, written straight as the
    /// JSON `serde_json::to_writer` makes of it: no map of properties to build, hash and
    /// free, and no second pass to serialise it.
    pub(super) fn write(&self, rng: &mut TestRng, out: &mut Vec<u8>) {
        match self {
            Draw::Fixed(value) => write_json(out, value),
            Draw::OneOf { encoded, .. } => {
                out.extend_from_slice(&encoded[pick(rng, encoded.len())]);
            }
            Draw::Text { min, max } => write_text(rng, *min, *max, out),
            Draw::Date { time } => {
                out.push(b'"');
                write_date(date_parts(rng, *time), *time, out);
                out.push(b'"');
            }
            Draw::Number(range) => write_json(out, &number_value(range.draw(rng))),
            Draw::Integer { lo, hi } => write_json(out, &integer_in(rng, *lo, *hi)),
            Draw::Bool => out.extend_from_slice(if coin(rng) { b"true" } else { b"false" }),
            Draw::Object(properties) => {
                out.push(b'{');
                let mut first = true;
                for property in properties {
                    if property.required || coin(rng) {
                        if !std::mem::take(&mut first) {
                            out.push(b',');
                        }
                        out.extend_from_slice(&property.key);
                        property.draw.write(rng, out);
                    }
                }
                out.push(b'}');
            }
            Draw::Array { items, min, max } => {
                out.push(b'[');
                for i in 0..length(rng, *min, *max) {
                    if i > 0 {
                        out.push(b',');
                    }
                    items.write(rng, out);
                }
                out.push(b']');
            }
        }
    }

    /// The same random value as [`Draw::write`], with `edit` applied to it as
    /// [`Field::set`](super::super::solve::outline::Field::set) and `remove_properties` apply it to
    /// the value: a replaced property keeps its place, an added one comes last. The RNG is
    /// read as for the unedited value: a removed or replaced property is still drawn.
    ///
    /// `false`, with nothing read or written, when this is not drawn as an object (a fixed
    /// value may still be one): edit the value instead.
    pub(super) fn write_edited(
        &self,
        rng: &mut TestRng,
        edit: &Edit<'_>,
        out: &mut Vec<u8>,
    ) -> bool {
        let Draw::Object(properties) = self else {
            return false;
        };
        out.push(b'{');
        let mut first = true;
        let mut replaced = false;
        for property in properties {
            if !(property.required || coin(rng)) {
                continue;
            }
            let start = out.len();
            if !first {
                out.push(b',');
            }
            out.extend_from_slice(&property.key);
            let value_start = out.len();
            property.draw.write(rng, out);
            if edit.remove.contains(&property.name) {
                out.truncate(start);
                continue;
            }
            if let Some((_, value)) = edit.set.filter(|(name, _)| *name == property.name) {
                out.truncate(value_start);
                write_json(out, value);
                replaced = true;
            }
            first = false;
        }
        if let Some((name, value)) = edit.set.filter(|_| !replaced) {
            if !first {
                out.push(b',');
            }
            write_json(out, name);
            out.push(b':');
            write_json(out, value);
        }
        out.push(b'}');
        true
    }

    /// The same random value as [`Draw::value`] for the same RNG, as a tree that shrinks.
    pub(super) fn tree(&self, rng: &mut TestRng) -> Tree {
        match self {
            Draw::Fixed(value) => Tree::Fixed(value.clone()),
            Draw::OneOf { options, .. } => Tree::OneOf {
                options: Arc::clone(options),
                index: ShrinkIndex::new(pick(rng, options.len())),
            },
            Draw::Text { min, max } => {
                let (text, len) = text(rng, *min, *max);
                Tree::Text(TextTree {
                    text,
                    len,
                    min: *min,
                    extra: ShrinkIndex::new(len - min),
                })
            }
            Draw::Date { time } => Tree::Settle(Settle::new(
                Value::String(date(rng, *time)),
                Value::String(date_of(DATE_LOWEST, *time)),
            )),
            Draw::Number(range) => Tree::Settle(Settle::new(
                number_value(range.draw(rng)),
                number_value(range.simplest()),
            )),
            Draw::Integer { lo, hi } => {
                let simplest = 0i64.clamp(*lo, *hi);
                let drawn = integer_in(rng, *lo, *hi);
                Tree::Integer {
                    simplest,
                    negative: drawn < simplest,
                    distance: Shrink64::new(drawn.abs_diff(simplest)),
                }
            }
            Draw::Bool => Tree::Settle(Settle::new(Value::Bool(coin(rng)), Value::Bool(false))),
            Draw::Object(properties) => Tree::Object(ObjectTree::new(properties, rng)),
            Draw::Array { items, min, max } => {
                let len = length(rng, *min, *max);
                Tree::Array(ArrayTree {
                    items: (0..len).map(|_| items.tree(rng)).collect(),
                    min: *min,
                    extra: ShrinkIndex::new(len - min),
                    shrinking: 0,
                    last: None,
                })
            }
        }
    }
}

/// `value` as compact JSON.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> Box<[u8]> {
    serde_json::to_vec(value).unwrap_or_default().into()
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing a `Value`, a string or a number into a `Vec` cannot fail.
    let _ = serde_json::to_writer(out, value);
}

fn string(node: &Outline) -> Option<Draw> {
    let rules = &node.string;
    match rules.format.as_deref() {
        Some("date-time") => return Some(Draw::Date { time: true }),
        Some("date") => return Some(Draw::Date { time: false }),
        Some(_) => return None,
        None if rules.pattern.is_some() => return None,
        None => {}
    }
    let min = rules.min;
    let max = rules
        .max
        .unwrap_or(usize::MAX)
        .min(min.max(MAX_RANDOM_STRING))
        .max(min);
    Some(Draw::Text { min, max })
}

fn integer(node: &Outline) -> Option<Draw> {
    if node.number.multiple_of.is_some() {
        return None;
    }
    let (lo, hi) = bounds(node, 1.0e9);
    let (lo, hi) = (lo.ceil() as i64, hi.floor() as i64);
    (lo <= hi).then_some(Draw::Integer { lo, hi })
}

fn object(node: &Outline, known: &dyn Fn(&str) -> Vec<Value>) -> Draw {
    let properties = node
        .properties
        .iter()
        .filter(|p| p.required || !p.outline.cyclic)
        .map(|p| Property {
            name: p.name.clone(),
            key: [json(&p.name), Box::new(*b":")].concat().into(),
            required: p.required,
            draw: Draw::new(&p.outline, known),
        });
    Draw::Object(properties.collect())
}

fn array(node: &Outline, known: &dyn Fn(&str) -> Vec<Value>) -> Option<Draw> {
    let items = node.items.as_ref()?;
    let min = node.min_items;
    Some(Draw::Array {
        items: Box::new(Draw::new(items, known)),
        min,
        max: min.max(3),
    })
}

/// A uniform index below `n` (`n > 0`).
fn pick(rng: &mut TestRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn coin(rng: &mut TestRng) -> bool {
    rng.next_u32() & 1 == 1
}

fn length(rng: &mut TestRng, min: usize, max: usize) -> usize {
    min + pick(rng, max - min + 1)
}

fn integer_in(rng: &mut TestRng, lo: i64, hi: i64) -> i64 {
    // The bounds are capped at ±1e9, so the span fits and the modulo bias is negligible.
    let span = hi.abs_diff(lo) + 1;
    lo.wrapping_add((rng.next_u64() % span) as i64)
}

/// The alphabet of random strings, 64 entries so six random bits pick one: 42 ASCII letters
/// and digits, 14 non-ASCII (accents, CJK, Hangul, emoji), 8 whitespace.
const CHARACTERS: [char; 64] = [
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
    't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'M', 'Q', 'X', 'Z', '0', '1', '2',
    '3', '5', '7', '9', 'é', 'ñ', 'ü', 'ß', 'Ç', 'ø', '東', '京', '한', '글', '😀', '🎉', 'Ω', 'ж',
    ' ', ' ', ' ', ' ', '\t', '\t', '\u{a0}', '\u{a0}',
];

/// `CHARACTERS` as UTF-8 (padded to four bytes) with their widths, so drawing a character is
/// a copy rather than an encoding: strings are most of a payload's generation time.
const ENCODED: [([u8; 4], usize); 64] = {
    let mut table = [([0u8; 4], 0usize); 64];
    let mut i = 0;
    while i < 64 {
        let width = CHARACTERS[i].encode_utf8(&mut table[i].0).len();
        table[i].1 = width;
        i += 1;
    }
    table
};

/// `CHARACTERS` as they appear inside a JSON string, as `serde_json` writes them: the same
/// as `ENCODED` but for the tab, escaped as `\t`.
const ENCODED_IN_JSON: [([u8; 4], usize); 64] = {
    let mut table = ENCODED;
    let mut i = 0;
    while i < 64 {
        match CHARACTERS[i] {
            '\t' => table[i] = ([b'\\', b't', 0, 0], 2),
            // serde_json escapes these too; the alphabet has none of them.
            '"' | '\\' | '\0'..='\u{1f}' => panic!("add this character's JSON escape"),
            _ => {}
        }
        i += 1;
    }
    table
};

/// The same characters as [`text`] for the same RNG, written as a JSON string: one RNG
/// draw per run of ten characters, with no test of the index per character (a random
/// payload is mostly its strings, and this loop was most of `Draw::write`'s instructions).
fn write_text(rng: &mut TestRng, min: usize, max: usize, out: &mut Vec<u8>) {
    let len = length(rng, min, max);
    out.push(b'"');
    let mut end = out.len();
    // Four bytes written per character, the cursor moved by its width: the last write
    // ends within `len * 4`.
    out.resize(end + len * 4, 0);
    let mut left = len;
    while left > 0 {
        let run = left.min(10);
        let mut bits = rng.next_u64();
        for _ in 0..run {
            let (encoded, width) = ENCODED_IN_JSON[(bits & 63) as usize];
            out[end..end + 4].copy_from_slice(&encoded);
            end += width;
            bits >>= 6;
        }
        left -= run;
    }
    out.truncate(end);
    out.push(b'"');
}

/// A string of `min..=max` characters, and its length in characters: mostly ASCII letters
/// and digits, sometimes accents, CJK or emoji, sometimes whitespace.
fn text(rng: &mut TestRng, min: usize, max: usize) -> (String, usize) {
    let len = length(rng, min, max);
    // Every character is written as four bytes and the cursor moves by its real length:
    // a fixed-size copy per character, no branching on the encoding.
    let mut bytes = vec![0u8; len * 4 + 4];
    let mut end = 0;
    let mut bits = 0u64;
    for i in 0..len {
        // Six bits a character: one RNG draw feeds ten characters.
        if i % 10 == 0 {
            bits = rng.next_u64();
        }
        let (encoded, width) = ENCODED[(bits & 63) as usize];
        bytes[end..end + 4].copy_from_slice(&encoded);
        end += width;
        bits >>= 6;
    }
    bytes.truncate(end);
    debug_assert!(std::str::from_utf8(&bytes).is_ok());
    // SAFETY: `bytes` is a concatenation of whole UTF-8 sequences: each entry of ENCODED
    // is `char::encode_utf8` of one character, and exactly its `width` bytes are kept.
    // `String::from_utf8` would re-validate every byte, and its branching on mixed widths
    // cost more than drawing the string.
    let text = unsafe { String::from_utf8_unchecked(bytes) };
    (text, len)
}

/// Year, month, day, hour, minute, second.
type DateParts = [u32; 6];

/// The lowest date drawn; days stop at 28 so every month has them.
const DATE_LOWEST: DateParts = [1900, 1, 1, 0, 0, 0];
const DATE_HIGHEST: DateParts = [2100, 12, 28, 23, 59, 59];

/// An RFC 3339 date or date-time, always valid: built from drawn components.
fn date(rng: &mut TestRng, time: bool) -> String {
    date_of(date_parts(rng, time), time)
}

fn date_parts(rng: &mut TestRng, time: bool) -> DateParts {
    let mut parts = DATE_LOWEST;
    let drawn = if time { 6 } else { 3 };
    for (part, highest) in parts.iter_mut().zip(DATE_HIGHEST).take(drawn) {
        *part += pick(rng, (highest - *part + 1) as usize) as u32;
    }
    parts
}

fn date_of(parts: DateParts, time: bool) -> String {
    let mut text = Vec::with_capacity(20);
    write_date(parts, time, &mut text);
    String::from_utf8(text).unwrap_or_default()
}

fn write_date(parts: DateParts, time: bool, out: &mut Vec<u8>) {
    push_digits(out, parts[0], 4);
    for (separator, part) in [(b'-', parts[1]), (b'-', parts[2])] {
        out.push(separator);
        push_digits(out, part, 2);
    }
    if time {
        for (separator, part) in [(b'T', parts[3]), (b':', parts[4]), (b':', parts[5])] {
            out.push(separator);
            push_digits(out, part, 2);
        }
        out.push(b'Z');
    }
}

/// `n` as exactly `width` zero-padded decimal digits; `format!` was a twentieth of a
/// payload's generation time.
fn push_digits(out: &mut Vec<u8>, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        out.push(b'0' + digit as u8);
    }
}

/// Numbers in `[lo, hi]`: four in five drawn from the `moderate` part, one in five from the
/// whole range (extreme magnitudes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumberRange {
    lo: f64,
    hi: f64,
    moderate: (f64, f64),
}

impl NumberRange {
    fn new(node: &Outline) -> Option<NumberRange> {
        if node.number.multiple_of.is_some() {
            return None;
        }
        let (lo, hi) = bounds(node, 1.0e300);
        let moderate = (lo.max(-1.0e6), hi.min(1.0e6));
        (moderate.0 < moderate.1).then_some(NumberRange { lo, hi, moderate })
    }

    fn draw(&self, rng: &mut TestRng) -> f64 {
        let (lo, hi) = if rng.next_u32() % 5 < 4 {
            self.moderate
        } else {
            (self.lo, self.hi)
        };
        // 53 random bits: a uniform fraction in [0, 1).
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (lo + (hi - lo) * unit).clamp(lo, hi)
    }

    /// The value of the range nearest zero.
    fn simplest(&self) -> f64 {
        0.0f64.clamp(self.lo, self.hi)
    }
}

/// The node's numeric range, capped at `±cap`, with exclusive bounds nudged inwards.
fn bounds(node: &Outline, cap: f64) -> (f64, f64) {
    let rules = &node.number;
    let nudge = |x: f64, exclusive: bool, up: bool| match (exclusive, up) {
        (false, _) => x,
        (true, true) => x + x.abs().max(1.0) * 1e-9,
        (true, false) => x - x.abs().max(1.0) * 1e-9,
    };
    let lo = rules
        .min
        .map_or(-cap, |m| nudge(m, rules.exclusive_min, true).max(-cap));
    let hi = rules
        .max
        .map_or(cap, |m| nudge(m, rules.exclusive_max, false).min(cap));
    (lo, hi)
}

/// A drawn value, shrinking as proptest shrinks its values of one variant.
pub(crate) enum Tree {
    Fixed(Value),
    OneOf {
        options: Arc<[Value]>,
        index: ShrinkIndex,
    },
    Text(TextTree),
    Settle(Settle),
    /// `simplest ± distance`, the distance shrinking by binary search (proptest's integers).
    Integer {
        simplest: i64,
        negative: bool,
        distance: Shrink64,
    },
    Object(ObjectTree),
    Array(ArrayTree),
}

impl ValueTree for Tree {
    type Value = Value;

    fn current(&self) -> Value {
        match self {
            Tree::Fixed(value) => value.clone(),
            Tree::OneOf { options, index } => options[index.current()].clone(),
            Tree::Text(tree) => Value::String(tree.current()),
            Tree::Settle(tree) => tree.current().clone(),
            Tree::Integer {
                simplest,
                negative,
                distance,
            } => {
                let distance = distance.current() as i64;
                Value::from(if *negative {
                    simplest - distance
                } else {
                    simplest + distance
                })
            }
            Tree::Object(tree) => tree.current(),
            Tree::Array(tree) => tree.current(),
        }
    }

    fn simplify(&mut self) -> bool {
        match self {
            Tree::Fixed(_) => false,
            Tree::OneOf { index, .. } => index.simplify(),
            Tree::Text(tree) => tree.extra.simplify(),
            Tree::Settle(tree) => tree.simplify(),
            Tree::Integer { distance, .. } => distance.simplify(),
            Tree::Object(tree) => tree.simplify(),
            Tree::Array(tree) => tree.simplify(),
        }
    }

    fn complicate(&mut self) -> bool {
        match self {
            Tree::Fixed(_) => false,
            Tree::OneOf { index, .. } => index.complicate(),
            Tree::Text(tree) => tree.extra.complicate(),
            Tree::Settle(tree) => tree.complicate(),
            Tree::Integer { distance, .. } => distance.complicate(),
            Tree::Object(tree) => tree.complicate(),
            Tree::Array(tree) => tree.complicate(),
        }
    }
}

pub(crate) struct TextTree {
    /// The longest version; shrinking keeps a prefix of it.
    text: String,
    /// Its length in characters.
    len: usize,
    min: usize,
    /// How many characters beyond `min` are kept.
    extra: ShrinkIndex,
}

impl TextTree {
    fn current(&self) -> String {
        let keep = self.min + self.extra.current();
        if keep >= self.len {
            return self.text.clone();
        }
        match self.text.char_indices().nth(keep) {
            Some((end, _)) => self.text[..end].to_owned(),
            None => self.text.clone(),
        }
    }
}

/// Shrinks like proptest's floats and booleans: one try of the simplest value (zero, the
/// bound nearest it, `false`, the lowest date); if that no longer fails, back to the drawn
/// value for good.
pub(crate) struct Settle {
    drawn: Value,
    simplest: Value,
    step: SettleStep,
}

#[derive(Clone, Copy, PartialEq)]
enum SettleStep {
    Drawn,
    TryingSimplest,
    Settled,
}

impl Settle {
    fn new(drawn: Value, simplest: Value) -> Settle {
        let step = if drawn == simplest {
            SettleStep::Settled
        } else {
            SettleStep::Drawn
        };
        Settle {
            drawn,
            simplest,
            step,
        }
    }

    fn current(&self) -> &Value {
        match self.step {
            SettleStep::TryingSimplest => &self.simplest,
            SettleStep::Drawn | SettleStep::Settled => &self.drawn,
        }
    }

    fn simplify(&mut self) -> bool {
        if self.step != SettleStep::Drawn {
            return false;
        }
        self.step = SettleStep::TryingSimplest;
        true
    }

    fn complicate(&mut self) -> bool {
        if self.step != SettleStep::TryingSimplest {
            return false;
        }
        self.step = SettleStep::Settled;
        true
    }
}

/// An object's properties, shrunk in proptest's tuple order: each optional property is first
/// dropped, then the kept values are shrunk in turn.
pub(crate) struct ObjectTree {
    properties: Vec<PropertyTree>,
    /// The property being shrunk.
    shrinking: usize,
    last: Option<ObjectStep>,
}

struct PropertyTree {
    name: String,
    /// `None` while absent.
    tree: Option<Tree>,
    /// The value taken out while the object is tried without it.
    held: Option<Tree>,
    tried_dropping: bool,
}

/// The last shrinking step, so `complicate` can undo it.
#[derive(Clone, Copy)]
enum ObjectStep {
    Dropped(usize),
    Simplified(usize),
}

impl ObjectTree {
    fn new(properties: &[Property], rng: &mut TestRng) -> ObjectTree {
        let mut trees = Vec::with_capacity(properties.len());
        for property in properties {
            // The same reads, in the same order, as `Draw::value`.
            let present = property.required || coin(rng);
            trees.push(PropertyTree {
                name: property.name.clone(),
                tree: present.then(|| property.draw.tree(rng)),
                held: None,
                tried_dropping: property.required,
            });
        }
        ObjectTree {
            properties: trees,
            shrinking: 0,
            last: None,
        }
    }

    fn current(&self) -> Value {
        let mut map = Map::with_capacity(self.properties.len());
        for property in &self.properties {
            if let Some(tree) = &property.tree {
                map.insert(property.name.clone(), tree.current());
            }
        }
        Value::Object(map)
    }

    fn simplify(&mut self) -> bool {
        // Asked to simplify again: the last candidate still failed, so a tried drop stands.
        if let Some(ObjectStep::Dropped(i)) = self.last.take() {
            self.properties[i].held = None;
        }
        while let Some(property) = self.properties.get_mut(self.shrinking) {
            if property.tree.is_some() && !property.tried_dropping {
                property.tried_dropping = true;
                property.held = property.tree.take();
                self.last = Some(ObjectStep::Dropped(self.shrinking));
                return true;
            }
            if let Some(tree) = &mut property.tree {
                if tree.simplify() {
                    self.last = Some(ObjectStep::Simplified(self.shrinking));
                    return true;
                }
            }
            self.shrinking += 1;
        }
        false
    }

    fn complicate(&mut self) -> bool {
        match self.last.take() {
            Some(ObjectStep::Dropped(i)) => {
                // Without it the candidate passed: put it back and shrink its value next.
                let property = &mut self.properties[i];
                property.tree = property.held.take();
                true
            }
            Some(ObjectStep::Simplified(i)) => {
                let complicated = self.properties[i]
                    .tree
                    .as_mut()
                    .is_some_and(|t| t.complicate());
                if complicated {
                    self.last = Some(ObjectStep::Simplified(i));
                }
                complicated
            }
            None => false,
        }
    }
}

/// An array: first shortened towards its minimum length, then its kept items shrunk in turn.
pub(crate) struct ArrayTree {
    items: Vec<Tree>,
    min: usize,
    /// How many items beyond `min` are kept.
    extra: ShrinkIndex,
    /// The item being shrunk, once the length is settled.
    shrinking: usize,
    last: Option<ArrayStep>,
}

#[derive(Clone, Copy)]
enum ArrayStep {
    Length,
    Item(usize),
}

impl ArrayTree {
    fn kept(&self) -> usize {
        self.min + self.extra.current()
    }

    fn current(&self) -> Value {
        Value::Array(
            self.items[..self.kept()]
                .iter()
                .map(Tree::current)
                .collect(),
        )
    }

    fn simplify(&mut self) -> bool {
        if self.extra.simplify() {
            self.last = Some(ArrayStep::Length);
            return true;
        }
        while self.shrinking < self.kept() {
            if self.items[self.shrinking].simplify() {
                self.last = Some(ArrayStep::Item(self.shrinking));
                return true;
            }
            self.shrinking += 1;
        }
        false
    }

    fn complicate(&mut self) -> bool {
        let (complicated, step) = match self.last.take() {
            Some(ArrayStep::Length) => (self.extra.complicate(), ArrayStep::Length),
            Some(ArrayStep::Item(i)) => (self.items[i].complicate(), ArrayStep::Item(i)),
            None => return false,
        };
        if complicated {
            self.last = Some(step);
        }
        complicated
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng_for;
    use super::*;
    use crate::generate::RandomClass;

    fn rng(index: u64) -> TestRng {
        rng_for(7, "draw", RandomClass::Valid, index)
    }

    /// The byte-table drawing must give whole characters of the alphabet, `min..=max` of them,
    /// and use every entry: a wrong width in the table would break UTF-8 or drop characters.
    #[test]
    fn random_strings_are_whole_characters_of_the_alphabet_within_bounds() {
        let mut seen = std::collections::HashSet::new();
        for index in 0..2_000 {
            let (text, len) = text(&mut rng(index), 3, 40);
            assert!(std::str::from_utf8(text.as_bytes()).is_ok());
            let count = text.chars().count();
            assert_eq!(count, len);
            assert!((3..=40).contains(&count), "{count} characters in {text:?}");
            for c in text.chars() {
                assert!(CHARACTERS.contains(&c), "{c:?} is not in the alphabet");
                seen.insert(c);
            }
        }
        let distinct: std::collections::HashSet<char> = CHARACTERS.into_iter().collect();
        assert_eq!(seen, distinct, "every character of the alphabet is drawn");
    }

    /// Every number lies in the range, and about one in five comes from the extreme part.
    #[test]
    fn random_numbers_stay_in_range_and_sometimes_reach_extremes() {
        let wide = NumberRange {
            lo: -1.0e300,
            hi: 1.0e300,
            moderate: (-1.0e6, 1.0e6),
        };
        let draws = 5_000;
        let extreme = (0..draws)
            .map(|index| wide.draw(&mut rng(index)))
            .inspect(|x| assert!(x.is_finite() && (-1.0e300..=1.0e300).contains(x)))
            .filter(|x| x.abs() > 1.0e6)
            .count();
        assert!(
            (800..1_200).contains(&extreme),
            "{extreme} of {draws} extreme"
        );

        let positive = NumberRange {
            lo: 5.0,
            hi: 10.0,
            moderate: (5.0, 10.0),
        };
        for index in 0..500 {
            let x = positive.draw(&mut rng(index));
            assert!((5.0..=10.0).contains(&x), "{x} outside [5, 10]");
        }
    }

    /// Shrinking tries the in-range value nearest zero once, then settles on the drawn one.
    #[test]
    fn numbers_shrink_to_the_simplest_in_range_value_or_stay() {
        let draw = Draw::Number(NumberRange {
            lo: 5.0,
            hi: 10.0,
            moderate: (5.0, 10.0),
        });
        let mut tree = draw.tree(&mut rng(1));
        let drawn = tree.current();
        assert!(tree.simplify());
        assert_eq!(tree.current(), serde_json::json!(5));
        assert!(!tree.simplify(), "nothing simpler than the bound");

        let mut tree = draw.tree(&mut rng(1));
        assert!(tree.simplify());
        assert!(
            tree.complicate(),
            "the simplest passed: back to the drawn number"
        );
        assert_eq!(tree.current(), drawn);
        assert!(!tree.simplify() && !tree.complicate());
    }

    /// Integers shrink by binary search to the boundary of a failure, from either side of the
    /// simplest value.
    #[test]
    fn integers_shrink_to_the_smallest_failing_distance() {
        for (lo, hi, fails) in [
            (-1_000, 1_000, 40i64),
            (-1_000, 1_000, -40),
            (10, 1_000, 50),
        ] {
            let draw = Draw::Integer { lo, hi };
            let failing = |v: &Value| {
                let v = v.as_i64().expect("an integer");
                if fails < 0 {
                    v <= fails
                } else {
                    v >= fails
                }
            };
            let index = (0..10_000)
                .find(|i| failing(&draw.value(&mut rng(*i))))
                .expect("a failing draw");
            let mut tree = draw.tree(&mut rng(index));
            let mut last = tree.current();
            while if failing(&tree.current()) {
                last = tree.current();
                tree.simplify()
            } else {
                tree.complicate()
            } {}
            assert_eq!(last, serde_json::json!(fails), "range {lo}..={hi}");
        }
    }

    /// Arrays shorten to their minimum first, then shrink their items.
    #[test]
    fn arrays_shrink_to_their_minimum_length_of_simplest_items() {
        let draw = Draw::Array {
            items: Box::new(Draw::Text { min: 1, max: 9 }),
            min: 1,
            max: 3,
        };
        let index = (0..100)
            .find(|i| draw.value(&mut rng(*i)).as_array().map(Vec::len) == Some(3))
            .expect("a three-item array");
        let mut tree = draw.tree(&mut rng(index));
        while tree.simplify() {}
        let minimal = tree.current();
        let items = minimal.as_array().expect("an array");
        assert_eq!(items.len(), 1, "{minimal}");
        assert_eq!(items[0].as_str().map(|s| s.chars().count()), Some(1));
    }
}
