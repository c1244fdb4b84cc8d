#!/usr/bin/env bash
# Installs the system packages the tests use when they are missing; with the
# argument "bench", also what `make bench` needs: etcd (server and etcdctl)
# for the side-by-side benchmarks in e2e/bench (`make test` does not need it).
# Debian/Ubuntu with apt-get and root: installs them. Elsewhere: says exactly
# what to install and fails.
set -euo pipefail

need=()
command -v git >/dev/null 2>&1 || need+=(git)
# git daemon ships with git on Debian; nothing more to add for it.
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
# Headless browser for the dashboard test (internal/ui/browser_test.go).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${1:-}" = bench ]; then
  command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
  command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's etcd-server package starts a system etcd on the default ports;
  # the benchmarks start their own members on free ports and need none.
  if [[ " ${need[*]} " == *" etcd-server "* ]] && command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl stop etcd || true
  fi
  exit 0
fi
echo "deps: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
exit 1
