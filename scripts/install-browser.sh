#!/usr/bin/env bash
# Installs what the staff console's browser tests drive: Debian's Chromium and ChromeDriver
# (packages chromium and chromium-driver, /usr/bin/chromium and /usr/bin/chromedriver).
# Does nothing when both are there. `cargo xtask test` and `.ci/run` call it.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
else
    echo "install-browser: Chromium is missing and neither root nor sudo is available;" >&2
    echo "install the Debian packages chromium and chromium-driver, then run the tests again." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing chromium and chromium-driver from Debian's packages"
# The package lists may be stale on a fresh machine: refresh them once if the install fails.
if ! "${run_as_root[@]}" apt-get install -y -q chromium chromium-driver; then
    "${run_as_root[@]}" apt-get update -q
    "${run_as_root[@]}" apt-get install -y -q chromium chromium-driver
fi
