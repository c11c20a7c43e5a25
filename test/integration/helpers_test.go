package integration

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core" // every plugin, ours included
	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }

// within is how soon an API change must show in answers: the issues' bound.
const within = time.Second

type svcPort struct {
	name  string
	proto corev1.Protocol
	port  int32
}

func service(ns, name string, clusterIP string, ports ...svcPort) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	s.Spec.ClusterIP = clusterIP
	for _, p := range ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.name, Protocol: p.proto, Port: p.port})
	}
	return s
}

type endpoint struct {
	ip          string
	hostname    string
	ready       *bool
	terminating bool
	pod         string // the targetRef's name
	zone        string // the topology zone
}

func slice(ns, name, svc string, family discoveryv1.AddressType, ports []svcPort, eps ...endpoint) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: family,
	}
	for _, p := range ports {
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr.To(p.name), Protocol: ptr.To(p.proto), Port: ptr.To(p.port)})
	}
	for _, e := range eps {
		ep := discoveryv1.Endpoint{Addresses: []string{e.ip}, Conditions: discoveryv1.EndpointConditions{Ready: e.ready}}
		if e.hostname != "" {
			ep.Hostname = ptr.To(e.hostname)
		}
		if e.terminating {
			ep.Conditions.Terminating = ptr.To(true)
		}
		if e.zone != "" {
			ep.Zone = ptr.To(e.zone)
		}
		if e.pod != "" {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: e.pod}
		}
		s.Endpoints = append(s.Endpoints, ep)
	}
	return s
}

func create(t testing.TB, e *k8senv.Env, objs ...any) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Service:
			_, err = e.Client.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *discoveryv1.EndpointSlice:
			_, err = e.Client.DiscoveryV1().EndpointSlices(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("cannot create %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func getService(t testing.TB, e *k8senv.Env, ns, name string) *corev1.Service {
	t.Helper()
	s, err := e.Client.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Sentinels make negative answers checkable. After the change under test, a test makes one
// more change of the same kind and waits until the server answers it: one watch delivers
// a kind's events in order and the server applies them in order, so the server has then
// seen the change under test, and harness.ExpectNow can assert its NXDOMAIN. (Waiting for
// NXDOMAIN instead passes before the server has seen anything.)
var sentinels atomic.Int64

// settleServices creates a ClusterIP Service and waits until the cluster zone at every
// addr answers it: they have applied every earlier Service event.
func settleServices(t testing.TB, e *k8senv.Env, ns string, addrs ...string) {
	t.Helper()
	name := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
	create(t, e, service(ns, name, "", svcPort{"http", corev1.ProtocolTCP, 80}))
	want := "NOERROR: A " + getService(t, e, ns, name).Spec.ClusterIP
	for _, addr := range addrs {
		harness.Expect(t, within, addr, name+"."+ns+".svc.cluster.local.", dns.TypeA, want)
	}
}

// settleSlices creates an EndpointSlice (of the headless Service sentinel in ns) and waits
// until the cluster zone at every addr answers its endpoint: they have applied every
// earlier EndpointSlice event.
func settleSlices(t testing.TB, e *k8senv.Env, ns string, addrs ...string) {
	t.Helper()
	n := sentinels.Add(1)
	_, err := e.Client.CoreV1().Services(ns).Create(context.Background(),
		service(ns, "sentinel", corev1.ClusterIPNone), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	host, ip := fmt.Sprintf("s%d", n), fmt.Sprintf("10.255.%d.%d", n>>8&255, n&255)
	create(t, e, slice(ns, fmt.Sprintf("sentinel-%d", n), "sentinel", discoveryv1.AddressTypeIPv4, nil, endpoint{ip: ip, hostname: host}))
	for _, addr := range addrs {
		harness.Expect(t, within, addr, host+".sentinel."+ns+".svc.cluster.local.", dns.TypeA, "NOERROR: A "+ip)
	}
}

// emptyAtEnd deletes the Services and EndpointSlices of namespaces when the test ends. The
// test API server has no controller manager, so namespaces are never emptied; a corpus left
// behind shares addresses with later tests' objects, whose PTR answers would then also name
// it (and nine differential pairs' leftovers overflow a UDP reply, which the plugins
// truncate differently).
func emptyAtEnd(t *testing.T, e *k8senv.Env, namespaces ...string) {
	t.Cleanup(func() {
		ctx, all := context.Background(), metav1.ListOptions{}
		for _, n := range namespaces {
			svcs, err := e.Client.CoreV1().Services(n).List(ctx, all)
			if err != nil {
				t.Error(err)
				continue
			}
			for _, s := range svcs.Items {
				if err := e.Client.CoreV1().Services(n).Delete(ctx, s.Name, metav1.DeleteOptions{}); err != nil {
					t.Error(err)
				}
			}
			if err := e.Client.DiscoveryV1().EndpointSlices(n).DeleteCollection(ctx, metav1.DeleteOptions{}, all); err != nil {
				t.Error(err)
			}
		}
	})
}
