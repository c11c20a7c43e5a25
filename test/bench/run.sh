#!/usr/bin/env bash
# Benchmark: the clusterdns plugin against the stock kubernetes plugin (and whoami, the
# framework ceiling) on a real kube-apiserver. See README.md.
#
#   test/bench/run.sh                                  full run: 5,000 services
#   SERVICES=300 DURATION=5 LAT_N=50 test/bench/run.sh smoke run
#
#   PODS=1 test/bench/run.sh                           both with pods verified, a pod per endpoint
#
# Knobs (environment): SERVICES ENDPOINTS HEADLESS QUERIES DURATION WARMUP SETTLE LAT_N PODS POD_CHURN
# CLIENTS OUTSTANDING MAX_QPS BENCH_K8S_DIR.
set -euo pipefail
bash "$(dirname "$0")/../tools.sh"   # dnsperf, dig, taskset

SERVICES=${SERVICES:-5000}
PODS=${PODS:-}
# pods created and deleted per second while the update latency is measured (with PODS):
# a pod churn must not delay Service updates
POD_CHURN=${POD_CHURN:-${PODS:+100}}
ENDPOINTS=${ENDPOINTS:-4}
HEADLESS=${HEADLESS:-0.2}
QUERIES=${QUERIES:-20000}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
SETTLE=${SETTLE:-5}
LAT_N=${LAT_N:-200}
CLIENTS=${CLIENTS:-8}
OUTSTANDING=${OUTSTANDING:-100}
MAX_QPS=${MAX_QPS:-200000}

bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/../.." && pwd)
results=$bench/results
bin=/tmp/clusterdns-bench
shared_k8s=${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/k8s
# Our own apiserver state, so a concurrent test suite's apiserver is left alone. bin/ is a
# hard-linked copy of the shared one: a rebuild by apiserver.sh would replace our links only.
export CLUSTERDNS_K8S_DIR=${BENCH_K8S_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/bench-k8s}
export CLUSTERDNS_K8S_RUN=$CLUSTERDNS_K8S_DIR/run
work=$(mktemp -d /tmp/clusterdns-bench.XXXXXX)
server_pid=""
apiserver_started=""

log() { echo "[bench] $*" >&2; }

cleanup() {
  stop_server
  if [[ -n $apiserver_started ]]; then "$root/test/k8s/apiserver.sh" stop --purge || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port: a free port below the ephemeral range (32768-60999 by default). A server port
# inside it can be picked by a client as its own source port: dig then binds it next to the
# server (both sockets reuse the port) and reads back its own query.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    ss -Htuln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

build() {
  revision=$(git -C "$root" describe --always --dirty)
  log "building $revision"
  (cd "$root" && go build -o "$bin" ./cmd/clusterdns)
  (cd "$root" && go build -o "$work/populate" ./test/bench/populate)
  (cd "$root" && go build -o "$work/latency" ./test/bench/latency)
}

start_apiserver() {
  mkdir -p "$CLUSTERDNS_K8S_DIR"
  if [[ -d $shared_k8s/bin ]]; then
    rm -rf "$CLUSTERDNS_K8S_DIR/bin"
    cp -al "$shared_k8s/bin" "$CLUSTERDNS_K8S_DIR/bin" 2>/dev/null || cp -a "$shared_k8s/bin" "$CLUSTERDNS_K8S_DIR/bin"
  fi
  apiserver_started=1
  kubeconfig=$("$root/test/k8s/apiserver.sh" start)
}

# corefile KIND PORT READY_PORT: the server block of one kind.
corefile() {
  if [[ $1 == whoami ]]; then
    printf '.:%s {\n    whoami\n}\n' "$2"
    return
  fi
  local pods=""
  [[ -z $PODS ]] || pods='\n        pods verified'
  printf ".:%s {\n    ready 127.0.0.1:%s\n    %s cluster.local in-addr.arpa ip6.arpa {\n        kubeconfig %s\n        ttl 30$pods\n    }\n}\n" \
    "$2" "$3" "$1" "$kubeconfig"
}

# start_server KIND PHASE: starts the server on core 0 and waits until it is ready; sets
# ready_s, the seconds that took.
start_server() {
  local kind=$1 phase=$2 rport deadline=$((SECONDS + 60)) t0
  port=$(free_port)
  until rport=$(free_port) && [[ $rport != "$port" ]]; do :; done
  corefile "$kind" "$port" "$rport" > "$work/Corefile.$kind"
  server_log=$results/$kind-$phase.log
  t0=$(date +%s.%N)
  taskset -c 0 "$bin" -conf "$work/Corefile.$kind" > "$server_log" 2>&1 &
  server_pid=$!
  until ready "$kind" "$rport"; do
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$server_log" >&2; log "$kind exited"; exit 1; }
    ((SECONDS < deadline)) || { log "$kind not ready after 60 s"; exit 1; }
    sleep 0.05
  done
  ready_s=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN {printf "%.1f", t1 - t0}')
}

ready() {
  if [[ $1 == whoami ]]; then
    dig +time=1 +tries=1 -p "$port" @127.0.0.1 whoami.example A > /dev/null 2>&1
  else
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/ready") == 200 ]]
  fi
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# status_kib FIELD: a memory field of the running server's /proc status, in KiB (VmRSS, or
# RssAnon: VmRSS without the pages of the binary, which vary with the page cache).
status_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$server_pid/status"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# dnsperf_run SECONDS OUT: runs dnsperf on core 1 against the running server.
dnsperf_run() {
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$1" \
    -c "$CLIENTS" -q "$OUTSTANDING" -Q "$MAX_QPS" > "$2" 2>&1
}

# measure_qps KIND: warm-up, then the measured run; sets qps, lost, rcodes, cpu (the
# server's CPU use in %) and per_cpu (queries answered per second of server CPU: less
# sensitive to other processes taking CPU time than qps).
measure_qps() {
  local out=$results/dnsperf-$1.txt t0 ticks
  dnsperf_run "$WARMUP" /dev/null
  t0=$(date +%s.%N) ticks=$(cpu_ticks)
  dnsperf_run "$DURATION" "$out"
  cpu=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" -v a="$ticks" -v b="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.0f", 100 * (b - a) / hz / (t1 - t0)}')
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
  per_cpu=$(awk -v q="$qps" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", q * 100 / c; else print "n/a"}')
  lost=$(awk '/Queries lost:/ {print $3}' "$out")
  rcodes=$(sed -n 's/^ *Response codes: *//p' "$out")
}

# save_answers KIND: the whole reply to every distinct query, message ids and SOA serials
# masked, for comparing the servers.
save_answers() {
  sort -u "$work/queries.txt" > "$work/distinct.txt"
  dig -p "$port" @127.0.0.1 +time=2 +tries=1 +nocmd +nostats +nottlid -f "$work/distinct.txt" |
    sed -E 's/id: [0-9]+/id: X/; s/(SOA\s+\S+\s+\S+\s+)[0-9]+/\1SERIAL/' > "$results/answers-$1.txt"
}

empty_phase() {
  local kind
  for kind in clusterdns kubernetes; do
    start_server "$kind" empty
    sleep "$SETTLE"
    rss_empty[$kind]=$(status_kib VmRSS) anon_empty[$kind]=$(status_kib RssAnon)
    stop_server
    log "$kind on the empty API server: RSS ${rss_empty[$kind]} KiB"
  done
}

populate() {
  log "populating: $SERVICES services x $ENDPOINTS endpoints${PODS:+, a pod per endpoint}"
  taskset -c 1 "$work/populate" -kubeconfig "$kubeconfig" -services "$SERVICES" \
    -endpoints-per-service "$ENDPOINTS" -headless-fraction "$HEADLESS" -ns bench \
    -queries "$QUERIES" -queryfile "$work/queries.txt" ${PODS:+-pods}
}

full_phase() {
  local kind
  for kind in clusterdns kubernetes; do
    start_server "$kind" full
    ready_of[$kind]=$ready_s
    sleep "$SETTLE"
    rss_full[$kind]=$(status_kib VmRSS) anon_full[$kind]=$(status_kib RssAnon)
    save_answers "$kind"
    measure_qps "$kind"
    qps_of[$kind]=$qps lost_of[$kind]=$lost rcodes_of[$kind]=$rcodes cpu_of[$kind]=$cpu per_cpu_of[$kind]=$per_cpu
    log "$kind: RSS ${rss_full[$kind]} KiB, $qps QPS; measuring update latency"
    lat_of[$kind]=$(taskset -c 1 "$work/latency" -kubeconfig "$kubeconfig" -dns "127.0.0.1:$port" -n "$LAT_N" -ns "latency-$kind" ${POD_CHURN:+-pod-churn "$POD_CHURN"})
    stop_server
    errors_of[$kind]=$(cat "$results/$kind-empty.log" "$results/$kind-full.log" | { grep -c '\[ERROR\]' || true; })
  done
  start_server whoami full
  measure_qps whoami
  qps_of[whoami]=$qps lost_of[whoami]=$lost rcodes_of[whoami]=$rcodes cpu_of[whoami]=$cpu per_cpu_of[whoami]=$per_cpu
  stop_server
}

field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<< "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {ok = (op == ">=") ? v >= t : v <= t; print (ok ? "PASS" : "FAIL")}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

summary() {
  local kind growth_c growth_k q n p99_c p99_k
  echo "clusterdns benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $revision, $(nproc) cores, $(uname -r)"
  echo "data: $SERVICES services ($HEADLESS headless), $ENDPOINTS endpoints each${PODS:+, a pod per endpoint (pods verified)}; $(wc -l < "$work/queries.txt") queries;" \
    "dnsperf ${DURATION}s -c $CLIENTS -q $OUTSTANDING; server on core 0, dnsperf on core 1"
  echo "load average before the runs: $load_before (other processes on the machine add noise)"
  echo
  printf '%-11s %8s %5s %8s %5s %10s %10s %10s %10s %6s %8s %8s %8s %7s\n' server QPS "cpu%" QPS/cpu lost "RSS empty" "RSS full" "RSS grow" "anon grow" \
    ready "upd p50" "upd p90" "upd p99" errors
  for kind in clusterdns kubernetes; do
    printf '%-11s %8s %5s %8s %5s %8sMi %8sMi %8sMi %8sMi %5ss %6sms %6sms %6sms %7s\n' "$kind" "${qps_of[$kind]}" "${cpu_of[$kind]}" "${per_cpu_of[$kind]}" "${lost_of[$kind]}" \
      "$(mib "${rss_empty[$kind]}")" "$(mib "${rss_full[$kind]}")" "$(mib $((rss_full[$kind] - rss_empty[$kind])))" \
      "$(mib $((anon_full[$kind] - anon_empty[$kind])))" "${ready_of[$kind]}" \
      "$(field p50_ms "${lat_of[$kind]}")" "$(field p90_ms "${lat_of[$kind]}")" "$(field p99_ms "${lat_of[$kind]}")" "${errors_of[$kind]}"
  done
  printf '%-11s %8s %5s %8s %5s\n' whoami "${qps_of[whoami]}" "${cpu_of[whoami]}" "${per_cpu_of[whoami]}" "${lost_of[whoami]}"
  echo
  for kind in clusterdns kubernetes whoami; do echo "rcodes $kind: ${rcodes_of[$kind]}"; done
  for kind in clusterdns kubernetes; do echo "latency $kind: ${lat_of[$kind]}"; done
  growth_c=$((rss_full[clusterdns] - rss_empty[clusterdns]))
  growth_k=$((rss_full[kubernetes] - rss_empty[kubernetes]))
  p99_c=$(field p99_ms "${lat_of[clusterdns]}") p99_k=$(field p99_ms "${lat_of[kubernetes]}")
  echo
  q=$(ratio "${qps_of[clusterdns]}" "${qps_of[kubernetes]}")
  echo "QPS clusterdns/kubernetes:        $q  (target >= 1.5: $(verdict "$q" '>=' 1.5))"
  echo "QPS clusterdns/whoami:            $(ratio "${qps_of[clusterdns]}" "${qps_of[whoami]}")"
  echo "QPS per server CPU, clusterdns/kubernetes: $(ratio "${per_cpu_of[clusterdns]}" "${per_cpu_of[kubernetes]}")," \
    "clusterdns/whoami: $(ratio "${per_cpu_of[clusterdns]}" "${per_cpu_of[whoami]}")"
  q=$(ratio "$growth_c" "$growth_k")
  # with pods verified the issue's target is 0.35 (the kubernetes plugin's pod cache is large)
  local target=0.5
  [[ -z $PODS ]] || target=0.35
  echo "RSS growth clusterdns/kubernetes: $q  (target <= $target: $(verdict "$q" '<=' "$target"))"
  q=$(ratio $((anon_full[clusterdns] - anon_empty[clusterdns])) $((anon_full[kubernetes] - anon_empty[kubernetes])))
  echo "  (RssAnon growth, clusterdns/kubernetes: $q)"
  echo "update latency p99:               clusterdns ${p99_c} ms, kubernetes ${p99_k} ms  (target clusterdns <= 10 ms: $(verdict "$p99_c" '<=' 10))"
  echo "  (API watch alone, p99:          $(field watch_p99_ms "${lat_of[clusterdns]}") ms and $(field watch_p99_ms "${lat_of[kubernetes]}") ms in the same runs)"
  n=$(wc -l < "$work/distinct.txt")
  if diff -q "$results/answers-clusterdns.txt" "$results/answers-kubernetes.txt" > /dev/null; then
    echo "replies to the $n distinct queries: identical"
  else
    echo "replies to the $n distinct queries: DIFFER ($(grep -c '^[<>]' "$results/answers.diff") lines; see results/answers.diff)"
  fi
}

main() {
  declare -gA rss_empty rss_full anon_empty anon_full qps_of lost_of rcodes_of cpu_of per_cpu_of lat_of errors_of ready_of
  mkdir -p "$results"
  build
  start_apiserver
  empty_phase
  populate
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  full_phase
  diff "$results/answers-clusterdns.txt" "$results/answers-kubernetes.txt" > "$results/answers.diff" || true
  summary | tee "$results/summary.txt"
}

main "$@"
