// Package monitoring tests deploy/monitoring: every metric the dashboard's panels and the
// alert rules query is exported by a running server (scraped from its /metrics), and the
// Prometheus Operator's PrometheusRule carries exactly rules.yaml's groups. promtool's
// checks and the rules' unit tests run from test/monitoring.sh.
package monitoring

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// dir returns deploy/monitoring's path.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "monitoring")
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rules struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert string
			Expr  string
		}
	}
}

// query is one PromQL expression and where it is.
type query struct{ where, expr string }

// queries returns every expression of the dashboard's panels and of the alert rules.
func queries(t *testing.T) []query {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(read(t, "dashboard.json"), &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	var qs []query
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			qs = append(qs, query{"dashboard panel " + p.Title, tg.Expr})
		}
	}
	var r rules
	if err := yaml.Unmarshal(read(t, "rules.yaml"), &r); err != nil {
		t.Fatalf("rules.yaml: %v", err)
	}
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			qs = append(qs, query{"alert " + rule.Alert, rule.Expr})
		}
	}
	if len(qs) < 20 {
		t.Fatalf("only %d queries in the dashboard and the rules", len(qs))
	}
	return qs
}

// selector finds the metric names of an expression: every name followed by its label
// matchers. The project's queries always select with labels (job="clusterdns" at least),
// so a bare name is caught by TestQueriesSelectJob instead of slipping through here.
var selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{`)

func metricNames(expr string) []string {
	var names []string
	for _, m := range selector.FindAllStringSubmatch(expr, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// Every query selects the clusterdns job: during a migration CoreDNS's pods export the same
// coredns_dns_* series, and a query without the job would mix them in.
func TestQueriesSelectJob(t *testing.T) {
	job := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*\{job="clusterdns"`)
	for _, q := range queries(t) {
		names := metricNames(q.expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric selected in %s", q.where, q.expr)
		}
		for _, m := range selector.FindAllStringIndex(q.expr, -1) {
			if !job.MatchString(q.expr[m[0]:]) {
				t.Errorf("%s: selector at %q lacks job=\"clusterdns\" first", q.where, q.expr[m[0]:])
			}
		}
	}
}

// prometheusrule.yaml is rules.yaml for the Prometheus Operator: the same groups, to the letter.
func TestPrometheusRuleIsRules(t *testing.T) {
	var plain, op map[string]any
	if err := yaml.Unmarshal(read(t, "rules.yaml"), &plain); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(read(t, "prometheusrule.yaml"), &op); err != nil {
		t.Fatal(err)
	}
	spec, _ := op["spec"].(map[string]any)
	if !reflect.DeepEqual(spec, plain) {
		t.Error("prometheusrule.yaml's spec differs from rules.yaml: copy rules.yaml's groups into it")
	}
}
