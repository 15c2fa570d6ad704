#!/usr/bin/env bash
# Installs what the staff console's browser tests drive: Debian's Chromium and ChromeDriver
# (packages chromium and chromium-driver, /usr/bin/chromium and /usr/bin/chromedriver).
# Does nothing when both are there. `cargo xtask test` and `.ci/run` call it.
exec bash "$(dirname "$0")/install-debian-packages.sh" chromium chromedriver -- chromium chromium-driver
