package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/parse"
	"github.com/coredns/coredns/plugin/pkg/transport"
	"github.com/miekg/dns"
)

const validateUsage = `usage: clusterdns -validate -conf COREFILE [-mount CONTAINER_DIR=LOCAL_DIR]...

Checks a Corefile without starting anything: its syntax and directives, every clusterdns
block (as the server would parse it, loading every zone file it names), and zones that two
server blocks on the same listener would share. Prints FILE:LINE: MESSAGE for each problem
and exits 1, or prints "ok: ..." and exits 0. Zones that another server block answers
instead of clusterdns are reported as FILE:LINE: warning: MESSAGE and do not fail.

  -mount /etc/coredns=deploy/base   read the files the Corefile names under /etc/coredns
                                    (where the ConfigMap is mounted) from deploy/base
`

// validate runs clusterdns -validate with the command line's arguments.
func validate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("clusterdns -validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage) }
	fs.Bool("validate", true, "")
	conf := fs.String("conf", "", "")
	var mounts mountList
	fs.Var(&mounts, "mount", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *conf == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	v := &validator{path: *conf, mounts: mounts}
	servers, blocks := v.run()
	for _, p := range append(v.problems, v.warnings...) {
		fmt.Fprintln(stderr, p)
	}
	if len(v.problems) > 0 {
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d server blocks, %d clusterdns blocks\n", servers, blocks)
	return 0
}

// mountList is the -mount flag: CONTAINER_DIR=LOCAL_DIR, repeatable.
type mountList [][2]string

func (m *mountList) String() string { return fmt.Sprint(*m) }

func (m *mountList) Set(s string) error {
	dir, local, ok := strings.Cut(s, "=")
	if !ok || !strings.HasPrefix(dir, "/") || local == "" {
		return fmt.Errorf("want CONTAINER_DIR=LOCAL_DIR with an absolute CONTAINER_DIR, got %q", s)
	}
	*m = append(*m, [2]string{strings.TrimSuffix(dir, "/"), strings.TrimSuffix(local, "/")})
	return nil
}

// local maps a path the server would read to the file on this machine.
func (m mountList) local(path string) string {
	for _, mt := range m {
		if rest, ok := strings.CutPrefix(path, mt[0]); ok && (rest == "" || rest[0] == '/') {
			return mt[1] + rest
		}
	}
	return path
}

type validator struct {
	path     string
	mounts   mountList
	problems []string // errors: the server would not start, or a clusterdns block is invalid
	warnings []string
	lines    []string // the Corefile's lines, to locate server block keys
}

// listener is where a server block key listens: queries reach the block with the most
// specific zone among the blocks on the same listener.
type listener struct{ transport, port, bind string }

type key struct {
	zone  string
	l     listener
	block int
	raw   string
}

func (v *validator) problem(file string, line int, format string, args ...any) {
	appendOnce(&v.problems, fmt.Sprintf("%s:%d: %s", file, line, fmt.Sprintf(format, args...)))
}

func (v *validator) warn(file string, line int, format string, args ...any) {
	appendOnce(&v.warnings, fmt.Sprintf("%s:%d: warning: %s", file, line, fmt.Sprintf(format, args...)))
}

// appendOnce adds msg unless it is there: blocks importing one snippet share its problems.
func appendOnce(list *[]string, msg string) {
	if !slices.Contains(*list, msg) {
		*list = append(*list, msg)
	}
}

func (v *validator) run() (servers, blocks int) {
	data, err := os.ReadFile(v.path)
	if err != nil {
		v.problems = append(v.problems, err.Error())
		return 0, 0
	}
	v.lines = strings.Split(string(data), "\n")
	sbs, err := caddyfile.Parse(v.path, strings.NewReader(string(data)), dnsserver.Directives)
	if err != nil {
		v.problems = append(v.problems, located(err.Error()))
		return 0, 0
	}
	var keys []key
	for i, sb := range sbs {
		keys = append(keys, v.keys(i, sb)...)
	}
	v.duplicates(keys)
	for i, sb := range sbs {
		toks := sb.Tokens["clusterdns"]
		if len(toks) == 0 {
			continue
		}
		blocks++
		zones := v.clusterdns(sb, toks)
		v.reachable(i, toks, zones, keys)
	}
	return len(sbs), blocks
}

// keys normalizes a server block's keys as CoreDNS does (dnsserver.InspectServerBlocks).
func (v *validator) keys(block int, sb caddyfile.ServerBlock) []key {
	bind := ""
	if b := sb.Tokens["bind"]; len(b) > 1 {
		var args []string
		for _, t := range b[1:] {
			if t.Text != "bind" {
				args = append(args, t.Text)
			}
		}
		slices.Sort(args)
		bind = strings.Join(args, " ")
	}
	var keys []key
	for _, k := range sb.Keys {
		trans, addr := parse.Transport(k)
		hosts, port, err := plugin.SplitHostPort(addr)
		if err != nil {
			v.problem(v.path, v.keyLine(k, 0), "server block %q: %v", k, err)
			continue
		}
		if port == "" {
			port = map[string]string{transport.TLS: transport.TLSPort, transport.QUIC: transport.QUICPort,
				transport.GRPC: transport.GRPCPort, transport.HTTPS: transport.HTTPSPort, transport.HTTPS3: transport.HTTPSPort}[trans]
			if port == "" {
				port = dnsserver.Port
			}
		}
		for _, h := range hosts {
			keys = append(keys, key{plugin.Name(h).Normalize(), listener{trans, port, bind}, block, k})
		}
	}
	return keys
}

// duplicates reports a zone served twice on one listener, which CoreDNS refuses at start.
func (v *validator) duplicates(keys []key) {
	for i, k := range keys {
		for _, o := range keys[:i] {
			if k.zone == o.zone && k.l == o.l {
				before := map[int]bool{} // the key's own line: blocks before it with the same key
				for _, p := range keys[:i] {
					if p.raw == k.raw && p.block != k.block {
						before[p.block] = true
					}
				}
				v.problem(v.path, v.keyLine(k.raw, len(before)), "zone %s on %s://:%s is already defined by server block %q", k.zone, k.l.transport, k.l.port, o.raw)
				break
			}
		}
	}
}

// clusterdns validates one server block's clusterdns tokens as the server would parse them,
// and returns the zones the block answers (nil when it does not parse).
func (v *validator) clusterdns(sb caddyfile.ServerBlock, toks []caddyfile.Token) []string {
	toks = slices.Clone(toks)
	for i := range toks {
		toks[i].Text = v.mounts.local(toks[i].Text)
	}
	zones, err := parseClusterdns(v.path, sb.Keys, toks)
	if err != nil {
		msg := located(err.Error())
		if !hasLocation.MatchString(msg) { // the line naming the file, else the directive's
			file, line := fileOf(toks[0], v.path), toks[0].Line
			for i, t := range toks[:len(toks)-1] {
				if (t.Text == "file" || t.Text == "stubdomains") && strings.Contains(msg, toks[i+1].Text) {
					file, line = fileOf(t, v.path), t.Line
				}
			}
			msg = fmt.Sprintf("%s:%d: %s", file, line, msg)
		}
		appendOnce(&v.problems, msg)
	}
	return zones
}

// parseClusterdns runs one clusterdns block's tokens through the plugin's own parser
// (clusterdns.Validate) and returns the zones it answers.
func parseClusterdns(file string, keys []string, toks []caddyfile.Token) ([]string, error) {
	// NewTestController is caddy's exported way to get a Controller of the dns server type;
	// its input is replaced by the block's tokens, as caddy's executeDirectives does.
	c := caddy.NewTestController("dns", "")
	c.Dispenser = caddyfile.NewDispenserTokens(file, toks)
	if len(keys) > 0 {
		c.Key, c.ServerBlockKeys = keys[0], keys
	}
	return clusterdns.Validate(c)
}

// reachable warns about clusterdns zones whose queries another server block takes: CoreDNS
// gives a query to the block with the most specific zone on its listener. These run, but
// are usually mistakes, so they are warnings.
func (v *validator) reachable(block int, toks []caddyfile.Token, zones []string, keys []key) {
	file, line := fileOf(toks[0], v.path), toks[0].Line
	for _, z := range zones {
		inBlock := false
		for _, k := range keys {
			if k.block != block || !dns.IsSubDomain(k.zone, z) {
				continue
			}
			inBlock = true
			for _, o := range keys {
				if o.block == block || o.l != k.l || o.zone == k.zone || !dns.IsSubDomain(k.zone, o.zone) {
					continue
				}
				switch {
				case dns.IsSubDomain(o.zone, z):
					v.warn(file, line, "clusterdns zone %s on :%s is answered by server block %q, not by this one", z, k.l.port, o.raw)
				case dns.IsSubDomain(z, o.zone):
					v.warn(file, line, "names under %s (in clusterdns zone %s) on :%s are answered by server block %q, not by this one", o.zone, z, k.l.port, o.raw)
				}
			}
		}
		if !inBlock {
			v.warn(file, line, "clusterdns zone %s is outside the zones of its server block: no query for it reaches clusterdns", z)
		}
	}
}

// keyLine finds the line where server block key k appears for the nth time (from 0) in the
// Corefile, for messages; 1 if it is not found (keys from imported files).
func (v *validator) keyLine(k string, nth int) int {
	for i, l := range v.lines {
		if f := strings.Fields(strings.TrimRight(l, "{ \t,")); slices.Contains(f, k) || slices.Contains(f, k+",") {
			if nth == 0 {
				return i + 1
			}
			nth--
		}
	}
	return 1
}

func fileOf(t caddyfile.Token, dflt string) string {
	if t.File != "" {
		return t.File
	}
	return dflt
}

// caddy's parse errors read "FILE:LINE - Error during parsing: MESSAGE".
var caddyErr = regexp.MustCompile(`^(.+?:\d+) - (?:Error during parsing: )?`)

// hasLocation matches messages that start with FILE:LINE: (zone file errors, located ones).
var hasLocation = regexp.MustCompile(`^\S+:\d+: `)

// located rewrites caddy's parse errors as FILE:LINE: MESSAGE; other messages are unchanged.
func located(msg string) string {
	if m := caddyErr.FindStringSubmatchIndex(msg); m != nil {
		return msg[m[2]:m[3]] + ": " + msg[m[1]:]
	}
	return msg
}
