// Package kubedns reads kube-dns's ConfigMap (kube-system/kube-dns): its stubDomains become
// clusterdns stub zones and its upstreamNameservers a forward line, so a cluster moving from
// kube-dns keeps its corporate zones. Values are validated as kube-dns validates them.
package kubedns

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"unicode"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"

	"k8s.io/apimachinery/pkg/util/validation"
)

// The ConfigMap keys read; kube-dns's others (federations) are obsolete and ignored.
const (
	stubDomainsKey = "stubDomains"
	upstreamsKey   = "upstreamNameservers"
)

// maxUpstreams is kube-dns's limit on upstreamNameservers (the resolv.conf limit).
const maxUpstreams = 3

// Config is what clusterdns takes from the ConfigMap.
type Config struct {
	Stubs     []*stub.Config // one per stub domain, with the stub defaults, sorted by zone
	Upstreams []string       // "IP:port"
}

// Parse reads the ConfigMap's data: stubDomains, a JSON object from domain to a list of "IP"
// or "IP:port", and upstreamNameservers, a JSON list of at most three of those.
func Parse(data map[string]string) (*Config, error) {
	cfg := &Config{}
	var domains map[string][]string
	if err := unmarshal(data, stubDomainsKey, &domains); err != nil {
		return nil, err
	}
	for _, zone := range slices.Sorted(maps.Keys(domains)) {
		// kube-dns's rule: lowercase, no trailing dot.
		if errs := validation.IsDNS1123Subdomain(zone); len(errs) > 0 {
			return nil, fmt.Errorf("%s: invalid domain %q: %s", stubDomainsKey, zone, strings.Join(errs, "; "))
		}
		var resolvers []string
		for _, ns := range domains[zone] {
			addr, err := nameserver(ns)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", stubDomainsKey, zone, err)
			}
			// kube-dns takes a nameserver given twice ("1.2.3.4" and "1.2.3.4:53"): it is
			// asked once.
			if !slices.Contains(resolvers, addr) {
				resolvers = append(resolvers, addr)
			}
		}
		sc, err := stub.NewConfig(zone, resolvers...)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", stubDomainsKey, zone, err)
		}
		cfg.Stubs = append(cfg.Stubs, sc)
	}

	var upstreams []string
	if err := unmarshal(data, upstreamsKey, &upstreams); err != nil {
		return nil, err
	}
	if len(upstreams) > maxUpstreams {
		return nil, fmt.Errorf("%s: %d given, kube-dns takes at most %d", upstreamsKey, len(upstreams), maxUpstreams)
	}
	for _, ns := range upstreams {
		addr, err := nameserver(ns)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", upstreamsKey, err)
		}
		if !slices.Contains(cfg.Upstreams, addr) {
			cfg.Upstreams = append(cfg.Upstreams, addr)
		}
	}
	return cfg, nil
}

// unmarshal decodes the JSON of key, if the data has it.
func unmarshal(data map[string]string, key string, v any) error {
	value := strings.TrimSpace(data[key])
	if value == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(value), v); err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	return nil
}

// nameserver checks ns, an IP address or an IP address and a port, as kube-dns takes them,
// and returns it as "IP:port" in canonical form (port 53 by default), so that a nameserver
// written two ways is seen to be one. (kube-dns also took host names in stubDomains;
// clusterdns resolves nothing to find a resolver, so they are refused with a clear error.)
func nameserver(ns string) (string, error) {
	if strings.Contains(ns, "://") {
		return "", fmt.Errorf("nameserver %q: want IP or IP:port, without a scheme", ns)
	}
	host, port, err := net.SplitHostPort(ns)
	switch {
	case err != nil: // no port, or a bare IPv6 address
		host, port = ns, "53"
	case port == "":
		return "", fmt.Errorf("nameserver %q: empty port after the colon", ns)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		if strings.ContainsFunc(host, unicode.IsLetter) && len(validation.IsDNS1123Subdomain(host)) == 0 {
			return "", fmt.Errorf("nameserver %q: host names are not supported, give its IP address", ns)
		}
		return "", fmt.Errorf("nameserver %q: want IP or IP:port", ns)
	}
	addr, err := stub.CheckPort(net.JoinHostPort(ip.String(), port))
	if err != nil {
		return "", fmt.Errorf("nameserver %q: %v", ns, err)
	}
	return addr, nil
}
