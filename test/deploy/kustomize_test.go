package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// kustomize builds a kustomization the way `kubectl apply -k` does, for the features
// deploy/ uses: resources (files and directories), configMapGenerator without name
// hashes, strategic merge patches (including `$patch: delete`) and images. The
// kustomization is read strictly, so a feature it does not know fails the build instead
// of being ignored. (sigs.k8s.io/kustomize is not in the module graph; when kubectl is
// installed, TestKustomizations compares this with `kubectl kustomize`.)
func kustomize(dir string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Patches    []struct {
			Path string `json:"path"`
		} `json:"patches"`
		ConfigMapGenerator []struct {
			Name      string   `json:"name"`
			Namespace string   `json:"namespace"`
			Files     []string `json:"files"`
		} `json:"configMapGenerator"`
		GeneratorOptions struct {
			DisableNameSuffixHash bool `json:"disableNameSuffixHash"`
		} `json:"generatorOptions"`
		Images []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		var more []*unstructured.Unstructured
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			more, err = kustomize(p)
			if err != nil {
				return nil, err
			}
		} else if more, err = readManifests(p); err != nil {
			return nil, err
		}
		objs = append(objs, more...)
	}
	for _, g := range k.ConfigMapGenerator {
		if !k.GeneratorOptions.DisableNameSuffixHash {
			return nil, fmt.Errorf("%s: configMapGenerator %s: name hashes are not implemented here", dir, g.Name)
		}
		cm := map[string]any{}
		for _, f := range g.Files {
			key, path, ok := strings.Cut(f, "=")
			if !ok {
				key, path = filepath.Base(f), f
			}
			b, err := os.ReadFile(filepath.Join(dir, path))
			if err != nil {
				return nil, err
			}
			if !utf8.Valid(b) {
				return nil, fmt.Errorf("%s: %s is not UTF-8 (binaryData is not implemented here)", dir, f)
			}
			cm[key] = string(b)
		}
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": cm}}
		u.SetName(g.Name)
		u.SetNamespace(g.Namespace)
		objs = append(objs, u)
	}
	for i, o := range objs {
		for _, p := range objs[:i] {
			if id(o) == id(p) {
				return nil, fmt.Errorf("%s: %s defined twice", dir, id(o))
			}
		}
	}
	for _, p := range k.Patches {
		if objs, err = patch(objs, filepath.Join(dir, p.Path)); err != nil {
			return nil, err
		}
	}
	for _, img := range k.Images {
		for _, o := range objs {
			for _, field := range []string{"containers", "initContainers"} {
				cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", field)
				for _, c := range cs {
					c := c.(map[string]any)
					name, tag := splitImage(c["image"].(string))
					if name != img.Name {
						continue
					}
					if img.NewName != "" {
						name = img.NewName
					}
					if img.NewTag != "" {
						tag = ":" + img.NewTag
					}
					c["image"] = name + tag
				}
				if cs != nil {
					_ = unstructured.SetNestedSlice(o.Object, cs, "spec", "template", "spec", field)
				}
			}
		}
	}
	return objs, nil
}

// patch applies one strategic merge patch file to the object it names.
func patch(objs []*unstructured.Unstructured, path string) ([]*unstructured.Unstructured, error) {
	ps, err := readManifests(path)
	if err != nil || len(ps) != 1 {
		return nil, fmt.Errorf("%s: want one strategic merge patch (%v)", path, err)
	}
	p := ps[0]
	i := slices.IndexFunc(objs, func(o *unstructured.Unstructured) bool { return id(o) == id(p) })
	if i < 0 {
		return nil, fmt.Errorf("%s: no %s to patch", path, id(p))
	}
	if p.Object["$patch"] == "delete" {
		return slices.Delete(objs, i, i+1), nil
	}
	typed, err := scheme.Scheme.New(p.GroupVersionKind())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	orig, _ := json.Marshal(objs[i].Object)
	pj, _ := json.Marshal(p.Object)
	out, err := strategicpatch.StrategicMergePatch(orig, pj, typed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	o := &unstructured.Unstructured{}
	if err := o.UnmarshalJSON(out); err != nil {
		return nil, err
	}
	objs[i] = o
	return objs, nil
}

// readManifests reads the objects of a multi-document YAML file.
func readManifests(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := decodeManifests(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

func decodeManifests(b []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if string(j) == "null" {
			continue // comments only
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(j); err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
}

// id names an object as kustomize does: group, kind, namespace, name.
func id(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%s/%s %s/%s", o.GroupVersionKind().Group, o.GetKind(), o.GetNamespace(), o.GetName())
}

// splitImage splits an image reference into its name and its ":tag" or "@digest".
func splitImage(ref string) (name, tag string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], ref[i:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i:]
	}
	return ref, ""
}
