// Package deploy tests deploy/: the kustomizations build, the Helm chart lints and renders
// the same objects, a real API server accepts every object they make, the Corefile they ship validates and serves, and the RBAC they grant
// is what clusterdns needs and no more.
package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }

// kustomizations are the directories operators apply: the base and every overlay.
var kustomizations = []string{"deploy/base", "deploy/overlays/gke", "deploy/overlays/eks", "deploy/overlays/aks", "deploy/overlays/kind"}

// root returns the path of the repository's root.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// build renders a kustomization, failing the test on error.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kustomize(filepath.Join(root(), dir))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// find returns the object of that kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// The ConfigMap's files are copies (kustomize reads nothing outside deploy/base): they must
// not drift from the Corefile and zone files the rest of the project tests.
func TestCopiesMatch(t *testing.T) {
	for copy, orig := range map[string]string{
		"deploy/base/Corefile":              "corefile/Corefile",
		"deploy/base/db.mycompany.internal": "zones/db.mycompany.internal",
		"deploy/base/db.mesh.private":       "zones/db.mesh.private",
	} {
		a, errA := os.ReadFile(filepath.Join(root(), copy))
		b, errB := os.ReadFile(filepath.Join(root(), orig))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: cp %s %s", copy, orig, orig, copy)
		}
	}
}

// Every kustomization builds, and, when kubectl is installed, to the same objects as
// `kubectl kustomize` (whose embedded kustomize may be older than the library here).
func TestKustomizations(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: not comparing with kubectl kustomize")
	}
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			objs := build(t, dir)
			if kubectl == "" {
				return
			}
			out, err := exec.Command(kubectl, "kustomize", filepath.Join(root(), dir)).Output()
			if err != nil {
				t.Fatalf("kubectl kustomize: %v", err)
			}
			want, err := decodeManifests(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(objs) {
				t.Errorf("%d objects, kubectl kustomize makes %d", len(objs), len(want))
			}
			for _, w := range want {
				got := find(objs, w.GetKind(), w.GetName())
				if got == nil || !reflect.DeepEqual(got.Object, w.Object) {
					t.Errorf("%s differs from kubectl kustomize's:\n got %v\nwant %v", id(w), got, w.Object)
				}
			}
		})
	}
}

// A real API server accepts every object of every kustomization (server-side dry run).
func TestServerDryRun(t *testing.T) {
	e := k8senv.Get(t)
	dyn, mapper := dynamicClient(t, e)
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) { dryRun(t, dyn, mapper, build(t, dir)) })
	}
}

// dryRun creates (or, for what TestRBAC applied for real, updates) every object with a
// server-side dry run, and checks that a Service's clusterIP is the one asked for.
func dryRun(t *testing.T, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		res, err := resource(dyn, mapper, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.Create(context.Background(), o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if apierrors.IsAlreadyExists(err) { // applied for real by TestRBAC: update instead
			cur, err2 := res.Get(context.Background(), o.GetName(), metav1.GetOptions{})
			if err2 != nil {
				t.Fatal(err2)
			}
			o = o.DeepCopy()
			o.SetResourceVersion(cur.GetResourceVersion())
			got, err = res.Update(context.Background(), o, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		}
		if err != nil {
			t.Errorf("%s: %v", id(o), err)
			continue
		}
		if want, ok, _ := unstructured.NestedString(o.Object, "spec", "clusterIP"); ok {
			if ip, _, _ := unstructured.NestedString(got.Object, "spec", "clusterIP"); ip != want {
				t.Errorf("%s: clusterIP %s, want %s", id(o), ip, want)
			}
		}
	}
}

func dynamicClient(t *testing.T, e *k8senv.Env) (dynamic.Interface, *restmapper.DeferredDiscoveryRESTMapper) {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rc.QPS, rc.Burst = 1000, 2000 // client-go's default, 5 per second, would dominate the test
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return dyn, restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(e.Client.Discovery()))
}

// resource returns the dynamic client for an object's resource and namespace.
func resource(dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if o.GetNamespace() == "" {
		return dyn.Resource(m.Resource), nil
	}
	return dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
}

// apply creates an object or replaces the existing one, so that tests can run again on the
// same API server.
func apply(t *testing.T, res dynamic.ResourceInterface, o *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	cur, err := res.Get(ctx, o.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = res.Create(ctx, o, metav1.CreateOptions{})
	case err == nil:
		o = o.DeepCopy()
		o.SetResourceVersion(cur.GetResourceVersion())
		_, err = res.Update(ctx, o, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatalf("%s: %v", id(o), err)
	}
}
