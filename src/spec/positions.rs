//! Where each value of a YAML document sits in its file: dotted path → line:column.
//!
//! serde_yaml's `Value` keeps no positions, so a second, event-level pass over the same text
//! records the start of every key and value — only once a problem needs a location: for a
//! valid spec that pass would be half the work of `render`. Only `spec::load` calls this.

use std::cell::OnceCell;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::diagnostic::Location;

/// Positions of keys and values by dotted path (`services.like.routes[0].path`).
#[derive(Debug, Default)]
pub struct Positions {
    values: HashMap<String, Location>,
    keys: HashMap<String, Location>,
}

impl Positions {
    /// Index `text`. A document the event parser rejects yields an empty index: the YAML
    /// error itself is reported by the main parser, with its own location.
    pub fn index(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return Self::default();
        }
        builder.positions
    }

    /// The position of the value at `path`; for a value that is not in the file (a missing
    /// key), the key of its closest ancestor that is.
    pub fn value(&self, path: &str) -> Option<Location> {
        if let Some(l) = self.values.get(path) {
            return Some(*l);
        }
        let mut p = parent(path)?;
        loop {
            if let Some(l) = self.keys.get(p).or_else(|| self.values.get(p)) {
                return Some(*l);
            }
            p = parent(p)?;
        }
    }

    /// The position of the value at exactly `path`, if the document has one there.
    pub fn exact(&self, path: &str) -> Option<Location> {
        self.values.get(path).copied()
    }

    /// The position of the key that introduces `path` (for unknown-key errors).
    pub fn key(&self, path: &str) -> Option<Location> {
        self.keys.get(path).copied().or_else(|| self.value(path))
    }
}

/// The source text, indexed on first use.
#[derive(Debug)]
pub struct LazyPositions {
    text: String,
    index: OnceCell<Positions>,
}

impl LazyPositions {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), index: OnceCell::new() }
    }

    pub fn get(&self) -> &Positions {
        self.index.get_or_init(|| Positions::index(&self.text))
    }
}

/// Positions for paths of the merged spec: a value set by the selected environment's
/// overrides is found there, anything else in the base.
#[derive(Clone, Copy)]
pub struct Locator<'a> {
    pub positions: &'a LazyPositions,
    pub env: Option<&'a str>,
}

impl Locator<'_> {
    pub fn value(&self, path: &str) -> Option<Location> {
        self.overlay(path, Positions::exact).or_else(|| self.positions.get().value(path))
    }

    pub fn key(&self, path: &str) -> Option<Location> {
        self.overlay(path, |p, q| p.keys.get(q).copied()).or_else(|| self.positions.get().key(path))
    }

    fn overlay(&self, path: &str, find: impl Fn(&Positions, &str) -> Option<Location>) -> Option<Location> {
        let env = self.env?;
        let full = if path.is_empty() { format!("environments.{env}") } else { format!("environments.{env}.{path}") };
        find(self.positions.get(), &full)
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → `` → None.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    positions: Positions,
    /// Depth of a complex (non-scalar) mapping key being skipped.
    skipping: usize,
}

impl Builder {
    /// The path of the node that starts now, advancing the parent frame.
    /// `None` when the node is a mapping key (handled by the caller).
    fn next_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { path, key }) => key.take().map(|k| join(path, &k)),
        }
    }

    fn start(&mut self, mark: Marker) -> Option<String> {
        let path = self.next_path()?;
        let loc = Location { line: mark.line(), column: mark.col() + 1 };
        self.positions.values.entry(path.clone()).or_insert(loc);
        Some(path)
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.skipping > 0 {
            match ev {
                Event::MappingStart(..) | Event::SequenceStart(..) => self.skipping += 1,
                Event::MappingEnd | Event::SequenceEnd => self.skipping -= 1,
                _ => {}
            }
            return;
        }
        let awaiting_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        match ev {
            Event::Scalar(value, ..) if awaiting_key => {
                if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                    let full = join(path, &value);
                    let loc = Location { line: mark.line(), column: mark.col() + 1 };
                    self.positions.keys.entry(full).or_insert(loc);
                    *key = Some(value);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if awaiting_key => {
                // A non-scalar key: not valid in a spec; the structural check reports it.
                self.skipping = 1;
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some("?".into());
                }
            }
            Event::Scalar(..) | Event::Alias(..) => {
                self.start(mark);
            }
            Event::MappingStart(..) => {
                let path = self.start(mark).unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.start(mark).unwrap_or_default();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "stack: demo\nservices:\n  web:\n    port: 80\n    routes:\n      - path: /x\n      - { path: /y, priority: 3 }\n";

    #[test]
    fn finds_values_keys_and_list_items() {
        let p = Positions::index(DOC);
        assert_eq!(p.value("stack"), Some(Location { line: 1, column: 8 }));
        assert_eq!(p.value("services.web.port"), Some(Location { line: 4, column: 11 }));
        assert_eq!(p.key("services.web.port"), Some(Location { line: 4, column: 5 }));
        assert_eq!(p.value("services.web.routes[0].path"), Some(Location { line: 6, column: 15 }));
        assert_eq!(p.value("services.web.routes[1].priority"), Some(Location { line: 7, column: 31 }));
    }

    #[test]
    fn falls_back_to_the_closest_ancestor() {
        let p = Positions::index(DOC);
        assert_eq!(p.value("services.web.cpu"), p.key("services.web"));
        assert_eq!(p.value("services.web.cpu"), Some(Location { line: 3, column: 3 }));
        assert_eq!(parent("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent("a"), Some(""));
    }

    #[test]
    fn broken_yaml_gives_an_empty_index() {
        assert_eq!(Positions::index("a: [1, 2").value("a"), None);
    }
}
