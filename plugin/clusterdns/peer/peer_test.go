package peer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	golog "log"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func TestParseBlock(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "east.kubeconfig")
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		input   string
		want    Config
		wantErr string
	}{
		{input: "peer East {\n kubeconfig " + kc + " ctx\n export_annotation myco.com/exported-service\n endpoints\n}",
			want: Config{Name: "east", Kubeconfig: kc, Context: "ctx", ExportAnnotation: "myco.com/exported-service", Endpoints: true}},
		{input: "peer east {\n kubeconfig " + kc + "\n}", want: Config{Name: "east", Kubeconfig: kc, ExportAnnotation: "clusterdns.io/export"}},
		{input: "peer east {\n endpoints\n}", wantErr: "no kubeconfig"},
		{input: "peer east", wantErr: "want a block"},
		{input: "peer {\n}", wantErr: "want one name"},
		{input: "peer local {\n kubeconfig " + kc + "\n}", wantErr: "local cluster"},
		{input: "peer a.b {\n kubeconfig " + kc + "\n}", wantErr: "cluster label"},
		{input: "peer east {\n kubeconfig " + kc + "\n endpoints yes\n}", wantErr: "Wrong argument count"},
		{input: "peer east {\n kubeconfig " + kc + "\n export_annotation\n}", wantErr: "Wrong argument count"},
		{input: "peer east {\n kubeconfig " + kc + "\n nodeports ExternalIP\n}", want: Config{Name: "east", Kubeconfig: kc, ExportAnnotation: "clusterdns.io/export", ExternalIP: true}},
		{input: "peer east {\n kubeconfig " + kc + "\n nodeports InternalIP\n}", want: Config{Name: "east", Kubeconfig: kc, ExportAnnotation: "clusterdns.io/export"}},
		{input: "peer east {\n kubeconfig " + kc + "\n nodeports\n}", wantErr: "want InternalIP or ExternalIP"},
		{input: "peer east {\n kubeconfig " + kc + "\n nodeports HostName\n}", wantErr: "want InternalIP or ExternalIP"},
		{input: "peer east {\n kubeconfig " + kc + "\n color blue\n}", wantErr: `unknown property "color"`},
	}
	for _, tc := range tests {
		c := caddy.NewTestController("dns", tc.input)
		c.Next()
		got, err := ParseBlock(c)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one with %q", tc.input, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.input, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.input, *got, tc.want)
		}
	}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// records renders a Node as "A 1.2.3.4", "SRV 80 target" and "EXTRA target 1.2.3.4" lines.
func records(n *index.Node) string {
	if n == nil {
		return "NXDOMAIN"
	}
	var out []string
	for _, ip := range append(slices.Clone(n.A), n.AAAA...) {
		out = append(out, "A "+ip.String())
	}
	for _, s := range n.SRV {
		out = append(out, fmt.Sprintf("SRV %d %d %s", s.Weight, s.Port, s.Target))
	}
	for _, a := range n.Extra {
		out = append(out, "EXTRA "+a.Target+" "+a.IP.String())
	}
	return strings.Join(out, "; ")
}

func TestBuilder(t *testing.T) {
	http := model.PeerPort{Port: model.Port{Name: "http", Protocol: "TCP", Port: 80}, NodePort: 30080}
	lb := &model.PeerService{Meta: model.Meta{Name: "web", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.10"),
		Ports: []model.PeerPort{http}, LoadBalancer: addrs("192.0.2.10", "2001:db8::10"), NodePorts: true}
	plain := &model.PeerService{Meta: model.Meta{Name: "api", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.11"),
		Ports: []model.PeerPort{http}}
	headless := &model.PeerService{Meta: model.Meta{Name: "db", Namespace: "shop"}, Headless: true}
	sl := []*model.EndpointSlice{{
		Ports:     []model.Port{{Name: "pg", Protocol: "TCP", Port: 5432}},
		Endpoints: []model.Endpoint{{Addresses: addrs("10.8.0.1"), Hostname: "db-0"}, {Addresses: addrs("10.8.0.2")}},
	}}
	east := &Config{Name: "east"}
	flat := &Config{Name: "west", Endpoints: true}
	local := Local("kube:in-cluster", "", "", "", [3]string{})

	b := newBuilder()
	if !b.service(east, model.View{}, lb, nil) {
		t.Error("a Service with a load balancer address is reachable")
	}
	if b.service(east, model.View{}, plain, sl) || b.service(east, model.View{}, headless, sl) {
		t.Error("without load balancer, node ports or endpoints a Service is not reachable")
	}
	b.service(local, model.View{}, plain, nil)
	b.service(flat, model.View{}, plain, sl)
	b.service(flat, model.View{}, headless, sl)
	b.weigh()
	snap := index.Overlay(empty, b.names, 1)

	for _, tc := range []struct{ name, want string }{
		{"web.shop.svc", "A 192.0.2.10; A 2001:db8::10; SRV 100 80 web.shop.svc.; EXTRA web.shop.svc. 192.0.2.10; EXTRA web.shop.svc. 2001:db8::10"},
		{"_http._tcp.web.shop.svc", "SRV 100 80 web.shop.svc.; EXTRA web.shop.svc. 192.0.2.10; EXTRA web.shop.svc. 2001:db8::10"},
		{"_tcp.web.shop.svc", ""},
		// the local ClusterIP first, then the flat peer's endpoints with their own ports
		{"api.shop.svc", "A 10.96.0.11; A 10.8.0.1; A 10.8.0.2; SRV 33 80 api.shop.svc.; SRV 33 5432 db-0.west.api.shop.svc.; SRV 33 5432 10-8-0-2.west.api.shop.svc.; " +
			"EXTRA api.shop.svc. 10.96.0.11; EXTRA db-0.west.api.shop.svc. 10.8.0.1; EXTRA 10-8-0-2.west.api.shop.svc. 10.8.0.2"},
		{"db-0.west.db.shop.svc", "A 10.8.0.1"},
		{"10-8-0-2.west.db.shop.svc", "A 10.8.0.2"},
		{"west.db.shop.svc", ""},
		{"_pg._tcp.db.shop.svc", "SRV 50 5432 db-0.west.db.shop.svc.; SRV 50 5432 10-8-0-2.west.db.shop.svc.; EXTRA db-0.west.db.shop.svc. 10.8.0.1; EXTRA 10-8-0-2.west.db.shop.svc. 10.8.0.2"},
		{"shop.svc", ""},
		{"svc", ""},
		{"db-0.east.db.shop.svc", "NXDOMAIN"},
		{"other.shop.svc", "NXDOMAIN"},
	} {
		if got := records(snap.Lookup(tc.name)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestReportLogsOncePerMinute: a peer that keeps failing is logged when it starts failing
// and then once per minute, not at every probe; its recovery is logged once.
func TestReportLogsOncePerMinute(t *testing.T) {
	var buf bytes.Buffer
	golog.SetOutput(&buf)
	defer golog.SetOutput(io.Discard)
	c := newCluster(Config{Name: "east", Kubeconfig: "/k/east"})
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	rejectedErr := apierrors.NewUnauthorized("token expired")
	for range 30 { // a probe every 2 s for 58 s
		c.report(rejectedErr)
		now = now.Add(2 * time.Second)
	}
	if n := strings.Count(buf.String(), "peer east rejects us (kubeconfig /k/east)"); n != 1 {
		t.Fatalf("logged %d times in 58 s, want once:\n%s", n, buf.String())
	}
	now = now.Add(2 * time.Second) // 60 s after the first
	c.report(errors.New("connection refused"))
	if n := strings.Count(buf.String(), "[WARNING]"); n != 2 {
		t.Fatalf("logged %d times after a minute, want twice:\n%s", n, buf.String())
	}
	c.report(nil)
	c.report(nil)
	if n := strings.Count(buf.String(), "answers again"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, buf.String())
	}
}

// TestBuilderNodePorts: a NodePort Service without a load balancer address answers the
// peer's eligible nodes, SRV records naming NODE.CLUSTER.nodes with the node port; with
// externalTrafficPolicy Local only the nodes running a ready endpoint, weighted by their
// endpoints; a load balancer
// address still wins; with no eligible node the Service falls through to its endpoints.
func TestBuilderNodePorts(t *testing.T) {
	st := model.NewStore()
	node := func(name, ip string, ready bool) *model.Node {
		return &model.Node{Meta: model.Meta{Name: name}, InternalIPs: addrs(ip), ExternalIPs: addrs("203.0.113.9"), Ready: ready}
	}
	st.UpsertNode(node("Node-1", "198.51.100.1", true))
	st.UpsertNode(node("node-2", "198.51.100.2", true))
	st.UpsertNode(node("node-3", "198.51.100.3", false))
	excluded := node("node-4", "198.51.100.4", true)
	excluded.Excluded = true
	st.UpsertNode(excluded)
	st.UpsertSlice(&model.EndpointSlice{Meta: model.Meta{Name: "local-x", Namespace: "shop"}, Service: "local", NodeNames: []string{"node-2"}})
	// two endpoints on node-2, one on node-1: node-2 takes twice the clients
	st.UpsertSlice(&model.EndpointSlice{Meta: model.Meta{Name: "spread-x", Namespace: "shop"}, Service: "spread", NodeNames: []string{"node-2", "node-1", "node-2"}})

	http := model.PeerPort{Port: model.Port{Name: "http", Protocol: "TCP", Port: 80}, NodePort: 30080}
	np := &model.PeerService{Meta: model.Meta{Name: "np", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.12"), Ports: []model.PeerPort{http}, NodePorts: true}
	local := &model.PeerService{Meta: model.Meta{Name: "local", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.14"), Ports: []model.PeerPort{http},
		NodePorts: true, LocalTraffic: true}
	lb := &model.PeerService{Meta: model.Meta{Name: "lb", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.13"), Ports: []model.PeerPort{http},
		NodePorts: true, LoadBalancer: addrs("192.0.2.13")}
	spread := &model.PeerService{Meta: model.Meta{Name: "spread", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.16"), Ports: []model.PeerPort{http},
		NodePorts: true, LocalTraffic: true}
	// no endpoint anywhere: Local traffic has no node to go to
	nowhere := &model.PeerService{Meta: model.Meta{Name: "nowhere", Namespace: "shop"}, ClusterIPs: addrs("10.96.0.15"), Ports: []model.PeerPort{http},
		NodePorts: true, LocalTraffic: true}
	b := newBuilder()
	east := &Config{Name: "east"}
	st.Read(func(v model.View) {
		for _, s := range []*model.PeerService{np, local, lb, spread} {
			if !b.service(east, v, s, v.Slices(model.Key{Namespace: s.Namespace, Name: s.Name})) {
				t.Errorf("%s is reachable", s.Name)
			}
		}
		// nodeports ExternalIP: the nodes' ExternalIPs
		w := newBuilder()
		w.service(&Config{Name: "west", ExternalIP: true}, v, np, nil)
		if got, want := records(w.names["node-1.west.nodes"]), "A 203.0.113.9"; got != want {
			t.Errorf("ExternalIP: node-1.west.nodes %s, want %s", got, want)
		}
		if b.service(east, v, nowhere, nil) {
			t.Error("a Local Service without endpoints is not reachable at its node ports")
		}
	})
	b.weigh()
	snap := index.Overlay(empty, b.names, 1)
	for _, tc := range []struct{ name, want string }{
		{"np.shop.svc", "A 198.51.100.1; A 198.51.100.2; SRV 50 30080 node-1.east.nodes.; SRV 50 30080 node-2.east.nodes.; " +
			"EXTRA node-1.east.nodes. 198.51.100.1; EXTRA node-2.east.nodes. 198.51.100.2"},
		{"_http._tcp.np.shop.svc", "SRV 50 30080 node-1.east.nodes.; SRV 50 30080 node-2.east.nodes.; " +
			"EXTRA node-1.east.nodes. 198.51.100.1; EXTRA node-2.east.nodes. 198.51.100.2"},
		{"local.shop.svc", "A 198.51.100.2; SRV 100 30080 node-2.east.nodes.; EXTRA node-2.east.nodes. 198.51.100.2"},
		{"_http._tcp.spread.shop.svc", "SRV 50 30080 node-1.east.nodes.; SRV 100 30080 node-2.east.nodes.; " +
			"EXTRA node-1.east.nodes. 198.51.100.1; EXTRA node-2.east.nodes. 198.51.100.2"},
		{"node-1.east.nodes", "A 198.51.100.1"},
		{"node-2.east.nodes", "A 198.51.100.2"},
		{"east.nodes", ""},
		{"nodes", ""},
		{"node-3.east.nodes", "NXDOMAIN"},
		{"node-4.east.nodes", "NXDOMAIN"},
		{"lb.shop.svc", "A 192.0.2.13; SRV 100 80 lb.shop.svc.; EXTRA lb.shop.svc. 192.0.2.13"},
		{"nowhere.shop.svc", "NXDOMAIN"},
	} {
		if got := records(snap.Lookup(tc.name)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestNotifyExportedOnly: a peer's slices are read for node ports whether or not its
// Services are exported; a change of an unexported Service's slices rebuilds nothing, an
// exported one's and a Node's do.
func TestNotifyExportedOnly(t *testing.T) {
	c := newCluster(Config{Name: "east"})
	set := NewSet(DefaultZone, nil)
	c.subscribe(set)
	exported := model.Key{Namespace: "shop", Name: "web"}
	other := model.Key{Namespace: "shop", Name: "internal"}
	c.services[exported] = &model.PeerService{Meta: model.Meta{Namespace: "shop", Name: "web"}, Annotated: true}
	c.services[other] = &model.PeerService{Meta: model.Meta{Namespace: "shop", Name: "internal"}}
	poked := func() bool {
		select {
		case <-set.wake:
			return true
		default:
			return false
		}
	}
	for _, tc := range []struct {
		change model.Change
		want   bool
	}{
		{model.Change{Service: other}, false},
		{model.Change{Service: model.Key{Namespace: "shop", Name: "unknown"}}, false},
		{model.Change{Service: exported}, true},
		{model.Change{Private: true}, true}, // a Node
		{model.Change{}, true},
	} {
		c.Notify(tc.change)
		if got := poked(); got != tc.want {
			t.Errorf("%+v: rebuild %t, want %t", tc.change, got, tc.want)
		}
	}
	c.exports[other] = true
	c.Notify(model.Change{Service: other})
	if !poked() {
		t.Error("a Service exported by a ServiceExport: no rebuild")
	}
}
