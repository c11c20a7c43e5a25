#!/usr/bin/env bash
# Regenerates the wrapper modules in mod/ that pin kube-apiserver and etcd.
# Maintenance only (run when bumping versions, then commit mod/*/go.{mod,sum}).
#
#   gen-mod.sh K8S_VERSION ETCD_VERSION     e.g. gen-mod.sh v1.37.1 v3.7.3
#
# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
# ./staging paths, so `go install k8s.io/kubernetes/cmd/kube-apiserver@v` refuses it.
# A wrapper main module that pins every staging module to v0.X.Y builds fine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s=${1:?usage: gen-mod.sh K8S_VERSION ETCD_VERSION}
etcd=${2:?usage: gen-mod.sh K8S_VERSION ETCD_VERSION}
staging="v0.${k8s#v1.}"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

go mod download k8s.io/kubernetes@"$k8s"   # a version whose zip the proxy lacks fails here
modfile=$(go mod download -json k8s.io/kubernetes@"$k8s" | awk -F'"' '$2=="GoMod"{print $4}')
goline=$(awk '$1=="go"{print; exit}' "$modfile")

mkdir -p "$tmp/kube" "$tmp/etcd"
{
  printf 'module clusterdns-test/kube\n\n%s\n\nrequire k8s.io/kubernetes %s\n\ntool k8s.io/kubernetes/cmd/kube-apiserver\n\nreplace (\n' "$goline" "$k8s"
  for m in $(sed -n '/^replace (/,/^)/p' "$modfile" | awk '$2=="=>" && $3 ~ /^\.\/staging/{print $1}'); do
    if go list -m "$m@$staging" >/dev/null 2>&1; then printf '\t%s => %s %s\n' "$m" "$m" "$staging"; fi
  done
  echo ")"
} > "$tmp/kube/go.mod"
(cd "$tmp/kube" && go mod tidy)
printf 'module clusterdns-test/etcd\n\n%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n\ntool go.etcd.io/etcd/server/v3\n' "$goline" "$etcd" > "$tmp/etcd/go.mod"
(cd "$tmp/etcd" && go mod tidy)
for m in kube etcd; do mkdir -p "$here/mod/$m"; cp "$tmp/$m/go.mod" "$tmp/$m/go.sum" "$here/mod/$m/"; done
echo "wrote $here/mod/{kube,etcd} for kubernetes $k8s, etcd $etcd"
