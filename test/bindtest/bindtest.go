// Package bindtest starts BIND 9 (`named`, Debian's bind9 package) on loopback for tests:
// as the reference for zone-file answers and as the corporate resolver stub zones forward to.
//
// When named is not installed the test is skipped, except under CI=true, where it fails:
// CI must never pass by skipping. test/tools.sh installs it.
package bindtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// Zone is one primary zone named loads.
type Zone struct {
	Origin string // "mesh.private."
	File   string // path of an RFC 1035 zone file
}

// Config is how named answers.
type Config struct {
	// MinimalResponses sets `minimal-responses yes;`: no authority NS and no additional
	// data in positive answers except for NS queries, glue only in referrals. The
	// reference for plugin/clusterdns/zone. Off by default, like named's own default.
	MinimalResponses bool
}

// Server is a running named.
type Server struct {
	Addr  string // "127.0.0.1:PORT", UDP and TCP
	t     testing.TB
	cfg   Config
	dir   string
	cmd   *exec.Cmd
	zones []Zone
	port  int
}

// Binary returns the path of named, or "".
func Binary() string {
	if p, err := exec.LookPath("named"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/named"); err == nil {
		return "/usr/sbin/named"
	}
	return ""
}

// Start starts named serving zones on a free loopback port, authoritative only (no
// recursion), and stops it when the test ends.
func Start(t testing.TB, zones ...Zone) *Server {
	t.Helper()
	return StartConfig(t, Config{}, zones...)
}

// StartConfig is Start with cfg.
func StartConfig(t testing.TB, cfg Config, zones ...Zone) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("named not found under CI=true: run test/tools.sh")
		}
		t.Skip("named not found: run test/tools.sh")
	}
	s := &Server{t: t, cfg: cfg, dir: t.TempDir(), zones: zones, port: harness.FreePort(t)}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", s.port)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts a stopped server on the same address.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	conf := filepath.Join(s.dir, "named.conf")
	if err := os.WriteFile(conf, []byte(s.config()), 0o644); err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(Binary(), "-g", "-4", "-n", "1", "-c", conf)
	log, err := os.Create(filepath.Join(s.dir, "named.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start named: %v", err)
	}
	s.cmd = cmd
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			out, _ := os.ReadFile(log.Name())
			s.cmd = nil
			s.t.Fatalf("named exited: %s", out)
		default:
		}
		if s.ready() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _ := os.ReadFile(log.Name())
	s.Stop()
	s.t.Fatalf("named did not answer within 10s: %s", out)
}

// Stop stops the server; Start brings it back.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Process.Wait()
	s.cmd = nil
}

// Log returns what named logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "named.log"))
	return string(b)
}

// Exchange sends m to the server over UDP (TCP when tcp is set).
func (s *Server) Exchange(m *dns.Msg, tcp bool) (*dns.Msg, error) {
	c := &dns.Client{Timeout: 2 * time.Second}
	if tcp {
		c.Net = "tcp"
	}
	r, _, err := c.Exchange(m, s.Addr)
	return r, err
}

func (s *Server) ready() bool {
	m := new(dns.Msg)
	name := "."
	if len(s.zones) > 0 {
		name = dns.Fqdn(s.zones[0].Origin)
	}
	m.SetQuestion(name, dns.TypeSOA)
	r, err := s.Exchange(m, false)
	return err == nil && (len(s.zones) == 0 || r.Rcode == dns.RcodeSuccess)
}

func (s *Server) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, `options {
	directory %q;
	pid-file %q;
	session-keyfile %q;
	managed-keys-directory %q;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	minimal-responses %s;
};
controls { };
`, s.dir, filepath.Join(s.dir, "named.pid"), filepath.Join(s.dir, "session.key"), s.dir, s.port, yesNo(s.cfg.MinimalResponses))
	for _, z := range s.zones {
		file, err := filepath.Abs(z.File)
		if err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintf(&b, "zone %q { type primary; file %q; };\n", dns.Fqdn(z.Origin), file)
	}
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
