package private

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

var routesEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func gateway(ns, name, class string, ips []string, target string, listeners ...model.Listener) *model.Gateway {
	g := &model.Gateway{Meta: model.Meta{Namespace: ns, Name: name}, Class: class, Listeners: listeners, Target: target, Created: routesEpoch}
	g.Addrs = addrs(ips...)
	return g
}

// route is a route created at minute age of routesEpoch, attached to parents ("ns/name",
// optionally "#section" or ":port"; "ls:ns/name" for a ListenerSet).
func route(kind, ns, name string, minute int, hostnames []string, parents ...string) *model.Route {
	r := &model.Route{Meta: model.Meta{Namespace: ns, Name: name}, Kind: kind, Hostnames: hostnames, Created: routesEpoch.Add(time.Duration(minute) * time.Minute)}
	for _, p := range parents {
		r.Parents = append(r.Parents, parent(p))
	}
	return r
}

func parent(s string) model.ParentRef {
	var p model.ParentRef
	s, p.ListenerSet = strings.CutPrefix(s, "ls:")
	if gw, section, ok := strings.Cut(s, "#"); ok {
		s, p.Section = gw, section
	}
	if gw, port, ok := strings.Cut(s, ":"); ok {
		s = gw
		fmt.Sscan(port, &p.Port)
	}
	p.Gateway.Namespace, p.Gateway.Name, _ = strings.Cut(s, "/")
	return p
}

func gatewayStore() *model.Store {
	st := model.NewStore()
	all := func(l model.Listener) model.Listener { l.From = "All"; return l }
	st.Replace(model.State{Services: []*model.Service{
		// the Service behind infra/public, found by its load balancer address
		{Meta: model.Meta{Namespace: "infra", Name: "public-internal"}, ClusterIPs: addrs("10.96.0.9"), Exposure: &model.Exposure{Addrs: addrs("10.128.9.1")}},
		// one elsewhere with the same address does not count: one in the Gateway's namespace does
		{Meta: model.Meta{Namespace: "other", Name: "shared"}, ClusterIPs: addrs("10.96.0.77"), Exposure: &model.Exposure{Addrs: addrs("10.128.9.1")}},
		// Envoy Gateway's Service lives in its own namespace
		{Meta: model.Meta{Namespace: "envoy-gateway-system", Name: "envoy-infra-aws-3f2a"}, ClusterIPs: addrs("10.96.0.10"), Exposure: &model.Exposure{Target: "gw.elb.example.com."}},
	}})
	for _, g := range []*model.Gateway{
		gateway("infra", "public", "internal", []string{"10.128.9.1"}, "",
			all(model.Listener{Name: "http", Protocol: "HTTP", Port: 80, Hostname: "*.apps.example.internal."}),
			model.Listener{Name: "tls", Protocol: "TLS", Port: 443, From: "Same"},
			all(model.Listener{Name: "pg", Protocol: "TCP", Port: 5432}),
			all(model.Listener{Name: "custom", Protocol: "example.com/quic", Port: 8443, Hostname: "quic.example.internal."})),
		gateway("infra", "aws", "internal", nil, "gw.elb.example.com.", all(model.Listener{Name: "http", Protocol: "HTTP", Port: 80})),
		gateway("infra", "other", "istio", []string{"10.128.9.2"}, "", all(model.Listener{Name: "http", Protocol: "HTTP", Port: 80})),
		gateway("infra", "pending", "internal", nil, "", all(model.Listener{Name: "http", Protocol: "HTTP", Port: 80})),
		gateway("infra", "selective", "internal", []string{"10.128.9.3"}, "",
			model.Listener{Name: "http", Protocol: "HTTP", Port: 80, From: "Selector"},
			model.Listener{Name: "grpc", Protocol: "HTTPS", Port: 443, From: "All", Kinds: []string{"GRPCRoute"}}),
	} {
		st.UpsertGateway(g)
	}
	st.UpsertGatewayClass(&model.GatewayClass{Meta: model.Meta{Name: "istio"}, Controller: "istio.io/gateway-controller"})
	shared := gateway("infra", "shared", "internal", []string{"10.128.9.4"}, "", all(model.Listener{Name: "http", Protocol: "HTTP", Port: 80}))
	shared.AllowedListeners = "Same"
	st.UpsertGateway(shared)
	for _, ls := range []*model.ListenerSet{
		{Meta: model.Meta{Namespace: "infra", Name: "team-a"}, Gateway: model.Key{Namespace: "infra", Name: "shared"},
			Listeners: []model.Listener{{Name: "a", Protocol: "HTTP", Port: 80, Hostname: "*.a.example.internal.", From: "Same"}}},
		// allowedListeners Same: a ListenerSet of another namespace adds nothing
		{Meta: model.Meta{Namespace: "team-b", Name: "ls"}, Gateway: model.Key{Namespace: "infra", Name: "shared"},
			Listeners: []model.Listener{{Name: "b", Protocol: "HTTP", Port: 80, From: "All"}}},
	} {
		st.UpsertListenerSet(ls)
	}
	rejected := route("HTTPRoute", "shop", "rejected", 0, []string{"rej.example.internal."}, "infra/other")
	rejected.Rejected = []model.ParentRef{parent("infra/other")}
	accepted := route("HTTPRoute", "shop", "selected", 0, []string{"sel.example.internal."}, "infra/selective")
	accepted.Accepted = []model.ParentRef{parent("infra/selective")}
	bad := route("HTTPRoute", "shop", "bad", 0, []string{"good.apps.example.internal."}, "infra/public")
	bad.Invalid = []string{"bad_name!.example.internal"}
	pg := route("TCPRoute", "shop", "pg", 0, nil, "infra/public:5432")
	pg.Annotated = []string{"pg.example.internal."}
	lost := route("TCPRoute", "shop", "lost", 0, nil, "infra/public#http") // an HTTP listener takes no TCPRoute
	lost.Annotated = []string{"lost.example.internal."}
	for _, r := range []*model.Route{
		route("HTTPRoute", "shop", "web", 0, []string{"web.apps.example.internal.", "web.example.internal."}, "infra/public"),
		route("HTTPRoute", "shop", "wide", 0, []string{"*.example.internal."}, "infra/public#http"),
		route("HTTPRoute", "shop", "nohost", 1, nil, "infra/public#http"),                                // the listener's hostname
		route("HTTPRoute", "shop", "split-b", 2, []string{"api.apps.example.internal."}, "infra/public"), // one claim by the oldest
		route("HTTPRoute", "shop", "split-a", 1, []string{"api.apps.example.internal."}, "infra/public"),
		route("HTTPRoute", "shop", "elsewhere", 0, []string{"web.elsewhere.example."}, "infra/aws"),
		route("TLSRoute", "infra", "db", 0, []string{"db.example.internal."}, "infra/public#tls"),
		route("TLSRoute", "shop", "steal", 0, []string{"steal.example.internal."}, "infra/public#tls"), // Same namespace only
		route("GRPCRoute", "shop", "rpc", 0, []string{"rpc.example.internal."}, "infra/selective#grpc"),
		route("HTTPRoute", "shop", "notrpc", 0, []string{"notrpc.example.internal."}, "infra/selective#grpc"),
		route("HTTPRoute", "shop", "unselected", 0, []string{"unsel.example.internal."}, "infra/selective"),
		route("HTTPRoute", "shop", "quic", 0, nil, "infra/public#custom"),
		route("HTTPRoute", "shop", "aws", 0, []string{"aws.example.internal."}, "infra/aws"),
		route("HTTPRoute", "shop", "istio", 0, []string{"istio.example.internal."}, "infra/other"),
		route("HTTPRoute", "shop", "wait", 0, []string{"wait.example.internal."}, "infra/pending"),
		route("HTTPRoute", "shop", "ghost", 0, []string{"ghost.example.internal."}, "infra/missing"),
		route("HTTPRoute", "shop", "wrongport", 0, []string{"wp.example.internal."}, "infra/public:8080"),
		route("HTTPRoute", "infra", "a-web", 0, []string{"web.a.example.internal.", "web.example.internal."}, "ls:infra/team-a"),
		route("HTTPRoute", "team-b", "b-web", 0, []string{"web.b.example.internal."}, "ls:team-b/ls"),
		accepted, bad, pg, lost, rejected,
	} {
		st.UpsertRoute(r)
	}
	return st
}

func TestGatewayRoutes(t *testing.T) {
	st := gatewayStore()
	const (
		pub   = "30 IN A 10.128.9.1 Outside "
		inner = "30 IN A 10.96.0.9 Inside "
	)
	for _, tc := range []struct {
		name     string
		src      Sources
		want     []string // "NAME TTL CLASS TYPE DATA AUDIENCE OWNER"
		problems []string
	}{
		{
			name: "every class",
			src:  Sources{Zone: "example.internal.", Gateways: true, TTL: 30},
			want: []string{
				"*.apps.example.internal. " + pub + "HTTPRoute shop/wide", // intersection with the listener: the more specific
				"*.apps.example.internal. " + inner + "HTTPRoute shop/wide",
				"api.apps.example.internal. " + pub + "HTTPRoute shop/split-a",
				"api.apps.example.internal. " + inner + "HTTPRoute shop/split-a",
				"aws.example.internal. 30 IN CNAME gw.elb.example.com. Outside HTTPRoute shop/aws",
				"aws.example.internal. 30 IN A 10.96.0.10 Inside HTTPRoute shop/aws",
				"db.example.internal. " + pub + "TLSRoute infra/db",
				"db.example.internal. " + inner + "TLSRoute infra/db",
				"good.apps.example.internal. " + pub + "HTTPRoute shop/bad",
				"good.apps.example.internal. " + inner + "HTTPRoute shop/bad",
				"istio.example.internal. 30 IN A 10.128.9.2 Everyone HTTPRoute shop/istio", // no Service behind it
				"pg.example.internal. " + pub + "TCPRoute shop/pg",
				"pg.example.internal. " + inner + "TCPRoute shop/pg",
				"quic.example.internal. " + pub + "HTTPRoute shop/quic",
				"quic.example.internal. " + inner + "HTTPRoute shop/quic",
				"rpc.example.internal. 30 IN A 10.128.9.3 Everyone GRPCRoute shop/rpc",
				"sel.example.internal. 30 IN A 10.128.9.3 Everyone HTTPRoute shop/selected",
				"web.a.example.internal. 30 IN A 10.128.9.4 Everyone HTTPRoute infra/a-web", // through a ListenerSet
				"web.apps.example.internal. " + pub + "HTTPRoute shop/web",                  // web.example.internal. is not the listener's
				"web.apps.example.internal. " + inner + "HTTPRoute shop/web",
			},
			problems: []string{
				"Gateway infra/pending has no address in its status",
				`HTTPRoute shop/bad: host "bad_name!.example.internal" is not a DNS name: skipped`,
			},
		},
		{
			name: "only the listed classes",
			src:  Sources{Zone: "example.internal.", Gateways: true, GatewayClasses: []string{"istio"}, TTL: 30},
			want: []string{"istio.example.internal. 30 IN A 10.128.9.2 Everyone HTTPRoute shop/istio"},
		},
		{
			name: "the classes of a controller",
			src:  Sources{Zone: "example.internal.", Gateways: true, GatewayClasses: []string{"istio.io/gateway-controller"}, TTL: 30},
			want: []string{"istio.example.internal. 30 IN A 10.128.9.2 Everyone HTTPRoute shop/istio"},
		},
		{
			name: "only the listed namespaces",
			src:  Sources{Zone: "example.internal.", Gateways: true, Namespaces: model.Namespaces{"infra": true}, TTL: 30},
			want: []string{"db.example.internal. " + pub + "TLSRoute infra/db", "db.example.internal. " + inner + "TLSRoute infra/db",
				"web.a.example.internal. 30 IN A 10.128.9.4 Everyone HTTPRoute infra/a-web"},
		},
		{
			name: "another zone",
			src:  Sources{Zone: "elsewhere.example.", Gateways: true, TTL: 30},
			want: []string{"web.elsewhere.example. 30 IN CNAME gw.elb.example.com. Outside HTTPRoute shop/elsewhere",
				"web.elsewhere.example. 30 IN A 10.96.0.10 Inside HTTPRoute shop/elsewhere"},
		},
		{
			name: "not asked for",
			src:  Sources{Zone: "example.internal.", Services: ExportAll, TTL: 30},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, problems []string
			st.Read(func(v model.View) {
				problems = gatewayRoutes(&tc.src, v, func(c Claim) {
					aud := [...]string{"Everyone", "Outside", "Inside"}[c.Audience]
					got = append(got, strings.Join(strings.Fields(c.RR.String()), " ")+" "+aud+" "+c.Owner.String())
				})
			})
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			slices.Sort(problems)
			if len(problems) != len(tc.problems) {
				t.Fatalf("problems %q, want %q", problems, tc.problems)
			}
			for i, p := range tc.problems {
				if !strings.HasPrefix(problems[i], p) {
					t.Errorf("problem %q, want it to start with %q", problems[i], p)
				}
			}
		})
	}
}

// The Gateway API's hostname matching: a wildcard is a suffix match of one label or more,
// never the name it is the wildcard of.
func TestHostIntersection(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"a.example.com.", "a.example.com.", "a.example.com."},
		{"a.example.com.", "b.example.com.", ""},
		{"a.example.com.", "*.example.com.", "a.example.com."},
		{"*.example.com.", "a.example.com.", "a.example.com."},
		{"a.b.example.com.", "*.example.com.", "a.b.example.com."},
		{"example.com.", "*.example.com.", ""},
		{"aexample.com.", "*.example.com.", ""},
		{"*.a.example.com.", "*.example.com.", "*.a.example.com."},
		{"*.example.com.", "*.a.example.com.", "*.a.example.com."},
		{"*.example.com.", "*.example.com.", "*.example.com."},
		{"*.example.com.", "*.example.org.", ""},
	} {
		if got := hostIntersection(tc.a, tc.b); got != tc.want {
			t.Errorf("hostIntersection(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseGateways(t *testing.T) {
	for _, tc := range []struct {
		input   string
		classes []string
		wantErr string
	}{
		{input: "private example.internal {\n gateways\n}"},
		{input: "private example.internal {\n gateways internal istio\n gateways cilium\n}", classes: []string{"internal", "istio", "cilium"}},
		{input: "private 10.in-addr.arpa {\n gateways\n}", wantErr: "reverse zone"},
	} {
		p, ok := parseCase(t, tc.input, tc.wantErr)
		if ok && (!p.Gateways || !slices.Equal(p.GatewayClasses, tc.classes) || !slices.Contains(p.Kinds(), model.KindGatewayAPI)) {
			t.Errorf("%q: %+v", tc.input, p)
		}
	}
}

// A zone serves what the routes claim to every client while it has no inside view, and
// follows a route re-bound to another Gateway.
func TestGatewayZone(t *testing.T) {
	st := gatewayStore()
	st.SetSynced()
	st.SetKindSynced(model.KindGatewayAPI)
	z := New(&Config{Sources: Sources{Zone: "example.internal.", Gateways: true, TTL: 30}}, t.Logf)
	if err := z.Start(st, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	for _, tc := range []test.Case{
		{Qname: "web.apps.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.apps.example.internal. 30 IN A 10.128.9.1")}},
		{Qname: "Any.Apps.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("any.apps.example.internal. 30 IN A 10.128.9.1")}},
		{Qname: "aws.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.CNAME("aws.example.internal. 30 IN CNAME gw.elb.example.com.")}},
		{Qname: "steal.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError},
		{Qname: "web.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError},
	} {
		_, m := serve(t, z, tc)
		tc.Ns = m.Ns // the synthesised SOA is not what is checked here
		if err := test.SortAndCheck(m, tc); err != nil {
			t.Errorf("%s: %v", tc.Qname, err)
		}
	}
	// re-bound to another Gateway: the other's address
	st.UpsertRoute(route("HTTPRoute", "shop", "aws", 0, []string{"aws.example.internal."}, "infra/other"))
	eventually(t, "aws re-bound", func() bool {
		a := z.Current().Lookup("aws.example.internal.", dns.TypeA).Answer
		return len(a) == 1 && a[0].String() == test.A("aws.example.internal. 30 IN A 10.128.9.2").String()
	})
}

// The source runs on every rebuild of a zone: its cost with many routes, per rebuild.
func BenchmarkGatewayRoutes(b *testing.B) {
	st := model.NewStore()
	var svcs []*model.Service
	for i := range 200 {
		ip := fmt.Sprintf("10.128.%d.%d", i/250, i%250+1)
		svcs = append(svcs, &model.Service{Meta: model.Meta{Namespace: "lb", Name: fmt.Sprint("s", i)},
			ClusterIPs: addrs(fmt.Sprintf("10.96.%d.%d", i/250, i%250+1)), Exposure: &model.Exposure{Addrs: addrs(ip)}})
	}
	st.Replace(model.State{Services: svcs})
	for g := range 10 {
		st.UpsertGateway(gateway("infra", fmt.Sprint("gw", g), "internal", []string{fmt.Sprintf("10.128.0.%d", g+1)}, "",
			model.Listener{Name: "http", Protocol: "HTTP", Port: 80, Hostname: "*.example.internal.", From: "All"}))
	}
	for i := range 5000 {
		st.UpsertRoute(route("HTTPRoute", fmt.Sprint("ns", i%50), fmt.Sprint("r", i), i,
			[]string{fmt.Sprintf("app%d.example.internal.", i)}, fmt.Sprintf("infra/gw%d", i%10)))
	}
	src := &Sources{Zone: "example.internal.", Gateways: true, TTL: 30}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		st.Read(func(v model.View) { gatewayRoutes(src, v, func(Claim) { n++ }) })
		if n != 10000 {
			b.Fatalf("%d claims, want 10000", n)
		}
	}
}

// A route's ttl annotation sets the TTL of the names it owns; a Gateway's unusable
// annotation is reported with the zone's problems.
func TestGatewayRouteAnnotations(t *testing.T) {
	st := model.NewStore()
	gw := gateway("infra", "lb", "internal", []string{"10.128.9.1"}, "", model.Listener{Name: "http", Protocol: "HTTP", Port: 80, From: "All"})
	gw.Problems = []string{`annotation external-dns.kubernetes.io/target: "x!" is neither an IP address nor a host name`}
	st.UpsertGateway(gw)
	r := route("HTTPRoute", "shop", "web", 0, []string{"web.example.internal."}, "infra/lb")
	r.TTL = 300
	st.UpsertRoute(r)
	var got, problems []string
	st.Read(func(v model.View) {
		problems = gatewayRoutes(&Sources{Zone: "example.internal.", Gateways: true, TTL: 30}, v, func(c Claim) {
			got = append(got, strings.Join(strings.Fields(c.RR.String()), " "))
		})
	})
	if want := []string{"web.example.internal. 300 IN A 10.128.9.1"}; !slices.Equal(got, want) {
		t.Errorf("claims %q, want %q", got, want)
	}
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "Gateway infra/lb: annotation") {
		t.Errorf("problems %q", problems)
	}
}

// TestGatewayRouteTieBreak: routes created in the same second putting one name on one
// Gateway make one claim, whose owner is the one resolve would pick among them (kind, then
// namespace, then name), not the first by "Kind ns/name" as one string ("a-x/" sorts
// before "a/").
func TestGatewayRouteTieBreak(t *testing.T) {
	st := model.NewStore()
	st.UpsertGateway(gateway("infra", "public", "internal", []string{"10.128.9.1"}, "",
		model.Listener{Name: "http", Protocol: "HTTP", Port: 80, From: "All"}))
	for _, ns := range []string{"a-x", "a"} {
		st.UpsertRoute(route("HTTPRoute", ns, "web", 0, []string{"web.example.internal."}, "infra/public"))
	}
	var owners []string
	st.Read(func(v model.View) {
		gatewayRoutes(&Sources{Zone: "example.internal.", Gateways: true, TTL: 30}, v, func(c Claim) {
			owners = append(owners, c.Owner.String())
		})
	})
	if !slices.Equal(owners, []string{"HTTPRoute a/web"}) {
		t.Fatalf("owners %q, want the one claim of HTTPRoute a/web", owners)
	}
}
