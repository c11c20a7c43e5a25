// Package kube feeds a model.Store from a Kubernetes API server: one client-go Reflector per
// resource, resync off, every object converted to its small model form as it arrives, so
// nothing but the Store holds it.
//
// We run Reflectors, not SharedIndexInformers, for one reason: the retry delay. An informer's
// reflector backs off from 0.8 s doubling to 30 s (plus up to 100% jitter) and the informer
// offers no way to change it, so after an API server outage of 15 s a new Service showed only
// 15 s after the API server was back. ReflectorOptions.Backoff does let us choose; see retry.
// Without an informer there is no second cache either: the Reflector writes to a sink that
// converts each object and hands it to the Store, and remembers only the objects' keys, which
// a relist needs to find the objects that went away.
package kube

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/coremain"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/watchlist"
	"k8s.io/utils/clock"
)

var log = clog.NewWithPlugin("clusterdns")

// retry is the delay after a failed list or watch: 200 ms doubling to 800 ms, plus up to 25%
// jitter, so the next try comes at most 1 s after a failure, whatever the outage length. A few
// DNS replicas asking once a second is no load for an API server; the jitter keeps them from
// asking in step. Steps is only there because Cap applies while steps remain.
var retry = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Cap: 800 * time.Millisecond, Jitter: 0.25, Steps: math.MaxInt32}

// retryReset: the delay starts again from its minimum when it last did longer ago than this
// (client-go's DelayWithReset), so a failure after a long quiet time is retried at 200 ms.
const retryReset = time.Minute

// Config says how to reach the API server. All empty means in-cluster. Name labels the
// source's metrics.
type Config struct {
	Name       string
	Kubeconfig string
	Context    string
	Endpoint   string
	// TLS client certificate, key and CA files (tls CERT KEY CACERT), for Endpoint or on top
	// of the kubeconfig's.
	TLSCert, TLSKey, TLSCA string
	// QPS, Burst and MaxInflight limit the requests to the API server as the kubernetes
	// plugin's apiserver_qps, apiserver_burst and apiserver_max_inflight; 0 keeps
	// client-go's defaults (no in-flight limit).
	QPS         float32
	Burst       int
	MaxInflight int
	// Labels selects the Services and EndpointSlices read, NamespaceLabels the Namespaces
	// (label selectors in their canonical form), on the API server as the kubernetes
	// plugin's labels and namespace_labels: what is not selected never reaches us.
	Labels, NamespaceLabels string
	// NoEndpoints leaves EndpointSlices unread, as the kubernetes plugin's noendpoints: no
	// watch, no memory, no RBAC needed for them.
	NoEndpoints bool
	// PodNames keeps the targetRef names of endpoints (endpoint_pod_names); without it they
	// are dropped as they arrive.
	PodNames bool
	// Zones keeps the endpoints' topology zones (zonal); without it they are dropped.
	Zones bool
	// Pods reads Pods into the Store's pod index, for pods verified: only the blocks that
	// ask for them pay for a Pod watch, by far the busiest of a cluster.
	Pods bool
	// NodeNames keeps the node of each endpoint, for the NodePort records of Services with
	// externalTrafficPolicy Local (the nodeports option of private zones).
	NodeNames bool
}

// Source is a running set of reflectors for one API server.
type Source struct {
	name   string
	store  *model.Store
	host   string
	cs     kubernetes.Interface
	dyn    dynamic.Interface
	clock  clock.WithTicker
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	cfg Config // what the optional kinds' reflectors select and keep
	// nodePorts is a peer's source that reads Nodes and EndpointSlices for node ports:
	// Probe asks for them too
	nodePorts bool
	mu        sync.Mutex
	enabled   map[model.Kind]bool
}

// Store returns the Store the reflectors write.
func (s *Source) Store() *model.Store { return s.store }

// Stop stops the reflectors, waits for them and drops the source's metrics.
func (s *Source) Stop() {
	s.cancel()
	s.wg.Wait()
	forget(s.name)
}

// Start starts the reflectors of the cluster zone (Services, EndpointSlices, Namespaces);
// the Store is marked synced once each has applied its first list.
func Start(cfg Config) (*Source, error) {
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.QPS > 0 {
		rc.QPS = cfg.QPS
	}
	if cfg.Burst > 0 {
		rc.Burst = cfg.Burst
	}
	if cfg.MaxInflight > 0 {
		wrap := rc.WrapTransport
		rc.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			if wrap != nil {
				rt = wrap(rt)
			}
			return maxInflight(rt, cfg.MaxInflight)
		}
	}
	rc.UserAgent = fmt.Sprintf("clusterdns (CoreDNS %s; %s/%s)", coremain.CoreVersion, runtime.GOOS, runtime.GOARCH)
	dyn, err := dynamic.NewForConfig(rc) // JSON: custom resources have no protobuf
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return start(cfg, rc.Host, cs, dyn, clock.RealClock{}), nil
}

// start is Start on given clients and clock: tests pass fakes.
func start(cfg Config, host string, cs kubernetes.Interface, dyn dynamic.Interface, clk clock.WithTicker) *Source {
	name := cfg.Name
	ctx, cancel := context.WithCancel(context.Background())
	s := &Source{name: name, store: model.NewStore(), host: host, cs: cs, dyn: dyn, clock: clk, cfg: cfg,
		ctx: ctx, cancel: cancel, enabled: map[model.Kind]bool{}}
	st := s.store
	resources := []resource{
		storeBacked(newResource("services", &corev1.Service{}, cs,
			selecting(cfg.Labels, func(ctx context.Context, o metav1.ListOptions) (*corev1.ServiceList, error) {
				return cs.CoreV1().Services(corev1.NamespaceAll).List(ctx, o)
			}),
			selecting(cfg.Labels, cs.CoreV1().Services(corev1.NamespaceAll).Watch),
			model.ServiceFromAPI, st.UpsertService, st.DeleteService), st.StoredService, st.StoredServiceKeys),
		newResource("namespaces", &corev1.Namespace{}, cs,
			selecting(cfg.NamespaceLabels, cs.CoreV1().Namespaces().List),
			selecting(cfg.NamespaceLabels, cs.CoreV1().Namespaces().Watch),
			model.NamespaceFromAPI,
			func(n *model.Namespace) { st.SetNamespace(n.Name, true) },
			func(k model.Key) { st.SetNamespace(k.Name, false) }),
	}
	if !cfg.NoEndpoints {
		conv := model.EndpointSliceConverter(cfg.PodNames, cfg.Zones)
		if cfg.NodeNames {
			conv = model.WithNodeNames(conv)
		}
		resources = append(resources, storeBacked(newResource("endpointslices", &discoveryv1.EndpointSlice{}, cs,
			selecting(cfg.Labels, func(ctx context.Context, o metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
				return cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll).List(ctx, o)
			}),
			selecting(cfg.Labels, cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll).Watch),
			conv, st.UpsertSlice, st.DeleteSlice), st.StoredSlice, st.StoredSliceKeys))
	}
	if cfg.Pods {
		pods := cs.CoreV1().Pods(corev1.NamespaceAll)
		resources = append(resources, newResource("pods", &corev1.Pod{}, cs,
			selecting(cfg.Labels, runningPods(pods.List)),
			selecting(cfg.Labels, runningPods(pods.Watch)),
			model.PodFromAPI, st.Pods().Upsert, st.Pods().Delete))
	}
	s.run(func() {
		st.SetSynced()
		log.Infof("indexed the initial state of %s", host)
	}, resources...)
	return s
}

// selecting returns a list or watch function that asks only for objects matching sel.
// The EndpointSlice controller copies a Service's labels to its slices, so one selector
// selects both, as in the kubernetes plugin.
func selecting[T any](sel string, f func(context.Context, metav1.ListOptions) (T, error)) func(context.Context, metav1.ListOptions) (T, error) {
	if sel == "" {
		return f
	}
	return func(ctx context.Context, o metav1.ListOptions) (T, error) {
		o.LabelSelector = sel
		return f(ctx, o)
	}
}

// runningPods asks only for pods that may still run, with the kubernetes plugin's field
// selector: a pod that succeeded or failed leaves the watch (a delete event), so its
// address is not answered, and the many updates of finished pods never reach us. As in the
// plugin, the labels selector applies to pods too (see selecting).
func runningPods[T any](f func(context.Context, metav1.ListOptions) (T, error)) func(context.Context, metav1.ListOptions) (T, error) {
	return func(ctx context.Context, o metav1.ListOptions) (T, error) {
		if o.FieldSelector != "" {
			o.FieldSelector += ","
		}
		o.FieldSelector += "status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown"
		return f(ctx, o)
	}
}

// Enable starts the reflector of an optional kind, once: Ingresses and VirtualServices are
// read (and need RBAC) only when a private zone serves them, ServiceImports and their
// EndpointSlices only when a block has multicluster zones.
func (s *Source) Enable(kind model.Kind) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enabled[kind] {
		return nil
	}
	if s.ctx.Err() != nil {
		return fmt.Errorf("source %s is stopped", s.host)
	}
	st := s.store
	synced := func() { st.SetKindSynced(kind) }
	switch kind {
	case model.KindIngress:
		ing := s.cs.NetworkingV1().Ingresses(corev1.NamespaceAll)
		s.run(synced, newResource("ingresses", &networkingv1.Ingress{}, s.cs, ing.List, ing.Watch,
			model.IngressFromAPI, st.UpsertIngress, st.DeleteIngress))
	case model.KindVirtualService:
		s.wg.Add(1) // Stop waits for it: it may start a reflector
		go s.watchVirtualServices(synced)
	case model.KindMultiCluster:
		s.watchMultiCluster(synced)
	case model.KindNode:
		s.run(synced, s.nodes())
	// the istio and knative options' kinds
	case model.KindIstioGateway, model.KindServiceEntry, model.KindKnativeRoute, model.KindDomainMapping:
		watch := map[model.Kind]func(func()){model.KindIstioGateway: s.watchIstioGateways, model.KindServiceEntry: s.watchServiceEntries,
			model.KindKnativeRoute: s.watchKnativeRoutes, model.KindDomainMapping: s.watchDomainMappings}[kind]
		s.wg.Add(1) // Stop waits for it: it may start a reflector
		go watch(synced)
	case model.KindGatewayAPI:
		s.watchGatewayAPI(synced)
	case model.KindDNSEndpoint:
		s.wg.Add(1) // Stop waits for it: it may start a reflector
		go s.watchDNSEndpoints(synced)
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	s.enabled[kind] = true
	return nil
}

// run starts a reflector per resource and calls synced once all of them have listed.
func (s *Source) run(synced func(), resources ...resource) {
	var pending atomic.Int32
	pending.Add(int32(len(resources)))
	for _, r := range resources {
		k := newSink(s.name, r, s.clock, func() {
			if pending.Add(-1) == 0 {
				synced()
			}
		})
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			k.reflect(s.ctx, s.clock)
		}()
	}
}

// resource is what a reflector needs for one API resource: how to list and watch it, its API
// type, and how converted objects reach the Store.
type resource struct {
	name     string // plural, lower case: the metrics' resource label
	lw       *listWatch
	obj      k8sruntime.Object
	conv     func(any) any
	onUpsert func(any)
	onDelete func(model.Key)
	// storedKeys, when set, lists the keys the Store holds from this resource (storeBacked);
	// the sink then keeps none of its own.
	storedKeys func(func(model.Key))
}

// newResource types the pieces of a resource for API type A (a pointer) and model type M.
// client is the clientset the list and watch functions come from: the Reflector cannot see
// it through them, and must not stream lists (WatchList) from a fake that cannot.
func newResource[A k8sruntime.Object, L k8sruntime.Object, M any](name string, obj A, client any,
	list func(context.Context, metav1.ListOptions) (L, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
	convert func(A) M, upsert func(M), remove func(model.Key),
) resource {
	return resource{
		name: name,
		lw: &listWatch{
			ListWatch: cache.ListWatch{
				ListWithContextFunc:  func(ctx context.Context, o metav1.ListOptions) (k8sruntime.Object, error) { return list(ctx, o) },
				WatchFuncWithContext: watchFn,
			},
			noWatchList: watchlist.DoesClientNotSupportWatchListSemantics(client),
		},
		obj: obj,
		conv: func(o any) any {
			if a, ok := o.(A); ok {
				return convert(a)
			}
			return o // already converted (a streamed list goes through Transformer first)
		},
		onUpsert: func(o any) {
			if m, ok := o.(M); ok {
				upsert(m)
			}
		},
		onDelete: remove,
	}
}

// storeBacked makes r read what the Store holds of its kind instead of keeping its own
// record, for the kinds of which a cluster has tens of thousands:
//
//   - an arriving object with the resourceVersion the Store already has is not converted:
//     the Store's own object is handed on. A relist after an API server restart streams
//     every object again; converted, each would be a second copy of the Store's (the
//     Reflector holds the whole list until it hands it over), which at 50,000 Services is
//     most of the steady heap again. Reused, the relist holds one map entry per object.
//   - a relist finds the objects that went away among the Store's keys (each lists the
//     keys of one kind, all from this resource), so the sink keeps no set of keys of its
//     own, which cost about 60 bytes per object for as long as the server runs.
func storeBacked[M metav1.Object](r resource, stored func(model.Key) M, keys func(func(model.Key))) resource {
	conv := r.conv
	r.conv = func(o any) any {
		if m, ok := o.(metav1.Object); ok && m.GetResourceVersion() != "" {
			cur := stored(model.Key{Namespace: m.GetNamespace(), Name: m.GetName()})
			if any(cur) != any(*new(M)) && cur.GetResourceVersion() == m.GetResourceVersion() {
				return cur
			}
		}
		return conv(o)
	}
	r.storedKeys = keys
	return r
}

// listWatch tells the Reflector whether the client can stream lists.
type listWatch struct {
	cache.ListWatch
	noWatchList bool
}

// IsWatchListSemanticsUnSupported is read by client-go's watchlist package.
func (lw *listWatch) IsWatchListSemanticsUnSupported() bool { return lw.noWatchList }

func restConfig(cfg Config) (*rest.Config, error) {
	switch {
	case cfg.Kubeconfig != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.Kubeconfig}
		over := &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}
		over.ClusterInfo.Server = cfg.Endpoint
		over.ClusterInfo.CertificateAuthority = cfg.TLSCA
		over.AuthInfo.ClientCertificate, over.AuthInfo.ClientKey = cfg.TLSCert, cfg.TLSKey
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, over).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", cfg.Kubeconfig, err)
		}
		return rc, nil
	case cfg.Endpoint != "":
		return &rest.Config{Host: cfg.Endpoint, TLSClientConfig: rest.TLSClientConfig{
			CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey, CAFile: cfg.TLSCA,
		}}, nil
	default:
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (give kubeconfig or endpoint when running outside a cluster): %w", err)
		}
		return rc, nil
	}
}

// maxInflight bounds the requests waiting for their response headers, as the kubernetes
// plugin's apiserver_max_inflight: a watch holds its slot only until the API server answers,
// so the reflectors' long watches do not starve each other.
func maxInflight(next http.RoundTripper, n int) http.RoundTripper {
	sem := make(chan struct{}, n)
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			return next.RoundTrip(r)
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
