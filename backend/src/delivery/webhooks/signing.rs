//! The two signature schemes every delivery carries (`../shared/WEBHOOKS.md`):
//!
//! - **Standard Webhooks**: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//!   `"<webhook-id>.<webhook-timestamp>.<body>"`, keyed with the base64-decoded part of the
//!   `whsec_` secret; several space-separated signatures while a rotated secret overlaps.
//! - **Zoom-style**: `x-zm-signature: v0=<hex HMAC-SHA256>` over `"v0:<timestamp>:<body>"`,
//!   keyed with the whole secret string, as Zoom receivers use their secret token.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A subscription secret: `whsec_` + base64 of 24–64 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a given secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret must start with whsec_ followed by base64 of 24 to 64 bytes")]
    Format,
    #[error("secret must encode 24 to 64 bytes after whsec_ (it encodes {0})")]
    Length(usize),
}

impl Secret {
    /// A new random secret of 32 bytes.
    pub fn generate() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret::parse(&format!("{PREFIX}{}", B64.encode(bytes))).expect("32 bytes is in range")
    }

    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(SecretError::Format)?;
        let key = B64.decode(encoded).map_err(|_| SecretError::Format)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Length(key.len()));
        }
        Ok(Secret {
            text: text.to_string(),
            key,
        })
    }

    /// The secret as given (`whsec_…`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `v1,<base64>` for Standard Webhooks.
    pub fn standard_signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = hmac(&self.key);
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `v0=<hex>` for Zoom-style receivers, keyed with the whole secret string.
pub fn zoom_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac(secret.as_bytes());
    mac.update(b"v0:");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex(&mac.finalize().into_bytes()))
}

/// The `encryptedToken` Zoom's URL validation expects: hex HMAC-SHA256 of the plain token,
/// keyed with the whole secret string.
pub fn encrypted_token(secret: &str, plain_token: &str) -> String {
    let mut mac = hmac(secret.as_bytes());
    mac.update(plain_token.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The signature headers for one request: the current secret signs both schemes; a previous
/// secret still inside its overlap adds a second Standard Webhooks signature.
pub fn headers(
    id: &str,
    timestamp: i64,
    body: &[u8],
    current: &Secret,
    previous: Option<&Secret>,
) -> Vec<(&'static str, String)> {
    let mut signatures = current.standard_signature(id, timestamp, body);
    if let Some(old) = previous {
        signatures.push(' ');
        signatures.push_str(&old.standard_signature(id, timestamp, body));
    }
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signatures),
        ("x-zm-request-timestamp", timestamp.to_string()),
        (
            "x-zm-signature",
            zoom_signature(current.as_str(), timestamp, body),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_vectors() {
        let one = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(
            one.standard_signature(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        let two = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            two.standard_signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        // Any other body signs differently (the vector's "must fail" signature).
        assert_ne!(
            one.standard_signature(
                "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
                1649367553,
                br#"{"email":"test@example.com","username":"test_user2"}"#
            ),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn zoom_vectors() {
        let body = br#"{"event":"contact_center.engagement_note_added","event_ts":1739923528123,"payload":{"account_id":"acct_1","object":{"engagement_id":"eng_1","note_id":"note_1"}}}"#;
        assert_eq!(
            zoom_signature("switchboard_test_secret", 1739923528, body),
            "v0=3c7d8ddab7f82287544bf39c07ab5a7541151f02d6b73a676c271f8c8ba7e813"
        );
        assert_eq!(
            encrypted_token("switchboard_test_secret", "qgg8vlvZRS6UYooatFL8Aw"),
            "8185d1f07b77249bbcdfe9832a1526c7de1db581d3f7cbaed325ff60d9afcfc5"
        );
    }

    #[test]
    fn secrets_are_whsec_base64_of_24_to_64_bytes() {
        let generated = Secret::generate();
        assert!(generated.as_str().starts_with("whsec_"));
        assert_eq!(Secret::parse(generated.as_str()).unwrap(), generated);
        assert_ne!(Secret::generate(), generated);
        assert_eq!(Secret::parse("C2FVsBQIhrsc"), Err(SecretError::Format));
        assert_eq!(Secret::parse("whsec_not base64!"), Err(SecretError::Format));
        assert_eq!(
            Secret::parse(&format!("whsec_{}", B64.encode([7u8; 23]))),
            Err(SecretError::Length(23))
        );
        assert_eq!(
            Secret::parse(&format!("whsec_{}", B64.encode([7u8; 65]))),
            Err(SecretError::Length(65))
        );
        assert!(Secret::parse(&format!("whsec_{}", B64.encode([7u8; 64]))).is_ok());
        assert!(!format!("{generated:?}").contains("whsec"));
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let new = Secret::generate();
        let old = Secret::generate();
        let h = headers("evt", 1700000000, b"{}", &new, Some(&old));
        let sig = &h.iter().find(|(k, _)| *k == "webhook-signature").unwrap().1;
        let parts: Vec<&str> = sig.split(' ').collect();
        assert_eq!(
            parts,
            vec![
                new.standard_signature("evt", 1700000000, b"{}"),
                old.standard_signature("evt", 1700000000, b"{}")
            ]
        );
        let zoom = &h.iter().find(|(k, _)| *k == "x-zm-signature").unwrap().1;
        assert_eq!(*zoom, zoom_signature(new.as_str(), 1700000000, b"{}"));
    }
}
