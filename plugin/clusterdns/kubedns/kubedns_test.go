package kubedns

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"
)

func stubConfig(t *testing.T, zone string, resolvers ...string) *stub.Config {
	t.Helper()
	cfg, err := stub.NewConfig(zone, resolvers...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		data map[string]string
		want *Config
	}{
		{"nothing", map[string]string{}, &Config{}},
		{"blank values", map[string]string{stubDomainsKey: " \n", upstreamsKey: ""}, &Config{}},
		{"kube-dns documentation example", map[string]string{
			stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`,
			upstreamsKey:   `["8.8.8.8", "8.8.4.4"]`,
		}, &Config{
			Stubs:     []*stub.Config{stubConfig(t, "acme.local.", "1.2.3.4:53")},
			Upstreams: []string{"8.8.8.8:53", "8.8.4.4:53"},
		}},
		{"ports, IPv6, sorted zones", map[string]string{
			stubDomainsKey: `{"corp.example": ["10.0.0.1:5353", "fd00::53"], "acme.local": ["[fd00::1]:54"]}`,
			upstreamsKey:   `["10.0.0.9:5353", "fd00::9", "[fd00::10]:53"]`,
		}, &Config{
			Stubs: []*stub.Config{
				stubConfig(t, "acme.local.", "[fd00::1]:54"),
				stubConfig(t, "corp.example.", "10.0.0.1:5353", "[fd00::53]:53"),
			},
			Upstreams: []string{"10.0.0.9:5353", "[fd00::9]:53", "[fd00::10]:53"},
		}},
		// kube-dns takes a nameserver given twice: it is asked once.
		{"a nameserver given twice", map[string]string{
			stubDomainsKey: `{"acme.local": ["1.2.3.4", "1.2.3.5", "1.2.3.4:53", "1.2.3.4:053"], "corp.example": ["fd00::53", "[fd00:0::53]:53"]}`,
			upstreamsKey:   `["8.8.8.8", "8.8.8.8:53"]`,
		}, &Config{
			Stubs: []*stub.Config{
				stubConfig(t, "acme.local.", "1.2.3.4:53", "1.2.3.5:53"),
				stubConfig(t, "corp.example.", "[fd00::53]:53"),
			},
			Upstreams: []string{"8.8.8.8:53"},
		}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.data)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		stubDomains, upstreams string
		err                    string
	}{
		{`{"acme.local": "1.2.3.4"}`, ``, "stubDomains: json"},
		{`["acme.local"]`, ``, "stubDomains: json"},
		{`{"Acme.local": ["1.2.3.4"]}`, ``, `invalid domain "Acme.local"`},
		{`{"acme.local.": ["1.2.3.4"]}`, ``, `invalid domain "acme.local."`},
		{`{"-acme.local": ["1.2.3.4"]}`, ``, `invalid domain "-acme.local"`},
		{`{"acme.local": []}`, ``, "acme.local: no resolver addresses"},
		{`{"acme.local": ["ns.acme.local"]}`, ``, "host names are not supported"},
		{`{"acme.local": ["1.2.3.4:0"]}`, ``, "bad port"},
		{`{"acme.local": ["1.2.3.4:65536"]}`, ``, "bad port"},
		{`{"acme.local": ["1.2.3.4:dns"]}`, ``, "bad port"},
		{`{"acme.local": ["tls://1.2.3.4"]}`, ``, "want IP or IP:port"},
		{`{"acme.local": ["1.2.3.4:"]}`, ``, `nameserver "1.2.3.4:": empty port`},
		{`{"acme.local": ["[fd00::1]:"]}`, ``, "empty port"},
		{`{"acme.local": ["1.2.3.4:+53"]}`, ``, `bad port "+53"`},
		{`{"acme.local": ["1.2.3.4: 53"]}`, ``, `bad port " 53"`},
		{`{"acme.local": ["1.2.3.4:0x35"]}`, ``, `bad port "0x35"`},
		{``, `["1.2.3.4:"]`, "upstreamNameservers: nameserver \"1.2.3.4:\": empty port"},
		{``, `["1.2.3.4:+53"]`, "bad port"},
		{``, `"8.8.8.8"`, "upstreamNameservers: json"},
		{``, `["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1"]`, "kube-dns takes at most 3"},
		{``, `["dns.google"]`, "host names are not supported"},
		{``, `["8.8.8.8:0"]`, "bad port"},
		{``, `["300.1.1.1"]`, "want IP or IP:port"},
	}
	for _, tt := range tests {
		_, err := Parse(map[string]string{stubDomainsKey: tt.stubDomains, upstreamsKey: tt.upstreams})
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s %s: want an error with %q, got %v", tt.stubDomains, tt.upstreams, tt.err, err)
		}
	}
}
