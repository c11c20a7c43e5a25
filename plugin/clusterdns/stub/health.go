package stub

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/coredns/coredns/plugin/pkg/proxy"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// recheckGap is the least time between the starts of two probes of a resolver when failed
// queries ask for them: a name that always fails must not turn probes into a flood.
const recheckGap = 250 * time.Millisecond

// watch probes the resolver every interval, and soon after a failed query asks for it,
// until stop is closed. It alone writes the resolver's healthy gauge, and removes it when it
// returns, so a stopped stub leaves no series behind.
func (r *resolver) watch(interval time.Duration, stop <-chan struct{}) {
	gauge := healthy.WithLabelValues(r.zone, r.addr)
	defer healthy.DeleteLabelValues(r.zone, r.addr)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		started := time.Now()
		err := r.probe()
		select {
		case <-stop:
			return
		default:
		}
		r.setHealth(err, started)
		if err == nil {
			gauge.Set(1)
		} else {
			gauge.Set(0)
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-r.recheck:
			select {
			case <-stop:
				return
			case <-time.After(time.Until(started.Add(recheckGap))):
			}
		}
	}
}

// probe asks the resolver for the zone's SOA. Unlike forward's health check, which takes any
// reply for health (coredns#7184), only an answer counts: a resolver that answers SERVFAIL
// or REFUSED for the zone (it lost its upstream, or does not serve the zone) is unhealthy.
func (r *resolver) probe() error {
	m := new(dns.Msg)
	m.SetQuestion(r.zone, dns.TypeSOA)
	state := request.Request{W: probeWriter{}, Req: m}
	ret, err := exchange(context.Background(), r.probes, state, proxy.Options{PreferUDP: true})
	if err != nil {
		return err
	}
	if ret.Rcode != dns.RcodeSuccess && ret.Rcode != dns.RcodeNameError {
		return fmt.Errorf("SOA %s: %s", r.zone, rcodeName(ret.Rcode))
	}
	return nil
}

// setHealth records the result of the probe that started at started.
func (r *resolver) setHealth(err error, started time.Time) {
	switch up := err == nil; {
	case up && r.failedAt.Load() > started.UnixNano():
		// A query failed during the probe: the recheck it asked for decides.
	case up && !r.up.Swap(true):
		log.Infof("stub %s: resolver %s is up", r.zone, r.addr)
	case !up && r.up.Swap(false):
		log.Warningf("stub %s: resolver %s is down: %v", r.zone, r.addr, err)
	}
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
