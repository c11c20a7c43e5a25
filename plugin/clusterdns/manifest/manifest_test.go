package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow/followtest"
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

// Each step writes a directory's files in place, then looks at them at the times given,
// on a clock of the test's own: a change shows only once it has settled, a broken file keeps
// its last good objects, a file that loses most of its objects settles twice, and a file gone
// for a settle window takes its objects with it.
func TestFollow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	services := func(names ...string) string {
		var b strings.Builder
		for i, n := range names {
			fmt.Fprintf(&b, "---\nkind: Service\nmetadata: {name: %s}\nspec: {clusterIP: 10.0.0.%d}\n", n, i+1)
		}
		return b.String()
	}
	write("svc.yaml", services("one"))
	clock := followtest.NewClock(time.Now().Add(time.Hour)) // the files are old by then
	src, err := start([]string{dir}, time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	has := func() string {
		var names []string
		src.Store().Read(func(v model.View) {
			for _, n := range []string{"one", "two", "three", "four", "five", "six"} {
				if v.Service(model.Key{Namespace: "default", Name: n}) != nil {
					names = append(names, n)
				}
			}
		})
		return strings.Join(names, " ")
	}
	if got := has(); got != "one" {
		t.Fatalf("at start: %q", got)
	}
	settle := follow.Settle
	const five = "one two three four five"
	for _, step := range []struct {
		what  string
		files map[string]string // "": removed
		want  []string          // what the store holds after each look, the first at once, then settle apart
	}{
		{"broken", map[string]string{"svc.yaml": "kind: Service\nmetadata: {name: two\n"}, []string{"one", "one", "one"}},
		{"fixed", map[string]string{"svc.yaml": services("two")}, []string{"one", "two"}},
		{"grown", map[string]string{"svc.yaml": services("one", "two", "three", "four", "five")}, []string{"two", "one two three four five"}},
		{"cut short", map[string]string{"svc.yaml": services("one")}, []string{five, five, "one"}},
		{"grown again", map[string]string{"svc.yaml": services("one", "two", "three", "four", "five")}, []string{"one", five}},
		{"cut short again", map[string]string{"svc.yaml": services("two")}, []string{five, five}},
		{"then whole", map[string]string{"svc.yaml": services("one", "two", "three")}, []string{five, "one two three"}},
		{"a new file", map[string]string{"more.yaml": services("six")}, []string{"one two three", "one two three six"}},
		{"a file gone for a moment", map[string]string{"more.yaml": ""}, []string{"one two three six"}},
		{"and back", map[string]string{"more.yaml": services("six")}, []string{"one two three six", "one two three six"}},
		{"a file removed", map[string]string{"more.yaml": ""}, []string{"one two three six", "one two three"}},
	} {
		for name, content := range step.files {
			if content == "" {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			write(name, content)
		}
		for i, want := range step.want {
			if i > 0 {
				clock.Advance(settle)
			}
			src.check(clock.Now())
			if got := has(); got != want {
				t.Fatalf("%s, look %d: %q, want %q", step.what, i+1, got, want)
			}
		}
	}
	if _, err := Start([]string{filepath.Join(dir, "missing")}, time.Hour); err == nil {
		t.Fatal("a missing path must be an error")
	}
}
