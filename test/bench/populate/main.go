// Command populate fills an API server with Services and EndpointSlices (and, with -pods,
// the pods behind the endpoints) for the DNS benchmark and writes matching dnsperf query
// files.
//
//	populate -kubeconfig KC -services 5000 -endpoints-per-service 4 -queryfile q.txt
//	populate -kubeconfig KC -services 5000 -pods -queryfile q.txt   # for pods verified
//	populate -kubeconfig KC -services 20000 -from 5000 ...          # grow a populated server
//
// Creates go out from many workers at once with client-side rate limits far above what the
// API server takes, so the API server is the only limit. With -etcd the Services are written
// straight to etcd (etcd.go says why), and 50,000 Services and their slices take about a
// minute. With -from the Services below that index are assumed to exist already (a smaller
// run made them), so a scale run grows one API server step by step.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const zone = "cluster.local"

type options struct {
	kubeconfig string
	services   int
	endpoints  int
	headless   float64
	prefix     string
	namespaces int
	workers    int
	queryfile  string
	queries    int
	seed       uint64
	pods       bool
	from       int
	clusterIPQ string
	probe      string
	etcd       string
}

// service is one generated Service: where it lives and what kind it is.
type service struct {
	index    int
	ns, name string
	headless bool
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the API server (required)")
	flag.IntVar(&o.services, "services", 5000, "number of Services")
	flag.IntVar(&o.endpoints, "endpoints-per-service", 4, "ready endpoints in each Service's EndpointSlice")
	flag.Float64Var(&o.headless, "headless-fraction", 0.2, "fraction of headless Services")
	flag.StringVar(&o.prefix, "ns", "bench", "namespace prefix: namespaces are PREFIX-0, PREFIX-1, ...")
	flag.IntVar(&o.namespaces, "namespaces", 10, "number of namespaces")
	flag.IntVar(&o.workers, "workers", 64, "concurrent API requests")
	flag.IntVar(&o.from, "from", 0, "create only the Services (and slices, pods) from this index on: the ones below exist")
	flag.StringVar(&o.queryfile, "queryfile", "", "write a dnsperf query file of the mixed queries here")
	flag.StringVar(&o.clusterIPQ, "queryfile-clusterip", "", "write a dnsperf query file of ClusterIP A queries only here")
	flag.StringVar(&o.probe, "probe", "", "write \"FQDN ADDRESS\" of the last ClusterIP Service here: a name whose correct answer is known")
	flag.IntVar(&o.queries, "queries", 20000, "lines in the query file")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the query mix and shuffle")
	flag.StringVar(&o.etcd, "etcd", "", "etcd client URL of the API server: Services are written straight to etcd (see etcd.go), not created through the API")
	flag.BoolVar(&o.pods, "pods", false, "also create a running pod for every endpoint, with the endpoint's address (pods verified)")
	flag.Parse()
	if o.services > 64000 {
		log.Fatal("-services: at most 64000 (each ClusterIP Service gets its own address in 10.96.0.0/16)")
	}
	if o.kubeconfig == "" || o.services < 1 || o.endpoints < 1 || o.namespaces < 1 || o.from < 0 || o.from > o.services {
		flag.Usage()
		os.Exit(2)
	}
	svcs := plan(o)
	cs, err := client(o.kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	if err := populate(o, cs, svcs[o.from:]); err != nil {
		log.Fatal(err)
	}
	if o.queryfile != "" {
		if err := writeQueries(o.queryfile, mixedQueries(o, svcs)); err != nil {
			log.Fatal(err)
		}
	}
	if o.clusterIPQ != "" {
		if err := writeQueries(o.clusterIPQ, clusterIPQueries(o, svcs)); err != nil {
			log.Fatal(err)
		}
	}
	if o.probe != "" {
		if err := writeProbe(o.probe, cs, svcs); err != nil {
			log.Fatal(err)
		}
	}
}

func client(kubeconfig string) (*kubernetes.Clientset, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 20000, 20000
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	return kubernetes.NewForConfig(rc)
}

// plan lays out the Services: spread over the namespaces, the headless ones evenly mixed in.
func plan(o options) []service {
	svcs := make([]service, o.services)
	for i := range svcs {
		svcs[i] = service{
			index:    i,
			ns:       fmt.Sprintf("%s-%d", o.prefix, i%o.namespaces),
			name:     fmt.Sprintf("svc-%05d", i),
			headless: int(float64(i+1)*o.headless) > int(float64(i)*o.headless),
		}
	}
	return svcs
}

func populate(o options, cs *kubernetes.Clientset, svcs []service) error {
	ctx := context.Background()
	for i := range o.namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", o.prefix, i)}}
		if err := ignoreExists(cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})); err != nil {
			return err
		}
	}
	start := time.Now()
	viaAPI := svcs
	if o.etcd != "" {
		var err error
		if viaAPI, err = writeToEtcd(ctx, o.etcd, cs, svcs); err != nil {
			return err
		}
	}
	if err := parallel(o.workers, viaAPI, func(s service) error {
		return createService(ctx, cs, s)
	}); err != nil {
		return err
	}
	log.Printf("%d services in %.1f s (%.0f/s)", len(svcs), time.Since(start).Seconds(), float64(len(svcs))/time.Since(start).Seconds())
	start = time.Now()
	if err := parallel(o.workers, svcs, func(s service) error {
		es := sliceObject(s, o.endpoints)
		return ignoreExists(cs.DiscoveryV1().EndpointSlices(s.ns).Create(ctx, es, metav1.CreateOptions{}))
	}); err != nil {
		return err
	}
	log.Printf("%d endpoint slices (%d endpoints) in %.1f s (%.0f/s)", len(svcs), len(svcs)*o.endpoints, time.Since(start).Seconds(),
		float64(len(svcs))/time.Since(start).Seconds())
	if !o.pods {
		return nil
	}
	start = time.Now()
	if err := parallel(o.workers, svcs, func(s service) error {
		for n := range o.endpoints {
			if err := createPod(ctx, cs, s, n, endpointIP(s.index*o.endpoints+n)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	log.Printf("%d pods in %.1f s", len(svcs)*o.endpoints, time.Since(start).Seconds())
	return nil
}

// createPod creates the n-th pod of a Service as a Deployment would name and label it, and
// gives it its endpoint's address through the status subresource, as a kubelet does.
func createPod(ctx context.Context, cs kubernetes.Interface, s service, n int, ip netip.Addr) error {
	pods := cs.CoreV1().Pods(s.ns)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-7f9c8d6b5-%05d", s.name, n), Namespace: s.ns,
			Labels: map[string]string{"app": s.name, "pod-template-hash": "7f9c8d6b5"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
	}
	p, err := pods.Create(ctx, p, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return err
	}
	p.Status.Phase, p.Status.PodIP = corev1.PodRunning, ip.String()
	p.Status.PodIPs = []corev1.PodIP{{IP: ip.String()}}
	_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// parallel runs fn for every Service on n workers and returns the first error.
func parallel(n int, svcs []service, fn func(service) error) error {
	jobs := make(chan service)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range n {
		wg.Go(func() {
			for s := range jobs {
				if err := fn(s); err != nil {
					once.Do(func() { first = fmt.Errorf("%s/%s: %w", s.ns, s.name, err) })
				}
			}
		})
	}
	for _, s := range svcs {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	return first
}

func ignoreExists[T any](_ T, err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// createService creates the Service with a ClusterIP of its own (clusterIP), falling back
// to one the API server picks when that address is taken (by a Service someone else
// created, e.g. the latency run's). The API server allocates a dynamic ClusterIP under one
// lock (kube-apiserver 1.37, ipallocator.MetaAllocator), one IPAddress create at a time, so
// dynamic creates ran at ~20 a second on a loaded 2-core machine whatever the workers; a
// requested address takes the path without that lock.
func createService(ctx context.Context, cs kubernetes.Interface, s service) error {
	svc := serviceObject(s)
	_, err := cs.CoreV1().Services(s.ns).Create(ctx, svc, metav1.CreateOptions{})
	if apierrors.IsInvalid(err) && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		_, err = cs.CoreV1().Services(s.ns).Create(ctx, svc, metav1.CreateOptions{})
	}
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// clusterIP is Service i's address in the API server's range 10.96.0.0/16 (apiserver.sh),
// from 10.96.3.232 (offset 1000) on: clear of the low addresses clusters reserve
// (10.96.0.1 for kubernetes, 10.96.0.10 for DNS).
func clusterIP(i int) string {
	n := 1000 + i
	return netip.AddrFrom4([4]byte{10, 96, byte(n >> 8), byte(n)}).String()
}

func serviceObject(s service) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": s.name},
			Ports:    []corev1.ServicePort{tcpPort("http", 80, 8080)},
		},
	}
	if s.headless {
		svc.Spec.ClusterIP = corev1.ClusterIPNone
	} else {
		svc.Spec.ClusterIP = clusterIP(s.index)
		svc.Spec.Ports = append(svc.Spec.Ports, tcpPort("metrics", 9090, 9090))
	}
	return svc
}

func tcpPort(name string, port, target int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(target)}
}

func sliceObject(s service, n int) *discoveryv1.EndpointSlice {
	ready := true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: s.name + "-bench", Namespace: s.ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: s.name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{slicePort("http", 8080)},
	}
	if !s.headless {
		es.Ports = append(es.Ports, slicePort("metrics", 9090))
	}
	for j := range n {
		ep := discoveryv1.Endpoint{
			Addresses:  []string{endpointIP(s.index*n + j).String()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		}
		if s.headless {
			ep.Hostname = ptr(fmt.Sprintf("pod-%d", j))
		}
		es.Endpoints = append(es.Endpoints, ep)
	}
	return es
}

func slicePort(name string, port int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr(name), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(port)}
}

func ptr[T any](v T) *T { return &v }

// endpointIP numbers endpoints from 10.128.0.1 on, outside the service range 10.96.0.0/16.
func endpointIP(i int) netip.Addr {
	n := 10<<24 + 128<<16 + i + 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// mixedQueries is the query mix: 50% ClusterIP A, 15% headless A, 15% SRV of a ClusterIP
// port, 10% A of a headless endpoint hostname, 10% NXDOMAIN in a namespace that exists.
// Deterministic for a given seed and size.
func mixedQueries(o options, svcs []service) []string {
	clusterIP, headless := split(svcs)
	rng := rand.New(rand.NewPCG(o.seed, 0))
	pick := func(l []service) service { return l[rng.IntN(len(l))] }
	mix := []struct {
		percent int
		from    []service
		line    func(service) string
	}{
		{50, clusterIP, func(s service) string { return fqdn(s) + " A" }},
		{15, headless, func(s service) string { return fqdn(s) + " A" }},
		{15, clusterIP, func(s service) string { return "_http._tcp." + fqdn(s) + " SRV" }},
		{10, headless, func(s service) string { return fmt.Sprintf("pod-%d.%s A", rng.IntN(o.endpoints), fqdn(s)) }},
		{10, svcs, func(s service) string { return fmt.Sprintf("missing-%05d.%s.svc.%s. A", rng.IntN(100000), s.ns, zone) }},
	}
	var lines []string
	for _, m := range mix {
		if len(m.from) == 0 {
			log.Printf("no services for a %d%% share of the query mix: left out", m.percent)
			continue
		}
		for range o.queries * m.percent / 100 {
			lines = append(lines, m.line(pick(m.from)))
		}
	}
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return lines
}

// clusterIPQueries are A queries of random ClusterIP Services: the query the plugin is
// held to the whoami ceiling on.
func clusterIPQueries(o options, svcs []service) []string {
	clusterIP, _ := split(svcs)
	if len(clusterIP) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(o.seed, 1))
	lines := make([]string, o.queries)
	for i := range lines {
		lines[i] = fqdn(clusterIP[rng.IntN(len(clusterIP))]) + " A"
	}
	return lines
}

func split(svcs []service) (clusterIP, headless []service) {
	for _, s := range svcs {
		if s.headless {
			headless = append(headless, s)
		} else {
			clusterIP = append(clusterIP, s)
		}
	}
	return clusterIP, headless
}

func fqdn(s service) string { return fmt.Sprintf("%s.%s.svc.%s.", s.name, s.ns, zone) }

func writeQueries(file string, lines []string) error {
	if len(lines) == 0 {
		return fmt.Errorf("%s: no queries to write", file)
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	log.Printf("%d queries written to %s", len(lines), file)
	return nil
}

// writeProbe writes the name and address of the last ClusterIP Service, read back from the
// API server (which allocated the address): what a cold start's "first correct answer" is.
func writeProbe(file string, cs *kubernetes.Clientset, svcs []service) error {
	clusterIP, _ := split(svcs)
	if len(clusterIP) == 0 {
		return fmt.Errorf("%s: no ClusterIP Service to probe", file)
	}
	s := clusterIP[len(clusterIP)-1]
	svc, err := cs.CoreV1().Services(s.ns).Get(context.Background(), s.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return os.WriteFile(file, []byte(fqdn(s)+" "+svc.Spec.ClusterIP+"\n"), 0o644)
}
