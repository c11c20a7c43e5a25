// Package peer answers the Services that peer clusters export (the peer option): each
// peer is read, read-only, through its own kube source, and the exported Services of every
// peer become KEP-1645 names (SERVICE.NAMESPACE.svc, SRV, HOSTNAME.CLUSTER.SERVICE.
// NAMESPACE.svc) in the block's multicluster zone (clusterset.local when it has none), with
// the addresses a client here can reach: the load balancer's, else node ports, else (the
// endpoints option, flat networks) the ready endpoints.
//
// Nothing is written to any cluster. The names are built in this package rather than by
// package index because a peer's answer is not a ServiceImport's: the addresses are the
// reachable ones, and each peer adds its own records to a name; index.Overlay merges them
// with the multicluster zone's ServiceImports.
package peer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/kube"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	clog "github.com/coredns/coredns/plugin/pkg/log"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

var log = clog.NewWithPlugin("clusterdns")

// DefaultZone answers peers' exports when the block has no multicluster zone.
const DefaultZone = "clusterset.local."

// Config is one peer block.
type Config struct {
	Name             string // lowercase DNS label: the CLUSTER of endpoint names
	Kubeconfig       string
	Context          string
	ExportAnnotation string // a Service with it set to "true" is exported
	Endpoints        bool   // flat network: the ready endpoint addresses are reachable
	ExternalIP       bool   // node ports answer the nodes' ExternalIPs (nodeports ExternalIP)

	// Local is the block's own cluster (see LocalName): its clients reach a Service at its
	// ClusterIPs, and its endpoints in any case. It is reached as the block's source is.
	Local    bool
	Endpoint string
	TLS      [3]string // client certificate, key, CA files
	Source   string    // the key of the block's source, whose Store the local cluster reads
}

// LocalName is the CLUSTER label of the local cluster's endpoint names: the peer option
// has no cluster ID to take one from. No peer may be named so.
const LocalName = "local"

// Local returns the Config of the block's own cluster as a peer of the others, reached as
// the block's source is, with the default export annotation.
func Local(source, kubeconfig, context, endpoint string, tls [3]string) *Config {
	return &Config{Name: LocalName, Local: true, Source: source, Kubeconfig: kubeconfig, Context: context, Endpoint: endpoint, TLS: tls,
		ExportAnnotation: model.AnnotationPeerExport, Endpoints: true}
}

func (c *Config) key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%t|%t|%t|%s|%v|%s", c.Name, c.Kubeconfig, c.Context, c.ExportAnnotation, c.Endpoints, c.ExternalIP, c.Local, c.Endpoint, c.TLS, c.Source)
}

// probeEvery is how often a peer's API server is asked whether it still answers us, for
// the metrics and the log; changes themselves arrive by watch.
var probeEvery = 2 * time.Second

// probeTimeout bounds one probe, and the one at start that turns rejected credentials into
// an error.
var probeTimeout = 5 * time.Second

// logEvery is how often a peer that keeps failing is logged.
const logEvery = time.Minute

// Cluster is a running peer: its source and the Services it exports. Blocks naming the
// same peer the same way share it, across reloads too (see acquire).
type Cluster struct {
	cfg Config
	src *kube.Source
	// main is the cluster zone's Store, for the local cluster: its Services and
	// EndpointSlices are read there, src holds only which are exported
	main *model.Store

	mu       sync.Mutex
	services map[model.Key]*model.PeerService
	exports  map[model.Key]bool
	listed   bool
	// logged holds the Services logged as unreachable from here, at the version logged
	logged map[model.Key]string

	subsMu sync.Mutex // apart from mu: Notify runs under the Store's lock
	subs   map[*Set]struct{}

	now     func() time.Time
	lastLog time.Time // when a failure was last logged
	failing bool
	stop    chan struct{}
	done    chan struct{}
}

func newCluster(cfg Config) *Cluster {
	return &Cluster{cfg: cfg, services: map[model.Key]*model.PeerService{}, exports: map[model.Key]bool{},
		logged: map[model.Key]string{},
		subs:   map[*Set]struct{}{}, now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
}

// startCluster connects to a peer. A kubeconfig that cannot be loaded, or credentials the
// API server rejects, is an error naming the file; an API server that does not answer is
// not (the peer may be down while we start): it is logged and retried.
func startCluster(cfg Config, main *model.Store) (*Cluster, error) {
	c := newCluster(cfg)
	if cfg.Local {
		c.main = main
	}
	src, err := kube.StartPeer(kube.Config{Name: "peer:" + cfg.Name, Kubeconfig: cfg.Kubeconfig, Context: cfg.Context,
		Endpoint: cfg.Endpoint, TLSCert: cfg.TLS[0], TLSKey: cfg.TLS[1], TLSCA: cfg.TLS[2],
		NoEndpoints: cfg.Local || !cfg.Endpoints}, // the local cluster's are in main
		cfg.ExportAnnotation, c.main != nil, kube.PeerHandlers{
			UpsertService: c.upsertService, DeleteService: c.deleteService,
			UpsertExport: c.upsertExport, DeleteExport: c.deleteExport,
			Synced: c.synced,
		})
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", cfg.Name, err)
	}
	c.src = src
	if err := src.Probe(probeTimeout); err != nil {
		if rejected(err) {
			src.Stop()
			return nil, fmt.Errorf("peer %s: kubeconfig %s: the API server %s rejects us: %v", cfg.Name, cfg.Kubeconfig, src.Host(), err)
		}
		c.report(err)
	}
	src.Store().Subscribe(c)
	if c.main != nil {
		c.main.Subscribe(c)
	}
	go c.watch()
	return c, nil
}

func rejected(err error) bool { return apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) }

// watch probes the API server until Stop, keeping the metrics and the log current.
func (c *Cluster) watch() {
	defer close(c.done)
	t := time.NewTicker(probeEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.report(c.src.Probe(probeTimeout))
	}
}

// report records the result of a probe: the last contact, the sync state, and a failure
// logged when it starts and then once per logEvery while it lasts.
func (c *Cluster) report(err error) {
	c.mu.Lock()
	listed := c.listed
	c.mu.Unlock()
	now := c.now()
	if err == nil {
		lastContact.WithLabelValues(c.cfg.Name).Set(float64(now.UnixNano()) / 1e9)
		setSynced(c.cfg.Name, listed)
		if c.failing {
			c.failing = false
			log.Infof("peer %s answers again", c.cfg.Name)
		}
		return
	}
	setSynced(c.cfg.Name, false)
	if !c.failing || now.Sub(c.lastLog) >= logEvery {
		what := "is unreachable"
		if rejected(err) {
			what = "rejects us (kubeconfig " + c.cfg.Kubeconfig + ")"
		}
		log.Warningf("peer %s %s: %v; serving its last known state", c.cfg.Name, what, err)
		c.lastLog = now
	}
	c.failing = true
}

func (c *Cluster) close() {
	c.src.Store().Unsubscribe(c)
	if c.main != nil {
		c.main.Unsubscribe(c)
	}
	close(c.stop)
	<-c.done
	c.src.Stop()
	forgetMetrics(c.cfg.Name)
}

func (c *Cluster) upsertService(s *model.PeerService) {
	c.mu.Lock()
	c.services[model.Key{Namespace: s.Namespace, Name: s.Name}] = s
	c.mu.Unlock()
	c.changed()
}

func (c *Cluster) deleteService(k model.Key) {
	c.mu.Lock()
	delete(c.services, k)
	c.mu.Unlock()
	c.changed()
}

func (c *Cluster) upsertExport(e *model.ServiceExport) {
	c.mu.Lock()
	c.exports[model.Key{Namespace: e.Namespace, Name: e.Name}] = true
	c.mu.Unlock()
	c.changed()
}

func (c *Cluster) deleteExport(k model.Key) {
	c.mu.Lock()
	delete(c.exports, k)
	c.mu.Unlock()
	c.changed()
}

func (c *Cluster) synced() {
	c.mu.Lock()
	c.listed = true
	c.mu.Unlock()
	setSynced(c.cfg.Name, true)
	c.changed()
}

// Notify implements model.Subscriber: the peer's EndpointSlices or Nodes changed (or, for
// the local cluster, the cluster zone's Store). A change of one Service that is not
// exported changes nothing here: a peer's slices are read for its node ports too, and a
// cluster's endpoints churn.
func (c *Cluster) Notify(ch model.Change) {
	if ch.Service != (model.Key{}) && ch.Namespace == "" && !ch.Private && ch.Import == (model.Key{}) {
		c.mu.Lock()
		s := c.services[ch.Service]
		exported := s != nil && (c.exports[ch.Service] || s.Annotated)
		c.mu.Unlock()
		if !exported {
			return
		}
	}
	c.changed()
}

func (c *Cluster) changed() {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	for s := range c.subs {
		s.Poke()
	}
}

func (c *Cluster) subscribe(s *Set) {
	c.subsMu.Lock()
	c.subs[s] = struct{}{}
	c.subsMu.Unlock()
}

func (c *Cluster) unsubscribe(s *Set) {
	c.subsMu.Lock()
	delete(c.subs, s)
	c.subsMu.Unlock()
}

// exported calls fn for every exported Service, by ServiceExport or annotation, with its
// EndpointSlices, in a stable order.
func (c *Cluster) exported(fn func(model.View, *model.PeerService, []*model.EndpointSlice)) {
	c.mu.Lock()
	var list []*model.PeerService
	for k, s := range c.services {
		if (c.exports[k] || s.Annotated) && !s.ExternalName {
			list = append(list, s)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(list, func(a, b *model.PeerService) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	if c.main != nil {
		c.main.Read(func(v model.View) {
			for _, s := range list {
				k := model.Key{Namespace: s.Namespace, Name: s.Name}
				if svc := v.Service(k); svc != nil && svc.ExternalName == "" {
					fn(v, localService(svc), v.Slices(k))
				}
			}
		})
		return
	}
	c.src.Store().Read(func(v model.View) {
		for _, s := range list {
			fn(v, s, v.Slices(model.Key{Namespace: s.Namespace, Name: s.Name}))
		}
	})
}

// The clusters running, shared by every block that names the same peer the same way. A
// reload starts the new blocks before it stops the old ones, so a peer kept in the Corefile
// keeps its watches and its state; a peer removed from it is stopped with the old block.
var clusters = struct {
	sync.Mutex
	m map[string]*shared
}{m: map[string]*shared{}}

type shared struct {
	c    *Cluster
	refs int
}

func acquire(cfg Config, main *model.Store) (*Cluster, error) {
	clusters.Lock()
	defer clusters.Unlock()
	if s := clusters.m[cfg.key()]; s != nil {
		s.refs++
		return s.c, nil
	}
	c, err := startCluster(cfg, main)
	if err != nil {
		return nil, err
	}
	clusters.m[cfg.key()] = &shared{c: c, refs: 1}
	return c, nil
}

func release(c *Cluster) {
	clusters.Lock()
	defer clusters.Unlock()
	s := clusters.m[c.cfg.key()]
	if s == nil || s.c != c {
		return
	}
	if s.refs--; s.refs == 0 {
		delete(clusters.m, c.cfg.key())
		c.close()
	}
}

// validLabel reports whether a peer name can be the CLUSTER label of endpoint names.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// unreachable logs, once per version, an exported Service with no address a client here
// can reach: no load balancer address, no node port on an eligible node, and no endpoints
// option.
func (c *Cluster) unreachable(s *model.PeerService) {
	k := model.Key{Namespace: s.Namespace, Name: s.Name}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logged[k] == s.ResourceVersion {
		return
	}
	c.logged[k] = s.ResourceVersion
	log.Warningf("peer %s: Service %s is exported but has no address reachable from here (no load balancer address, no node port on an eligible node; endpoints is off)", c.cfg.Name, k)
}

// localService is what the records of a local Service need, from the cluster zone's model.
func localService(s *model.Service) *model.PeerService {
	out := &model.PeerService{Meta: s.Meta, Headless: s.Headless, ClusterIPs: s.ClusterIPs}
	for _, p := range s.Ports {
		out.Ports = append(out.Ports, model.PeerPort{Port: p})
	}
	return out
}
