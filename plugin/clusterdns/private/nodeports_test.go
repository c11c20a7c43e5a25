package private

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// node is a Node eligible for NodePort traffic unless changed by edit.
func node(name, internal, external string, edit ...func(*model.Node)) *model.Node {
	n := &model.Node{Meta: model.Meta{Name: name}, Ready: true, InternalIPs: addrs(internal), Created: time.Unix(100, 0)}
	if external != "" {
		n.ExternalIPs = addrs(external)
	}
	for _, e := range edit {
		e(n)
	}
	return n
}

// nodePortService is an annotated NodePort Service with the named node ports name=port.
func nodePortService(ns, name, clusterIP string, local bool, ports ...string) *model.Service {
	e := &model.Exposure{Annotated: true, NodeLocal: local, Created: time.Unix(200, 0)}
	s := exposed(ns, name, e)
	s.ClusterIPs = addrs(clusterIP)
	for i, p := range ports {
		n, port, _ := strings.Cut(p, "=")
		var np int32
		fmt.Sscan(port, &np)
		e.NodePorts = append(e.NodePorts, model.Port{Name: n, Protocol: "TCP", Port: np})
		s.Ports = append(s.Ports, model.Port{Name: n, Protocol: "TCP", Port: int32(80 + i)})
	}
	return s
}

// nodePortStore holds six nodes of which two are eligible, and four Services: web
// (annotated), local (externalTrafficPolicy Local, two endpoints on n2), lb (annotated, with
// a load balancer address) and plain (not annotated).
func nodePortStore() *model.Store {
	st := model.NewStore()
	st.UpsertNode(node("n1", "10.0.0.1", "203.0.113.1"))
	st.UpsertNode(node("n2", "10.0.0.2", "", func(n *model.Node) { n.InternalIPs = append(n.InternalIPs, addrs("fd00::2")...) }))
	st.UpsertNode(node("n3", "10.0.0.3", "", func(n *model.Node) { n.Ready = false }))
	st.UpsertNode(node("n4", "10.0.0.4", "", func(n *model.Node) { n.Unschedulable = true }))
	st.UpsertNode(node("n5", "10.0.0.5", "", func(n *model.Node) { n.Deleting = true }))
	st.UpsertNode(node("n6", "10.0.0.6", "", func(n *model.Node) { n.Excluded = true }))
	st.UpsertService(nodePortService("shop", "web", "10.96.0.10", false, "http=30080", "=30081"))
	st.UpsertService(nodePortService("shop", "local", "10.96.0.11", true, "http=30090"))
	lb := nodePortService("shop", "lb", "10.96.0.12", false, "https=30443")
	lb.Exposure.Addrs = addrs("10.128.0.1")
	st.UpsertService(lb)
	plain := nodePortService("shop", "plain", "10.96.0.13", false, "http=30100")
	plain.Exposure.Annotated = false
	st.UpsertService(plain)
	st.UpsertSlice(&model.EndpointSlice{Meta: model.Meta{Namespace: "shop", Name: "local-1"}, Service: "local",
		NodeNames: []string{"n2", "n2", "n3"}})
	return st
}

func TestNodePortsSource(t *testing.T) {
	st := nodePortStore()
	nodes := []string{
		"everyone Node /n1 n1.nodes.np.internal. 30 IN A 10.0.0.1",
		"everyone Node /n2 n2.nodes.np.internal. 30 IN A 10.0.0.2",
		"everyone Node /n2 n2.nodes.np.internal. 30 IN AAAA fd00::2",
	}
	web := []string{
		"outside Service shop/web _http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n1.nodes.np.internal.",
		"outside Service shop/web _http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n2.nodes.np.internal.",
		"outside Service shop/web web.shop.np.internal. 30 IN A 10.0.0.1",
		"outside Service shop/web web.shop.np.internal. 30 IN A 10.0.0.2",
		"outside Service shop/web web.shop.np.internal. 30 IN AAAA fd00::2",
	}
	// Local: n2 alone runs ready endpoints (n3's is on a NotReady node), two of them
	local := []string{
		"outside Service shop/local _http._tcp.local.shop.np.internal. 30 IN SRV 0 200 30090 n2.nodes.np.internal.",
		"outside Service shop/local local.shop.np.internal. 30 IN A 10.0.0.2",
		"outside Service shop/local local.shop.np.internal. 30 IN AAAA fd00::2",
	}
	lb := []string{
		"outside Service shop/lb _https._tcp.lb.shop.np.internal. 30 IN SRV 0 100 30443 n1.nodes.np.internal.",
		"outside Service shop/lb _https._tcp.lb.shop.np.internal. 30 IN SRV 0 100 30443 n2.nodes.np.internal.",
		"outside Service shop/lb lb.shop.np.internal. 30 IN A 10.0.0.1",
		"outside Service shop/lb lb.shop.np.internal. 30 IN A 10.0.0.2",
		"outside Service shop/lb lb.shop.np.internal. 30 IN AAAA fd00::2",
	}
	plain := []string{
		"outside Service shop/plain _http._tcp.plain.shop.np.internal. 30 IN SRV 0 100 30100 n1.nodes.np.internal.",
		"outside Service shop/plain _http._tcp.plain.shop.np.internal. 30 IN SRV 0 100 30100 n2.nodes.np.internal.",
		"outside Service shop/plain plain.shop.np.internal. 30 IN A 10.0.0.1",
		"outside Service shop/plain plain.shop.np.internal. 30 IN A 10.0.0.2",
		"outside Service shop/plain plain.shop.np.internal. 30 IN AAAA fd00::2",
	}
	for _, tc := range []struct {
		name string
		src  Sources
		want [][]string
	}{
		{name: "off", src: Sources{Zone: "np.internal.", TTL: 30, Services: ExportAll}},
		{
			// a load balancer's Service too: the zone does not serve its address
			name: "annotated Services",
			src:  Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP},
			want: [][]string{nodes, web, local, lb},
		},
		{
			name: "every Service; load balancer addresses win",
			src:  Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP, Services: ExportAll},
			want: [][]string{nodes, web, local, plain},
		},
		{
			name: "external IPs",
			src:  Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeExternalIP, Namespaces: model.Namespaces{"shop": true}},
			want: [][]string{{
				"everyone Node /n1 n1.nodes.np.internal. 30 IN A 203.0.113.1",
				"outside Service shop/lb _https._tcp.lb.shop.np.internal. 30 IN SRV 0 100 30443 n1.nodes.np.internal.",
				"outside Service shop/lb lb.shop.np.internal. 30 IN A 203.0.113.1",
				"outside Service shop/web _http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n1.nodes.np.internal.",
				"outside Service shop/web web.shop.np.internal. 30 IN A 203.0.113.1",
			}},
		},
		{
			name: "other namespaces",
			src:  Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP, Namespaces: model.Namespaces{"blog": true}},
			want: [][]string{nodes},
		},
		{
			name: "inside, other namespaces",
			src:  Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP, Inside: true, Namespaces: model.Namespaces{"blog": true}},
			want: [][]string{nodes},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := claims(t, st, &tc.src, nodePorts)
			want := slices.Concat(tc.want...)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(problems) > 0 {
				t.Errorf("problems: %q", problems)
			}
		})
	}
}

func TestNodePortsInside(t *testing.T) {
	st := model.NewStore()
	st.UpsertNode(node("n1", "10.0.0.1", ""))
	st.UpsertService(nodePortService("shop", "web", "10.96.0.10", false, "http=30080"))
	got, _ := claims(t, st, &Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP, Inside: true}, nodePorts)
	want := []string{
		"everyone Node /n1 n1.nodes.np.internal. 30 IN A 10.0.0.1",
		"inside Service shop/web _http._tcp.web.shop.np.internal. 30 IN SRV 0 100 80 web.shop.np.internal.",
		"inside Service shop/web web.shop.np.internal. 30 IN A 10.96.0.10",
	}
	if !slices.Equal(got, want) {
		t.Errorf("claims:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A node whose name makes no host name is reported and left out; the others stay.
func TestNodePortsBadNodeName(t *testing.T) {
	st := model.NewStore()
	st.UpsertNode(node("n1", "10.0.0.1", ""))
	st.UpsertNode(node(strings.Repeat("x", 250), "10.0.0.9", ""))
	st.UpsertService(nodePortService("shop", "web", "10.96.0.10", false, "http=30080"))
	got, problems := claims(t, st, &Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP}, nodePorts)
	if len(got) != 3 || len(problems) != 1 || !strings.Contains(problems[0], "is not a valid host name") {
		t.Errorf("claims %q, problems %q: want n1's and web's three, one problem", got, problems)
	}
}

// NodePortRecords is what other packages (peer clusters) call for one Service.
func TestNodePortRecords(t *testing.T) {
	st := nodePortStore()
	st.Read(func(v model.View) {
		as, srvs, nodeRRs := NodePortRecords(v, v.Service(model.Key{Namespace: "shop", Name: "local"}), "local.shop.svc.clusterset.local.", "nodes.east.clusterset.local.", NodeInternalIP, 5)
		got := fmt.Sprint(as, srvs, nodeRRs)
		want := fmt.Sprint(
			[]dns.RR{test.A("local.shop.svc.clusterset.local. 5 IN A 10.0.0.2"), test.AAAA("local.shop.svc.clusterset.local. 5 IN AAAA fd00::2")},
			[]dns.RR{test.SRV("_http._tcp.local.shop.svc.clusterset.local. 5 IN SRV 0 200 30090 n2.nodes.east.clusterset.local.")},
			[]dns.RR{test.A("n2.nodes.east.clusterset.local. 5 IN A 10.0.0.2"), test.AAAA("n2.nodes.east.clusterset.local. 5 IN AAAA fd00::2")})
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
		// a ClusterIP Service has no node ports
		cip := exposed("shop", "cip", &model.Exposure{Annotated: true, Addrs: addrs("10.128.0.9")})
		if a, s, n := NodePortRecords(v, cip, "cip.shop.", "nodes.", NodeInternalIP, 5); a != nil || s != nil || n != nil {
			t.Errorf("ClusterIP Service: %v %v %v", a, s, n)
		}
	})
}

func TestParseNodePorts(t *testing.T) {
	for _, tc := range []struct {
		input   string
		want    NodeAddress
		wantErr string
	}{
		{input: "private a.example {\n nodeports\n}", want: NodeInternalIP},
		{input: "private a.example {\n nodeports InternalIP\n}", want: NodeInternalIP},
		{input: "private a.example {\n nodeports ExternalIP\n services all\n}", want: NodeExternalIP},
		{input: "private a.example {\n nodeports Hostname\n}", wantErr: `nodeports "Hostname": want InternalIP or ExternalIP`},
		{input: "private a.example {\n nodeports InternalIP ExternalIP\n}", wantErr: "Wrong argument count"},
		{input: "private 10.in-addr.arpa {\n nodeports\n}", wantErr: "reverse zone"},
	} {
		p, ok := parseCase(t, tc.input, tc.wantErr)
		if !ok {
			continue
		}
		if p.NodePorts != tc.want || !p.ReadsCluster() || !slices.Contains(p.Kinds(), model.KindNode) {
			t.Errorf("%q: %v, kinds %v: want %v and Nodes read", tc.input, p.NodePorts, p.Kinds(), tc.want)
		}
	}
}

// An SRV answer of a zone with nodeports carries the nodes' addresses in the Additional
// section, and a node that stops being Ready leaves the answers.
func TestServeNodePorts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.np.internal")
	if err := os.WriteFile(path, []byte("$ORIGIN np.internal.\n@ 30 IN SOA ns hostmaster 1 7200 1800 86400 30\n@ 30 IN NS ns\nns 30 IN A 10.0.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.UpsertNode(node("n1", "10.0.0.1", ""))
	st.UpsertNode(node("n2", "10.0.0.2", ""))
	st.UpsertService(nodePortService("shop", "web", "10.96.0.10", false, "http=30080"))
	st.SetSynced()
	st.SetKindSynced(model.KindNode)
	z := New(&Config{Sources: Sources{Zone: "np.internal.", TTL: 30, NodePorts: NodeInternalIP}, File: path}, t.Logf)
	if err := z.Start(st, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	eventually(t, "ready", z.Ready)
	check := func(tc test.Case) {
		t.Helper()
		_, m := serve(t, z, tc)
		if err := test.SortAndCheck(m, tc); err != nil {
			t.Error(err)
		}
	}
	check(test.Case{Qname: "_http._tcp.web.shop.np.internal.", Qtype: dns.TypeSRV,
		Answer: []dns.RR{
			test.SRV("_http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n1.nodes.np.internal."),
			test.SRV("_http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n2.nodes.np.internal."),
		},
		Extra: []dns.RR{test.A("n1.nodes.np.internal. 30 IN A 10.0.0.1"), test.A("n2.nodes.np.internal. 30 IN A 10.0.0.2")},
	})
	check(test.Case{Qname: "n2.nodes.np.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("n2.nodes.np.internal. 30 IN A 10.0.0.2")}})

	st.UpsertNode(node("n2", "10.0.0.2", "", func(n *model.Node) { n.Ready, n.ResourceVersion = false, "2" }))
	if err := z.rebuild(); err != nil { // what the zone's loop runs on the change; it has seen it on return
		t.Fatal(err)
	}
	check(test.Case{Qname: "web.shop.np.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.shop.np.internal. 30 IN A 10.0.0.1")}})
	check(test.Case{Qname: "_http._tcp.web.shop.np.internal.", Qtype: dns.TypeSRV,
		Answer: []dns.RR{test.SRV("_http._tcp.web.shop.np.internal. 30 IN SRV 0 100 30080 n1.nodes.np.internal.")},
		Extra:  []dns.RR{test.A("n1.nodes.np.internal. 30 IN A 10.0.0.1")},
	})
	soa := test.SOA(fmt.Sprintf("np.internal. 30 IN SOA ns.np.internal. hostmaster.np.internal. %d 7200 1800 86400 30", z.Current().Serial()))
	check(test.Case{Qname: "n2.nodes.np.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa}})
}
