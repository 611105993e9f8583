#!/usr/bin/env bash
# Builds everything and runs the whole system: the Switchboard backend (API + widget) and the
# demo CRM on its own port (so its own origin). Ctrl-C stops both.
#
#   SWITCHBOARD_PORT (8080)  EMBED_DEMO_PORT (8090)  DATABASE_URL (.demo/switchboard.db)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

SB_PORT="${SWITCHBOARD_PORT:-8080}"
DEMO_PORT="${EMBED_DEMO_PORT:-8090}"
mkdir -p .demo
DB="${DATABASE_URL:-.demo/switchboard.db}"

SKIP_CHROMIUM=1 bash scripts/setup.sh
bash scripts/build-widget.sh
cargo build --locked --workspace --bins

BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/switchboard" serve \
  --listen "127.0.0.1:$SB_PORT" \
  --database-url "$DB" \
  --widget-dir frontend/dist \
  --data-dir .demo/data \
  --webhook-allow-private \
  --allowed-origins "http://127.0.0.1:$DEMO_PORT,http://localhost:$DEMO_PORT" \
  --demo --demo-crm-url "http://127.0.0.1:$DEMO_PORT" &
pids+=($!)
# The CRM creates its own API client at Switchboard on first start (with the demo admin's
# sign-in) and keeps it, with its contacts, tickets and call logs, in .demo/crm.db.
"$BIN/embed-demo" --listen "127.0.0.1:$DEMO_PORT" --switchboard-url "http://127.0.0.1:$SB_PORT" \
  --database-url "sqlite://.demo/crm.db" \
  --provision-admin-email admin@demo.test --provision-admin-password switchboard-demo &
pids+=($!)

# Wait until both ports accept connections (bash's /dev/tcp: no curl needed).
for port in "$SB_PORT" "$DEMO_PORT"; do
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
done

cat <<MSG

  Switchboard is running.
    Demo CRM (sign in as ada@demo.test):     http://127.0.0.1:$DEMO_PORT/
    Widget standalone (installable PWA):     http://127.0.0.1:$SB_PORT/widget/
    API readiness:                           http://127.0.0.1:$SB_PORT/readyz
    API description (OpenAPI):               http://127.0.0.1:$SB_PORT/openapi.json
  Demo sign-ins (password switchboard-demo): agents ada@demo.test, grace@demo.test;
  admin admin@demo.test. Entry point for work items: crm-tickets.
  Try it: sign in to the CRM, choose "Ready" in the widget, click "Route to an agent" on a
  ticket, accept the offer, add a note and a disposition, close: the call log fills in.
  Database: $DB      Stop with Ctrl-C.

MSG
wait
