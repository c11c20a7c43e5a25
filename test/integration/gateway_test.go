package integration

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

func gatewayGVR(version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: version, Resource: resource}
}

// gatewayObject is a Gateway API object of kind in version, with spec.
func gatewayObject(version, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/" + version, "kind": kind,
		"metadata": map[string]any{"namespace": ns, "name": name}, "spec": spec,
	}}
}

// httpRoute is an HTTPRoute with hostnames, attached to the Gateway gw of its namespace.
func httpRoute(ns, name, gw string, hostnames ...string) *unstructured.Unstructured {
	h := []any{}
	for _, s := range hostnames {
		h = append(h, s)
	}
	return gatewayObject("v1", "HTTPRoute", ns, name, map[string]any{"hostnames": h, "parentRefs": []any{map[string]any{"name": gw}}})
}

// setGatewayAddresses writes a Gateway's status.addresses as its controller does:
// "10.0.0.1" is an IPAddress, anything else a Hostname.
func setGatewayAddresses(t *testing.T, dyn dynamic.Interface, ns, name string, addrs ...string) {
	t.Helper()
	res := dyn.Resource(gatewayGVR("v1", "gateways")).Namespace(ns)
	u, err := res.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var list []any
	for _, a := range addrs {
		typ := "Hostname"
		if _, err := netip.ParseAddr(a); err == nil {
			typ = "IPAddress"
		}
		list = append(list, map[string]any{"type": typ, "value": a})
	}
	if err := unstructured.SetNestedSlice(u.Object, list, "status", "addresses"); err != nil {
		t.Fatal(err)
	}
	if _, err := res.UpdateStatus(context.Background(), u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayAPIRoutes serves the hostnames of Gateway API routes in a private zone of the
// pods' view and of the peered view, from CRDs as the Gateway API project ships them:
// created, their Gateway's status patched, re-bound to another Gateway, deleted.
func TestGatewayAPIRoutes(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.GatewayAPI, "config/crd/standard/gateway.networking.k8s.io_gateway*.yaml",
		"config/crd/standard/gateway.networking.k8s.io_httproutes.yaml", "config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml",
		"config/crd/standard/gateway.networking.k8s.io_tlsroutes.yaml", "config/crd/standard/gateway.networking.k8s.io_listenersets.yaml",
		"config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml")
	dyn := e.Dynamic(t)
	ns := e.Namespace(t, "gateway")
	ctx := context.Background()

	pods, peered := harness.FreePort(t), harness.FreePort(t)
	zones := `
        private gw.internal {
            gateways internal %[1]s-internal
        }
        private any.internal {
            gateways
        }
        private ctl.internal {
            gateways example.com/gateway-controller
        }`
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s%s
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s%s
    }
}
`, pods, e.Kubeconfig, fmt.Sprintf(zones, ns), peered, e.Kubeconfig, fmt.Sprintf(zones, ns)))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)
	both := func(name string, qtype uint16, want string) {
		t.Helper()
		harness.Expect(t, within, podAddr, name, qtype, want)
		harness.Expect(t, within, peerAddr, name, qtype, want)
	}
	bothNow := func(name string, qtype uint16, want string) {
		t.Helper()
		harness.ExpectNow(t, podAddr, name, qtype, want)
		harness.ExpectNow(t, peerAddr, name, qtype, want)
	}

	// the GatewayClass of "other" names its controller, which zone ctl.internal selects by;
	// cluster-scoped, so named after the test's namespace
	otherClass := ns + "-internal"
	class := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": map[string]any{"name": otherClass},
		"spec": map[string]any{"controllerName": "example.com/gateway-controller"},
	}}
	if _, err := dyn.Resource(gatewayGVR("v1", "gatewayclasses")).Create(ctx, class, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = dyn.Resource(gatewayGVR("v1", "gatewayclasses")).Delete(ctx, otherClass, metav1.DeleteOptions{})
	})
	gateways := dyn.Resource(gatewayGVR("v1", "gateways")).Namespace(ns)
	routes := dyn.Resource(gatewayGVR("v1", "httproutes")).Namespace(ns)
	for _, g := range []struct{ name, class, hostname string }{
		{"public", "internal", "*.apps.gw.internal"},
		{"other", otherClass, ""},
		{"foreign", "elsewhere", ""},
	} {
		listener := map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}
		if g.hostname != "" {
			listener["hostname"] = g.hostname
		}
		tcp := map[string]any{"name": "pg", "protocol": "TCP", "port": int64(5432)}
		if _, err := gateways.Create(ctx, gatewayObject("v1", "Gateway", ns, g.name,
			map[string]any{"gatewayClassName": g.class, "listeners": []any{listener, tcp},
				"allowedListeners": map[string]any{"namespaces": map[string]any{"from": "Same"}}}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// settle creates one more HTTPRoute on public and waits until both views answer it: they
	// have then applied every earlier HTTPRoute event
	settle := func() {
		t.Helper()
		name := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
		if _, err := routes.Create(ctx, httpRoute(ns, name, "public", name+".apps.gw.internal"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		both(name+".apps.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.1")
	}

	// a route before its Gateway has an address: nothing yet; then the status address
	if _, err := routes.Create(ctx, httpRoute(ns, "web", "public", "web.apps.gw.internal", "web.gw.internal"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setGatewayAddresses(t, dyn, ns, "public", "10.128.20.1")
	both("web.apps.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.1")
	settle()
	bothNow("web.gw.internal.", dns.TypeA, "NXDOMAIN: ") // not within the listener's hostname
	// the Gateway's address changes: the answer follows
	setGatewayAddresses(t, dyn, ns, "public", "10.128.20.1", "fd00::20:1")
	both("web.apps.gw.internal.", dns.TypeAAAA, "NOERROR: AAAA fd00::20:1")

	// re-bound to another Gateway (no listener hostname: both names count), then to a
	// Gateway of a class the zone does not list
	setGatewayAddresses(t, dyn, ns, "other", "10.128.20.2")
	setGatewayAddresses(t, dyn, ns, "foreign", "10.128.20.3")
	// a zone that selects Gateways by their class's controller: other's, not foreign's
	for _, r := range [][2]string{{"ctl", "other"}, {"notctl", "foreign"}} {
		if _, err := routes.Create(ctx, httpRoute(ns, r[0], r[1], r[0]+".ctl.internal"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	both("ctl.ctl.internal.", dns.TypeA, "NOERROR: A 10.128.20.2")
	settle()
	bothNow("notctl.ctl.internal.", dns.TypeA, "NXDOMAIN: ")

	rebind := func(gw string) {
		t.Helper()
		patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/parentRefs/0/name","value":%q}]`, gw)
		if _, err := routes.Patch(ctx, "web", types.JSONPatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rebind("other")
	both("web.apps.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.2")
	both("web.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.2")
	rebind("foreign")
	settle()
	bothNow("web.gw.internal.", dns.TypeA, "NXDOMAIN: ")
	if _, err := routes.Create(ctx, httpRoute(ns, "foreign", "foreign", "foreign.any.internal"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	both("foreign.any.internal.", dns.TypeA, "NOERROR: A 10.128.20.3") // a zone without classes takes every Gateway

	// a load balancer with a hostname is a CNAME
	setGatewayAddresses(t, dyn, ns, "other", "internal-gw.elb.example.com")
	rebind("other")
	both("web.gw.internal.", dns.TypeCNAME, "NOERROR: CNAME internal-gw.elb.example.com.")

	// a TCPRoute names itself with the hostname annotation; a bad name there is skipped
	// (and logged) while the rest of the zone serves on
	pg := gatewayObject("v1alpha2", "TCPRoute", ns, "pg", map[string]any{
		"parentRefs": []any{map[string]any{"name": "public", "sectionName": "pg"}},
		"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "pg", "port": int64(5432)}}}},
	})
	pg.SetAnnotations(map[string]string{"external-dns.alpha.kubernetes.io/hostname": "pg.gw.internal,bad_name!.gw.internal"})
	if _, err := dyn.Resource(gatewayGVR("v1alpha2", "tcproutes")).Namespace(ns).Create(ctx, pg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	both("pg.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.1")
	both("web.gw.internal.", dns.TypeCNAME, "NOERROR: CNAME internal-gw.elb.example.com.")

	// a route of a team's ListenerSet on public, with the ListenerSet's hostname
	ls := gatewayObject("v1", "ListenerSet", ns, "team", map[string]any{"parentRef": map[string]any{"name": "public"},
		"listeners": []any{map[string]any{"name": "team", "protocol": "HTTP", "port": int64(80), "hostname": "*.team.gw.internal"}}})
	if _, err := dyn.Resource(gatewayGVR("v1", "listenersets")).Namespace(ns).Create(ctx, ls, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	team := gatewayObject("v1", "HTTPRoute", ns, "team", map[string]any{"hostnames": []any{"web.team.gw.internal"},
		"parentRefs": []any{map[string]any{"kind": "ListenerSet", "name": "team"}}})
	if _, err := routes.Create(ctx, team, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	both("web.team.gw.internal.", dns.TypeA, "NOERROR: A 10.128.20.1")

	// its controller reports that the Gateway does not accept the route: not served there
	team, err := routes.Get(ctx, "team", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	team.Object["status"] = map[string]any{"parents": []any{map[string]any{
		"parentRef":      map[string]any{"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": "team"},
		"controllerName": "example.com/gateway-controller",
		"conditions": []any{map[string]any{"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
			"message": "no listener admits the route", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}},
	}}}
	if _, err := routes.UpdateStatus(ctx, team, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	settle()
	bothNow("web.team.gw.internal.", dns.TypeA, "NXDOMAIN: ")

	// deleted: gone
	if err := routes.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	settle()
	bothNow("web.gw.internal.", dns.TypeCNAME, "NXDOMAIN: ")
	bothNow("web.apps.gw.internal.", dns.TypeA, "NXDOMAIN: ")

	// two zones in two blocks share one watch per resource, started only for these zones
	for _, resource := range []string{"gatewayclasses", "gateways", "listenersets", "httproutes", "tcproutes"} {
		harness.Eventually(t, 5*time.Second, "one watch on "+resource, func() (bool, string) {
			n := watches(t, e, resource)
			return n == 1, fmt.Sprint(n, " watches")
		})
	}
}
