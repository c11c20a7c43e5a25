package stub

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coredns/caddy"
)

// parseStub parses input, a stub directive, the way the clusterdns block does.
func parseStub(input string) (*Config, error) {
	c := caddy.NewTestController("dns", input)
	c.Next()
	return ParseBlock(c)
}

func TestParseBlock(t *testing.T) {
	defaults := func(cfg Config) *Config {
		if cfg.Policy == "" {
			cfg.Policy = Sequential
		}
		if cfg.HealthCheck == 0 {
			cfg.HealthCheck = DefaultHealthCheck
		}
		return &cfg
	}
	tests := []struct {
		input string
		want  *Config
	}{
		{`stub myco.com 10.0.0.1`, defaults(Config{Zone: "myco.com.", Resolvers: []string{"10.0.0.1:53"}})},
		{`stub MyCo.COM. 10.0.0.1:5353 fd00::1 dns://[fd00::2]:54`,
			defaults(Config{Zone: "myco.com.", Resolvers: []string{"10.0.0.1:5353", "[fd00::1]:53", "[fd00::2]:54"}})},
		{`stub myco.com tls://10.0.0.1 10.0.0.2`,
			defaults(Config{Zone: "myco.com.", Resolvers: []string{"tls://10.0.0.1:853", "10.0.0.2:53"}})},
		{`stub myco.com 10.0.0.1 10.0.0.2:8853 {
			policy round_robin
			health_check 500ms
			tls dns.myco.com
			serve_stale 1h
			max_concurrent 100
		}`, &Config{Zone: "myco.com.", Resolvers: []string{"tls://10.0.0.1:853", "tls://10.0.0.2:8853"},
			TLSServerName: "dns.myco.com", Policy: RoundRobin, HealthCheck: 500 * time.Millisecond,
			ServeStale: time.Hour, MaxConcurrent: 100}},
		{`stub 10.in-addr.arpa 10.0.0.1 {
			policy random
		}`, defaults(Config{Zone: "10.in-addr.arpa.", Resolvers: []string{"10.0.0.1:53"}, Policy: Random})},
		{`stub myco.com 10.0.0.1:053 tls://[fd00::1]:0853`, // ports in canonical form
			defaults(Config{Zone: "myco.com.", Resolvers: []string{"10.0.0.1:53", "tls://[fd00::1]:853"}})},
		{`stub myco.com 10.0.0.1 {
			health_check 100ms
		}`, defaults(Config{Zone: "myco.com.", Resolvers: []string{"10.0.0.1:53"}, HealthCheck: MinHealthCheck})},
	}
	for _, tt := range tests {
		got, err := parseStub(tt.input)
		if err != nil {
			t.Errorf("%s: %v", tt.input, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.input, got, tt.want)
		}
	}
}

func TestParseBlockErrors(t *testing.T) {
	tests := []struct{ input, err string }{
		{`stub`, "want a zone and at least one resolver"},
		{`stub myco.com`, "want a zone and at least one resolver"},
		{`stub myco..com 10.0.0.1`, "invalid zone"},
		{`stub myco.com dns.myco.com`, "want an IP address"},
		{`stub myco.com /etc/resolv.conf`, "want an IP address"},
		{`stub myco.com 10.0.0.1:0`, "bad port"},
		{`stub myco.com 10.0.0.1:65536`, "bad port"},
		{`stub myco.com 10.0.0.1:+53`, `bad port "+53"`},
		{`stub myco.com 10.0.0.1:0x35`, `bad port "0x35"`},
		{`stub myco.com 10.0.0.1:`, "empty port"},
		{`stub myco.com [fd00::1]:`, "empty port"},
		{`stub myco.com tls://10.0.0.1:`, "empty port"},
		{`stub myco.com 10.0.0.1:53 10.0.0.1:053`, "given twice"},
		{`stub myco.com https://10.0.0.1`, "only dns:// and tls://"},
		{`stub myco.com 10.0.0.1 10.0.0.1:53`, "given twice"},
		{"stub myco.com dns://10.0.0.1 {\ntls dns.myco.com\n}", "plain DNS, but the stub zone asks for tls"},
		{"stub myco.com 10.0.0.1 {\npolicy fastest\n}", "want sequential, round_robin or random"},
		{"stub myco.com 10.0.0.1 {\nhealth_check 0s\n}", "positive duration"},
		{"stub myco.com 10.0.0.1 {\nhealth_check soon\n}", "positive duration"},
		{"stub myco.com 10.0.0.1 {\nhealth_check 99ms\n}", "want at least 100ms"},
		{"stub myco.com 10.0.0.1 {\nserve_stale -1h\n}", "positive duration"},
		{"stub myco.com 10.0.0.1 {\nmax_concurrent 0\n}", "positive number"},
		{"stub myco.com 10.0.0.1 {\nmax_concurrent many\n}", "positive number"},
		{"stub myco.com 10.0.0.1 {\ntls\n}", "tls takes one argument"},
		{"stub myco.com 10.0.0.1 {\npolicy random sequential\n}", "policy takes one argument"},
		{"stub myco.com 10.0.0.1 {\npolicy random\npolicy sequential\n}", "policy given twice"},
		{"stub myco.com 10.0.0.1 {\nfallthrough\n}", `unknown option "fallthrough"`},
		{"stub myco.com 10.0.0.1 {\npolicy random\n", "missing }"},
	}
	for _, tt := range tests {
		_, err := parseStub(tt.input)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: want an error with %q, got %v", tt.input, tt.err, err)
		}
	}
}

// Inside the clusterdns block a stub without options must not swallow the next directive,
// and one with options must hand the block back after its closing brace.
func TestParseBlockInsideABlock(t *testing.T) {
	c := caddy.NewTestController("dns", `clusterdns cluster.local {
		stub a.example 10.0.0.1
		ttl 30
		stub b.example 10.0.0.2 {
			policy random
		}
		stub c.example 10.0.0.3 {
			max_concurrent 5
		}
		fallthrough
	}`)
	c.Next()
	c.RemainingArgs()
	var directives []string
	var stubs []*Config
	for c.NextBlock() {
		directives = append(directives, c.Val())
		if c.Val() != "stub" {
			c.RemainingArgs()
			continue
		}
		cfg, err := ParseBlock(c)
		if err != nil {
			t.Fatal(err)
		}
		stubs = append(stubs, cfg)
	}
	if want := []string{"stub", "ttl", "stub", "stub", "fallthrough"}; !reflect.DeepEqual(directives, want) {
		t.Fatalf("directives %v, want %v", directives, want)
	}
	if stubs[0].Zone != "a.example." || stubs[1].Policy != Random || stubs[2].MaxConcurrent != 5 || stubs[2].Policy != Sequential {
		t.Errorf("stubs parsed wrong: %+v %+v %+v", stubs[0], stubs[1], stubs[2])
	}
}
