// Package manifest feeds a model.Store from YAML or JSON manifest files, as `kubectl get -o
// yaml` writes them (multi-document files and kind: List), so clusterdns runs without a
// cluster. Files are followed with package follow: a change is taken once the file has
// settled, never half-written; a file that no longer parses keeps its last good objects,
// and the error names the file and the document.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/follow"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	clog "github.com/coredns/coredns/plugin/pkg/log"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var log = clog.NewWithPlugin("clusterdns")

// namespaces every cluster has; objects may live there without a Namespace manifest.
var builtinNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// Source follows manifest files.
type Source struct {
	store    *model.Store
	paths    []string
	clock    follow.Clock
	files    map[string]*follow.File[model.State]
	missing  map[string]time.Time // files of a directory not seen since then
	reported string               // the listing error last logged
	stop     func()
}

// Store returns the Store the manifests are written to.
func (s *Source) Store() *model.Store { return s.store }

// Enable marks an optional kind as read: manifests always hold every kind they declare.
func (s *Source) Enable(kind model.Kind) error {
	s.store.SetKindSynced(kind)
	return nil
}

// Stop stops watching.
func (s *Source) Stop() {
	s.stop()
}

// Start reads paths (files or directories, a directory being the set of its manifest
// files) and checks them every interval. Each file is followed on its own (see package
// follow): its content is taken once it has settled, a file that suddenly holds fewer than
// half the objects it held settles twice before it is believed, and a file that does not
// read or parse keeps its last good objects and is logged once per distinct error. A file
// gone from a directory takes its objects with it. A path that does not exist is an error;
// a file that does not parse is logged.
func Start(paths []string, interval time.Duration) (*Source, error) {
	return start(paths, interval, nil)
}

func start(paths []string, interval time.Duration, clock follow.Clock) (*Source, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("manifests: %w", err)
		}
	}
	s := &Source{store: model.NewStore(), paths: paths, clock: clock, files: map[string]*follow.File[model.State]{}, missing: map[string]time.Time{}}
	names, err := expand(paths)
	if err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	for _, name := range names {
		f := s.follow(name)
		if err := f.Start(); err != nil {
			log.Errorf("manifests: %v; %s holds no objects until it is fixed", err, name)
		}
	}
	s.publish()
	s.store.SetSynced()
	s.stop = follow.Loop(clock, interval, s.check)
	return s, nil
}

// follow starts following the file name.
func (s *Source) follow(name string) *follow.File[model.State] {
	f := follow.New(follow.Path(name), func(data []byte) (model.State, error) { return Parse(name, data) }, shrunk, follow.Options{
		Clock: s.clock,
		OnError: func(err error) {
			log.Errorf("manifests: %v; keeping the last good objects of %s", err, name)
		},
	})
	s.files[name] = f
	return f
}

// shrunk reports whether a file holds fewer than half the objects it held: cut short more
// likely than emptied on purpose.
func shrunk(last, next model.State) bool {
	return count(next) < count(last)/2
}

// count counts objects; namespaces are not, as every object names one.
func count(s model.State) int {
	return len(s.Services) + len(s.Slices) + len(s.Ingresses) + len(s.VirtualServices) + len(s.DNSEndpoints)
}

// check looks at every file once and publishes what changed; it returns when a file wants
// to be looked at again.
func (s *Source) check(now time.Time) (next time.Time) {
	names, err := expand(s.paths)
	if err != nil {
		if err.Error() != s.reported {
			s.reported = err.Error()
			log.Errorf("manifests: %v; keeping the last good state", err)
		}
		return time.Time{}
	}
	s.reported = ""
	changed := false
	seen := map[string]bool{}
	for _, name := range names {
		seen[name] = true
		f := s.files[name]
		if f == nil {
			f = s.follow(name)
		}
		n, ch := f.Check(now)
		changed = changed || ch
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	// A file missing from a directory is dropped only once it has stayed away for the settle
	// window: a non-atomic save (rm then cp, an editor's backup rename, git checkout) must not
	// take its names away for a moment.
	for name, f := range s.files {
		if seen[name] {
			delete(s.missing, name)
			continue
		}
		since, ok := s.missing[name]
		if !ok {
			since = now
			s.missing[name] = now
		}
		if gone := since.Add(follow.Settle); now.Before(gone) {
			if next.IsZero() || gone.Before(next) {
				next = gone
			}
			continue
		}
		delete(s.files, name)
		delete(s.missing, name)
		_, had := f.Value()
		changed = changed || had
	}
	if changed {
		s.publish()
	}
	return next
}

// publish hands the last good objects of every file to the store.
func (s *Source) publish() {
	all := model.State{Namespaces: slices.Clone(builtinNamespaces)}
	for _, name := range slices.Sorted(maps.Keys(s.files)) {
		o, _ := s.files[name].Value()
		all.Services = append(all.Services, o.Services...)
		all.Slices = append(all.Slices, o.Slices...)
		all.Namespaces = append(all.Namespaces, o.Namespaces...)
		all.Ingresses = append(all.Ingresses, o.Ingresses...)
		all.VirtualServices = append(all.VirtualServices, o.VirtualServices...)
		all.DNSEndpoints = append(all.DNSEndpoints, o.DNSEndpoints...)
	}
	slices.Sort(all.Namespaces)
	all.Namespaces = slices.Compact(all.Namespaces)
	s.store.Replace(all)
}

// expand lists the manifest files under paths: files as given, directories walked for
// .yaml, .yml and .json files, skipping hidden entries (a mounted ConfigMap's ..data).
func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
					out = append(out, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Parse reads the objects of one file. Kinds DNS does not use are skipped.
func Parse(name string, data []byte) (model.State, error) {
	var objs model.State
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return model.State{}, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			return model.State{}, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		if err := add(&objs, js); err != nil {
			return model.State{}, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
	}
	return objs, nil
}

func add(o *model.State, js []byte) error {
	if string(bytes.TrimSpace(js)) == "null" {
		return nil // a document holding only comments
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return err
	}
	switch {
	case tm.Kind == "Service":
		var s corev1.Service
		if err := decode(js, &s, &s.ObjectMeta); err != nil {
			return err
		}
		o.Services = append(o.Services, model.ServiceFromAPI(&s))
		o.Namespaces = append(o.Namespaces, s.Namespace)
	case tm.Kind == "EndpointSlice":
		var s discoveryv1.EndpointSlice
		if err := decode(js, &s, &s.ObjectMeta); err != nil {
			return err
		}
		if s.Labels[discoveryv1.LabelServiceName] == "" {
			return fmt.Errorf("EndpointSlice %s/%s has no %s label", s.Namespace, s.Name, discoveryv1.LabelServiceName)
		}
		o.Slices = append(o.Slices, model.EndpointSliceConverter(true, true)(&s)) // few: names and zones for every block
		o.Namespaces = append(o.Namespaces, s.Namespace)
	case tm.Kind == "Ingress" && strings.HasPrefix(tm.APIVersion, "networking.k8s.io/"):
		var in networkingv1.Ingress
		if err := decode(js, &in, &in.ObjectMeta); err != nil {
			return err
		}
		o.Ingresses = append(o.Ingresses, model.IngressFromAPI(&in))
		o.Namespaces = append(o.Namespaces, in.Namespace)
	case tm.Kind == "VirtualService" && strings.HasPrefix(tm.APIVersion, model.VirtualServiceGroup.Group+"/"):
		u, err := custom(js)
		if err != nil {
			return err
		}
		o.VirtualServices = append(o.VirtualServices, model.VirtualServiceFromUnstructured(u))
		o.Namespaces = append(o.Namespaces, u.GetNamespace())
	case tm.Kind == "DNSEndpoint" && tm.APIVersion == model.DNSEndpointGroup.GroupVersion().String():
		u, err := custom(js)
		if err != nil {
			return err
		}
		o.DNSEndpoints = append(o.DNSEndpoints, model.DNSEndpointFromUnstructured(u))
		o.Namespaces = append(o.Namespaces, u.GetNamespace())
	case tm.Kind == "Namespace":
		var n corev1.Namespace
		if err := json.Unmarshal(js, &n); err != nil {
			return err
		}
		if n.Name == "" {
			return errors.New("a Namespace without metadata.name")
		}
		o.Namespaces = append(o.Namespaces, n.Name)
	case strings.HasSuffix(tm.Kind, "List"):
		var l struct{ Items []json.RawMessage }
		if err := json.Unmarshal(js, &l); err != nil {
			return err
		}
		for i, item := range l.Items {
			if err := add(o, item); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
	}
	return nil
}

// custom unmarshals a namespaced custom resource, defaulting its namespace as kubectl does.
func custom(js []byte) (*unstructured.Unstructured, error) {
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	if u.GetName() == "" {
		return nil, errors.New("object without metadata.name")
	}
	if u.GetNamespace() == "" {
		u.SetNamespace(corev1.NamespaceDefault)
	}
	return &u, nil
}

// decode unmarshals a namespaced object, defaulting its namespace as kubectl does.
func decode(js []byte, obj any, meta *metav1.ObjectMeta) error {
	if err := json.Unmarshal(js, obj); err != nil {
		return err
	}
	if meta.Name == "" {
		return errors.New("object without metadata.name")
	}
	if meta.Namespace == "" {
		meta.Namespace = corev1.NamespaceDefault
	}
	return nil
}
