package bindtest

import (
	"testing"

	"github.com/miekg/dns"
)

func TestStart(t *testing.T) {
	s := Start(t, Zone{Origin: "mesh.private.", File: "../../zones/db.mesh.private"})
	m := new(dns.Msg)
	m.SetQuestion("ads.mesh.private.", dns.TypeA)
	r, err := s.Exchange(m, false)
	if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "10.0.0.1" {
		t.Fatalf("got %v %v", r, err)
	}
	s.Stop()
	if _, err := s.Exchange(m, false); err == nil {
		t.Fatal("stopped server answered")
	}
	s.Start()
	if r, err := s.Exchange(m, true); err != nil || len(r.Answer) != 1 {
		t.Fatalf("after restart: %v %v", r, err)
	}
}

func TestMinimalResponses(t *testing.T) {
	for _, minimal := range []bool{false, true} {
		s := StartConfig(t, Config{MinimalResponses: minimal}, Zone{Origin: "mesh.private.", File: "../../zones/db.mesh.private"})
		m := new(dns.Msg)
		m.SetQuestion("ads.mesh.private.", dns.TypeA)
		r, err := s.Exchange(m, false)
		if err != nil {
			t.Fatal(err)
		}
		// Without minimal responses named adds the zone's NS RRset and its addresses.
		if got := len(r.Ns) == 0 && len(r.Extra) == 0; got != minimal {
			t.Errorf("minimal-responses %v: authority %v, additional %v", minimal, r.Ns, r.Extra)
		}
	}
}
