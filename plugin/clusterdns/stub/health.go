package stub

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/coredns/coredns/plugin/pkg/proxy"
	"github.com/coredns/coredns/plugin/pkg/rcode"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// recheckGap is the least time between the starts of two probes of a resolver when failed
// queries ask for them: a name that always fails must not turn probes into a flood.
const recheckGap = 250 * time.Millisecond

// watch probes the resolver every interval, and soon after a query asks for it, until ctx
// is cancelled (the stub stops; a probe in flight is then abandoned). It sets the
// resolver's healthy gauge after each probe.
func (r *resolver) watch(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		started := time.Now()
		err := r.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		r.setHealth(err, started)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.recheck:
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(started.Add(recheckGap))):
			}
		}
	}
}

// probe asks the resolver for the zone's SOA, connecting and waiting for the reply for at
// most probeTimeout each. Unlike forward's health check, which takes any reply for health
// (coredns#7184), only an answer counts: a resolver that answers SERVFAIL or REFUSED for
// the zone (it lost its upstream, or does not serve the zone) is unhealthy.
func (r *resolver) probe(ctx context.Context) error {
	m := new(dns.Msg)
	m.SetQuestion(r.zone, dns.TypeSOA)
	state := request.Request{W: probeWriter{}, Req: m}
	deadline := time.Now().Add(probeTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ret, err := exchange(ctx, r.probes, state, proxy.Options{PreferUDP: true, TLSConnectDeadline: deadline})
	if err != nil {
		return err
	}
	if ret.Rcode != dns.RcodeSuccess && ret.Rcode != dns.RcodeNameError {
		return fmt.Errorf("SOA %s: %s", r.zone, rcode.ToString(ret.Rcode))
	}
	return nil
}

// setHealth records the result of the probe started at started. A success puts the
// resolver in rotation even if queries sent before the probe fail afterwards: they say
// nothing newer (see failed).
func (r *resolver) setHealth(err error, started time.Time) {
	if err == nil {
		r.alive(started)
		if !r.up.Swap(true) {
			log.Infof("stub %s: resolver %s is up", r.zone, r.addr)
		}
		healthy.WithLabelValues(r.zone, r.addr).Set(1)
		return
	}
	if r.up.Swap(false) {
		log.Warningf("stub %s: resolver %s is down: %v", r.zone, r.addr, err)
	}
	healthy.WithLabelValues(r.zone, r.addr).Set(0)
}

// probeWriter stands for the client of a probe: the proxy reads the transport and buffer
// size of a query from its writer's remote address, and nothing is ever written to it.
type probeWriter struct{}

var probeAddr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}

func (probeWriter) LocalAddr() net.Addr         { return probeAddr }
func (probeWriter) RemoteAddr() net.Addr        { return probeAddr }
func (probeWriter) WriteMsg(*dns.Msg) error     { return nil }
func (probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (probeWriter) Close() error                { return nil }
func (probeWriter) TsigStatus() error           { return nil }
func (probeWriter) TsigTimersOnly(bool)         {}
func (probeWriter) Hijack()                     {}
