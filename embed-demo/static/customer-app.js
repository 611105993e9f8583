// Customer 360, the demo CRM's side-panel app (docs/embedding.md, "Side-panel apps"): told the
// engagement's context by the widget, it shows the CRM's records for that customer, and links
// one to the engagement by setting an engagement variable (`crm_record`), which the widget shows
// in its details and the call log carries.
(function () {
  "use strict";
  const WIDGET = new URL(document.body.dataset.switchboard).origin;
  const home = window.opener || window.parent;
  const el = (id) => document.getElementById(id);
  let shown = null; // the engagement whose records are on screen

  addEventListener("message", (e) => {
    if (e.origin !== WIDGET || e.source !== home || !e.data) return;
    if (e.data.type === "app.context") show(e.data.context);
    if (e.data.type === "app.error") el("error").textContent = e.data.message;
    if (e.data.type === "app.result") el("error").textContent = "";
  });
  home.postMessage({ type: "app.ready" }, WIDGET);

  async function show(context) {
    const vars = context.variables || {};
    el("linked").textContent = vars.crm_record ? "Linked to " + vars.crm_record : "";
    if (shown === context.engagement_id) return; // only the variables changed
    shown = context.engagement_id;
    const consumer = context.consumer || {};
    const query = new URLSearchParams();
    if (consumer.phone) query.set("phone", consumer.phone);
    if (consumer.email) query.set("email", consumer.email);
    if (context.work_item && context.work_item.id) query.set("work_item_id", context.work_item.id);
    let records = [];
    try {
      records = await (await fetch("/api/lookup?" + query)).json();
    } catch (err) {
      el("error").textContent = "The CRM could not be read.";
    }
    const person = records.find((r) => r.entity === "contact");
    el("waiting").hidden = true;
    el("customer").hidden = false;
    el("name").textContent = person ? person.name : consumer.display_name || "Unknown customer";
    el("contact").textContent = [consumer.phone, consumer.email].filter(Boolean).join(" · ");
    const list = el("records");
    list.replaceChildren();
    for (const r of records) {
      const li = document.createElement("li");
      li.textContent = r.name + " (" + r.entity + " " + r.id + ") ";
      const link = document.createElement("button");
      link.type = "button";
      link.textContent = "Link to this engagement";
      link.dataset.test = "app-link";
      link.addEventListener("click", () => {
        home.postMessage({
          type: "app.set_variables",
          request_id: "link-" + r.id,
          variables: { crm_record: r.entity + " " + r.id },
        }, WIDGET);
      });
      li.appendChild(link);
      list.appendChild(li);
    }
  }
})();
