//! The satisfaction survey, shown once a chat or web call an agent answered has ended, when
//! the entry point asks one (`ChatView::survey`, `shared::survey`): one question on a
//! five-point or thumbs scale, an optional comment, **Send** or **Skip**.
//!
//! Accessible as plain HTML is: the scale is a `fieldset` of native radio buttons whose
//! `legend` is the question (arrow keys move between them; a screen reader says "Very
//! satisfied, 5, radio button 5 of 5"), every control has a label, and what happens is said in
//! a `role=status` line. Nothing is sent when the customer skips.

use crate::dom::{append, attr, el, on, text_el};
use crate::host::Host;
use js_sys::Reflect;
use kit::client;
use shared::survey::{rating_label, SurveyScale, COMMENT_MAX_CHARS, THUMBS_DOWN, THUMBS_UP};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};

/// Read the chat's survey and, when there is one, put it into `root` before `before`: the
/// form, or a thank-you once it was answered (after a reload).
pub fn offer(token: String, root: Element, before: Element, host: Host) {
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(view) = client::chat_session().send(&token).await else {
            return;
        };
        let survey = Reflect::get(&view, &"survey".into()).unwrap_or(JsValue::NULL);
        if !survey.is_object() {
            return;
        }
        let section = el("section", "survey");
        attr(&section, "data-test", "survey");
        attr(&section, "aria-label", "Survey");
        let _ = root.insert_before(&section, Some(&before));
        if Reflect::get(&survey, &"rating".into())
            .ok()
            .and_then(|r| r.as_f64())
            .is_some()
        {
            thanks(&section);
            return;
        }
        form(&section, &survey, token, host);
    });
}

fn form(section: &Element, survey: &JsValue, token: String, host: Host) {
    let scale = match kit::text(survey, "scale").as_deref() {
        Some("thumbs") => SurveyScale::Thumbs,
        _ => SurveyScale::FivePoint,
    };
    let question = kit::text(survey, "question").unwrap_or_default();
    let asks_comment = Reflect::get(survey, &"comment".into())
        .ok()
        .and_then(|c| c.as_bool())
        .unwrap_or(false);

    let form = el("form", "");
    attr(&form, "novalidate", "");
    let set = el("fieldset", "");
    let legend = text_el("legend", "", &question);
    let choices = el("div", "scale");
    let ratings: &[u8] = match scale {
        // The positive answer first, as people read thumbs.
        SurveyScale::Thumbs => &[THUMBS_UP, THUMBS_DOWN],
        SurveyScale::FivePoint => scale.ratings(),
    };
    for &rating in ratings {
        let label = el("label", "");
        let input = el("input", "");
        attr(&input, "type", "radio");
        attr(&input, "name", "rating");
        attr(&input, "value", &rating.to_string());
        attr(&input, "data-test", &format!("survey-rating-{rating}"));
        let words = rating_label(scale, rating);
        let shown = match scale {
            SurveyScale::Thumbs if rating == THUMBS_UP => "👍".to_string(),
            SurveyScale::Thumbs => "👎".to_string(),
            SurveyScale::FivePoint => rating.to_string(),
        };
        let face = text_el("span", "", &shown);
        attr(&face, "aria-hidden", "true");
        // What a screen reader says, and what a mouse user sees on hover.
        attr(&input, "aria-label", words);
        attr(&label, "title", words);
        append(&label, &[&input, &face]);
        append(&choices, &[&label]);
    }
    append(&set, &[&legend, &choices]);
    if scale == SurveyScale::FivePoint {
        let ends = text_el("p", "ends", "1 = Very dissatisfied · 5 = Very satisfied");
        attr(&ends, "aria-hidden", "true");
        append(&set, &[&ends]);
    }
    append(&form, &[&set]);
    let comment = asks_comment.then(|| {
        let label = text_el("label", "", "Anything you'd like to add? (optional)");
        let area = el("textarea", "");
        attr(&area, "rows", "2");
        attr(&area, "maxlength", &COMMENT_MAX_CHARS.to_string());
        attr(&area, "data-test", "survey-comment");
        append(&label, &[&area]);
        append(&form, &[&label]);
        area.unchecked_into::<HtmlTextAreaElement>()
    });
    let status = el("p", "error");
    attr(&status, "role", "status");
    attr(&status, "data-test", "survey-status");
    let actions = el("div", "row");
    let send = text_el("button", "primary", "Send");
    attr(&send, "type", "submit");
    attr(&send, "data-test", "survey-send");
    let skip = text_el("button", "secondary", "Skip");
    attr(&skip, "type", "button");
    attr(&skip, "data-test", "survey-skip");
    append(&actions, &[&send, &skip]);
    append(&form, &[&status, &actions]);
    append(section, &[&form]);

    let s = section.clone();
    on(&skip, "click", move |_| {
        s.set_text_content(None);
        let p = text_el("p", "note", "Survey skipped. Thanks for chatting with us.");
        attr(&p, "role", "status");
        append(&s, &[&p]);
    });
    let said = status.clone();
    on(&choices, "change", move |_| said.set_text_content(None));
    let (s, f) = (section.clone(), form.clone());
    on(&form, "submit", move |e| {
        e.prevent_default();
        let chosen = f
            .query_selector("input[name=rating]:checked")
            .ok()
            .flatten()
            .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
            .and_then(|i| i.value().parse::<u8>().ok());
        let Some(rating) = chosen else {
            status.set_text_content(Some("Choose a rating first."));
            if let Some(first) = f.query_selector("input[name=rating]").ok().flatten() {
                let _ = first.unchecked_into::<web_sys::HtmlElement>().focus();
            }
            return;
        };
        let text = comment.as_ref().map(|c| c.value());
        let text = text.as_deref().filter(|c| !c.trim().is_empty());
        let call = client::answer_survey(rating, text);
        let (s, status, token, host) = (s.clone(), status.clone(), token.clone(), host.clone());
        let _ = send.set_attribute("disabled", "");
        let send = send.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match call.send_with_status(&token).await {
                // 409 "answered already" (another tab): it is done either way.
                Ok(_) | Err((409, _)) => {
                    host.post(
                        "chat.survey_completed",
                        &[("rating", JsValue::from(rating))],
                    );
                    thanks(&s);
                }
                Err((_, why)) => {
                    let _ = send.remove_attribute("disabled");
                    status.set_text_content(Some(&format!("Not sent: {why}")));
                }
            }
        });
    });
}

fn thanks(section: &Element) {
    section.set_text_content(None);
    let p = text_el("p", "note", "Thank you for your feedback.");
    attr(&p, "role", "status");
    attr(&p, "data-test", "survey-thanks");
    append(section, &[&p]);
}
