package model

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func fromYAML(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestIstioGatewayFromUnstructured(t *testing.T) {
	g := IstioGatewayFromUnstructured(fromYAML(t, `
metadata: {name: public, namespace: istio-system, creationTimestamp: "2026-01-02T03:04:05Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - hosts: ["Shop.Example.", "./team.example", "payments/*"]
  - hosts: 7
  - "not a server"
`))
	want := []GatewayHost{{"*", "shop.example"}, {".", "team.example"}, {"payments", "*"}}
	if !slices.Equal(g.Hosts, want) || g.Selector["istio"] != "ingressgateway" || g.Created.Year() != 2026 {
		t.Errorf("got %+v", g)
	}
}

func TestServiceEntryFromUnstructured(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{`spec: {hosts: [db.example, "*.cache.example", "bad host"], addresses: [192.0.2.1, 10.0.0.0/8, 192.0.2.2/32, "2001:db8::1"]}
status: {addresses: [{value: 240.240.0.1}]}`,
			`[db.example. *.cache.example.] [bad host] [192.0.2.1 192.0.2.2 2001:db8::1] map[]`},
		{`spec: {hosts: [a.example, b.example]}
status: {addresses: [{value: 240.240.0.1, host: a.example}, {value: "2001:2::1", host: A.Example}, {value: nonsense, host: b.example}]}`,
			`[a.example. b.example.] [] [] map[a.example.:[240.240.0.1 2001:2::1]]`},
	} {
		se := ServiceEntryFromUnstructured(fromYAML(t, tc.yaml))
		got := fmt.Sprint(se.Hosts, " ", se.Invalid, " ", se.Addrs, " ", se.Allocated)
		if got != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.yaml, got, tc.want)
		}
	}
	se := ServiceEntryFromUnstructured(fromYAML(t, `{spec: {hosts: [a.example, b.example]}, status: {addresses: [{value: 240.240.0.9}]}}`))
	if fmt.Sprint(se.AddrsOf("b.example.")) != "[240.240.0.9]" {
		t.Errorf("an address without a host is every host's: %v", se.AddrsOf("b.example."))
	}
}

func TestKnativeFromUnstructured(t *testing.T) {
	for _, tc := range []struct {
		route bool
		yaml  string
		want  string
	}{
		{true, `{metadata: {name: hello, namespace: shop}, status: {url: "https://Hello.shop.example.com"}}`, "hello.shop.example.com. false "},
		{true, `{metadata: {name: hello, namespace: shop, labels: {networking.knative.dev/visibility: cluster-local}}, status: {url: "http://hello.shop.svc.cluster.local"}}`, "hello.shop.svc.cluster.local. true "},
		{true, `{metadata: {name: hello, namespace: shop, labels: {serving.knative.dev/visibility: cluster-local}}}`, " true "},
		{true, `{metadata: {name: bad, namespace: shop}, status: {url: "http://bad_host!x"}}`, " false bad_host!x"},
		{false, `{metadata: {name: blog.example.com, namespace: blog}, status: {url: "https://ignored.example.com"}}`, "blog.example.com. false "},
	} {
		convert := DomainMappingFromUnstructured
		if tc.route {
			convert = KnativeRouteFromUnstructured
		}
		k := convert(fromYAML(t, tc.yaml))
		if got := fmt.Sprint(k.Host, " ", k.ClusterLocal, " ", k.Invalid); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.yaml, got, tc.want)
		}
	}
}

func TestVirtualServiceInvalidHosts(t *testing.T) {
	vs := VirtualServiceFromUnstructured(fromYAML(t, `{metadata: {name: vs, namespace: shop, creationTimestamp: "2026-01-02T03:04:05Z"},
spec: {hosts: [Shop.Example, "bad!.example", "*.apps.example"], gateways: [istio-system/public]}}`))
	if got := fmt.Sprint(vs.Hosts, vs.Invalid, vs.Created.Year()); got != "[shop.example. *.apps.example.] [bad!.example] 2026" {
		t.Errorf("got %s", got)
	}
}
