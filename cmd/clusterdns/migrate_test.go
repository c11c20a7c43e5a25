package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/autopath"
	"github.com/coredns/coredns/plugin/kubernetes"
)

var update = flag.Bool("update", false, "rewrite corefile/testdata/migrate's golden files from the tool's output")

// migrateDir holds Corefiles as kubeadm, k3s, RKE2, EKS, AKS and the CoreDNS Helm chart
// ship them, and one with every kubernetes option. NAME.golden is what -migrate prints,
// NAME.stderr what it reports (paths from the repository's root). The goldens follow the
// plugin: when it learns an option, rerun with -update and review the diff.
const migrateDir = "../../corefile/testdata/migrate"

func TestMigrateCorefiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(migrateDir, "*.Corefile"))
	if err != nil || len(paths) < 7 {
		t.Fatalf("want the 7 Corefiles of %s, got %v (%v)", migrateDir, paths, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".Corefile")
		t.Run(name, func(t *testing.T) {
			kubernetesAccepts(t, path)
			var stdout, stderr bytes.Buffer
			status := migrateMain([]string{path}, &stdout, &stderr)
			reports := strings.ReplaceAll(stderr.String(), "../../", "")

			golden := filepath.Join(migrateDir, name+".golden")
			goldenErr := filepath.Join(migrateDir, name+".stderr")
			if *update {
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenErr, []byte(reports), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			wantErr, err := os.ReadFile(goldenErr)
			if err != nil {
				t.Fatal(err)
			}
			if stdout.String() != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, stdout.String())
			}
			if reports != string(wantErr) {
				t.Errorf("reports differ from %s:\n%s", goldenErr, reports)
			}
			wantStatus := 0
			if strings.Contains(reports, ": not carried over: ") {
				wantStatus = 1
			}
			if status != wantStatus {
				t.Errorf("exit status %d, want %d", status, wantStatus)
			}
			accepted(t, stdout.Bytes())
		})
	}
}

// kubernetesAccepts checks that the kubernetes blocks of a test Corefile pass the kubernetes
// plugin's own parser: the inputs are Corefiles CoreDNS runs, not guesses.
func kubernetesAccepts(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sbs, err := caddyfile.Parse(path, bytes.NewReader(data), dnsserver.Directives)
	if err != nil {
		t.Fatal(err)
	}
	for _, sb := range sbs {
		if toks := sb.Tokens["kubernetes"]; len(toks) > 0 {
			c := caddy.NewTestController("dns", "")
			c.Dispenser = caddyfile.NewDispenserTokens(path, toks)
			c.Key, c.ServerBlockKeys = sb.Keys[0], sb.Keys
			c.Next()
			if _, err := kubernetes.ParseStanza(c); err != nil {
				t.Errorf("the kubernetes plugin rejects %v: %v", sb.Keys, err)
			}
		}
	}
}

// accepted checks that a migrated Corefile parses, holds no kubernetes block and that its
// clusterdns blocks pass the plugin's own setup parsing, as clusterdns -validate checks them.
func accepted(t *testing.T, corefile []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(path, corefile, 0o644); err != nil {
		t.Fatal(err)
	}
	sbs, err := caddyfile.Parse(path, bytes.NewReader(corefile), dnsserver.Directives)
	if err != nil {
		t.Fatalf("migrated Corefile does not parse: %v", err)
	}
	blocks := 0
	for _, sb := range sbs {
		if len(sb.Tokens["kubernetes"]) > 0 {
			t.Errorf("server block %v still has a kubernetes block", sb.Keys)
		}
		if len(sb.Tokens["clusterdns"]) > 0 {
			blocks++
		}
	}
	if blocks == 0 {
		t.Error("no clusterdns block in the migrated Corefile")
	}
	v := &validator{path: path}
	v.run()
	if len(v.problems) > 0 {
		t.Errorf("clusterdns -validate rejects the migrated Corefile:\n%s", strings.Join(v.problems, "\n"))
	}
}

// TestMigrateRewrites holds the rules one at a time, on small Corefiles.
func TestMigrateRewrites(t *testing.T) {
	tests := []struct {
		name, in, out string
		reports       []string // substrings, one per report in order
	}{
		{
			name: "untouched lines keep comments, spacing and quotes",
			in:   "\uFEFF# head\n.:53 {   # block\n  log . \"{remote} # not a comment\"\n\tkubernetes  cluster.local\t{ # zones\n\t\tttl  7 # seven\n\t}\n}\n",
			out:  "\uFEFF# head\n.:53 {   # block\n  log . \"{remote} # not a comment\"\n\tclusterdns  cluster.local\t{ # zones\n\t\tttl  7 # seven\n\t}\n}\n",
		},
		{
			name:    "a block without zones gets its server block's, without braces gets the ttl",
			in:      "cluster.local:53 example.org {\n    kubernetes\n}\n",
			out:     "cluster.local:53 example.org {\n    clusterdns cluster.local example.org {\n        ttl 5\n    }\n}\n",
			reports: []string{":2: note: wrote the server block's zones cluster.local example.org", ":2: note: wrote ttl 5"},
		},
		{
			name:    "ttl goes before the closing brace with the options' indentation",
			in:      ".:53 {\n  kubernetes cluster.local {\n     pods insecure\n  }\n}\n",
			out:     ".:53 {\n  clusterdns cluster.local {\n     pods insecure\n     ttl 5\n  }\n}\n",
			reports: []string{":2: note: wrote ttl 5"},
		},
		{
			name:    "a rejected option is commented out and reported",
			in:      ".:53 {\n  kubernetes cluster.local {\n    ttl 30\n    no_such_option 1   # why\n  }\n}\n",
			out:     ".:53 {\n  clusterdns cluster.local {\n    ttl 30\n    # not carried over: no_such_option 1   # why\n  }\n}\n",
			reports: []string{":4: not carried over: no_such_option 1: unknown property"},
		},
		{
			name:    "snippets, imports and env placeholders are carried",
			in:      "(k) {\n  kubernetes {$ZONE} {\n    ttl {$TTL}\n  }\n}\n.:53 {\n  import k\n  import extra/*.conf\n}\n",
			out:     "(k) {\n  clusterdns {$ZONE} {\n    ttl {$TTL}\n  }\n}\n.:53 {\n  import k\n  import extra/*.conf\n}\n",
			reports: []string{":8: note: import extra/*.conf is carried as it is"},
		},
		{
			name:    "a one-line block loses a rejected option and gets its ttl on a line of its own",
			in:      ".:53 {\n  kubernetes cluster.local { pods bogus }\n}\n",
			out:     ".:53 {\n  clusterdns cluster.local {  \n      ttl 5\n  }\n}\n",
			reports: []string{":2: not carried over: pods bogus", ":2: note: wrote ttl 5"},
		},
		{
			name:    "every line of a rejected option spanning lines is commented out",
			in:      ".:53 {\n  kubernetes cluster.local {\n    ttl 5\n    bogus \"a in (b,\n c)\"\n    nested {\n      x\n    }\n  }\n}\n",
			out:     ".:53 {\n  clusterdns cluster.local {\n    ttl 5\n    # not carried over: bogus \"a in (b,\n # c)\"\n    # not carried over: nested {\n      # x\n    # }\n  }\n}\n",
			reports: []string{":4: not carried over: bogus a in (b, c):", ":6: not carried over: nested { x }:"},
		},
		{
			name: "k8s_external becomes private zones of the block's clusterdns, with its ttl",
			in:   "example.org:53 {\n  k8s_external {\n    ttl 60\n    headless\n  }\n  kubernetes cluster.local {\n    ttl 30\n  }\n}\n",
			out: "example.org:53 {\n  # now private zones of clusterdns: k8s_external {\n    # ttl 60\n    # headless\n  # }\n" +
				"  clusterdns cluster.local {\n    ttl 30\n    private example.org {\n        services all\n        ttl 60\n    }\n  }\n}\n",
			reports: []string{":2: note: k8s_external example.org became private zones", ":4: not carried over: k8s_external headless: a private zone has no equivalent"},
		},
		{
			name:    "k8s_external without a kubernetes block in its server block is left out",
			in:      ".:53 {\n  k8s_external example.org\n  forward . 1.1.1.1\n}\n",
			out:     ".:53 {\n  # not carried over: k8s_external example.org\n  forward . 1.1.1.1\n}\n",
			reports: []string{":1: note: no kubernetes block", ":2: not carried over: k8s_external needs the kubernetes plugin"},
		},
		{
			name:    "an import inside a kubernetes block is carried unchecked, without a ttl",
			in:      "(opts) {\n  ttl 5\n}\n.:53 {\n  kubernetes cluster.local {\n    import opts\n  }\n}\n",
			out:     "(opts) {\n  ttl 5\n}\n.:53 {\n  clusterdns cluster.local {\n    import opts\n  }\n}\n",
			reports: []string{":6: note: import opts inside a kubernetes block is carried unchecked"},
		},
		{
			name:    "an imported snippet without ttl gets one",
			in:      "(opts) {\n  pods insecure\n}\n.:53 {\n  kubernetes cluster.local {\n    import opts\n  }\n}\n",
			out:     "(opts) {\n  pods insecure\n}\n.:53 {\n  clusterdns cluster.local {\n    import opts\n    ttl 5\n  }\n}\n",
			reports: []string{":5: note: wrote ttl 5", ":6: note: import opts inside a kubernetes block is carried unchecked"},
		},
		{
			name:    "a Corefile without kubernetes is printed unchanged",
			in:      ".:53 {\n  forward . 1.1.1.1\n}\n",
			out:     ".:53 {\n  forward . 1.1.1.1\n}\n",
			reports: []string{":1: note: no kubernetes block"},
		},
	}
	// autopath @clusterdns is carried once the plugin is an AutoPather, left out before
	autopathCase := struct {
		name, in, out string
		reports       []string
	}{
		name:    "autopath's @kubernetes is its last argument",
		in:      ".:53 {\n  autopath cluster.local @kubernetes\n  kubernetes cluster.local {\n    ttl 5\n  }\n}\n",
		out:     ".:53 {\n  # not carried over: autopath cluster.local @kubernetes\n  clusterdns cluster.local {\n    ttl 5\n  }\n}\n",
		reports: []string{":2: not carried over: autopath @kubernetes: clusterdns in this build does not implement"},
	}
	if h, _, err := clusterdnsDefaults(); err != nil {
		t.Fatal(err)
	} else if _, ok := h.(autopath.AutoPather); ok {
		autopathCase.out = ".:53 {\n  autopath cluster.local @clusterdns\n  clusterdns cluster.local {\n    ttl 5\n  }\n}\n"
		autopathCase.reports = nil
	}
	tests = append(tests, autopathCase)
	t.Setenv("ZONE", "cluster.local")
	t.Setenv("TTL", "5")
	// The plugin's default TTL is the kubernetes plugin's 5 today, so the rule that writes
	// "ttl 5" would never run; these cases hold it to its job as if the default were 30 (as
	// it was before the drop-in work). The golden Corefiles run with the real default.
	probe := clusterdnsDefaults
	clusterdnsDefaults = func() (plugin.Handler, uint32, error) {
		h, _, err := probe()
		return h, 30, err
	}
	t.Cleanup(func() { clusterdnsDefaults = probe })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, reports, err := migrate("Corefile", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if out != tc.out {
				t.Errorf("got\n%s\nwant\n%s", out, tc.out)
			}
			if len(reports) != len(tc.reports) {
				t.Fatalf("reports %v, want %d: %v", reports, len(tc.reports), tc.reports)
			}
			for i, r := range reports {
				if !strings.Contains(r.String(), tc.reports[i]) {
					t.Errorf("report %q, want it to contain %q", r, tc.reports[i])
				}
			}
		})
	}
}

// TestMigrateUnbalanced: a Corefile caddy would not parse is refused, not half rewritten.
func TestMigrateUnbalanced(t *testing.T) {
	for _, in := range []string{
		".:53 {\n  kubernetes cluster.local {\n    pods insecure\n",
		".:53 {\n  kubernetes cluster.local\n",
		".:53 {\n  kubernetes cluster.local\n}\n}\n",
	} {
		if out, _, err := migrate("Corefile", []byte(in)); err == nil || !strings.HasPrefix(err.Error(), "Corefile:") {
			t.Errorf("%q: got %q, error %v; want an error naming the line", in, out, err)
		}
	}
}

func TestMigrateUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := migrateMain(nil, &stdout, &stderr); got != 2 || !strings.Contains(stderr.String(), "usage: clusterdns -migrate") {
		t.Errorf("no argument: status %d, stderr %q", got, stderr.String())
	}
	stderr.Reset()
	if got := migrateMain([]string{"/does/not/exist"}, &stdout, &stderr); got != 2 || stdout.Len() != 0 {
		t.Errorf("missing file: status %d, stdout %q", got, stdout.String())
	}
}

// TestMain lets TestMigrateCommand run this binary's main, as operators run the command.
func TestMain(m *testing.M) {
	if os.Getenv("CLUSTERDNS_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMigrateCommand: clusterdns -migrate PATH prints the migration and exits 1 when
// something is not carried over.
func TestMigrateCommand(t *testing.T) {
	for _, name := range []string{"eks", "all-options"} {
		path := filepath.Join(migrateDir, name+".Corefile")
		cmd := exec.Command(os.Args[0], "-migrate", path)
		cmd.Env = append(os.Environ(), "CLUSTERDNS_TEST_MAIN=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		status := 0
		if x, ok := err.(*exec.ExitError); ok {
			status = x.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(migrateDir, name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		reports, err := os.ReadFile(filepath.Join(migrateDir, name+".stderr"))
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := 0
		if strings.Contains(string(reports), ": not carried over: ") {
			wantStatus = 1
		}
		if status != wantStatus || stdout.String() != string(want) {
			t.Errorf("%s: status %d (want %d), output:\n%s\nstderr:\n%s", name, status, wantStatus, stdout.String(), stderr.String())
		}
	}
}
