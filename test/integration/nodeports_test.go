package integration

import (
	"context"
	"fmt"
	"io"
	"log"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestNodePorts is issue 13's part 1 on the real API server: Nodes created and their status
// patched as a kubelet and the node lifecycle controller would (the test API server runs
// neither), NodePort Services answered with their eligible nodes, and every change of
// eligibility in the answers within a second of the API server accepting it.
func TestNodePorts(t *testing.T) {
	e := k8senv.Get(t)
	logs := &claimsLog{}
	saved := log.Writer()
	log.SetOutput(io.MultiWriter(saved, logs))
	t.Cleanup(func() { log.SetOutput(saved) })
	ns := e.Namespace(t, "nodeports")
	emptyAtEnd(t, e, ns)
	ctx := context.Background()
	nodes := e.Client.CoreV1().Nodes()

	// Nodes are cluster-scoped: named after the test's namespace, deleted at the end
	var created []string
	t.Cleanup(func() {
		for _, n := range created {
			if err := nodes.Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
				t.Logf("deleting node %s: %v", n, err)
			}
		}
	})
	// status writes a node's status as its kubelet does: Ready or not, and its addresses
	status := func(name string, ready corev1.ConditionStatus, addrs ...corev1.NodeAddress) {
		t.Helper()
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "Test"}}
		if addrs != nil {
			n.Status.Addresses = addrs
		}
		if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// edit changes a node's metadata or spec (cordon, labels, finalizers)
	edit := func(name string, change func(*corev1.Node)) {
		t.Helper()
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		change(n)
		if _, err := nodes.Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	addNode := func(name string, addrs ...corev1.NodeAddress) {
		t.Helper()
		if _, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		created = append(created, name)
		status(name, corev1.ConditionTrue, addrs...)
	}
	internal := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
	}
	external := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: ip}
	}

	// a node whose name makes no host name under nodes.ZONE: skipped and logged, the rest
	// of the zone serves
	long := ns + "." + strings.Repeat(strings.Repeat("x", 60)+".", 3)
	long += strings.Repeat("y", 250-len(long)) // a valid node name, too long with .nodes.np.internal.
	addNode(long, internal("10.201.0.99"))
	n1, n2 := ns+"-a", ns+"-b"
	addNode(n1, internal("10.201.0.1"), external("203.0.113.1"), corev1.NodeAddress{Type: corev1.NodeHostName, Address: n1})
	addNode(n2, internal("10.201.0.2"), internal("fd00:201::2"))

	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private np.internal {
            nodeports
        }
        private ext.internal {
            nodeports ExternalIP
            services all
        }
    }
}
`, port, e.Kubeconfig))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	zone := ns + ".np.internal."

	// an exported NodePort Service and a plain one (exported by `services all` only)
	web := service(ns, "web", "", svcPort{"http", corev1.ProtocolTCP, 80}, svcPort{"dns", corev1.ProtocolUDP, 53})
	web.Spec.Type = corev1.ServiceTypeNodePort
	web.Annotations = map[string]string{"clusterdns.io/export": "true"}
	plain := service(ns, "plain", "", svcPort{"http", corev1.ProtocolTCP, 80})
	plain.Spec.Type = corev1.ServiceTypeNodePort
	create(t, e, web, plain)
	nodePort := getService(t, e, ns, "web").Spec.Ports[0].NodePort
	srv := func(weight int, node string) string {
		return fmt.Sprintf("SRV 0 %d %d %s.nodes.np.internal.", weight, nodePort, node)
	}
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")
	harness.ExpectNow(t, addr, "web."+zone, dns.TypeAAAA, "NOERROR: AAAA fd00:201::2")
	harness.ExpectNow(t, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: "+srv(100, n1)+", "+srv(100, n2))
	harness.ExpectNow(t, addr, n1+".nodes.np.internal.", dns.TypeA, "NOERROR: A 10.201.0.1")
	dnsPort := getService(t, e, ns, "web").Spec.Ports[1].NodePort
	harness.ExpectNow(t, addr, "_dns._udp.web."+zone, dns.TypeSRV, fmt.Sprintf("NOERROR: SRV 0 100 %d %s.nodes.np.internal., SRV 0 100 %d %s.nodes.np.internal.", dnsPort, n1, dnsPort, n2))
	harness.ExpectNow(t, addr, "plain."+zone, dns.TypeA, "NXDOMAIN: ") // not exported here
	harness.ExpectNow(t, addr, "plain."+ns+".ext.internal.", dns.TypeA, "NOERROR: A 203.0.113.1")
	harness.ExpectNow(t, addr, "web."+ns+".ext.internal.", dns.TypeA, "NOERROR: A 203.0.113.1") // n2 has no ExternalIP

	// the Additional section holds the nodes' addresses
	m := harness.Query(t, addr, "_http._tcp.web."+zone, dns.TypeSRV)
	var extra []string
	for _, rr := range m.Extra {
		extra = append(extra, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	slices.Sort(extra)
	if want := []string{
		n1 + ".nodes.np.internal. 30 IN A 10.201.0.1",
		n2 + ".nodes.np.internal. 30 IN A 10.201.0.2",
		n2 + ".nodes.np.internal. 30 IN AAAA fd00:201::2",
	}; !slices.Equal(extra, want) {
		t.Errorf("additional section:\n%s\nwant:\n%s", strings.Join(extra, "\n"), strings.Join(want, "\n"))
	}
	if n := strings.Count(logs.String(), long+".nodes.np.internal. is not a valid host name"); n != 1 {
		t.Errorf("the bad node's name logged %d times, want once:\n%s", n, logs.String())
	}

	// a node going NotReady leaves within a second of the API server saying so; it is
	// back when Ready again
	start := time.Now()
	status(n2, corev1.ConditionFalse)
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.1")
	t.Logf("a node NotReady left the answers %v after the status update was written (bound: %v)", time.Since(start), within)
	harness.ExpectNow(t, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: "+srv(100, n1))
	harness.ExpectNow(t, addr, n2+".nodes.np.internal.", dns.TypeA, "NXDOMAIN: ")
	status(n2, corev1.ConditionTrue)
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")

	// cordoned, excluded from load balancers, being deleted: each leaves
	for _, c := range []struct {
		what         string
		change, undo func(*corev1.Node)
	}{
		{"cordoned", func(n *corev1.Node) { n.Spec.Unschedulable = true }, func(n *corev1.Node) { n.Spec.Unschedulable = false }},
		{"excluded", func(n *corev1.Node) { n.Labels[corev1.LabelNodeExcludeBalancers] = "true" },
			func(n *corev1.Node) { delete(n.Labels, corev1.LabelNodeExcludeBalancers) }},
	} {
		edit(n1, func(n *corev1.Node) {
			if n.Labels == nil {
				n.Labels = map[string]string{}
			}
			c.change(n)
		})
		harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.2")
		edit(n1, c.undo)
		harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")
	}
	edit(n1, func(n *corev1.Node) { n.Finalizers = []string{"clusterdns.io/test"} })
	if err := nodes.Delete(ctx, n1, metav1.DeleteOptions{}); err != nil { // held by the finalizer
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.2")
	edit(n1, func(n *corev1.Node) { n.Finalizers = nil }) // now it goes
	created = slices.DeleteFunc(created, func(s string) bool { return s == n1 })
	addNode(n1, internal("10.201.0.1"))
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")

	// externalTrafficPolicy Local: only the nodes running a ready endpoint, weighted by
	// their endpoints; the endpoints moving move the answers
	local := service(ns, "local", "", svcPort{"http", corev1.ProtocolTCP, 80})
	local.Spec.Type = corev1.ServiceTypeNodePort
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	local.Annotations = map[string]string{"clusterdns.io/export": "true"}
	create(t, e, local)
	localPort := getService(t, e, ns, "local").Spec.Ports[0].NodePort
	sl := slice(ns, "local-1", "local", discoveryv1.AddressTypeIPv4, []svcPort{{"http", corev1.ProtocolTCP, 8080}},
		endpoint{ip: "10.1.0.1"}, endpoint{ip: "10.1.0.2"}, endpoint{ip: "10.1.0.3", ready: ptr.To(false)})
	sl.Endpoints[0].NodeName, sl.Endpoints[1].NodeName, sl.Endpoints[2].NodeName = ptr.To(n2), ptr.To(n2), ptr.To(n1)
	create(t, e, sl)
	harness.Expect(t, within, addr, "local."+zone, dns.TypeA, "NOERROR: A 10.201.0.2")
	harness.ExpectNow(t, addr, "_http._tcp.local."+zone, dns.TypeSRV, fmt.Sprintf("NOERROR: SRV 0 200 %d %s.nodes.np.internal.", localPort, n2))
	sl, err := e.Client.DiscoveryV1().EndpointSlices(ns).Get(ctx, "local-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sl.Endpoints[2].Conditions.Ready = ptr.To(true) // n1's pod is ready now
	if _, err := e.Client.DiscoveryV1().EndpointSlices(ns).Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "local."+zone, dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")
	harness.ExpectNow(t, addr, "_http._tcp.local."+zone, dns.TypeSRV,
		fmt.Sprintf("NOERROR: SRV 0 100 %d %s.nodes.np.internal., SRV 0 200 %d %s.nodes.np.internal.", localPort, n1, localPort, n2))

	// not exported any more: gone; web's answer after it shows the server saw the change
	// (one watch of Services delivers both in order)
	local = getService(t, e, ns, "local")
	local.Annotations = nil
	if _, err := e.Client.CoreV1().Services(ns).Update(ctx, local, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	web = getService(t, e, ns, "web")
	web.Annotations["clusterdns.io/hostname"] = "shop.np.internal"
	if _, err := e.Client.CoreV1().Services(ns).Update(ctx, web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "shop.np.internal.", dns.TypeA, "NOERROR: A 10.201.0.1, A 10.201.0.2")
	harness.ExpectNow(t, addr, "local."+zone, dns.TypeA, "NXDOMAIN: ")
}
