// Package explain is the shape of an explanation: why a name answers what it answers, as
// the clusterdns plugin's explain endpoint returns it (JSON) and `clusterdns explain`
// prints it. It holds only the types and their printing, so that the command reads what
// the plugin writes without importing the plugin.
package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Path is where the endpoint is served on the metrics listener.
const Path = "/explain"

// Answer explains one query: what it answers and where each record comes from.
type Answer struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Zone is the zone that answers the name; Kind says what it is: cluster (the cluster
	// zone or a multicluster or peer zone), private or stub. Both are empty when no zone of
	// the block holds the name.
	Zone  string `json:"zone,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Rcode string `json:"rcode"`
	// Records are the answer section, then the authority section.
	Records []Record `json:"records"`
	// Lost are the claims on the name that are not served, and why.
	Lost []Lost `json:"lost,omitempty"`
	// Note says what else a person should know (a zone not listed yet, a resolver failing).
	Note string `json:"note,omitempty"`
}

// Record is one record served and what put it there.
type Record struct {
	RR      string `json:"rr"`
	Section string `json:"section"` // answer, authority
	// Source is `Service ns/name`, `Ingress ns/name`, `HTTPRoute ns/name` (the kind of
	// the owning object), `FILE:LINE`, `stub RESOLVER`, or `zone` for records the zone
	// makes itself (a synthesized SOA or NS).
	Source string `json:"source"`
}

// Lost is a claim on the name that is not served.
type Lost struct {
	Owner  string `json:"owner"` // `Kind ns/name`
	Reason string `json:"reason"`
}

// Print writes a for a person.
func Print(w io.Writer, a Answer) {
	fmt.Fprintf(w, "%s %s: %s", a.Name, a.Type, a.Rcode)
	if a.Zone != "" {
		fmt.Fprintf(w, " from %s zone %s", a.Kind, a.Zone)
	} else {
		fmt.Fprint(w, ", in none of the block's zones")
	}
	fmt.Fprintln(w)
	if a.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", a.Note)
	}
	section := ""
	for _, r := range a.Records {
		if r.Section != section {
			section = r.Section
			fmt.Fprintf(w, "%s:\n", section)
		}
		fmt.Fprintf(w, "  %s\n      from %s\n", strings.ReplaceAll(r.RR, "\t", " "), r.Source)
	}
	if len(a.Lost) > 0 {
		fmt.Fprintln(w, "claims not served:")
		for _, l := range a.Lost {
			fmt.Fprintf(w, "  %s: %s\n", l.Owner, l.Reason)
		}
	}
}

// PrintJSON writes a as the endpoint returns it, indented.
func PrintJSON(w io.Writer, a Answer) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(a)
}
