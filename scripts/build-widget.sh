#!/usr/bin/env bash
# Builds the agent widget twice from one crate, one build per host dialect: the native widget
# into frontend/dist (served at /widget/) and the Zoom-compatible one (cargo feature `zcc`) into
# frontend/dist/zcc (served at /zcc/, /cci/callbar/crm/ and /crm-int/callbar/). A session loads only the dialect its
# host speaks, so neither carries the other's code in its first load (BENCHMARKS.md).
#
# Each build: size-optimised profile, a pinned nightly that
# rebuilds std (size-optimised, with panics as plain aborts: no panic message machinery in the
# WASM), Leptos components type-erased, then wasm-opt -Oz, and the JS glue minified
# (esbuild). The widget's first load has a budget (150 KB compressed, BENCHMARKS.md); each of
# these cuts measurable kilobytes. The backend and all native code still build with the
# stable toolchain.
#
# Then every text asset is precompressed (`.br` at brotli quality 11, `.gz` at gzip -9): the
# backend serves those files as they are to browsers that accept the encoding, so the bytes on
# the wire are the ones `widget-size` measures, at no CPU cost per request.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export RUSTUP_TOOLCHAIN="$WIDGET_TOOLCHAIN"
export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
export CARGO_UNSTABLE_BUILD_STD_FEATURES="optimize_for_size"
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none --cfg erase_components"
# The native build first: Trunk empties its dist folder, which holds the zcc one.
build() { # <dist> <public url> [trunk args…]
  local dist="$1" url="$2"
  shift 2
  trunk build --release --cargo-profile wasm-release --dist "$dist" --public-url "$url" "$@"

  # Trunk writes its WASM loader as an inline <script type="module">. The widget's
  # Content-Security-Policy allows only the server's own script files (`script-src 'self'
  # 'wasm-unsafe-eval'`, no inline code), so the loader moves into a file of its own, named
  # after its content like Trunk's other assets.
  python3 - "$dist/index.html" "$url" <<'PY'
import hashlib, pathlib, re, sys
index, url = pathlib.Path(sys.argv[1]), sys.argv[2]
html = index.read_text()
match = re.search(r'<script type="module">(.*?)</script>', html, re.S)
if match is None:
    sys.exit("build-widget: no inline loader in index.html (Trunk's output changed?)")
code = match.group(1).strip() + "\n"
name = "boot-%s.js" % hashlib.sha256(code.encode()).hexdigest()[:16]
(index.parent / name).write_text(code)
html = html[: match.start()] + '<script type="module" src="%s%s"></script>' % (url, name) + html[match.end():]
if "<script>" in html or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html):
    sys.exit("build-widget: index.html still holds inline script")

# The JS a browser loads first (wasm-bindgen's glue and its snippets) is minified, and the
# integrity Trunk recorded for each file is computed again for the minified bytes.
import base64, subprocess
dist = index.parent
for js in sorted([*dist.glob("frontend-*.js"), *dist.glob("snippets/*/*.js")]):
    subprocess.run(["esbuild", "--minify", "--format=esm", "--log-level=warning",
                    "--allow-overwrite", str(js), "--outfile=%s" % js], check=True)
    digest = base64.b64encode(hashlib.sha384(js.read_bytes()).digest()).decode()
    href = re.escape(url + js.relative_to(dist).as_posix())
    html, n = re.subn(r'(href="%s"[^>]*?integrity=")sha384-[^"]+"' % href,
                      lambda m: '%ssha384-%s"' % (m.group(1), digest), html)
    if n != 1:
        sys.exit("build-widget: no integrity for %s in index.html (Trunk's output changed?)" % js.name)
index.write_text(html)
PY

  precompress "$dist"
  # wasm-bindgen's JS snippets (the side panel's loader), imported by the widget's JS.
  for d in "$dist"/snippets/*/; do
    [ -d "$d" ] && precompress "$d"
  done
  return 0
}

minify() { # <file> [esbuild options…]: minified in place
  local file="$1"
  shift
  esbuild --minify --log-level=warning --allow-overwrite "$@" "$file" --outfile="$file"
}

precompress() { # <folder>
  if command -v brotli >/dev/null 2>&1; then
    for f in "$1"/*.wasm "$1"/*.js "$1"/*.css "$1"/*.html "$1"/*.webmanifest; do
      [ -f "$f" ] || continue
      gzip -9 -k -f -n "$f"
      brotli -q 11 -k -f "$f"
    done
  else
    echo "build-widget: brotli is not installed (scripts/setup.sh installs it); the backend will compress on the fly" >&2
  fi
}

# The widget's on-demand parts (frontend/extras: the side-panel apps host, the supervisor
# view): a WASM module of its own, which the widget imports only when a session needs one, so
# they are not part of the first load. Same toolchain and flags as the widget; bound for
# `import()` (--target web) and shrunk by the same wasm-opt. Each build gets a copy under
# extras/ (the widget imports it from its own base).
build_extras() {
  local wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/extras.wasm"
  local out="${CARGO_TARGET_DIR:-target}/extras"
  cargo build -p extras --lib --target wasm32-unknown-unknown --profile wasm-release
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
  wasm-opt -Oz "$out/extras_bg.wasm" -o "$out/extras_bg.wasm"
  for dist in frontend/dist frontend/dist/zcc; do
    rm -rf "$dist/extras"
    mkdir -p "$dist/extras"
    cp "$out/extras.js" "$out/extras_bg.wasm" "$dist/extras/"
    precompress "$dist/extras"
  done
}

# The customer's side of web chat (frontend/chat): the chat page's WASM module with its static
# files and the /chat.js bubble, into frontend/dist/chat-client (served at /chat-client/,
# /chat/{entry_id} and /chat.js). Same toolchain and flags; it has a first-load budget of its
# own (100 KB brotli, scripts/test.sh).
build_chat() {
  local wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/chat_page.wasm"
  local out="${CARGO_TARGET_DIR:-target}/chat-page"
  local dist=frontend/dist/chat-client
  cargo build -p chat-page --lib --target wasm32-unknown-unknown --profile wasm-release
  rm -rf "$out" "$dist"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
  wasm-opt -Oz "$out/chat_page_bg.wasm" -o "$out/chat_page_bg.wasm"
  mkdir -p "$dist"
  cp "$out/chat_page.js" "$out/chat_page_bg.wasm" frontend/chat/static/* "$dist/"
  # What a website's visitor downloads is minified (the sources stay readable): wasm-bindgen's
  # glue and the loader are ES modules (their exports keep their names); the bubble is a
  # classic script that a website loads as /chat.js (top-level names are left alone).
  minify "$dist/chat_page.js" --format=esm
  minify "$dist/boot.js" --format=esm
  minify "$dist/bubble.js"
  minify "$dist/chat.css"
  precompress "$dist"
}

# `build-widget.sh chat` rebuilds only the chat page (while working on it).
if [ "${1:-}" = "chat" ]; then
  build_chat
  exit 0
fi
build frontend/dist /widget/
build frontend/dist/zcc /zcc/ --features zcc
build_extras
build_chat
