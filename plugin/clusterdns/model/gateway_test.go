package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func fromJSON(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// A Gateway keeps its listeners and addresses, wrong fields and bad values dropped.
func TestGatewayFromUnstructured(t *testing.T) {
	g := GatewayFromUnstructured(fromJSON(t, `{"metadata": {"namespace": "infra", "name": "gw", "creationTimestamp": "2026-01-01T00:00:00Z"},
		"spec": {"gatewayClassName": "internal", "listeners": [
			{"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.Apps.example.internal"},
			{"name": "bad", "protocol": "HTTP", "port": 81, "hostname": "no spaces allowed"},
			{"name": "tls", "protocol": "TLS", "port": 443, "allowedRoutes": {"namespaces": {"from": "All"},
				"kinds": [{"kind": "TLSRoute"}, {"group": "example.com", "kind": "Thing"}]}},
			"not a listener"]},
		"status": {"addresses": [{"value": "10.128.9.1"}, {"type": "Hostname", "value": "gw.elb.example.com"},
			{"type": "IPAddress", "value": "fd00::1"}, {"type": "NamedAddress", "value": "x"}, {"type": "IPAddress", "value": "nope"}]}}`))
	if g.Class != "internal" || g.Created.IsZero() || len(g.Listeners) != 2 || g.Target != "" || g.AllowedListeners != "None" {
		t.Fatalf("%+v", g)
	}
	if l := g.Listeners[0]; l.Hostname != "*.apps.example.internal." || l.From != "Same" || l.Port != 80 {
		t.Errorf("listener %+v", l)
	}
	if l := g.Listeners[1]; l.From != "All" || !slices.Equal(l.Kinds, []string{"TLSRoute", "example.com/Thing"}) {
		t.Errorf("listener %+v", l)
	}
	if len(g.Addrs) != 2 || g.Addrs[0].String() != "10.128.9.1" || g.Addrs[1].String() != "fd00::1" {
		t.Errorf("addresses %v", g.Addrs)
	}
	g = GatewayFromUnstructured(fromJSON(t, `{"status": {"addresses": [{"type": "Hostname", "value": "GW.elb.example.com."}]}}`))
	if g.Target != "gw.elb.example.com." || len(g.Addrs) != 0 {
		t.Errorf("hostname address: %+v", g)
	}
}

// A route keeps its valid hostnames, its Gateway parents with their defaults, the
// parents its controller accepted, and the names that are no valid host names to report.
func TestRouteFromUnstructured(t *testing.T) {
	r := RouteConverter("HTTPRoute")(fromJSON(t, `{"metadata": {"namespace": "shop", "name": "web",
			"annotations": {"external-dns.alpha.kubernetes.io/hostname": "Extra.example.internal, bad_name!.example.internal"}},
		"spec": {"hostnames": ["Web.example.internal", "*.web.example.internal", "not valid"],
			"parentRefs": [{"name": "gw"}, {"name": "gw2", "namespace": "infra", "sectionName": "https", "port": 443},
				{"group": "example.com", "kind": "Mesh", "name": "m"}, {"kind": "Service", "group": "", "name": "svc"}]},
		"status": {"parents": [
			{"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}, "conditions": [{"type": "Accepted", "status": "True"}]},
			{"parentRef": {"name": "gw2", "namespace": "infra", "sectionName": "https", "port": 443}, "conditions": [{"type": "Accepted", "status": "False"}]}]}}`))
	if r.Kind != "HTTPRoute" || !slices.Equal(r.Hostnames, []string{"web.example.internal.", "*.web.example.internal."}) ||
		!slices.Equal(r.Annotated, []string{"extra.example.internal."}) || !slices.Equal(r.Invalid, []string{"not valid", "bad_name!.example.internal"}) {
		t.Fatalf("%+v", r)
	}
	want := []ParentRef{{Gateway: Key{"shop", "gw"}}, {Gateway: Key{"infra", "gw2"}, Section: "https", Port: 443}}
	if !slices.Equal(r.Parents, want) {
		t.Errorf("parents %+v, want %+v", r.Parents, want)
	}
	if !slices.Equal(r.Accepted, want[:1]) || !slices.Equal(r.Rejected, want[1:]) {
		t.Errorf("accepted %+v, rejected %+v", r.Accepted, r.Rejected)
	}
	r = RouteConverter("HTTPRoute")(fromJSON(t, `{"metadata": {"namespace": "shop", "name": "web"},
		"spec": {"parentRefs": [{"kind": "ListenerSet", "name": "ls"}]}}`))
	if !slices.Equal(r.Parents, []ParentRef{{ListenerSet: true, Gateway: Key{"shop", "ls"}}}) {
		t.Errorf("ListenerSet parent %+v", r.Parents)
	}
}

// A ListenerSet keeps its Gateway, its listeners and whether it was accepted; a GatewayClass
// its controller; a Gateway which ListenerSets it allows.
func TestListenerSetFromUnstructured(t *testing.T) {
	ls := ListenerSetFromUnstructured(fromJSON(t, `{"metadata": {"namespace": "team", "name": "ls"},
		"spec": {"parentRef": {"name": "gw", "namespace": "infra"}, "listeners": [{"name": "a", "protocol": "HTTP", "port": 80, "hostname": "a.example.internal"}]},
		"status": {"conditions": [{"type": "Programmed", "status": "False"}, {"type": "Accepted", "status": "True"}]}}`))
	if ls.Gateway != (Key{"infra", "gw"}) || len(ls.Listeners) != 1 || ls.Listeners[0].Hostname != "a.example.internal." || !ls.Accepted {
		t.Errorf("%+v", ls)
	}
	c := GatewayClassFromUnstructured(fromJSON(t, `{"metadata": {"name": "istio"}, "spec": {"controllerName": "istio.io/gateway-controller"}}`))
	if c.Name != "istio" || c.Controller != "istio.io/gateway-controller" {
		t.Errorf("GatewayClass %+v", c)
	}
	g := GatewayFromUnstructured(fromJSON(t, `{"spec": {"allowedListeners": {"namespaces": {"from": "All"}}}}`))
	if g.AllowedListeners != "All" {
		t.Errorf("allowedListeners %q", g.AllowedListeners)
	}
}

// external-dns's annotations: target on a Gateway replaces the addresses it reports, ttl on
// a route sets its records' TTL; unusable values are kept to be logged and change nothing.
func TestGatewayAPIAnnotations(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		addrs      string
		target     string
		problems   int
	}{
		{"target IPs", `{"metadata": {"annotations": {"external-dns.alpha.kubernetes.io/target": "192.0.2.1, 192.0.2.2"}},
			"status": {"addresses": [{"type": "IPAddress", "value": "10.128.9.1"}]}}`, "[192.0.2.1 192.0.2.2]", "", 0},
		{"target host name", `{"metadata": {"annotations": {"external-dns.kubernetes.io/target": "LB.example.com"}},
			"status": {"addresses": [{"type": "IPAddress", "value": "10.128.9.1"}]}}`, "[]", "lb.example.com.", 0},
		{"bad target", `{"metadata": {"annotations": {"external-dns.kubernetes.io/target": "not a name!"}},
			"status": {"addresses": [{"type": "IPAddress", "value": "10.128.9.1"}]}}`, "[10.128.9.1]", "", 1},
	} {
		g := GatewayFromUnstructured(fromJSON(t, tc.json))
		if got := fmt.Sprint(g.Addrs); got != tc.addrs || g.Target != tc.target || len(g.Problems) != tc.problems {
			t.Errorf("%s: addresses %s target %q problems %q, want %s %q and %d problems", tc.name, got, g.Target, g.Problems, tc.addrs, tc.target, tc.problems)
		}
	}
	r := RouteConverter("HTTPRoute")(fromJSON(t, `{"metadata": {"annotations": {"external-dns.alpha.kubernetes.io/ttl": "5m"}}}`))
	if r.TTL != 300 || len(r.Problems) != 0 {
		t.Errorf("ttl 5m: %d %q", r.TTL, r.Problems)
	}
	r = RouteConverter("HTTPRoute")(fromJSON(t, `{"metadata": {"annotations": {"external-dns.kubernetes.io/ttl": "soon"}}}`))
	if r.TTL != 0 || len(r.Problems) != 1 {
		t.Errorf("bad ttl: %d %q", r.TTL, r.Problems)
	}
}
