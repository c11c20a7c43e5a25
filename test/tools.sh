#!/usr/bin/env bash
# Installs what the tests and benchmarks use, when it is missing:
#  - Debian packages: dnsperf, dig (dnsutils), BIND 9 (named, used by test/bindtest), taskset;
#  - staticcheck, pinned, built from the Go module proxy into $CLUSTERDNS_BIN
#    (default ~/.cache/clusterdns/bin), where test/all.sh runs it from. The pin is the newest
#    release for the project's Go (v0.8.2 needs Go 1.26); it is rebuilt when the pin or the
#    Go version changes, since staticcheck must be built by a Go at least as new as the code;
#  - promtool, from Debian's `prometheus` package, for deploy/monitoring's rules
#    (test/monitoring.sh). Pinned to bookworm's version; when Debian's archive has moved on
#    (a security update replaces the old version), the candidate is taken and the change is
#    said, since the rule tests' syntax is stable across 2.x;
#  - helm, pinned, built from the Go module proxy (helm.sh/helm/v3/cmd/helm) into the same
#    directory, for test/deploy's chart tests (deploy/helm/clusterdns). v3.22.0 is the newest
#    v3 that builds with Go 1.26; v3 because the chart is apiVersion v2 as CoreDNS's and every
#    operator's Helm 3 installs it (Helm 4 does too).
set -euo pipefail
STATICCHECK_VERSION=v0.8.2
PROMETHEUS_DEB_VERSION=2.42.0+ds-5+deb12u1
HELM_VERSION=v3.22.0

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
command -v dig >/dev/null || need+=(dnsutils)
command -v named >/dev/null || [[ -x /usr/sbin/named ]] || need+=(bind9)
command -v taskset >/dev/null || need+=(util-linux)
if ! command -v promtool >/dev/null; then
  SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  if apt-cache show "prometheus=$PROMETHEUS_DEB_VERSION" >/dev/null 2>&1; then
    need+=("prometheus=$PROMETHEUS_DEB_VERSION")
  else
    echo "[tools.sh] prometheus $PROMETHEUS_DEB_VERSION is gone from the archive: installing $(apt-cache policy prometheus | awk '/Candidate/ {print $2}')" >&2
    need+=(prometheus)
  fi
fi
if ((${#need[@]})); then
  echo "[tools.sh] installing ${need[*]}" >&2
  SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  # --no-install-recommends: promtool is all the tests need of prometheus, not its web UI
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bin=${CLUSTERDNS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/bin}
stamp="$STATICCHECK_VERSION $(go env GOVERSION)"
if [[ ! -x $bin/staticcheck || "$(cat "$bin/.staticcheck.stamp" 2>/dev/null)" != "$stamp" ]]; then
  echo "[tools.sh] installing staticcheck $STATICCHECK_VERSION into $bin" >&2
  mkdir -p "$bin"
  GOBIN=$bin go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  echo "$stamp" > "$bin/.staticcheck.stamp"
fi
stamp="$HELM_VERSION $(go env GOVERSION)"
if [[ ! -x $bin/helm || "$(cat "$bin/.helm.stamp" 2>/dev/null)" != "$stamp" ]]; then
  echo "[tools.sh] installing helm $HELM_VERSION into $bin" >&2
  mkdir -p "$bin"
  GOBIN=$bin go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$stamp" > "$bin/.helm.stamp"
fi
