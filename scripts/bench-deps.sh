#!/usr/bin/env bash
# What `make bench` needs: the test packages plus etcd (scripts/deps.sh bench).
exec "$(dirname "$0")/deps.sh" bench
