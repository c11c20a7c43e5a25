package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/coredns/caddy/caddyfile"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// chart is the Helm chart, which renders deploy/base's objects from CoreDNS-shaped values.
const chart = "deploy/helm/clusterdns"

// helmBinary returns the helm that test/tools.sh builds (pinned, into ~/.cache/clusterdns/bin),
// or one on PATH; it skips the test without one (fails under CI=true).
func helmBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLUSTERDNS_BIN")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err == nil {
			dir = filepath.Join(cache, "clusterdns", "bin")
		}
	}
	if p := filepath.Join(dir, "helm"); dir != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("helm not found under CI=true: run test/tools.sh")
	}
	t.Skip("helm not found: run test/tools.sh")
	return ""
}

// helm runs helm with args and returns its standard output, failing the test on error.
func helm(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	cmd.Dir = root()
	// Its own home: no repositories, plugins or cache of the machine's user.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// render runs `helm template` into kube-system, as an operator installs it, with extra
// --set/--values arguments.
func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out := helm(t, append([]string{"template", "clusterdns", chart, "--namespace", "kube-system"}, args...)...)
	objs, err := decodeManifests(out)
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, out)
	}
	return objs
}

// The values operators set most, each rendered, with what they must change.
var helmVariants = []struct {
	name  string
	args  []string
	check func(t *testing.T, objs []*unstructured.Unstructured, d appsv1.Deployment)
}{
	{"defaults", nil, nil},
	{"gke", []string{"-f", "deploy/helm/gke.yaml"}, nil},
	{"eks", []string{"-f", "deploy/helm/eks.yaml"}, nil},
	{"aks", []string{"-f", "deploy/helm/aks.yaml"}, nil},
	{"kind", []string{"-f", "deploy/helm/kind.yaml"}, nil},
	{"small", []string{"--set", "replicaCount=3", "--set", "autoscaler.enabled=false", "--set", "peered.enabled=false",
		"--set", "prometheus.service.enabled=true", "--set", "podDisruptionBudget=null", "--set", "resources.limits.memory=256Mi"},
		func(t *testing.T, objs []*unstructured.Unstructured, d appsv1.Deployment) {
			for _, gone := range [][2]string{{"Deployment", "clusterdns-autoscaler"}, {"Service", "clusterdns-peered"}, {"PodDisruptionBudget", "clusterdns"}} {
				if find(objs, gone[0], gone[1]) != nil {
					t.Errorf("%s %s rendered", gone[0], gone[1])
				}
			}
			if find(objs, "Service", "clusterdns-metrics") == nil || *d.Spec.Replicas != 3 ||
				d.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String() != "256Mi" {
				t.Errorf("no metrics Service, or replicas %d, resources %v", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Resources)
			}
		}},
	{"autoscaler", []string{"--set", "autoscaler.min=3", "--set", "autoscaler.max=20", "--set", "autoscaler.includeUnschedulableNodes=false"},
		func(t *testing.T, objs []*unstructured.Unstructured, d appsv1.Deployment) {
			var cm corev1.ConfigMap
			typed(t, objs, "ConfigMap", "clusterdns-autoscaler", &cm)
			var params map[string]any
			if err := json.Unmarshal([]byte(cm.Data["linear"]), &params); err != nil ||
				params["min"] != 3.0 || params["max"] != 20.0 || params["includeUnschedulableNodes"] != false || params["coresPerReplica"] != 256.0 {
				t.Errorf("autoscaler parameters %s: %v", cm.Data["linear"], err)
			}
		}},
}

// helm lint --strict: the defaults, every platform's values, and the optional objects.
func TestHelmLint(t *testing.T) {
	helm(t, "lint", "--strict", chart)
	for _, p := range helmPlatforms[1:] {
		helm(t, "lint", "--strict", chart, "-f", p.values)
	}
	helm(t, "lint", "--strict", chart, "--set", "prometheus.monitor.enabled=true", "--set", "autoscaler.max=10")
}

// helmOnly are the labels Helm's own objects carry and deploy/base's do not.
var helmOnly = []string{"helm.sh/chart", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "app.kubernetes.io/version"}

// helmPlatforms are the values files for each platform beside the chart, and the overlay
// each stands for.
var helmPlatforms = []struct{ values, kustomization string }{
	{"", "deploy/base"},
	{"deploy/helm/gke.yaml", "deploy/overlays/gke"},
	{"deploy/helm/eks.yaml", "deploy/overlays/eks"},
	{"deploy/helm/aks.yaml", "deploy/overlays/aks"},
	{"deploy/helm/kind.yaml", "deploy/overlays/kind"},
}

// The default values render deploy/base, and each platform's values file its overlay,
// object for object, but Helm's labels; the Corefile is the same configuration (the same
// tokens on the same lines, snippets included) without deploy/base's comments, and the zone
// files are byte for byte the same.
func TestHelmRendersKustomize(t *testing.T) {
	for _, p := range helmPlatforms {
		t.Run(p.kustomization, func(t *testing.T) {
			var args []string
			if p.values != "" {
				args = []string{"-f", p.values}
			}
			sameObjects(t, render(t, args...), build(t, p.kustomization))
		})
	}
}

func sameObjects(t *testing.T, got, base []*unstructured.Unstructured) {
	t.Helper()
	if len(got) != len(base) {
		t.Errorf("%d objects, deploy/base has %d", len(got), len(base))
	}
	for _, o := range got {
		if find(base, o.GetKind(), o.GetName()) == nil {
			t.Errorf("%s: not in deploy/base", id(o))
		}
	}
	for _, want := range base {
		o := find(got, want.GetKind(), want.GetName())
		if o == nil {
			t.Errorf("%s: not rendered", id(want))
			continue
		}
		o = o.DeepCopy()
		l := o.GetLabels()
		for _, k := range helmOnly {
			if _, ok := l[k]; !ok {
				t.Errorf("%s: no label %s", id(o), k)
			}
			delete(l, k)
		}
		if len(l) == 0 {
			l = nil // none left, as kustomize's ConfigMap: no labels field at all
		}
		o.SetLabels(l)
		if o.GetKind() == "ConfigMap" && o.GetName() == "clusterdns" {
			gotCF, _, _ := unstructured.NestedString(o.Object, "data", "Corefile")
			wantCF, _, _ := unstructured.NestedString(want.Object, "data", "Corefile")
			if g, w := corefileTokens(t, gotCF), corefileTokens(t, wantCF); g != w {
				t.Errorf("the chart's Corefile is not deploy/base's:\n%s\n--- tokens:\n%s\n--- want:\n%s", gotCF, g, w)
			}
			unstructured.RemoveNestedField(o.Object, "data", "Corefile")
			want = want.DeepCopy()
			unstructured.RemoveNestedField(want.Object, "data", "Corefile")
		}
		if !reflect.DeepEqual(o.Object, want.Object) {
			t.Errorf("%s differs from deploy/base's:\n got %v\nwant %v", id(want), o.Object, want.Object)
		}
	}
}

// corefileTokens is a Corefile as its tokens, one line of the Corefile per line: what the
// server reads of it (comments, indentation and blank lines are not; line breaks end
// directives). Both must also parse as a Corefile.
func corefileTokens(t *testing.T, corefile string) string {
	t.Helper()
	if _, err := caddyfile.Parse("Corefile", strings.NewReader(corefile), nil); err != nil {
		t.Fatalf("Corefile: %v\n%s", err, corefile)
	}
	var b strings.Builder
	d := caddyfile.NewDispenser("Corefile", strings.NewReader(corefile))
	line := 0
	for d.Next() {
		switch {
		case b.Len() == 0:
		case d.Line() != line:
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
		line = d.Line()
		b.WriteString(d.Val())
	}
	return b.String()
}

// Every variant renders objects a real API server accepts (server-side dry run), a pod
// locked down as deploy/base's, and Services that select the pods on ports they expose.
func TestHelmServerDryRun(t *testing.T) {
	e := k8senv.Get(t)
	dyn, mapper := dynamicClient(t, e)
	for _, v := range helmVariants {
		t.Run(v.name, func(t *testing.T) {
			objs := render(t, v.args...)
			dryRun(t, dyn, mapper, objs)
			var d appsv1.Deployment
			typed(t, objs, "Deployment", "clusterdns", &d)
			checkPod(t, d.Spec.Template.Spec)
			for _, o := range objs {
				if o.GetKind() == "Service" {
					var s corev1.Service
					typed(t, objs, "Service", o.GetName(), &s)
					checkService(t, s, d.Spec.Template)
				}
			}
			if v.check != nil {
				v.check(t, objs, d)
			}
		})
	}
}

// prometheus.monitor renders a ServiceMonitor that selects the metrics Service, and only
// it, by its metrics port, with the job name the alert rules select. (No dry run: the test API server has no Prometheus Operator CRDs.)
func TestHelmServiceMonitor(t *testing.T) {
	objs := render(t, "--set", "prometheus.monitor.enabled=true", "--set", "prometheus.monitor.additionalLabels.release=kube-prometheus-stack")
	sm := find(objs, "ServiceMonitor", "clusterdns")
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	var svc corev1.Service
	typed(t, objs, "Service", "clusterdns-metrics", &svc)
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	for _, o := range objs {
		if o.GetKind() == "Service" && labels.SelectorFromSet(sel).Matches(labels.Set(o.GetLabels())) != (o.GetName() == "clusterdns-metrics") {
			t.Errorf("ServiceMonitor selector %v and Service %s labels %v", sel, o.GetName(), o.GetLabels())
		}
	}
	eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(eps) != 1 || eps[0].(map[string]any)["port"] != "metrics" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "metrics" {
		t.Errorf("ServiceMonitor endpoints %v, Service ports %v", eps, svc.Spec.Ports)
	}
	// the job is named clusterdns, as deploy/monitoring's rules and dashboard select
	if jl, _, _ := unstructured.NestedString(sm.Object, "spec", "jobLabel"); svc.Labels[jl] != "clusterdns" {
		t.Errorf("the job is %q (jobLabel %q), the rules select clusterdns", svc.Labels[jl], jl)
	}
	if sm.GetLabels()["release"] != "kube-prometheus-stack" || sm.GetNamespace() != "kube-system" {
		t.Errorf("ServiceMonitor labels %v namespace %s", sm.GetLabels(), sm.GetNamespace())
	}
	var d appsv1.Deployment
	typed(t, objs, "Deployment", "clusterdns", &d)
	checkService(t, svc, d.Spec.Template)
}

// helm install, then helm upgrade, on the real API server: Helm 3 updates by a three-way
// strategic merge patch, which merges a Service's ports by port number (kubernetes#39188,
// why the Kustomize path applies server-side); kube-dns must keep 53 in UDP and in TCP.
// Its own namespace and names, beside what the other tests apply.
func TestHelmInstallUpgrade(t *testing.T) {
	e := k8senv.Get(t)
	ns := e.Namespace(t, "helm")
	name := "clusterdns-" + ns // cluster-scoped objects (ClusterRoles) are unique per run
	common := []string{"--kubeconfig", e.Kubeconfig, "--namespace", ns, "--set", "fullnameOverride=" + name}
	helm(t, append([]string{"install", "clusterdns", chart}, common...)...)
	ports := func() []string {
		t.Helper()
		s, err := e.Client.CoreV1().Services(ns).Get(context.Background(), "kube-dns", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range s.Spec.Ports {
			got = append(got, fmt.Sprintf("%s %d/%s", p.Name, p.Port, p.Protocol))
		}
		return got
	}
	want := []string{"dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"}
	if got := ports(); !slices.Equal(got, want) {
		t.Errorf("after install, kube-dns ports %v, want %v", got, want)
	}
	// The metrics port moves, so the patch carries kube-dns's ports.
	values, err := os.ReadFile(filepath.Join(root(), chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(moved, bytes.ReplaceAll(values, []byte("parameters: :9153"), []byte("parameters: :9154")), 0o644); err != nil {
		t.Fatal(err)
	}
	helm(t, append([]string{"upgrade", "clusterdns", chart, "-f", moved, "--set", "replicaCount=3"}, common...)...)
	want[2] = "metrics 9154/TCP"
	if got := ports(); !slices.Equal(got, want) {
		t.Errorf("after upgrade, kube-dns ports %v, want %v", got, want)
	}
	d, err := e.Client.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 {
		t.Errorf("after upgrade, replicas %d, want 3", *d.Spec.Replicas)
	}
}
