package integration

import (
	"context"
	"os"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core" // every plugin, ours included
	"github.com/clusterdns/clusterdns/test/k8senv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
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
