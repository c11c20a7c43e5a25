package stub

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/plugin/pkg/parse"
	"github.com/coredns/coredns/plugin/pkg/proxy"
	"github.com/coredns/coredns/plugin/pkg/rcode"
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

// readTimeout bounds the wait for the reply to a query, as forward's default read_timeout,
// and the time to connect to the resolver (TCP and TLS handshakes); probeTimeout bounds
// both for a probe, as forward's health checker: a probe that hangs delays a resolver's
// return by no more.
const (
	readTimeout  = 2 * time.Second
	probeTimeout = 1 * time.Second
)

// suspectAfter is how long a query waits for its reply, with no other reply from the
// resolver meanwhile, before the resolver is probed: a resolver that goes silent is out of
// rotation after suspectAfter+probeTimeout, before the query's own readTimeout runs out.
const suspectAfter = 500 * time.Millisecond

// maxFails is how many queries sent after the resolver last answered must fail, with no
// reply in between, to take it out of rotation without waiting for its probe.
const maxFails = 3

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
	// answered is when the last query or probe was sent that the resolver answered (Unix
	// ns): it was alive after then. A query sent before it that fails says nothing of the
	// resolver, only of its question (a firewall dropping AAAA queries) or of a lost packet.
	answered atomic.Int64
	// fails counts the failed queries sent after answered, since the last answer.
	fails atomic.Int32
	// recheck asks the health watcher for a probe soon, after a query failed or while one
	// waits long for its reply.
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
	// Healthy until a probe or queries say otherwise, as forward's proxies start.
	r.up.Store(true)
	return r
}

// query sends a client's query, connecting to the resolver by deadline at the latest, and
// counts it in the metrics and in the resolver's health. A query the client gave up on, or
// one the transport cannot send, says nothing of the resolver.
func (r *resolver) query(ctx context.Context, state request.Request, deadline time.Time) (*dns.Msg, error) {
	r.requests.Inc()
	sent := time.Now()
	suspect := time.AfterFunc(suspectAfter, func() {
		if r.answered.Load() < sent.UnixNano() {
			r.askProbe()
		}
	})
	qctx, cancel := context.WithDeadline(ctx, deadline)
	ret, err := exchange(qctx, r.queries, state, proxy.Options{TLSConnectDeadline: deadline})
	cancel()
	suspect.Stop()
	r.duration.Observe(time.Since(sent).Seconds())
	switch {
	case err == nil:
		responses.WithLabelValues(r.zone, r.addr, rcode.ToString(ret.Rcode)).Inc()
		r.alive(sent)
	case ctx.Err() != nil:
		// The client gave up: nothing is known of the resolver.
	case errors.Is(err, proxy.ErrInvalidRequest), errors.Is(err, proxy.ErrUnsupportedRequest):
		// The query, not the resolver, is at fault.
	default:
		r.failed(err, sent)
	}
	return ret, err
}

// exchange returns p's reply to state's question. A truncated reply is asked again over
// TCP: the answer is then whole, and the server's scrub writer fits it to the client's
// buffer (clients that cannot retry over TCP get as much of it as fits). When TCP fails (a
// firewall that lets only UDP through), the truncated reply is returned: the client may
// retry over TCP itself, and the resolver did answer.
func exchange(ctx context.Context, p *proxy.Proxy, state request.Request, opts proxy.Options) (*dns.Msg, error) {
	var truncated *dns.Msg
	for {
		ret, _, _, err := p.Connect(ctx, state, opts)
		switch {
		case errors.Is(err, proxy.ErrCachedClosed):
			// The resolver had closed a pooled connection, which is now dropped: as forward
			// does, try the next one; the pool is finite, a fresh connection ends the loop.
			continue
		case err != nil && truncated != nil:
			return truncated, nil
		case err != nil:
			return nil, err
		case !state.Match(ret):
			return nil, errMismatch
		case ret.Truncated && !opts.ForceTCP:
			truncated, opts.ForceTCP = ret, true
			continue
		}
		return ret, nil
	}
}

// alive records that the resolver answered a query or probe sent at sent: failed queries
// sent before are forgiven. A reply to something sent before the last answered one (a
// probe that started before a query, answered after) forgives nothing: the failures
// counted since were sent after that answer.
func (r *resolver) alive(sent time.Time) {
	for t := sent.UnixNano(); ; {
		last := r.answered.Load()
		if t <= last {
			return
		}
		if r.answered.CompareAndSwap(last, t) {
			r.fails.Store(0)
			return
		}
	}
}

// failed records a query, sent at sent, that got no reply, and has the health watcher
// probe the resolver soon: the probe decides whether it stays in rotation. Only maxFails
// failed queries in a row, all sent after its last reply, take it out without the probe.
func (r *resolver) failed(err error, sent time.Time) {
	r.askProbe()
	if sent.UnixNano() <= r.answered.Load() {
		return
	}
	if r.fails.Add(1) >= maxFails && r.up.Swap(false) {
		log.Warningf("stub %s: resolver %s is down: %d queries in a row failed, the last: %v", r.zone, r.addr, maxFails, err)
	}
}

// askProbe has the health watcher probe soon (it drops the request if one is pending).
func (r *resolver) askProbe() {
	select {
	case r.recheck <- struct{}{}:
	default:
	}
}
