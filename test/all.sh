#!/usr/bin/env bash
# Runs every check and test of the project, in the order CI needs them: the cheap checks
# first, so a formatting slip fails in seconds, not after the integration tests.
#
#   1. gofmt -l            fails on any unformatted file
#   2. go vet ./...
#   3. staticcheck ./...   pinned, installed by test/tools.sh
#      promtool            deploy/monitoring's alert rules and their unit tests
#   4. unit tests          go test -race on every package outside test/
#   5. integration tests   every package under test/: they start real kube-apiservers, etcd
#                          and BIND (a new package there is picked up without editing this)
#
# On a fresh machine test/tools.sh installs BIND, dig, dnsperf, promtool and staticcheck, and
# test/k8s/apiserver.sh builds etcd and kube-apiserver from the Go module proxy (about 5
# minutes, cached in ~/.cache/clusterdns afterwards). Under CI=true (.ci/run sets it) a test
# that cannot get its API server or BIND fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
stage() { # name command...
  local name=$1 t0=$SECONDS
  shift
  echo "[all.sh] $name" >&2
  "$@"
  timings+=("$(printf '%-12s %4d s' "$name" $((SECONDS - t0)))")
}
trap 'printf "[all.sh] %s\n" "${timings[@]}" >&2' EXIT

gofmt_clean() {
  local out
  out=$(gofmt -l .)
  if [[ -n $out ]]; then
    echo "gofmt -l: not formatted (run gofmt -w):" >&2
    echo "$out" >&2
    return 1
  fi
}

module=$(go list -m)
packages=$(go list ./...)
integration=($(grep "^$module/test/" <<<"$packages"))
unit=($(grep -v "^$module/test/" <<<"$packages"))

stage tools bash test/tools.sh
stage apiserver bash test/k8s/apiserver.sh build
stage gofmt gofmt_clean
stage vet go vet ./...
stage staticcheck "${CLUSTERDNS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/bin}/staticcheck" ./...
stage promtool bash test/monitoring.sh
# -vet=off: the vet stage ran every analyzer already (go test would repeat a subset).
stage unit go test -race -vet=off -count=1 -timeout 15m "${unit[@]}"
# Without -race: these tests hold answers to time bounds (a change answered within 1 s) on
# a machine shared with an API server and etcd per package.
stage integration go test -vet=off -count=1 -timeout 20m "${integration[@]}"
