package private

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var claimEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// createdAt returns the creation time n seconds after claimEpoch.
func createdAt(n int) time.Time { return claimEpoch.Add(time.Duration(n) * time.Second) }

func withClusterIPs(s *model.Service, ips ...string) *model.Service {
	s.ClusterIPs = addrs(ips...)
	return s
}

// claimedRecordsOf runs the zone's sources over st and returns the records as strings, sorted, and
// the problems.
func claimedRecordsOf(t *testing.T, st *model.Store, src Sources, file []dns.RR) (got, problems []string, lost int) {
	t.Helper()
	st.Read(func(v model.View) {
		r := records(&src, v, file)
		for _, rr := range r.rrs {
			got = append(got, strings.ReplaceAll(rr.String(), "\t", " "))
		}
		problems, lost = r.problems, r.lost
	})
	slices.Sort(got)
	return got, problems, lost
}

// The tenant scenario of issue 12: the owner's LoadBalancer Service, a thief's in another
// namespace annotating the same name later, and an Ingress listing it later still.
func TestClaimsOldestWins(t *testing.T) {
	owner := withClusterIPs(exposed("shop", "pay", &model.Exposure{Addrs: addrs("10.128.1.1"), Annotated: true,
		Hostnames: []string{"pay.claims.internal."}, Created: createdAt(0)}, model.Port{Name: "https", Protocol: "TCP", Port: 443}), "10.96.0.1")
	thief := withClusterIPs(exposed("tenant", "pay", &model.Exposure{Addrs: addrs("10.128.1.66"), Annotated: true,
		Hostnames: []string{"pay.claims.internal."}, Created: createdAt(1)}, model.Port{Name: "http", Protocol: "TCP", Port: 80}), "10.96.0.66")
	ing := &model.Ingress{Meta: model.Meta{Namespace: "tenant", Name: "pay"}, Hosts: []string{"pay.claims.internal."}, Addrs: addrs("10.128.1.67"), Created: createdAt(2)}
	st := model.NewStore()
	st.Replace(model.State{Namespaces: []string{"shop", "tenant"}, Services: []*model.Service{owner, thief}, Ingresses: []*model.Ingress{ing}})
	src := Sources{Zone: "claims.internal.", Services: ExportAnnotated, Ingresses: true, TTL: 30}
	pay := func(got []string) []string {
		return slices.DeleteFunc(slices.Clone(got), func(s string) bool {
			return !strings.HasSuffix(strings.Fields(s)[0], "pay.claims.internal.") || strings.Contains(s, ".shop.") || strings.Contains(s, ".tenant.")
		})
	}

	got, problems, lost := claimedRecordsOf(t, st, src, nil)
	want := []string{
		"_https._tcp.pay.claims.internal. 30 IN SRV 0 100 443 pay.claims.internal.", // the thief's _http SRV goes with its lost claim
		"pay.claims.internal. 30 IN A 10.128.1.1",
	}
	if !slices.Equal(pay(got), want) {
		t.Errorf("owner only: got\n%s\nwant\n%s", strings.Join(pay(got), "\n"), strings.Join(want, "\n"))
	}
	wantProblems := []string{
		"pay.claims.internal. belongs to Service shop/pay, its first claimant: ignoring Service tenant/pay's claim",
		"pay.claims.internal. belongs to Service shop/pay, its first claimant: ignoring Ingress tenant/pay's claim",
	}
	if !slices.Equal(problems, wantProblems) || lost != 2 {
		t.Errorf("problems %q (lost %d), want %q (2)", problems, lost, wantProblems)
	}

	// the owner goes: the next oldest claimant takes over, the Ingress still loses
	st.DeleteService(model.Key{Namespace: "shop", Name: "pay"})
	got, problems, lost = claimedRecordsOf(t, st, src, nil)
	want = []string{"_http._tcp.pay.claims.internal. 30 IN SRV 0 100 80 pay.claims.internal.", "pay.claims.internal. 30 IN A 10.128.1.66"}
	if !slices.Equal(pay(got), want) || lost != 1 || len(problems) != 1 || !strings.Contains(problems[0], "ignoring Ingress tenant/pay's claim") {
		t.Errorf("after the owner: got\n%s\nproblems %q, lost %d", strings.Join(pay(got), "\n"), problems, lost)
	}

	// claims merge: today's behaviour, every claimant's addresses
	src.Claims = ClaimsMerge
	got, _, lost = claimedRecordsOf(t, st, src, nil)
	want = []string{"_http._tcp.pay.claims.internal. 30 IN SRV 0 100 80 pay.claims.internal.", "pay.claims.internal. 30 IN A 10.128.1.66", "pay.claims.internal. 30 IN A 10.128.1.67"}
	if !slices.Equal(pay(got), want) || lost != 0 {
		t.Errorf("merge: got\n%s\nlost %d", strings.Join(pay(got), "\n"), lost)
	}
}

func TestResolve(t *testing.T) {
	svc := Owner{Kind: "Service", Namespace: "a", Name: "x", Created: createdAt(5)}
	ing := Owner{Kind: "Ingress", Namespace: "b", Name: "y", Created: createdAt(5)}
	old := Owner{Kind: "VirtualService", Namespace: "z", Name: "z", Created: createdAt(1)}
	rr := func(s string) dns.RR { return mustRR(t, s) }
	for _, tc := range []struct {
		name   string
		claims []Claim
		inFile []string
		rule   ClaimRule
		want   []string
		lost   int
	}{
		{
			name:   "creation time first",
			claims: []Claim{{RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc}, {RR: rr("n.z. 30 IN A 10.0.0.2"), Owner: old}},
			want:   []string{"n.z. 30 IN A 10.0.0.2"}, lost: 1,
		},
		{
			name:   "then kind, namespace, name",
			claims: []Claim{{RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc}, {RR: rr("n.z. 30 IN A 10.0.0.2"), Owner: ing}},
			want:   []string{"n.z. 30 IN A 10.0.0.2"}, lost: 1,
		},
		{
			name:   "the file wins over every object",
			claims: []Claim{{RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc}, {RR: rr("n.z. 30 IN A 10.0.0.2"), Owner: old}},
			inFile: []string{"n.z."}, lost: 2,
		},
		{
			name: "an SRV record under a file name is the file's",
			claims: []Claim{{RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc},
				{RR: rr("_h._tcp.n.z. 30 IN SRV 0 100 80 n.z."), Owner: svc}},
			inFile: []string{"_h._tcp.n.z."},
			want:   []string{"n.z. 30 IN A 10.0.0.1"},
		},
		{
			name:   "the oldest owner's CNAME wins over younger addresses",
			claims: []Claim{{RR: rr("n.z. 30 IN CNAME lb.example."), Owner: old}, {RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc}},
			want:   []string{"n.z. 30 IN CNAME lb.example."}, lost: 1,
		},
		{
			name: "merge: addresses win over a CNAME, which is counted",
			claims: []Claim{{RR: rr("n.z. 30 IN CNAME lb.example."), Owner: old}, {RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: svc},
				{RR: rr("n.z. 30 IN A 10.0.0.1"), Owner: ing}},
			rule: ClaimsMerge,
			want: []string{"n.z. 30 IN A 10.0.0.1"}, lost: 1,
		},
		{
			name: "merge: of CNAMEs the oldest",
			claims: []Claim{{RR: rr("n.z. 30 IN CNAME b.example."), Owner: svc}, {RR: rr("n.z. 30 IN CNAME a.example."), Owner: old},
				{RR: rr("_h._tcp.n.z. 30 IN SRV 0 100 80 b.example."), Owner: svc}},
			rule: ClaimsMerge,
			want: []string{"n.z. 30 IN CNAME a.example."}, lost: 1,
		},
		{
			name: "the SRV records of the owner ride on its name",
			claims: []Claim{{RR: rr("n.z. 30 IN CNAME lb.example."), Owner: svc},
				{RR: rr("_h._tcp.n.z. 30 IN SRV 0 100 80 lb.example."), Owner: svc}},
			want: []string{"n.z. 30 IN CNAME lb.example.", "_h._tcp.n.z. 30 IN SRV 0 100 80 lb.example."},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inFile := map[string]bool{}
			for _, n := range tc.inFile {
				inFile[n] = true
			}
			out, msgs, lost := resolve("n.z.", tc.claims, inFile, tc.rule)
			var got []string
			for _, rr := range out {
				got = append(got, strings.ReplaceAll(rr.String(), "\t", " "))
			}
			if !slices.Equal(got, tc.want) || lost != tc.lost {
				t.Errorf("got %q lost %d, want %q lost %d (%q)", got, lost, tc.want, tc.lost, msgs)
			}
			if lost > 0 && len(msgs) == 0 {
				t.Errorf("%d lost claims, no message", lost)
			}
		})
	}
}

// A zone with `inside` answers the pods' addresses: an exported Service's ClusterIP, its
// internal-hostname names, the mesh gateway's ClusterIP; an Ingress, whose in-cluster
// address is not known, keeps its own. The peered view keeps the load balancers.
func TestInside(t *testing.T) {
	api := withClusterIPs(exposed("shop", "api", &model.Exposure{Addrs: addrs("10.128.0.1"), Annotated: true, TTL: 60,
		Hostnames: []string{"api.corp.internal."}, InternalHostnames: []string{"api-int.corp.internal."}, Created: createdAt(0)},
		model.Port{Name: "https", Protocol: "TCP", Port: 443}), "10.96.0.1")
	db := withClusterIPs(exposed("shop", "db", &model.Exposure{InternalHostnames: []string{"db.corp.internal.", "db.elsewhere.example."}, Annotated: true}), "10.96.0.2")
	aws := withClusterIPs(exposed("shop", "aws", &model.Exposure{Target: "x.elb.example.", Annotated: true},
		model.Port{Name: "http", Protocol: "TCP", Port: 80}), "10.96.0.3")
	gw := withClusterIPs(exposed("istio-system", "gw", &model.Exposure{Addrs: addrs("10.128.0.99")}), "10.96.0.99")
	st := model.NewStore()
	st.Replace(model.State{
		Namespaces: []string{"shop", "istio-system"},
		Services:   []*model.Service{api, db, aws, gw},
		Ingresses:  []*model.Ingress{{Meta: model.Meta{Namespace: "shop", Name: "web"}, Hosts: []string{"web.corp.internal."}, Addrs: addrs("10.128.0.30")}},
		VirtualServices: []*model.VirtualService{
			{Meta: model.Meta{Namespace: "shop", Name: "ads"}, Hosts: []string{"ads.corp.internal."}, Gateways: []string{"istio-system/external-mesh"}},
		},
	})
	src := Sources{Zone: "corp.internal.", Services: ExportAnnotated, Ingresses: true, Mesh: true, Gateway: model.Key{Namespace: "istio-system", Name: "gw"}, TTL: 30}
	outside := []string{
		"_http._tcp.aws.shop.corp.internal. 30 IN SRV 0 100 80 x.elb.example.",
		"_https._tcp.api.corp.internal. 60 IN SRV 0 100 443 api.corp.internal.",
		"_https._tcp.api.shop.corp.internal. 60 IN SRV 0 100 443 api.shop.corp.internal.",
		"ads.corp.internal. 30 IN A 10.128.0.99",
		"api.corp.internal. 60 IN A 10.128.0.1",
		"api.shop.corp.internal. 60 IN A 10.128.0.1",
		"aws.shop.corp.internal. 30 IN CNAME x.elb.example.",
		"web.corp.internal. 30 IN A 10.128.0.30",
	}
	inside := []string{
		"_http._tcp.aws.shop.corp.internal. 30 IN SRV 0 100 80 aws.shop.corp.internal.",
		"_https._tcp.api-int.corp.internal. 60 IN SRV 0 100 443 api-int.corp.internal.",
		"_https._tcp.api.corp.internal. 60 IN SRV 0 100 443 api.corp.internal.",
		"_https._tcp.api.shop.corp.internal. 60 IN SRV 0 100 443 api.shop.corp.internal.",
		"ads.corp.internal. 30 IN A 10.96.0.99",
		"api-int.corp.internal. 60 IN A 10.96.0.1",
		"api.corp.internal. 60 IN A 10.96.0.1",
		"api.shop.corp.internal. 60 IN A 10.96.0.1",
		"aws.shop.corp.internal. 30 IN A 10.96.0.3",
		"db.corp.internal. 30 IN A 10.96.0.2",
		"db.shop.corp.internal. 30 IN A 10.96.0.2",
		"web.corp.internal. 30 IN A 10.128.0.30",
	}
	for _, view := range []struct {
		inside bool
		want   []string
	}{{false, outside}, {true, inside}} {
		src.Inside = view.inside
		got, problems, _ := claimedRecordsOf(t, st, src, nil)
		slices.Sort(view.want)
		if !slices.Equal(got, view.want) || len(problems) > 0 {
			t.Errorf("inside=%v: got\n%s\nwant\n%s\nproblems %q", view.inside, strings.Join(got, "\n"), strings.Join(view.want, "\n"), problems)
		}
	}
}

// BenchmarkRecords measures one rebuild's claims and their resolution for a zone of 5,000
// exposed Services (each also claiming a shared name, so every name is contested) and 1,000
// Ingresses: zones are rebuilt on every change of what they read.
func BenchmarkRecords(b *testing.B) {
	var svcs []*model.Service
	var ings []*model.Ingress
	for i := range 5000 {
		s := withClusterIPs(exposed(fmt.Sprintf("ns%d", i%50), fmt.Sprintf("svc%d", i), &model.Exposure{
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{10, 128, byte(i >> 8), byte(i)})}, Annotated: true, Created: createdAt(i),
			Hostnames: []string{fmt.Sprintf("h%d.corp.internal.", i/2)}}, model.Port{Name: "https", Protocol: "TCP", Port: 443}), "10.96.0.1")
		svcs = append(svcs, s)
	}
	for i := range 1000 {
		ings = append(ings, &model.Ingress{Meta: model.Meta{Namespace: "web", Name: fmt.Sprintf("ing%d", i)},
			Hosts: []string{fmt.Sprintf("h%d.corp.internal.", i)}, Addrs: addrs("10.128.200.1"), Created: createdAt(i)})
	}
	st := model.NewStore()
	st.Replace(model.State{Namespaces: []string{"web"}, Services: svcs, Ingresses: ings})
	for _, inside := range []bool{false, true} {
		b.Run(fmt.Sprintf("inside=%v", inside), func(b *testing.B) {
			src := Sources{Zone: "corp.internal.", Services: ExportAnnotated, Ingresses: true, TTL: 30, Inside: inside}
			b.ReportAllocs()
			for b.Loop() {
				st.Read(func(v model.View) { records(&src, v, nil) })
			}
		})
	}
}

// A zone serves the claim rule's outcome through ServeDNS, follows the owner's deletion
// to the next claimant, and keeps the conflicts gauge of its view.
func TestZoneClaims(t *testing.T) {
	owner := withClusterIPs(exposed("shop", "pay", &model.Exposure{Addrs: addrs("10.128.1.1"), Annotated: true,
		Hostnames: []string{"pay.claims.internal."}, Created: createdAt(0)}), "10.96.0.1")
	thief := withClusterIPs(exposed("tenant", "pay", &model.Exposure{Addrs: addrs("10.128.1.66"), Annotated: true,
		Hostnames: []string{"pay.claims.internal."}, Created: createdAt(1)}), "10.96.0.66")
	st := model.NewStore()
	st.Replace(model.State{Namespaces: []string{"shop", "tenant"}, Services: []*model.Service{owner, thief}})
	st.SetSynced()
	zones := map[string]*Zone{}
	changed := map[string]chan uint32{}
	for _, view := range []string{"outside", "inside"} {
		z := New(&Config{Sources: Sources{Zone: "claims.internal.", Services: ExportAnnotated, TTL: 30, Inside: view == "inside"}}, t.Logf)
		changed[view] = make(chan uint32, 10)
		z.Changed = func(s uint32) { changed[view] <- s }
		if err := z.Start(st, time.Hour); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(z.Stop)
		<-changed[view] // Start's own publication
		zones[view] = z
	}
	check := func(view string, tc test.Case, conflicts float64) {
		t.Helper()
		_, m := serve(t, zones[view], tc)
		if err := test.SortAndCheck(m, tc); err != nil {
			t.Errorf("%s view: %v", view, err)
		}
		if got := testutil.ToFloat64(claimConflicts.WithLabelValues("claims.internal.", view)); got != conflicts {
			t.Errorf("%s view: %v conflicts, want %v", view, got, conflicts)
		}
	}
	a := func(ip string) []dns.RR { return []dns.RR{test.A("pay.claims.internal. 30 IN A " + ip)} }
	check("outside", test.Case{Qname: "pay.claims.internal.", Qtype: dns.TypeA, Answer: a("10.128.1.1")}, 1)
	check("inside", test.Case{Qname: "pay.claims.internal.", Qtype: dns.TypeA, Answer: a("10.96.0.1")}, 1)

	st.DeleteService(model.Key{Namespace: "shop", Name: "pay"})
	for view, ch := range changed {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s view: no rebuild after the owner's deletion", view)
		}
	}
	check("outside", test.Case{Qname: "pay.claims.internal.", Qtype: dns.TypeA, Answer: a("10.128.1.66")}, 0)
	check("inside", test.Case{Qname: "pay.claims.internal.", Qtype: dns.TypeA, Answer: a("10.96.0.66")}, 0)
	check("outside", test.Case{Qname: "pay.shop.claims.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError,
		Ns: []dns.RR{test.SOA("claims.internal. 30 IN SOA ns.dns.claims.internal. hostmaster.claims.internal. 1 7200 1800 86400 30")}}, 0)
}
