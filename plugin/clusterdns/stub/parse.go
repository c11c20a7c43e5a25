package stub

import (
	"errors"
	"fmt"
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
		set, ok := options[option]
		switch args := c.RemainingArgs(); {
		case !ok:
			return c.Errf("stub %s: unknown option %q", cfg.Zone, option)
		case seen[option]:
			return c.Errf("stub %s: %s given twice", cfg.Zone, option)
		case len(args) != 1:
			return c.Errf("stub %s: %s takes one argument", cfg.Zone, option)
		default:
			if err := set(cfg, args[0]); err != nil {
				return c.Errf("stub %s: %s %q: %v", cfg.Zone, option, args[0], err)
			}
		}
		seen[option] = true
	}
}

// options sets each option of a stub block from its argument.
var options = map[string]func(cfg *Config, arg string) error{
	"policy": func(cfg *Config, arg string) error {
		switch p := Policy(arg); p {
		case Sequential, RoundRobin, Random:
			cfg.Policy = p
			return nil
		}
		return errors.New("want sequential, round_robin or random")
	},
	"health_check": func(cfg *Config, arg string) (err error) {
		if cfg.HealthCheck, err = positiveDuration(arg); err == nil && cfg.HealthCheck < MinHealthCheck {
			err = fmt.Errorf("want at least %v, not to flood the resolvers with probes", MinHealthCheck)
		}
		return err
	},
	"tls": func(cfg *Config, arg string) error {
		cfg.TLSServerName = arg
		return nil
	},
	"serve_stale": func(cfg *Config, arg string) (err error) {
		cfg.ServeStale, err = positiveDuration(arg)
		return err
	},
	"max_concurrent": func(cfg *Config, arg string) error {
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n <= 0 {
			return errors.New("want a positive number")
		}
		cfg.MaxConcurrent = n
		return nil
	},
}

func positiveDuration(arg string) (time.Duration, error) {
	d, err := time.ParseDuration(arg)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive duration such as 2s or 1h")
	}
	return d, nil
}
