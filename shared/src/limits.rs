//! The text rules the server enforces, as the regular expressions `/openapi.json` publishes
//! (JSON Schema `pattern`, ECMA-262 syntax that Python's and Rust's `regex` read the same way).
//! Schema attributes need literals, so each field repeats one of these strings; the backend's
//! `service::validate` implements them and a property test there checks that both agree, and
//! a test of the document checks that every published pattern is one of these.

/// Free text (notes, descriptions, optional values): no control characters but tab, line feed
/// and carriage return.
pub const TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Required text (names): [`TEXT`] with at least one visible character (not whitespace, not a
/// byte-order mark).
pub const VISIBLE_TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Identifier-like names (entry ids, variable names): ASCII letters, digits, `_`, `-`, `.`.
pub const NAME: &str = r"^[A-Za-z0-9_.-]+$";

/// Every pattern above, for the document test.
pub const ALL: &[&str] = &[TEXT, VISIBLE_TEXT, NAME];

/// Is `c` allowed in [`TEXT`]?
pub fn is_text_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// Is `c` a visible character in the sense of [`VISIBLE_TEXT`]?
pub fn is_visible_char(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && c != '\u{FEFF}'
}

/// Is `c` allowed in [`NAME`]?
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}
