#!/usr/bin/env bash
# Installs the Redis server that the multi-instance tests and `cargo xtask up --redis` start
# on a free loopback port (Debian's package redis-server, /usr/bin/redis-server); the tests
# start their own servers, the package's service is not needed. Does nothing when it is
# there. `cargo xtask test`, `cargo xtask up --redis` and `.ci/run` call it.
exec bash "$(dirname "$0")/install-debian-packages.sh" redis-server -- redis-server
