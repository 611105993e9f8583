#!/usr/bin/env bash
# Builds the agent widget into frontend/dist with the size-optimised WASM profile and wasm-opt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
trunk build --release --cargo-profile wasm-release
