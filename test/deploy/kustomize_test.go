package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomize builds a kustomization with kustomize's own library, the one `kubectl apply -k`
// embeds, with kubectl's defaults: loading restricted to the kustomization's root (so the
// ConfigMap's files must be copies, see TestCopiesMatch) and no plugins.
func kustomize(dir string) ([]*unstructured.Unstructured, error) {
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return decodeManifests(out)
}

// decodeManifests reads the objects of a multi-document YAML stream.
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
	return fmt.Sprintf("%s/%s %s/%s", o.GetObjectKind().GroupVersionKind().Group, o.GetKind(), o.GetNamespace(), o.GetName())
}
