package private

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

var audienceNames = map[Audience]string{Everyone: "everyone", Outside: "outside", Inside: "inside"}

// claims runs one source over st and returns its claims as "AUDIENCE OWNER RR", sorted.
func claims(t *testing.T, st *model.Store, src *Sources, s source) (out, problems []string) {
	t.Helper()
	st.Read(func(v model.View) {
		problems = s(src, v, func(c Claim) {
			out = append(out, audienceNames[c.Audience]+" "+c.Owner.String()+" "+strings.ReplaceAll(c.RR.String(), "\t", " "))
		})
	})
	slices.Sort(out)
	return out, problems
}

func gatewayService(ns, name string, clusterIP string, sel map[string]string, lb ...string) *model.Service {
	s := &model.Service{ClusterIPs: addrs(clusterIP)}
	s.Namespace, s.Name = ns, name
	if len(lb) > 0 {
		s.Exposure = &model.Exposure{Selector: sel}
		for _, a := range lb {
			if ip, err := netip.ParseAddr(a); err == nil {
				s.Exposure.Addrs = append(s.Exposure.Addrs, ip)
			} else {
				s.Exposure.Target = a
			}
		}
	}
	return s
}

func vservice(ns, name string, hosts []string, gateways ...string) *model.VirtualService {
	return &model.VirtualService{Meta: model.Meta{Namespace: ns, Name: name}, Hosts: hosts, Gateways: gateways, Created: time.Unix(100, 0)}
}

func istioGateway(ns, name string, sel map[string]string, hosts ...string) *model.IstioGateway {
	g := &model.IstioGateway{Meta: model.Meta{Namespace: ns, Name: name}, Selector: sel}
	for _, h := range hosts {
		gh := model.GatewayHost{Namespace: "*", Host: h}
		if n, hh, ok := strings.Cut(h, "/"); ok {
			gh = model.GatewayHost{Namespace: n, Host: hh}
		}
		g.Hosts = append(g.Hosts, gh)
	}
	return g
}

func TestIstioSource(t *testing.T) {
	ingress := map[string]string{"istio": "ingressgateway"}
	st := model.NewStore()
	// the gateway's Service selects more labels than the Gateway: it fronts its pods
	st.UpsertService(gatewayService("istio-system", "istio-ingressgateway", "10.96.0.10", map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}, "10.128.1.1"))
	st.UpsertService(gatewayService("istio-system", "other", "10.96.0.11", map[string]string{"istio": "eastwest"}, "10.128.1.2"))
	st.UpsertService(gatewayService("aws", "elb", "10.96.0.12", map[string]string{"istio": "aws"}, "gw.elb.example.com."))
	st.UpsertService(gatewayService("istio-system", "internal", "10.96.0.13", map[string]string{"istio": "internal"})) // no LB
	// a tenant copies the gateway's selector onto a load balancer of its own, later: ignored
	thief := gatewayService("tenant", "thief", "10.96.0.66", map[string]string{"istio": "ingressgateway"}, "10.128.1.66")
	thief.Exposure.Created = time.Unix(1000, 0)
	st.UpsertService(thief)
	st.UpsertIstioGateway(istioGateway("istio-system", "public", ingress, "*.shop.internal", "./team.internal", "payments/pay.internal", "other.example.com"))
	st.UpsertIstioGateway(istioGateway("aws", "gw", map[string]string{"istio": "aws"}, "*"))
	st.UpsertIstioGateway(istioGateway("shop", "local", ingress, "*/local.shop.internal"))
	st.UpsertIstioGateway(istioGateway("istio-system", "internal", map[string]string{"istio": "internal"}, "*"))
	st.UpsertIstioGateway(istioGateway("istio-system", "noselector", nil, "*"))
	for _, vs := range []*model.VirtualService{
		vservice("shop", "cart", []string{"cart.shop.internal."}, "istio-system/public", "public.istio-system"),
		vservice("shop", "wild", []string{"*.shop.internal."}, "istio-system/public", "mesh"),
		vservice("shop", "notbound", []string{"notbound.shop.internal."}, "mesh"),
		vservice("shop", "team", []string{"team.internal."}, "istio-system/public"), // "./": only the Gateway's namespace
		vservice("istio-system", "team", []string{"team.internal."}, "public"),      // bare name: own namespace
		vservice("shop", "pay", []string{"pay.internal."}, "istio-system/public"),   // payments/ only
		vservice("payments", "pay", []string{"pay.internal."}, "public.istio-system.svc.cluster.local"),
		vservice("shop", "elsewhere", []string{"other.example.com."}, "istio-system/public"),
		vservice("shop", "local", []string{"local.shop.internal."}, "local"),
		vservice("shop", "aws", []string{"aws.shop.internal."}, "aws/gw"),
		vservice("shop", "internal", []string{"internal.shop.internal."}, "istio-system/internal"),
		vservice("shop", "nosel", []string{"nosel.shop.internal."}, "istio-system/noselector"),
		vservice("shop", "missing", []string{"missing.shop.internal."}, "istio-system/missing"),
	} {
		st.UpsertVirtualService(vs)
	}
	// bad hosts are logged by the zones they name, when bound to a gateway
	bad := vservice("shop", "bad", []string{"good.shop.internal."}, "istio-system/public")
	bad.Invalid = []string{"Bad!.shop.internal"}
	st.UpsertVirtualService(bad)
	sidecars := vservice("shop", "sidecars", nil, "mesh")
	sidecars.Invalid = []string{"bad!.shop.internal"}
	st.UpsertVirtualService(sidecars)
	st.UpsertServiceEntry(&model.ServiceEntry{Meta: model.Meta{Namespace: "db", Name: "legacy"},
		Hosts: []string{"db.legacy.internal.", "*.cache.internal."}, Addrs: addrs("192.0.2.10")})
	st.UpsertServiceEntry(&model.ServiceEntry{Meta: model.Meta{Namespace: "db", Name: "auto"},
		Hosts: []string{"a.auto.internal.", "b.auto.internal.", "c.auto.internal."}, Invalid: []string{"bad_host!.auto.internal", "bad_host!.example.com"},
		Allocated: map[string][]netip.Addr{"a.auto.internal.": addrs("240.240.0.1", "2001:2::f0f0:1"), "b.auto.internal.": addrs("240.240.0.2")}})

	for _, tc := range []struct {
		name     string
		src      Sources
		want     []string
		problems []string
	}{
		{
			name: "off",
			src:  Sources{Zone: "internal.", TTL: 30},
		},
		{
			name: "istio",
			src:  Sources{Zone: "internal.", Istio: true, TTL: 30},
			want: []string{
				"everyone ServiceEntry db/auto a.auto.internal. 30 IN A 240.240.0.1",
				"everyone ServiceEntry db/auto a.auto.internal. 30 IN AAAA 2001:2::f0f0:1",
				"everyone ServiceEntry db/auto b.auto.internal. 30 IN A 240.240.0.2",
				"everyone ServiceEntry db/legacy *.cache.internal. 30 IN A 192.0.2.10",
				"everyone ServiceEntry db/legacy db.legacy.internal. 30 IN A 192.0.2.10",
				"inside VirtualService istio-system/team team.internal. 30 IN A 10.96.0.10",
				"inside VirtualService shop/bad good.shop.internal. 30 IN A 10.96.0.10",
				"inside VirtualService payments/pay pay.internal. 30 IN A 10.96.0.10",
				"inside VirtualService shop/aws aws.shop.internal. 30 IN A 10.96.0.12",
				"inside VirtualService shop/cart cart.shop.internal. 30 IN A 10.96.0.10",
				"inside VirtualService shop/local local.shop.internal. 30 IN A 10.96.0.10",
				"inside VirtualService shop/wild *.shop.internal. 30 IN A 10.96.0.10",
				"outside VirtualService istio-system/team team.internal. 30 IN A 10.128.1.1",
				"outside VirtualService shop/bad good.shop.internal. 30 IN A 10.128.1.1",
				"outside VirtualService payments/pay pay.internal. 30 IN A 10.128.1.1",
				"outside VirtualService shop/aws aws.shop.internal. 30 IN CNAME gw.elb.example.com.",
				"outside VirtualService shop/cart cart.shop.internal. 30 IN A 10.128.1.1",
				"outside VirtualService shop/local local.shop.internal. 30 IN A 10.128.1.1",
				"outside VirtualService shop/wild *.shop.internal. 30 IN A 10.128.1.1",
			},
			problems: []string{
				"Istio Gateway istio-system/internal: no Service selecting istio=internal has a load balancer or external address: its hosts are served to pods only",
				"Istio Gateway istio-system/noselector has no spec.selector: its hosts are not served",
				"Istio Gateway istio-system/public: Services tenant/thief also select its pods: ignored, as the gateway's Services are those of namespace istio-system",
				"Istio Gateway shop/local: Services tenant/thief also select its pods: ignored, as the gateway's Services are those of namespace istio-system",
				`ServiceEntry db/auto: host "bad_host!.auto.internal" is not a DNS name: skipped`,
				`VirtualService shop/bad: host "Bad!.shop.internal" is not a DNS name: skipped`,
			},
		},
		{
			name: "the zone's namespaces only",
			src:  Sources{Zone: "shop.internal.", Istio: true, TTL: 5, Namespaces: model.Namespaces{"shop": true}},
			want: []string{
				"inside VirtualService shop/aws aws.shop.internal. 5 IN A 10.96.0.12",
				"inside VirtualService shop/bad good.shop.internal. 5 IN A 10.96.0.10",
				"inside VirtualService shop/cart cart.shop.internal. 5 IN A 10.96.0.10",
				"inside VirtualService shop/local local.shop.internal. 5 IN A 10.96.0.10",
				"inside VirtualService shop/wild *.shop.internal. 5 IN A 10.96.0.10",
				"outside VirtualService shop/aws aws.shop.internal. 5 IN CNAME gw.elb.example.com.",
				"outside VirtualService shop/bad good.shop.internal. 5 IN A 10.128.1.1",
				"outside VirtualService shop/cart cart.shop.internal. 5 IN A 10.128.1.1",
				"outside VirtualService shop/local local.shop.internal. 5 IN A 10.128.1.1",
				"outside VirtualService shop/wild *.shop.internal. 5 IN A 10.128.1.1",
			},
			problems: []string{
				"Istio Gateway istio-system/internal: no Service selecting istio=internal has a load balancer or external address: its hosts are served to pods only",
				"Istio Gateway istio-system/noselector has no spec.selector: its hosts are not served",
				"Istio Gateway istio-system/public: Services tenant/thief also select its pods: ignored, as the gateway's Services are those of namespace istio-system",
				"Istio Gateway shop/local: Services tenant/thief also select its pods: ignored, as the gateway's Services are those of namespace istio-system",
				`VirtualService shop/bad: host "Bad!.shop.internal" is not a DNS name: skipped`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := claims(t, st, &tc.src, istioSource)
			slices.Sort(problems)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if !slices.Equal(problems, tc.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(tc.problems, "\n"))
			}
		})
	}
}

// TestIstioBind checks the binding of VirtualService hosts to a Gateway's server hosts
// against the cases of Istio's pickMatchingGatewayHosts.
func TestIstioBind(t *testing.T) {
	for _, tc := range []struct {
		gw, vs []string
		vsNS   string
		want   []string
	}{
		{gw: []string{"*"}, vs: []string{"a.example."}, want: []string{"a.example."}},
		{gw: []string{"a.example.com"}, vs: []string{"a.example.com."}, want: []string{"a.example.com."}},
		{gw: []string{"a.example.com"}, vs: []string{"b.example.com."}},
		{gw: []string{"*.example.com"}, vs: []string{"a.b.example.com."}, want: []string{"a.b.example.com."}},
		{gw: []string{"a.example.com"}, vs: []string{"*.example.com."}, want: []string{"a.example.com."}},
		{gw: []string{"*.example.com"}, vs: []string{"*.b.example.com."}, want: []string{"*.b.example.com."}},
		{gw: []string{"*.b.example.com"}, vs: []string{"*.example.com."}, want: []string{"*.b.example.com."}},
		{gw: []string{"*.example.com"}, vs: []string{"example.com."}},
		{gw: []string{"a.example.com", "b.example.com"}, vs: []string{"*.example.com."}, want: []string{"a.example.com.", "b.example.com."}},
		{gw: []string{"shop/*"}, vs: []string{"a.example."}, vsNS: "shop", want: []string{"a.example."}},
		{gw: []string{"shop/*"}, vs: []string{"a.example."}, vsNS: "other"},
		{gw: []string{"./*"}, vs: []string{"a.example."}, vsNS: "gw", want: []string{"a.example."}},
		{gw: []string{"./*"}, vs: []string{"a.example."}, vsNS: "shop"},
		{gw: []string{"*/a.example"}, vs: []string{"a.example."}, vsNS: "shop", want: []string{"a.example."}},
	} {
		g := istioGateway("gw", "gw", nil, tc.gw...)
		ns := tc.vsNS
		if ns == "" {
			ns = "app"
		}
		got := bind(g, vservice(ns, "vs", tc.vs))
		if !slices.Equal(got, tc.want) {
			t.Errorf("gateway hosts %v, VirtualService %s hosts %v: %v, want %v", tc.gw, ns, tc.vs, got, tc.want)
		}
	}
}

func TestGatewayKey(t *testing.T) {
	for ref, want := range map[string]string{
		"istio-system/public":                   "istio-system/public",
		"./public":                              "app/public",
		"public":                                "app/public",
		"public.istio-system":                   "istio-system/public",
		"public.istio-system.svc.cluster.local": "istio-system/public",
		"mesh":                                  "",
		"/public":                               "",
	} {
		k, ok := gatewayKey(ref, "app")
		got := ""
		if ok {
			got = k.String()
		}
		if got != want {
			t.Errorf("gatewayKey(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestParseIstioKnative(t *testing.T) {
	for _, tc := range []struct {
		input   string
		want    string // Istio Knative KnativeLocal, Kinds
		wantErr string
	}{
		{input: "private a.example {\n istio\n}", want: "true / / [VirtualService Gateway.networking.istio.io ServiceEntry]"},
		{input: "private a.example {\n knative kourier-system/kourier\n}", want: "false kourier-system/kourier / [Route DomainMapping]"},
		{input: "private a.example {\n knative kourier-system/kourier kourier-system/kourier-internal\n istio\n}",
			want: "true kourier-system/kourier kourier-system/kourier-internal [VirtualService Gateway.networking.istio.io ServiceEntry Route DomainMapping]"},
		{input: "private a.example {\n istio yes\n}", wantErr: "Wrong argument count"},
		{input: "private a.example {\n knative\n}", wantErr: "NAMESPACE/NAME"},
		{input: "private a.example {\n knative kourier\n}", wantErr: "NAMESPACE/NAME"},
		{input: "private a.example {\n knative a/b/c\n}", wantErr: "NAMESPACE/NAME"},
		{input: "private a.example {\n knative a/b c/d e/f\n}", wantErr: "NAMESPACE/NAME"},
		{input: "private 10.in-addr.arpa {\n istio\n}", wantErr: "reverse zone"},
		{input: "private 10.in-addr.arpa {\n knative a/b\n}", wantErr: "reverse zone"},
	} {
		p, ok := parseCase(t, tc.input, tc.wantErr)
		if !ok {
			continue
		}
		if got := fmt.Sprint(p.Istio, " ", p.Knative, " ", p.KnativeLocal, " ", p.Kinds()); got != tc.want || !p.ReadsCluster() {
			t.Errorf("%q: %s, want %s", tc.input, got, tc.want)
		}
	}
}
