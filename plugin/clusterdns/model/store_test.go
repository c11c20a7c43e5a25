package model

import (
	"slices"
	"testing"
)

type changes []Change

func (c *changes) Notify(ch Change) { *c = append(*c, ch) }

func svc(ns, name, rv string) *Service {
	s := &Service{}
	s.Namespace, s.Name, s.ResourceVersion = ns, name, rv
	return s
}

func sl(ns, name, service, rv string) *EndpointSlice {
	s := &EndpointSlice{Service: service}
	s.Namespace, s.Name, s.ResourceVersion = ns, name, rv
	return s
}

func TestStoreNotifies(t *testing.T) {
	st := NewStore()
	var got changes
	st.Subscribe(&got)
	a, b := Key{"ns", "a"}, Key{"ns", "b"}

	st.UpsertService(svc("ns", "a", "1"))
	st.UpsertService(svc("ns", "a", "1")) // same resourceVersion: no change
	st.UpsertSlice(sl("ns", "s1", "a", "1"))
	st.UpsertSlice(sl("ns", "s1", "b", "2")) // the service-name label moved: both services change
	st.DeleteSlice(Key{"ns", "s1"})
	st.DeleteSlice(Key{"ns", "s1"}) // already gone
	st.SetNamespace("ns", true)
	st.SetNamespace("ns", true)
	want := changes{{Service: a}, {Service: a}, {Service: a}, {Service: b}, {Service: b}, {Namespace: "ns"}}
	if !slices.Equal(got, want) {
		t.Fatalf("notifications\n got %v\nwant %v", got, want)
	}
	st.Read(func(v View) {
		if len(v.Slices(a)) != 0 || len(v.Slices(b)) != 0 || v.Service(a) == nil || !v.NamespaceExists("ns") {
			t.Fatal("unexpected state")
		}
	})
}

func TestStoreReplace(t *testing.T) {
	st := NewStore()
	st.Replace(State{Services: []*Service{svc("x", "a", ""), svc("x", "b", "")}, Slices: []*EndpointSlice{sl("x", "s", "a", "")}, Namespaces: []string{"x"}})
	var got changes
	st.Subscribe(&got)
	// b is unchanged (equal content, no resourceVersion), a changes, the slice goes, c comes
	changed := svc("x", "a", "")
	changed.Headless = true
	st.Replace(State{Services: []*Service{changed, svc("x", "b", ""), svc("x", "c", "")}, Namespaces: []string{"x"}})
	want := changes{{Service: Key{"x", "a"}}, {Service: Key{"x", "c"}}, {Service: Key{"x", "a"}}}
	if !slices.Equal(got, want) {
		t.Fatalf("notifications\n got %v\nwant %v", got, want)
	}
}
