package clusterdns

import (
	"context"
	"errors"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/plugin/metadata"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// Metadata implements metadata.Provider with the kubernetes plugin's keys for a query in a
// cluster zone, so `log` formats and `view` expressions written for it keep working:
// kubernetes/kind (svc or pod), kubernetes/namespace, kubernetes/service,
// kubernetes/endpoint, kubernetes/port-name, kubernetes/protocol, or
// kubernetes/parse-error for a name the plugin cannot parse. The values are those of the
// plugin's parseRequest, taken from the name asked whether or not it exists.
//
// The client keys kubernetes/client-namespace and kubernetes/client-pod-name are set, for
// any query, when ClientPod finds the client's pod: with `pods verified`, as the
// kubernetes plugin (client-pod-name only when one pod has the address, see clientPod).
// kubernetes/client-label/* (pod labels: we keep none, for memory) and kubernetes/cluster
// (multicluster names) are not set. With zonal, kubernetes/zone is the topology zone of a
// zone-scoped name, empty for other names, as in the plugin.
func (c *ClusterDNS) Metadata(ctx context.Context, state request.Request) context.Context {
	if c.ClientPod != nil {
		if ns, name, ok := c.ClientPod(state.IP()); ok {
			metadata.SetValueFunc(ctx, "kubernetes/client-namespace", func() string { return ns })
			if name != "" {
				metadata.SetValueFunc(ctx, "kubernetes/client-pod-name", func() string { return name })
			}
		}
	}
	zone := zonename.Match(c.cfg.zones, state.Name())
	if zone == "" {
		return ctx
	}
	r, err := parseName(state.Name(), zone, c.cfg.zonal)
	if err != nil {
		metadata.SetValueFunc(ctx, "kubernetes/parse-error", func() string { return err.Error() })
		return ctx
	}
	for _, kv := range [...][2]string{
		{"kubernetes/port-name", r.port},
		{"kubernetes/protocol", r.protocol},
		{"kubernetes/endpoint", r.endpoint},
		{"kubernetes/service", r.service},
		{"kubernetes/namespace", r.namespace},
		{"kubernetes/kind", r.kind},
	} {
		v := kv[1]
		metadata.SetValueFunc(ctx, kv[0], func() string { return v })
	}
	if c.cfg.zonal {
		metadata.SetValueFunc(ctx, "kubernetes/zone", func() string { return r.zone })
	}
	return ctx
}

// nameParts are the parts of a cluster-zone name, as the kubernetes plugin's recordRequest.
type nameParts struct {
	port, protocol, endpoint, service, namespace, kind string
	zone                                               string // of a zone-scoped name (zonal)
}

// errInvalidName is the kubernetes plugin's errInvalidRequest, whose text users match.
var errInvalidName = errors.New("invalid query name")

// parseName splits name (lowercase, in zone) as the kubernetes plugin's parseRequest does
// without multicluster names: [_port._proto.|endpoint.]service.namespace.kind, and with
// zonal ZONE.pin|prefer._zone.service.namespace.svc (ZONE may span labels).
func parseName(name, zone string, zonal bool) (nameParts, error) {
	var r nameParts
	base := strings.TrimSuffix(strings.TrimSuffix(name, zone), ".")
	if base == "" || base == "svc" || base == "pod" {
		return r, nil
	}
	segs := dns.SplitDomainName(base)
	last := len(segs) - 1
	r.kind = segs[last]
	if r.kind != "svc" && r.kind != "pod" {
		return r, errInvalidName
	}
	if last--; last < 0 {
		return r, nil
	}
	r.namespace = segs[last]
	if last--; last < 0 {
		return r, nil
	}
	r.service = segs[last]
	switch last - 1 {
	case -1:
	case 0:
		r.endpoint = segs[0]
	case 1:
		r.protocol = strings.TrimPrefix(segs[1], "_")
		r.port = strings.TrimPrefix(segs[0], "_")
	default:
		d := last - 1 // the label left of the service
		if !zonal || segs[d] != "_zone" || r.kind != "svc" || (segs[d-1] != "pin" && segs[d-1] != "prefer") {
			return r, errInvalidName
		}
		r.zone = strings.Join(segs[:d-1], ".")
	}
	return r, nil
}
