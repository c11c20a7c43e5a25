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

// readMount reads the keys of a mounted ConfigMap. The kubelet updates a mount by pointing
// its ..data symlink at a new directory; the keys are read through one resolution of it, so
// they come from the same version even while it changes.
func readMount(dir string) (map[string]string, error) {
	if current, err := filepath.EvalSymlinks(filepath.Join(dir, "..data")); err == nil {
		dir = current
	}
	data := map[string]string{}
	for _, key := range []string{stubDomainsKey, upstreamsKey} {
		b, err := os.ReadFile(filepath.Join(dir, key))
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
