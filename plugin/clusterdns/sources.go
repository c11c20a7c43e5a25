package clusterdns

import (
	"sync"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/kube"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/manifest"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// source feeds a model.Store: informers on an API server, or manifest files.
type source interface {
	Store() *model.Store
	Enable(model.Kind) error // start reading an optional kind
	Stop()
}

// Sources are shared by every block that reads the same one and live across Corefile
// reloads: a reload starts the new blocks (acquire) before it shuts the old ones down
// (release), so the count never drops to zero and the watches are never restarted.
var sources = struct {
	sync.Mutex
	m map[string]*sharedSource
}{m: map[string]*sharedSource{}}

type sharedSource struct {
	src  source
	refs int
}

func acquire(cfg *config) (source, error) {
	key := cfg.sourceKey()
	sources.Lock()
	defer sources.Unlock()
	if s := sources.m[key]; s != nil {
		s.refs++
		return s.src, nil
	}
	var src source
	var err error
	if len(cfg.manifests) > 0 {
		src, err = manifest.Start(cfg.manifests, manifestPoll)
	} else {
		src, err = kube.Start(kube.Config{Name: key, Kubeconfig: cfg.kubeconfig, Context: cfg.context, Endpoint: cfg.endpoint,
			TLSCert: cfg.tls[0], TLSKey: cfg.tls[1], TLSCA: cfg.tls[2],
			QPS: cfg.qps, Burst: cfg.burst, MaxInflight: cfg.maxInflight,
			Labels: cfg.labels, NamespaceLabels: cfg.nsLabels, PodNames: cfg.podNames, Zones: cfg.zonal,
			NoEndpoints: cfg.noEndpoints, Pods: cfg.podsVerified,
			NodeNames: cfg.nodePorts()})
	}
	if err != nil {
		return nil, err
	}
	observe(key, src.Store())
	sources.m[key] = &sharedSource{src: src, refs: 1}
	return src, nil
}

func release(cfg *config) {
	key := cfg.sourceKey()
	sources.Lock()
	defer sources.Unlock()
	s := sources.m[key]
	if s == nil {
		return
	}
	if s.refs--; s.refs == 0 {
		delete(sources.m, key)
		s.src.Stop()
		forget(key)
	}
}
