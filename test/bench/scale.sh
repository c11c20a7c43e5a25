#!/usr/bin/env bash
# Scale benchmark: run.sh's measures at several sizes on one API server, grown step by step
# (1k, 5k, 20k, 50k Services by default), written as one Markdown table with the targets of
# issue 11 to results/scale/scale.md. See README.md.
#
#   bash test/bench/scale.sh                     ~40 min
#   SIZES="300 1000" bash test/bench/scale.sh    smoke run, a few minutes
#
#   SIZES="1000 5000" TABLE_ONLY=1 bash test/bench/scale.sh   the table again from results/scale
#
# Knobs (environment): SIZES, TABLE_ONLY and those of lib.sh. The dnsperf runs are shorter than run.sh's
# (DURATION 10 s) so that four sizes fit in ~40 minutes.
set -euo pipefail
SIZES=${SIZES:-1000 5000 20000 50000}
DURATION=${DURATION:-10}
INTERLEAVE_WHOAMI=1   # whoami is measured in turn with clusterdns (lib.sh)
here=$(cd "$(dirname "$0")" && pwd)
results=${SCALE_RESULTS:-$here/results/scale}   # SCALE_RESULTS: elsewhere, for a smoke run
# its own API server state: a run.sh next to it (default bench-k8s) is left alone
BENCH_K8S_DIR=${BENCH_K8S_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterdns/bench-scale}
source "$here/lib.sh"

# table SIZE...: the Markdown table of these sizes' results files, measures down, sizes across.
table() {
  local n k v sizes=$*
  declare -A S
  for n in $sizes; do
    while IFS='=' read -r k v; do S[$n.$k]=$v; done < "$results/scale-$n.env"
  done
  g() { echo "${S[$n.$1]:-}"; }   # a measure of the size n
  growth() { echo $(($(g "$1.rss_full") - $(g "$1.rss_empty"))); }
  bps() { awk -v g="$(growth clusterdns)" -v n="$n" 'BEGIN {printf "%.0f", g * 1024 / n}'; }
  p() { field "$1" "$(g "$2.latency")"; }
  # row LABEL TARGET CELL: CELL is run once per size with n set
  row() {
    local label=$1 target=$2 cell=$3 line
    line="| $label | $target |"
    for n in $sizes; do line+=" $($cell) |"; done
    echo "$line"
  }
  c_populate() { echo "$(g populate_s) s"; }
  c_rss() { echo "$(mib "$(g clusterdns.rss_full)") Mi"; }
  c_grow() { echo "$(mib "$(growth clusterdns)") / $(mib "$(growth kubernetes)") Mi"; }
  c_ratio() { local q; q=$(ratio "$(growth clusterdns)" "$(growth kubernetes)"); echo "$q $(verdict "$q" '<=' 0.35)"; }
  c_anon() { ratio $(($(g clusterdns.anon_full) - $(g clusterdns.anon_empty))) $(($(g kubernetes.anon_full) - $(g kubernetes.anon_empty))); }
  c_bps() {
    local b b5 q
    b=$(bps)
    [[ $n != "${sizes##* }" || $n == 5000 || " $sizes " != *" 5000 "* ]] && { echo "$b"; return; }
    b5=$(n=5000 bps) q=$(ratio "$b" "$b5")
    echo "$b ($q× 5k: $(awk -v q="$q" 'BEGIN {print (q >= 0.8 && q <= 1.2) ? "PASS" : "FAIL"}'))"
  }
  c_limited() {
    local r; r=$(mib "$(g clusterdns.limited_rss)")
    [[ $r != n/a ]] || { echo "$(g clusterdns.limited_survived)"; return; }
    echo "$r Mi $(verdict "$r" '<=' "$LIMIT_MIB") (Go limit $(g clusterdns.limited_go_limit) Mi)"
  }
  c_limited_relist() {
    local ok=FAIL
    [[ $(g clusterdns.limited_survived) == yes && $(g clusterdns.limited_oom_kills) == 0 ]] && ok=PASS
    echo "$(mib "$(g clusterdns.limited.relist_peak)") Mi, cgroup peak $(mib "$(g clusterdns.limited_cg_peak)") Mi, OOM kills $(g clusterdns.limited_oom_kills), answers after it: $(g clusterdns.limited_survived) $ok"
  }
  c_start() { echo "$(g "$1.ready_s") / $(g "$1.answer_s") s"; }
  c_start_c() { c_start clusterdns; }
  c_start_k() { c_start kubernetes; }
  c_built() {
    local b; b=$(g clusterdns.built_ms)
    [[ -n $b ]] || { echo "no log line"; return; }
    echo "$(g clusterdns.lists_ms) + $b ms $(verdict "$b" '<=' 2000)"
  }
  c_qps() { local q; q=$(ratio "$(g clusterdns.qps_mixed)" "$(g kubernetes.qps_mixed)"); echo "$(g clusterdns.qps_mixed) / $(g kubernetes.qps_mixed) = $q $(verdict "$q" '>=' 1.8)"; }
  c_cip() {
    local q
    # shellcheck disable=SC2046
    q=$(median $(g clusterip_whoami_pairs))
    echo "$(g clusterdns.qps_clusterip) / $(g whoami.qps_mixed); pairs $(g clusterip_whoami_pairs | tr ' ' /), median $q $(verdict "$q" '>=' 0.95)"
  }
  c_cip_runs() { echo "$(g clusterdns.qps_clusterip_runs | tr ' ' /) vs $(g whoami.qps_runs | tr ' ' /)"; }
  c_cpu() { echo "$(g clusterdns.cpu_mixed) / $(g kubernetes.cpu_mixed) / $(g whoami.cpu_mixed)"; }
  c_per_cpu() {
    echo "$(ratio "$(g clusterdns.per_cpu_mixed)" "$(g kubernetes.per_cpu_mixed)") / $(ratio "$(g clusterdns.per_cpu_clusterip)" "$(g whoami.per_cpu_mixed)")"
  }
  c_upd_c() { echo "$(p p50_ms clusterdns) / $(p p99_ms clusterdns) ms $(verdict "$(p p99_ms clusterdns)" '<=' 10)"; }
  c_upd_k() { echo "$(p p50_ms kubernetes) / $(p p99_ms kubernetes) ms"; }
  c_watch() { echo "$(p watch_p99_ms clusterdns) / $(p watch_p99_ms kubernetes) ms"; }
  c_load() { echo "$(g clusterdns.load_qps) / $(g kubernetes.load_qps)"; }
  c_relist() {
    local q; q=$(ratio "$(g "$1.relist_peak")" "$(g "$1.relist_steady")")
    echo "$(mib "$(g "$1.relist_peak")") / $(mib "$(g "$1.relist_steady")") Mi = $q${2:+ $(verdict "$q" '<=' 1.10)}"
  }
  c_relist_c() { c_relist clusterdns check; }
  # the steady RSS is read after the QPS and latency runs; a Go heap grown there hides the
  # relist's own peak, so it is also shown against the RSS right after sync
  c_relist_sync() {
    echo "$(ratio "$(g clusterdns.relist_peak)" "$(g clusterdns.rss_full)") / $(ratio "$(g kubernetes.relist_peak)" "$(g kubernetes.rss_full)")"
  }
  c_relist_k() { c_relist kubernetes; }
  c_relist_s() { echo "$(g clusterdns.relist_s) / $(g kubernetes.relist_s) s"; }
  c_answers() { g answers | sed 's/ (\([0-9]*\) distinct queries)/ (\1)/; s/; see .*)/)/'; }
  c_errors() { echo "$(g clusterdns.errors) / $(g kubernetes.errors)"; }
  c_load_avg() { g load_before; }

  n=${sizes%% *}
  echo "clusterdns at scale, $(g date), commit $(g revision)${REVISION:-}; $(nproc) cores, $(uname -r), $(go env GOVERSION);"
  echo "$ENDPOINTS endpoints per Service, $HEADLESS headless, pods disabled; one API server grown size by size;"
  echo "RSS and start figures: median of $RUNS fresh processes; dnsperf ${DURATION} s runs (-c $CLIENTS -q $OUTSTANDING),"
  echo "server on core 0, dnsperf on core 1. \`A / B\` is clusterdns / kubernetes unless the row says otherwise."
  echo
  local head="| measure | target |" rule="|---|---|"
  for n in $sizes; do head+=" $n Services |"; rule+="---|"; done
  echo "$head"
  echo "$rule"
  row "populate (this step)" "minutes at 50k" c_populate
  row "RSS clusterdns, process, no limit" "" c_rss
  row "RSS clusterdns under the Deployment's $LIMIT_MIB Mi limit" "≤ $LIMIT_MIB Mi" c_limited
  row "… its relist peak (VmHWM) under the limit" "no OOM kill" c_limited_relist
  row "RSS growth after sync" "" c_grow
  row "RSS growth clusterdns/kubernetes" "≤ 0.35" c_ratio
  row "(RssAnon growth ratio)" "" c_anon
  row "bytes per Service, clusterdns growth" "50k within 20% of 5k" c_bps
  row "start → ready / first answer, clusterdns" "" c_start_c
  row "start → ready / first answer, kubernetes" "" c_start_k
  row "clusterdns log: lists arrived + ready after" "≤ 2 s (at 10k)" c_built
  row "QPS mixed, clusterdns / kubernetes" "≥ 1.8" c_qps
  row "QPS ClusterIP A clusterdns / whoami: medians; each pair's ratio" "≥ 0.95" c_cip
  row "(the $RUNS runs of each, in turn)" "" c_cip_runs
  row "server cpu% (mixed; clusterdns / kubernetes / whoami)" "" c_cpu
  row "QPS per server CPU: mixed c/k, ClusterIP A c/whoami" "" c_per_cpu
  row "update p50 / p99 clusterdns, $LOAD% load" "p99 ≤ 10 ms" c_upd_c
  row "update p50 / p99 kubernetes, $LOAD% load" "" c_upd_k
  row "(API watch alone, p99)" "" c_watch
  row "QPS served meanwhile" "" c_load
  row "relist peak / steady RSS, clusterdns" "≤ 1.10 (at 50k)" c_relist_c
  row "relist peak / steady RSS, kubernetes" "" c_relist_k
  row "relist peak / RSS after sync" "" c_relist_sync
  row "API server restart → new Service answered" "" c_relist_s
  row "replies of both plugins" "identical" c_answers
  row "[ERROR] log lines" "0" c_errors
  row "load average before (other processes)" "" c_load_avg
}

main() {
  if [[ -n ${TABLE_ONLY:-} ]]; then   # render the table again from the results files of SIZES
    table $SIZES | tee "$results/scale.md"
    return
  fi
  mkdir -p "$results"
  build
  start_apiserver
  local prev=0 n k measured=""
  tag=empty
  measure_empty
  # what every size's results keep: the empty servers' RSS, the commit and the date
  declare -A keep
  for k in "${!R[@]}"; do keep[$k]=${R[$k]}; done
  for n in $SIZES; do
    R=()
    for k in "${!keep[@]}"; do R[$k]=${keep[$k]}; done
    tag=$n
    populate "$prev" "$n"
    R[load_before]=$(cut -d' ' -f1-3 /proc/loadavg)
    log "size $n: populated in ${R[populate_s]} s; load average ${R[load_before]}"
    measure_full clusterdns
    measure_limited clusterdns
    measure_full kubernetes
    ((COMPARE == 0)) || compare_answers
    save_results "$results/scale-$n.env"
    measured+=" $n"
    table $measured > "$results/scale.md"   # after every size: a stopped run keeps what it measured
    prev=$n
  done
  cat "$results/scale.md"
}

main "$@"
