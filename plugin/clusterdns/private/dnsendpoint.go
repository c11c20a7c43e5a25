package private

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// dnsEndpoints emits the records of external-dns's DNSEndpoints (`dnsendpoints`): every
// entry of spec.endpoints whose dnsName is in the zone, with the entry's own targets only
// (k8s_gateway serves every target of the object at any of its names: a bug not copied).
// external-dns drops an entry with one bad target; here the bad target is skipped and
// logged and the entry's other targets are served, as the zone serves the rest of a
// zone file around one bad object. Entries for names outside the zone are another zone's
// business and are passed over silently.
func dnsEndpoints(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if !src.DNSEndpoints {
		return nil
	}
	v.DNSEndpoints(func(d *model.DNSEndpoint) {
		if !src.Namespaces.Allow(d.Namespace) {
			return
		}
		owner := Owner{Kind: "DNSEndpoint", Namespace: d.Namespace, Name: d.Name, Created: d.Created}
		for _, r := range d.Records {
			rrs, bad := dnsRecordSet(src, r)
			claimEach(emit, owner, Everyone, rrs)
			for _, b := range bad {
				problems = append(problems, owner.String()+": "+b)
			}
		}
	})
	return problems
}

// dnsRecordSet returns the records one DNSEndpoint entry puts in src's zone, and what
// was skipped and why. The checks are those that would otherwise fail the zone's build
// (zone.New) and with it every object's records: a CNAME at the apex or beside other
// data, NS at a wildcard, data that does not pack.
func dnsRecordSet(src *Sources, r model.DNSRecordSet) (rrs []dns.RR, bad []string) {
	if r.Name == "" || !model.ValidHost(r.Name, true) {
		if r.Name != "" && dns.IsSubDomain(src.Zone, r.Name) {
			return nil, []string{fmt.Sprintf("dnsName %q is not a valid DNS name; skipped", r.Name)}
		}
		return nil, nil // an invalid name of another zone is that zone's to report
	}
	if !dns.IsSubDomain(src.Zone, r.Name) {
		return nil, nil
	}
	what := r.Name + " " + r.Type
	ttl := src.TTL
	switch {
	case r.TTL > 0 && r.TTL <= math.MaxInt32:
		ttl = uint32(r.TTL)
	case r.TTL != 0:
		bad = append(bad, fmt.Sprintf("%s: recordTTL %d is not from 1 to %d; serving the zone's TTL %d", what, r.TTL, math.MaxInt32, ttl))
	}
	hdr := dns.RR_Header{Name: r.Name, Class: dns.ClassINET, Ttl: ttl}
	apex := r.Name == src.Zone
	switch {
	case len(r.Targets) == 0:
		return nil, append(bad, what+": no targets; skipped")
	case r.Type == "CNAME" && apex:
		return nil, append(bad, what+": a CNAME at the zone apex would hide the zone's SOA and NS; skipped")
	case r.Type == "CNAME" && len(r.Targets) > 1:
		return nil, append(bad, fmt.Sprintf("%s: %d targets, and a name has at most one CNAME; skipped", what, len(r.Targets)))
	case r.Type == "NS" && apex:
		return nil, append(bad, what+": the zone's own NS records are the server's; skipped")
	case r.Type == "NS" && strings.HasPrefix(r.Name, "*."):
		return nil, append(bad, what+": NS at a wildcard name is not a delegation; skipped")
	}
	for _, t := range r.Targets {
		rr, err := dnsTarget(hdr, r.Type, t)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s target %q: %v; skipped", what, t, err))
			continue
		}
		rrs = append(rrs, rr)
	}
	return rrs, bad
}

// dnsTarget parses one target of a record of type rtype, as external-dns writes targets:
// an address (A, AAAA), a host name (CNAME, NS, PTR), "PREFERENCE HOST" (MX), "PRIORITY
// WEIGHT PORT HOST" (SRV), or the text itself (TXT). Host names are absolute with or
// without the final dot.
func dnsTarget(hdr dns.RR_Header, rtype, t string) (dns.RR, error) {
	t = strings.TrimSpace(t)
	f := strings.Fields(t)
	switch rtype {
	case "A", "AAAA":
		a, err := netip.ParseAddr(t)
		switch {
		case err != nil || a.Zone() != "":
			return nil, errors.New("not an IP address")
		case rtype == "A" && !a.Is4():
			return nil, errors.New("not an IPv4 address")
		case rtype == "AAAA" && !a.Is6():
			return nil, errors.New("not an IPv6 address")
		}
		return index.AddressRR(hdr, index.IP(a)), nil
	case "CNAME", "NS", "PTR":
		h, err := hostTarget(t)
		if err != nil {
			return nil, err
		}
		hdr.Rrtype = dns.StringToType[rtype]
		switch rtype {
		case "CNAME":
			return &dns.CNAME{Hdr: hdr, Target: h}, nil
		case "NS":
			return &dns.NS{Hdr: hdr, Ns: h}, nil
		}
		return &dns.PTR{Hdr: hdr, Ptr: h}, nil
	case "MX":
		if len(f) != 2 {
			return nil, fmt.Errorf("want PREFERENCE HOST")
		}
		pref, err := uint16Field("preference", f[0])
		if err != nil {
			return nil, err
		}
		h := "."
		if f[1] != "." { // "0 ." says the domain takes no mail (RFC 7505)
			var err error
			if h, err = hostTarget(f[1]); err != nil {
				return nil, err
			}
		}
		hdr.Rrtype = dns.TypeMX
		return &dns.MX{Hdr: hdr, Preference: pref, Mx: h}, nil
	case "SRV":
		if len(f) != 4 {
			return nil, fmt.Errorf("want PRIORITY WEIGHT PORT HOST")
		}
		var n [3]uint16
		for i, name := range []string{"priority", "weight", "port"} {
			var err error
			if n[i], err = uint16Field(name, f[i]); err != nil {
				return nil, err
			}
		}
		h := "."
		if f[3] != "." { // "." says the service is not offered (RFC 2782)
			var err error
			if h, err = hostTarget(f[3]); err != nil {
				return nil, err
			}
		}
		hdr.Rrtype = dns.TypeSRV
		return &dns.SRV{Hdr: hdr, Priority: n[0], Weight: n[1], Port: n[2], Target: h}, nil
	case "TXT":
		hdr.Rrtype = dns.TypeTXT
		return &dns.TXT{Hdr: hdr, Txt: txtStrings(t)}, nil
	}
	return nil, fmt.Errorf("record type %q is not served (A, AAAA, CNAME, TXT, SRV, MX, NS, PTR)", rtype)
}

// hostTarget returns the host name t, lowercase and fully qualified.
func hostTarget(t string) (string, error) {
	h := model.HostName(t)
	if !model.ValidHost(h, false) {
		return "", fmt.Errorf("%q is not a valid host name", t)
	}
	return h, nil
}

func uint16Field(name, s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number from 0 to 65535", name, s)
	}
	return uint16(n), nil
}

// txtStrings splits the text of a TXT target into the character strings of one record
// (at most 255 bytes each, RFC 1035 §3.3.14), escaped as miekg/dns reads its Txt fields.
// A target written in quotes, as zone files and external-dns's own TXT registry write
// them, is the text between the quotes.
func txtStrings(t string) []string {
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = t[1 : len(t)-1]
	}
	var out []string
	for {
		n := min(len(t), 255)
		chunk := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t[:n])
		out = append(out, chunk)
		if t = t[n:]; t == "" {
			return out
		}
	}
}
