#!/usr/bin/env bash
# Builds the agent widget into frontend/dist: size-optimised profile, a pinned nightly that
# rebuilds std with panics as plain aborts (no panic message machinery in the WASM), Leptos
# components type-erased, then wasm-opt -Oz. The widget's first load has a budget (150 KB
# compressed, BENCHMARKS.md); each of these cuts measurable kilobytes. The backend and all
# native code still build with the stable toolchain.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export RUSTUP_TOOLCHAIN="$WIDGET_TOOLCHAIN"
export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none --cfg erase_components"
trunk build --release --cargo-profile wasm-release
