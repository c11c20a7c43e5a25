package clusterdns

import (
	"fmt"
	"os"
	"slices"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/kubedns"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/coredns/caddy"
)

// Validate checks one clusterdns block without starting anything: it parses the block as
// setup does and loads every zone file it names. Errors carry the Corefile's file:line, or
// the zone file's; a kube-dns ConfigMap given to stubdomains must load. Operators run it
// (clusterdns -validate) before they apply a ConfigMap.
//
// zones are the zones the block answers, as parsed: its cluster zones, private zones and
// the Corefile's stub zones (a ConfigMap's change at run time); nil when the block does not
// parse. The validator checks them against the other server blocks with no grammar of its own.
func Validate(c *caddy.Controller) (zones []string, err error) {
	cfg, err := parse(c)
	if err != nil {
		return nil, err
	}
	zones = cfg.allZones()
	for _, s := range cfg.stubs {
		zones = append(zones, s.Zone)
	}
	for _, p := range cfg.privates {
		if p.File == "" {
			continue
		}
		f, err := os.Open(p.File)
		if err != nil {
			return zones, fmt.Errorf("private %s: %w", p.Zone, err)
		}
		rrs, err := zone.Parse(f, p.Zone, p.File)
		f.Close()
		if err != nil {
			return zones, err
		}
		if _, err := zone.New(p.Zone, rrs, zone.Options{TTL: p.TTL}); err != nil {
			return zones, fmt.Errorf("%s: %w", p.File, err)
		}
	}
	if cfg.stubdomains != "" {
		if _, err := kubedns.Load(cfg.stubdomains); err != nil {
			return zones, err
		}
	}
	// the peer option: its zone, and each peer's kubeconfig
	if z := cfg.peerZone(); z != "" && !slices.Contains(zones, z) {
		zones = append(zones, z)
	}
	for _, p := range cfg.peers {
		if err := p.Check(); err != nil {
			return zones, err
		}
	}
	return zones, nil
}
