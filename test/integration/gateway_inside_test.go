package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestGatewayAPIInside is issue 12's inside view for Gateway API routes: in a zone with
// inside, pods get the ClusterIP of the LoadBalancer Service behind the route's Gateway
// (found by its load balancer address, here in the controller's own namespace as Envoy
// Gateway puts it), peered clients the Gateway's address. Both follow the Gateway's and
// the Service's status; a Gateway with no Service behind it answers pods with its address.
func TestGatewayAPIInside(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.GatewayAPI, "config/crd/standard/gateway.networking.k8s.io_gateway*.yaml",
		"config/crd/standard/gateway.networking.k8s.io_httproutes.yaml")
	dyn := e.Dynamic(t)
	apps, system := e.Namespace(t, "gwapps"), e.Namespace(t, "gwsystem")
	emptyAtEnd(t, e, apps, system)
	ctx := context.Background()

	pods, peered := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        private gwin.internal {
            gateways
            inside
        }
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private gwin.internal {
            gateways
        }
    }
}
`, pods, e.Kubeconfig, peered, e.Kubeconfig))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)

	gateways := dyn.Resource(gatewayGVR("v1", "gateways")).Namespace(apps)
	routes := dyn.Resource(gatewayGVR("v1", "httproutes")).Namespace(apps)
	if _, err := gateways.Create(ctx, gatewayObject("v1", "Gateway", apps, "edge", map[string]any{
		"gatewayClassName": "eg",
		"listeners":        []any{map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}},
	}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// the Service the controller made for the Gateway, in its own namespace
	lb := service(system, "envoy-"+apps+"-edge", "", svcPort{"http", corev1.ProtocolTCP, 80})
	lb.Spec.Type = corev1.ServiceTypeLoadBalancer
	create(t, e, lb)
	clusterIP := getService(t, e, system, lb.Name).Spec.ClusterIP
	setLoadBalancer(t, e, system, lb.Name, corev1.LoadBalancerIngress{IP: "10.128.21.1"})
	setGatewayAddresses(t, dyn, apps, "edge", "10.128.21.1")

	if _, err := routes.Create(ctx, httpRoute(apps, "shop", "edge", "shop.gwin.internal"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A 10.128.21.1")
	harness.Expect(t, within, podAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A "+clusterIP)

	// the Gateway gets a new address its Service does not have yet: no in-cluster address
	// known, pods too get the Gateway's; then the Service's load balancer follows
	setGatewayAddresses(t, dyn, apps, "edge", "10.128.21.2")
	harness.Expect(t, within, peerAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A 10.128.21.2")
	harness.Expect(t, within, podAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A 10.128.21.2")
	setLoadBalancer(t, e, system, lb.Name, corev1.LoadBalancerIngress{IP: "10.128.21.2"})
	harness.Expect(t, within, podAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A "+clusterIP)
	harness.ExpectNow(t, peerAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A 10.128.21.2")

	// a load balancer with a hostname: peered clients get the CNAME, pods the ClusterIP
	setLoadBalancer(t, e, system, lb.Name, corev1.LoadBalancerIngress{Hostname: "edge.elb.example.com"})
	setGatewayAddresses(t, dyn, apps, "edge", "edge.elb.example.com")
	harness.Expect(t, within, peerAddr, "shop.gwin.internal.", dns.TypeCNAME, "NOERROR: CNAME edge.elb.example.com.")
	harness.Expect(t, within, podAddr, "shop.gwin.internal.", dns.TypeA, "NOERROR: A "+clusterIP)
	// no CNAME beside the pods' ClusterIP
	harness.ExpectNow(t, podAddr, "shop.gwin.internal.", dns.TypeCNAME, "NOERROR: ")

	// the route goes: in both views; a second route on edge is the sentinel
	if err := routes.Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := routes.Create(ctx, httpRoute(apps, "sentinel", "edge", "sentinel.gwin.internal"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "sentinel.gwin.internal.", dns.TypeCNAME, "NOERROR: CNAME edge.elb.example.com.")
	harness.Expect(t, within, podAddr, "sentinel.gwin.internal.", dns.TypeA, "NOERROR: A "+clusterIP)
	harness.ExpectNow(t, peerAddr, "shop.gwin.internal.", dns.TypeCNAME, "NXDOMAIN: ")
	harness.ExpectNow(t, podAddr, "shop.gwin.internal.", dns.TypeA, "NXDOMAIN: ")
}
