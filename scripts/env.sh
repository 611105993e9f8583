# Sourced by the other scripts: puts the pinned tools on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"
cd "$ROOT"
