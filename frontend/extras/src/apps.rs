//! Side-panel apps. For one engagement panel it shows the queue's apps (`Queue::app_ids`, registered at
//! `/v1/apps`) as tabs; opening one loads its page in a sandboxed frame (or, "pop out", in a
//! window of its own, for the narrow Smart Embed frame). Each open app is told the engagement's
//! context (`app.context`) when it loads, when it says `app.ready`, and on every change the
//! widget reports through [`Panel::refresh`]; it may set that engagement's variables
//! (`app.set_variables`) and close itself (`app.close`). Messages go out only to the app's
//! window with its registered origin as target, and come in only from that window with that
//! origin ([`shared::post_message::app`]).

use js_sys::{Array, Object, Reflect};
use kit::dom::{append, attr, el};
use kit::{client, object, text};
use shared::post_message::app as msg;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlIFrameElement, MessageEvent, Window};

/// What the app's frame may do: run its own scripts with its own origin's storage (its
/// sign-in), submit forms and open windows.
/// An app served from the widget's own origin is never loaded: with these rights its scripts
/// could reach into the widget and lift the sandbox.
const SANDBOX: &str =
    "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox";

/// One app of the queue, as registered.
struct App {
    id: String,
    name: String,
    url: String,
    /// The origin of `url`: the only one messages go to and come from.
    origin: String,
    tab: Element,
    frame: Option<HtmlIFrameElement>,
    popup: Option<Window>,
}

impl App {
    /// The app's window, inline or popped out, while it is open.
    fn window(&self) -> Option<Window> {
        if let Some(f) = &self.frame {
            return f.content_window();
        }
        self.popup
            .as_ref()
            .filter(|w| !w.closed().unwrap_or(true))
            .cloned()
    }
}

struct State {
    engagement_id: String,
    token: String,
    host: Element,
    tools: Element,
    status: Element,
    body: Element,
    apps: Vec<App>,
    shown: Option<usize>,
    /// The latest `app.context` message, once the engagement was read.
    context: Option<JsValue>,
    /// Bumped by every refresh: an answer that arrives after a newer refresh began is stale.
    generation: u32,
    listeners: Vec<Listener>,
}

type Shared = Rc<RefCell<State>>;

/// A listener the panel added: where, for which event, and the closure to remove.
type Listener = (
    web_sys::EventTarget,
    &'static str,
    Closure<dyn FnMut(web_sys::Event)>,
);

/// One engagement panel's apps. The widget keeps it while the panel exists and calls
/// [`Panel::unmount`] when the panel goes.
#[wasm_bindgen]
pub struct Panel {
    state: Shared,
}

/// Show the apps of queue `queue_id` (its `app_ids`, in order) in a section added at the end
/// of `host` (the engagement's panel) for the engagement `engagement_id`; `token` signs the
/// module's API calls.
#[wasm_bindgen]
pub fn mount_apps(host: Element, engagement_id: String, queue_id: String, token: String) -> Panel {
    // The apps' own section, at the end of the engagement's panel.
    let section = el("section", "apps");
    attr(&section, "data-test", "apps");
    append(&host, &[&section]);
    let host = section;
    let make = |tag: &str, class: &str| {
        let e = el(tag, class);
        append(&host, &[&e]);
        e
    };
    let tabs = make("div", "app-tabs");
    let _ = tabs.set_attribute("role", "tablist");
    let _ = tabs.set_attribute("aria-label", "Apps");
    let tools = make("div", "app-tools");
    let _ = tools.set_attribute("hidden", "");
    tools.set_inner_html(
        "<button type=\"button\" data-test=\"app-pop-out\" data-do=\"pop\">Pop out ↗</button>\
         <button type=\"button\" data-test=\"app-close\" data-do=\"close\">Close</button>",
    );
    let status = make("p", "muted app-status");
    let _ = status.set_attribute("data-test", "app-status");
    let _ = status.set_attribute("role", "status");
    let body = make("div", "app-body");
    let state: Shared = Rc::new(RefCell::new(State {
        engagement_id,
        token,
        host: host.clone(),
        tools,
        status,
        body,
        apps: Vec::new(),
        shown: None,
        context: None,
        generation: 0,
        listeners: Vec::new(),
    }));
    listen(&state, host.clone().into(), "click", false, on_click);
    // `load` does not bubble, but the host sees its frames' loads while capturing.
    listen(&state, host.into(), "load", true, on_frame_load);
    if let Some(w) = web_sys::window() {
        listen(&state, w.into(), "message", false, |s, e| {
            if let Ok(e) = e.dyn_into::<MessageEvent>() {
                on_message(s, e)
            }
        });
    }
    let s = state.clone();
    spawn_local(async move { load_apps(&s, &tabs, &queue_id).await });
    Panel { state }
}

#[wasm_bindgen]
impl Panel {
    /// The engagement changed (or the widget's token did): read the context again and tell
    /// every open app.
    pub fn refresh(&self, token: String) {
        self.state.borrow_mut().token = token;
        refresh(&self.state);
    }

    /// The panel is gone: stop listening, close the apps' windows, remove the section.
    pub fn unmount(&self) {
        let mut s = self.state.borrow_mut();
        for (target, kind, listener) in s.listeners.drain(..) {
            let capture = kind == "load";
            let _ = target.remove_event_listener_with_callback_and_bool(
                kind,
                listener.as_ref().unchecked_ref(),
                capture,
            );
        }
        for app in &s.apps {
            if let Some(p) = &app.popup {
                let _ = p.close();
            }
        }
        s.apps.clear();
        s.host.remove();
    }
}

fn listen(
    state: &Shared,
    target: web_sys::EventTarget,
    kind: &'static str,
    capture: bool,
    handler: fn(&Shared, web_sys::Event),
) {
    // A weak reference: the listeners live in the state, which must not keep itself alive.
    let weak = Rc::downgrade(state);
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if let Some(s) = weak.upgrade() {
            handler(&s, e)
        }
    });
    let _ = target.add_event_listener_with_callback_and_bool(
        kind,
        closure.as_ref().unchecked_ref(),
        capture,
    );
    state.borrow_mut().listeners.push((target, kind, closure));
}

// ---- the apps and their tabs -----------------------------------------------------------------

async fn load_apps(state: &Shared, tabs: &Element, queue_id: &str) {
    let token = state.borrow().token.clone();
    let read = async {
        let queues = Array::from(&client::queues().send(&token).await?);
        let apps = Array::from(&client::apps().send(&token).await?);
        let queue = queues
            .iter()
            .find(|q| text(q, "queue_id").as_deref() == Some(queue_id));
        let ids = queue
            .map(|q| Array::from(&Reflect::get(&q, &"app_ids".into()).unwrap_or_default()))
            .unwrap_or_default();
        Ok::<_, String>((ids, apps))
    };
    let (ids, all) = match read.await {
        Ok(v) => v,
        Err(message) => return say(state, &format!("The apps cannot be shown: {message}")),
    };
    let doc = tabs.owner_document().expect("an element has a document");
    let mut apps = Vec::new();
    for id in ids.iter().filter_map(|i| i.as_string()) {
        let id = id.as_str();
        let Some(found) = all
            .iter()
            .find(|a| text(a, "app_id").as_deref() == Some(id))
        else {
            continue; // deleted since the queue was read
        };
        let (Some(name), Some(url)) = (text(&found, "name"), text(&found, "url")) else {
            continue;
        };
        let Some(origin) = web_sys::Url::new(&url).ok().map(|u| u.origin()) else {
            continue;
        };
        let tab = doc.create_element("button").expect("a known tag");
        let _ = tab.set_attribute("type", "button");
        let _ = tab.set_attribute("role", "tab");
        let _ = tab.set_attribute("aria-selected", "false");
        let _ = tab.set_attribute("data-test", "app-tab");
        let _ = tab.set_attribute("data-app", id);
        if let Some(icon) = text(&found, "icon_url") {
            let img = doc.create_element("img").expect("a known tag");
            let _ = img.set_attribute("src", &icon);
            let _ = img.set_attribute("alt", "");
            let _ = img.set_attribute("width", "16");
            let _ = img.set_attribute("height", "16");
            let _ = tab.append_child(&img);
        }
        // The name as text, never markup: apps are registered by admins, shown to agents.
        let _ = tab.append_with_str_1(&name);
        let _ = tabs.append_child(&tab);
        apps.push(App {
            id: id.to_string(),
            name,
            url,
            origin,
            tab,
            frame: None,
            popup: None,
        });
    }
    state.borrow_mut().apps = apps;
}

fn on_click(state: &Shared, event: web_sys::Event) {
    let Some(button) = event
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|e| e.closest("button").ok().flatten())
    else {
        return;
    };
    let shown = state.borrow().shown;
    if let Some(app) = button.get_attribute("data-app") {
        let index = state.borrow().apps.iter().position(|a| a.id == app);
        if let Some(i) = index {
            show(state, i);
        }
    } else if let (Some(action), Some(i)) = (button.get_attribute("data-do"), shown) {
        match action.as_str() {
            "pop" => pop_out(state, i),
            _ => close(state, i),
        }
    }
}

/// Open app `i` in the panel (loading it the first time) and hide the others.
fn show(state: &Shared, i: usize) {
    let mut s = state.borrow_mut();
    if s.apps[i]
        .popup
        .as_ref()
        .is_some_and(|p| !p.closed().unwrap_or(true))
    {
        let _ = s.apps[i].popup.as_ref().map(Window::focus);
        return;
    }
    s.apps[i].popup = None;
    let own = web_sys::window().and_then(|w| w.location().origin().ok());
    if own.as_deref() == Some(s.apps[i].origin.as_str()) {
        let line = format!(
            "{} is served from Switchboard's own address, so it is not loaded: an admin must register it on an address of its own.",
            s.apps[i].name
        );
        s.status.set_text_content(Some(&line));
        return;
    }
    if s.apps[i].frame.is_none() {
        let doc = s.body.owner_document().expect("an element has a document");
        let frame: HtmlIFrameElement = doc
            .create_element("iframe")
            .expect("a known tag")
            .unchecked_into();
        let _ = frame.set_attribute("sandbox", SANDBOX);
        let _ = frame.set_attribute("data-test", "app-frame");
        let _ = frame.set_attribute("data-app", &s.apps[i].id);
        let _ = frame.set_attribute("referrerpolicy", "origin");
        frame.set_title(&s.apps[i].name);
        frame.set_src(&s.apps[i].url);
        let _ = s.body.append_child(&frame);
        s.apps[i].frame = Some(frame);
    }
    for (j, app) in s.apps.iter().enumerate() {
        let _ = app
            .tab
            .set_attribute("aria-selected", if i == j { "true" } else { "false" });
        if let Some(f) = &app.frame {
            f.set_hidden(i != j);
        }
    }
    s.shown = Some(i);
    let _ = s.tools.remove_attribute("hidden");
    s.status.set_text_content(None);
    let first = s.context.is_none();
    drop(s);
    if first {
        refresh(state);
    }
}

/// Open app `i` in a window of its own (the narrow Smart Embed frame has no room for it); it
/// asks for the context with `app.ready` once loaded.
fn pop_out(state: &Shared, i: usize) {
    let (url, target) = {
        let s = state.borrow();
        let app = &s.apps[i];
        (
            app.url.clone(),
            format!("sb-app-{}-{}", app.id, s.engagement_id),
        )
    };
    let popup = web_sys::window().and_then(|w| {
        w.open_with_url_and_target_and_features(&url, &target, "popup,width=480,height=720")
            .ok()
            .flatten()
    });
    let Some(popup) = popup else {
        return say(
            state,
            "The browser blocked the app's window: allow pop-ups for this site, or use the app here.",
        );
    };
    let mut s = state.borrow_mut();
    if let Some(f) = s.apps[i].frame.take() {
        f.remove();
    }
    s.apps[i].popup = Some(popup);
    let _ = s.apps[i].tab.set_attribute("aria-selected", "false");
    s.shown = None;
    let _ = s.tools.set_attribute("hidden", "");
    let line = format!("{} is open in its own window.", s.apps[i].name);
    s.status.set_text_content(Some(&line));
}

/// Close app `i`: its frame goes (and its window, when popped out).
fn close(state: &Shared, i: usize) {
    let mut s = state.borrow_mut();
    if let Some(f) = s.apps[i].frame.take() {
        f.remove();
    }
    if let Some(p) = s.apps[i].popup.take() {
        let _ = p.close();
    }
    let _ = s.apps[i].tab.set_attribute("aria-selected", "false");
    if s.shown == Some(i) {
        s.shown = None;
        let _ = s.tools.set_attribute("hidden", "");
    }
    s.status.set_text_content(None);
}

fn say(state: &Shared, line: &str) {
    state.borrow().status.set_text_content(Some(line));
}

// ---- the context -----------------------------------------------------------------------------

/// Read the engagement and tell every open app. Nothing is read while no app is open.
fn refresh(state: &Shared) {
    let (id, token, generation) = {
        let mut s = state.borrow_mut();
        if s.apps.iter().all(|a| a.window().is_none()) {
            s.context = None; // read afresh when one opens
            return;
        }
        s.generation = s.generation.wrapping_add(1);
        (s.engagement_id.clone(), s.token.clone(), s.generation)
    };
    let state = state.clone();
    spawn_local(async move {
        let Ok(engagement) = client::engagement(&id).send(&token).await else {
            return; // gone, or offline: the apps keep the last context they were told
        };
        let context = Object::new();
        for field in msg::CONTEXT_FIELDS {
            let value = Reflect::get(&engagement, &field.into()).unwrap_or(JsValue::NULL);
            let value = if value.is_undefined() {
                JsValue::NULL
            } else {
                value
            };
            let _ = Reflect::set(&context, &field.into(), &value);
        }
        let message = object(&[("type", msg::CONTEXT.into()), ("context", context.into())]);
        let mut s = state.borrow_mut();
        if s.generation != generation {
            return;
        }
        s.context = Some(message.clone());
        for app in &s.apps {
            if let Some(w) = app.window() {
                let _ = w.post_message(&message, &app.origin);
            }
        }
    });
}

fn on_frame_load(state: &Shared, event: web_sys::Event) {
    let Some(frame) = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlIFrameElement>().ok())
    else {
        return;
    };
    let s = state.borrow();
    let Some(app) = s
        .apps
        .iter()
        .find(|a| a.frame.as_ref().is_some_and(|f| f == &frame))
    else {
        return;
    };
    if let (Some(context), Some(w)) = (&s.context, app.window()) {
        let _ = w.post_message(context, &app.origin);
    }
}

// ---- messages from the apps ------------------------------------------------------------------

fn on_message(state: &Shared, event: MessageEvent) {
    let Some(source) = event.source() else { return };
    let (index, window, origin) = {
        let s = state.borrow();
        let Some((i, app, w)) = s.apps.iter().enumerate().find_map(|(i, a)| {
            let w = a.window()?;
            Object::is(&w, &source).then_some((i, a, w))
        }) else {
            return; // not one of this panel's apps (the host, or another panel's)
        };
        if event.origin() != app.origin {
            // The frame has navigated away from the app: whatever it is now is not trusted.
            web_sys::console::warn_1(
                &format!("side panel: ignored a message from {}", event.origin()).into(),
            );
            return;
        }
        (i, w, app.origin.clone())
    };
    let data = event.data();
    let request_id = Reflect::get(&data, &"request_id".into()).unwrap_or(JsValue::NULL);
    let (app_window, app_origin) = (window.clone(), origin.clone());
    let reply = move |fields: &[(&str, JsValue)]| {
        let message = object(fields);
        let _ = Reflect::set(&message, &"request_id".into(), &request_id);
        let _ = window.post_message(&message, &origin);
    };
    match text(&data, "type").as_deref() {
        Some(msg::READY) => {
            let context = state.borrow().context.clone();
            match context {
                Some(message) => {
                    let _ = app_window.post_message(&message, &app_origin);
                }
                None => refresh(state),
            }
        }
        Some(msg::CLOSE) => close(state, index),
        Some(msg::SET_VARIABLES) => {
            let (id, token) = {
                let s = state.borrow();
                (s.engagement_id.clone(), s.token.clone())
            };
            let named = Reflect::get(&data, &"engagement_id".into()).unwrap_or_default();
            if !named.is_undefined() && !named.is_null() && named.as_string() != Some(id.clone()) {
                return reply(&error(
                    "wrong_engagement",
                    "An app may set the variables of the engagement it was opened for only.",
                ));
            }
            let variables = Reflect::get(&data, &"variables".into()).unwrap_or_default();
            if !variables.is_object() || Array::is_array(&variables) {
                return reply(&error(
                    "invalid_field",
                    "variables must be an object of names to text values.",
                ));
            }
            let call = client::set_variables(&id, variables);
            spawn_local(async move {
                match call.send(&token).await {
                    Ok(_) => reply(&[("type", msg::RESULT.into())]),
                    Err(message) => reply(&error("refused", &message)),
                }
            });
        }
        _ => reply(&error(
            "unknown_type",
            "Apps may send app.ready, app.set_variables and app.close.",
        )),
    }
}

fn error(code: &str, message: &str) -> [(&'static str, JsValue); 3] {
    [
        ("type", msg::ERROR.into()),
        ("code", code.into()),
        ("message", message.into()),
    ]
}
