// Package stub forwards the queries of one stub zone (a corporate zone such as corp.example)
// to its own resolvers, through CoreDNS's forwarding transport (plugin/pkg/proxy), with health
// checks that ask each resolver for the zone's SOA, failover between resolvers, and optionally
// stale answers while every resolver is down.
package stub

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/parse"
	"github.com/coredns/coredns/plugin/pkg/transport"

	"github.com/miekg/dns"
)

// Policy orders the healthy resolvers of a stub zone for each query.
type Policy string

// The policies: sequential asks the first healthy resolver in configuration order,
// round_robin starts one further along for each query, random shuffles them per query. The
// next healthy resolver is asked when one fails.
const (
	Sequential Policy = "sequential"
	RoundRobin Policy = "round_robin"
	Random     Policy = "random"
)

// DefaultHealthCheck is the interval between two health probes of a resolver;
// MinHealthCheck the shortest the health_check option takes.
const (
	DefaultHealthCheck = 2 * time.Second
	MinHealthCheck     = 100 * time.Millisecond
)

// Config is one stub zone.
type Config struct {
	Zone          string        // lowercase, fully qualified
	Resolvers     []string      // "IP:port", or "tls://IP:port" for DNS over TLS
	TLSServerName string        // the name the TLS resolvers' certificates must carry; empty: their IP
	Policy        Policy        // default Sequential
	HealthCheck   time.Duration // default DefaultHealthCheck
	ServeStale    time.Duration // 0: never answer from expired data
	MaxConcurrent int64         // 0: no bound on queries in flight
}

// NewConfig returns the configuration of zone with the default options, its resolvers given
// as IP, IP:port, or either with a dns:// or tls:// prefix (port 53, or 853 for tls://).
func NewConfig(zone string, resolvers ...string) (*Config, error) {
	z, err := normalizeZone(zone)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Zone: z, Policy: Sequential, HealthCheck: DefaultHealthCheck}
	if cfg.Resolvers, err = normalizeResolvers(resolvers, false); err != nil {
		return nil, err
	}
	return cfg, nil
}

func normalizeZone(zone string) (string, error) {
	zones := plugin.Host(zone).NormalizeExact()
	if len(zones) != 1 {
		return "", fmt.Errorf("invalid zone %q: want one domain name", zone)
	}
	if _, ok := dns.IsDomainName(zones[0]); !ok {
		return "", fmt.Errorf("invalid zone %q", zone)
	}
	return zones[0], nil
}

// normalizeResolvers checks addresses and adds their default port. With allTLS every
// resolver is reached over TLS, as the tls option of a stub block asks.
func normalizeResolvers(addrs []string, allTLS bool) ([]string, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no resolver addresses")
	}
	out := make([]string, 0, len(addrs))
	seen := map[string]bool{}
	for _, a := range addrs {
		trans, host := parse.Transport(a)
		switch {
		case trans != transport.DNS && trans != transport.TLS:
			return nil, fmt.Errorf("resolver %q: only dns:// and tls:// resolvers are supported", a)
		case allTLS && strings.HasPrefix(a, transport.DNS+"://"):
			return nil, fmt.Errorf("resolver %q: plain DNS, but the stub zone asks for tls", a)
		case allTLS:
			trans = transport.TLS
		}
		port := transport.Port
		if trans == transport.TLS {
			port = transport.TLSPort
		}
		if _, p, err := net.SplitHostPort(host); err == nil && p == "" {
			return nil, fmt.Errorf("resolver %q: empty port after the colon", a)
		}
		hostPort, err := parse.HostPort(host, port)
		if err != nil {
			return nil, fmt.Errorf("resolver %q: want an IP address with an optional port", a)
		}
		if hostPort, err = CheckPort(hostPort); err != nil {
			return nil, fmt.Errorf("resolver %q: %v", a, err)
		}
		if trans == transport.TLS {
			hostPort = transport.TLS + "://" + hostPort
		}
		if seen[hostPort] {
			return nil, fmt.Errorf("resolver %q given twice", a)
		}
		seen[hostPort] = true
		out = append(out, hostPort)
	}
	return out, nil
}

// CheckPort rejects what parse.HostPort lets through, ports out of range or not decimal
// numbers (a sign, spaces, hexadecimal), and returns hostPort with its port in canonical
// form (053 is 53), so that one resolver cannot be given twice under two spellings. The
// resolvers of stub blocks and of kube-dns ConfigMaps are checked by it.
func CheckPort(hostPort string) (string, error) {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", fmt.Errorf("bad port %q: want a number from 1 to 65535", port)
	}
	return net.JoinHostPort(host, strconv.FormatUint(p, 10)), nil
}
