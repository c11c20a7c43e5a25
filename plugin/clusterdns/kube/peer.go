package kube

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/coremain"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
)

// PeerHandlers receive what a peer cluster's reflectors read (the peer option). Its
// EndpointSlices go to the Source's Store as the cluster's own do.
type PeerHandlers struct {
	UpsertService func(*model.PeerService)
	DeleteService func(model.Key)
	UpsertExport  func(*model.ServiceExport)
	DeleteExport  func(model.Key)
	Synced        func() // once Services, EndpointSlices and ServiceExports have listed
}

// StartPeer starts the reflectors of a peer cluster, read-only: its Services converted with
// the export annotation key (model.PeerServiceConverter), its EndpointSlices, and its
// ServiceExports once the API server serves them. Namespaces are not read: a peer's
// Service is answered whatever namespaces the local cluster has.
//
// The clients are built as Start builds them, without the limits: a peer is read for a
// handful of exported Services.
//
// With keysOnly (the local cluster, whose Services the cluster zone's source holds
// already) Services are kept as their keys and export annotation alone
// (model.PeerServiceKeys), and nothing else is read. Otherwise the peer's Nodes are read
// too, trimmed as for the nodeports option, and its EndpointSlices: with cfg.NoEndpoints
// (a peer without the endpoints option) each is kept as its Service and the nodes of its
// ready endpoints alone, which the node port records of a Service with
// externalTrafficPolicy Local need; its addresses are answered only with endpoints.
func StartPeer(cfg Config, exportKey string, keysOnly bool, h PeerHandlers) (*Source, error) {
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	rc.UserAgent = fmt.Sprintf("clusterdns (CoreDNS %s; %s/%s; peer)", coremain.CoreVersion, runtime.GOOS, runtime.GOARCH)
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	rc.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return startPeer(cfg, rc.Host, cs, dyn, clock.RealClock{}, exportKey, keysOnly, h), nil
}

func startPeer(cfg Config, host string, cs kubernetes.Interface, dyn dynamic.Interface, clk clock.WithTicker, exportKey string, keysOnly bool, h PeerHandlers) *Source {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Source{name: cfg.Name, store: model.NewStore(), host: host, cs: cs, dyn: dyn, clock: clk, cfg: cfg,
		ctx: ctx, cancel: cancel, enabled: map[model.Kind]bool{}}
	st := s.store
	var pending atomic.Int32
	pending.Store(2)
	part := func() {
		if pending.Add(-1) == 0 {
			st.SetSynced()
			h.Synced()
		}
	}
	svcs := cs.CoreV1().Services(corev1.NamespaceAll)
	eps := cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll)
	conv := model.PeerServiceConverter(exportKey)
	if keysOnly {
		conv = model.PeerServiceKeys(exportKey)
	}
	resources := []resource{newResource("services", &corev1.Service{}, cs, svcs.List, svcs.Watch, conv, h.UpsertService, h.DeleteService)}
	if !keysOnly {
		s.nodePorts = true
		// A Service without a load balancer address is reached at its node ports: the
		// peer's Nodes say which nodes, and for externalTrafficPolicy Local its
		// EndpointSlices' node names say which of them. Without the endpoints option the
		// slices keep nothing else (model.EndpointSliceNodeNames).
		conv := model.EndpointSliceNodeNames
		if !cfg.NoEndpoints {
			conv = model.WithNodeNames(model.EndpointSliceFromAPI)
		}
		resources = append(resources, s.nodes(), newResource("endpointslices", &discoveryv1.EndpointSlice{}, cs,
			func(ctx context.Context, o metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
				return eps.List(ctx, o)
			},
			eps.Watch, conv, st.UpsertSlice, st.DeleteSlice))
	}
	s.run(part, resources...)
	s.wg.Add(1) // Stop waits for it: it may start a reflector
	go watchServed(s, "serviceexports", model.ServiceExportGroup, "service exports", part,
		model.ServiceExportFromUnstructured, h.UpsertExport, h.DeleteExport)
	return s
}

// Probe asks the API server for one Service (and, for node ports, one Node and one
// EndpointSlice): it fails when the server is unreachable or rejects our credentials, or
// forbids one of these reads, whose reflector would then never list (see
// apierrors.IsUnauthorized and IsForbidden), which a peer reports and logs.
func (s *Source) Probe(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	defer cancel()
	one := metav1.ListOptions{Limit: 1}
	if _, err := s.cs.CoreV1().Services(corev1.NamespaceAll).List(ctx, one); err != nil || !s.nodePorts {
		return err
	}
	if _, err := s.cs.CoreV1().Nodes().List(ctx, one); err != nil {
		return err
	}
	_, err := s.cs.DiscoveryV1().EndpointSlices(corev1.NamespaceAll).List(ctx, one)
	return err
}

// Host is the API server's URL.
func (s *Source) Host() string { return s.host }
