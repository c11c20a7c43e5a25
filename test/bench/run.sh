#!/usr/bin/env bash
# Benchmark: the clusterdns plugin against the stock kubernetes plugin (and whoami, the
# framework ceiling) on a real kube-apiserver, at one size. See README.md; scale.sh runs
# several sizes.
#
#   test/bench/run.sh                                  full run: 5,000 services
#   SERVICES=300 DURATION=5 LAT_N=50 test/bench/run.sh smoke run
#
#   PODS=1 test/bench/run.sh                           both with pods verified, a pod per endpoint
#
# Knobs (environment): SERVICES and those of lib.sh.
set -euo pipefail
SERVICES=${SERVICES:-5000}
source "$(dirname "$0")/lib.sh"
tag=full

summary() {
  local kind q growth_c growth_k p99_c
  echo "clusterdns benchmark, $(date -u +%Y-%m-%dT%H:%MZ), commit $revision, $(nproc) cores, $(uname -r)"
  echo "data: $SERVICES services ($HEADLESS headless), $ENDPOINTS endpoints each${PODS:+, a pod per endpoint (pods verified)}; $QUERIES queries;" \
    "dnsperf ${DURATION}s -c $CLIENTS -q $OUTSTANDING; server on core 0, dnsperf on core 1; RSS and start: median of $RUNS fresh processes"
  echo "load average before the runs: $load_before (other processes on the machine add noise)"
  echo
  printf '%-11s %8s %8s %5s %5s %10s %10s %10s %10s %6s %7s %8s %8s %8s %10s %11s %7s\n' server "QPS mix" "QPS cIP" "cpu%" lost \
    "RSS empty" "RSS full" "RSS grow" "anon grow" ready answer "upd p50" "upd p99" "at QPS" "relist pk" "(steady)" errors
  for kind in clusterdns kubernetes; do
    printf '%-11s %8s %8s %5s %5s %8sMi %8sMi %8sMi %8sMi %5ss %6ss %6sms %6sms %8s %8sMi %9sMi %7s\n' "$kind" \
      "${R[$kind.qps_mixed]}" "${R[$kind.qps_clusterip]}" "${R[$kind.cpu_mixed]}" "${R[$kind.lost_mixed]}" \
      "$(mib "${R[$kind.rss_empty]}")" "$(mib "${R[$kind.rss_full]}")" "$(mib $((R[$kind.rss_full] - R[$kind.rss_empty])))" \
      "$(mib $((R[$kind.anon_full] - R[$kind.anon_empty])))" "${R[$kind.ready_s]}" "${R[$kind.answer_s]}" \
      "$(field p50_ms "${R[$kind.latency]}")" "$(field p99_ms "${R[$kind.latency]}")" "${R[$kind.load_qps]}" \
      "$(mib "${R[$kind.relist_peak]:-}")" "$(mib "${R[$kind.relist_steady]:-}")" "${R[$kind.errors]}"
  done
  printf '%-11s %8s %8s %5s %5s\n' whoami "${R[whoami.qps_mixed]}" "" "${R[whoami.cpu_mixed]}" "${R[whoami.lost_mixed]}"
  echo
  for kind in clusterdns kubernetes; do
    echo "rcodes $kind: mixed ${R[$kind.rcodes_mixed]}; ClusterIP ${R[$kind.rcodes_clusterip]}"
  done
  for kind in clusterdns kubernetes; do echo "latency $kind (dnsperf at ${R[$kind.load_target]} QPS meanwhile): ${R[$kind.latency]}"; done
  [[ -z ${R[clusterdns.built_ms]:-} ]] ||
    echo "clusterdns log: initial lists arrived after ${R[clusterdns.lists_ms]} ms, index built and ready ${R[clusterdns.built_ms]} ms after"
  echo
  q=$(ratio "${R[clusterdns.qps_mixed]}" "${R[kubernetes.qps_mixed]}")
  echo "QPS clusterdns/kubernetes, mixed:       $q  (target >= 1.8: $(verdict "$q" '>=' 1.8))"
  q=$(ratio "${R[clusterdns.qps_clusterip]}" "${R[whoami.qps_mixed]}")
  echo "QPS clusterdns ClusterIP A/whoami:      $q  (target >= 0.95: $(verdict "$q" '>=' 0.95))"
  echo "QPS per server CPU, clusterdns/kubernetes: $(ratio "${R[clusterdns.per_cpu_mixed]}" "${R[kubernetes.per_cpu_mixed]}")," \
    "clusterdns ClusterIP/whoami: $(ratio "${R[clusterdns.per_cpu_clusterip]}" "${R[whoami.per_cpu_mixed]}")"
  growth_c=$((R[clusterdns.rss_full] - R[clusterdns.rss_empty]))
  growth_k=$((R[kubernetes.rss_full] - R[kubernetes.rss_empty]))
  q=$(ratio "$growth_c" "$growth_k")
  echo "RSS growth clusterdns/kubernetes:       $q  (target <= 0.35: $(verdict "$q" '<=' 0.35))"
  q=$(ratio $((R[clusterdns.anon_full] - R[clusterdns.anon_empty])) $((R[kubernetes.anon_full] - R[kubernetes.anon_empty])))
  echo "  (RssAnon growth, clusterdns/kubernetes: $q; RSS of each run: ${R[clusterdns.rss_runs]} and ${R[kubernetes.rss_runs]} KiB)"
  p99_c=$(field p99_ms "${R[clusterdns.latency]}")
  echo "update latency p99 at $LOAD% load:      clusterdns $p99_c ms, kubernetes $(field p99_ms "${R[kubernetes.latency]}") ms" \
    "(target clusterdns <= 10 ms: $(verdict "$p99_c" '<=' 10))"
  echo "  (API watch alone, p99:               $(field watch_p99_ms "${R[clusterdns.latency]}") ms and $(field watch_p99_ms "${R[kubernetes.latency]}") ms in the same runs)"
  if ((RELIST)); then
    q=$(ratio "${R[clusterdns.relist_peak]}" "${R[clusterdns.relist_steady]}")
    echo "relist peak/steady RSS, clusterdns:     $q  (target <= 1.10: $(verdict "$q" '<=' 1.10)); kubernetes $(ratio "${R[kubernetes.relist_peak]}" "${R[kubernetes.relist_steady]}")" \
      "(API server restart to the first new Service answered: ${R[clusterdns.relist_s]} s and ${R[kubernetes.relist_s]} s)"
  fi
  ((COMPARE == 0)) || echo "replies: ${R[answers]}"
}

main() {
  mkdir -p "$results"
  build
  start_apiserver
  measure_empty
  populate 0 "$SERVICES"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  measure_full clusterdns
  measure_full kubernetes
  measure_whoami
  ((COMPARE == 0)) || compare_answers
  save_results "$results/results.env"
  summary | tee "$results/summary.txt"
}

main "$@"
