package kubedns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

const wantConfigMap = "want a ConfigMap manifest, or the directory the ConfigMap is mounted on"

// Load reads the ConfigMap at path: the directory it is mounted on (one file per key), or
// a ConfigMap manifest in YAML or JSON, as `kubectl get configmap -o yaml` writes it.
func Load(path string) (*Config, error) {
	data, err := read(path)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// read returns the ConfigMap's data at path.
func read(path string) (map[string]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return readMount(path)
	}
	return readManifest(path)
}

// mountReads bounds the reads of a mounted ConfigMap that the kubelet keeps updating.
const mountReads = 5

// readFile reads a key of a mounted ConfigMap; tests replace it to update the mount while
// it is read.
var readFile = os.ReadFile

// readMount reads the keys of a mounted ConfigMap. The kubelet updates a mount by pointing
// its ..data symlink at a new directory, then removing the old one. The keys are read
// through one resolution of ..data, so they come from the same version; if ..data moved
// meanwhile, they are read again from the new version: a key read from a version already
// removed would seem absent (a ConfigMap without stubDomains, that drops every stub zone).
func readMount(dir string) (map[string]string, error) {
	for range mountReads {
		version, err := mountVersion(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // ..data moved, and the version it named went, as it was resolved
		}
		if err != nil {
			return nil, err
		}
		data, err := readKeys(version)
		if err != nil {
			return nil, err
		}
		if now, err := mountVersion(dir); err == nil && now == version {
			return data, nil
		}
	}
	return nil, fmt.Errorf("%s: the ConfigMap changed %d times as it was read", dir, mountReads)
}

// mountVersion returns the directory that holds the keys of the ConfigMap mounted on dir:
// the target of its ..data symlink, or dir itself, where the keys are plain files (a
// hostPath, a copy).
func mountVersion(dir string) (string, error) {
	data := filepath.Join(dir, "..data")
	if _, err := os.Lstat(data); errors.Is(err, fs.ErrNotExist) {
		return dir, nil
	}
	return filepath.EvalSymlinks(data)
}

// readKeys reads the keys clusterdns takes from the directory of one version of a mount.
func readKeys(dir string) (map[string]string, error) {
	data := map[string]string{}
	for _, key := range []string{stubDomainsKey, upstreamsKey} {
		b, err := readFile(filepath.Join(dir, key))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		}
		data[key] = string(b)
	}
	return data, nil
}

func readManifest(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", path, err, wantConfigMap)
	}
	if cm.Kind != "ConfigMap" {
		return nil, fmt.Errorf("%s: kind %q: %s", path, cm.Kind, wantConfigMap)
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	return cm.Data, nil
}
