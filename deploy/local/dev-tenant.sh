#!/usr/bin/env bash
# The development tenant for `make up`: makes sure $DENIALOPS_STATE_DIR/api-key (default .local/api-key,
# gitignored) holds a working API key of tenant "dev", creating one when it is missing or no longer
# accepted (e.g. after `infra.sh reset`), and says how to use it. Needs the intake service running.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE_DIR="${DENIALOPS_STATE_DIR:-$ROOT/.local}"
KEY_FILE="$STATE_DIR/api-key"
TENANT="${DENIALOPS_DEV_TENANT:-dev}"
INTAKE_URL="http://127.0.0.1:${INTAKE_PORT:-8000}"
DENIALOPS="${DENIALOPS_CLI:-$ROOT/.venv/bin/denialops}"

key_works() {
  [[ -s "$KEY_FILE" ]] || return 1
  local status
  status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$KEY_FILE")" \
    "$INTAKE_URL/api/v1/cases?limit=1")"
  [[ "$status" == 200 ]]
}

if key_works; then
  echo "development tenant '$TENANT': the API key in $KEY_FILE works"
else
  "$DENIALOPS" keys create "$TENANT" --name "make up" --out "$KEY_FILE"
fi

cat <<USAGE
Use it:
  .venv/bin/denialops submit data/samples/letters/001.txt    (the CLI reads $KEY_FILE, or DENIALOPS_API_KEY)
  curl -H "Authorization: Bearer \$(cat $KEY_FILE)" $INTAKE_URL/api/v1/cases
USAGE
