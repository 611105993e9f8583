# Sourced by the other scripts: puts the pinned tools on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"
cd "$ROOT"
# The toolchain that builds the widget's WASM (scripts/build-widget.sh): a pinned nightly, for
# -Zbuild-std with immediate-abort panics. Everything else uses the stable toolchain.
export WIDGET_TOOLCHAIN="nightly-2026-05-20"
