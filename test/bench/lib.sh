# What run.sh and scale.sh share: the API server, the servers under test and each measure.
# Sourced, not run. Results go into the associative array R, keyed KIND.MEASURE
# (clusterdns.rss_full, kubernetes.qps_mixed, whoami.qps, ...); see README.md for each.
#
# Knobs (environment): ENDPOINTS HEADLESS QUERIES DURATION WARMUP SETTLE LAT_N PODS POD_CHURN
# CLIENTS OUTSTANDING MAX_QPS RUNS LOAD COMPARE RELIST START_TIMEOUT POPULATE_VIA LIMIT_MIB
# BENCH_K8S_DIR.
bash "$(dirname "${BASH_SOURCE[0]}")/../tools.sh"   # dnsperf, dig, taskset

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
RUNS=${RUNS:-3}          # fresh processes per RSS and cold start figure (the median is kept)
LOAD=${LOAD:-80}         # % of the measured maximum QPS served while the update latency is measured
COMPARE=${COMPARE:-1}    # compare every distinct reply of the two plugins (dig, ~30 s at 50k)
RELIST=${RELIST:-1}      # measure the peak RSS of a relist (restarts the API server)
START_TIMEOUT=${START_TIMEOUT:-10m}
LIMIT_MIB=${LIMIT_MIB:-170}  # the memory limit of the shipped Deployment, for measure_limited
POPULATE_VIA=${POPULATE_VIA:-etcd}  # or api: every Service created through the API server

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$bench/../.." && pwd)
results=${results:-$bench/results}
bin=/tmp/clusterdns-bench
shared_k8s=${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/k8s
# Our own apiserver state, so a concurrent test suite's apiserver is left alone. bin/ is a
# hard-linked copy of the shared one: a rebuild by apiserver.sh would replace our links only.
export CLUSTERDNS_K8S_DIR=${BENCH_K8S_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/bench-k8s}
export CLUSTERDNS_K8S_RUN=$CLUSTERDNS_K8S_DIR/run
export READY_TIMEOUT=${READY_TIMEOUT:-600}   # apiserver.sh: a restart on 50k Services takes a while
work=$(mktemp -d /tmp/clusterdns-bench.XXXXXX)
server_pid="" load_pid="" apiserver_started=""
declare -gA R

log() { echo "[bench] $*" >&2; }

cleanup() {
  [[ -z $load_pid ]] || kill "$load_pid" 2>/dev/null || true
  stop_server
  [[ -z ${limit_cgroup:-} ]] || rmdir "$limit_cgroup" 2>/dev/null || true
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
  R[revision]=$revision R[date]=$(date -u +%Y-%m-%dT%H:%MZ)
  (cd "$root" && go build -o "$bin" ./cmd/clusterdns)
  local t
  for t in populate latency probe; do (cd "$root" && go build -o "$work/$t" "./test/bench/$t"); done
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

# populate FROM TO: Services FROM..TO-1 (and their slices) into the API server; the query
# files and the probe name cover all TO. Sets R[populate_s].
populate() {
  local t0=$SECONDS etcd=()
  log "populating services $1..$(($2 - 1)) x $ENDPOINTS endpoints${PODS:+, a pod per endpoint}"
  # Services straight into etcd: the API server's ClusterIP allocator slows each create in
  # proportion to the Services there (populate/etcd.go)
  [[ $POPULATE_VIA == api ]] || etcd=(-etcd "http://127.0.0.1:$(sed -n 's/^ec=//p' "$CLUSTERDNS_K8S_RUN/env")")
  taskset -c 1 "$work/populate" -kubeconfig "$kubeconfig" -from "$1" -services "$2" "${etcd[@]}" \
    -endpoints-per-service "$ENDPOINTS" -headless-fraction "$HEADLESS" -ns bench \
    -queries "$QUERIES" -queryfile "$work/queries.txt" -queryfile-clusterip "$work/queries-clusterip.txt" \
    -probe "$work/probe.txt" ${PODS:+-pods}
  R[populate_s]=$((SECONDS - t0))
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

# start_server KIND LOGNAME [PROBE_NAME PROBE_ADDR]: starts the server on core 0 and waits
# until /ready returns 200 and, given a probe, until the probe name is answered with its
# address. Sets ready_s and answer_s (seconds from the process start), and lists_ms and
# built_ms from the server's own "cluster zone ready" log line when it has one (clusterdns):
# when the initial lists arrived, and how long after that the index was built and ready.
start_server() {
  local kind=$1 rport t0 out
  port=$(free_port)
  until rport=$(free_port) && [[ $rport != "$port" ]]; do :; done
  corefile "$kind" "$port" "$rport" > "$work/Corefile.$kind"
  server_log=$results/$2.log
  # the binary wholly in the page cache, as it was for every run before measure_limited
  # dropped it: VmRSS counts the binary's pages the process maps
  [[ -n ${limit_cgroup:-} ]] || cat "$bin" > /dev/null
  t0=$(date +%s%N)
  if [[ -n ${limit_cgroup:-} ]]; then   # the process joins the cgroup before it execs the server
    taskset -c 0 sh -c 'echo $$ > "$1" && shift && exec "$@"' sh "$limit_cgroup/cgroup.procs" \
      "$bin" -conf "$work/Corefile.$kind" > "$server_log" 2>&1 &
  else
    taskset -c 0 "$bin" -conf "$work/Corefile.$kind" > "$server_log" 2>&1 &
  fi
  server_pid=$!
  local args=(-pid "$server_pid" -since "$t0" -timeout "$START_TIMEOUT")
  if [[ $kind == whoami ]]; then
    args+=(-dns "127.0.0.1:$port" -name whoami.example)
  else
    args+=(-ready "http://127.0.0.1:$rport/ready")
    [[ -z ${3:-} ]] || args+=(-dns "127.0.0.1:$port" -name "$3" -want "$4")
  fi
  if ! out=$(taskset -c 1 "$work/probe" cold "${args[@]}"); then
    tail -20 "$server_log" >&2
    log "$kind did not start"
    [[ -n ${start_may_fail:-} ]] || exit 1
    return 1
  fi
  ready_s=$(field ready_s "$out") answer_s=$(field answer_s "$out")
  read -r lists_ms built_ms < <(sed -n 's/.*initial lists arrived in \([0-9.]*\) ms, index built and ready \([0-9.]*\) ms after.*/\1 \2/p' "$server_log" | tail -1) || true
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# status_kib FIELD: a memory field of the running server's /proc status, in KiB (VmRSS;
# RssAnon: VmRSS without the pages of the binary, which vary with the page cache; VmHWM: the
# peak VmRSS).
status_kib() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$server_pid/status"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p" <<< "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a != "") printf "%.2f", a / b; else print "n/a"}'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {if (v == "n/a" || v == "") {print "n/a"; exit}; ok = (op == ">=") ? v >= t : v <= t; print (ok ? "PASS" : "FAIL")}'; }
mib() { awk -v k="$1" 'BEGIN {if (k == "") print "n/a"; else printf "%.1f", k / 1024}'; }

# dnsperf_run FILE SECONDS OUT [QPS]: runs dnsperf on core 1 against the running server.
dnsperf_run() {
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$1" -l "$2" \
    -c "$CLIENTS" -q "$OUTSTANDING" -Q "${4:-$MAX_QPS}" > "$3" 2>&1
}

# measure_qps KIND NAME FILE: warm-up, then the measured run; sets R[KIND.qps_NAME],
# lost_NAME, rcodes_NAME, cpu_NAME (the server's CPU use in %) and per_cpu_NAME (queries
# answered per second of server CPU: less sensitive to other processes taking CPU time).
measure_qps() {
  local k=$1 n=$2 out=$results/dnsperf-$1-$2-$tag.txt t0 ticks qps cpu
  dnsperf_run "$3" "$WARMUP" /dev/null
  t0=$(date +%s.%N) ticks=$(cpu_ticks)
  dnsperf_run "$3" "$DURATION" "$out"
  cpu=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" -v a="$ticks" -v b="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.0f", 100 * (b - a) / hz / (t1 - t0)}')
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
  R[$k.qps_$n]=$qps R[$k.cpu_$n]=$cpu
  R[$k.per_cpu_$n]=$(awk -v q="$qps" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", q * 100 / c; else print "n/a"}')
  R[$k.lost_$n]=$(awk '/Queries lost:/ {print $3}' "$out")
  R[$k.rcodes_$n]=$(sed -n 's/^ *Response codes: *//p' "$out")
}

# save_answers KIND: the whole reply to every distinct query, message ids and SOA serials
# masked, for comparing the servers.
save_answers() {
  sort -u "$work/queries.txt" > "$work/distinct.txt"
  dig -p "$port" @127.0.0.1 +time=2 +tries=1 +nocmd +nostats +nottlid -f "$work/distinct.txt" |
    sed -E 's/id: [0-9]+/id: X/; s/(SOA\s+\S+\s+\S+\s+)[0-9]+/\1SERIAL/' > "$results/answers-$1-$tag.txt"
}

# compare_answers: R[answers] says whether both plugins replied the same to every distinct
# query of this size.
compare_answers() {
  local n
  n=$(wc -l < "$work/distinct.txt")
  if diff "$results/answers-clusterdns-$tag.txt" "$results/answers-kubernetes-$tag.txt" > "$results/answers-$tag.diff"; then
    R[answers]="identical ($n distinct queries)"
  else
    R[answers]="DIFFER ($(grep -c '^[<>]' "$results/answers-$tag.diff") lines of $n distinct queries; see results/answers-$tag.diff)"
  fi
}

# measure_empty: RSS of fresh servers on the API server before it is filled (median of RUNS).
measure_empty() {
  local kind i rss anon
  for kind in clusterdns kubernetes; do
    rss=() anon=()
    for i in $(seq 1 "$RUNS"); do
      start_server "$kind" "$kind-empty-$i"
      sleep "$SETTLE"
      rss+=("$(status_kib VmRSS)") anon+=("$(status_kib RssAnon)")
      stop_server
    done
    R[$kind.rss_empty]=$(median "${rss[@]}") R[$kind.anon_empty]=$(median "${anon[@]}")
    log "$kind on the empty API server: RSS ${rss[*]} KiB"
  done
}

# measure_full KIND: everything measured on one kind with the data loaded. RUNS fresh
# processes give the RSS and cold start figures (medians); the last one stays up for the
# replies, QPS, update latency under load and the relist.
measure_full() {
  local kind=$1 i rss=() anon=() ready=() answer=() lists=() built=() probe_name probe_addr
  read -r probe_name probe_addr < "$work/probe.txt"
  for i in $(seq 1 "$RUNS"); do
    ((i == 1)) || stop_server
    start_server "$kind" "$kind-$tag-$i" "$probe_name" "$probe_addr"
    ready+=("$ready_s") answer+=("$answer_s")
    [[ -z ${built_ms:-} ]] || lists+=("$lists_ms") built+=("$built_ms")
    sleep "$SETTLE"
    rss+=("$(status_kib VmRSS)") anon+=("$(status_kib RssAnon)")
  done
  R[$kind.rss_full]=$(median "${rss[@]}") R[$kind.anon_full]=$(median "${anon[@]}")
  R[$kind.ready_s]=$(median "${ready[@]}") R[$kind.answer_s]=$(median "${answer[@]}")
  if ((${#built[@]})); then R[$kind.lists_ms]=$(median "${lists[@]}") R[$kind.built_ms]=$(median "${built[@]}"); fi
  R[$kind.rss_runs]="${rss[*]}"
  log "$kind: RSS ${rss[*]} KiB, ready ${ready[*]} s, first answer ${answer[*]} s"
  ((COMPARE == 0)) || save_answers "$kind"
  measure_qps "$kind" mixed "$work/queries.txt"
  if [[ $kind == clusterdns && -n ${INTERLEAVE_WHOAMI:-} ]]; then
    measure_clusterip_vs_whoami
  else
    measure_qps "$kind" clusterip "$work/queries-clusterip.txt"
  fi
  log "$kind: ${R[$kind.qps_mixed]} QPS mixed, ${R[$kind.qps_clusterip]} ClusterIP A; update latency at $LOAD% load"
  latency_under_load "$kind"
  # before the relist, which makes both plugins log the API server's absence
  R[$kind.errors]=$(cat "$results/$kind-$tag-"*.log | { grep -c '\[ERROR\]' || true; })
  ((RELIST == 0)) || relist "$kind"
  stop_server
}

measure_whoami() {
  start_server whoami "whoami-$tag"
  measure_qps whoami mixed "$work/queries.txt"
  stop_server
}

# measure_clusterip_vs_whoami: the running clusterdns's ClusterIP A QPS and whoami's QPS,
# RUNS times in turn, whoami started next to it on core 0; R[clusterdns.*_clusterip] and
# R[whoami.*_mixed] are the medians, R[pair] (unset again) and R[clusterip_whoami_pairs]
# the ratio of each pair, taken a few seconds apart. The two are compared with a 0.95 target: measured one
# after the other minutes apart, the machine's drift (other tenants, steal time) moved the
# ratio by more than that margin.
measure_clusterip_vs_whoami() {
  local c_pid=$server_pid c_port=$port c_log=$server_log w_pid w_port i k m
  local -A runs=()
  start_server whoami "whoami-$tag"
  w_pid=$server_pid w_port=$port
  for i in $(seq 1 "$RUNS"); do
    server_pid=$w_pid port=$w_port
    measure_qps whoami mixed "$work/queries.txt"
    server_pid=$c_pid port=$c_port
    measure_qps clusterdns clusterip "$work/queries-clusterip.txt"
    for k in whoami.qps_mixed whoami.cpu_mixed whoami.per_cpu_mixed clusterdns.qps_clusterip clusterdns.cpu_clusterip clusterdns.per_cpu_clusterip; do
      runs[$k]+=" ${R[$k]}"
    done
    runs[pair]+=" $(ratio "${R[clusterdns.qps_clusterip]}" "${R[whoami.qps_mixed]}")"
  done
  kill "$w_pid" 2>/dev/null || true
  wait "$w_pid" 2>/dev/null || true
  server_pid=$c_pid port=$c_port server_log=$c_log
  for k in "${!runs[@]}"; do
    # shellcheck disable=SC2086
    m=$(median ${runs[$k]})
    R[$k]=$m
  done
  R[whoami.qps_runs]=${runs[whoami.qps_mixed]# } R[clusterdns.qps_clusterip_runs]=${runs[clusterdns.qps_clusterip]# }
  R[clusterip_whoami_pairs]=${runs[pair]# }
  unset 'R[pair]'   # the median of the pairs' ratios is the figure of record, not a ratio of medians
  log "ClusterIP A in turn with whoami: clusterdns${runs[clusterdns.qps_clusterip]}, whoami${runs[whoami.qps_mixed]} QPS"
}

# latency_under_load KIND: the update latency (latency/) while dnsperf keeps the server at
# LOAD% of the QPS measured with the mixed queries. Sets R[KIND.latency] (latency's output)
# and R[KIND.load_qps] (what dnsperf achieved meanwhile).
latency_under_load() {
  local kind=$1 out=$results/dnsperf-$1-load-$tag.txt target
  target=$((${R[$kind.qps_mixed]} * LOAD / 100))
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l 3600 \
    -c "$CLIENTS" -q "$OUTSTANDING" -Q "$target" > "$out" 2>&1 &
  load_pid=$!
  R[$kind.latency]=$(taskset -c 1 "$work/latency" -kubeconfig "$kubeconfig" -dns "127.0.0.1:$port" -n "$LAT_N" \
    -ns "latency-$kind-$tag" ${POD_CHURN:+-pod-churn "$POD_CHURN"})
  kill -INT "$load_pid"   # dnsperf prints its statistics when interrupted
  wait "$load_pid" || true
  load_pid=""
  R[$kind.load_target]=$target
  R[$kind.load_qps]=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
}

# relist KIND: the peak RSS while the server lists everything again. The API server is
# killed and started again on the same etcd; the peak is read once the server answers a
# Service created after the restart. While the API server is down, a key outside the API's
# prefixes is written straight to etcd: that moves etcd's revision past every resource
# version the server holds, so the restarted API server's watch cache (which starts at the
# current revision) refuses every resumed watch as too old and each informer lists anew.
# Without it the kind written last before the kill (EndpointSlices, by the latency run)
# could resume its watch, and the relist would leave out the biggest list. Sets
# R[KIND.relist_steady] (VmRSS just before), relist_peak (VmHWM, reset just before),
# relist_s (restart until that answer) and, for clusterdns, relisted (the resources its log
# reports in sync again).
relist() {
  local kind=$1 key=${2:-$1} t0 out ec lines
  lines=$(wc -l < "$server_log")
  echo 5 > "/proc/$server_pid/clear_refs"   # VmHWM := VmRSS
  R[$key.relist_steady]=$(status_kib VmRSS)
  "$root/test/k8s/apiserver.sh" stop-apiserver
  ec=$(sed -n 's/^ec=//p' "$CLUSTERDNS_K8S_RUN/env")
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$ec/v3/kv/put" \
    -d "{\"key\": \"$(printf /clusterdns-bench/relist | base64)\", \"value\": \"$(date +%s | base64)\"}"
  t0=$SECONDS
  "$root/test/k8s/apiserver.sh" start-apiserver
  if ! out=$(taskset -c 1 "$work/probe" sentinel -kubeconfig "$kubeconfig" -dns "127.0.0.1:$port" -ns "relist-${key//./-}-$tag"); then
    [[ -n ${start_may_fail:-} ]] || exit 1
    log "$kind did not answer after the relist"
    return 1
  fi
  R[$key.relist_peak]=$(status_kib VmHWM)
  R[$key.relist_s]=$((SECONDS - t0))
  R[$key.sentinel_s]=$(field sentinel_s "$out")
  R[$key.relisted]=$(tail -n +"$((lines + 1))" "$server_log" | sed -n 's/.*plugin\/clusterdns: \([a-z]*\) of .*in sync again.*/\1/p' | sort -u | paste -sd, -)
  log "$kind relist: steady ${R[$key.relist_steady]} KiB, peak ${R[$key.relist_peak]} KiB${R[$key.relisted]:+, listed again: ${R[$key.relisted]}}"
}

# limit_cgroup_create MIB: a child of this shell's memory cgroup (v2 or v1) limited to MIB,
# without swap; prints its directory. Fails where cgroups cannot be written.
limit_cgroup_create() {
  local base dir
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    base=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
    dir=$base/clusterdns-bench-$$
    mkdir -p "$dir" && echo $(($1 << 20)) > "$dir/memory.max" || return 1
    echo 0 > "$dir/memory.swap.max" 2>/dev/null || true
  else
    base=/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
    dir=$base/clusterdns-bench-$$
    mkdir -p "$dir" && echo $(($1 << 20)) > "$dir/memory.limit_in_bytes" || return 1
    echo $(($1 << 20)) > "$dir/memory.memsw.limit_in_bytes" 2>/dev/null || true
  fi
  echo "$dir"
}

# cgroup_stat DIR peak|oom_kills: the cgroup's peak memory in KiB, or its OOM kills.
cgroup_stat() {
  case $2 in
    peak) if [[ -f $1/memory.peak ]]; then echo $(($(cat "$1/memory.peak") >> 10)); else echo $(($(cat "$1/memory.max_usage_in_bytes") >> 10)); fi ;;
    oom_kills)   # v2 memory.events, v1 memory.oom_control (kernel 4.13 on)
      local f=$1/memory.events
      [[ -f $f ]] || f=$1/memory.oom_control
      awk '$1 == "oom_kill" {n = $2} END {print n + 0}' "$f" ;;
  esac
}

# measure_limited KIND: the server as the shipped Deployment runs it, in a cgroup limited to
# LIMIT_MIB (170, the Deployment's limit): started fresh, RSS read after SETTLE, then the
# relist. Sets R[KIND.limited_*]: rss, anon, go_limit (memlimit's log line), relist_peak
# (VmHWM), cg_peak (the cgroup's own peak, page cache included), oom_kills, survived
# (answered the relist's sentinel: yes/no).
measure_limited() {
  local kind=$1 probe_name probe_addr
  read -r probe_name probe_addr < "$work/probe.txt"
  if ! limit_cgroup=$(limit_cgroup_create "$LIMIT_MIB"); then
    log "no memory cgroup to write: the run under $LIMIT_MIB Mi is skipped"
    limit_cgroup=""
    R[$kind.limited_survived]="not run (no writable memory cgroup)"
    return 0
  fi
  # The binary's pages leave the page cache, so the ones the server touches are read again
  # from inside the cgroup and charged to it, as in a fresh container (pages cached by the
  # runs before would stay charged to the shell's cgroup and escape the limit).
  dd if="$bin" iflag=nocache count=0 status=none
  local survived=no start_may_fail=1
  if start_server "$kind" "$kind-$tag-limited" "$probe_name" "$probe_addr"; then
    sleep "$SETTLE"
    R[$kind.limited_rss]=$(status_kib VmRSS) R[$kind.limited_anon]=$(status_kib RssAnon)
    if ((RELIST == 0)) || relist "$kind" "$kind.limited"; then survived=yes; fi
  fi
  R[$kind.limited_go_limit]=$(sed -n 's/.*Go memory limit \([0-9]*\) MiB.*/\1/p' "$server_log" | head -1)
  R[$kind.limited_cg_peak]=$(cgroup_stat "$limit_cgroup" peak)
  R[$kind.limited_oom_kills]=$(cgroup_stat "$limit_cgroup" oom_kills)
  R[$kind.limited_survived]=$survived
  log "$kind under $LIMIT_MIB Mi: RSS ${R[$kind.limited_rss]:-?} KiB, cgroup peak ${R[$kind.limited_cg_peak]} KiB, OOM kills ${R[$kind.limited_oom_kills]}, survived $survived"
  stop_server
  rmdir "$limit_cgroup" 2>/dev/null || true
  limit_cgroup=""
}

# save_results FILE: R as KEY=VALUE lines.
save_results() {
  local k
  for k in "${!R[@]}"; do printf '%s=%s\n' "$k" "${R[$k]}"; done | sort > "$1"
}
