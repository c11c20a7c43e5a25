package kubedns

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mount writes data as the kubelet lays out a ConfigMap volume: the keys in a timestamped
// directory, ..data a symlink to it, and a symlink per key through ..data. A second call
// updates it as the kubelet does: the keys in a new directory, a new ..data symlink
// renamed over the old one, then the old directory removed.
func mount(t *testing.T, dir string, data map[string]string) {
	t.Helper()
	version, err := os.MkdirTemp(dir, "..version_")
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range data {
		if err := os.WriteFile(filepath.Join(version, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, key)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", key), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(version), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	want := &Config{
		Stubs:     nil,
		Upstreams: []string{"8.8.8.8:53"},
	}
	want.Stubs = append(want.Stubs, stubConfig(t, "acme.local.", "1.2.3.4:53"))

	mounted := t.TempDir()
	mount(t, mounted, map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`, upstreamsKey: `["8.8.8.8"]`})
	plain := t.TempDir() // keys as plain files, as with a hostPath or a copy
	for key, value := range map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`, upstreamsKey: `["8.8.8.8"]`} {
		if err := os.WriteFile(filepath.Join(plain, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yamlFile := writeFile(t, "kube-dns.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-dns
  namespace: kube-system
data:
  stubDomains: |
    {"acme.local": ["1.2.3.4"]}
  upstreamNameservers: |
    ["8.8.8.8"]
`)
	jsonFile := writeFile(t, "kube-dns.json", `{"apiVersion": "v1", "kind": "ConfigMap",
		"data": {"stubDomains": "{\"acme.local\": [\"1.2.3.4\"]}", "upstreamNameservers": "[\"8.8.8.8\"]"}}`)

	for _, path := range []string{mounted, plain, yamlFile, jsonFile} {
		got, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", path, got, want)
		}
	}

	empty, err := Load(t.TempDir()) // an optional ConfigMap that does not exist mounts empty
	if err != nil || len(empty.Stubs)+len(empty.Upstreams) != 0 {
		t.Errorf("empty directory: want an empty configuration, got %+v, %v", empty, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ path, err string }{
		{filepath.Join(t.TempDir(), "missing"), "no such file"},
		{writeFile(t, "resolv.conf", "nameserver 10.0.0.1\n"), "want a ConfigMap"},
		{writeFile(t, "deployment.yaml", "kind: Deployment\n"), `kind "Deployment"`},
		{writeFile(t, "bad.yaml", "kind: ConfigMap\ndata: [\n"), "bad.yaml"},
		{writeFile(t, "bad-value.yaml", "kind: ConfigMap\ndata:\n  upstreamNameservers: '[\"dns.google\"]'\n"), "host names are not supported"},
	}
	for _, tt := range tests {
		_, err := Load(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: want an error with %q, got %v", tt.path, tt.err, err)
		}
	}
}

// The kubelet updates a mounted ConfigMap as it is read: a read that resolved ..data before
// the update reads the new version again, so that a key of the removed version never seems
// absent (the stub zones would all go) and no read mixes the keys of two versions.
func TestReadMountWhileUpdated(t *testing.T) {
	before := map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`, upstreamsKey: `["8.8.8.8"]`}
	after := map[string]string{stubDomainsKey: `{"corp.example": ["10.0.0.1"]}`, upstreamsKey: `["8.8.4.4"]`}
	tests := []struct {
		name         string
		updateBefore func(read int) bool // whether the mount is updated before a key's read
		want         map[string]string   // nil: an error
	}{
		{"before the first key", func(read int) bool { return read == 0 }, after},
		{"between the keys", func(read int) bool { return read == 1 }, after},
		{"before every key", func(int) bool { return true }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mount(t, dir, before)
			reads := 0
			readFile = func(name string) ([]byte, error) {
				if tt.updateBefore(reads) {
					mount(t, dir, after)
				}
				reads++
				return os.ReadFile(name)
			}
			t.Cleanup(func() { readFile = os.ReadFile })
			got, err := read(dir)
			switch {
			case tt.want == nil && (err == nil || !strings.Contains(err.Error(), "changed 5 times")):
				t.Errorf("want an error, got %v, %v", got, err)
			case tt.want != nil && (err != nil || !reflect.DeepEqual(got, tt.want)):
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
