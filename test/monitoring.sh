#!/usr/bin/env bash
# Checks deploy/monitoring's alert rules with promtool (installed by test/tools.sh from
# Debian's prometheus package): the rules parse, and every alert passes its unit tests in
# rules_test.yaml. The dashboard's and the rules' metric names are checked against a
# running server by the Go tests in test/monitoring.
set -euo pipefail
cd "$(dirname "$0")/../deploy/monitoring"
promtool check rules rules.yaml
promtool test rules rules_test.yaml
# every alert has a test: an alert without one would pass the run above unnoticed
missing=$(comm -23 <(sed -n 's/^ *- alert: //p' rules.yaml | sort -u) \
                   <(sed -n 's/^ *alertname: //p' rules_test.yaml | sort -u))
if [[ -n $missing ]]; then
  echo "alerts without a test in rules_test.yaml: $missing" >&2
  exit 1
fi
