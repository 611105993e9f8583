/*
 * Switchboard web chat bubble (`/chat.js`). Put it on any page of a website:
 *
 *   <script src="https://switchboard.example.com/chat.js" data-entry="web-chat" async></script>
 *
 * It adds a launcher button; opening it frames the chat page of that entry point
 * (`/chat/<entry>?origin=<this page's origin>`). The site's origin must be on Switchboard's
 * allowed embedding origins (the chat page is framed only by those). The chat page posts
 * `chat.ready`, `chat.started`, `chat.message`, `chat.ended` and `chat.minimize`; the bubble
 * accepts them only from that frame at Switchboard's origin, and counts agents' messages that
 * arrive while the chat is folded; it tells the frame `chat.shown {open}` when it opens or folds it
 * (the page marks messages read only while shown). Options (attributes of the script tag): data-entry (required),
 * data-label (the button's text, default "Chat with us"). `window.SwitchboardChat.open()` /
 * `.close()` open and fold it from the page's own code.
 *
 * Before anything is shown, the bubble asks Switchboard whether this page's origin is allowed
 * (`GET /v1/embedding/check`): on an origin that is not, no button appears (it would open a
 * frame the browser refuses) and a console error tells the site owner what to configure.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.SwitchboardChat) return;
  var entry = script.getAttribute("data-entry");
  if (!entry) {
    console.error("Switchboard chat: the script tag needs data-entry=\"<entry point id>\"");
    return;
  }
  var base = new URL(script.src).origin;
  var label = script.getAttribute("data-label") || "Chat with us";
  var remembered = "switchboard.chat.open." + entry;
  // `allowed`: the server said this origin may embed the chat (nothing opens before).
  var frame = null, unread = 0, isOpen = false, allowed = false;

  function refuse(why) {
    console.error("Switchboard chat: " + why + " (docs/chat.md, \"Adding the chat bubble\")");
  }

  function css(el, props) {
    for (var k in props) el.style.setProperty(k, props[k]);
  }

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("data-switchboard-chat", "bubble");
  button.setAttribute("aria-expanded", "false");
  button.textContent = label;
  var badge = document.createElement("span");
  badge.setAttribute("data-switchboard-chat", "unread");
  badge.hidden = true;
  css(badge, { "margin-left": "8px", "background": "#c62828", "border-radius": "10px", "padding": "0 7px" });
  button.appendChild(badge);
  css(button, {
    "position": "fixed", "right": "20px", "bottom": "20px", "z-index": "2147483000",
    "padding": "12px 18px", "border": "0", "border-radius": "24px", "background": "#2457c5",
    "color": "#fff", "font": "600 15px system-ui, sans-serif", "cursor": "pointer",
    "box-shadow": "0 4px 14px rgba(0,0,0,.25)"
  });

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = String(unread);
    button.setAttribute("aria-label", unread ? label + " (" + unread + " new)" : label);
  }

  function ensureFrame() {
    if (frame) return frame;
    frame = document.createElement("iframe");
    frame.title = "Chat";
    frame.setAttribute("data-switchboard-chat", "frame");
    // Web calls (docs/voice.md): the page asks for the microphone and plays the agent's voice.
    frame.setAttribute("allow", "microphone; autoplay");
    frame.src = base + "/chat/" + encodeURIComponent(entry) + "?origin=" + encodeURIComponent(location.origin);
    css(frame, {
      "position": "fixed", "right": "20px", "bottom": "80px", "z-index": "2147483000",
      "width": "min(370px, calc(100vw - 40px))", "height": "min(560px, calc(100vh - 110px))",
      "border": "1px solid #ccd", "border-radius": "12px", "background": "#fff",
      "box-shadow": "0 8px 28px rgba(0,0,0,.25)", "display": "none"
    });
    document.body.appendChild(frame);
    return frame;
  }

  // The chat page marks the agent's messages read only while it is shown.
  function tellShown(shown) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ type: "chat.shown", open: shown }, base);
  }

  function open() {
    if (!allowed) return;
    ensureFrame().style.setProperty("display", "block");
    tellShown(true);
    isOpen = true;
    unread = 0;
    showUnread();
    button.setAttribute("aria-expanded", "true");
    try { sessionStorage.setItem(remembered, "1"); } catch (e) {}
  }

  function close() {
    if (frame) frame.style.setProperty("display", "none");
    tellShown(false);
    isOpen = false;
    button.setAttribute("aria-expanded", "false");
    try { sessionStorage.removeItem(remembered); } catch (e) {}
  }

  button.addEventListener("click", function () { isOpen ? close() : open(); });

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== base) return;
    var data = event.data;
    if (!data || typeof data.type !== "string") return;
    if (data.type === "chat.minimize") close();
    else if (data.type === "chat.message" && !isOpen) { unread += 1; showUnread(); }
  });

  window.SwitchboardChat = { open: open, close: close };

  function mount() {
    allowed = true;
    document.body.appendChild(button);
    // Open again after a reload of the site's page if it was open: the chat resumes.
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(remembered) === "1"; } catch (e) {}
    if (wasOpen) open();
  }
  function mountWhenReady() {
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  }

  fetch(base + "/v1/embedding/check?origin=" + encodeURIComponent(location.origin), { credentials: "omit" })
    .then(function (r) { return r.json(); })
    .then(function (answer) {
      if (answer && answer.allowed === true) mountWhenReady();
      else refuse(location.origin + " is not on " + base + "'s allowed embedding origins, so the chat is not shown here: ask its admin to add it to --allowed-origins");
    })
    .catch(function () {
      refuse("could not ask " + base + " whether this site may show the chat; if this page has a Content-Security-Policy, allow " + base + " in script-src, connect-src and frame-src");
    });
})();
