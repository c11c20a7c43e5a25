package private

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/miekg/dns"
)

// Explain says what the zone answers a query with and where each record comes from: the
// object whose claim it is, or the zone file's line. The claims are weighed again, as a
// rebuild weighs them, from the objects as they are now: explain is rare, and keeping every
// claim's owner in the published zone would cost memory on every name.
func (z *Zone) Explain(qname string, qtype uint16) explain.Answer {
	a := explain.Answer{Name: qname, Type: typeString(qtype), Zone: z.cfg.Zone, Kind: "private"}
	if !z.Ready() {
		a.Rcode = dns.RcodeToString[dns.RcodeServerFailure]
		a.Note = "the zone's cluster sources are not listed yet: it answers SERVFAIL"
		return a
	}
	res := z.Current().Lookup(qname, qtype)
	fromMagic := false
	if z.cfg.Magic && res.Rcode == dns.RcodeNameError {
		res = z.magic(qname, qtype, res)
		fromMagic = res.Rcode != dns.RcodeNameError
	}
	a.Rcode = dns.RcodeToString[res.Rcode]
	names := map[string]bool{strings.ToLower(qname): true}
	for _, rr := range slices.Concat(res.Answer, res.Ns) {
		names[strings.ToLower(rr.Header().Name)] = true
	}

	z.mu.Lock()
	file := z.file
	z.mu.Unlock()
	claims := map[string][]Claim{} // at the names of the answer, by lowercase name
	// a reverse zone's own claims are its DNSEndpoints' PTRs; the others derive from the
	// forward zones' addresses
	if z.store != nil && (!z.cfg.Reverse() || z.cfg.DNSEndpoints) {
		z.store.Read(func(v model.View) {
			tracedRecords(&z.cfg.Sources, v, file, func(at string, group []Claim, msgs []string) {
				relevant := names[at]
				for _, c := range group {
					n := strings.ToLower(c.RR.Header().Name)
					if names[n] {
						relevant = true
						claims[n] = append(claims[n], c)
					}
				}
				if relevant {
					a.Lost = append(a.Lost, lostClaims(group, msgs)...)
				}
			})
		})
	}
	lines, note := z.fileLines()
	a.Note = note
	for _, s := range []struct {
		name string
		rrs  []dns.RR
	}{{"answer", res.Answer}, {"authority", res.Ns}} {
		for _, rr := range s.rrs {
			src := lines.source(rr)
			if src == "" {
				src = claimSource(rr, claims[strings.ToLower(rr.Header().Name)])
			}
			switch {
			case src != "":
			case fromMagic && s.name == "answer":
				src = "magic (the address written in the name)"
			case z.cfg.Reverse() && rr.Header().Rrtype == dns.TypePTR:
				src = "the address records of " + rr.(*dns.PTR).Ptr + " in a forward private zone"
			default:
				src = "zone" // a SOA or NS the zone makes itself
			}
			a.Records = append(a.Records, explain.Record{RR: rr.String(), Section: s.name, Source: src})
		}
	}
	return a
}

// lostClaims returns the claimants of a name that the messages of resolve say are ignored.
func lostClaims(group []Claim, msgs []string) []explain.Lost {
	var out []explain.Lost
	for _, m := range msgs {
		for _, c := range group {
			if o := c.Owner.String(); strings.Contains(m, "ignoring "+o+"'s") {
				if !slices.ContainsFunc(out, func(l explain.Lost) bool { return l.Owner == o && l.Reason == m }) {
					out = append(out, explain.Lost{Owner: o, Reason: m})
				}
				break
			}
		}
	}
	return out
}

// claimSource names the owner of the claim that put rr in the zone, "" for none.
func claimSource(rr dns.RR, claims []Claim) string {
	for _, c := range claims {
		if dns.IsDuplicate(rr, c.RR) {
			return c.Owner.String()
		}
	}
	return ""
}

// fileRecords are the zone file's records with the line each begins on.
type fileRecords struct {
	path  string
	rrs   []dns.RR
	lines []int
}

// fileLines reads the zone file again for its records' lines: the zone keeps records, not
// where they were written. A file that no longer parses serves its last good version; the
// note says so and its records are then named by the file alone.
func (z *Zone) fileLines() (fileRecords, string) {
	f := fileRecords{path: z.cfg.File}
	if f.path == "" {
		return f, ""
	}
	r, err := os.Open(f.path)
	if err != nil {
		return f, err.Error()
	}
	defer r.Close()
	f.rrs, f.lines, err = zone.ParseLines(r, z.cfg.Zone, f.path)
	if err != nil {
		z.mu.Lock()
		f.rrs, f.lines = z.file, nil
		z.mu.Unlock()
		return f, "the zone file has changed and does not load (" + err.Error() + "): the zone serves its last good version"
	}
	return f, ""
}

// source returns FILE:LINE of the file's record that gives rr, "" when none does. A SOA
// is the file's whatever its serial (the zone sets the serial), a record answered from a
// wildcard is the wildcard's.
func (f fileRecords) source(rr dns.RR) string {
	for i, frr := range f.rrs {
		match := false
		switch fn := frr.Header().Name; {
		case rr.Header().Rrtype == dns.TypeSOA:
			match = frr.Header().Rrtype == dns.TypeSOA
		case strings.HasPrefix(fn, "*.") && dns.IsSubDomain(fn[2:], rr.Header().Name):
			c := dns.Copy(rr)
			c.Header().Name = fn
			match = dns.IsDuplicate(c, frr)
		default:
			match = dns.IsDuplicate(rr, frr)
		}
		if !match {
			continue
		}
		if f.lines == nil {
			return f.path
		}
		return f.path + ":" + strconv.Itoa(f.lines[i])
	}
	return ""
}

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}
