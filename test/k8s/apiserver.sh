#!/usr/bin/env bash
# A real etcd + kube-apiserver on 127.0.0.1 for integration tests, built from the
# Go module proxy through the wrapper modules in mod/ (kubernetes v1.37.1, etcd v3.7.3).
#
#   apiserver.sh build          build bin/etcd and bin/kube-apiserver (cached; ~5 min cold)
#   apiserver.sh start          build if needed, start both on free loopback ports with a
#                               fresh etcd; prints the kubeconfig path as its only stdout line
#   apiserver.sh stop [--purge] stop what start started (--purge also removes run/)
#   apiserver.sh stop-apiserver kill -9 kube-apiserver alone (a crash); etcd keeps the data
#   apiserver.sh start-apiserver [--no-wait]
#                               start kube-apiserver again on the same etcd, port and
#                               certificates; waits for /readyz unless --no-wait
#
# Binaries live in $CLUSTERDNS_K8S_DIR/bin (default ~/.cache/clusterdns/k8s/bin), kept between
# runs. Certificates, data, logs and the kubeconfig go to $CLUSTERDNS_K8S_RUN (default
# $CLUSTERDNS_K8S_DIR/run); give each concurrent user its own. Several API servers run side
# by side, one per run directory, each on its own ports (k8senv.Another starts a second one
# for tests of peer clusters).
# Pitfalls this script works around (all seen with 1.37):
#  - an empty -X gitVersion makes the apiserver panic at start, so the version is set;
#  - a loopback --advertise-address is refused by the lease endpoint reconciler: use "none";
#  - without kube-controller-manager nobody creates the default ServiceAccount, so the
#    ServiceAccount admission plugin is off, and deleted namespaces stay Terminating:
#    tests use a fresh namespace each;
#  - anonymous /readyz is 403 until RBAC bootstraps, so readiness is probed with the token;
#  - after kill -9 the leader thread turns zombie before the others let go of the listening
#    socket: stop-apiserver waits for the port too, or the restart cannot bind it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${CLUSTERDNS_K8S_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/k8s}
bin=$dir/bin run=${CLUSTERDNS_K8S_RUN:-$dir/run}
log() { echo "[apiserver.sh] $*" >&2; }

build_one() { # name module package ldflags
  local name=$1 mod=$2 pkg=$3 ldf=$4 src=$dir/src/$2 stamp
  mkdir -p "$src" "$bin"
  cp "$here/mod/$mod/go.mod" "$here/mod/$mod/go.sum" "$src/"
  stamp=$(cat "$src/go.mod" "$src/go.sum" <(echo "$pkg $ldf $(go env GOVERSION)") | sha256sum | cut -c1-16)
  if [[ -x $bin/$name && "$(cat "$bin/.$name.stamp" 2>/dev/null)" == "$stamp" ]]; then return 0; fi
  log "building $name (minutes on a cold Go cache)"
  local t0=$SECONDS
  (cd "$src" && CGO_ENABLED=0 go build -mod=readonly -buildvcs=false -trimpath -ldflags="$ldf" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" > "$bin/.$name.stamp"
  log "built $name in $((SECONDS - t0)) s"
}

build() {
  local v minor ldf="-s -w"
  v=$(awk '$1=="require" && $2=="k8s.io/kubernetes"{print $3; exit} $1=="k8s.io/kubernetes" && $2 ~ /^v1/{print $2; exit}' "$here/mod/kube/go.mod")
  [[ $v =~ ^v1\.([0-9]+)\. ]] || { log "no k8s.io/kubernetes version in mod/kube/go.mod"; exit 1; }
  minor=${BASH_REMATCH[1]}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build_one etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
  build_one kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver "$ldf"
}

# alive reports whether the pid file names a running process: a killed one whose parent has
# not reaped it yet (a zombie) is not.
alive() {
  [[ -f $1 ]] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$(cat "$1")/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

stop() {
  local p pid
  for p in kube-apiserver etcd; do
    alive "$run/$p.pid" || continue
    pid=$(cat "$run/$p.pid")
    grep -qa -- "$run" "/proc/$pid/cmdline" 2>/dev/null || continue  # not ours any more
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ ${1:-} == --purge ]]; then rm -rf "$run"; unclaim_ports; fi
}

# free_port picks a port below the kernel's ephemeral range (32768-60999 by default), where
# any client socket on the machine may take a port as its source port between our check and
# etcd's bind (seen with a second API server started while tests run), and above the
# 10000-19999 of the tests' DNS servers; one any socket uses, listening or not, is skipped.
# A port is also claimed for its run directory (a file per port in $ports): while an API
# server is down between stop-apiserver and start-apiserver its port is free, and another run
# (a test binary next to ours, the benchmark) must not take it. A claim whose run directory
# is gone is stale. Picking and claiming happen under one lock.
ports=${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/ports
free_port() {
  local p owner
  mkdir -p "$ports"
  exec 9>"$ports/.lock"
  flock 9
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ " $used " == *" $p "* ]] && continue
    if [[ -f $ports/$p ]]; then
      owner=$(cat "$ports/$p" 2>/dev/null || true)
      [[ -n $owner && -d $owner ]] && continue
    fi
    ss -Htan "( sport = :$p or dport = :$p )" | grep -q . && continue
    echo "$run" > "$ports/$p"
    used+=" $p"; echo "$p"
    flock -u 9
    return
  done
}

# unclaim_ports drops the port claims of this run directory.
unclaim_ports() {
  local f
  [[ -d $ports ]] || return 0
  for f in "$ports"/[0-9]*; do
    [[ -f $f && $(cat "$f" 2>/dev/null) == "$run" ]] && rm -f "$f"
  done
  return 0
}

start() {
  build
  stop
  unclaim_ports   # the ports of this run directory's last start
  rm -rf "$run"; mkdir -p "$run/pki" "$run/etcd" "$run/logs"; chmod 700 "$run/etcd"
  used=""
  local ec ep ap pki=$run/pki token url
  ec=$(free_port); used+=" $ec"; ep=$(free_port); used+=" $ep"; ap=$(free_port)
  openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -nodes -key "$pki/ca.key" -subj /CN=clusterdns-test-ca -days 3650 -out "$pki/ca.crt" 2>/dev/null
  openssl genrsa -out "$pki/apiserver.key" 2048 2>/dev/null
  openssl req -new -key "$pki/apiserver.key" -subj /CN=kube-apiserver -out "$pki/apiserver.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' > "$pki/apiserver.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  token=$(openssl rand -hex 24)
  echo "$token,admin,admin-uid,\"system:masters\"" > "$pki/tokens.csv"
  chmod 600 "$pki"/*.key "$pki/tokens.csv"

  nohup "$bin/etcd" --name=test --data-dir="$run/etcd" \
    --listen-client-urls="http://127.0.0.1:$ec" --advertise-client-urls="http://127.0.0.1:$ec" \
    --listen-peer-urls="http://127.0.0.1:$ep" --initial-advertise-peer-urls="http://127.0.0.1:$ep" \
    --initial-cluster="test=http://127.0.0.1:$ep" --initial-cluster-state=new \
    --log-level=warn --unsafe-no-fsync >"$run/logs/etcd.log" 2>&1 &
  echo $! > "$run/etcd.pid"
  for _ in $(seq 1 100); do
    curl -fsS --max-time 2 "http://127.0.0.1:$ec/health" 2>/dev/null | grep -q '"health":"true"' && break
    alive "$run/etcd.pid" || { tail -20 "$run/logs/etcd.log" >&2; exit 1; }
    sleep 0.1
  done

  url=https://127.0.0.1:$ap
  # what start-apiserver needs to start the same API server again
  printf 'ec=%s\nap=%s\ntoken=%s\nurl=%s\n' "$ec" "$ap" "$token" "$url" > "$run/env"
  chmod 600 "$run/env"
  launch_apiserver
  cat > "$run/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "$url", certificate-authority: "$pki/ca.crt"}
users:
- name: admin
  user: {token: "$token"}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
KC
  chmod 600 "$run/kubeconfig"
  wait_ready
  echo "$run/kubeconfig"
}

# launch_apiserver starts kube-apiserver in the background on $ec (etcd), $ap, with run/pki.
launch_apiserver() {
  local pki=$run/pki
  # shellcheck disable=SC2086
  nohup "$bin/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none --secure-port="$ap" --etcd-servers="http://127.0.0.1:$ec" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" --authorization-mode=RBAC \
    --service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112 \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --disable-admission-plugins=ServiceAccount \
    --max-requests-inflight=1000 --max-mutating-requests-inflight=500 ${APISERVER_EXTRA_ARGS:-} \
    >"$run/logs/kube-apiserver.log" 2>&1 &
  echo $! > "$run/kube-apiserver.pid"
}

wait_ready() {
  local deadline=$((SECONDS + ${READY_TIMEOUT:-120}))
  until [[ "$(curl -fsS --max-time 5 --cacert "$run/pki/ca.crt" -H "Authorization: Bearer $token" "$url/readyz" 2>/dev/null)" == ok ]]; do
    alive "$run/kube-apiserver.pid" || { tail -30 "$run/logs/kube-apiserver.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { log "timeout waiting for $url/readyz"; exit 1; }
    sleep 0.2
  done
  log "ready at $url"
}

# ours reports whether the pid file names a live process started for this run directory.
ours() { alive "$run/$1.pid" && grep -qa -- "$run" "/proc/$(cat "$run/$1.pid")/cmdline" 2>/dev/null; }

stop_apiserver() {
  ours kube-apiserver || { log "no kube-apiserver of $run is running"; exit 1; }
  local pid
  pid=$(cat "$run/kube-apiserver.pid")
  kill -9 "$pid"
  # Dead is more than a zombie leader: its other threads may still hold the listening socket
  # (seen: the restart's bind failed with "address already in use" right after the leader
  # turned Z), so also wait until nothing listens on the port.
  local ap
  ap=$(sed -n 's/^ap=//p' "$run/env")
  for _ in $(seq 1 100); do
    if ! alive "$run/kube-apiserver.pid" && [[ -z $(ss -Htln "sport = :$ap") ]]; then return 0; fi
    sleep 0.05
  done
  log "kube-apiserver $pid survived kill -9, or its port $ap is still bound"; exit 1
}

start_apiserver() {
  [[ -f $run/env ]] || { log "nothing started in $run"; exit 1; }
  ours etcd || { log "etcd of $run is not running"; exit 1; }
  ! ours kube-apiserver || { log "kube-apiserver of $run is running"; exit 1; }
  local ec ap token url
  # shellcheck disable=SC1091
  source "$run/env"
  launch_apiserver
  [[ ${1:-} == --no-wait ]] || wait_ready
}

case ${1:-} in
  build) build ;;
  start) start ;;
  stop) shift; stop "$@" ;;
  stop-apiserver) stop_apiserver ;;
  start-apiserver) shift; start_apiserver "$@" ;;
  *) echo "usage: apiserver.sh build|start|stop [--purge]|stop-apiserver|start-apiserver [--no-wait]" >&2; exit 2 ;;
esac
