//! Satisfaction surveys (`shared::survey`): the customer of a chat or web call answers their
//! entry point's survey once the conversation with an agent has ended; the answer is stored
//! with the engagement and announced by `engagement.survey_completed` in the same
//! transaction, which is what webhooks and the reports read.
//!
//! Decisions: only engagements an agent answered are rated (a customer who gave up waiting
//! rated nobody's help; their wait shows as an abandon); the answer names the queue the
//! engagement was last in and the agent who last had it; the question is copied into the
//! answer, so changing the survey later does not change what old answers meant. Skipping needs
//! no call: a survey nobody answers is simply not there.

use super::chat::ChatCaller;
use super::reports::QueueScope;
use super::{conflict, invalid, validate, Ctx, Result, ServiceError};
use crate::auth::{Denied, Principal};
use crate::store::config as cfg;
use crate::store::engagements::{self as eng, EngagementRecord};
use crate::store::interactions as store;
use shared::events::EventKind;
use shared::ids::{EngagementId, EntryId};
use shared::payload::Detail;
use shared::survey::{ChatSurvey, Survey, SurveyAnswer, SurveyResponse, COMMENT_MAX_CHARS};
use shared::EngagementState;

/// The survey an engagement's customer is asked, if any: its entry point's, once an agent has
/// answered it.
async fn survey_of(
    conn: &mut sqlx::AnyConnection,
    rec: &EngagementRecord,
) -> Result<Option<Survey>> {
    let (Some(entry_id), Some(_)) = (&rec.entry_id, rec.connected_at_ms) else {
        return Ok(None);
    };
    Ok(cfg::get_entry(conn, rec.account, entry_id)
        .await?
        .and_then(|e| e.entry.survey))
}

/// What the chat page offers (`ChatView::survey`): the survey and, once answered, the rating.
pub async fn offer(
    conn: &mut sqlx::AnyConnection,
    rec: &EngagementRecord,
) -> Result<Option<ChatSurvey>> {
    let Some(survey) = survey_of(conn, rec).await? else {
        return Ok(None);
    };
    let rating = store::get_survey(conn, rec.account, rec.id)
        .await?
        .map(|a| a.rating);
    Ok(Some(ChatSurvey {
        scale: survey.scale,
        question: survey.question,
        comment: survey.comment,
        rating,
    }))
}

/// `POST /v1/chat/session/survey`: the customer answers. `404` when the chat's entry point asks
/// no survey, `409` before the conversation has ended, when no agent answered it, or when it was
/// answered already; `422` naming `rating` or `comment`.
pub async fn answer(ctx: &Ctx, caller: ChatCaller, a: SurveyAnswer) -> Result<SurveyResponse> {
    validate::optional("comment", a.comment.as_deref(), COMMENT_MAX_CHARS)?;
    let comment = a
        .comment
        .filter(|c| c.chars().any(shared::limits::is_visible_char))
        .map(|c| c.trim().to_string());
    let mut tx = ctx.store.begin_for(caller.account).await?;
    let rec = eng::get(tx.conn().await?, caller.account, caller.engagement)
        .await?
        .ok_or_else(|| ServiceError::NotFound("this chat no longer exists".into()))?;
    if !matches!(rec.state, EngagementState::WrapUp | EngagementState::Closed) {
        return Err(conflict("the survey opens once the conversation has ended"));
    }
    let survey = match survey_of(tx.conn().await?, &rec).await? {
        Some(s) => s,
        None if rec.connected_at_ms.is_none() => {
            return Err(conflict(
                "no agent answered this conversation, so there is nothing to rate",
            ))
        }
        None => {
            return Err(ServiceError::NotFound(
                "this chat's entry point asks no survey".into(),
            ))
        }
    };
    if let Some(why) = survey.scale.refuse(a.rating) {
        return Err(invalid("rating", why));
    }
    if comment.is_some() && !survey.comment {
        return Err(invalid("comment", "this survey takes no comment"));
    }
    let now = ctx.clock.now_ms();
    let response = SurveyResponse {
        engagement_id: rec.id,
        entry_id: EntryId(rec.entry_id.clone().unwrap_or_default()),
        channel: rec.channel,
        queue_id: rec.queue_id,
        agent_id: rec.agent_id,
        scale: survey.scale,
        question: survey.question,
        rating: a.rating,
        comment,
        answered_at: crate::store::ms_to_datetime(now)?,
    };
    if !store::insert_survey_if_absent(tx.conn().await?, caller.account, &response, now).await? {
        return Err(conflict("this survey has been answered already"));
    }
    super::events::emit(
        &mut tx,
        &rec,
        &[],
        EventKind::EngagementSurveyCompleted,
        None,
        Detail::Survey {
            survey: response.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(response)
}

/// `GET /v1/engagements/{id}/survey`: the customer's answer (`404` when none), for whoever may
/// read the engagement's interaction data — a supervisor only about their supervised queues
/// (`403` otherwise).
pub async fn get(ctx: &Ctx, p: &Principal, id: EngagementId) -> Result<SurveyResponse> {
    super::interactions::engagement_reader(p)?;
    let answer = store::get_survey(&mut *ctx.store.read().await?, p.account(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("engagement {id} has no survey answer")))?;
    let allowed = match super::reports::supervised(ctx, p).await? {
        QueueScope::All => true,
        scope @ QueueScope::Only(_) => answer.queue_id.is_some_and(|q| scope.allows(q)),
    };
    if !allowed {
        return Err(Denied::NotSupervised(format!("the survey of engagement {id}")).into());
    }
    Ok(answer)
}
