package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/autopath"
	external "github.com/coredns/coredns/plugin/k8s_external"
	"github.com/coredns/coredns/plugin/metadata"
	"github.com/coredns/coredns/plugin/pkg/parse"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

const migrateUsage = `usage: clusterdns -migrate COREFILE

Prints COREFILE with every kubernetes block switched to clusterdns, and what works with
kubernetes rewritten for clusterdns: the server block's zones for a block naming none,
ttl 5 (the kubernetes default) where the block sets no ttl, autopath @clusterdns, the
first of several endpoints, k8s_external ZONE as a private zone ZONE with services all.
Lines it does not touch are printed as they are, comments included, so the result diffs
cleanly against the original. import lines, snippets and {$ENV} placeholders are carried
untouched (files named by import are not read: migrate them too).

Whether an option can be carried is asked of the clusterdns plugin itself: the options of
a kubernetes block are run through the plugin's own parser. One it rejects, or a plugin
that clusterdns cannot stand in for in this build, is printed commented out ("# not
carried over: ...") so the printed Corefile still starts, and named on stderr as
FILE:LINE: not carried over: MESSAGE. Changes worth knowing are FILE:LINE: note: MESSAGE.

Exit status: 0 when everything was carried over (notes do not count), 1 when something was
not carried over, 2 when COREFILE cannot be read or tokenized.
`

// kubernetesTTL is the kubernetes plugin's TTL for a block that sets none.
const kubernetesTTL = 5

// migrateMain runs clusterdns -migrate with the arguments after the flag.
func migrateMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	src, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	out, reports, err := migrate(args[0], src)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprint(stdout, out)
	status := 0
	for _, r := range reports {
		fmt.Fprintln(stderr, r)
		if r.problem {
			status = 1
		}
	}
	return status
}

// report is one line of what -migrate says on stderr.
type report struct {
	file    string
	line    int
	msg     string
	problem bool // something not carried over
}

func (r report) String() string {
	kind := "note"
	if r.problem {
		kind = "not carried over"
	}
	return fmt.Sprintf("%s:%d: %s: %s", r.file, r.line, kind, r.msg)
}

// edit replaces src[start:end] with text; start == end inserts.
type edit struct {
	start, end int
	text       string
}

type migration struct {
	path     string
	src      []byte
	toks     []span
	snippets map[string][][]span // by name: directives
	edits    []edit
	reports  []report
	handler  plugin.Handler // a clusterdns handler built by the plugin's setup, asked what it implements
	ttl      uint32         // clusterdns's TTL for a block that sets none
}

// entry is a top-level part of a Corefile: a server block, a snippet or an import.
type entry struct {
	keys []span
	body [][]span // directives
}

// migrate returns the migrated Corefile and what it says about it.
func migrate(path string, src []byte) (string, []report, error) {
	toks, err := lexSpans(path, src)
	if err != nil {
		return "", nil, err
	}
	h, ttl, err := clusterdnsDefaults()
	if err != nil {
		return "", nil, fmt.Errorf("clusterdns plugin: %v", err)
	}
	m := &migration{path: path, src: src, toks: toks, snippets: map[string][][]span{}, handler: h, ttl: ttl}
	entries, err := m.entries()
	if err != nil {
		return "", nil, err
	}
	for _, e := range entries {
		if len(e.keys) == 1 && strings.HasPrefix(e.keys[0].Text, "(") && strings.HasSuffix(e.keys[0].Text, ")") {
			m.snippets[strings.Trim(e.keys[0].Text, "()")] = e.body
		}
	}
	found := false
	for _, e := range entries {
		found = m.serverBlock(e) || found
	}
	if !found {
		m.note(1, "no kubernetes block: printed unchanged")
	}
	sort.SliceStable(m.reports, func(i, j int) bool { return m.reports[i].line < m.reports[j].line })
	return m.apply(), m.reports, nil
}

// clusterdnsDefaults is probeDefaults; tests replace it to exercise rules the plugin's
// current defaults leave idle (its TTL equals the kubernetes plugin's today).
var clusterdnsDefaults = probeDefaults

// probeDefaults builds a handler with the plugin's own setup, for a block that sets
// nothing: what it implements and its TTL are what a migrated block gets.
func probeDefaults() (plugin.Handler, uint32, error) {
	setup, err := caddy.DirectiveAction("dns", "clusterdns")
	if err != nil {
		return nil, 0, err
	}
	c := caddy.NewTestController("dns", "clusterdns cluster.local")
	if err := setup(c); err != nil {
		return nil, 0, err
	}
	p := dnsserver.GetConfig(c).Plugin
	if len(p) == 0 {
		return nil, 0, errors.New("setup added no handler")
	}
	h := p[len(p)-1](nil)
	cd, ok := h.(*clusterdns.ClusterDNS)
	if !ok {
		return nil, 0, fmt.Errorf("setup added a %T, want *clusterdns.ClusterDNS", h)
	}
	return h, cd.TTL, nil
}

// entries splits the file into its top-level parts as caddy's parser does, without
// expanding imports.
func (m *migration) entries() ([]entry, error) {
	t := m.toks
	var out []entry
	for i := 0; i < len(t); {
		if t[i].Text == "import" {
			j := i + 1
			for j < len(t) && !newLine(t, j) {
				j++
			}
			out = append(out, entry{body: [][]span{t[i:j]}})
			i = j
			continue
		}
		if t[i].Text == "}" {
			return nil, fmt.Errorf("%s:%d: unexpected }: no block is open", m.path, t[i].Line)
		}
		// keys: the line's tokens, continued on the next line after a trailing comma
		j := i + 1
		for j < len(t) && t[j].Text != "{" && (!newLine(t, j) || strings.HasSuffix(t[j-1].Text, ",")) {
			j++
		}
		e := entry{keys: t[i:j]}
		braces := j < len(t) && t[j].Text == "{"
		if braces {
			j++
		}
		closed := !braces
		for j < len(t) {
			if braces && t[j].Text == "}" {
				j++
				closed = true
				break
			}
			k := directiveEnd(t, j)
			if k == len(t) && braces || k < len(t) && !newLine(t, k) && t[k].Text == "}" && !braces {
				return nil, fmt.Errorf("%s:%d: unbalanced braces in the block of %s", m.path, t[j].Line, t[j].Text)
			}
			e.body = append(e.body, t[j:k])
			j = k
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: server block %s is not closed by }", m.path, t[i].Line, t[i].Text)
		}
		out = append(out, e)
		i = j
	}
	return out, nil
}

// directiveEnd returns the end of the directive starting at toks[i]: its arguments on the
// line and its nested block, as caddy's parser delimits it; len(t) when a nested block is
// not closed.
func directiveEnd(t []span, i int) int {
	nesting := 0
	j := i + 1
	for ; j < len(t); j++ {
		switch {
		case t[j].Text == "{":
			nesting++
		case newLine(t, j) && nesting == 0:
			return j
		case t[j].Text == "}" && nesting > 0:
			nesting--
		case t[j].Text == "}":
			return j
		}
	}
	if nesting > 0 {
		return len(t)
	}
	return j
}

// serverBlock migrates one entry; it reports whether it held a kubernetes block.
func (m *migration) serverBlock(e entry) bool {
	var zones []string // the kubernetes zones of the block, for the plugins that work on them
	var blocks []*k8sBlock
	for _, d := range e.body {
		if d[0].Text == "kubernetes" {
			b := m.kubernetes(e.keys, d)
			blocks = append(blocks, b)
			zones = append(zones, b.zones...)
		}
	}
	for _, d := range e.body {
		switch d[0].Text {
		case "autopath":
			m.autopath(d)
		case "k8s_external":
			var b *k8sBlock
			if len(blocks) > 0 {
				b = blocks[0]
			}
			m.external(e.keys, d, b)
		case "transfer":
			m.transfer(e.keys, d, zones)
		case "metadata":
			m.metadata(d)
		case "import":
			if len(d) < 2 {
				break
			}
			if _, ok := m.snippets[d[1].Text]; !ok {
				m.note(d[0].Line, "import %s is carried as it is: run clusterdns -migrate on the files it names if they hold kubernetes blocks", d[1].Text)
			}
		}
	}
	for _, b := range blocks {
		m.finish(b)
	}
	return zones != nil
}

// k8sBlock is a kubernetes block being migrated: what it carries and the lines to add at
// its end (the ttl, private zones standing in for k8s_external).
type k8sBlock struct {
	keys    []span
	d       []span
	zones   []string
	braces  bool
	body    []span
	carried [][]span
	add     []string // lines; a leading tab per level of nesting inside the block
}

// kubernetes rewrites one kubernetes block; finish adds its lines once the plugins of the
// server block have had their say.
func (m *migration) kubernetes(keys []span, d []span) *k8sBlock {
	line := d[0].Line
	m.replace(d[0], "clusterdns")
	k := 1
	for k < len(d) && !newLine(d, k) && d[k].Text != "{" {
		k++
	}
	var zones []string
	for _, z := range d[1:k] {
		zones = append(zones, z.Text)
	}
	if len(zones) == 0 {
		// kubernetes takes the server block's zones; clusterdns without zones serves none
		zones = keyZones(keys)
		if len(zones) == 0 {
			m.problem(line, "kubernetes without zones outside a server block: write its zones (clusterdns ZONES...), clusterdns without zones serves no cluster zone")
			zones = []string{}
		} else {
			m.insert(d[k-1].end, " "+strings.Join(zones, " "))
			m.note(line, "wrote the server block's zones %s: kubernetes takes them when it names none, clusterdns serves none", strings.Join(zones, " "))
		}
	}
	braces := k < len(d) && d[k].Text == "{"
	var body []span
	if braces {
		body = d[k+1:]
		if n := len(body); n > 0 && body[n-1].Text == "}" {
			body = body[:n-1]
		}
	}
	var opts [][]span
	imported := false
	for o := 0; o < len(body); {
		e := directiveEnd(body, o)
		opt := body[o:e]
		o = e
		if opt[0].Text == "import" {
			// caddy expands it before the plugin sees the block; the probe cannot. A ttl
			// may come with it: one from a snippet of this file is seen, one from a file not.
			snippet, ok := m.snippets[opt[len(opt)-1].Text]
			imported = imported || !ok || slices.ContainsFunc(snippet, func(o []span) bool { return o[0].Text == "ttl" })
			m.note(opt[0].Line, "%s inside a kubernetes block is carried unchecked: check the options it brings", spanText(opt))
			continue
		}
		if rw := optionRewrites[opt[0].Text]; rw != nil {
			opt = rw(m, opt)
		}
		opts = append(opts, opt)
	}
	carried := m.carry(keys, line, zones, opts)
	ttl := imported || slices.ContainsFunc(carried, func(o []span) bool { return o[0].Text == "ttl" })
	b := &k8sBlock{keys: keys, d: d, zones: zones, braces: braces, body: body, carried: carried}
	if !ttl && m.ttl != kubernetesTTL {
		b.add = append(b.add, fmt.Sprintf("ttl %d", kubernetesTTL))
		m.note(line, "wrote ttl %d: kubernetes answers with TTL %d when the block sets none, clusterdns with %d", kubernetesTTL, kubernetesTTL, m.ttl)
	}
	return b
}

// finish writes the lines added to a migrated block and runs the whole block through the
// plugin's parser.
func (m *migration) finish(b *k8sBlock) {
	d, carried := b.d, b.carried
	if len(b.add) > 0 {
		indent := m.indent(d[0])
		inner := indent + indentUnit(indent)
		if len(b.body) > 0 && m.lineStart(b.body[0].start)+len(m.indent(b.body[0])) == b.body[0].start {
			inner = m.indent(b.body[0])
		}
		var text strings.Builder
		for _, l := range b.add {
			depth := len(l) - len(strings.TrimLeft(l, "\t"))
			text.WriteString(inner + strings.Repeat(indentUnit(inner), depth) + l[depth:] + "\n")
		}
		add := text.String()
		last := d[len(d)-1]
		switch {
		case !b.braces:
			m.insert(last.end, " {\n"+add+indent+"}")
		case last.Text == "}" && newLine(d, len(d)-1):
			m.insert(m.lineStart(last.start), add)
		default:
			m.insert(last.start, "\n"+add+indent)
		}
		// the added lines' tokens, on lines of their own for the parser
		toks, err := lexSpans(m.path, []byte(add))
		if err != nil {
			m.problem(d[0].Line, "%v", err)
			return
		}
		for i := range toks {
			toks[i].Line += last.Line
		}
		carried = append(carried, toks)
	}
	if _, err := m.probe(b.keys, d[0].Line, b.zones, carried...); err != nil {
		m.problem(d[0].Line, "the migrated clusterdns block does not parse: %s", plainErr(err))
	}
}

// carry returns the options the plugin's parser accepts together, and comments out and
// reports the others. Options are parsed as a whole block, as some depend on others (tls
// needs endpoint or kubeconfig): the parser's error names the line of the option it
// rejects, which is dropped and the rest parsed again. An error naming no option's line is
// traced by parsing each option alone; one that no option causes is left to finish.
func (m *migration) carry(keys []span, line int, zones []string, opts [][]span) [][]span {
	for {
		_, err := m.probe(keys, line, zones, opts...)
		if err == nil {
			return opts
		}
		i := m.culprit(err, opts)
		if i < 0 {
			for j, o := range opts {
				if _, e := m.probe(keys, line, zones, o); e != nil {
					i, err = j, e
					break
				}
			}
		}
		if i < 0 {
			return opts
		}
		m.problem(opts[i][0].Line, "%s: %s", spanText(opts[i]), plainErr(err))
		m.commentOut(opts[i])
		opts = slices.Delete(slices.Clone(opts), i, i+1)
	}
}

// culprit returns the index of the option on the line a parse error names, or -1.
func (m *migration) culprit(err error, opts [][]span) int {
	rest, ok := strings.CutPrefix(located(err.Error()), m.path+":")
	if !ok {
		return -1
	}
	digits, _, _ := strings.Cut(rest, ":")
	l, err := strconv.Atoi(digits)
	if err != nil {
		return -1
	}
	for i, o := range opts {
		last := o[len(o)-1]
		if o[0].Line <= l && l <= last.Line+strings.Count(last.Text, "\n") {
			return i
		}
	}
	return -1
}

// optionRewrites are the kubernetes options whose clusterdns form differs from what the
// kubernetes block says. Each edits the Corefile and returns the option as rewritten; the
// plugin's parser then decides whether that is carried. Every other option is carried as
// written when the parser accepts it: the plugin, not a list here, knows its options.
var optionRewrites = map[string]func(m *migration, opt []span) []span{
	// kubernetes takes several URLs but uses only the first (several are deprecated)
	"endpoint": func(m *migration, opt []span) []span {
		if len(opt) <= 2 {
			return opt
		}
		m.edits = append(m.edits, edit{opt[1].end, opt[len(opt)-1].end, ""})
		m.note(opt[0].Line, "kept only the first endpoint %s: kubernetes uses only the first of several", opt[1].Text)
		return opt[:2]
	},
}

// probe runs a clusterdns block with these zones and options through the plugin's own
// parser (clusterdns.Validate): the plugin, not a list here, says what it accepts.
func (m *migration) probe(keys []span, line int, zones []string, opts ...[]span) ([]string, error) {
	toks := []caddyfile.Token{{File: m.path, Line: line, Text: "clusterdns"}}
	for _, z := range zones {
		toks = append(toks, caddyfile.Token{File: m.path, Line: line, Text: replaceEnv(z)})
	}
	toks = append(toks, caddyfile.Token{File: m.path, Line: line, Text: "{"})
	last := line
	for _, o := range opts {
		for _, t := range o {
			t.Text = replaceEnv(t.Text)
			toks = append(toks, t.Token)
			last = t.Line
		}
	}
	toks = append(toks, caddyfile.Token{File: m.path, Line: last + 1, Text: "}"})
	var k []string
	for _, s := range keys {
		k = append(k, strings.TrimSuffix(replaceEnv(s.Text), ","))
	}
	return parseClusterdns(m.path, k, toks)
}

// autopath rewrites autopath @kubernetes. autopath fails at start when the plugin it names
// is no AutoPather, so without one the line is left out.
func (m *migration) autopath(d []span) {
	// autopath [ZONE...] RESOLV-CONF: @kubernetes is the last argument
	i := 1
	for i < len(d) && !newLine(d, i) && d[i].Text != "@kubernetes" {
		i++
	}
	if i == len(d) || newLine(d, i) {
		return
	}
	if _, ok := m.handler.(autopath.AutoPather); !ok {
		m.problem(d[0].Line, "autopath @kubernetes: clusterdns in this build does not implement autopath's AutoPather and autopath @clusterdns would stop the server from starting; left out")
		m.commentOut(d)
		return
	}
	m.replace(d[i], "@clusterdns")
}

// k8sExternalTTL is k8s_external's TTL when it sets none.
const k8sExternalTTL = 5

// external turns k8s_external into private zones of the server block's clusterdns block,
// which answer the same names (plugin/clusterdns/README.md, k8s_external): k8s_external
// looks up the handler named kubernetes at start, and a server block without one does not
// start. Options without an equivalent are reported.
func (m *migration) external(keys []span, d []span, b *k8sBlock) {
	if _, ok := m.handler.(external.Externaler); ok {
		m.note(d[0].Line, "k8s_external is carried: clusterdns answers its names")
		return
	}
	if b == nil {
		m.commentOut(d)
		m.problem(d[0].Line, "k8s_external needs the kubernetes plugin and this server block has no kubernetes block to migrate; left out: serve its names from a private zone with services all in a clusterdns block")
		return
	}
	k := 1
	for k < len(d) && !newLine(d, k) && d[k].Text != "{" {
		k++
	}
	var zones []string
	for _, z := range d[1:k] {
		zones = append(zones, z.Text)
	}
	if len(zones) == 0 {
		zones = keyZones(keys)
	}
	m.commentAs(d, "now private zones of clusterdns")
	ttl := ""
	if k < len(d) && d[k].Text == "{" {
		body := d[k+1:]
		if n := len(body); n > 0 && body[n-1].Text == "}" {
			body = body[:n-1]
		}
		for o := 0; o < len(body); {
			e := directiveEnd(body, o)
			opt := body[o:e]
			o = e
			if opt[0].Text == "ttl" && len(opt) == 2 {
				ttl = opt[1].Text
				continue
			}
			m.problem(opt[0].Line, "k8s_external %s: a private zone has no equivalent", spanText(opt))
		}
	}
	if ttl == "" && private.DefaultTTL != k8sExternalTTL {
		ttl = strconv.Itoa(k8sExternalTTL)
	}
	for _, z := range zones {
		b.add = append(b.add, "private "+z+" {", "\tservices all")
		if ttl != "" {
			b.add = append(b.add, "\tttl "+ttl)
		}
		b.add = append(b.add, "}")
	}
	m.note(d[0].Line, "k8s_external %s became private zones with services all in the clusterdns block on line %d: k8s_external needs the kubernetes plugin; see k8s_external in plugin/clusterdns/README.md for how the answers differ", strings.Join(zones, " "), b.d[0].Line)
}

// transfer reports a transfer of a cluster zone that clusterdns does not serve.
func (m *migration) transfer(keys []span, d []span, zones []string) {
	var tz []string
	for i := 1; i < len(d) && !newLine(d, i) && d[i].Text != "{"; i++ {
		tz = append(tz, d[i].Text)
	}
	if len(tz) == 0 {
		tz = keyZones(keys)
	}
	if zones == nil {
		return
	}
	x, ok := m.handler.(transfer.Transferer)
	for _, z := range zones {
		z = strings.ToLower(replaceEnv(z))
		for _, t := range tz {
			if !zonename.Overlap(dns.Fqdn(z), dns.Fqdn(strings.ToLower(replaceEnv(t)))) {
				continue
			}
			if !ok || notTransferred(x) {
				m.problem(d[0].Line, "transfer of the cluster zone %s: clusterdns in this build does not transfer it; AXFR and IXFR of it are refused", z)
				return
			}
		}
	}
}

// notTransferred asks the unstarted handler of clusterdnsDefaults whether it would transfer
// its cluster zone at all: not authoritative means never, not synced means once started.
func notTransferred(x transfer.Transferer) (not bool) {
	defer func() {
		if recover() != nil {
			not = false // it tried: it serves the zone once started
		}
	}()
	_, err := x.Transfer("cluster.local.", 0)
	return errors.Is(err, transfer.ErrNotAuthoritative)
}

// metadata reports the kubernetes/* metadata keys when clusterdns provides none.
func (m *migration) metadata(d []span) {
	if _, ok := m.handler.(metadata.Provider); ok || !strings.Contains(string(m.src), "kubernetes/") {
		return
	}
	m.problem(d[0].Line, "metadata: clusterdns in this build provides no kubernetes/* metadata keys; log formats and view expressions using them see them empty")
}

// keyZones returns the zones of server block keys, as the kubernetes plugin takes them
// (plugin.OriginsFromArgsOrServerBlock).
func keyZones(keys []span) []string {
	var zones []string
	for _, k := range keys {
		_, addr := parse.Transport(strings.TrimSuffix(k.Text, ","))
		hosts, _, err := plugin.SplitHostPort(addr)
		if err != nil {
			continue
		}
		for _, h := range hosts {
			for _, z := range plugin.Host(h).NormalizeExact() {
				if z != "." {
					z = strings.TrimSuffix(z, ".") // as operators write zones
				}
				if !slices.Contains(zones, z) {
					zones = append(zones, z)
				}
			}
		}
	}
	return zones
}

func (m *migration) note(line int, format string, args ...any) {
	m.reports = append(m.reports, report{m.path, line, fmt.Sprintf(format, args...), false})
}

func (m *migration) problem(line int, format string, args ...any) {
	m.reports = append(m.reports, report{m.path, line, fmt.Sprintf(format, args...), true})
}

func (m *migration) replace(t span, text string) {
	m.edits = append(m.edits, edit{t.start, t.end, text})
}

func (m *migration) insert(at int, text string) { m.edits = append(m.edits, edit{at, at, text}) }

// commentOut turns a directive into a comment, each of its lines. One that shares its last
// line with a following token (a one-line block's "}") is removed instead.
func (m *migration) commentOut(d []span) { m.commentAs(d, "not carried over") }

// commentAs turns a directive into a comment that starts with why.
func (m *migration) commentAs(d []span, why string) {
	last := d[len(d)-1]
	if i := slices.IndexFunc(m.toks, func(t span) bool { return t.start == last.start }); i+1 < len(m.toks) && !newLine(m.toks, i+1) {
		m.edits = append(m.edits, edit{d[0].start, last.end, ""})
		return
	}
	// every line of it becomes a comment after its indentation, also the lines inside a
	// quoted token spanning lines
	m.insert(d[0].start, "# "+why+": ")
	for at := d[0].start; at < last.end; at++ {
		if m.src[at] != '\n' {
			continue
		}
		ws := at + 1
		for ws < last.end && (m.src[ws] == ' ' || m.src[ws] == '\t') {
			ws++
		}
		m.insert(ws, "# ")
	}
}

// lineStart is the offset where the line holding offset at begins.
func (m *migration) lineStart(at int) int {
	for at > 0 && m.src[at-1] != '\n' {
		at--
	}
	return at
}

// indent is the whitespace that starts t's line.
func (m *migration) indent(t span) string {
	s := m.lineStart(t.start)
	e := s
	for e < t.start && (m.src[e] == ' ' || m.src[e] == '\t') {
		e++
	}
	return string(m.src[s:e])
}

func indentUnit(indent string) string {
	if strings.Contains(indent, "\t") {
		return "\t"
	}
	return "    "
}

// apply returns the source with the edits made; inserts at one place keep their order.
func (m *migration) apply() string {
	sort.SliceStable(m.edits, func(i, j int) bool { return m.edits[i].start < m.edits[j].start })
	var b strings.Builder
	pos := 0
	for _, e := range m.edits {
		if e.start < pos {
			continue // inside a removed range
		}
		b.Write(m.src[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.Write(m.src[pos:])
	return b.String()
}

// spanText is a directive as written, its lines joined by spaces.
func spanText(d []span) string {
	var parts []string
	for _, t := range d {
		parts = append(parts, strings.Join(strings.Fields(t.Text), " "))
	}
	return strings.Join(parts, " ")
}

// plainErr is an error's message without its FILE:LINE: prefix (the report has its own).
func plainErr(err error) string {
	msg := located(err.Error())
	if loc := hasLocation.FindString(msg); loc != "" {
		return msg[len(loc):]
	}
	return msg
}

// replaceEnv expands {$NAME} and {%NAME%} as caddy's parser does before a plugin sees a
// token, so a probe parses what the server would.
func replaceEnv(s string) string {
	for _, ref := range [][2]string{{"{%", "%}"}, {"{$", "}"}} {
		for {
			i := strings.Index(s, ref[0])
			if i < 0 {
				break
			}
			j := strings.Index(s[i+len(ref[0]):], ref[1])
			if j < 0 {
				break
			}
			name := s[i+len(ref[0]) : i+len(ref[0])+j]
			s = s[:i] + os.Getenv(name) + s[i+len(ref[0])+j+len(ref[1]):]
		}
	}
	return s
}
