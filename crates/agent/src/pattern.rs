//! `ImagePattern`: the small regular-expression subset used by `--hollow-unpullable` and the
//! crash-injection rules.
//!
//! A full regex engine would be a new dependency for one flag; image references are short
//! and the patterns people write for them are alternations of literals with anchors. The
//! subset: alternation `|` at the top level, anchors `^` (start of an alternative) and `$`
//! (end of one), `.`, bracket classes `[a-z0-9]` / `[^…]`, the escapes `\d \w \s` and `\`
//! before any punctuation, and the quantifiers `*`, `+`, `?`. Matching is a search (like
//! `regex::Regex::is_match`), not a full match. Groups and counted repetition are refused
//! when the pattern is parsed rather than silently misread.

use std::fmt;

/// Upstream's docs use `nginx:1.161` as the mistyped tag; the words cover the usual test
/// images that are meant not to exist.
pub const DEFAULT_UNPULLABLE: &str = r":1\.161$|bad|invalid|missing|nonexistent";

#[derive(Clone, PartialEq, Eq)]
pub struct ImagePattern {
    source: String,
    alternatives: Vec<Alternative>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    anchored_start: bool,
    anchored_end: bool,
    items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    atom: Atom,
    repeat: Repeat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    One,
    ZeroOrOne,
    ZeroOrMore,
    OneOrMore,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    Char(char),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Why a pattern was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid image pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

impl ImagePattern {
    pub fn new(source: &str) -> Result<Self, PatternError> {
        let fail = |reason: &str| PatternError {
            pattern: source.to_string(),
            reason: reason.to_string(),
        };
        let mut alternatives = Vec::new();
        for part in split_alternatives(source) {
            alternatives.push(parse_alternative(&part).map_err(|r| fail(&r))?);
        }
        Ok(Self {
            source: source.to_string(),
            alternatives,
        })
    }

    /// A pattern that matches nothing (an empty alternative list).
    pub fn never() -> Self {
        Self {
            source: String::new(),
            alternatives: Vec::new(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern occurs anywhere in `text` (honouring anchors).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        self.alternatives.iter().any(|alt| {
            if alt.anchored_start {
                match_here(&alt.items, &chars, 0, alt.anchored_end)
            } else {
                (0..=chars.len())
                    .any(|start| match_here(&alt.items, &chars, start, alt.anchored_end))
            }
        })
    }
}

impl Default for ImagePattern {
    fn default() -> Self {
        // The default is a constant covered by tests; falling back keeps `Default`
        // infallible.
        Self::new(DEFAULT_UNPULLABLE).unwrap_or_else(|_| Self::never())
    }
}

impl fmt::Debug for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImagePattern({:?})", self.source)
    }
}

impl fmt::Display for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for ImagePattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Splits on `|` outside escapes and bracket classes.
fn split_alternatives(source: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    let mut in_class = false;
    for c in source.chars() {
        let current = parts.last_mut();
        let Some(current) = current else { break };
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                current.push(c);
                escaped = true;
            }
            '[' => {
                in_class = true;
                current.push(c);
            }
            ']' => {
                in_class = false;
                current.push(c);
            }
            '|' if !in_class => parts.push(String::new()),
            _ => current.push(c),
        }
    }
    parts
}

fn parse_alternative(part: &str) -> Result<Alternative, String> {
    let mut chars: Vec<char> = part.chars().collect();
    let anchored_start = chars.first() == Some(&'^');
    if anchored_start {
        chars.remove(0);
    }
    // A trailing `$` is an anchor unless it is escaped (an odd number of backslashes).
    let mut anchored_end = false;
    if chars.last() == Some(&'$') {
        let backslashes = chars[..chars.len() - 1]
            .iter()
            .rev()
            .take_while(|c| **c == '\\')
            .count();
        if backslashes % 2 == 0 {
            anchored_end = true;
            chars.pop();
        }
    }
    let mut items: Vec<Item> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let atom = match c {
            '\\' => {
                i += 1;
                let Some(&e) = chars.get(i) else {
                    return Err("trailing backslash".to_string());
                };
                escape_atom(e)?
            }
            '.' => Atom::Any,
            '[' => {
                let (atom, next) = parse_class(&chars, i)?;
                i = next;
                atom
            }
            '*' | '+' | '?' => {
                let Some(last) = items.last_mut() else {
                    return Err(format!("nothing to repeat before {c:?}"));
                };
                if last.repeat != Repeat::One {
                    return Err(format!("repeated quantifier {c:?}"));
                }
                last.repeat = match c {
                    '*' => Repeat::ZeroOrMore,
                    '+' => Repeat::OneOrMore,
                    _ => Repeat::ZeroOrOne,
                };
                i += 1;
                continue;
            }
            '(' | ')' | '{' | '}' => {
                return Err(format!(
                    "{c:?} (groups and counted repetition) is not supported"
                ));
            }
            '^' | '$' => {
                return Err(format!(
                    "{c:?} is only supported at the start/end of an alternative"
                ));
            }
            other => Atom::Char(other),
        };
        items.push(Item {
            atom,
            repeat: Repeat::One,
        });
        i += 1;
    }
    Ok(Alternative {
        anchored_start,
        anchored_end,
        items,
    })
}

fn escape_atom(e: char) -> Result<Atom, String> {
    Ok(match e {
        'd' => Atom::Class {
            negated: false,
            ranges: vec![('0', '9')],
        },
        'w' => Atom::Class {
            negated: false,
            ranges: vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')],
        },
        's' => Atom::Class {
            negated: false,
            ranges: vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')],
        },
        c if c.is_ascii_alphanumeric() => return Err(format!("unsupported escape \\{c}")),
        c => Atom::Char(c),
    })
}

/// Parses `[...]` starting at `start` (the `[`); returns the atom and the index of the `]`.
fn parse_class(chars: &[char], start: usize) -> Result<(Atom, usize), String> {
    let mut i = start + 1;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated [ class".to_string());
        };
        if c == ']' && !first {
            return Ok((Atom::Class { negated, ranges }, i));
        }
        first = false;
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i).ok_or("trailing backslash in class")?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|n| *n != ']') {
            let hi = chars[i + 2];
            if hi < lo {
                return Err(format!("bad class range {lo}-{hi}"));
            }
            ranges.push((lo, hi));
            i += 3;
        } else {
            ranges.push((lo, lo));
            i += 1;
        }
    }
}

fn atom_matches(atom: &Atom, c: char) -> bool {
    match atom {
        Atom::Char(x) => *x == c,
        Atom::Any => true,
        Atom::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
    }
}

/// Backtracking matcher over `items` at `text[pos..]`.
fn match_here(items: &[Item], text: &[char], pos: usize, anchored_end: bool) -> bool {
    let Some((item, rest)) = items.split_first() else {
        return !anchored_end || pos == text.len();
    };
    let (min, max) = match item.repeat {
        Repeat::One => (1, 1),
        Repeat::ZeroOrOne => (0, 1),
        Repeat::ZeroOrMore => (0, usize::MAX),
        Repeat::OneOrMore => (1, usize::MAX),
    };
    // Count how many characters the atom can take, then try the longest first.
    let mut taken = 0;
    while taken < max && pos + taken < text.len() && atom_matches(&item.atom, text[pos + taken]) {
        taken += 1;
    }
    if taken < min {
        return false;
    }
    (min..=taken)
        .rev()
        .any(|n| match_here(rest, text, pos + n, anchored_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pattern_matches_the_documented_images() {
        let p = ImagePattern::default();
        assert_eq!(p.as_str(), DEFAULT_UNPULLABLE);
        let cases = [
            ("nginx:1.161", true),
            ("docker.io/library/nginx:1.161", true),
            ("nginx:1.16.1", false),
            ("nginx:1.1610", false),
            ("nginx:11.161", false),
            ("nginx:1x161", false),
            ("nginx", false),
            ("nginx:1.14.2", false),
            ("registry.example.com/bad-image:1", true),
            ("invalid/image", true),
            ("example.com/missing:latest", true),
            ("registry.k8s.io/e2e/nonexistent:v1", true),
            ("busybox:1.36", false),
        ];
        for (image, want) in cases {
            assert_eq!(p.is_match(image), want, "{image}");
        }
    }

    #[test]
    fn subset_semantics() {
        let cases = [
            ("^nginx$", "nginx", true),
            ("^nginx$", "nginx:1", false),
            ("^nginx", "xnginx", false),
            ("nginx", "xnginx", true),
            ("a.c", "abc", true),
            ("a.c", "ac", false),
            ("ab*c", "ac", true),
            ("ab*c", "abbbc", true),
            ("ab+c", "ac", false),
            ("ab+c", "abbc", true),
            ("colou?r", "color", true),
            ("colou?r", "colour", true),
            (r":v\d+$", "app:v12", true),
            (r":v\d+$", "app:v12a", false),
            ("[0-9]+\\.[0-9]+$", "app:1.2", true),
            ("^[^:]+$", "nginx", true),
            ("^[^:]+$", "nginx:1", false),
            (r"a\|b", "a|b", true),
            ("x|y|z", "zzz", true),
            ("x|y", "abc", false),
            (".*", "", true),
            (r"\.", "a.b", true),
            (r"\.", "ab", false),
            (r"1\$", "1$", true),
            ("[a|b]", "|", true),
        ];
        for (pattern, text, want) in cases {
            let p = ImagePattern::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.is_match(text), want, "{pattern} on {text}");
        }
    }

    #[test]
    fn unsupported_syntax_is_refused_with_a_reason() {
        let cases = [
            (
                "(a|b)",
                "'(' (groups and counted repetition) is not supported",
            ),
            (
                "a{2}",
                "'{' (groups and counted repetition) is not supported",
            ),
            ("*a", "nothing to repeat before '*'"),
            ("a**", "repeated quantifier '*'"),
            ("[abc", "unterminated [ class"),
            ("a\\", "trailing backslash"),
            (
                "a^b",
                "'^' is only supported at the start/end of an alternative",
            ),
            (r"\b", "unsupported escape \\b"),
            ("[z-a]", "bad class range z-a"),
        ];
        for (pattern, reason) in cases {
            let err = ImagePattern::new(pattern).err();
            assert_eq!(
                err,
                Some(PatternError {
                    pattern: pattern.to_string(),
                    reason: reason.to_string()
                }),
                "{pattern}"
            );
        }
        let shown = ImagePattern::new("(").err().map(|e| e.to_string());
        assert_eq!(
            shown.as_deref(),
            Some(
                "invalid image pattern \"(\": '(' (groups and counted repetition) is not supported"
            )
        );
    }

    #[test]
    fn never_matches_nothing() {
        assert!(!ImagePattern::never().is_match("anything"));
        assert!(!ImagePattern::never().is_match(""));
    }
}
