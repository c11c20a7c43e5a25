package stub

import (
	"crypto/tls"
	"net"
	"sync/atomic"
	"testing"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// fakeResolver is a resolver for myco.com that a zone server does not imitate: one that goes silent
// (no reply, no ICMP error: a resolver behind a dead route), or holds replies until told.
// It answers the SOA, who.myco.com TXT with its name, slow.myco.com A once released, and
// SERVFAIL for broken.myco.com; it never answers dropped.myco.com (a firewall dropping
// some queries), and answers big.myco.com truncated, empty, as if it did not fit.
type fakeResolver struct {
	addr    string
	name    string
	silent  atomic.Bool
	release chan struct{} // closed: slow.myco.com answers
	probes  atomic.Int64  // SOA queries answered
}

// startFake serves over UDP.
func startFake(t *testing.T, name string) *fakeResolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeResolver{addr: pc.LocalAddr().String(), name: name, release: make(chan struct{})}
	listen(t, &dns.Server{PacketConn: pc, Handler: f})
	return f
}

// startFakeTLS serves DNS over TLS with cert.
func startFakeTLS(t *testing.T, name string, cert tls.Certificate) *fakeResolver {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeResolver{addr: l.Addr().String(), name: name, release: make(chan struct{})}
	listen(t, &dns.Server{Listener: l, Net: "tcp-tls", Handler: f})
	return f
}

func listen(t *testing.T, srv *dns.Server) {
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
}

func (f *fakeResolver) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if f.silent.Load() {
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	switch {
	case q.Qtype == dns.TypeSOA && q.Name == "myco.com.":
		f.probes.Add(1)
		m.Answer = append(m.Answer, test.SOA("myco.com. 300 IN SOA ns1.myco.com. hostmaster.myco.com. 1 7200 1800 86400 60"))
	case q.Qtype == dns.TypeTXT && q.Name == "who.myco.com.":
		m.Answer = append(m.Answer, test.TXT(`who.myco.com. 300 IN TXT "`+f.name+`"`))
	case q.Qtype == dns.TypeA && q.Name == "slow.myco.com.":
		<-f.release
		m.Answer = append(m.Answer, test.A("slow.myco.com. 300 IN A 10.1.0.99"))
	case q.Name == "broken.myco.com.":
		m.Rcode = dns.RcodeServerFailure
	case q.Name == "dropped.myco.com.":
		return
	case q.Name == "big.myco.com.":
		m.Truncated = true
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}
