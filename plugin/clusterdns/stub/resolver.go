package stub

import (
	"context"
	"crypto/tls"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/plugin/pkg/parse"
	"github.com/coredns/coredns/plugin/pkg/proxy"
	"github.com/coredns/coredns/plugin/pkg/transport"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// The proxy_name labels of CoreDNS's own proxy metrics (coredns_proxy_*) for stub queries
// and health probes.
const (
	queryProxyName = "clusterdns_stub"
	probeProxyName = "clusterdns_stub_probe"
)

// readTimeout bounds the wait for the reply to a query, as forward's default read_timeout;
// probeTimeout the wait for a probe's, as forward's health checker: a probe that hangs
// delays a resolver's return by no more.
const (
	readTimeout  = 2 * time.Second
	probeTimeout = 1 * time.Second
)

// errMismatch is a reply to another question than the one asked.
var errMismatch = errors.New("reply does not match the question")

// resolver is one resolver of a stub zone: its pooled connections (CoreDNS's forwarding
// transport) and whether queries may go to it.
type resolver struct {
	zone string
	addr string // "IP:port", the "to" label of the metrics
	// queries and probes own the connections of each, with their own read timeouts. The
	// proxies' health checkers, which take any reply for health (coredns#7184), are never
	// started: probe replaces them.
	queries, probes *proxy.Proxy
	up              atomic.Bool
	// failedAt is when a query last failed (Unix ns): a probe that started before it does
	// not put the resolver back.
	failedAt atomic.Int64
	// recheck asks the health watcher for a probe soon, after a query failed.
	recheck chan struct{}

	requests prometheus.Counter
	duration prometheus.Observer
}

func newResolver(zone, addr string, tlsConfig *tls.Config) *resolver {
	trans, hostPort := parse.Transport(addr)
	newProxy := func(name string, timeout time.Duration) *proxy.Proxy {
		p := proxy.NewProxy(name, hostPort, trans)
		if trans == transport.TLS {
			p.SetTLSConfig(tlsConfig)
		}
		p.SetReadTimeout(timeout)
		return p
	}
	r := &resolver{
		zone: zone, addr: hostPort, recheck: make(chan struct{}, 1),
		queries:  newProxy(queryProxyName, readTimeout),
		probes:   newProxy(probeProxyName, probeTimeout),
		requests: requests.WithLabelValues(zone, hostPort),
		duration: requestDuration.WithLabelValues(zone, hostPort),
	}
	// Healthy until a probe or a query says otherwise, as forward's proxies start.
	r.up.Store(true)
	return r
}

// query sends a client's query and counts it in the metrics.
func (r *resolver) query(ctx context.Context, state request.Request) (*dns.Msg, error) {
	r.requests.Inc()
	start := time.Now()
	ret, err := exchange(ctx, r.queries, state, proxy.Options{})
	r.duration.Observe(time.Since(start).Seconds())
	if err == nil {
		responses.WithLabelValues(r.zone, r.addr, rcodeName(ret.Rcode)).Inc()
	}
	return ret, err
}

// exchange returns p's reply to state's question. A truncated reply is asked again over
// TCP: the answer is then whole, and the server's scrub writer fits it to the client's
// buffer (clients that cannot retry over TCP get as much of it as fits).
func exchange(ctx context.Context, p *proxy.Proxy, state request.Request, opts proxy.Options) (*dns.Msg, error) {
	for {
		ret, _, _, err := p.Connect(ctx, state, opts)
		switch {
		case errors.Is(err, proxy.ErrCachedClosed):
			// The resolver had closed a pooled connection, which is now dropped: as forward
			// does, try the next one; the pool is finite, a fresh connection ends the loop.
			continue
		case err != nil:
			return nil, err
		case ret.Truncated && !opts.ForceTCP:
			opts.ForceTCP = true
			continue
		case !state.Match(ret):
			return nil, errMismatch
		}
		return ret, nil
	}
}

// failed takes the resolver out of rotation after a query failed, and has the health
// watcher probe it soon: a lost packet costs it a fraction of a second, not an interval.
func (r *resolver) failed(err error) {
	r.failedAt.Store(time.Now().UnixNano())
	if r.up.Swap(false) {
		log.Warningf("stub %s: resolver %s is down: query failed: %v", r.zone, r.addr, err)
	}
	r.askProbe()
}

// askProbe has the health watcher probe soon (it drops the request if one is pending).
func (r *resolver) askProbe() {
	select {
	case r.recheck <- struct{}{}:
	default:
	}
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return strconv.Itoa(rcode)
}
