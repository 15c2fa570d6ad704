#!/usr/bin/env bash
# The API contract: runs Schemathesis (PyPI) against a fresh dev host with openapi.yaml as
# served at /api/openapi.json, once as staff (the admin token) and once as the public (no
# credentials). It fails on any 5xx and on any answer whose status, content type, headers
# or body the description does not allow. Seeds one of each resource first (seed.py).
#
# usage: bash scripts/api-contract.sh [schemathesis options, e.g. --max-examples 50]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCHEMATHESIS_VERSION=4.32.5
venv=$root/target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    if ! python3 -m venv --clear "$venv" 2>/dev/null; then
        # Debian splits venv out of python3.
        if [ "$(id -u)" = 0 ]; then apt-get install -y -q python3-venv; else sudo apt-get install -y -q python3-venv; fi
        python3 -m venv --clear "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
data=$(mktemp -d)
export SPIN_VARIABLE_ADMIN_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
export SPIN_VARIABLE_CREDENTIALS_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export SPIN_VARIABLE_SCHEDULER_TICK_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
export SPIN_VARIABLE_CARD_HASH_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
# The platform webhooks check signatures: with secrets set, bad ones are refused (401).
export SPIN_VARIABLE_META_APP_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export SPIN_VARIABLE_META_VERIFY_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export SPIN_VARIABLE_MASTODON_WEBHOOK_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export SPIN_VARIABLE_INBOUND_WEBHOOK_SECRET="whsec_$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')"

cargo build --quiet -p xtask
"$root/target/debug/xtask" up --listen "127.0.0.1:$port" --data-dir "$data" --quiet \
    > "$data/host.log" 2>&1 &
host=$!
stop_host() {
    kill "$host" 2>/dev/null || true
    wait "$host" 2>/dev/null || true
    rm -rf "$data"
}
trap stop_host EXIT

for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$base/api/openapi.json" 2>/dev/null; then break; fi
    if ! kill -0 "$host" 2>/dev/null; then cat "$data/host.log"; echo "the dev host stopped"; exit 1; fi
    sleep 1
done

seeds=$(python3 scripts/api-contract/seed.py "$base")
eval "$seeds"
export KQ_POLL_ID KQ_QUESTION_ID KQ_CONTEST_ID KQ_SHOWCASE_ID KQ_EVENT_ID KQ_TUTORIAL_SLUG KQ_CAMPAIGN_ID

# One worker: with two, Hypothesis (describing its strategies with Python's `ast`, which is
# not thread-safe on Python 3.11) sometimes fails with "AST constructor recursion depth
# mismatch", an error of the tool, not of the API.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
run() {
    "$venv/bin/schemathesis" --config-file scripts/api-contract/schemathesis.toml run \
        "$base/api/openapi.json" --checks "$checks" --phases examples,coverage,fuzzing \
        --max-examples 20 --workers 1 --generation-deterministic --continue-on-failure \
        --warnings off "$@"
}
echo "== Schemathesis as staff"
run -H "Authorization: Bearer $SPIN_VARIABLE_ADMIN_TOKEN" "$@"
echo "== Schemathesis as the public"
run "$@"
