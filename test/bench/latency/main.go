// Command latency measures how long an EndpointSlice change takes to show in DNS answers.
// It creates its own namespace with one headless Service and one EndpointSlice, then n
// times moves one endpoint to a fresh address and polls the DNS server until the address
// is answered, timing from just before the Update call. As a baseline it also times when a
// plain watch on the API server delivers each change (watch_* in the output).
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
	"sync"
	"sync/atomic"
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

// bench is one latency run in its own namespace.
type bench struct {
	cs       *kubernetes.Clientset
	p        *prober
	ns, name string
	watched  sync.Map // address of endpoint 0 -> when a plain watch delivered it
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server (required)")
	server := flag.String("dns", "127.0.0.1:53", "DNS server to poll")
	n := flag.Int("n", 200, "number of updates")
	ns := flag.String("ns", fmt.Sprintf("latency-%d", time.Now().Unix()), "namespace to create (must not exist)")
	name := flag.String("service", "latency", "headless Service to create")
	churn := flag.Int("pod-churn", 0, "pods created and deleted per second (each) in the namespace while measuring")
	flag.Parse()
	if *kubeconfig == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	cs, err := client(*kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	b := &bench{cs: cs, ns: *ns, name: *name, p: &prober{
		client: &dns.Client{Net: "udp", Timeout: time.Second}, server: *server,
		qname: fmt.Sprintf("%s.%s.svc.cluster.local.", *name, *ns),
	}}
	ctx, stop := context.WithCancel(context.Background())
	var churned atomic.Int64
	var churning sync.WaitGroup
	began := time.Now()
	if *churn > 0 {
		churning.Go(func() { b.churn(ctx, *churn, &churned) })
	}
	inDNS, inWatch, misses, err := b.run(ctx, *n)
	stop()
	churning.Wait()
	if err != nil {
		log.Fatal(err)
	}
	extra := ""
	if *churn > 0 {
		extra = fmt.Sprintf(" pod_churn=%.0f/s", float64(churned.Load())/time.Since(began).Seconds())
	}
	fmt.Printf("n=%d %s timeouts=%d %s%s\n", len(inDNS), percentiles("", inDNS), misses, percentiles("watch_", inWatch), extra)
}

// churn creates rate pods a second in the bench's namespace, each with an address set
// through the status subresource as a kubelet does, and deletes each a second later, until
// ctx is done: the pod churn that must not delay Service updates with pods verified. It
// counts the pods created.
func (b *bench) churn(ctx context.Context, rate int, created *atomic.Int64) {
	pods := b.cs.CoreV1().Pods(b.ns)
	sem := make(chan struct{}, 4*rate) // each holds its pod for a second
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			name := fmt.Sprintf("churn-%d", i)
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "churn"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}}}
			p, err := pods.Create(ctx, p, metav1.CreateOptions{})
			if err != nil {
				return
			}
			created.Add(1)
			ip := netip.AddrFrom4([4]byte{10, 251, byte(i >> 8), byte(i)}).String()
			p.Status.Phase, p.Status.PodIP, p.Status.PodIPs = corev1.PodRunning, ip, []corev1.PodIP{{IP: ip}}
			_, _ = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			_ = pods.Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
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
// It returns the times until each new address was answered by DNS and, as a baseline, until
// a plain watch on the API server delivered it.
func (b *bench) run(ctx context.Context, n int) (inDNS, inWatch []time.Duration, misses int, err error) {
	es, err := b.create(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := b.watch(ctx, es.ResourceVersion); err != nil {
		return nil, nil, 0, err
	}
	if _, ok := b.p.await(netip.MustParseAddr(es.Endpoints[0].Addresses[0]), time.Now(), 30*time.Second); !ok {
		return nil, nil, 0, errors.New("the new service never showed up in DNS (30 s)")
	}
	for i := range n {
		ip := netip.AddrFrom4([4]byte{10, 250, byte((i + 1) >> 8), byte(i + 1)})
		es.Endpoints[0].Addresses = []string{ip.String()}
		start := time.Now()
		var d time.Duration
		var ok bool
		done := make(chan struct{})
		go func() { d, ok = b.p.await(ip, start, giveUp); close(done) }()
		es, err = b.cs.DiscoveryV1().EndpointSlices(b.ns).Update(ctx, es, metav1.UpdateOptions{})
		<-done
		if err != nil {
			return nil, nil, 0, fmt.Errorf("update %d: %w", i, err)
		}
		if !ok {
			misses++
			continue
		}
		inDNS = append(inDNS, d)
		if t, ok := b.watched.Load(ip.String()); ok {
			inWatch = append(inWatch, t.(time.Time).Sub(start))
		}
	}
	return inDNS, inWatch, misses, nil
}

// watch records when the API server's watch delivers each address of endpoint 0.
func (b *bench) watch(ctx context.Context, resourceVersion string) error {
	w, err := b.cs.DiscoveryV1().EndpointSlices(b.ns).Watch(ctx, metav1.ListOptions{ResourceVersion: resourceVersion})
	if err != nil {
		return err
	}
	go func() {
		for ev := range w.ResultChan() {
			if es, ok := ev.Object.(*discoveryv1.EndpointSlice); ok && len(es.Endpoints) > 0 && len(es.Endpoints[0].Addresses) > 0 {
				b.watched.Store(es.Endpoints[0].Addresses[0], time.Now())
			}
		}
	}()
	return nil
}

func (b *bench) create(ctx context.Context) (*discoveryv1.EndpointSlice, error) {
	cs, ns, name := b.cs, b.ns, b.name
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

// percentiles formats p50, p90, p99 and max in milliseconds as key=value pairs, each key
// starting with prefix.
func percentiles(prefix string, times []time.Duration) string {
	times = slices.Sorted(slices.Values(times))
	at := func(p float64) string {
		if len(times) == 0 {
			return "NaN"
		}
		i := int(math.Ceil(p*float64(len(times)))) - 1 // nearest rank
		return fmt.Sprintf("%.2f", ms(times[max(i, 0)]))
	}
	return fmt.Sprintf("%[1]sp50_ms=%[2]s %[1]sp90_ms=%[3]s %[1]sp99_ms=%[4]s %[1]smax_ms=%[5]s", prefix, at(0.5), at(0.9), at(0.99), at(1))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
