// Package kube feeds a model.Store from a Kubernetes API server with informers: resync off,
// every object converted to its small model form by the informer's transform, so the
// informer cache and the Store share the same few bytes per object.
package kube

import (
	"context"
	"fmt"
	"runtime"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"sync"

	"github.com/coredns/coredns/coremain"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

var log = clog.NewWithPlugin("clusterdns")

// Config says how to reach the API server. All empty means in-cluster.
type Config struct {
	Kubeconfig string
	Context    string
	Endpoint   string
}

// Source is a running set of informers for one API server.
type Source struct {
	store  *model.Store
	host   string
	cs     kubernetes.Interface
	dyn    dynamic.Interface
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	enabled map[model.Kind]bool
}

// Store returns the Store the informers write.
func (s *Source) Store() *model.Store { return s.store }

// Stop stops the informers and waits for them.
func (s *Source) Stop() {
	s.cancel()
	s.wg.Wait()
}

// Start creates the informers of the cluster zone (Services, EndpointSlices, Namespaces)
// and starts them; the Store is marked synced once every handler has seen the initial list.
func Start(cfg Config) (*Source, error) {
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
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
	ctx, cancel := context.WithCancel(context.Background())
	s := &Source{store: model.NewStore(), host: rc.Host, cs: cs, dyn: dyn, ctx: ctx, cancel: cancel, enabled: map[model.Kind]bool{}}
	st := s.store
	err = s.run(func() {
		st.SetSynced()
		log.Infof("indexed the initial state of %s", rc.Host)
	},
		newInformer(&corev1.Service{},
			func(ctx context.Context, o metav1.ListOptions) (*corev1.ServiceList, error) {
				return cs.CoreV1().Services(corev1.NamespaceAll).List(ctx, o)
			},
			cs.CoreV1().Services(corev1.NamespaceAll).Watch,
			model.ServiceFromAPI, st.UpsertService, st.DeleteService),
		newInformer(&discoveryv1.EndpointSlice{},
			func(ctx context.Context, o metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
				return cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll).List(ctx, o)
			},
			cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll).Watch,
			model.EndpointSliceFromAPI, st.UpsertSlice, st.DeleteSlice),
		newInformer(&corev1.Namespace{}, cs.CoreV1().Namespaces().List, cs.CoreV1().Namespaces().Watch, model.NamespaceFromAPI,
			func(n *model.Namespace) { st.SetNamespace(n.Name, true) },
			func(k model.Key) { st.SetNamespace(k.Name, false) }),
	)
	if err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// Enable starts the informer of an optional kind, once: Ingresses and VirtualServices are
// read (and need RBAC) only when a private zone serves them.
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
	var err error
	switch kind {
	case model.KindIngress:
		ing := s.cs.NetworkingV1().Ingresses(corev1.NamespaceAll)
		err = s.run(synced, newInformer(&networkingv1.Ingress{}, ing.List, ing.Watch,
			model.IngressFromAPI, st.UpsertIngress, st.DeleteIngress))
	case model.KindVirtualService:
		s.wg.Add(1) // Stop waits for it: it may start an informer
		go s.watchVirtualServices(synced)
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	if err == nil {
		s.enabled[kind] = true
	}
	return err
}

// run starts informers and calls synced once all of them have listed.
func (s *Source) run(synced func(), informers ...informer) error {
	var hasSynced []cache.InformerSynced
	var started []func()
	for _, in := range informers {
		inf := cache.NewSharedIndexInformerWithOptions(in.lw, in.obj, cache.SharedIndexInformerOptions{})
		conv := in.conv
		if err := inf.SetTransform(func(o any) (any, error) { return conv(o), nil }); err != nil {
			return err
		}
		onUpsert, onDelete := in.onUpsert, in.onDelete
		reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { onUpsert(o) },
			UpdateFunc: func(_, o any) { onUpsert(o) },
			DeleteFunc: func(o any) {
				if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
					o = t.Obj
				}
				if m, ok := o.(metav1.Object); ok {
					onDelete(model.Key{Namespace: m.GetNamespace(), Name: m.GetName()})
				}
			},
		})
		if err != nil {
			return err
		}
		hasSynced = append(hasSynced, reg.HasSynced)
		started = append(started, func() { inf.RunWithContext(s.ctx) })
	}
	for _, run := range started {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); run() }()
	}
	go func() {
		if cache.WaitForCacheSync(s.ctx.Done(), hasSynced...) {
			synced()
		}
	}()
	return nil
}

// informer is what Start needs to run one informer: how to list and watch, the API type,
// and how converted objects reach the Store.
type informer struct {
	lw       *cache.ListWatch
	obj      k8sruntime.Object
	conv     func(any) any
	onUpsert func(any)
	onDelete func(model.Key)
}

// newInformer types the pieces of an informer for API type A (a pointer) and model type M.
func newInformer[A k8sruntime.Object, L k8sruntime.Object, M any](obj A,
	list func(context.Context, metav1.ListOptions) (L, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
	convert func(A) M, upsert func(M), remove func(model.Key),
) informer {
	return informer{
		lw: &cache.ListWatch{
			ListWithContextFunc:  func(ctx context.Context, o metav1.ListOptions) (k8sruntime.Object, error) { return list(ctx, o) },
			WatchFuncWithContext: watchFn,
		},
		obj: obj,
		conv: func(o any) any {
			if a, ok := o.(A); ok {
				return convert(a)
			}
			return o // tombstones and objects already converted
		},
		onUpsert: func(o any) {
			if m, ok := o.(M); ok {
				upsert(m)
			}
		},
		onDelete: remove,
	}
}

func restConfig(cfg Config) (*rest.Config, error) {
	switch {
	case cfg.Kubeconfig != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.Kubeconfig}
		over := &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}
		over.ClusterInfo.Server = cfg.Endpoint
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, over).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", cfg.Kubeconfig, err)
		}
		return rc, nil
	case cfg.Endpoint != "":
		return &rest.Config{Host: cfg.Endpoint}, nil
	default:
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config (give kubeconfig or endpoint when running outside a cluster): %w", err)
		}
		return rc, nil
	}
}
