//! The pre-chat form: name, email and the first question, each required as the entry point
//! says (`GET /v1/chat/{entry_id}`). Starting the chat saves its session token and opens the
//! conversation; a refused answer shows the server's message, which names the field.

use crate::dom::{self, append, attr, el, on, text_el};
use crate::host::Host;
use crate::{conversation, session};
use js_sys::{Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};
use webapi::{call, call_with_status, object, text};

/// What every screen of the page shares.
#[derive(Clone)]
pub struct Page {
    pub root: Element,
    pub entry: String,
    pub host: Host,
}

fn field(label: &str, input: &Element) -> Element {
    let l = text_el("label", "", label);
    append(&l, &[input]);
    l
}

fn input(kind: &str, name: &str, autocomplete: &str) -> Element {
    let i = el("input", "");
    attr(&i, "type", kind);
    attr(&i, "name", name);
    attr(&i, "autocomplete", autocomplete);
    attr(&i, "data-test", name);
    i
}

/// Show the pre-chat form (after reading what the entry point asks for).
pub async fn show(page: Page) {
    let entry = String::from(js_sys::encode_uri_component(&page.entry));
    let settings = match call("GET", &format!("/v1/chat/{entry}"), "", None).await {
        Ok(s) => s,
        Err(why) => {
            return dom::show_error(&page.root, &format!("This chat is not available: {why}"))
        }
    };
    let flag = |k: &str| {
        Reflect::get(&settings, &k.into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let (email_required, question_required) = (flag("require_email"), flag("require_question"));

    page.root.set_text_content(None);
    let form = el("form", "prechat");
    attr(&form, "novalidate", "");
    attr(&form, "data-test", "prechat");
    let name = input("text", "name", "name");
    attr(&name, "maxlength", "200");
    let email = input("email", "email", "email");
    let question = el("textarea", "");
    attr(&question, "name", "question");
    attr(&question, "rows", "3");
    attr(&question, "maxlength", "4000");
    attr(&question, "data-test", "question");
    let error = el("p", "error");
    attr(&error, "role", "alert");
    attr(&error, "data-test", "form-error");
    let submit = text_el("button", "primary", "Start chat");
    attr(&submit, "type", "submit");
    attr(&submit, "data-test", "start");
    let optional = |label: &str, required: bool| {
        if required {
            label.to_string()
        } else {
            format!("{label} (optional)")
        }
    };
    append(
        &form,
        &[
            &text_el(
                "p",
                "",
                "Tell us who you are and an agent will be with you shortly.",
            ),
            &field("Your name", &name),
            &field(&optional("Email", email_required), &email),
            &field(&optional("Your question", question_required), &question),
            &error,
            &submit,
        ],
    );
    append(
        &page.root,
        &[&dom::header("Chat with us", &page.host), &form],
    );
    let value = |e: &Element| -> String {
        if let Some(i) = e.dyn_ref::<HtmlInputElement>() {
            i.value()
        } else if let Some(t) = e.dyn_ref::<HtmlTextAreaElement>() {
            t.value()
        } else {
            String::new()
        }
    };
    if let Some(i) = name.dyn_ref::<web_sys::HtmlElement>() {
        let _ = i.focus();
    }
    let busy = std::rc::Rc::new(std::cell::Cell::new(false));
    on(&form.clone(), "submit", move |e| {
        e.prevent_default();
        if busy.replace(true) {
            return;
        }
        let (page, busy, error, submit) =
            (page.clone(), busy.clone(), error.clone(), submit.clone());
        let mut answers = vec![("name", JsValue::from_str(value(&name).trim()))];
        for (k, e) in [("email", &email), ("question", &question)] {
            let v = value(e);
            if !v.trim().is_empty() {
                answers.push((k, JsValue::from_str(v.trim())));
            }
        }
        let body = JSON::stringify(&object(&answers))
            .ok()
            .and_then(|s| s.as_string());
        attr(&submit, "disabled", "");
        wasm_bindgen_futures::spawn_local(async move {
            let path = format!(
                "/v1/chat/{}/sessions",
                String::from(js_sys::encode_uri_component(&page.entry))
            );
            match call_with_status("POST", &path, "", body).await {
                Ok(started) => {
                    let token = text(&started, "session_token").unwrap_or_default();
                    session::save(&page.entry, &token);
                    page.host.post("chat.started", &[]);
                    conversation::open(page, token);
                }
                Err((_, message)) => {
                    error.set_text_content(Some(&message));
                    let _ = submit.remove_attribute("disabled");
                    busy.set(false);
                }
            }
        });
    });
}
