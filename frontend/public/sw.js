// Switchboard widget service worker: caches the app shell so the installed PWA opens
// without a network, and never caches the API (live data must come from the server).
const CACHE = "switchboard-shell-v3";
const SHELL = ["./", "./index.html", "./early.js", "./manifest.webmanifest", "./icons/icon-192.png", "./icons/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/widget/")) {
    return; // API calls, WebSockets and other origins go straight to the network.
  }
  if (request.mode === "navigate") {
    // Network first for the page so a new release shows at once; the cached shell offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put("./index.html", copy));
          return response;
        })
        .catch(() => caches.match("./index.html"))
    );
    return;
  }
  // Content-hashed assets (Trunk's `name-<16 hex>` files) never change: cache first, fill the
  // cache on the way. Everything else keeps its name across releases (wasm-bindgen snippets,
  // the on-demand module, icons): network first, the cached copy offline.
  const keep = (response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  };
  if (/-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then(keep)));
  } else {
    event.respondWith(fetch(request).then(keep).catch(() => caches.match(request)));
  }
});
