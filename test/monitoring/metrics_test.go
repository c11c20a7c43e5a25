package monitoring

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core" // every plugin, ours included
	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }

// pending are metrics the dashboard or the rules query before the server exports them: a
// name here must be absent from the scrape (not misspelled elsewhere), and the test fails
// once it is exported until it leaves this list. Empty since issue 14's private zone
// metrics landed.
var pending = []string{}

// fromScrape are labels Prometheus adds to every series (job, the pod's from the
// ServiceMonitor) and the histogram's own.
var fromScrape = []string{"job", "instance", "namespace", "pod", "le"}

// labelName finds label names: in a sample's {a="x",b="y"}, in a selector's matchers
// ({rcode="SERVFAIL"}, {pod=~"$pod"}) and in by (a, b).
var labelName = regexp.MustCompile(`[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=|!=|=~|!~)\s*"`)

var byClause = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\(([^)]*)\)`)

// usedLabels returns the labels an expression groups by or matches on.
func usedLabels(expr string) []string {
	var out []string
	add := func(l string) {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	for _, m := range labelName.FindAllStringSubmatch(expr, -1) {
		add(m[1])
	}
	for _, m := range byClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(m[1], ",") {
			add(l)
		}
	}
	return out
}

// fromPrometheus are series Prometheus makes itself, not the server.
var fromPrometheus = []string{"up"}

// TestEveryQueriedMetricIsExported runs a server with what the dashboard shows (a cluster
// zone, a private zone, stub zones with serve_stale and max_concurrent, a peer), makes each metric
// appear (a Vec exports nothing until a series is set: queries to every block, a Service
// created, a stale answer, a rejected query), scrapes /metrics and finds every metric that
// a dashboard panel or an alert rule queries.
func TestEveryQueriedMetricIsExported(t *testing.T) {
	e := k8senv.Get(t)
	peer := k8senv.Another(t) // a second API server: the peer cluster
	live, stale := startResolver(t, "stub.test."), startResolver(t, "stale.test.")
	port, promPort := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    prometheus 127.0.0.1:%d
    clusterdns cluster.local {
        kubeconfig %s
        stub stub.test %s {
            health_check 100ms
            max_concurrent 1
        }
        stub stale.test %s {
            health_check 100ms
            serve_stale 1h
        }
        private mycompany.internal {
            file ../../zones/db.mycompany.internal
            services annotated
        }
        peer east {
            kubeconfig %s
        }
    }
}
`, port, promPort, e.Kubeconfig, live.addr, stale.addr, peer.Kubeconfig))
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	// a Service created after the start: a watch event, a snapshot published
	ns := e.Namespace(t, "monitoring")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := e.Client.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 5*time.Second, "the Service answered", func() (bool, string) {
		r := harness.Query(t, addr, "web."+ns+".svc.cluster.local.", dns.TypeA)
		return r.Rcode == dns.RcodeSuccess && len(r.Answer) == 1, harness.Answers(r)
	})
	harness.Expect(t, 5*time.Second, addr, "ns1.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.53")
	harness.Expect(t, 5*time.Second, addr, "a.stub.test.", dns.TypeA, "NOERROR: A 192.0.2.1")

	// max_concurrent 1: a second query while the first waits on the resolver is refused
	done := make(chan struct{})
	var last string // the slow query's last answer, for the failure message
	go func() {
		defer close(done)
		c := &dns.Client{Timeout: 10 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion("slow.stub.test.", dns.TypeA)
		for range 50 { // REFUSED: the slot was not free yet (a probe or query in flight)
			r, _, err := c.Exchange(m, addr)
			if err != nil || r.Rcode != dns.RcodeRefused {
				last = fmt.Sprint(r, err)
				return
			}
			last = "REFUSED"
		}
	}()
	select {
	case <-live.slowArrived:
	case <-done:
		t.Fatalf("the slow query never reached the resolver: %s", last)
	case <-time.After(10 * time.Second):
		t.Fatal("the slow query never reached the resolver in 10 s")
	}
	harness.ExpectNow(t, addr, "b.stub.test.", dns.TypeA, "REFUSED: ")
	close(live.release)
	<-done

	// serve_stale: the resolver goes away, the last answer is served
	harness.Expect(t, 5*time.Second, addr, "a.stale.test.", dns.TypeA, "NOERROR: A 192.0.2.1")
	stale.stop()
	scrapeUntil(t, promPort, "coredns_clusterdns_stub_stale_answers_total", func() {
		harness.Query(t, addr, "a.stale.test.", dns.TypeA)
	})
	// the peer's first sync takes its initial lists; its last contact is set by the first
	// probe that follows (every 2 s)
	scrapeUntil(t, promPort, "coredns_clusterdns_peer_exported_services", func() {})
	metrics := scrapeUntil(t, promPort, "coredns_clusterdns_peer_last_contact_timestamp_seconds", func() {})

	var missing []string
	for _, q := range queries(t) {
		for _, name := range metricNames(q.expr) {
			switch {
			case slices.Contains(fromPrometheus, name):
			case slices.Contains(pending, name):
				if metrics[name] != nil {
					t.Errorf("%s is exported now: remove it from pending", name)
				}
			case metrics[name] == nil:
				missing = append(missing, fmt.Sprintf("%s (%s)", name, q.where))
			}
		}
		// a grouping or matcher label the metrics lack would fold every series into one
		for _, l := range usedLabels(q.expr) {
			if slices.Contains(fromScrape, l) {
				continue
			}
			if !slices.ContainsFunc(metricNames(q.expr), func(n string) bool { return metrics[n][l] || slices.Contains(pending, n) }) {
				t.Errorf("%s: label %s is on none of %v", q.where, l, metricNames(q.expr))
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("queried but not exported:\n%s", strings.Join(missing, "\n"))
	}
	for _, name := range pending {
		if !slices.ContainsFunc(queries(t), func(q query) bool { return slices.Contains(metricNames(q.expr), name) }) {
			t.Errorf("pending %s is queried nowhere: remove it", name)
		}
	}
}

// scrapeUntil scrapes /metrics, running poke before each scrape, until want is among the
// names, and returns the names of every sample.
func scrapeUntil(t *testing.T, promPort int, want string, poke func()) map[string]map[string]bool {
	t.Helper()
	var names map[string]map[string]bool
	harness.EventuallyEvery(t, 10*time.Second, 50*time.Millisecond, want+" exported", func() (bool, string) {
		poke()
		names = scrape(t, promPort)
		return names[want] != nil, fmt.Sprintf("%d metric names", len(names))
	})
	return names
}

// scrape returns the names of the samples of the server's /metrics (a histogram's are
// NAME_bucket, NAME_sum and NAME_count, as PromQL selects them), each with the label names
// its samples carry.
func scrape(t *testing.T, promPort int) map[string]map[string]bool {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := map[string]map[string]bool{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.IndexAny(line, "{ ")
		if i <= 0 {
			continue
		}
		if names[line[:i]] == nil {
			names[line[:i]] = map[string]bool{}
		}
		for _, l := range labelName.FindAllStringSubmatch(line[i:], -1) {
			names[line[:i]][l[1]] = true
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// resolver is a stub zone's upstream on loopback: the zone's SOA for health probes, A
// 192.0.2.1 (TTL 1) for any other name, and slow.ZONE held until release is closed.
type resolver struct {
	addr        string
	slowArrived chan struct{}
	release     chan struct{}
	stop        func()
}

func startResolver(t *testing.T, zone string) *resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &resolver{addr: pc.LocalAddr().String(), slowArrived: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		name := dns.CanonicalName(q.Question[0].Name) // whatever case the query used
		switch {
		case q.Question[0].Qtype == dns.TypeSOA && name == zone:
			soa, _ := dns.NewRR(zone + " 60 IN SOA ns." + zone + " hostmaster." + zone + " 1 60 60 60 60")
			m.Answer = append(m.Answer, soa)
		case name == "slow."+zone:
			once.Do(func() { close(r.slowArrived) })
			<-r.release
			m.Rcode = dns.RcodeNameError
		default:
			a, _ := dns.NewRR(q.Question[0].Name + " 1 IN A 192.0.2.1")
			m.Answer = append(m.Answer, a)
		}
		_ = w.WriteMsg(m) // a lost reply is the client's timeout
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }() // returns at Shutdown
	<-started
	var stopOnce sync.Once
	r.stop = func() { stopOnce.Do(func() { _ = srv.Shutdown() }) }
	t.Cleanup(func() {
		select {
		case <-r.release:
		default:
			close(r.release)
		}
		r.stop()
	})
	return r
}
