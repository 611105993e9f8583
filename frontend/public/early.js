// Runs before the widget's WASM loads: keeps the messages a host page posts early (hosts post
// without waiting for the widget, some as soon as the frame exists) until the widget takes
// over (bridge::listen), which handles them in order with the same origin checks as any other.
// A file, not inline script: the widget's Content-Security-Policy allows no inline code.
(function () {
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
