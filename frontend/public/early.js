// See bridge/mod.rs and app::embedding_origin (kept short: part of the first load).
(function () {
  try {
    var a = location.ancestorOrigins;
    window.__sbParent = a && a.length ? a[0] : new URL(document.referrer).origin;
  } catch (e) {}
  var queue = [];
  window.__sbEarly = queue;
  function keep(event) {
    if (window.__sbEarly === queue) {
      if (queue.length < 100) queue.push(event);
    } else {
      window.removeEventListener("message", keep);
    }
  }
  window.addEventListener("message", keep);
})();
