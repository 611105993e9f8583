//! The pre-chat form: name, email and the first question, each required as the entry point
//! says (`GET /v1/chat/{entry_id}`). Starting the chat saves its session token and opens the
//! conversation; a refused answer shows the server's message, which names the field.

use crate::dom::{self, append, attr, el, on, text_el};
use crate::host::Host;
use crate::{conversation, session};
use js_sys::{Array, Date, Intl, Object, Reflect, JSON};
use kit::client::{self, Call};
use kit::{object, text};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement};

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

/// Show the pre-chat form (after reading what the entry point asks for), or "leave a
/// message" when no chat can be answered now and the entry point takes messages.
pub async fn show(page: Page) {
    let entry = String::from(js_sys::encode_uri_component(&page.entry));
    let settings = match client::chat_entry(&entry).send("").await {
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
    let unavailable = text(&settings, "unavailable");
    let closed = unavailable.as_deref() == Some("closed");
    let hours = if closed {
        opening_hours(&settings)
    } else {
        None
    };
    if !flag("available") && flag("leave_message") {
        let why = if closed {
            "We're closed right now."
        } else {
            "No one is available to chat right now."
        };
        let root = page.root.clone();
        leave_message(page, why);
        if let Some(hours) = hours {
            append(&root, &[&hours]);
        }
        return;
    }
    if closed {
        page.root.set_text_content(None);
        let note = text_el(
            "p",
            "status",
            "We're closed right now. Please come back during our opening hours.",
        );
        attr(&note, "data-test", "closed");
        append(
            &page.root,
            &[&dom::header("Chat with us", &page.host), &note],
        );
        if let Some(hours) = hours {
            append(&page.root, &[&hours]);
        }
        return;
    }
    let intro = if unavailable.is_some() {
        "Everyone is busy right now: start the chat and an agent will answer as soon as one is free."
    } else {
        "Tell us who you are and an agent will be with you shortly."
    };
    let (email_required, question_required) = (flag("require_email"), flag("require_question"));
    let name = input("text", "name", "name");
    attr(&name, "maxlength", "200");
    let email = input("email", "email", "email");
    let question = textarea("question");
    let screen = Screen::new(
        &page,
        "prechat",
        intro,
        &[
            field("Your name", &name),
            field(&optional("Email", email_required), &email),
            field(&optional("Your question", question_required), &question),
        ],
        "Start chat",
    );
    if flag("calls") {
        let ice_servers =
            Reflect::get(&settings, &"ice_servers".into()).unwrap_or(JsValue::UNDEFINED);
        let (name, email, question) = (name.clone(), email.clone(), question.clone());
        screen.offer_call(page.clone(), ice_servers, move || {
            answers(&[
                ("name", &name, true),
                ("email", &email, false),
                ("question", &question, false),
            ])
        });
    }
    screen.on_submit(
        page,
        client::start_chat,
        move || {
            answers(&[
                ("name", &name, true),
                ("email", &email, false),
                ("question", &question, false),
            ])
        },
        |page, started| {
            let token = text(&started, "session_token").unwrap_or_default();
            session::save(&page.entry, &token);
            page.host.post("chat.started", &[]);
            conversation::open(page, token);
        },
    );
}

/// The coming week's opening hours (`opening_hours`: instants from the server) in the
/// visitor's own time zone, as the browser knows it: "Monday 09:00 – 17:00". `None` when the
/// entry point has none.
fn opening_hours(settings: &JsValue) -> Option<Element> {
    let spans = Reflect::get(settings, &"opening_hours".into())
        .ok()
        .filter(Array::is_array)
        .map(|v| Array::from(&v))
        .filter(|a| a.length() > 0)?;
    let formatter = |fields: &[(&str, &str)]| {
        let options = Object::new();
        for (k, v) in fields {
            let _ = Reflect::set(&options, &(*k).into(), &(*v).into());
        }
        Intl::DateTimeFormat::new(&Array::new(), &options)
    };
    let day = formatter(&[("weekday", "long")]);
    let clock = formatter(&[("hour", "2-digit"), ("minute", "2-digit")]);
    let show = |f: &Intl::DateTimeFormat, at: &str| {
        f.format()
            .call1(&JsValue::NULL, &Date::new(&at.into()))
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    };
    let zone = Reflect::get(&clock.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_default();
    let section = el("section", "hours");
    attr(&section, "data-test", "opening-hours");
    let title = text_el(
        "p",
        "",
        &format!("Our opening hours in your time ({zone}):"),
    );
    let list = el("ul", "");
    for span in spans.iter() {
        let (Some(from), Some(to)) = (text(&span, "opens_at"), text(&span, "closes_at")) else {
            continue;
        };
        let line = format!(
            "{} {} – {}",
            show(&day, &from),
            show(&clock, &from),
            show(&clock, &to)
        );
        append(&list, &[&text_el("li", "", &line)]);
    }
    append(&section, &[&title, &list]);
    Some(section)
}

/// "Leave a message": name, email and the message, which becomes a work item; then thanks.
fn leave_message(page: Page, why: &str) {
    let name = input("text", "name", "name");
    attr(&name, "maxlength", "200");
    let email = input("email", "email", "email");
    let message = textarea("message");
    let screen = Screen::new(
        &page,
        "leave-message",
        &format!("{why} Leave us a message and we will answer by email."),
        &[
            field("Your name", &name),
            field("Email", &email),
            field("Your message", &message),
        ],
        "Send message",
    );
    let to = email.clone();
    screen.on_submit(
        page,
        client::leave_message,
        move || {
            answers(&[
                ("name", &name, true),
                ("email", &email, true),
                ("message", &message, true),
            ])
        },
        move |page, _| {
            page.root.set_text_content(None);
            let thanks = text_el(
                "p",
                "status",
                &format!(
                    "Thank you. We received your message and will answer at {}.",
                    value(&to).trim()
                ),
            );
            attr(&thanks, "data-test", "message-left");
            append(
                &page.root,
                &[&dom::header("Chat with us", &page.host), &thanks],
            );
        },
    );
}

fn optional(label: &str, required: bool) -> String {
    if required {
        label.to_string()
    } else {
        format!("{label} (optional)")
    }
}

fn textarea(name: &str) -> Element {
    let t = el("textarea", "");
    attr(&t, "name", name);
    attr(&t, "rows", "3");
    attr(&t, "maxlength", "4000");
    attr(&t, "data-test", name);
    t
}

fn value(e: &Element) -> String {
    if let Some(i) = e.dyn_ref::<HtmlInputElement>() {
        i.value()
    } else if let Some(t) = e.dyn_ref::<HtmlTextAreaElement>() {
        t.value()
    } else {
        String::new()
    }
}

/// The JSON body of a form: each field trimmed; empty optional ones left out (the server
/// names a missing required one).
fn answers(fields: &[(&str, &Element, bool)]) -> Option<String> {
    let mut body = Vec::new();
    for (key, e, required) in fields {
        let v = value(e);
        if *required || !v.trim().is_empty() {
            body.push((*key, JsValue::from_str(v.trim())));
        }
    }
    JSON::stringify(&object(&body))
        .ok()
        .and_then(|s| s.as_string())
}

/// A form screen: header, intro, fields, the server's error, a submit button.
struct Screen {
    form: Element,
    error: Element,
    submit: Element,
}

impl Screen {
    fn new(page: &Page, test: &str, intro: &str, fields: &[Element], submit: &str) -> Screen {
        page.root.set_text_content(None);
        let form = el("form", "prechat");
        attr(&form, "novalidate", "");
        attr(&form, "data-test", test);
        let error = el("p", "error");
        attr(&error, "role", "alert");
        attr(&error, "data-test", "form-error");
        let button = text_el("button", "primary", submit);
        attr(&button, "type", "submit");
        attr(&button, "data-test", "start");
        append(&form, &[&text_el("p", "", intro)]);
        for f in fields {
            append(&form, &[f]);
        }
        append(&form, &[&error, &button]);
        append(
            &page.root,
            &[&dom::header("Chat with us", &page.host), &form],
        );
        if let Some(first) = form
            .query_selector("input")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = first.focus();
        }
        Screen {
            form,
            error,
            submit: button,
        }
    }

    /// A **Call** button beside the submit one: the microphone first (a refusal says what to
    /// do, and nothing is started), then the call starts with the form's answers.
    fn offer_call(
        &self,
        page: Page,
        ice_servers: JsValue,
        body: impl Fn() -> Option<String> + 'static,
    ) {
        let button = text_el("button", "primary call", "Call");
        attr(&button, "type", "button");
        attr(&button, "data-test", "call");
        let _ = self.submit.before_with_node_1(&button);
        let _ = self.submit.set_attribute("class", "secondary");
        let (error, busy) = (self.error.clone(), Rc::new(Cell::new(false)));
        let trigger = button.clone();
        on(&trigger, "click", move |_| {
            if busy.replace(true) {
                return;
            }
            let (page, error, busy, button, ice) = (
                page.clone(),
                error.clone(),
                busy.clone(),
                button.clone(),
                ice_servers.clone(),
            );
            let body = body();
            attr(&button, "disabled", "");
            wasm_bindgen_futures::spawn_local(async move {
                let fail = |message: &str| {
                    error.set_text_content(Some(message));
                    let _ = button.remove_attribute("disabled");
                    busy.set(false);
                };
                let mic = match crate::call::microphone().await {
                    Ok(mic) => mic,
                    Err(why) => return fail(&why),
                };
                match client::start_call(&page.entry, body)
                    .send_with_status("")
                    .await
                {
                    Ok(started) => {
                        let token = text(&started, "session_token").unwrap_or_default();
                        session::save(&page.entry, &token);
                        session::mark_call(&page.entry);
                        page.host.post("chat.started", &[]);
                        crate::call::open(page, token, mic, ice);
                    }
                    Err((_, message)) => {
                        for track in mic.get_tracks().iter() {
                            if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                                t.stop();
                            }
                        }
                        fail(&message);
                    }
                }
            });
        });
    }

    /// On submit: POST `body()` to `path`; `done` with the answer, or the server's message
    /// (which names the field) shown and the form kept as typed.
    fn on_submit(
        self,
        page: Page,
        send: fn(&str, Option<String>) -> Call,
        body: impl Fn() -> Option<String> + 'static,
        done: impl Fn(Page, JsValue) + 'static,
    ) {
        let busy = Rc::new(Cell::new(false));
        let done = Rc::new(done);
        let Screen {
            form,
            error,
            submit,
        } = self;
        on(&form, "submit", move |e| {
            e.prevent_default();
            if busy.replace(true) {
                return;
            }
            let (page, busy, error, submit, done) = (
                page.clone(),
                busy.clone(),
                error.clone(),
                submit.clone(),
                done.clone(),
            );
            let body = body();
            attr(&submit, "disabled", "");
            wasm_bindgen_futures::spawn_local(async move {
                let call = send(&page.entry, body);
                match call.send_with_status("").await {
                    Ok(answer) => done(page, answer),
                    // Closed meanwhile: the form that fits now.
                    Err((409, _)) => show(page).await,
                    Err((_, message)) => {
                        error.set_text_content(Some(&message));
                        let _ = submit.remove_attribute("disabled");
                        busy.set(false);
                    }
                }
            });
        });
    }
}
