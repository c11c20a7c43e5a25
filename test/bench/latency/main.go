// Command latency measures how long an EndpointSlice change takes to show in DNS answers.
// It creates its own namespace with one headless Service and one EndpointSlice, then n
// times moves one endpoint to a fresh address and polls the DNS server until the address
// is answered, timing from just before the Update call.
//
//	latency -kubeconfig KC -dns 127.0.0.1:1053 -n 200 -ns lat-1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	pollEvery = 200 * time.Microsecond
	giveUp    = 5 * time.Second
)

type prober struct {
	client *dns.Client
	server string
	qname  string
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server (required)")
	server := flag.String("dns", "127.0.0.1:53", "DNS server to poll")
	n := flag.Int("n", 200, "number of updates")
	ns := flag.String("ns", fmt.Sprintf("latency-%d", time.Now().Unix()), "namespace to create (must not exist)")
	name := flag.String("service", "latency", "headless Service to create")
	flag.Parse()
	if *kubeconfig == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	cs, err := client(*kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	p := &prober{client: &dns.Client{Net: "udp", Timeout: time.Second}, server: *server,
		qname: fmt.Sprintf("%s.%s.svc.cluster.local.", *name, *ns)}
	times, misses, err := run(context.Background(), cs, p, *ns, *name, *n)
	if err != nil {
		log.Fatal(err)
	}
	report(times, misses)
}

func client(kubeconfig string) (*kubernetes.Clientset, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 1000, 1000
	return kubernetes.NewForConfig(rc)
}

// run creates the objects, waits until the first address is answered, then does n updates.
func run(ctx context.Context, cs *kubernetes.Clientset, p *prober, ns, name string, n int) ([]time.Duration, int, error) {
	es, err := create(ctx, cs, ns, name)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := p.await(netip.MustParseAddr(es.Endpoints[0].Addresses[0]), time.Now(), 30*time.Second); !ok {
		return nil, 0, errors.New("the new service never showed up in DNS (30 s)")
	}
	var times []time.Duration
	misses := 0
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, 250, byte((i + 1) >> 8), byte(i + 1)})
		es.Endpoints[0].Addresses = []string{ip.String()}
		start := time.Now()
		type result struct {
			es  *discoveryv1.EndpointSlice
			err error
		}
		updated := make(chan result, 1)
		go func() {
			u, err := cs.DiscoveryV1().EndpointSlices(ns).Update(ctx, es, metav1.UpdateOptions{})
			updated <- result{u, err}
		}()
		d, ok := p.await(ip, start, giveUp)
		r := <-updated
		if r.err != nil {
			return nil, 0, fmt.Errorf("update %d: %w", i, r.err)
		}
		es = r.es
		if !ok {
			misses++
			continue
		}
		times = append(times, d)
	}
	return times, misses, nil
}

func create(ctx context.Context, cs *kubernetes.Clientset, ns, name string) (*discoveryv1.EndpointSlice, error) {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Ports:     []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}},
		},
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	ready := true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: name + "-1", Namespace: ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(int32(80))}},
	}
	for i, ip := range []string{"10.249.0.1", "10.249.0.2", "10.249.0.3"} {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{ip},
			Hostname:   ptr(fmt.Sprintf("pod-%d", i)),
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		})
	}
	return cs.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{})
}

func ptr[T any](v T) *T { return &v }

// await polls until ip is in the A answer and returns the time since start, or false
// after limit.
func (p *prober) await(ip netip.Addr, start time.Time, limit time.Duration) (time.Duration, bool) {
	q := new(dns.Msg)
	q.SetQuestion(p.qname, dns.TypeA)
	for time.Since(start) < limit {
		if r, _, err := p.client.Exchange(q, p.server); err == nil && answers(r, ip) {
			return time.Since(start), true
		}
		time.Sleep(pollEvery)
	}
	return 0, false
}

func answers(r *dns.Msg, ip netip.Addr) bool {
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			if got, ok := netip.AddrFromSlice(a.A); ok && got.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// report prints the percentiles on one line of key=value pairs, for scripts.
func report(times []time.Duration, misses int) {
	if len(times) == 0 {
		fmt.Printf("n=0 timeouts=%d\n", misses)
		return
	}
	slices.Sort(times)
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(times)))) - 1 // nearest rank
		return ms(times[min(max(i, 0), len(times)-1)])
	}
	fmt.Printf("n=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f timeouts=%d\n",
		len(times), pct(0.50), pct(0.90), pct(0.99), ms(times[len(times)-1]), misses)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
