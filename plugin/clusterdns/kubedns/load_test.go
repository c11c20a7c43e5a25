package kubedns

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mount writes data as the kubelet lays out a ConfigMap volume: the keys in a timestamped
// directory, ..data a symlink to it, and a symlink per key through ..data. A second call
// swaps the version in atomically, by renaming a new ..data symlink over the old one.
func mount(t *testing.T, dir string, data map[string]string) {
	t.Helper()
	version := fmt.Sprintf("..version_%d", len(mustGlob(t, filepath.Join(dir, "..version_*"))))
	if err := os.Mkdir(filepath.Join(dir, version), 0o755); err != nil {
		t.Fatal(err)
	}
	for key, value := range data {
		if err := os.WriteFile(filepath.Join(dir, version, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, key)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(filepath.Join("..data", key), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(version, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
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
