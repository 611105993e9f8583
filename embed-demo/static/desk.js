"use strict";
// Switchboard's URL comes from the page (the server fills it in); no inline script, so the
// desk runs under a strict Content-Security-Policy.
const SWITCHBOARD_URL = document.querySelector('meta[name="switchboard-url"]').content;
const WIDGET_ORIGIN = new URL(SWITCHBOARD_URL).origin;
const params = new URLSearchParams(location.search);
const PROTOCOL = params.get("protocol") === "zcc" ? "zcc" : "native";
// The helper served by Switchboard creates the iframe and talks to it. `widget_origin` tells
// the widget a different host origin than the real one (to see a misconfigured embed fail).
const sb = Switchboard.embed({
  container: "#widget-slot",
  id: "switchboard-widget-frame",
  protocol: PROTOCOL,
  height: "560px",
  declaredOrigin: params.has("widget_origin") ? params.get("widget_origin") : undefined,
});
const frame = sb.iframe;

// zcc's callDuration is "m:ss", as Smart Embed sends it.
function secondsOf(d) {
  const m = /^(\d+):(\d{2})$/.exec(String(d == null ? "" : d));
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}

// ---- small DOM helpers: untrusted values always become text, never HTML ----
function cell(tr, text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); tr.appendChild(td); return td; }
function button(label, test, onclick) { const b = document.createElement("button"); b.textContent = label; b.dataset.test = test; b.addEventListener("click", onclick); return b; }
async function getJSON(url) { const r = await fetch(url); return r.json(); }

// ---- the CRM's own records ----
async function loadTickets() {
  const body = document.getElementById("tickets");
  body.replaceChildren();
  for (const t of await getJSON("/api/tickets")) {
    const tr = document.createElement("tr");
    tr.dataset.ticket = t.ticket_id;
    const a = document.createElement("a"); a.href = "/tickets/" + encodeURIComponent(t.ticket_id); a.textContent = t.ticket_id; a.target = "_blank";
    tr.appendChild(document.createElement("td")).appendChild(a);
    cell(tr, t.subject); cell(tr, t.status);
    cell(tr, "").appendChild(button("Route to an agent", "route", () => routeTicket(t.ticket_id)));
    body.appendChild(tr);
  }
}
async function routeTicket(id) {
  const out = document.getElementById("route-result");
  const r = await fetch("/api/tickets/" + encodeURIComponent(id) + "/route", { method: "POST" });
  const body = await r.json().catch(() => ({}));
  if (r.ok) { out.className = "ok"; out.textContent = id + " routed: engagement " + body.engagement.engagement_id; }
  else if (r.status === 409) { out.className = "err"; out.textContent = id + " is already routed: " + body.message; }
  else { out.className = "err"; out.textContent = "Could not route " + id + ": " + (body.message || ("HTTP " + r.status)); }
  out.dataset.status = String(r.status);
  loadTickets();
}
async function loadContacts() {
  const body = document.getElementById("contacts");
  body.replaceChildren();
  for (const c of await getJSON("/api/contacts")) {
    const tr = document.createElement("tr");
    tr.dataset.contact = c.contact_id;
    cell(tr, c.name); cell(tr, c.phone); cell(tr, c.email);
    cell(tr, "").appendChild(button("Call", "call", () => dial(c)));
    body.appendChild(tr);
  }
}
async function loadCallLogs() {
  const body = document.getElementById("call-logs");
  body.replaceChildren();
  for (const l of await getJSON("/api/call-logs")) {
    const tr = document.createElement("tr");
    tr.dataset.engagement = l.engagement_id;
    cell(tr, l.ticket_id || l.contact_id || "—"); cell(tr, l.channel + " " + l.direction);
    cell(tr, l.duration_secs + " s"); cell(tr, l.disposition); cell(tr, l.notes);
    body.appendChild(tr);
  }
}

// ---- screen pop ----
function showRecord(record) {
  const box = document.getElementById("current");
  box.replaceChildren();
  box.dataset.recordId = record.id;
  box.dataset.entity = record.entity;
  const h = document.createElement("strong"); h.textContent = record.entity + " " + record.id + ": " + record.name; box.appendChild(h);
  if (record.phone || record.email) { const p = document.createElement("div"); p.textContent = [record.phone, record.email].filter(Boolean).join(" · "); box.appendChild(p); }
  if (record.entity === "ticket") {
    const a = document.createElement("a"); a.href = "/tickets/" + encodeURIComponent(record.id); a.target = "_blank"; a.textContent = "Open ticket"; box.appendChild(a);
  }
}
async function lookup(q) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) u.set(k, v);
  return getJSON("/api/lookup?" + u);
}
async function popFor(engagement) {
  const c = engagement.consumer || {};
  const matches = await lookup({ work_item_id: engagement.work_item && engagement.work_item.id, phone: c.phone, email: c.email });
  if (matches.length) showRecord(matches[0]);
}
async function logCall(entry) {
  await fetch("/api/call-logs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(entry) });
  loadCallLogs(); loadTickets();
}

// ---- click-to-dial ----
function dial(contact) {
  if (PROTOCOL === "zcc") {
    sb.send("onclicktoact", { id: contact.contact_id, name: contact.name, phone: contact.phone, email: contact.email, userEntity: "contact" });
  } else {
    sb.send("click_to_dial", { phone: contact.phone, name: contact.name, recordId: contact.contact_id })
      .then(() => showRecord({ id: contact.contact_id, name: contact.name, phone: contact.phone, email: contact.email, entity: "contact" }))
      .catch((e) => { const out = document.getElementById("route-result"); out.className = "err"; out.textContent = "Could not call: " + e.message; });
  }
}

// ---- the widget's messages ----
async function signInWidget() {
  const r = await fetch("/api/embed-token", { method: "POST" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { console.warn("embed token:", body.message); return; }
  sb.send("auth.token", { token: body.token }).catch((e) => console.warn("widget sign-in:", e.message));
}
if (PROTOCOL === "native") {
  sb.on("widget.ready", (m) => { if (!m.data.authenticated) signInWidget(); });
  sb.on("engagement.ringing", (m) => popFor(m.data.engagement));
  sb.on("engagement.closed", (m) => {
    const e = m.data.engagement;
    logCall({
      engagement_id: e.engagement_id, channel: e.channel, direction: e.direction,
      contact_id: e.consumer && e.consumer.external_id, ticket_id: e.work_item && e.work_item.id,
      duration_secs: m.data.durationSecs, notes: m.data.notes.join("\n"),
      disposition: m.data.dispositionCode || m.data.disposition || "",
    });
  });
} else {
  sb.on("zcc-init-config-request", () => sb.send("zcc-init-config-response", { phone: { screenPopEvent: "RINGING" } }));
  sb.on("zcc-incomingPhone-request", async (m) => {
    const matches = await lookup({ phone: m.data.incomingPhoneNumber, email: m.data.incomingPhoneNumber });
    sb.send("zcc-incomingPhone-response", matches);
  });
  // The agent searched for someone to call in the widget: answer with the matching contacts.
  sb.on("zcc-contact-search-event", async (m) => {
    sb.send("zcc-contact-search-response", await lookup({ q: typeof m.data.query === "string" ? m.data.query : m.data.searchKey }));
  });
  sb.on("zcc-screen-pop", async (m) => {
    const all = (await lookup({ work_item_id: m.data.id })).concat(await getJSON("/api/contacts").then((cs) =>
      cs.filter((c) => c.contact_id === m.data.id).map((c) => ({ id: c.contact_id, name: c.name, phone: c.phone, email: c.email, entity: "contact" }))));
    if (all.length) showRecord(all[0]);
  });
  sb.on("zcc-phone-call-log", (m) => {
    const r = m.data.objectRecord;
    logCall({
      engagement_id: m.data.engagementId, channel: "voice", direction: r.callType,
      contact_id: m.data.user && m.data.user.id, ticket_id: null,
      duration_secs: secondsOf(r.callDuration), notes: r.notes, disposition: r.dispositionCode,
    });
  });
}

// Every message this page receives from the widget's window, for people and for tests.
window.switchboardMessages = [];
const rows = document.getElementById("messages");
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow) return; // not from our widget frame
  const accepted = event.origin === WIDGET_ORIGIN;
  const data = event.data || {};
  window.switchboardMessages.push({ origin: event.origin, accepted, data });
  const tr = document.createElement("tr");
  if (!accepted) tr.className = "rejected";
  for (const text of [String(window.switchboardMessages.length), event.origin,
                      String(data.type || "?"), JSON.stringify(data.data ?? data, null, 1)]) {
    cell(tr, text);
  }
  tr.lastChild.className = "payload";
  rows.prepend(tr);
});

// Send a request through the helper; the reply also shows up in the list above.
window.sendToWidget = (type, data, extra) => {
  sb.send(type, data, extra || {}).catch(() => {});
  return true;
};
document.getElementById("snapshot").addEventListener("click", () =>
  window.sendToWidget("snapshot.request", {}, { requestId: "snap-" + Date.now() }));

loadTickets(); loadContacts(); loadCallLogs();
