/*
 * Switchboard embed helper (plain JavaScript, no dependencies).
 *
 *   <script src="https://switchboard.example.com/embed.js"></script>
 *   <div id="switchboard"></div>
 *   <script>
 *     const sb = Switchboard.embed({ container: "#switchboard" });      // protocol: "zcc" for the Zoom dialect
 *     sb.on("engagement.ringing", (msg) => popRecord(msg.data.engagement));
 *     sb.on("*", (msg) => console.log(msg.type, msg));
 *     sb.send("snapshot.request").then((reply) => console.log(reply));  // resolves with the reply's data
 *   </script>
 *
 * It creates the iframe with the right `allow` and `sandbox` attributes and this page's origin,
 * accepts messages only from the widget's window and the Switchboard origin, and posts only to
 * that origin. See docs/embedding.md.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var SWITCHBOARD = script ? new URL(script.src).origin : location.origin;
  var counter = 0;

  function embed(options) {
    options = options || {};
    var container = typeof options.container === "string" ? document.querySelector(options.container) : options.container;
    if (!container) throw new Error("Switchboard.embed: container not found");
    var protocol = options.protocol === "zcc" ? "zcc" : "native";
    // The origin the widget is told it lives in: this page's, unless a test says otherwise.
    var declared = options.declaredOrigin !== undefined ? options.declaredOrigin : location.origin;
    // The zcc dialect has its own address (`/zcc/`), as Smart Embed hosts configure it.
    var src = new URL(protocol === "zcc" ? "/zcc/" : "/widget/", SWITCHBOARD);
    if (declared) src.searchParams.set("origin", declared);

    var frame = document.createElement("iframe");
    frame.src = src.toString();
    frame.title = options.title || "Switchboard agent widget";
    frame.setAttribute("allow", "microphone; camera; autoplay; clipboard-write");
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
    frame.style.width = options.width || "100%";
    frame.style.height = options.height || "520px";
    frame.style.border = "0";
    if (options.id) frame.id = options.id;
    container.appendChild(frame);

    var handlers = {};
    var pending = {};

    function emit(type, msg) {
      (handlers[type] || []).concat(handlers["*"] || []).forEach(function (fn) {
        try { fn(msg); } catch (e) { setTimeout(function () { throw e; }); }
      });
    }

    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || event.origin !== SWITCHBOARD) return;
      var msg = event.data;
      if (!msg || typeof msg.type !== "string") return;
      if (protocol === "native" && msg.source !== "switchboard") return;
      if (msg.type === "reply" && msg.requestId && pending[msg.requestId]) {
        var p = pending[msg.requestId];
        delete pending[msg.requestId];
        clearTimeout(p.timer);
        if (msg.data && msg.data.ok) p.resolve(msg.data.result);
        else p.reject(Object.assign(new Error((msg.data && msg.data.error && msg.data.error.message) || "request failed"),
                                    { code: msg.data && msg.data.error && msg.data.error.code }));
      }
      emit(msg.type, msg);
    });

    function post(message) {
      frame.contentWindow.postMessage(message, SWITCHBOARD);
    }

    return {
      iframe: frame,
      origin: SWITCHBOARD,
      protocol: protocol,
      /** Listen for a message type ("*" for all). Returns a function that stops listening. */
      on: function (type, fn) {
        (handlers[type] = handlers[type] || []).push(fn);
        return function () { handlers[type] = (handlers[type] || []).filter(function (f) { return f !== fn; }); };
      },
      /**
       * Send a request. Native: resolves with the reply's result (rejects with .code on failure,
       * or after `timeoutMs`, default 10 s). zcc: posts {type, data} and resolves at once.
       */
      send: function (type, data, opts) {
        opts = opts || {};
        if (protocol === "zcc") {
          post({ type: type, data: data || {} });
          return Promise.resolve();
        }
        var requestId = opts.requestId || "host-" + Date.now() + "-" + (++counter);
        var message = { source: "switchboard", v: 1, type: type, id: requestId, ts: Date.now(), requestId: requestId, data: data || {} };
        if (opts.engagementId) message.engagementId = opts.engagementId;
        return new Promise(function (resolve, reject) {
          pending[requestId] = {
            resolve: resolve, reject: reject,
            timer: setTimeout(function () {
              delete pending[requestId];
              reject(Object.assign(new Error("no reply from the widget"), { code: "timeout" }));
            }, opts.timeoutMs || 10000)
          };
          post(message);
        });
      }
    };
  }

  window.Switchboard = { embed: embed, origin: SWITCHBOARD };
})();
