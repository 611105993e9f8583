// A reference Smart Embed host, written the way the most demanding public host is written
// (../shared/SMART-EMBED-HOSTS.md, host "B"): its own contact list, the widget's address built
// as `${BASE}?origin=${origin}` (raw), `{type, data}` messages posted with "*" and without
// waiting for the widget, and strict reads of exactly the fields such a host reads — any other
// shape throws. Only BASE and the trusted origin are Switchboard's. The browser tests drive it
// through `window.host` and read what it saw in `window.hostState`.
"use strict";

(function () {
  const SWITCHBOARD = document.querySelector('meta[name="switchboard"]').content.replace(/\/$/, "");
  // The configured base address. `?embed=cci` frames it as Zoom's own sample does
  // (`/cci/callbar/crm/`, no `?origin=`), `?embed=v1` as older hosts do (`/crm-int/callbar/`,
  // Zoom's cti_version=1, no `?origin=`); the widget then learns the page from the browser.
  const EMBED = new URLSearchParams(location.search).get("embed") || "zcc";
  const BASE = SWITCHBOARD + ({ cci: "/cci/callbar/crm/", v1: "/crm-int/callbar/" }[EMBED] || "/zcc/");
  const TRUSTED_ORIGIN = new URL(SWITCHBOARD).origin; // the configured trusted origin

  // The host's own records (a CRM's contacts).
  const CONTACTS = [
    { id: "C-1001", name: "Margaret Hamilton", phone: "+1 555 0100", email: "margaret@apollo.test", entity: "contact" },
    { id: "C-1002", name: "Katherine Johnson", phone: "+1 555 0101", email: "katherine@langley.test", entity: "contact" },
    { id: "C-1003", name: "Alan Turing", phone: "+44 20 7946 0102", email: "alan@bletchley.test", entity: "contact" },
  ];
  const digits = (s) => String(s).replace(/[^0-9]/g, "");
  const byPhone = (phone) => CONTACTS.filter((c) => digits(c.phone) === digits(phone));
  const byEmail = (email) => CONTACTS.filter((c) => c.email === String(email).toLowerCase());

  const state = {
    received: [], // every {type, data} the widget posted, in order
    thrown: [], // what this page threw while reading a message
    status: null, // the last statusCode
    popped: null, // the contact id shown
    logs: [], // call logs as this page keeps them
    engagements: {}, // engagementId -> what was seen of it
  };
  window.hostState = state;
  window.addEventListener("error", (e) => state.thrown.push(String(e.message)));

  // ---- strict reads ---------------------------------------------------------------------
  function fail(type, what) {
    throw new Error(type + ": " + what);
  }
  function str(type, obj, key, { empty = true } = {}) {
    const v = obj == null ? undefined : obj[key];
    if (typeof v !== "string") fail(type, key + " must be a string, got " + JSON.stringify(v));
    if (!empty && v === "") fail(type, key + " must not be empty");
    return v;
  }
  function num(type, obj, key) {
    const v = obj == null ? undefined : obj[key];
    if (typeof v !== "number" || !Number.isFinite(v)) fail(type, key + " must be a number, got " + JSON.stringify(v));
    return v;
  }
  function arr(type, obj, key) {
    const v = obj == null ? undefined : obj[key];
    if (!Array.isArray(v)) fail(type, key + " must be an array, got " + JSON.stringify(v));
    return v;
  }
  function seen(id) {
    return (state.engagements[id] = state.engagements[id] || { events: [] });
  }

  // ---- the frame ------------------------------------------------------------------------
  const frame = document.createElement("iframe");
  frame.id = "zcc-frame";
  frame.title = "Contact center";
  frame.width = "360";
  frame.height = "560";
  frame.setAttribute("sandbox", "allow-forms allow-popups allow-popups-to-escape-sandbox allow-scripts allow-same-origin allow-downloads");
  frame.setAttribute("allow", ";autoplay;microphone;camera;display-capture;midi;encrypted-media;clipboard-write;");
  frame.src = EMBED === "zcc" ? `${BASE}?origin=${location.origin}` : BASE;
  document.getElementById("host-frame-slot").appendChild(frame);

  function post(type, data) {
    // Like the host it follows: "*" and no waiting for a ready signal.
    frame.contentWindow.postMessage({ type, data }, "*");
  }

  // As soon as the frame's document exists: the init config nobody asked for yet, and a dial
  // requested in this page's address (a CRM's click-to-dial link opened in a new tab).
  frame.addEventListener("load", () => {
    post("zcc-init-config-response", { phone: { screenPopEvent: "RINGING" } });
    const dial = new URLSearchParams(location.search).get("dial");
    if (dial) post("onclicktoact", { phone: dial });
  }, { once: true });

  function show() {
    document.getElementById("host-status").textContent = state.status || "unknown";
    const c = CONTACTS.find((x) => x.id === state.popped);
    document.getElementById("host-popped").textContent = c ? c.name + " (" + c.id + ")" : "nobody";
    const list = document.getElementById("host-log");
    list.replaceChildren(...state.logs.map((l) => {
      const li = document.createElement("li");
      li.textContent = `${l.callType} ${l.type} ${l.from} → ${l.to}, ${l.callDuration}, ${l.dispositionCode || "no disposition"}: ${l.notes}`;
      return li;
    }));
  }

  // ---- widget → host --------------------------------------------------------------------
  const handlers = {
    "zcc-init-config-request": () => post("zcc-init-config-response", { phone: { screenPopEvent: "RINGING" } }),
    "zcc-agent-status-notification": (t, d) => {
      state.status = str(t, d, "statusCode", { empty: false });
      str(t, d, "status");
      if (state.status === "2") str(t, d, "subReason");
    },
    "zcc-call-ringing": (t, d) => {
      const from = str(t, d, "from", { empty: false }); // required by this host
      const id = str(t, d, "engagementId", { empty: false });
      str(t, d, "channel");
      num(t, d, "createTs");
      seen(id).events.push("ringing");
      const match = byPhone(from);
      if (match.length === 1) state.popped = match[0].id; // screen pop by caller number
    },
    "zcc-incomingPhone-request": (t, d) => {
      const number = str(t, d, "incomingPhoneNumber");
      str(t, d, "engagementId", { empty: false });
      str(t, d, "channel");
      post("zcc-incomingPhone-response", byPhone(number));
    },
    "zcc-incomingEmail-request": (t, d) => {
      const email = str(t, d, "email");
      str(t, d, "engagementId", { empty: false });
      post("zcc-incomingEmail-response", byEmail(email));
    },
    "zcc-screen-pop": (t, d) => {
      // The documented object (this page follows host A here: docs/embedding.md).
      state.popped = str(t, d, "id", { empty: false });
    },
    "zcc-contact-search-event": (t, d) => {
      const q = d.query;
      let found;
      if (typeof q === "string") {
        const needle = q.toLowerCase();
        found = CONTACTS.find((c) => c.name.toLowerCase().includes(needle) || digits(c.phone) === digits(q));
      } else if (q && q.type === "email") {
        found = byEmail(str(t, q, "email"))[0];
      } else {
        fail(t, "query must be a string or {type:'email', email}");
      }
      post("zcc-contact-search-response", found || {});
    },
    "zcc-call-connected": (t, d) => {
      const id = str(t, d, "engagementId", { empty: false });
      const direction = str(t, d, "direction");
      if (direction !== "inbound" && direction !== "outbound") fail(t, "direction is " + direction);
      str(t, d, "from");
      str(t, d, "to");
      seen(id).events.push("connected");
      seen(id).direction = direction;
    },
    "zcc-outbound-call-started": (t, d) => {
      const id = str(t, d, "engagementId", { empty: false });
      num(t, d, "startTs");
      seen(id).to = str(t, d, "to", { empty: false });
      seen(id).events.push("outbound-started");
    },
    "zcc-inbound-not-connected": notConnected,
    "zcc-outbound-not-connected": notConnected,
    "zcc-call-ended": (t, d) => seen(str(t, d, "engagementId", { empty: false })).events.push("ended"),
    "zcc-end-post-engagement": (t, d) => {
      const id = str(t, d, "engagementId", { empty: false });
      seen(id).events.push("end-post");
      seen(id).dispositionCode = str(t, d, "dispositionCode");
    },
    "zcc-phone-call-log": (t, d) => {
      const id = str(t, d, "engagementId", { empty: false });
      const user = d.user;
      if (user == null || typeof user !== "object") fail(t, "user must be an object");
      const userId = str(t, user, "id");
      str(t, user, "name");
      const r = d.objectRecord;
      if (r == null || typeof r !== "object") fail(t, "objectRecord must be an object");
      const type = str(t, r, "type", { empty: false });
      if (!["phone", "chat", "sms", "video", "email", "work_item"].includes(type)) fail(t, "objectRecord.type is " + type);
      const callType = str(t, r, "callType");
      const start = str(t, r, "callStartTime");
      if (start !== "" && !start.includes("T")) fail(t, "callStartTime is not ISO: " + start);
      if (start !== "" && Number.isNaN(new Date(start).getTime())) fail(t, "callStartTime does not parse");
      const duration = str(t, r, "callDuration");
      if (duration.includes("NaN") || !/^\d+:\d\d$/.test(duration)) fail(t, "callDuration is " + duration);
      const notes = Array.isArray(r.notes) ? r.notes.join("\n") : str(t, r, "notes");
      const log = {
        engagementId: id, contactId: userId, type, callType, duration, callDuration: duration,
        from: str(t, r, "from"), to: str(t, r, "to"), notes: notes.replace(/<[^>]*>/g, ""),
        dispositionCode: str(t, r, "dispositionCode"), callStartTime: start,
        callEndTime: str(t, r, "callEndTime"), callQueue: str(t, r, "callQueue"),
        wrapUpTimeDuration: str(t, r, "wrapUpTimeDuration"), agentName: str(t, r, "agentName"),
      };
      state.logs.push(log);
      seen(id).events.push("log");
    },
    "zcc-call-recording": (t, d) => {
      const id = str(t, d, "engagementId", { empty: false });
      seen(id).recordingUrl = str(t, d, "recordingUrl", { empty: false });
    },
    "zcc-engagement-log-url": (t, d) => {
      seen(str(t, d, "engagementId", { empty: false })).logUrl = str(t, d, "url", { empty: false });
    },
    "zcc-resize": (t, d) => {
      const w = num(t, d, "widthInPixels");
      const h = num(t, d, "heightInPixels");
      state.size = { w, h };
    },
    "zcc-engagement-status-response": (t, d) => {
      const read = (e) => {
        const entry = {};
        for (const k of ["engagementId", "channel", "state", "engagementDirection", "from", "to", "customerEmail", "customerNumber"]) {
          entry[k] = str(t, e, k);
        }
        return entry;
      };
      state.snapshot = { requestId: d.requestId, active: arr(t, d, "active").map(read), wrapup: arr(t, d, "wrapup").map(read) };
    },
    "zcc-get-variables-response": (t, d) => {
      state.variables = arr(t, d, "variables").map((v) => ({ name: str(t, v, "globalVariableDisplayName"), value: str(t, v, "value") }));
    },
    "zcc-error": (t, d) => {
      state.errors = state.errors || [];
      state.errors.push(d);
    },
  };
  function notConnected(t, d) {
    const id = str(t, d, "engagementId", { empty: false });
    seen(id).events.push("not-connected");
    seen(id).reasonCode = str(t, d, "reasonCode", { empty: false });
    str(t, d, "message");
  }
  for (const family of ["chat", "sms", "video"]) {
    for (const verb of ["ringing", "started", "ended"]) {
      handlers[`zcc-${family}-${verb}`] = (t, d) => {
        const id = str(t, d, "engagementId", { empty: false });
        str(t, d, "customerName");
        str(t, d, "queueName");
        num(t, d, "createTs");
        seen(id).events.push(`${family}-${verb}`);
      };
    }
  }

  window.addEventListener("message", (event) => {
    if (event.origin !== TRUSTED_ORIGIN) return;
    const m = event.data;
    // Like host B: a message whose type is not a string is an error, not something to skip.
    if (m === null || typeof m !== "object" || typeof m.type !== "string") {
      throw new Error("not a {type, data} message: " + JSON.stringify(m));
    }
    state.received.push({ type: m.type, data: m.data });
    const handle = handlers[m.type];
    if (handle) handle(m.type, m.data);
    show();
  });

  // ---- host → widget (what the page's own buttons and the tests call) -------------------
  let requests = 0;
  const nextId = () => "req-" + ++requests;
  window.host = {
    dial: (phone) => post("onclicktoact", { phone }),
    dialContact: (id) => {
      const c = CONTACTS.find((x) => x.id === id);
      post("onclicktoact", { id: c.id, name: c.name, phone: c.phone, email: c.email, userEntity: "Contact" });
    },
    setStatus: (id, subReason) => post("zcc-agent-status-set-request", subReason ? { id, subReason } : { id }),
    snapshot: () => {
      const requestId = nextId();
      post("zcc-engagement-status-request", { requestId });
      return requestId;
    },
    variables: (engagementId) => post("zcc-get-variables", { engagementId }),
    terminate: (engagementId, channelType) => post("zcc-terminate-engagement", { engagementId, channelType: channelType || "voice", requestId: nextId() }),
    closeWrapup: (engagementId, channelType) => post("zcc-close-engagement-wrapup", { engagementId, channelType: channelType || "voice", requestId: nextId() }),
    setDisposition: (engagementId, dispositionId, channelType) => post("zcc-set-engagement-disposition", { engagementId, channelType: channelType || "voice", requestId: nextId(), dispositionId }),
  };
  document.getElementById("host-dial").addEventListener("submit", (e) => {
    e.preventDefault();
    window.host.dial(new FormData(e.target).get("phone"));
  });
})();
