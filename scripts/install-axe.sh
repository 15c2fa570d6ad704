#!/usr/bin/env bash
# Installs axe-core (the npm registry) for the accessibility tests (tests/e2e/accessibility.rs)
# into target/axe/node_modules/axe-core; installs Debian's npm first when it is missing.
# Does nothing when the pinned version is there. `cargo xtask test` and `.ci/run` call it.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.10.3
dir=target/axe
if grep -qs "\"version\": \"$AXE_VERSION\"" "$dir/node_modules/axe-core/package.json"; then
    exit 0
fi
bash scripts/install-debian-packages.sh npm -- npm
mkdir -p "$dir"
echo "install: axe-core $AXE_VERSION from the npm registry"
npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION"
