package stub

import (
	"strconv"
	"time"

	"github.com/coredns/caddy"
)

// ParseBlock parses one stub directive, the controller's current token being "stub":
//
//	stub ZONE ADDRESS... {
//	    policy sequential|round_robin|random
//	    health_check INTERVAL
//	    tls SERVERNAME
//	    serve_stale DURATION
//	    max_concurrent N
//	}
//
// It leaves the controller on the directive's last token, so the enclosing block's
// c.NextBlock() loop goes on with the next directive.
func ParseBlock(c *caddy.Controller) (*Config, error) {
	args := c.RemainingArgs()
	if len(args) < 2 {
		return nil, c.Err("stub: want a zone and at least one resolver address")
	}
	cfg := &Config{Policy: Sequential, HealthCheck: DefaultHealthCheck}
	var err error
	if cfg.Zone, err = normalizeZone(args[0]); err != nil {
		return nil, c.Errf("stub: %v", err)
	}
	// The block is walked by hand: inside the enclosing block, c.NextBlock() would take the
	// next line's directive for ours when this stub has no block of its own.
	if c.NextArg() { // RemainingArgs stopped before a "{" on this line
		if err := parseOptions(c, cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Resolvers, err = normalizeResolvers(args[1:], cfg.TLSServerName != ""); err != nil {
		return nil, c.Errf("stub %s: %v", cfg.Zone, err)
	}
	return cfg, nil
}

// parseOptions reads the options up to the closing brace; the current token is "{".
func parseOptions(c *caddy.Controller, cfg *Config) error {
	seen := map[string]bool{}
	for {
		if !c.Next() {
			return c.Errf("stub %s: missing }", cfg.Zone)
		}
		option := c.Val()
		if option == "}" {
			return nil
		}
		if seen[option] {
			return c.Errf("stub %s: %s given twice", cfg.Zone, option)
		}
		seen[option] = true
		args := c.RemainingArgs()
		if len(args) != 1 {
			return c.Errf("stub %s: %s takes one argument", cfg.Zone, option)
		}
		if err := setOption(c, cfg, option, args[0]); err != nil {
			return err
		}
	}
}

func setOption(c *caddy.Controller, cfg *Config, option, arg string) error {
	switch option {
	case "policy":
		switch p := Policy(arg); p {
		case Sequential, RoundRobin, Random:
			cfg.Policy = p
		default:
			return c.Errf("stub %s: policy %q: want sequential, round_robin or random", cfg.Zone, arg)
		}
	case "health_check":
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			return c.Errf("stub %s: health_check %q: want a positive duration such as 2s", cfg.Zone, arg)
		}
		cfg.HealthCheck = d
	case "tls":
		cfg.TLSServerName = arg
	case "serve_stale":
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			return c.Errf("stub %s: serve_stale %q: want a positive duration such as 1h", cfg.Zone, arg)
		}
		cfg.ServeStale = d
	case "max_concurrent":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n <= 0 {
			return c.Errf("stub %s: max_concurrent %q: want a positive number", cfg.Zone, arg)
		}
		cfg.MaxConcurrent = n
	default:
		return c.Errf("stub %s: unknown option %q", cfg.Zone, option)
	}
	return nil
}
