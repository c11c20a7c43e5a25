package stub

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Explain names the resolver whose reply it is: the next one once the first is down.
func TestExplainNamesResolver(t *testing.T) {
	a, b := startZoneServer(t, "a"), startZoneServer(t, "b")
	s := startStub(t, fastChecks, a.Addr, b.Addr)
	got := s.Explain(context.Background(), "who.myco.com.", dns.TypeTXT)
	if got.Zone != "myco.com." || got.Kind != "stub" || got.Rcode != "NOERROR" || len(got.Records) == 0 ||
		got.Records[0].Source != "stub "+a.Addr || got.Records[0].Section != "answer" {
		t.Fatalf("explain with a up: %+v, want the answer from stub %s", got, a.Addr)
	}
	a.Stop()
	waitFor(t, 5*time.Second, "a seen down", func() bool { v, ok := healthyGauge(t, a.Addr); return ok && v == 0 })
	got = s.Explain(context.Background(), "who.myco.com.", dns.TypeTXT)
	if len(got.Records) == 0 || got.Records[0].Source != "stub "+b.Addr {
		t.Fatalf("explain with a down: %+v, want the answer from stub %s", got, b.Addr)
	}
}
