package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
)

// TestTransferAgainstKubernetesPlugin transfers the cluster zone from clusterdns and from
// CoreDNS's kubernetes plugin, both watching the same API server, and requires the same
// records: the apex's and those of the differential corpus's namespace (other tests'
// namespaces may be terminating, which the plugins treat differently, see the README). The
// kubernetes plugin's order of Services of one name and of endpoints within a Service
// depends on its caches, so records are compared as sets, each transfer checked to begin
// and end with the SOA.
func TestTransferAgainstKubernetesPlugin(t *testing.T) {
	e := k8senv.Get(t)
	ours, theirs := harness.FreePort(t), harness.FreePort(t)
	block := func(plugin string, port int) string {
		return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    %s cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s
        ttl 30
    }
    transfer cluster.local {
        to *
    }
}
`, port, plugin, e.Kubeconfig)
	}
	harness.Start(t, block("clusterdns", ours)+block("kubernetes", theirs))
	ns := e.Namespace(t, "xfr")
	emptyAtEnd(t, e, ns)
	corpus(t, e, ns)
	oursAddr, theirsAddr := fmt.Sprintf("127.0.0.1:%d", ours), fmt.Sprintf("127.0.0.1:%d", theirs)
	for _, a := range []string{oursAddr, theirsAddr} {
		harness.Eventually(t, within, "corpus indexed at "+a, func() (bool, string) {
			last := harness.Query(t, a, "last."+ns+".svc.cluster.local.", dns.TypeA)
			many := harness.Query(t, a, "many."+ns+".svc.cluster.local.", dns.TypeA)
			return len(last.Answer) > 0 && len(many.Answer) == 3, harness.Answers(last) + "; " + harness.Answers(many)
		})
	}
	suffix := "." + ns + ".svc.cluster.local."
	records := func(addr string) []string {
		t.Helper()
		m := new(dns.Msg)
		m.SetAxfr("cluster.local.")
		env, err := new(dns.Transfer).In(m, addr)
		if err != nil {
			t.Fatal(err)
		}
		var all []dns.RR
		for x := range env {
			if x.Error != nil {
				t.Fatal(x.Error)
			}
			all = append(all, x.RR...)
		}
		if len(all) < 2 || all[0].Header().Rrtype != dns.TypeSOA || all[len(all)-1].Header().Rrtype != dns.TypeSOA {
			t.Fatalf("transfer from %s does not begin and end with the SOA: %v", addr, all)
		}
		var out []string
		for _, rr := range all {
			if soa, ok := rr.(*dns.SOA); ok {
				soa.Serial = 0 // each plugin's time of its last event
			}
			if name := rr.Header().Name; name == "cluster.local." || strings.HasSuffix(name, suffix) {
				out = append(out, rr.String())
			}
		}
		slices.Sort(out)
		return out
	}
	o, k := records(oursAddr), records(theirsAddr)
	if !slices.Equal(o, k) {
		t.Errorf("transfers differ\nclusterdns:\n%s\nkubernetes:\n%s", strings.Join(o, "\n"), strings.Join(k, "\n"))
	}
	if len(o) < 30 {
		t.Errorf("only %d records compared: the comparison proves too little", len(o))
	}
	t.Logf("%d records identical", len(o))
}
