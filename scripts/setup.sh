#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already present at the
# pinned version. Safe to run again and again; the README's two commands and CI call it.
#
# Pins (see ../shared/TOOLCHAIN.md for why each one is what it is):
#   - wasm32-unknown-unknown target (rustup)
#   - trunk 0.21.14 (0.22 needs a newer rustc)
#   - wasm-bindgen-cli 0.2.130 (must equal wasm-bindgen in Cargo.lock; installed without --locked)
#   - wasm-opt from npm binaryen@132.0.0 (never Debian's binaryen 108: it emits broken WASM)
#   - esbuild 0.28.2 from npm (minifies the chat page's JavaScript and CSS at build time)
#   - Debian chromium + chromium-driver (for the browser tests; skipped with SKIP_CHROMIUM=1)
#   - Debian brotli (precompresses the widget's files at build time)
#   - schemathesis 4.32.5 from PyPI into .tools/py (API fuzzing; python3-venv from Debian if missing)
#   - prometheus_client 0.26.0 from PyPI into .tools/py (Prometheus's parser checks /metrics)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
WASM_BINDGEN_VERSION="0.2.130"
BINARYEN_VERSION="132.0.0"
TOOLS_DIR="$ROOT/.tools"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

# --- WASM target -----------------------------------------------------------------------------
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "wasm32-unknown-unknown target: present"
else
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --- rustfmt and clippy (scripts/test.sh checks formatting and lints first) -----------------
for component in rustfmt clippy; do
  if rustup component list --installed 2>/dev/null | grep -q "^${component}"; then
    log "${component}: present"
  else
    log "adding the ${component} component"
    rustup component add "${component}"
  fi
done

# --- The widget's nightly (build-std) ---------------------------------------------------------
source "$ROOT/scripts/env.sh"
if rustup run "$WIDGET_TOOLCHAIN" rustc --print target-list >/dev/null 2>&1 \
   && rustup component list --toolchain "$WIDGET_TOOLCHAIN" --installed 2>/dev/null | grep -q '^rust-src' \
   && rustup target list --toolchain "$WIDGET_TOOLCHAIN" --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "$WIDGET_TOOLCHAIN (rust-src, wasm32): present"
else
  log "installing $WIDGET_TOOLCHAIN with rust-src and wasm32 (the widget's build-std toolchain)"
  rustup toolchain install "$WIDGET_TOOLCHAIN" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi
# Trunk builds offline, so std's own dependencies must be in the cargo cache first.
SYSROOT="$(rustup run "$WIDGET_TOOLCHAIN" rustc --print sysroot)"
rustup run "$WIDGET_TOOLCHAIN" cargo fetch --manifest-path "$SYSROOT/lib/rustlib/src/rust/library/Cargo.toml" >/dev/null 2>&1 \
  || rustup run "$WIDGET_TOOLCHAIN" cargo fetch --manifest-path "$SYSROOT/lib/rustlib/src/rust/library/Cargo.toml"

# --- Trunk -----------------------------------------------------------------------------------
if command -v trunk >/dev/null 2>&1 && trunk --version 2>/dev/null | grep -q " ${TRUNK_VERSION}\$"; then
  log "trunk ${TRUNK_VERSION}: present"
else
  log "installing trunk ${TRUNK_VERSION} (several minutes on a cold machine)"
  cargo install trunk --locked --version "${TRUNK_VERSION}"
fi

# --- wasm-bindgen CLI ------------------------------------------------------------------------
if command -v wasm-bindgen >/dev/null 2>&1 && wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  log "wasm-bindgen ${WASM_BINDGEN_VERSION}: present"
else
  log "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION}"
  # No --locked: its own lockfile names a webpki-roots release the registry lacks.
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --force
fi

# --- npm tools into .tools/: wasm-opt (binaryen), esbuild, axe-core ---------------------------
# Each is installed at its pinned version unless its package.json already says that version.
npm_tool() { # <package> <version> <what it is for>
  local manifest="$TOOLS_DIR/node_modules/$1/package.json"
  if [ -f "$manifest" ] && grep -q "\"version\": \"$2\"" "$manifest"; then
    log "$1 $2: present"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs + npm (for the npm tools)"
    apt-get update -qq && apt-get install -y -qq nodejs npm
  fi
  log "installing $1@$2 ($3) into .tools/"
  mkdir -p "$TOOLS_DIR"
  [ -f "$TOOLS_DIR/package.json" ] || echo '{"name":"switchboard-tools","private":true}' > "$TOOLS_DIR/package.json"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --silent "$1@$2"
}
npm_tool binaryen "${BINARYEN_VERSION}" "wasm-opt"
npm_tool esbuild 0.28.2 "minifies the JS a browser loads first: scripts/build-widget.sh"
npm_tool axe-core 4.14.1 "accessibility checks in the browser tests"

# --- schemathesis (API fuzzing against /openapi.json, tests/tests/it/fuzz.rs) --------------------
SCHEMATHESIS_VERSION="4.32.5"
if [ -x "$TOOLS_DIR/py/bin/schemathesis" ] \
   && "$TOOLS_DIR/py/bin/schemathesis" --version 2>/dev/null | grep -q "version ${SCHEMATHESIS_VERSION}\$"; then
  log "schemathesis ${SCHEMATHESIS_VERSION}: present"
else
  if ! command -v python3 >/dev/null 2>&1 \
     || ! python3 -m venv --help >/dev/null 2>&1 \
     || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    log "installing python3 and python3-venv from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv
  fi
  log "installing schemathesis ${SCHEMATHESIS_VERSION} into .tools/py"
  rm -rf "$TOOLS_DIR/py"
  python3 -m venv "$TOOLS_DIR/py"
  "$TOOLS_DIR/py/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
fi

# --- prometheus_client (its OpenMetrics parser checks GET /metrics, tests/tests/it/metrics.rs) ----
PROMETHEUS_CLIENT_VERSION="0.26.0"
if "$TOOLS_DIR/py/bin/pip" show prometheus-client 2>/dev/null | grep -qx "Version: ${PROMETHEUS_CLIENT_VERSION}"; then
  log "prometheus_client ${PROMETHEUS_CLIENT_VERSION}: present"
else
  log "installing prometheus_client ${PROMETHEUS_CLIENT_VERSION} into .tools/py"
  "$TOOLS_DIR/py/bin/pip" install --quiet --disable-pip-version-check "prometheus-client==${PROMETHEUS_CLIENT_VERSION}"
fi

# --- soundfile (libsndfile + libopus: decodes web-call recordings independently, tests/src/audio.rs)
SOUNDFILE_VERSION="0.14.0"
if "$TOOLS_DIR/py/bin/pip" show soundfile 2>/dev/null | grep -qx "Version: ${SOUNDFILE_VERSION}"; then
  log "soundfile ${SOUNDFILE_VERSION}: present"
else
  log "installing soundfile ${SOUNDFILE_VERSION} (and numpy) into .tools/py"
  "$TOOLS_DIR/py/bin/pip" install --quiet --disable-pip-version-check "soundfile==${SOUNDFILE_VERSION}" numpy
fi

# --- brotli (the widget's files are served precompressed, scripts/build-widget.sh) -----------
if command -v brotli >/dev/null 2>&1; then
  log "brotli: present"
else
  log "installing brotli from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli
fi

# --- Chromium + ChromeDriver -----------------------------------------------------------------
if [ "${SKIP_CHROMIUM:-0}" = "1" ]; then
  log "chromium: skipped (SKIP_CHROMIUM=1)"
elif [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  log "chromium + chromedriver: present"
else
  log "installing chromium + chromium-driver from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi

log "tools ready"
