package private

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

func exposed(ns, name string, e *model.Exposure, ports ...model.Port) *model.Service {
	s := &model.Service{Exposure: e, Ports: ports}
	s.Namespace, s.Name = ns, name
	return s
}

func addrs(ips ...string) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		out = append(out, netip.MustParseAddr(ip))
	}
	return out
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestRecords(t *testing.T) {
	st := model.NewStore()
	st.Replace(model.State{
		Namespaces: []string{"default", "shop", "istio-system"},
		Services: []*model.Service{
			exposed("default", "myservice", &model.Exposure{Addrs: addrs("10.128.0.20"), Annotated: true,
				Hostnames: []string{"myservice.mycompany.internal.", "other.example.com."}}, model.Port{Name: "https", Protocol: "TCP", Port: 443}),
			exposed("default", "plain", &model.Exposure{Addrs: addrs("10.128.0.21", "fd00::21")}),
			exposed("shop", "aws", &model.Exposure{Target: "internal-x.elb.amazonaws.com.", Annotated: true}, model.Port{Name: "http", Protocol: "TCP", Port: 80}),
			exposed("shop", "twin", &model.Exposure{Addrs: addrs("10.128.0.22"), Hostnames: []string{"myservice.mycompany.internal."}, Annotated: true}),
			exposed("shop", "fixed", &model.Exposure{Addrs: addrs("10.128.0.23"), Hostnames: []string{"legacy.mycompany.internal."}, Annotated: true}),
			exposed("istio-system", "gw", &model.Exposure{Addrs: addrs("10.128.0.99")}),
		},
		Ingresses: []*model.Ingress{
			{Meta: model.Meta{Namespace: "shop", Name: "web"}, Hosts: []string{"shop.mycompany.internal.", "*.apps.mycompany.internal.", "elsewhere.example.com."}, Addrs: addrs("10.128.0.30")},
		},
		VirtualServices: []*model.VirtualService{
			{Meta: model.Meta{Namespace: "shop", Name: "ads"}, Hosts: []string{"ads.mesh.private."}, Gateways: []string{"istio-system/external-mesh"}},
			{Meta: model.Meta{Namespace: "shop", Name: "inside"}, Hosts: []string{"inside.mesh.private."}, Gateways: []string{"mesh"}},
		},
	})
	file := []dns.RR{mustRR(t, "legacy.mycompany.internal. 30 IN CNAME old.example.com.")}
	for _, tc := range []struct {
		name     string
		src      Sources
		file     []dns.RR
		want     []string
		problems []string
	}{
		{
			name: "annotated services",
			src:  Sources{Zone: "mycompany.internal.", Services: ExportAnnotated, TTL: 30},
			file: file,
			want: []string{
				"_http._tcp.aws.shop.mycompany.internal.	30	IN	SRV	0 100 80 internal-x.elb.amazonaws.com.",
				"_https._tcp.myservice.default.mycompany.internal.	30	IN	SRV	0 100 443 myservice.default.mycompany.internal.",
				"_https._tcp.myservice.mycompany.internal.	30	IN	SRV	0 100 443 myservice.mycompany.internal.",
				"aws.shop.mycompany.internal.	30	IN	CNAME	internal-x.elb.amazonaws.com.",
				"fixed.shop.mycompany.internal.	30	IN	A	10.128.0.23",
				"myservice.default.mycompany.internal.	30	IN	A	10.128.0.20",
				"myservice.mycompany.internal.	30	IN	A	10.128.0.20",
				"twin.shop.mycompany.internal.	30	IN	A	10.128.0.22",
			},
			problems: []string{
				"legacy.mycompany.internal. is in the zone file, whose records win: ignoring Service shop/fixed's claim",
				// equal (unknown) creation times: the namespace decides
				"myservice.mycompany.internal. belongs to Service default/myservice, its first claimant: ignoring Service shop/twin's claim",
			},
		},
		{
			name: "claims merge serves every claimant",
			src:  Sources{Zone: "mycompany.internal.", Services: ExportAnnotated, TTL: 30, Claims: ClaimsMerge},
			file: file,
			want: []string{
				"_http._tcp.aws.shop.mycompany.internal.	30	IN	SRV	0 100 80 internal-x.elb.amazonaws.com.",
				"_https._tcp.myservice.default.mycompany.internal.	30	IN	SRV	0 100 443 myservice.default.mycompany.internal.",
				"_https._tcp.myservice.mycompany.internal.	30	IN	SRV	0 100 443 myservice.mycompany.internal.",
				"aws.shop.mycompany.internal.	30	IN	CNAME	internal-x.elb.amazonaws.com.",
				"fixed.shop.mycompany.internal.	30	IN	A	10.128.0.23",
				"myservice.default.mycompany.internal.	30	IN	A	10.128.0.20",
				"myservice.mycompany.internal.	30	IN	A	10.128.0.20",
				"myservice.mycompany.internal.	30	IN	A	10.128.0.22",
				"twin.shop.mycompany.internal.	30	IN	A	10.128.0.22",
			},
			problems: []string{
				"legacy.mycompany.internal. is in the zone file",
				"myservice.mycompany.internal. is claimed by Service default/myservice, Service shop/twin: serving 3 records (claims merge)",
			},
		},
		{
			name: "all services",
			src:  Sources{Zone: "mycompany.internal.", Services: ExportAll, TTL: 5},
			want: []string{"plain.default.mycompany.internal.	5	IN	A	10.128.0.21", "plain.default.mycompany.internal.	5	IN	AAAA	fd00::21",
				"gw.istio-system.mycompany.internal.	5	IN	A	10.128.0.99"},
			problems: []string{"myservice.mycompany.internal. belongs to Service default/myservice"},
		},
		{
			name: "only the listed namespaces may claim names",
			src:  Sources{Zone: "mycompany.internal.", Services: ExportAnnotated, Ingresses: true, TTL: 30, Namespaces: map[string]bool{"default": true}},
			want: []string{
				"_https._tcp.myservice.default.mycompany.internal.	30	IN	SRV	0 100 443 myservice.default.mycompany.internal.",
				"_https._tcp.myservice.mycompany.internal.	30	IN	SRV	0 100 443 myservice.mycompany.internal.",
				"myservice.default.mycompany.internal.	30	IN	A	10.128.0.20",
				"myservice.mycompany.internal.	30	IN	A	10.128.0.20",
			},
		},
		{
			name: "ingresses",
			src:  Sources{Zone: "mycompany.internal.", Ingresses: true, TTL: 30},
			want: []string{"shop.mycompany.internal.	30	IN	A	10.128.0.30", "*.apps.mycompany.internal.	30	IN	A	10.128.0.30"},
		},
		{
			name: "mesh hosts take the file's wildcard address",
			src:  Sources{Zone: "mesh.private.", Mesh: true, Gateway: model.Key{Namespace: "istio-system", Name: "gw"}, TTL: 30},
			file: []dns.RR{mustRR(t, "*.mesh.private. 30 IN A 10.0.0.1")},
			want: []string{"ads.mesh.private.	30	IN	A	10.0.0.1"},
		},
		{
			name: "mesh hosts take the gateway's address without a wildcard",
			src:  Sources{Zone: "mesh.private.", Mesh: true, Gateway: model.Key{Namespace: "istio-system", Name: "gw"}, TTL: 30},
			want: []string{"ads.mesh.private.	30	IN	A	10.128.0.99"},
		},
		{
			name:     "mesh without wildcard or gateway serves nothing",
			src:      Sources{Zone: "mesh.private.", Mesh: true, Gateway: model.Key{Namespace: "istio-system", Name: "missing"}, TTL: 30},
			problems: []string{"mesh gateway Service istio-system/missing has no load balancer or external address"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rrs []dns.RR
			var problems []string
			st.Read(func(v model.View) { rrs, problems = Records(&tc.src, v, tc.file) })
			var got []string
			for _, rr := range rrs {
				got = append(got, rr.String())
			}
			for _, w := range tc.want {
				if !slices.Contains(got, mustRR(t, w).String()) {
					t.Errorf("missing %s\ngot:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if tc.name != "all services" && len(got) != len(tc.want) {
				t.Errorf("got %d records, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
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

func TestPTRs(t *testing.T) {
	rrs := []dns.RR{
		mustRR(t, "a.mycompany.internal. 30 IN A 10.128.0.20"),
		mustRR(t, "b.mycompany.internal. 30 IN A 192.168.0.1"),
		mustRR(t, "c.mycompany.internal. 30 IN AAAA fd00::1"),
		mustRR(t, "d.mycompany.internal. 30 IN CNAME x.example.com."),
	}
	got := PTRs("10.in-addr.arpa.", 30, rrs)
	if len(got) != 1 || got[0].String() != mustRR(t, "20.0.128.10.in-addr.arpa. 30 IN PTR a.mycompany.internal.").String() {
		t.Fatalf("PTRs = %v", got)
	}
}
