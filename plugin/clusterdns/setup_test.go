package clusterdns

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
)

func TestParse(t *testing.T) {
	tests := []struct {
		input   string
		wantErr string // empty: must parse
		check   func(*config) bool
	}{
		{input: "clusterdns cluster.local in-addr.arpa ip6.arpa", check: func(c *config) bool {
			return len(c.zones) == 3 && c.primaryZone == "cluster.local." && c.ttl == 5 && c.hasReverse() && !c.podsInsecure
		}},
		{input: "clusterdns Cluster.Local 10.0.0.0/24", check: func(c *config) bool {
			return c.zones[0] == "cluster.local." && c.zones[1] == "0.0.10.in-addr.arpa."
		}},
		{input: "clusterdns cluster.local {\n kubeconfig /k ctx\n ttl 5\n pods insecure\n namespaces a b\n fallthrough in-addr.arpa\n}", check: func(c *config) bool {
			return c.kubeconfig == "/k" && c.context == "ctx" && c.ttl == 5 && c.podsInsecure && len(c.namespaces) == 2 && c.fall.Through("1.in-addr.arpa.")
		}},
		{input: "clusterdns cluster.local {\n manifests a.yaml dir\n}", check: func(c *config) bool {
			return len(c.manifests) == 2 && strings.HasPrefix(c.sourceKey(), "manifests:")
		}},
		{input: "clusterdns cluster.local {\n endpoint https://10.0.0.1:6443\n}", check: func(c *config) bool { return c.endpoint != "" }},
		{input: "clusterdns {\n private mycompany.internal {\n  file db.x\n  services all\n  ingresses\n  namespaces a b\n  mesh istio-system/gw\n  ttl 60\n }\n private 10.in-addr.arpa\n ttl 5\n}", check: func(c *config) bool {
			p := c.privates[0]
			return len(c.zones) == 0 && len(c.privates) == 2 && p.Zone == "mycompany.internal." && p.File == "db.x" && p.Services == private.ExportAll &&
				p.Ingresses && len(p.Namespaces) == 2 && p.Mesh && p.Gateway.Name == "gw" && p.TTL == 60 &&
				c.ttl == 5 && len(c.privates[1].Forward) == 1 && c.needsCluster() // ttl after a private zone without a block is the block's
		}},
		{input: "clusterdns {\n private mesh.private {\n  file db.mesh\n }\n}", check: func(c *config) bool {
			return c.privates[0].Services == private.ExportNone && !c.needsCluster() && len(c.privateZones()) == 1
		}},
		{input: "clusterdns cluster.local {\n stub myco.com 10.0.0.53\n stubdomains /etc/kube-dns\n}", check: func(c *config) bool {
			return len(c.stubs) == 1 && c.stubs[0].Zone == "myco.com." && c.stubdomains == "/etc/kube-dns" && len(c.allZones()) == 1
		}},
		{input: "clusterdns {\n stub myco.com 10.0.0.53\n}", check: func(c *config) bool { return len(c.zones) == 0 && !c.needsCluster() }},
		{input: "clusterdns cluster.local {\n endpoint_pod_names\n noendpoints\n ignore empty_service\n}", check: func(c *config) bool {
			return c.podNames && c.noEndpoints && c.ignoreEmpty && c.sourceKey() == "kube:in-cluster+podnames+noendpoints"
		}},
		{input: "clusterdns cluster.local {\n endpoint_pod_names x\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n noendpoints x\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n ignore\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n ignore full_service\n}", wantErr: "want empty_service"},
		{input: "clusterdns cluster.local {\n endpoint https://a:6443 https://b:6443\n tls c.pem k.pem ca.pem\n apiserver_qps 12.5\n apiserver_burst 20\n apiserver_max_inflight 3\n startup_timeout 1m\n}", check: func(c *config) bool {
			return c.endpoint == "https://a:6443" && c.tls == [3]string{"c.pem", "k.pem", "ca.pem"} && c.qps == 12.5 && c.burst == 20 && c.maxInflight == 3 &&
				c.startupTimeout == time.Minute && c.sourceKey() == "kube:@https://a:6443+tls:c.pem,k.pem,ca.pem+limits:12.5,20,3"
		}},
		{input: "clusterdns cluster.local", check: func(c *config) bool { return c.startupTimeout == 5*time.Second && c.qps == 0 && c.maxInflight == 0 }},
		{input: "clusterdns cluster.local {\n endpoint https://a:6443 b:6443\n}", wantErr: "URL"},
		{input: "clusterdns cluster.local {\n tls c.pem k.pem\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n tls c.pem k.pem ca.pem\n}", wantErr: "tls needs endpoint or kubeconfig"},
		{input: "clusterdns cluster.local {\n manifests m.yaml\n tls c.pem k.pem ca.pem\n}", wantErr: "do not combine"},
		{input: "clusterdns cluster.local {\n apiserver_qps -1\n}", wantErr: "want a number >= 0"},
		{input: "clusterdns cluster.local {\n apiserver_qps\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n apiserver_burst x\n}", wantErr: "want an integer >= 0"},
		{input: "clusterdns cluster.local {\n apiserver_max_inflight -2\n}", wantErr: "want an integer >= 0"},
		{input: "clusterdns cluster.local {\n startup_timeout 5\n}", wantErr: "want a duration"},
		{input: "clusterdns cluster.local {\n labels environment in (production, qa), tier notin (frontend)\n namespace_labels istio-injection=enabled\n}", check: func(c *config) bool {
			return c.labels == "environment in (production,qa),tier notin (frontend)" && c.nsLabels == "istio-injection=enabled" &&
				c.sourceKey() == "kube:in-cluster+labels:environment in (production,qa),tier notin (frontend);istio-injection=enabled"
		}},
		{input: "clusterdns cluster.local {\n labels\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n labels a in (\n}", wantErr: "labels"},
		{input: "clusterdns cluster.local {\n namespace_labels a=b\n namespaces x\n}", wantErr: "cannot both be set"},
		{input: "clusterdns cluster.local {\n manifests m.yaml\n labels a=b\n}", wantErr: "not supported with manifests"},
		{input: "clusterdns", wantErr: "no zones"},
		{input: "clusterdns cluster.local {\n private cluster.local\n}", wantErr: "both a cluster zone and a private zone"},
		{input: "clusterdns {\n private a.example\n private b.a.example\n}", wantErr: "overlap"},
		{input: "clusterdns {\n private a.example\n stub a.example 10.0.0.1\n}", wantErr: "overlap"},
		{input: "clusterdns {\n private a.example {\n  services some\n }\n}", wantErr: "annotated or all"},
		{input: "clusterdns {\n private a.example {\n  mesh gw\n }\n}", wantErr: "NAMESPACE/NAME"},
		// transfers moved to CoreDNS's transfer plugin: the old option says where
		{input: "clusterdns {\n private a.example {\n  transfer to 10.0.0.1\n }\n}", wantErr: "transfer a.example. { to ADDRESS... }` in the server block"},
		{input: "clusterdns {\n private a.example {\n  bogus\n }\n}", wantErr: "unknown property"},
		{input: "clusterdns {\n private a.example b.example\n}", wantErr: "one zone"},
		// claims and inside (issue 12)
		{input: "clusterdns cluster.local {\n private a.example {\n  services\n  claims merge\n  inside\n }\n}", check: func(c *config) bool {
			return c.privates[0].Claims == private.ClaimsMerge && c.privates[0].Inside
		}},
		{input: "clusterdns {\n private a.example {\n  services\n }\n}", check: func(c *config) bool {
			return c.privates[0].Claims == private.ClaimsOldest && !c.privates[0].Inside
		}},
		{input: "clusterdns {\n private a.example {\n  claims newest\n }\n}", wantErr: "want oldest or merge"},
		{input: "clusterdns {\n private a.example {\n  claims\n }\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns {\n private a.example {\n  inside yes\n }\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns {\n private a.example {\n  services\n  inside\n }\n}", wantErr: "this block has none"},
		{input: "clusterdns cluster.local {\n private 10.in-addr.arpa {\n  inside\n }\n}", wantErr: "reverse zone"},
		{input: "clusterdns {\n private 10.in-addr.arpa {\n  services\n }\n}", wantErr: "reverse zone"},
		{input: "clusterdns in-addr.arpa", wantErr: "no forward zone"},
		{input: "clusterdns cluster.local {\n ttl -1\n}", wantErr: "ttl"},
		{input: "clusterdns cluster.local {\n ttl 3601\n}", wantErr: "ttl"},
		{input: "clusterdns cluster.local {\n ttl\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n pods insecure\n pods verified\n}", check: func(c *config) bool {
			return c.podsVerified && !c.podsInsecure && strings.HasSuffix(c.sourceKey(), "+pods")
		}},
		{input: "clusterdns cluster.local {\n manifests x.yaml\n pods verified\n}", wantErr: "not supported with manifests"},
		{input: "clusterdns cluster.local {\n pods bogus\n}", wantErr: "want disabled, insecure or verified"},
		{input: "clusterdns cluster.local {\n zonal\n noendpoints\n}", wantErr: "zonal requires the endpoint cache"},
		{input: "clusterdns cluster.local {\n zonal on\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns clusterset.local cluster.local {\n multicluster CLUSTERSET.local\n}", check: func(c *config) bool {
			// PTR targets stay in the cluster's own zone
			return slices.Equal(c.mcZones, []string{"clusterset.local."}) && c.primaryZone == "cluster.local." && c.multiCluster()
		}},
		// as the kubernetes plugin: a multicluster zone that is not the block's is served by neither
		{input: "clusterdns cluster.local {\n multicluster clusterset.local\n}", check: func(c *config) bool {
			return !c.multiCluster() && c.primaryZone == "cluster.local."
		}},
		{input: "clusterdns a.local b.local {\n multicluster a.local b.local\n}", check: func(c *config) bool {
			return c.primaryZone == "a.local." // only multicluster zones: the first
		}},
		{input: "clusterdns cluster.local {\n multicluster cluster.local\n}", check: func(c *config) bool {
			return c.multiCluster() && c.primaryZone == "cluster.local."
		}},
		{input: "clusterdns cluster.local clusterset.local {\n manifests m.yaml\n multicluster clusterset.local\n}", wantErr: "multicluster reads ServiceImports from an API server"},
		{input: "clusterdns cluster.local {\n endpoint 10.0.0.1\n}", wantErr: "URL"},
		{input: "clusterdns cluster.local {\n kubeconfig\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n namespaces\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n manifests x\n kubeconfig y\n}", wantErr: "do not combine"},
		{input: "clusterdns cluster.local {\n bogus\n}", wantErr: "unknown property"},
		{input: "clusterdns cluster.local\nclusterdns example.org", wantErr: plugin.ErrOnce.Error()},
	}
	for _, tc := range tests {
		cfg, err := parse(caddy.NewTestController("dns", tc.input))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tc.input, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.input, err)
			continue
		}
		if !tc.check(cfg) {
			t.Errorf("%q: unexpected config %+v", tc.input, cfg)
		}
	}
}

// setup itself only parses and wires; a bad block is an error, not a panic.
func TestSetupErrors(t *testing.T) {
	if err := setup(caddy.NewTestController("dns", "clusterdns")); err == nil {
		t.Fatal("setup accepted a block without zones")
	}
	if err := setup(caddy.NewTestController("dns", "clusterdns cluster.local")); err != nil {
		t.Fatal(err)
	}
}
