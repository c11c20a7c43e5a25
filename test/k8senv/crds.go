package k8senv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// The CRD modules the tests install, each pinned: the CRDs come from the owning project's
// own YAML in its Go module (module cache), never from a hand-written copy.
const (
	GatewayAPI     = "sigs.k8s.io/gateway-api@v1.5.1" // config/crd/standard, config/crd/experimental
	ExternalDNS    = "sigs.k8s.io/external-dns@v0.22.0"
	IstioAPI       = "istio.io/api@v1.32.0" // kubernetes/customresourcedefinitions.gen.yaml
	KnativeServing = "knative.dev/serving@v0.51.0"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

var (
	moduleDirs  sync.Map // module@version -> directory
	installOnce sync.Map // module@version/file -> *sync.Once
)

// ModuleDir returns the directory of module@version in the module cache, downloading it
// through the Go module proxy if needed (go mod download -json).
func ModuleDir(t testing.TB, moduleAtVersion string) string {
	t.Helper()
	if d, ok := moduleDirs.Load(moduleAtVersion); ok {
		return d.(string)
	}
	cmd := exec.Command("go", "mod", "download", "-json", moduleAtVersion)
	cmd.Dir = os.TempDir() // outside any module: the download must not touch our go.mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v %s %s", moduleAtVersion, err, info.Error, out)
	}
	moduleDirs.Store(moduleAtVersion, info.Dir)
	return info.Dir
}

// Dynamic returns a dynamic client of the test API server.
func (e *Env) Dynamic(t testing.TB) dynamic.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// InstallCRDs applies the CustomResourceDefinitions found in files (paths inside the
// module, globs allowed) of module@version, as the project ships them, and waits until
// each is Established. Documents of other kinds in those files are skipped. Installing the
// same file twice in one test binary is a no-op, so tests may each ask for what they need.
func (e *Env) InstallCRDs(t testing.TB, moduleAtVersion string, files ...string) {
	t.Helper()
	dir := ModuleDir(t, moduleAtVersion)
	dyn := e.Dynamic(t)
	for _, pattern := range files {
		paths, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil || len(paths) == 0 {
			t.Fatalf("%s: no file matches %s (%v)", moduleAtVersion, pattern, err)
		}
		for _, p := range paths {
			once, _ := installOnce.LoadOrStore(moduleAtVersion+"/"+p, &sync.Once{})
			var ierr error
			once.(*sync.Once).Do(func() { ierr = installFile(dyn, p) })
			if ierr != nil {
				installOnce.Delete(moduleAtVersion + "/" + p)
				t.Fatalf("%s: %v", p, ierr)
			}
		}
	}
}

func installFile(dyn dynamic.Interface, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var names []string
	for {
		obj := map[string]any{}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if _, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("creating CRD %s: %w", u.GetName(), err)
		}
		names = append(names, u.GetName())
	}
	if len(names) == 0 {
		return fmt.Errorf("no CustomResourceDefinition in the file")
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range names {
		for !established(ctx, dyn, name) {
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established after 30s", name)
			}
			time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
		}
	}
	return nil
}

func established(ctx context.Context, dyn dynamic.Interface, name string) bool {
	u, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
