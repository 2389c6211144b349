//! One pass over a JSON object line, without building a tree.
//!
//! Every leaf value is recorded as raw bytes borrowed from the line, with
//! its key as a node whose parent is the enclosing object's key, so a
//! nested name (`request.headers.User-Agent`) is matched by walking up a
//! chain instead of copying a path per leaf. String values keep their JSON
//! escapes, as quoted CLF fields keep theirs. The scanner checks structure
//! only as far as it needs to find every value's end: a line it cannot
//! read to its closing brace is no object.

/// A key: its text (escapes intact) and the key of the object it is in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Node<'a> {
    pub key: &'a [u8],
    pub parent: Option<u32>,
}

/// The keys and leaf values of one object line.
#[derive(Debug, Default)]
pub(super) struct Object<'a> {
    pub nodes: Vec<Node<'a>>,
    /// `(node, raw value)`: a string's contents without quotes, or a
    /// number, `true`, `false`, `null` as written.
    pub leaves: Vec<(u32, &'a [u8])>,
}

/// Deeper nesting than any access log uses is refused, so a hostile line
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 16;

struct Scanner<'a, 'o> {
    s: &'a [u8],
    i: usize,
    out: &'o mut Object<'a>,
}

impl<'a> Scanner<'a, '_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// A string's raw contents (escapes intact), after its opening quote.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return self.s.get(start..self.i - 1);
                }
                _ => self.i += 1,
            }
        }
        None
    }

    /// One value whose key is `node`; leaves outside any kept key (the
    /// second and later elements of an array) are read but not recorded.
    fn value(&mut self, node: Option<u32>, keep: bool, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'"' => {
                self.i += 1;
                let v = self.string()?;
                self.leaf(node, keep, v);
            }
            b'{' => {
                self.i += 1;
                loop {
                    self.ws();
                    match self.peek()? {
                        b'}' => {
                            self.i += 1;
                            break;
                        }
                        b',' => self.i += 1,
                        b'"' => {
                            self.i += 1;
                            let key = self.string()?;
                            self.ws();
                            (self.peek()? == b':').then_some(())?;
                            self.i += 1;
                            let child = if keep {
                                let id = u32::try_from(self.out.nodes.len()).ok()?;
                                self.out.nodes.push(Node { key, parent: node });
                                Some(id)
                            } else {
                                None
                            };
                            self.value(child, keep, depth + 1)?;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                // Header values are arrays (`"User-Agent": ["…"]`): the
                // first element stands for the field.
                self.i += 1;
                let mut first = true;
                loop {
                    self.ws();
                    match self.peek()? {
                        b']' => {
                            self.i += 1;
                            break;
                        }
                        b',' => self.i += 1,
                        _ => {
                            self.value(node, keep && first, depth + 1)?;
                            first = false;
                        }
                    }
                }
            }
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                (self.i > start).then_some(())?;
                let v = &self.s[start..self.i];
                self.leaf(node, keep, v);
            }
        }
        Some(())
    }

    fn leaf(&mut self, node: Option<u32>, keep: bool, v: &'a [u8]) {
        if let (true, Some(n)) = (keep, node) {
            self.out.leaves.push((n, v));
        }
    }
}

/// Where the object starts: at the first non-blank byte, or after a
/// `docker compose logs` prefix (`caddy  | {…}`: a service name, blanks,
/// a bar), which would otherwise cost every line of such a capture.
pub(super) fn object_start(line: &[u8]) -> Option<usize> {
    let first = line.iter().position(|c| !c.is_ascii_whitespace())?;
    if line[first] == b'{' {
        return Some(first);
    }
    let bar = memchr::memchr(b'|', line.get(..128.min(line.len()))?)?;
    let name = line[first..bar].trim_ascii_end();
    let named = !name.is_empty()
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    let brace = bar + 1 + line[bar + 1..].iter().position(|c| *c != b' ')?;
    (named && line[brace] == b'{').then_some(brace)
}

/// The keys and leaves of a JSON object line (after any compose prefix),
/// or `None` if it is not one whole object.
pub(super) fn object(line: &[u8]) -> Option<Object<'_>> {
    let start = object_start(line)?;
    let mut out = Object::default();
    let mut sc = Scanner {
        s: line,
        i: start,
        out: &mut out,
    };
    sc.value(None, true, 0)?;
    sc.ws();
    (sc.i == line.len()).then_some(out)
}

impl Object<'_> {
    /// Whether `node`'s key path, its keys joined by `.`, is `name`.
    /// Joined paths make a flat key that holds a dot (Zeek's `id.orig_h`)
    /// and a nested one (`request.remote_ip`) the same kind of name.
    pub fn path_is(&self, node: u32, name: &[u8], case_sensitive: bool) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if case_sensitive {
                a == b
            } else {
                a.eq_ignore_ascii_case(b)
            }
        };
        let mut rest = name;
        let mut at = Some(node);
        while let Some(n) = at.and_then(|n| self.nodes.get(n as usize)) {
            let Some(split) = rest.len().checked_sub(n.key.len()) else {
                return false;
            };
            let (head, tail) = rest.split_at(split);
            if !eq(tail, n.key) {
                return false;
            }
            match n.parent {
                None => return head.is_empty(),
                Some(p) => {
                    let Some(head) = head.strip_suffix(b".") else {
                        return false;
                    };
                    rest = head;
                    at = Some(p);
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(line: &str) -> Vec<(String, String)> {
        let o = object(line.as_bytes()).expect("an object");
        o.leaves
            .iter()
            .map(|&(n, v)| {
                let mut keys = Vec::new();
                let mut at = Some(n);
                while let Some(node) = at.map(|a| o.nodes[a as usize]) {
                    keys.push(String::from_utf8_lossy(node.key).into_owned());
                    at = node.parent;
                }
                keys.reverse();
                (keys.join("."), String::from_utf8_lossy(v).into_owned())
            })
            .collect()
    }

    #[test]
    fn leaves_with_their_paths() {
        assert_eq!(
            paths(r#" {"a":1, "b":{"c":"x\"y","d":[ "u", "v" ]},"e":[],"f":null} "#),
            [
                ("a".into(), "1".into()),
                ("b.c".into(), r#"x\"y"#.into()),
                ("b.d".into(), "u".into()),
                ("f".into(), "null".into()),
            ]
        );
    }

    #[test]
    fn dotted_names_match_flat_and_nested_keys() {
        let o = object(br#"{"id.orig_h":"192.0.2.1","request":{"remote_ip":"192.0.2.2"}}"#)
            .expect("an object");
        let (flat, nested) = (o.leaves[0].0, o.leaves[1].0);
        assert!(o.path_is(flat, b"id.orig_h", true));
        assert!(o.path_is(nested, b"request.remote_ip", true));
        assert!(o.path_is(nested, b"REQUEST.Remote_IP", false));
        assert!(!o.path_is(nested, b"REQUEST.Remote_IP", true));
        assert!(!o.path_is(nested, b"remote_ip", false));
        assert!(!o.path_is(nested, b"x.request.remote_ip", false));
        assert!(!o.path_is(flat, b"orig_h", false));
    }

    #[test]
    fn compose_prefixes_and_broken_objects() {
        assert_eq!(object_start(b"caddy  | {\"a\":1}"), Some(9));
        assert_eq!(object_start(b"web-1.x|{}"), Some(8));
        assert_eq!(object_start(b"a b | {}"), None);
        assert_eq!(object_start(b"caddy | x"), None);
        assert_eq!(object_start(b"| {}"), None);
        assert_eq!(object_start("é|{}".as_bytes()), None);
        for bad in [
            r#"{"a":1"#,
            r#"{"a":}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"{"a":"x}"#,
            "{\"a\":\"\\",
            r#"["a"]"#,
        ] {
            assert!(object(bad.as_bytes()).is_none(), "{bad}");
        }
        let deep = format!("{}1{}", "{\"a\":".repeat(40), "}".repeat(40));
        assert!(object(deep.as_bytes()).is_none());
    }
}
