//! The text rules the server enforces, as the regular expressions `/openapi.json` publishes
//! (JSON Schema `pattern`, ECMA-262 syntax that Python's and Rust's `regex` read the same way).
//! Fields refer to them through the `schema_with` functions of [`schemas`]; the backend's
//! `service::validate` implements them with the character predicates below, and property
//! tests there check that both agree.

/// Free text (notes, descriptions, optional values): no control characters but tab, line feed
/// and carriage return.
pub const TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Required text (names): [`TEXT`] with at least one visible character (not whitespace, not a
/// byte-order mark).
pub const VISIBLE_TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\x00-\x20\x7F-\x9F\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";

/// Identifier-like names (entry ids, variable names): ASCII letters, digits, `_`, `-`, `.`.
pub const NAME: &str = r"^[A-Za-z0-9_.-]+$";

/// Absolute `http(s)` URLs as the document describes them, and the server takes exactly these
/// (the backend's `validate::http_url` matches this very pattern; it once took any URL its
/// parser did and echoed values the document calls invalid): a domain name whose last label is letters, `localhost`, or an IPv4 address in
/// its usual form; a port (up to 65535); a path and query of URL characters, `%`-escapes included. Host
/// labels take single hyphens only: a label with `--` at its third and fourth characters is
/// IDNA's (`xn--…` must be valid punycode, which no pattern can say), so internationalised
/// hosts are not taken; nor are IPv6 literals.
pub const HTTP_URL: &str = r"^https?://(([A-Za-z0-9]+(-[A-Za-z0-9]+)*\.)+[A-Za-z]+|localhost|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~!$&()*+,;=:@/?#%-]*)?$";

/// [`HTTP_URL`] with `{variable}` placeholders in its path and query (screen-pop templates).
pub const URL_TEMPLATE: &str = r"^https?://(([A-Za-z0-9]+(-[A-Za-z0-9]+)*\.)+[A-Za-z]+|localhost|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/([A-Za-z0-9._~!$&()*+,;=:@/?#%-]|\{[A-Za-z0-9_.]+\})*)?$";

/// Email addresses as the document describes them (ASCII); every one is an address the
/// server takes.
pub const EMAIL: &str =
    r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9]+(-+[A-Za-z0-9]+)*(\.[A-Za-z0-9]+(-+[A-Za-z0-9]+)*)+$";

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

/// `schema_with` functions: strings under the rules above, and the schemas the derive cannot
/// state (maps with `propertyNames`, `anyOf` of formats, enums built from the event names).
#[cfg(feature = "openapi")]
pub mod schemas {
    use utoipa::openapi::schema::{
        AnyOfBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};

    fn string(min: Option<usize>, max: usize, pattern: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .min_length(min)
            .max_length(Some(max))
            .pattern(Some(pattern))
    }

    /// Engagement variables: up to `max` names ([`super::NAME`], ≤ 64) to values
    /// ([`super::TEXT`], ≤ 1000); at least `min`.
    fn variables(min: usize, max: usize) -> Schema {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property_names(Some(string(Some(1), 64, super::NAME)))
            .additional_properties(Some(string(None, 1000, super::TEXT)))
            .min_properties((min > 0).then_some(min))
            .max_properties(Some(max))
            .into()
    }

    /// `schema_with` functions for strings: `<rule>_<max length>`.
    macro_rules! strings {
        ($($name:ident = $min:expr, $max:expr, $pattern:expr;)*) => {
            $(
                #[doc = concat!("A string of at most ", stringify!($max), " characters matching `", stringify!($pattern), "`.")]
                pub fn $name() -> Schema {
                    string($min, $max, &$pattern).into()
                }
            )*
        };
    }

    strings! {
        text_50 = None, 50, super::TEXT;
        text_100 = None, 100, super::TEXT;
        text_200 = None, 200, super::TEXT;
        text_500 = None, 500, super::TEXT;
        text_1000 = None, 1000, super::TEXT;
        text_2000 = None, 2000, super::TEXT;
        text_4000 = None, 4000, super::TEXT;
        text_10000 = None, 10000, super::TEXT;
        visible_100 = Some(1), 100, super::VISIBLE_TEXT;
        visible_200 = Some(1), 200, super::VISIBLE_TEXT;
        visible_320 = Some(1), 320, super::VISIBLE_TEXT;
        visible_1024 = Some(1), 1024, super::VISIBLE_TEXT;
        visible_4000 = Some(1), 4000, super::VISIBLE_TEXT;
        visible_10000 = Some(1), 10000, super::VISIBLE_TEXT;
        name_64 = Some(1), 64, super::NAME;
        name_100 = Some(1), 100, super::NAME;
        http_url_2000 = None, 2000, super::HTTP_URL;
        optional_http_url_2000 = None, 2000, format!("^$|{}", super::HTTP_URL);
        url_template_2000 = None, 2000, super::URL_TEMPLATE;
        email_320 = None, 320, super::EMAIL;
        optional_email_320 = None, 320, format!("^$|{}", super::EMAIL);
    }

    /// The variables `PATCH /v1/engagements/{id}/variables` takes: 1 to 50.
    pub fn variables_update() -> Schema {
        variables(1, 50)
    }

    /// Busy-agent limits: a channel name to 0–100 at once.
    pub fn channel_limits() -> Schema {
        let channels: Vec<&str> = crate::Channel::ALL.iter().map(|c| c.as_str()).collect();
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .enum_values(Some(channels)),
            ))
            .additional_properties(Some(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Integer))
                    .minimum(Some(0))
                    .maximum(Some(100)),
            ))
            .into()
    }

    /// A flow's steps: 1 to 200, named by [`super::VISIBLE_TEXT`] (≤ 64).
    pub fn flow_steps() -> Schema {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property_names(Some(string(Some(1), 64, super::VISIBLE_TEXT)))
            .additional_properties(Some(RefOr::Ref(Ref::from_schema_name("FlowStep"))))
            .min_properties(Some(1))
            .max_properties(Some(200))
            .into()
    }

    /// A window bound: an RFC 3339 time or a date.
    pub fn time_or_date() -> Schema {
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
            )
            .into()
    }

    /// What a webhook subscription selects: 1 to 100 of the names in
    /// [`crate::webhooks::NAMES`] (the table `docs/webhooks.md` shows), or `*`.
    pub fn webhook_events() -> Schema {
        let names: Vec<&str> = crate::webhooks::NAMES
            .iter()
            .map(|(name, _)| *name)
            .chain([crate::webhooks::ALL_EVENTS])
            .collect();
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .enum_values(Some(names)),
            )
            .min_items(Some(1))
            .max_items(Some(100))
            .into()
    }

    /// A flow callout's `on`: a trigger or any event name.
    pub fn callout_trigger() -> Schema {
        use crate::config::CalloutTrigger as T;
        let names: Vec<String> = [
            T::EngagementAccepted,
            T::DispositionSaved,
            T::EngagementClosed,
        ]
        .into_iter()
        .chain(crate::events::EventKind::ALL.iter().map(|k| T::Event(*k)))
        .map(String::from)
        .collect();
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(names))
            .into()
    }
}
