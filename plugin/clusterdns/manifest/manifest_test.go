package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a, namespace: x}
  spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ignored}
---
# only a comment
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: a-1, namespace: x, labels: {kubernetes.io/service-name: a}}
addressType: IPv4
endpoints: [{addresses: [10.1.0.1]}]
`

func TestParse(t *testing.T) {
	o, err := Parse("l.yaml", []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Services) != 1 || o.Services[0].Name != "a" || len(o.Slices) != 1 || o.Slices[0].Service != "a" {
		t.Fatalf("got %+v", o)
	}
	for _, bad := range []struct{ doc, want string }{
		{"kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: [", "bad.yaml: document 2"},
		{"kind: Service\nspec: {}\n", "without metadata.name"},
		{"kind: EndpointSlice\nmetadata: {name: s}\n", "no kubernetes.io/service-name label"},
		{"kind: Service\nmetadata: {name: a}\nspec: {ports: 3}\n", "bad.yaml: document 1"},
	} {
		if _, err := Parse("bad.yaml", []byte(bad.doc)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.doc, err, bad.want)
		}
	}
}

// A file that stops parsing keeps its last good objects; a fix is picked up.
func TestReloadKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "svc.yaml")
	write := func(s string) {
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("kind: Service\nmetadata: {name: one}\nspec: {clusterIP: 10.0.0.1}\n")
	src, err := Start([]string{dir}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	has := func(name string) (ok bool) {
		src.Store().Read(func(v model.View) { ok = v.Service(model.Key{Namespace: "default", Name: name}) != nil })
		return ok
	}
	if !has("one") {
		t.Fatal("initial service missing")
	}
	write("kind: Service\nmetadata: {name: two\n")
	src.Reload()
	if !has("one") || has("two") {
		t.Fatal("a broken file must keep the last good state")
	}
	write("kind: Service\nmetadata: {name: two}\nspec: {clusterIP: 10.0.0.2}\n")
	src.Reload()
	if has("one") || !has("two") {
		t.Fatal("the fixed file was not applied")
	}
	if _, err := Start([]string{filepath.Join(dir, "missing")}, time.Hour); err == nil {
		t.Fatal("a missing path must be an error")
	}
}
