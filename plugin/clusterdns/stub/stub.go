package stub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/pkg/proxy"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

var log = clog.NewWithPlugin("clusterdns")

// queryTimeout bounds one client query across all resolvers tried, as forward's.
const queryTimeout = 5 * time.Second

// ErrNoHealthy is returned with SERVFAIL when every resolver of the zone is down and no
// stale answer is kept.
var ErrNoHealthy = errors.New("no healthy stub resolver")

var errNoQuestion = errors.New("query without exactly one question")

// Stub forwards the queries of one stub zone to its resolvers.
type Stub struct {
	zone          string
	resolvers     []*resolver
	order         order
	stale         *staleCache // nil without serve_stale
	healthCheck   time.Duration
	maxConcurrent int64
	inFlight      atomic.Int64
	errLimit      error
	lifecycle     lifecycle
	stop          context.CancelFunc // cancels the probes
	watchers      sync.WaitGroup
}

// lifecycle: a Stub starts once and stops once, as CoreDNS plugins do across reloads (a
// reload builds new ones).
type lifecycle int

const (
	created lifecycle = iota
	running
	stopped
)

// New returns the stub zone of cfg; Start begins the health checks.
func New(cfg *Config) *Stub {
	s := &Stub{
		zone:          cfg.Zone,
		order:         order{policy: cfg.Policy},
		healthCheck:   cfg.HealthCheck,
		maxConcurrent: cfg.MaxConcurrent,
		errLimit:      fmt.Errorf("stub %s: more than %d queries in flight", cfg.Zone, cfg.MaxConcurrent),
	}
	if s.healthCheck <= 0 {
		s.healthCheck = DefaultHealthCheck
	}
	if cfg.ServeStale > 0 {
		s.stale = newStaleCache(cfg.ServeStale)
	}
	// One TLS configuration for all: its session cache resumes sessions across reconnects.
	tlsConfig := &tls.Config{ServerName: cfg.TLSServerName, ClientSessionCache: tls.NewLRUClientSessionCache(len(cfg.Resolvers))}
	for _, addr := range cfg.Resolvers {
		s.resolvers = append(s.resolvers, newResolver(s.zone, addr, tlsConfig))
	}
	return s
}

// Zone returns the stub zone, lowercase and fully qualified.
func (s *Stub) Zone() string { return s.zone }

// Start opens the resolvers' connection pools and starts probing them.
func (s *Stub) Start() error {
	if s.lifecycle != created {
		return fmt.Errorf("stub %s: started twice", s.zone)
	}
	if len(s.resolvers) == 0 {
		return fmt.Errorf("stub %s: no resolvers", s.zone)
	}
	s.lifecycle = running
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	for _, r := range s.resolvers {
		r.queries.Start(s.healthCheck)
		r.probes.Start(s.healthCheck)
		holdHealthy(s.zone, r.addr)
		s.watchers.Go(func() { r.watch(ctx, s.healthCheck) })
	}
	return nil
}

// Stop ends the health checks for good, and returns once they are over (a probe waiting
// for its reply may hold it up to a second); the connection pools close when the proxies
// are collected, as forward's do.
func (s *Stub) Stop() {
	wasRunning := s.lifecycle == running
	s.lifecycle = stopped
	if !wasRunning {
		return
	}
	s.stop()
	for _, r := range s.resolvers {
		r.queries.Stop()
		r.probes.Stop()
	}
	s.watchers.Wait()
	for _, r := range s.resolvers {
		releaseHealthy(s.zone, r.addr)
	}
}

// ServeDNS answers a query of the stub zone (the caller matched the zone) from its
// resolvers. As in CoreDNS, a returned SERVFAIL or REFUSED means nothing was written: the
// caller writes the error reply. Only standard queries are forwarded: other opcodes
// (NOTIFY, UPDATE) and zone transfers are refused.
func (s *Stub) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if r.Opcode != dns.OpcodeQuery {
		return dns.RcodeRefused, nil
	}
	if len(r.Question) != 1 {
		return dns.RcodeFormatError, errNoQuestion
	}
	if t := r.Question[0].Qtype; t == dns.TypeAXFR || t == dns.TypeIXFR {
		return dns.RcodeRefused, nil
	}
	if s.maxConcurrent > 0 {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if n > s.maxConcurrent {
			concurrentRejects.WithLabelValues(s.zone).Inc()
			return dns.RcodeRefused, s.errLimit
		}
	}
	state := request.Request{W: w, Req: r}
	reply, _, err := s.resolve(ctx, state)
	switch {
	case errors.Is(err, proxy.ErrInvalidRequest):
		return dns.RcodeFormatError, err
	case errors.Is(err, proxy.ErrUnsupportedRequest):
		return dns.RcodeNotImplemented, err
	case reply == nil || reply.Rcode == dns.RcodeServerFailure || reply.Rcode == dns.RcodeRefused:
		if m := s.stale.answer(state); m != nil {
			staleAnswers.WithLabelValues(s.zone).Inc()
			w.WriteMsg(m)
			return dns.RcodeSuccess, nil
		}
		if reply == nil {
			return dns.RcodeServerFailure, err
		}
	}
	s.stale.add(state, reply)
	w.WriteMsg(reply) // a resolver's own SERVFAIL or REFUSED too: it is written, so success
	return dns.RcodeSuccess, nil
}

// resolve asks the healthy resolvers in policy order until one answers. It returns that
// answer; else the last SERVFAIL or REFUSED reply, if any; else the last error. Each
// resolver gets readTimeout to connect, within queryTimeout for them all. from is the
// address of the resolver whose reply it is.
func (s *Stub) resolve(ctx context.Context, state request.Request) (reply *dns.Msg, from string, err error) {
	deadline := time.Now().Add(queryTimeout)
	var last *dns.Msg
	var lastFrom string
	err = ErrNoHealthy
	for _, r := range s.order.healthy(s.resolvers) {
		if ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		connectBy := now.Add(readTimeout)
		if connectBy.After(deadline) {
			connectBy = deadline
		}
		reply, err = r.query(ctx, state, connectBy)
		switch {
		case errors.Is(err, proxy.ErrInvalidRequest), errors.Is(err, proxy.ErrUnsupportedRequest):
			return nil, "", err // the query, not the resolver, is at fault
		case err != nil:
			// query counted it, if the resolver was at fault: the next resolver is asked
		case reply.Rcode == dns.RcodeServerFailure || reply.Rcode == dns.RcodeRefused:
			// Perhaps only this name fails upstream: the probe judges the resolver.
			r.askProbe()
			last, lastFrom = reply, r.addr
		default:
			return reply, r.addr, nil
		}
	}
	if last != nil {
		return last, lastFrom, nil
	}
	return nil, "", err
}
