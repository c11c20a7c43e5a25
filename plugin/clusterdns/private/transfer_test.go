package private

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

// newTransfer builds CoreDNS's transfer plugin from a Corefile snippet, as its setup does,
// with next after it.
func newTransfer(t *testing.T, corefile string, next *Zone) *transfer.Transfer {
	t.Helper()
	c := caddy.NewTestController("dns", corefile)
	c.ServerBlockKeys = []string{"."}
	setup, err := caddy.DirectiveAction("dns", "transfer")
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(c); err != nil {
		t.Fatal(err)
	}
	plugins := dnsserver.GetConfig(c).Plugin
	if len(plugins) != 1 {
		t.Fatalf("%d plugins after the transfer setup", len(plugins))
	}
	tr := plugins[0](next).(*transfer.Transfer)
	if next != nil {
		tr.Transferers = []transfer.Transferer{next}
	}
	return tr
}

// TestPeers reads the transfer plugin's peers as its Notify picks them: the block with the
// longest zone holding ours. It fails when CoreDNS changes the fields peers reads.
func TestPeers(t *testing.T) {
	tr := newTransfer(t, `transfer {
    to 10.0.0.9
}
transfer example.internal {
    to 10.0.0.1 10.0.0.2:5353 *
}
transfer other.example {
    to 10.0.0.3
}`, nil)
	for zone, want := range map[string][]string{
		"example.internal.":     {"10.0.0.1:53", "10.0.0.2:5353"},
		"sub.example.internal.": {"10.0.0.1:53", "10.0.0.2:5353"},
		"mesh.private.":         {"10.0.0.9:53"},
	} {
		if got := peers(tr, zone); !slices.Equal(got, want) {
			t.Errorf("peers(%s) = %v, want %v", zone, got, want)
		}
	}
	if got := peers(nil, "example.internal."); got != nil {
		t.Errorf("without a transfer plugin: peers %v", got)
	}
}

// collector keeps every message of a transfer.
type collector struct {
	test.ResponseWriter
	msgs []*dns.Msg
}

func (c *collector) WriteMsg(m *dns.Msg) error { c.msgs = append(c.msgs, m); return nil }

func (c *collector) records() (rrs []string) {
	for _, m := range c.msgs {
		for _, rr := range m.Answer {
			rrs = append(rrs, rr.Header().Name+" "+dns.TypeToString[rr.Header().Rrtype])
		}
	}
	return rrs
}

// Transfers of a private zone go through CoreDNS's transfer plugin: it takes those of the
// zones it is configured for, from the peers it lists, over TCP; what it leaves reaches
// the zone, which answers NOTAUTH below its apex and REFUSED at it.
func TestTransferThroughThePlugin(t *testing.T) {
	z := startFileZone(t, nil, ExportNone)
	tr := newTransfer(t, "transfer example.internal {\n to 10.240.0.1\n}", z)
	serial := z.Current().Serial()
	whole := []string{"example.internal. SOA", "example.internal. NS", "ns.example.internal. A", "web.example.internal. A", "example.internal. SOA"}
	for _, tc := range []struct {
		name   string
		msg    *dns.Msg
		w      collector
		rcode  int      // returned: nothing written
		answer []string // records transferred
		wrote  int      // the rcode written, when no records are
	}{
		{name: "AXFR", msg: new(dns.Msg).SetAxfr("example.internal."), w: collector{ResponseWriter: test.ResponseWriter{TCP: true}}, answer: whole},
		{name: "IXFR behind", msg: new(dns.Msg).SetIxfr("example.internal.", serial-1, "ns", "hostmaster"), w: collector{ResponseWriter: test.ResponseWriter{TCP: true}}, answer: whole},
		{name: "IXFR current", msg: new(dns.Msg).SetIxfr("example.internal.", serial, "ns", "hostmaster"), w: collector{ResponseWriter: test.ResponseWriter{TCP: true}}, answer: []string{"example.internal. SOA"}},
		{name: "AXFR over UDP", msg: new(dns.Msg).SetAxfr("example.internal."), rcode: dns.RcodeRefused},
		{name: "IXFR over UDP", msg: new(dns.Msg).SetIxfr("example.internal.", serial, "ns", "hostmaster"), rcode: dns.RcodeRefused},
		{name: "AXFR from elsewhere", msg: new(dns.Msg).SetAxfr("example.internal."), w: collector{ResponseWriter: test.ResponseWriter{TCP: true, RemoteIP: "10.9.9.9"}}, wrote: dns.RcodeRefused},
		{name: "AXFR below the apex", msg: new(dns.Msg).SetAxfr("web.example.internal."), w: collector{ResponseWriter: test.ResponseWriter{TCP: true}}, wrote: dns.RcodeNotAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcode, err := tr.ServeDNS(context.Background(), &tc.w, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.rcode != 0:
				if rcode != tc.rcode || len(tc.w.msgs) != 0 {
					t.Fatalf("returned %s with %d messages written, want %s and none", dns.RcodeToString[rcode], len(tc.w.msgs), dns.RcodeToString[tc.rcode])
				}
			case tc.answer != nil:
				if got := tc.w.records(); !slices.Equal(got, tc.answer) || tc.w.msgs[0].Rcode != dns.RcodeSuccess {
					t.Fatalf("transferred %v (rcode %s), want %v", got, dns.RcodeToString[tc.w.msgs[0].Rcode], tc.answer)
				}
			default:
				if len(tc.w.msgs) != 1 || tc.w.msgs[0].Rcode != tc.wrote || len(tc.w.msgs[0].Answer) != 0 {
					t.Fatalf("wrote %v, want one empty %s", tc.w.msgs, dns.RcodeToString[tc.wrote])
				}
			}
		})
	}
}

// Transfer implements transfer.Transferer for the zone's name only, and not before the
// zone is complete.
func TestTransferer(t *testing.T) {
	z := startFileZone(t, nil, ExportNone)
	if _, err := z.Transfer("web.example.internal.", 0); !errors.Is(err, transfer.ErrNotAuthoritative) {
		t.Errorf("below the apex: %v, want ErrNotAuthoritative", err)
	}
	notReady := startFileZone(t, model.NewStore(), ExportAll)
	if ch, err := notReady.Transfer("example.internal.", 0); err == nil || ch != nil {
		t.Errorf("a zone whose sources are not listed transferred (%v)", err)
	}
}
