package integration

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/coredns/caddy"
	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }

// startServer starts a CoreDNS instance (with clusterdns linked in) from a Corefile.
func startServer(t testing.TB, corefile string) *caddy.Instance {
	t.Helper()
	i, err := coretest.CoreDNSServer(corefile)
	if err != nil {
		t.Fatalf("starting server: %v\n%s", err, corefile)
	}
	t.Cleanup(func() {
		i.Stop()
		i.ShutdownCallbacks() // Stop alone leaves OnShutdown hooks (informers, watchers) running
	})
	return i
}

func query(t testing.TB, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	for try := 0; ; try++ {
		r, _, err := c.Exchange(m, addr)
		if err == nil {
			return r
		}
		if try == 2 {
			t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
		}
	}
}

// eventually polls cond until it is true or the deadline (one second: the bound for
// API changes to show up in answers) passes.
func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	var last string
	for {
		ok, got := cond()
		if ok {
			return
		}
		last = got
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 1s; last answer:\n%s", what, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// answers returns the answer section as sorted "type data" strings and the rcode.
func answers(m *dns.Msg) string {
	var parts []string
	for _, rr := range m.Answer {
		f := strings.SplitN(rr.String(), "\t", 5)
		parts = append(parts, f[3]+" "+f[4])
	}
	slices.Sort(parts)
	return dns.RcodeToString[m.Rcode] + ": " + strings.Join(parts, ", ")
}

func expectAnswer(t testing.TB, addr, name string, qtype uint16, want string) {
	t.Helper()
	eventually(t, name+" "+dns.TypeToString[qtype]+" = "+want, func() (bool, string) {
		got := answers(query(t, addr, name, qtype))
		return got == want, got
	})
}

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
