//! Signed bearer tokens: `sb1.<claims>.<signature>`, both parts URL-safe base64, the signature
//! an HMAC-SHA256 of `sb1.<claims>` with the server key (shared by every instance through the
//! database). Self-contained, so verifying one reads nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const PREFIX: &str = "sb1";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `agent`, `client`, `embed` (an embed token only buys an agent token) or `chat`.
    pub kind: TokenKind,
    /// The agent id or the client id.
    pub sub: String,
    /// The account.
    pub acc: String,
    /// Agent role (agent and embed tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<shared::config::Role>,
    /// Client scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<super::Scope>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// The session (agent and client tokens): revoking it ends the token before `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Agent,
    Client,
    Embed,
    /// A web chat customer's session (`sub`: the engagement id): good for `/v1/chat/session`
    /// only.
    Chat,
    /// A wallboard's screen (`sub`: the wallboard id, `sid`: its token id): good for
    /// `GET /v1/wallboards/{id}/view` only.
    Wallboard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

/// The server's signing key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: Vec<u8>) -> Signer {
        Signer { key }
    }

    fn mac(&self, data: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(data.as_bytes());
        mac
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let body = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signed = format!("{PREFIX}.{body}");
        let signature = B64.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// Check the signature (in constant time) and the expiry against `now_secs`.
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<Claims, TokenError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (prefix, body) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        if prefix != PREFIX {
            return Err(TokenError::Malformed);
        }
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        self.mac(signed)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims = B64
            .decode(body)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.exp <= now_secs {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            kind: TokenKind::Agent,
            sub: "a".into(),
            acc: "b".into(),
            role: Some(shared::config::Role::Agent),
            scopes: vec![],
            exp,
            sid: Some("s".into()),
        }
    }

    #[test]
    fn round_trip_expiry_and_tampering() {
        let signer = Signer::new(b"key".to_vec());
        let token = signer.sign(&claims(100));
        assert_eq!(signer.verify(&token, 99).unwrap(), claims(100));
        assert_eq!(signer.verify(&token, 100), Err(TokenError::Expired));
        assert_eq!(
            Signer::new(b"other".to_vec()).verify(&token, 0),
            Err(TokenError::BadSignature)
        );

        // Raise the expiry without re-signing: refused.
        let forged_body = B64.encode(serde_json::to_vec(&claims(i64::MAX)).unwrap());
        let sig = token.rsplit_once('.').unwrap().1;
        assert_eq!(
            signer.verify(&format!("sb1.{forged_body}.{sig}"), 0),
            Err(TokenError::BadSignature)
        );
        for junk in ["", "sb1", "sb1..", "x.y.z", "Bearer abc"] {
            assert!(signer.verify(junk, 0).is_err(), "{junk}");
        }
    }
}
