package clusterdns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin/metrics"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// explainTimeout bounds one explanation (a stub zone's resolvers are asked) within the
// metrics listener's write timeout of 5 s.
const explainTimeout = 4 * time.Second

// Explain answers a name and type as the block would and says where each record comes
// from. It sees what the block serves and nothing more: the peered clients' block, which
// holds only private zones, explains only those.
func (c *ClusterDNS) Explain(ctx context.Context, qname string, qtype uint16) explain.Answer {
	qname = dns.Fqdn(qname)
	lname := strings.ToLower(qname)
	zone := zonename.Match(c.Zones, lname)
	if s, sz := c.stubs.Match(lname); s != nil && len(sz) >= len(zone) {
		return s.Explain(ctx, qname, qtype)
	}
	a := explain.Answer{Name: qname, Type: typeName(qtype)}
	if zone == "" {
		if c.index == nil && !c.Fall.Through(lname) {
			a.Rcode = dns.RcodeToString[dns.RcodeRefused]
			a.Note = "the block answers only its own zones"
		} else {
			a.Rcode = "-"
			a.Note = "not in the block's zones: the next plugin of the server block answers it (forward, ...)"
		}
		return a
	}
	if p := c.privates[zone]; p != nil {
		return p.Explain(qname, qtype)
	}
	a.Zone, a.Kind = zone, "cluster"
	if qtype == dns.TypeAXFR || qtype == dns.TypeIXFR {
		a.Rcode = dns.RcodeToString[dns.RcodeRefused]
		a.Note = "zone transfers are the transfer plugin's"
		return a
	}
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	res := c.answer(ctx, request.Request{W: &test.ResponseWriter{}, Req: m}, zone, c.snapshot(zone))
	a.Rcode = dns.RcodeToString[res.Rcode]
	if res.Rcode == dns.RcodeServerFailure {
		a.Note = "the cluster zone is not listed yet"
	}
	for _, s := range []struct {
		name string
		rrs  []dns.RR
	}{{"answer", res.Answer}, {"authority", res.Ns}} {
		for _, rr := range s.rrs {
			a.Records = append(a.Records, explain.Record{RR: rr.String(), Section: s.name, Source: c.clusterSource(rr, zone)})
		}
	}
	return a
}

// clusterSource names the object a cluster-zone record comes from, read from its owner
// name as the schema lays names out (a Service's names, its endpoints', a pod's): the
// index keeps records, not objects.
func (c *ClusterDNS) clusterSource(rr dns.RR, zone string) string {
	name := strings.ToLower(rr.Header().Name)
	if ptr, ok := rr.(*dns.PTR); ok && zonename.IsReverse(zone) {
		target := strings.ToLower(ptr.Ptr)
		if z := zonename.Match(c.Zones, target); z != "" {
			return c.objectAt(target, z)
		}
		return "zone"
	}
	if !dns.IsSubDomain(zone, name) {
		return "upstream (the target of a CNAME)"
	}
	return c.objectAt(name, zone)
}

// objectAt names the object a name of the cluster zone belongs to.
func (c *ClusterDNS) objectAt(name, zone string) string {
	if name == zone {
		return "zone"
	}
	labels := dns.SplitDomainName(strings.TrimSuffix(name, "."+zone))
	n := len(labels)
	kind := "Service"
	switch {
	case slices.Contains(c.cfg.mcZones, zone):
		kind = "ServiceImport" // or a peer's export laid over them: the index keeps no owner
	case c.peers != nil && zone == c.peers.Zone:
		kind = "exported Service" // of the local cluster or a peer
	}
	switch {
	case n >= 3 && labels[n-1] == "svc":
		ns, svc := labels[n-2], labels[n-3]
		if n > 3 && !strings.HasPrefix(labels[0], "_") {
			return "EndpointSlice of " + kind + " " + ns + "/" + svc + " (endpoint " + labels[0] + ")"
		}
		return kind + " " + ns + "/" + svc
	case n >= 2 && labels[n-1] == "pod":
		return "Pod " + labels[n-2] + "/" + labels[0]
	case n == 2 && labels[n-1] == "svc":
		return "Namespace " + labels[0]
	}
	return "zone"
}

func typeName(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// The explain endpoint. CoreDNS's prometheus plugin owns the metrics listener and offers
// no way to add a handler to it; its blocks sharing one address share one listener, served
// by the plugin instance started first. serveExplain finds that instance among the
// server's blocks and its ServeMux by reflection (read-only: the pointers are read, the mux
// is then used through its own methods), as private/transfer.go reads the transfer
// plugin's peers; TestExplainEndpoint (test/integration) fails if CoreDNS's fields change,
// and a change here is a start error that says so, never a panic.

// endpoint is the explain handler of one metrics listener: the blocks that serve explain on it.
type endpoint struct {
	mu     sync.RWMutex
	blocks []*explainBlock
}

type explainBlock struct {
	c    *ClusterDNS
	port string // the DNS port of the server block
	view string
	zone string // the server block's zone, as CoreDNS routes queries to blocks
}

var (
	endpointsMu sync.Mutex
	endpoints   = map[*http.ServeMux]*endpoint{}
)

// serveExplain puts the block on the explain endpoint of its metrics listener.
func (c *ClusterDNS) serveExplain(ctl *caddy.Controller) error {
	conf := dnsserver.GetConfig(ctl)
	mux, err := metricsMux(ctl, conf)
	if err != nil {
		return fmt.Errorf("%s: explain: %w", name, err)
	}
	endpointsMu.Lock()
	defer endpointsMu.Unlock()
	e := endpoints[mux]
	if e == nil {
		e = &endpoint{}
		endpoints[mux] = e
		// The mux outlives its blocks only until the reload that replaces it, and a mux
		// takes a pattern once: the handler finds the endpoint of the mux when asked.
		if _, pattern := mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: explain.Path}}); pattern != explain.Path {
			mux.Handle(explain.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				endpointsMu.Lock()
				e := endpoints[mux]
				endpointsMu.Unlock()
				if e == nil {
					httpError(w, http.StatusNotFound, "no block serves explain on this listener any more")
					return
				}
				e.ServeHTTP(w, r)
			}))
		}
	}
	b := &explainBlock{c: c, port: conf.Port, view: conf.ViewName, zone: strings.ToLower(dns.Fqdn(conf.Zone))}
	e.mu.Lock()
	e.blocks = append(e.blocks, b)
	e.mu.Unlock()
	c.unexplain = func() {
		endpointsMu.Lock()
		defer endpointsMu.Unlock()
		e.mu.Lock()
		defer e.mu.Unlock()
		e.blocks = slices.DeleteFunc(e.blocks, func(x *explainBlock) bool { return x == b })
		if len(e.blocks) == 0 && endpoints[mux] == e {
			delete(endpoints, mux) // the listener's last block: let the mux go with its reload
		}
	}
	return nil
}

// metricsMux returns the ServeMux of the metrics listener of the block of conf.
func metricsMux(ctl *caddy.Controller, conf *dnsserver.Config) (*http.ServeMux, error) {
	own, ok := conf.Handler("prometheus").(*metrics.Metrics)
	if !ok {
		return nil, errors.New("the server block has no prometheus plugin, whose listener serves explain")
	}
	configs := reflect.ValueOf(ctl.Context())
	if configs.Kind() == reflect.Pointer {
		configs = configs.Elem()
	}
	if configs.Kind() == reflect.Struct {
		configs = configs.FieldByName("configs")
	}
	if configs.Kind() != reflect.Slice || configs.Type().Elem() != reflect.TypeFor[*dnsserver.Config]() {
		return nil, errors.New("CoreDNS's server configurations are not where this release expects them")
	}
	for i := range configs.Len() {
		cfg := (*dnsserver.Config)(configs.Index(i).UnsafePointer())
		m, ok := cfg.Handler("prometheus").(*metrics.Metrics)
		if !ok || m.Addr != own.Addr {
			continue
		}
		f := reflect.ValueOf(m).Elem().FieldByName("mux")
		if f.Kind() != reflect.Pointer || f.Type() != reflect.TypeFor[*http.ServeMux]() {
			return nil, errors.New("CoreDNS's prometheus plugin keeps no ServeMux where this release expects it")
		}
		if mux := (*http.ServeMux)(f.UnsafePointer()); mux != nil {
			return mux, nil
		}
	}
	return nil, fmt.Errorf("the metrics listener %s is not started", own.Addr)
}

// ServeHTTP answers GET /explain?name=NAME[&type=TYPE][&server=PORT][&view=VIEW] with the
// explanation of the block that serves the name on that DNS port (any, without server) and
// view (none, without view), as CoreDNS picks a block: the longest zone holding the name.
func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	qname := q.Get("name")
	if _, ok := dns.IsDomainName(qname); !ok || qname == "" {
		httpError(w, http.StatusBadRequest, "name: want a domain name")
		return
	}
	qname = dns.Fqdn(qname)
	qtype := dns.TypeA
	if t := q.Get("type"); t != "" {
		var ok bool
		if qtype, ok = dns.StringToType[strings.ToUpper(t)]; !ok {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("type %q: want a record type such as A, AAAA, SRV", t))
			return
		}
	}
	server, view := q.Get("server"), q.Get("view")
	e.mu.RLock()
	var best *explainBlock
	for _, b := range e.blocks {
		if (server != "" && b.port != server) || b.view != view || !dns.IsSubDomain(b.zone, strings.ToLower(qname)) {
			continue
		}
		if best == nil || len(b.zone) > len(best.zone) {
			best = b
		}
	}
	e.mu.RUnlock()
	if best == nil {
		httpError(w, http.StatusNotFound, "no block with explain serves "+qname+" on this listener (server and view select one)")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), explainTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(best.c.Explain(ctx, qname, qtype))
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
