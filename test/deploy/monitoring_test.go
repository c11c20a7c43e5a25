package deploy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// withMonitoring builds an overlay of dir with the deploy/monitoring component, as an
// operator's overlay would add it.
func withMonitoring(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	overlay := t.TempDir()
	rel := func(to string) string { // kustomize takes no absolute paths
		r, err := filepath.Rel(overlay, filepath.Join(root(), to))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	k := "resources:\n  - " + rel(dir) + "\ncomponents:\n  - " + rel("deploy/monitoring") + "\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := kustomize(overlay)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// The monitoring component adds the ServiceMonitor, the PrometheusRule and the dashboard
// to every overlay, and the ServiceMonitor scrapes clusterdns's pods, and only them, at
// their metrics port.
func TestMonitoringComponent(t *testing.T) {
	dashboard, err := os.ReadFile(filepath.Join(root(), "deploy/monitoring/dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			objs := withMonitoring(t, dir)
			if n := len(build(t, dir)); len(objs) != n+4 {
				t.Errorf("%d objects with the component, %d without: want 4 more", len(objs), n)
			}
			if find(objs, "PrometheusRule", "clusterdns") == nil {
				t.Error("no PrometheusRule clusterdns")
			}
			var cm corev1.ConfigMap
			typed(t, objs, "ConfigMap", "clusterdns-dashboard", &cm)
			if cm.Data["clusterdns.json"] != string(dashboard) || cm.Labels["grafana_dashboard"] != "1" {
				t.Errorf("dashboard ConfigMap: labels %v, dashboard equal to dashboard.json: %v", cm.Labels, cm.Data["clusterdns.json"] == string(dashboard))
			}

			sm := find(objs, "ServiceMonitor", "clusterdns")
			if sm == nil {
				t.Fatal("no ServiceMonitor clusterdns")
			}
			match, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
			endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			if len(endpoints) != 1 {
				t.Fatalf("ServiceMonitor endpoints %v: want one", endpoints)
			}
			port := endpoints[0].(map[string]any)["port"]
			// it selects exactly the metrics Service, whose label names the job the rules select
			var selected []string
			for _, o := range objs {
				if o.GetKind() == "Service" && labels.SelectorFromSet(match).Matches(labels.Set(o.GetLabels())) {
					selected = append(selected, o.GetName())
				}
			}
			if !slices.Equal(selected, []string{"clusterdns-metrics"}) {
				t.Errorf("ServiceMonitor selects Services %v, want [clusterdns-metrics]", selected)
			}
			var svc corev1.Service
			typed(t, objs, "Service", "clusterdns-metrics", &svc)
			if jl, _, _ := unstructured.NestedString(sm.Object, "spec", "jobLabel"); svc.Labels[jl] != "clusterdns" {
				t.Errorf("the job is %q (jobLabel %q), the rules select clusterdns", svc.Labels[jl], jl)
			}
			// the Service selects clusterdns's pods, not CoreDNS's, at their metrics port
			var d appsv1.Deployment
			typed(t, objs, "Deployment", "clusterdns", &d)
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || svc.Spec.Selector["k8s-app"] != "" {
				t.Errorf("metrics Service selects %v: want clusterdns's pods %v, and not by k8s-app", svc.Spec.Selector, d.Spec.Template.Labels)
			}
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != port ||
				!slices.ContainsFunc(d.Spec.Template.Spec.Containers[0].Ports, func(p corev1.ContainerPort) bool {
					return p.Name == svc.Spec.Ports[0].TargetPort.StrVal && p.ContainerPort == 9153
				}) {
				t.Errorf("metrics Service ports %v do not lead to the container's metrics port 9153", svc.Spec.Ports)
			}
		})
	}
}

// The API server accepts the metrics Service and the dashboard's ConfigMap (its size in
// particular, under 1 MiB).
// ServiceMonitor and PrometheusRule are not dry-run: their CRDs are in no Go module the
// tests can read them from (the Prometheus Operator publishes pkg/apis/monitoring without
// them), and the project installs no hand-written CRD.
func TestMonitoringServerDryRun(t *testing.T) {
	e := k8senv.Get(t)
	dyn, mapper := dynamicClient(t, e)
	objs := withMonitoring(t, "deploy/base")
	for _, o := range []*unstructured.Unstructured{find(objs, "ConfigMap", "clusterdns-dashboard"), find(objs, "Service", "clusterdns-metrics")} {
		res, err := resource(dyn, mapper, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := res.Create(context.Background(), o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("%s: %v", id(o), err)
		}
	}
}
