// Package harness is what the end-to-end tests share: loopback ports, a server started from
// a Corefile, queries and expectations on their answers, and the adaptation of the
// Corefiles we ship to a test machine.
package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns/caddy"
	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
)

// FreePort returns a port free on 127.0.0.1 for both UDP and TCP at the time of the call,
// and never the same one twice in a process. It is chosen in 10000-19999, below the kernel's
// ephemeral range (32768-60999 by default) and below the ports test/k8s/apiserver.sh and
// the benchmark pick: a test that stops a server and starts it again on the same port (a
// resolver going down and coming back) must find the port still free, and an ephemeral
// port can meanwhile be taken as the source port of any client socket on the machine.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 1000 {
		port := 10000 + rand.IntN(10000) // #nosec G404 -- spreading test ports, not security
		if portsGiven[port] {
			continue
		}
		l, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		tl, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err != nil {
			continue
		}
		tl.Close()
		portsGiven[port] = true
		return port
	}
	t.Fatal("no free port in 10000-19999")
	return 0
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// Start starts a server from a Corefile and stops it, shutdown hooks included, when the
// test ends. The test links the plugins (import _ "github.com/clusterdns/clusterdns/core"):
// this package must not, as the plugins' own tests use it through test/bindtest.
func Start(t testing.TB, corefile string) *caddy.Instance {
	t.Helper()
	i, err := coretest.CoreDNSServer(corefile)
	if err != nil {
		t.Fatalf("starting server: %v\n%s", err, corefile)
	}
	t.Cleanup(func() {
		i.Stop()
		i.ShutdownCallbacks() // Stop alone leaves OnShutdown hooks (informers, watchers) running
	})
	return i
}

// Query asks addr over UDP, trying three times before it fails the test.
func Query(t testing.TB, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	for try := 0; ; try++ {
		r, _, err := c.Exchange(m, addr)
		if err == nil {
			return r
		}
		if try == 2 {
			t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
		}
	}
}

// Answers returns the rcode and the answer section as sorted "TYPE DATA" strings:
// "NOERROR: A 10.0.0.1, A 10.0.0.2".
func Answers(m *dns.Msg) string {
	var parts []string
	for _, rr := range m.Answer {
		f := strings.SplitN(rr.String(), "\t", 5)
		parts = append(parts, f[3]+" "+f[4])
	}
	slices.Sort(parts)
	return dns.RcodeToString[m.Rcode] + ": " + strings.Join(parts, ", ")
}

// Eventually polls cond until it is true, or fails the test after within with cond's last
// answer.
func Eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	EventuallyEvery(t, within, 5*time.Millisecond, what, cond)
}

// EventuallyEvery is Eventually polling every interval: for conditions that cost the server
// something to evaluate, such as a metrics scrape.
func EventuallyEvery(t testing.TB, within, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, got := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within %v; last answer:\n%s", what, within, got)
		}
		time.Sleep(interval) // polling a condition with a deadline
	}
}

// Expect waits, up to within, until Answers of the query reads want.
func Expect(t testing.TB, within time.Duration, addr, name string, qtype uint16, want string) {
	t.Helper()
	Eventually(t, within, name+" "+dns.TypeToString[qtype]+" = "+want, func() (bool, string) {
		got := Answers(Query(t, addr, name, qtype))
		return got == want, got
	})
}

// ExpectNow asserts the answer of one query at once, without waiting. It is the check of a
// negative answer ("NXDOMAIN after the delete"): waiting for NXDOMAIN would pass before the
// server has even seen the change. Call it once the server provably has, after a sentinel:
// a change made after the one under test whose answer (awaited with Expect) shows that the
// server applied everything before it, such as an object of the same kind created last,
// since a watch delivers one kind's events in order.
func ExpectNow(t testing.TB, addr, name string, qtype uint16, want string) {
	t.Helper()
	if got := Answers(Query(t, addr, name, qtype)); got != want {
		t.Fatalf("%s %s = %s, want %s", name, dns.TypeToString[qtype], got, want)
	}
}

// Stays asserts that the answer of a query reads want at every poll for window: for what
// must hold over time (the last good state kept while a broken input is read), not once.
func Stays(t testing.TB, window time.Duration, addr, name string, qtype uint16, want string) {
	t.Helper()
	end := time.Now().Add(window)
	for polls := 1; ; polls++ {
		if got := Answers(Query(t, addr, name, qtype)); got != want {
			t.Fatalf("%s %s = %s after %d polls, want %s for %v", name, dns.TypeToString[qtype], got, polls, want, window)
		}
		if time.Now().After(end) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Localize adapts a shipped Corefile to the test machine and changes nothing else: every
// server block on a free loopback port, the same for blocks of the same port (ports maps the
// Corefile's port, "53" or "5353", to it, and "health" and "ready" to theirs), the test API server's kubeconfig in every
// clusterdns and kubernetes block (there is no in-cluster config here), a loopback forwarder
// instead of /etc/resolv.conf (no test traffic leaves the machine), and zoneDir for the
// ConfigMap's mount /etc/coredns/.
func Localize(t testing.TB, corefile, kubeconfig, zoneDir string) (string, map[string]int) {
	t.Helper()
	ports := map[string]int{"health": FreePort(t), "ready": FreePort(t)}
	block := regexp.MustCompile(`(?m)^([^\s{}#:]*):(\d+) \{`)
	s := block.ReplaceAllStringFunc(corefile, func(m string) string {
		sub := block.FindStringSubmatch(m)
		p, ok := ports[sub[2]]
		if !ok { // blocks on one port (a view, a zone of its own) stay on one port
			p = FreePort(t)
			ports[sub[2]] = p
		}
		return fmt.Sprintf("%s:%d {\n    bind 127.0.0.1", sub[1], p)
	})
	s = regexp.MustCompile(`(?m)^(\s*)health \{`).ReplaceAllString(s, fmt.Sprintf("${1}health 127.0.0.1:%d {", ports["health"]))
	s = regexp.MustCompile(`(?m)^(\s*)ready$`).ReplaceAllString(s, fmt.Sprintf("${1}ready 127.0.0.1:%d", ports["ready"]))
	s = strings.ReplaceAll(s, "prometheus :9153", fmt.Sprintf("prometheus 127.0.0.1:%d", FreePort(t)))
	s = strings.ReplaceAll(s, "forward . /etc/resolv.conf", fmt.Sprintf("forward . 127.0.0.1:%d", FreePort(t)))
	s = regexp.MustCompile(`(?m)^(\s*(?:clusterdns|kubernetes)\b[^{\n]*\{)$`).ReplaceAllString(s, "${1}\n       kubeconfig "+kubeconfig)
	s = strings.ReplaceAll(s, "/etc/coredns/", zoneDir+"/")
	return s, ports
}
