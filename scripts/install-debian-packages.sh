#!/usr/bin/env bash
# Installs Debian packages when a program the tests need is missing:
#   install-debian-packages.sh PROGRAM... -- PACKAGE...
# Does nothing when every PROGRAM is on PATH; otherwise installs the PACKAGEs with apt-get
# (as root, or with sudo), refreshing the package lists once if the first try fails.
set -euo pipefail

programs=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    programs+=("$1")
    shift
done
shift || true
packages=("$@")
if [ "${#programs[@]}" -eq 0 ] || [ "${#packages[@]}" -eq 0 ]; then
    echo "usage: $0 PROGRAM... -- PACKAGE..." >&2
    exit 2
fi

missing=0
for program in "${programs[@]}"; do
    command -v "$program" >/dev/null 2>&1 || missing=1
done
[ "$missing" -eq 1 ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
else
    echo "install: ${programs[*]} missing and neither root nor sudo is available;" >&2
    echo "install the Debian packages ${packages[*]}, then run the tests again." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install: installing ${packages[*]} from Debian's packages"
if ! "${run_as_root[@]}" apt-get install -y -q "${packages[@]}"; then
    "${run_as_root[@]}" apt-get update -q
    "${run_as_root[@]}" apt-get install -y -q "${packages[@]}"
fi
