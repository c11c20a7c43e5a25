#!/usr/bin/env bash
# Installs what the tests and benchmarks use, when it is missing:
#  - Debian packages: dnsperf, dig (dnsutils), BIND 9 (named, used by test/bindtest), taskset;
#  - staticcheck, pinned, built from the Go module proxy into $CLUSTERDNS_BIN
#    (default ~/.cache/clusterdns/bin), where test/all.sh runs it from. The pin is the newest
#    release for the project's Go (v0.8.2 needs Go 1.26); it is rebuilt when the pin or the
#    Go version changes, since staticcheck must be built by a Go at least as new as the code.
#  - helm, pinned, built from the Go module proxy (helm.sh/helm/v3/cmd/helm) into the same
#    directory, for test/deploy's chart tests (deploy/helm/clusterdns). v3.22.0 is the newest
#    v3 that builds with Go 1.26; v3 because the chart is apiVersion v2 as CoreDNS's and every
#    operator's Helm 3 installs it (Helm 4 does too).
set -euo pipefail
STATICCHECK_VERSION=v0.8.2
HELM_VERSION=v3.22.0

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
