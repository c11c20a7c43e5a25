package integration

import (
	"context"
	"fmt"
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

// TestPeerNodePorts: a NodePort Service exported in a peer without a load balancer address
// is answered in clusterset.local with the peer's Ready nodes and SRV records naming
// NODE.CLUSTER.nodes with its node port, read through a kubeconfig with the ClusterRole the
// README gives (no endpoints option); with externalTrafficPolicy Local only the nodes
// running a ready endpoint; a node going NotReady leaves within a second of the peer's API
// server saying so, and comes back; with `nodeports ExternalIP` the nodes' ExternalIPs.
func TestPeerNodePorts(t *testing.T) {
	e := k8senv.Get(t)
	p := k8senv.Another(t)
	installServiceExportCRD(t, dynamicFor(t, p))
	ns := p.Namespace(t, "peernp")
	ctx := context.Background()
	nodes := p.Client.CoreV1().Nodes()

	// status writes a node's Ready condition and addresses as its kubelet would (the test
	// API server runs none)
	status := func(name string, ready corev1.ConditionStatus, ips ...string) {
		t.Helper()
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "Test"}}
		for _, ip := range ips {
			n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
		}
		if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n1, n2 := ns+"-a", ns+"-b"
	for i, n := range []string{n1, n2} {
		if _, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := nodes.Delete(ctx, n, metav1.DeleteOptions{}); err != nil {
				t.Logf("deleting node %s: %v", n, err)
			}
		})
		status(n, corev1.ConditionTrue, fmt.Sprintf("10.202.0.%d", i+1))
	}

	web := service(ns, "web", "", svcPort{"http", corev1.ProtocolTCP, 80})
	web.Spec.Type = corev1.ServiceTypeNodePort
	web.Annotations = exported
	local := service(ns, "local", "", svcPort{"http", corev1.ProtocolTCP, 80})
	local.Spec.Type = corev1.ServiceTypeNodePort
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	local.Annotations = exported
	sl := slice(ns, "local-1", "local", discoveryv1.AddressTypeIPv4, []svcPort{{"http", corev1.ProtocolTCP, 8080}},
		endpoint{ip: "10.8.3.1"}, endpoint{ip: "10.8.3.2", ready: ptr.To(false)})
	sl.Endpoints[0].NodeName, sl.Endpoints[1].NodeName = ptr.To(n2), ptr.To(n1)
	create(t, p, web, local, sl)
	peerLoadBalancer(t, p, ns, "lb", "192.0.2.50", exported) // a LoadBalancer: its address wins over its node ports
	webPort := getService(t, p, ns, "web").Spec.Ports[0].NodePort
	localPort := getService(t, p, ns, "local").Spec.Ports[0].NodePort
	lbPort := getService(t, p, ns, "lb").Spec.Ports[0].NodePort
	if lbPort == 0 {
		t.Fatal("the LoadBalancer Service got no node port")
	}

	kc := readerKubeconfig(t, p, ns, ns+"-reader")
	port := harness.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer east {
            kubeconfig %s
        }
    }
}
`, port, e.Kubeconfig, kc))

	zone := ns + ".svc.clusterset.local."
	nodeName := func(n string) string { return n + ".east.nodes.clusterset.local." }
	srv := func(weight int, port int32, n string) string {
		return fmt.Sprintf("SRV 0 %d %d %s", weight, port, nodeName(n))
	}
	// the first sync of a peer takes its initial lists: longer than a change
	harness.Expect(t, 10*time.Second, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.202.0.1, A 10.202.0.2")
	harness.ExpectNow(t, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: "+srv(50, webPort, n1)+", "+srv(50, webPort, n2))
	harness.ExpectNow(t, addr, nodeName(n1), dns.TypeA, "NOERROR: A 10.202.0.1")
	harness.ExpectNow(t, addr, "east.nodes.clusterset.local.", dns.TypeA, "NOERROR: ")
	harness.ExpectNow(t, addr, "lb."+zone, dns.TypeA, "NOERROR: A 192.0.2.50")
	// Local: only the node running the ready endpoint
	harness.ExpectNow(t, addr, "local."+zone, dns.TypeA, "NOERROR: A 10.202.0.2")
	harness.ExpectNow(t, addr, "_http._tcp.local."+zone, dns.TypeSRV, "NOERROR: "+srv(100, localPort, n2))

	// the Additional section of the SRV answer holds the nodes' addresses
	m := harness.Query(t, addr, "_http._tcp.web."+zone, dns.TypeSRV)
	var extra []string
	for _, rr := range m.Extra {
		extra = append(extra, strings.ReplaceAll(rr.String(), "\t", " "))
	}
	slices.Sort(extra)
	if want := []string{nodeName(n1) + " 5 IN A 10.202.0.1", nodeName(n2) + " 5 IN A 10.202.0.2"}; !slices.Equal(extra, want) {
		t.Errorf("additional section:\n%s\nwant:\n%s", strings.Join(extra, "\n"), strings.Join(want, "\n"))
	}

	// the endpoint on n1 ready: Local follows the peer's EndpointSlice, read without the
	// endpoints option for its node names alone
	got, err := p.Client.DiscoveryV1().EndpointSlices(ns).Get(ctx, "local-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Endpoints[1].Conditions.Ready = ptr.To(true)
	if _, err := p.Client.DiscoveryV1().EndpointSlices(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "local."+zone, dns.TypeA, "NOERROR: A 10.202.0.1, A 10.202.0.2")
	harness.ExpectNow(t, addr, "10-8-3-1.east.local."+zone, dns.TypeA, "NXDOMAIN: ") // no endpoints option

	// n2 NotReady: it leaves within a second of the peer's API server saying so
	start := time.Now()
	status(n2, corev1.ConditionFalse)
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.202.0.1")
	t.Logf("a peer's node NotReady left the answers %v after the status update was written (bound: %v)", time.Since(start).Round(time.Millisecond), within)
	harness.ExpectNow(t, addr, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: "+srv(100, webPort, n1))
	harness.ExpectNow(t, addr, "local."+zone, dns.TypeA, "NOERROR: A 10.202.0.1")
	harness.ExpectNow(t, addr, nodeName(n2), dns.TypeA, "NXDOMAIN: ")
	// and back when Ready again
	status(n2, corev1.ConditionTrue)
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.202.0.1, A 10.202.0.2")

	// both NotReady: no node takes the traffic, and without endpoints the Service is not
	// answered; n1 after n2, so n1 gone shows n2's update was seen
	status(n2, corev1.ConditionFalse)
	status(n1, corev1.ConditionFalse)
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "lb."+zone, dns.TypeA, "NOERROR: A 192.0.2.50")

	// nodeports ExternalIP: a second server answers the nodes' external addresses; n2 has
	// none and is left out
	n, err := nodes.Get(ctx, n1, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.21"})
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	status(n1, corev1.ConditionTrue)
	status(n2, corev1.ConditionTrue)
	port2 := harness.FreePort(t)
	addr2 := fmt.Sprintf("127.0.0.1:%d", port2)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        peer east {
            kubeconfig %s
            nodeports ExternalIP
        }
    }
}
`, port2, e.Kubeconfig, kc))
	harness.Expect(t, 10*time.Second, addr2, "web."+zone, dns.TypeA, "NOERROR: A 203.0.113.21")
	harness.ExpectNow(t, addr2, "_http._tcp.web."+zone, dns.TypeSRV, "NOERROR: "+srv(100, webPort, n1))
	harness.ExpectNow(t, addr2, nodeName(n1), dns.TypeA, "NOERROR: A 203.0.113.21")
	harness.Expect(t, within, addr, "web."+zone, dns.TypeA, "NOERROR: A 10.202.0.1, A 10.202.0.2") // the first server keeps InternalIP
}
