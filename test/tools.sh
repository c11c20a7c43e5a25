#!/usr/bin/env bash
# Installs the Debian packages the benchmarks (and later the stub-resolver tests) use,
# when they are missing: dnsperf, dig (dnsutils) and BIND 9 (named, used by test/bindtest).
set -euo pipefail
need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(dnsutils)
command -v named >/dev/null || [[ -x /usr/sbin/named ]] || need+=(bind9)
command -v taskset >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
  echo "[tools.sh] installing ${need[*]}" >&2
  SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
