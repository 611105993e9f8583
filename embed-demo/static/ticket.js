"use strict";
// The ticket page's buttons (served as a file: the CRM's pages allow no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const route = document.getElementById("route");
  if (route) {
    route.addEventListener("click", async () => {
      const out = document.getElementById("route-result");
      const r = await fetch("/api/tickets/" + encodeURIComponent(route.dataset.ticketId) + "/route", { method: "POST" });
      const body = await r.json().catch(() => ({}));
      if (r.ok) { out.className = "ok"; out.textContent = "Routed: engagement " + body.engagement.engagement_id; }
      else if (r.status === 409) { out.className = "err"; out.textContent = "Already routed: " + body.message; }
      else { out.className = "err"; out.textContent = "Could not route: " + (body.message || r.status); }
    });
  }
  const reconcile = document.getElementById("reconcile");
  if (reconcile) {
    reconcile.addEventListener("click", async () => {
      const out = document.getElementById("reconcile-result");
      const r = await fetch("/api/reconcile", { method: "POST" });
      const body = await r.json().catch(() => ({}));
      if (r.ok) { location.reload(); } else { out.className = "err"; out.textContent = "Reconciliation failed: " + (body.message || r.status); }
    });
  }
});
