//! Input limits shared by every operation, with errors that name the field.

use super::{invalid, Result};

/// A required string: trimmed length 1..=max.
pub fn required(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(invalid(field, format!("{field} must not be empty")));
    }
    optional(field, Some(value), max)
}

/// An optional string of at most `max` characters.
pub fn optional(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid(
            field,
            format!("{field} is longer than {max} characters"),
        )),
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') =>
        {
            Err(invalid(
                field,
                format!("{field} contains control characters"),
            ))
        }
        _ => Ok(()),
    }
}

/// An identifier-like name: 1..=max of letters, digits, `_`, `-`, `.`.
pub fn name(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty()
        || value.len() > max
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(invalid(
            field,
            format!("{field} must be 1 to {max} letters, digits, '_', '-' or '.'"),
        ));
    }
    Ok(())
}

/// An absolute http(s) URL.
pub fn http_url(field: &str, value: &str, max: usize) -> Result<()> {
    optional(field, Some(value), max)?;
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(invalid(
            field,
            format!("{field} must be an absolute http(s) URL"),
        )),
    }
}

/// An email address, loosely: something@something.
pub fn email(field: &str, value: &str) -> Result<()> {
    optional(field, Some(value), 320)?;
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && !value.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(invalid(field, format!("{field} must be an email address")))
    }
}

/// A count limit on a list.
pub fn at_most<T>(field: &str, items: &[T], max: usize) -> Result<()> {
    if items.len() > max {
        return Err(invalid(
            field,
            format!("{field} may have at most {max} entries"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(required("a", "  ", 5).is_err());
        assert!(required("a", "abcdef", 5).is_err());
        assert!(required("a", "abc", 5).is_ok());
        assert!(optional("a", Some("a\u{0}b"), 5).is_err());
        assert!(name("a", "tier_1.x", 10).is_ok());
        assert!(name("a", "no spaces", 10).is_err());
        assert!(http_url("u", "javascript:alert(1)", 100).is_err());
        assert!(http_url("u", "https://crm.example/t/1", 100).is_ok());
        assert!(email("e", "ada@example.com").is_ok());
        assert!(email("e", "ada@example").is_err());
        assert!(email("e", "@example.com").is_err());
    }
}
