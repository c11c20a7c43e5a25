#!/usr/bin/env bash
# Runs every test of the project. On a fresh machine it first builds etcd and
# kube-apiserver from the Go module proxy (about 5 minutes, cached in
# ~/.cache/clusterdns/k8s afterwards); the integration tests start them on loopback.
# Under CI=true a test that cannot get its API server fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/tools.sh
bash test/k8s/apiserver.sh build
go vet ./...
go test -count=1 -timeout 30m ./...
