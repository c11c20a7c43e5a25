// Package embedded tests embedded mode (manifests and zone files, no cluster) end to end:
// a server started from a Corefile, files edited while it answers.
package embedded

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core" // every plugin, ours included
	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// The experiment, shortened: 300 Services in a manifest and a private zone of
// 2,000 names, both rewritten in place 40 times (truncated, then written in 2 KB chunks
// over about 60 ms, as `cp` or a slow writer does), every version holding the same names,
// while names of every version are asked 1,000 times a second. Every answer must be
// NOERROR with an answer: a file caught half-written must never be served. At the end the
// last version must be served, so that a server that stopped following files does not pass.
const (
	services  = 300
	hosts     = 2000
	rewrites  = 40
	chunk     = 2048
	writeTime = 60 * time.Millisecond
	pause     = 80 * time.Millisecond // at most, between rewrites: one every ~100 ms
	qps       = 1000
)

func TestInPlaceRewrites(t *testing.T) {
	dir := t.TempDir()
	manifest, zonefile := filepath.Join(dir, "services.yaml"), filepath.Join(dir, "db.private.test")
	if err := os.WriteFile(manifest, manifestVersion(0), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zonefile, zoneVersion(0), 0o644); err != nil {
		t.Fatal(err)
	}
	pods, peered := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        manifests %[2]s
    }
}
.:%[3]d {
    bind 127.0.0.1
    clusterdns {
        manifests %[2]s
        private private.test {
            file %[4]s
        }
    }
}
`, pods, manifest, peered, zonefile))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)
	harness.Expect(t, 5*time.Second, podAddr, serviceName(services-1), dns.TypeA, "NOERROR: A "+serviceIP(services-1))
	harness.Expect(t, 5*time.Second, peerAddr, hostName(hosts-1), dns.TypeA, "NOERROR: A "+hostIP(hosts-1))

	var (
		asked, failed atomic.Int64
		mu            sync.Mutex
		bad           = map[string]int{} // "NAME: ANSWER" → times, for the report
	)
	done := make(chan struct{})
	var queries sync.WaitGroup
	ask := func(addr, name string) {
		defer queries.Done()
		r := query(addr, name)
		asked.Add(1)
		if r != nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return
		}
		failed.Add(1)
		got := "no answer after 3 tries"
		if r != nil {
			got = harness.Answers(r)
		}
		mu.Lock()
		bad[name+" "+got]++
		mu.Unlock()
	}
	var load sync.WaitGroup
	load.Go(func() {
		tick := time.NewTicker(time.Second / qps)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			queries.Add(1)
			if i%2 == 0 {
				go ask(podAddr, serviceName(rand.IntN(services)))
			} else {
				go ask(peerAddr, hostName(rand.IntN(hosts)))
			}
		}
	})

	start := time.Now()
	for v := 1; v <= rewrites; v++ {
		var writers sync.WaitGroup
		writers.Go(func() { rewriteInPlace(t, manifest, manifestVersion(v)) })
		writers.Go(func() { rewriteInPlace(t, zonefile, zoneVersion(v)) })
		writers.Wait()
		// A random pause, so that the server's polls do not keep one phase to the rewrites.
		pace(rand.N(pause))
	}
	// The last version is served: the files are followed at all.
	harness.Expect(t, 5*time.Second, peerAddr, "version.private.test.", dns.TypeTXT, fmt.Sprintf(`NOERROR: TXT "v%d"`, rewrites))
	harness.Expect(t, 5*time.Second, podAddr, serviceName(versionService(rewrites)), dns.TypeA, "NOERROR: A "+serviceIP(versionService(rewrites)))
	close(done)
	load.Wait()
	queries.Wait()

	t.Logf("%d rewrites of each file in %v; %d of %d answers not NOERROR with an answer",
		rewrites, time.Since(start).Round(time.Millisecond), failed.Load(), asked.Load())
	if asked.Load() < 2*qps { // the rewrites take 4 s at least
		t.Errorf("only %d queries asked: the load did not run", asked.Load())
	}
	if failed.Load() > 0 {
		var lines []string
		for k, n := range bad {
			lines = append(lines, fmt.Sprintf("%4d× %s", n, k))
		}
		if len(lines) > 20 {
			lines = lines[:20]
		}
		t.Errorf("%d of %d answers not NOERROR with an answer, among them:\n%s", failed.Load(), asked.Load(), strings.Join(lines, "\n"))
	}
}

// rewriteInPlace truncates the file and writes content into it in chunks spread over
// writeTime: the same inode throughout, as `cp` onto an existing file does.
func rewriteInPlace(t *testing.T, path string, content []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	n := (len(content) + chunk - 1) / chunk
	tick := time.NewTicker(writeTime / time.Duration(n))
	defer tick.Stop()
	for len(content) > 0 {
		part := content[:min(chunk, len(content))]
		if _, err := f.Write(part); err != nil {
			t.Error(err)
			return
		}
		content = content[len(part):]
		<-tick.C
	}
}

// pace waits d: the writer's rhythm, not a synchronisation.
func pace(d time.Duration) {
	<-time.After(d)
}

// query asks addr for name's A record, three times before it gives up (a lost UDP packet
// on a loaded machine is not a wrong answer).
func query(addr, name string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	c := &dns.Client{Timeout: 2 * time.Second}
	for range 3 {
		if r, _, err := c.Exchange(m, addr); err == nil {
			return r
		}
	}
	return nil
}

func serviceName(i int) string { return fmt.Sprintf("svc-%03d.default.svc.cluster.local.", i) }
func serviceIP(i int) string   { return fmt.Sprintf("10.96.%d.%d", 1+i/250, 1+i%250) }
func hostName(i int) string    { return fmt.Sprintf("host-%04d.private.test.", i) }
func hostIP(i int) string      { return fmt.Sprintf("10.20.%d.%d", i/250, 1+i%250) }

// versionService is the index of a Service that only version v holds: services of every
// version are 0 to services-1.
func versionService(v int) int { return 1000 + v }

// manifestVersion is version v of the manifest: the same Services, a Service of its own and
// a comment that differ. Long annotations, like the zone file's comments, make a file cut
// short parse more often than not, as real files do.
func manifestVersion(v int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# version %d\n", v)
	for _, i := range append(seq(services), versionService(v)) {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Service
metadata:
  name: svc-%03d
  namespace: default
  annotations:
    version: "%d"
    description: the service number %[1]d of the shop, owned by the storefront team, paged at night
spec:
  type: ClusterIP
  clusterIP: %[3]s
  ports:
  - name: http
    port: 80
    protocol: TCP
`, i, v, serviceIP(i))
	}
	return []byte(b.String())
}

// zoneVersion is version v of the zone file: the same names, another serial and TXT.
func zoneVersion(v int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `$ORIGIN private.test.
$TTL 60
@        SOA ns hostmaster %d 7200 1800 86400 30
@        NS  ns
ns       A   10.20.255.53
version  TXT "v%d"
`, 1000+v, v)
	for i := range hosts {
		fmt.Fprintf(&b, "host-%04d A %s ; host %[1]d of the fleet, in rack %[3]d of the east hall\n", i, hostIP(i), i%40)
	}
	return []byte(b.String())
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestEditsShowWithinTwoSeconds measures how soon edits are served, as the README promises:
// a file replaced by a rename and a file rewritten in place, each within 2 seconds (plus a
// quarter of a second for a loaded test machine).
func TestEditsShowWithinTwoSeconds(t *testing.T) {
	dir := t.TempDir()
	manifest, zonefile := filepath.Join(dir, "services.yaml"), filepath.Join(dir, "db.private.test")
	if err := os.WriteFile(manifest, manifestVersion(0), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zonefile, zoneVersion(0), 0o644); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        manifests %s
        private private.test {
            file %s
        }
    }
}
`, port, manifest, zonefile))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.Expect(t, 5*time.Second, addr, "version.private.test.", dns.TypeTXT, `NOERROR: TXT "v0"`)

	const within = 2*time.Second + 250*time.Millisecond
	renamed := func(path string, content []byte) {
		t.Helper()
		if err := os.WriteFile(path+".tmp", content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	inPlace := func(path string, content []byte) {
		t.Helper()
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for v, edit := range []struct {
		how   string
		write func(string, []byte)
	}{{"renamed", renamed}, {"in place", inPlace}} {
		v++
		start := time.Now()
		edit.write(zonefile, zoneVersion(v))
		harness.Expect(t, within, addr, "version.private.test.", dns.TypeTXT, fmt.Sprintf(`NOERROR: TXT "v%d"`, v))
		t.Logf("zone file %s: served after %v", edit.how, time.Since(start).Round(time.Millisecond))

		start = time.Now()
		edit.write(manifest, manifestVersion(v))
		name := serviceName(versionService(v))
		harness.Expect(t, within, addr, name, dns.TypeA, "NOERROR: A "+serviceIP(versionService(v)))
		t.Logf("manifest %s: served after %v", edit.how, time.Since(start).Round(time.Millisecond))
	}
}
