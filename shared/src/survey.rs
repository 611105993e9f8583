//! Satisfaction surveys: an entry point may ask the customer one question when their chat (or
//! web call) with an agent ends — on a five-point scale or thumbs up/down, with an optional
//! comment. The customer answers once, or skips it. The answer is stored with the engagement,
//! announced as `engagement.survey_completed` (webhook
//! `contact_center.engagement_survey_completed`) and counted in the reports.
//!
//! Every answer is a `rating` from 1 to 5, whatever the scale: thumbs down is 1 and thumbs up
//! is 5, so averages across entry points mean the same thing and "satisfied" (CSAT) is always
//! a rating of 4 or 5.

use crate::ids::{AgentId, EngagementId, EntryId, QueueId};
use crate::Channel;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The longest comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 2_000;

/// The rating of thumbs down.
pub const THUMBS_DOWN: u8 = 1;
/// The rating of thumbs up.
pub const THUMBS_UP: u8 = 5;

/// How the customer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyScale {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    FivePoint,
    /// Thumbs down (rating 1) or up (rating 5).
    Thumbs,
}

impl SurveyScale {
    pub const fn as_str(self) -> &'static str {
        match self {
            SurveyScale::FivePoint => "five_point",
            SurveyScale::Thumbs => "thumbs",
        }
    }

    /// The ratings an answer on this scale may give.
    pub const fn ratings(self) -> &'static [u8] {
        match self {
            SurveyScale::FivePoint => &[1, 2, 3, 4, 5],
            SurveyScale::Thumbs => &[THUMBS_DOWN, THUMBS_UP],
        }
    }

    /// Why `rating` is not an answer on this scale, if it is not.
    pub fn refuse(self, rating: u8) -> Option<&'static str> {
        if self.ratings().contains(&rating) {
            return None;
        }
        Some(match self {
            SurveyScale::FivePoint => "a rating from 1 to 5",
            SurveyScale::Thumbs => "this survey asks thumbs up or down: 5 (up) or 1 (down)",
        })
    }
}

/// A rating of 4 or 5 (thumbs up): the customer was satisfied (the CSAT count).
pub const fn is_satisfied(rating: u8) -> bool {
    rating >= 4
}

/// What a rating reads as, for people (the chat page, the supervisor view, screen readers).
pub fn rating_label(scale: SurveyScale, rating: u8) -> &'static str {
    match (scale, rating) {
        (SurveyScale::Thumbs, r) if r >= 4 => "Thumbs up",
        (SurveyScale::Thumbs, _) => "Thumbs down",
        (_, 1) => "Very dissatisfied",
        (_, 2) => "Dissatisfied",
        (_, 3) => "Neutral",
        (_, 4) => "Satisfied",
        _ => "Very satisfied",
    }
}

/// An entry point's survey (`EntryPoint::survey`): asked on the chat page when a chat or web
/// call an agent answered ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Survey {
    pub scale: SurveyScale,
    /// The question, as the customer reads it ("How did we do today?").
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::visible_200)
    )]
    pub question: String,
    /// Whether the customer may add a comment (optional for them); default `true`.
    #[serde(default = "yes")]
    pub comment: bool,
}

fn yes() -> bool {
    true
}

/// `POST /v1/chat/session/survey`: the customer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyAnswer {
    /// 1–5; on a thumbs survey 5 (up) or 1 (down).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub rating: u8,
    /// Up to 2,000 characters, where the survey asks for one; blank counts as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::limits::schemas::text_2000)
    )]
    pub comment: Option<String>,
}

/// A customer's answer as stored with the engagement: what was asked, what they said, and
/// whose engagement it rates (`GET /v1/engagements/{id}/survey`, `GET /v1/surveys`, and the
/// `survey` of `engagement.survey_completed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyResponse {
    pub engagement_id: EngagementId,
    pub entry_id: EntryId,
    pub channel: Channel,
    /// The queue the engagement was last in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<QueueId>,
    /// The agent who last had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub scale: SurveyScale,
    /// The question as it was asked.
    pub question: String,
    /// 1–5 (thumbs: 1 down, 5 up).
    pub rating: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: OffsetDateTime,
}

/// The survey a chat page offers once its chat has ended (`ChatView::survey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatSurvey {
    pub scale: SurveyScale,
    pub question: String,
    pub comment: bool,
    /// The customer's rating, once they answered (a survey is answered once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbs_are_the_ends_of_the_five_point_scale() {
        assert_eq!(SurveyScale::Thumbs.refuse(THUMBS_UP), None);
        assert_eq!(SurveyScale::Thumbs.refuse(THUMBS_DOWN), None);
        for r in [0, 2, 3, 4, 6] {
            assert!(SurveyScale::Thumbs.refuse(r).is_some(), "{r}");
        }
        for r in 1..=5 {
            assert_eq!(SurveyScale::FivePoint.refuse(r), None);
        }
        assert!(SurveyScale::FivePoint.refuse(0).is_some());
        assert!(SurveyScale::FivePoint.refuse(6).is_some());
        assert!(is_satisfied(THUMBS_UP) && !is_satisfied(THUMBS_DOWN));
        assert!(is_satisfied(4) && !is_satisfied(3));
        assert_eq!(rating_label(SurveyScale::Thumbs, 5), "Thumbs up");
        assert_eq!(rating_label(SurveyScale::FivePoint, 3), "Neutral");
    }

    #[test]
    fn a_survey_asks_for_a_comment_unless_told_not_to() {
        let s: Survey =
            serde_json::from_str(r#"{"scale":"thumbs","question":"Did we help?"}"#).unwrap();
        assert!(s.comment);
        assert_eq!(s.scale.as_str(), "thumbs");
        assert_eq!(
            serde_json::to_value(SurveyScale::FivePoint).unwrap(),
            "five_point"
        );
    }
}
