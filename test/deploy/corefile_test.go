package deploy

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/clusterdns/clusterdns/core" // every plugin, ours included
	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// configMapFiles writes the files of the base's ConfigMap clusterdns into a directory,
// as the kubelet mounts them at /etc/coredns, and returns the directory.
func configMapFiles(t *testing.T) string {
	t.Helper()
	var cm corev1.ConfigMap
	typed(t, build(t, "deploy/base"), "ConfigMap", "clusterdns", &cm)
	dir := t.TempDir()
	for k, v := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// clusterdnsBinary builds cmd/clusterdns, to test the command operators run.
func clusterdnsBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "clusterdns")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/clusterdns")
	cmd.Dir = root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// clusterdns -validate accepts the shipped ConfigMap, and reports each problem of a broken
// Corefile with its file and line.
func TestValidateCommand(t *testing.T) {
	bin := clusterdnsBinary(t)
	run := func(t *testing.T, args ...string) (string, int) {
		out, err := exec.Command(bin, append([]string{"-validate"}, args...)...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	files := configMapFiles(t)
	corefile := filepath.Join(files, "Corefile")
	t.Run("deploy ConfigMap", func(t *testing.T) {
		if out, code := run(t, "-conf", corefile, "-mount", "/etc/coredns="+files); code != 0 || out != "ok: 3 server blocks, 3 clusterdns blocks\n" {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("zone files not mounted", func(t *testing.T) {
		out, code := run(t, "-conf", corefile)
		if code != 1 || !strings.HasPrefix(out, corefile+":5: private mycompany.internal.: open /etc/coredns/db.mycompany.internal") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("db.x", "$ORIGIN x.internal.\n@ IN SOA ns hostmaster 1 7200 1800 86400 30\nwww IN A 10.0.0\n")
	for _, c := range []struct {
		name, corefile string
		code           int
		want           []string // lines of output; FILE is the Corefile, ZONE the zone file
	}{
		{"unknown directive", ".:53 {\n  clusterdns cluster.local\n  nosuch\n}\n", 1,
			[]string{"FILE:3: Unknown directive 'nosuch'"}},
		{"unknown property", ".:53 {\n  clusterdns cluster.local {\n    ttl 30\n    bogus 1\n  }\n}\n", 1,
			[]string{`FILE:4: unknown property "bogus"`}},
		{"bad zone file", ".:53 {\n  clusterdns {\n    private x.internal {\n      file /etc/coredns/db.x\n    }\n  }\n}\n", 1,
			[]string{`ZONE:3: bad A A: "10.0.0"`}},
		{"missing zone file", ".:53 {\n  clusterdns {\n    private y.internal {\n      file /etc/coredns/db.y\n    }\n  }\n}\n", 1,
			[]string{"FILE:4: private y.internal.: open " + filepath.Join(dir, "db.y") + ": no such file or directory"}},
		{"kube-dns ConfigMap not mounted", ".:53 {\n  clusterdns cluster.local {\n    stubdomains /etc/coredns/kube-dns\n  }\n}\n", 1,
			[]string{"FILE:3: stat " + filepath.Join(dir, "kube-dns") + ": no such file or directory"}},
		{"zone defined twice", ".:53 {\n  clusterdns cluster.local\n}\n\n.:53 {\n  whoami\n}\n", 1,
			[]string{`FILE:5: zone . on dns://:53 is already defined by server block ".:53"`}},
		{"shadowed zone warns", ".:53 {\n  clusterdns cluster.local in-addr.arpa\n}\ncluster.local:53 {\n  whoami\n}\n10.in-addr.arpa:53 {\n  whoami\n}\n", 0,
			[]string{`FILE:2: warning: clusterdns zone cluster.local. on :53 is answered by server block "cluster.local:53", not by this one`,
				`FILE:2: warning: names under 10.in-addr.arpa. (in clusterdns zone in-addr.arpa.) on :53 are answered by server block "10.in-addr.arpa:53", not by this one`,
				"ok: 3 server blocks, 1 clusterdns blocks"}},
		{"shadowed stub zone warns", ".:53 {\n  clusterdns cluster.local {\n    stub corp.example 10.0.0.53\n  }\n}\ncorp.example {\n  whoami\n}\n", 0,
			[]string{`FILE:2: warning: clusterdns zone corp.example. on :53 is answered by server block "corp.example", not by this one`,
				"ok: 2 server blocks, 1 clusterdns blocks"}},
		{"other ports do not shadow", ".:53 {\n  clusterdns cluster.local\n}\ncluster.local:5353 {\n  whoami\n}\n", 0,
			[]string{"ok: 2 server blocks, 1 clusterdns blocks"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := write("Corefile", c.corefile)
			out, code := run(t, "-conf", p, "-mount", "/etc/coredns="+dir)
			want := strings.NewReplacer("FILE", p, "ZONE", filepath.Join(dir, "db.x")).Replace(strings.Join(c.want, "\n") + "\n")
			if code != c.code || out != want {
				t.Errorf("exit %d, want %d; output:\n%s\nwant:\n%s", code, c.code, out, want)
			}
		})
	}
}

// The shipped Corefile, with the zone files of the ConfigMap, starts and serves both views:
// the pods' view answers cluster names and the private zones, the peered view the private
// zones only. The health and readiness endpoints the probes use answer 200.
func TestCorefileServes(t *testing.T) {
	e := k8senv.Get(t)
	ns := e.Namespace(t, "deploy")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}}}
	svc, err := e.Client.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := configMapFiles(t)
	b, err := os.ReadFile(filepath.Join(files, "Corefile"))
	if err != nil {
		t.Fatal(err)
	}
	corefile, ports := harness.Localize(t, string(b), e.Kubeconfig, files)
	if ports["53"] == 0 || ports["5353"] == 0 || strings.Count(corefile, "kubeconfig ") != 3 {
		t.Fatalf("the Corefile no longer has the views this test knows (pods, external machines, peered):\n%s", corefile)
	}
	harness.Start(t, corefile)

	pods, peered := fmt.Sprintf("127.0.0.1:%d", ports["53"]), fmt.Sprintf("127.0.0.1:%d", ports["5353"])
	for _, addr := range []string{pods, peered} {
		harness.Expect(t, 5*time.Second, addr, "web.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.80")
		harness.Expect(t, 5*time.Second, addr, "ads.mesh.private.", dns.TypeA, "NOERROR: A 10.0.0.1")
	}
	harness.Expect(t, 5*time.Second, pods, "api."+ns+".svc.cluster.local.", dns.TypeA, "NOERROR: A "+svc.Spec.ClusterIP)
	harness.Expect(t, 5*time.Second, peered, "api."+ns+".svc.cluster.local.", dns.TypeA, "REFUSED: ")
	harness.Expect(t, 5*time.Second, peered, "example.com.", dns.TypeA, "REFUSED: ")
	for _, probe := range []string{fmt.Sprintf("http://127.0.0.1:%d/health", ports["health"]), fmt.Sprintf("http://127.0.0.1:%d/ready", ports["ready"])} {
		resp, err := http.Get(probe)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", probe, resp.Status)
		}
	}
}
