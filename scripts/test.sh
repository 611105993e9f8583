#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the widget and the binaries, then the
# unit, property, SQLite, PostgreSQL and headless-Chromium end-to-end tests, and checks the
# widget's and the chat page's compressed sizes against their budgets.
#
# PostgreSQL: tests use SWITCHBOARD_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# and create a fresh database per test. With CI=true an unreachable server fails the run;
# otherwise those tests print SKIPPED with the reason.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh

echo "== formatting and lints"
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
# The widget's Zoom-compatible build (cargo feature `zcc`) is code of its own.
cargo clippy --locked -p frontend --all-targets --features zcc -- -D warnings

bash scripts/build-widget.sh

echo "== the shared contract builds for the browser"
cargo build --locked -p shared --target wasm32-unknown-unknown

echo "== binaries"
cargo build --locked --workspace --bins

if command -v pg_isready >/dev/null 2>&1; then
  pg_isready -h 127.0.0.1 -p 5432 || echo "note: PostgreSQL is not answering on 127.0.0.1:5432"
fi

echo "== tests"
cargo test --locked --workspace -- --test-threads="${TEST_THREADS:-2}"

echo "== widget size budget"
# The bar: 150 KB as served (brotli); the gzip fallback has a regression ceiling
# (BENCHMARKS.md, "Widget first load").
# Each dialect's build is a first load of its own: both are gated.
for dist in frontend/dist frontend/dist/zcc; do
  echo "-- $dist"
  cargo run --locked -q -p tests --bin widget-size -- --budget-kb 150 --gzip-ceiling-kb 185 "$dist"
done
# The customer's side of web chat (the /chat.js bubble and the chat page it frames) has a
# budget of its own: 100 KB as served.
echo "-- frontend/dist/chat-client"
cargo run --locked -q -p tests --bin widget-size -- --budget-kb 100 frontend/dist/chat-client
