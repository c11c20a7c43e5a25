// Package outage kills and restarts the real kube-apiserver under a DNS load. It has a
// package (and so an API server) of its own: no other test could share a server that goes
// away.
package outage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { os.Exit(k8senv.Main(m)) }

const (
	services = 2000             // in the cluster before the outage
	sampled  = 100              // of them queried throughout
	outage   = 15 * time.Second // client-go's default backoff is then at 13-26 s between tries
	qps      = 200              // the load, in queries per second
	// recovery is the bound: a change is answered within 3 s of /readyz being ok.
	recovery = 3 * time.Second
	// steady is the window that measures the RSS before the outage: as long as the outage, so
	// that both see as many garbage collection cycles (one takes several seconds here).
	steady = outage
	// peakGrowth bounds the server's peak RSS during the relist against its RSS before.
	peakGrowth = 0.10
)

// TestAPIServerOutage kills kube-apiserver under a DNS load, keeps it down 15 s and starts it
// again on the same etcd. No query may be lost or answered wrong meanwhile; a Service created
// as soon as /readyz is ok must be answered within 3 s; and the server's peak RSS during the
// relist may exceed its RSS before the outage by at most 10%. The server runs as a process
// of its own, so that its RSS is its own.
func TestAPIServerOutage(t *testing.T) {
	e := k8senv.Get(t)
	bin := buildServer(t)
	ctx := context.Background()
	ns := e.Namespace(t, "outage")
	name := func(s string) string { return s + "." + ns + ".svc.cluster.local." }

	ips := createServices(t, e, ns, services)
	port, metricsPort := harness.FreePort(t), harness.FreePort(t)
	srv := startServer(t, bin, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    prometheus 127.0.0.1:%d
    clusterdns cluster.local {
        kubeconfig %s
    }
}
`, port, metricsPort, e.Kubeconfig))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
	// the last Service created is the sentinel of the initial state
	expect(t, 60*time.Second, addr, name(fmt.Sprintf("svc-%d", services-1)), dns.TypeA, "NOERROR: A "+ips[services-1])

	want := map[string]string{} // sampled name -> expected answer
	for i := range sampled {
		want[name(fmt.Sprintf("svc-%d", i))] = "NOERROR: A " + ips[i]
	}
	l := startLoad(addr, want)
	defer l.stop()

	// RSS before the outage: the peak over some time under the same load, as RSS moves with
	// the garbage collector's cycles (a single reading was seen 4% apart from the next).
	// Writing 5 to clear_refs resets the peak, VmHWM.
	resetPeak(t, srv.Process.Pid)
	<-time.After(steady) // a measurement window, not a wait for a condition
	before := procStatus(t, srv.Process.Pid, "VmHWM")
	mem := []string{"before: " + memstats(t, srv.Process.Pid, metrics)}
	resetPeak(t, srv.Process.Pid)
	rss := sampleRSS(t, srv.Process.Pid)

	if err := e.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	scraped(t, 10*time.Second, "source_synced 0 while the API server is down", func() (bool, string) {
		v, ok := metric(metrics, "coredns_clusterdns_source_synced", `resource="services"`)
		return ok && v == 0, fmt.Sprint(v)
	})
	<-time.After(time.Until(down.Add(outage))) // the outage itself: the scenario, not a wait for a condition

	rss.phase.Store(1)
	mem = append(mem, "end of outage: "+memstats(t, srv.Process.Pid, metrics))
	if err := e.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 2*time.Minute, "/readyz", func() (bool, string) { return e.Ready(ctx), "" })
	ready := time.Now()
	fresh := create(t, e, ns, "fresh")
	if err := e.Client.CoreV1().Services(ns).Delete(ctx, fmt.Sprintf("svc-%d", services-2), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// measured up to a minute so that a failure says by how much
	expect(t, time.Minute, addr, name("fresh"), dns.TypeA, "NOERROR: A "+fresh)
	seen := time.Since(ready)
	sentinel := create(t, e, ns, "sentinel")
	expect(t, 10*time.Second, addr, name("sentinel"), dns.TypeA, "NOERROR: A "+sentinel)
	// the sentinel was created after the delete: the server has seen the delete
	if got := harness.Answers(harness.Query(t, addr, name(fmt.Sprintf("svc-%d", services-2)), dns.TypeA)); got != "NXDOMAIN: " {
		t.Errorf("a Service deleted after the outage answers %q, want NXDOMAIN", got)
	}

	// the relist is applied once every resource is listed again after the restart
	for _, r := range []string{"services", "endpointslices", "namespaces"} {
		scraped(t, 30*time.Second, r+" listed again", func() (bool, string) {
			listed, _ := metric(metrics, "coredns_clusterdns_source_last_list_timestamp_seconds", `resource="`+r+`"`)
			synced, _ := metric(metrics, "coredns_clusterdns_source_synced", `resource="`+r+`"`)
			return listed >= float64(down.Unix()) && synced == 1, fmt.Sprintf("listed at %v, synced %v", listed, synced)
		})
	}
	peak := procStatus(t, srv.Process.Pid, "VmHWM")
	outageMax, relistMax := rss.stop()
	mem = append(mem, "relisted: "+memstats(t, srv.Process.Pid, metrics))
	sent, failed, failures := l.stop()

	t.Logf("API server down %v; new Service answered %.2f s after /readyz was ok", outage, seen.Seconds())
	t.Logf("server peak RSS under load before the outage %d kB, peak from the outage until the relist was applied %d kB (%+.1f%%)",
		before, peak, 100*(float64(peak)/float64(before)-1))
	t.Logf("largest RSS sampled every 50 ms: %d kB while the API server was down, %d kB from its restart to the relist", outageMax, relistMax)
	t.Logf("server's memory (MB):\n%s", strings.Join(mem, "\n"))
	t.Logf("%d queries, %d lost or wrong", sent, failed)
	if failed != 0 {
		t.Errorf("%d of %d queries lost or answered wrong, first: %s", failed, sent, strings.Join(failures, "; "))
	}
	if sent < int64(qps*outage/time.Second) {
		t.Errorf("only %d queries sent: the load did not run through the outage", sent)
	}
	if seen > recovery {
		t.Errorf("new Service answered %.2f s after the API server was ready, want at most %v", seen.Seconds(), recovery)
	}
	if float64(peak) > float64(before)*(1+peakGrowth) {
		t.Errorf("peak RSS %d kB during the relist, more than %.0f%% above the %d kB before the outage", peak, 100*peakGrowth, before)
	}
}

// expect is harness.Expect for a server that may not listen yet: an error is an answer to
// wait past, not a failure.
func expect(t *testing.T, within time.Duration, addr, name string, qtype uint16, want string) {
	t.Helper()
	harness.Eventually(t, within, name+" "+dns.TypeToString[qtype]+" = "+want, func() (bool, string) {
		r, err := dns.Exchange(new(dns.Msg).SetQuestion(name, qtype), addr)
		if err != nil {
			return false, err.Error()
		}
		got := harness.Answers(r)
		return got == want, got
	})
}

// buildServer builds cmd/clusterdns into the test's temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(t.TempDir(), "clusterdns")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/clusterdns")
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/clusterdns: %v\n%s", err, out)
	}
	return bin
}

// startServer runs the server on a Corefile until the test ends.
func startServer(t *testing.T, bin, corefile string) *exec.Cmd {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(conf, []byte(corefile), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-conf", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("server log:\n%s", out)
		}
	})
	return cmd
}

// createServices creates n ClusterIP Services svc-0 … svc-(n-1), svc-(n-1) last, and
// returns their cluster IPs.
func createServices(t *testing.T, e *k8senv.Env, ns string, n int) []string {
	t.Helper()
	ips := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := atomic.Int64{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n-1; i = int(next.Add(1)) - 1 {
				s, err := e.Client.CoreV1().Services(ns).Create(context.Background(), service(ns, fmt.Sprintf("svc-%d", i)), metav1.CreateOptions{})
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				ips[i] = s.Spec.ClusterIP
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
	ips[n-1] = create(t, e, ns, fmt.Sprintf("svc-%d", n-1))
	return ips
}

func service(ns, name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}}}
}

// create creates a Service and returns its cluster IP. Right after a restart the API server
// may still refuse a write for a moment: that is retried, the clock of the test running.
func create(t *testing.T, e *k8senv.Env, ns, name string) string {
	t.Helper()
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		var s *corev1.Service
		if s, err = e.Client.CoreV1().Services(ns).Create(context.Background(), service(ns, name), metav1.CreateOptions{}); err == nil {
			return s.Spec.ClusterIP
		}
		t.Logf("creating %s: %v", name, err)
		time.Sleep(50 * time.Millisecond) // retry pacing, not synchronisation
	}
	t.Fatal(err)
	return ""
}

// load queries names at qps until stopped, and counts the queries lost or answered otherwise
// than want says.
type load struct {
	done     chan struct{}
	wg       sync.WaitGroup
	sent     atomic.Int64
	failed   atomic.Int64
	mu       sync.Mutex
	failures []string
	once     sync.Once
}

func startLoad(addr string, want map[string]string) *load {
	l := &load{done: make(chan struct{})}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	const workers = 4
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := &dns.Client{Timeout: 2 * time.Second}
			tick := time.NewTicker(time.Second * workers / qps)
			defer tick.Stop()
			// bounded: the test stops it, and it stops by itself after 10 minutes
			for i, end := w, time.Now().Add(10*time.Minute); time.Now().Before(end); i += workers {
				select {
				case <-l.done:
					return
				case <-tick.C:
				}
				n := names[i%len(names)]
				m := new(dns.Msg)
				m.SetQuestion(n, dns.TypeA)
				l.sent.Add(1)
				r, _, err := c.Exchange(m, addr)
				got := ""
				if err == nil {
					got = harness.Answers(r)
				}
				if err != nil || got != want[n] {
					l.failed.Add(1)
					l.mu.Lock()
					if len(l.failures) < 5 {
						l.failures = append(l.failures, fmt.Sprintf("%s at %s: %q %v", n, time.Now().Format("15:04:05.000"), got, err))
					}
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

func (l *load) stop() (sent, failed int64, failures []string) {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent.Load(), l.failed.Load(), l.failures
}

func resetPeak(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("resetting the peak RSS of the server: %v", err)
	}
}

// procStatus returns a kB field of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// scraped is harness.Eventually for conditions on the server's metrics, polled ten times a
// second: a scrape costs the server ~1 MB of garbage, and polling it every 5 ms, as Eventually
// does, was most of what the server allocated while the API server was down, adding several
// MB to the very peak RSS that the test measures.
func scraped(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	harness.EventuallyEvery(t, within, 100*time.Millisecond, what, cond)
}

// metric returns the value of the first sample of name whose labels contain label. It asks
// for the text uncompressed, which spares the server a gzip writer per scrape.
func metric(url, name, label string) (float64, bool) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, false
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !(strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ")) || !strings.Contains(line, label) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		return v, err == nil
	}
	return 0, false
}

// rssSampler records the largest VmRSS of a process in each phase: 0 while the API server is
// down, 1 from its restart on. VmHWM gives the true peak; this says when it was reached.
type rssSampler struct {
	phase atomic.Int32
	max   [2]atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
}

func sampleRSS(t *testing.T, pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
					if m := &s.max[s.phase.Load()]; n > m.Load() {
						m.Store(n)
					}
				}
			}
		}
	}()
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *rssSampler) stop() (outage, relist int64) {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.wg.Wait()
	return s.max[0].Load(), s.max[1].Load()
}

// memstats reads the server's memory figures, in MB, for the log: its RSS is mostly the
// binary's own pages (RssFile); the Go heap is a small part of the rest (RssAnon).
func memstats(t *testing.T, pid int, url string) string {
	out := []string{fmt.Sprintf("RssAnon %.1f, RssFile %.1f", float64(procStatus(t, pid, "RssAnon"))/1e3, float64(procStatus(t, pid, "RssFile"))/1e3)}
	for _, m := range []string{"go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes",
		"go_memstats_heap_released_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes"} {
		v, _ := metric(url, m, "")
		out = append(out, fmt.Sprintf("%s %.1f", strings.TrimSuffix(strings.TrimPrefix(m, "go_memstats_"), "_bytes"), v/1e6))
	}
	g, _ := metric(url, "go_goroutines", "")
	return strings.Join(out, ", ") + fmt.Sprintf(", goroutines %.0f", g)
}
