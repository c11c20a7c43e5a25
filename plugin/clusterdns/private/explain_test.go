package private

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// Explain names each record's source (an object, a line of the file, the zone itself) and
// the claims that lost, with the reason the log gives.
func TestExplain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.claims.internal")
	file := `$ORIGIN claims.internal.
$TTL 30
@ IN SOA ns hostmaster 5 7200 1800 86400 30
@ IN NS ns

ns IN A 10.0.0.53
static IN A 10.0.0.7
`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	owner := withClusterIPs(exposed("shop", "pay", &model.Exposure{Addrs: addrs("10.128.1.1"), Annotated: true,
		Hostnames: []string{"pay.claims.internal."}, Created: createdAt(0)}), "10.96.0.1")
	thief := withClusterIPs(exposed("tenant", "pay", &model.Exposure{Addrs: addrs("10.128.1.66"), Annotated: true,
		Hostnames: []string{"pay.claims.internal.", "static.claims.internal."}, Created: createdAt(1)}), "10.96.0.66")
	st := model.NewStore()
	st.Replace(model.State{Namespaces: []string{"shop", "tenant"}, Services: []*model.Service{owner, thief}})
	st.SetSynced()
	z := New(&Config{Sources: Sources{Zone: "claims.internal.", Services: ExportAnnotated, TTL: 30}, File: path}, t.Logf)
	if err := z.Start(st, time.Hour); err != nil {
		t.Fatal(err)
	}
	defer z.Stop()

	for _, tc := range []struct {
		name    string
		qtype   uint16
		rcode   string
		records []explain.Record
		lost    []string // owners
	}{
		{"pay.claims.internal.", dns.TypeA, "NOERROR",
			[]explain.Record{{RR: "pay.claims.internal.\t30\tIN\tA\t10.128.1.1", Section: "answer", Source: "Service shop/pay"}},
			[]string{"Service tenant/pay"}},
		{"static.claims.internal.", dns.TypeA, "NOERROR",
			[]explain.Record{{RR: "static.claims.internal.\t30\tIN\tA\t10.0.0.7", Section: "answer", Source: path + ":7"}},
			[]string{"Service tenant/pay"}},
		{"claims.internal.", dns.TypeNS, "NOERROR",
			[]explain.Record{{RR: "claims.internal.\t30\tIN\tNS\tns.claims.internal.", Section: "answer", Source: path + ":4"}},
			nil},
		{"none.claims.internal.", dns.TypeA, "NXDOMAIN", nil, nil},
	} {
		got := z.Explain(tc.name, tc.qtype)
		if got.Zone != "claims.internal." || got.Kind != "private" || got.Rcode != tc.rcode {
			t.Errorf("%s: zone %q kind %q rcode %s", tc.name, got.Zone, got.Kind, got.Rcode)
		}
		var answers []explain.Record
		for _, r := range got.Records {
			if r.Section == "answer" {
				answers = append(answers, r)
			} else if r.Source != path+":3" { // the SOA of a negative answer is the file's
				t.Errorf("%s: authority %+v", tc.name, r)
			}
		}
		if len(answers) != len(tc.records) {
			t.Errorf("%s: records %+v, want %+v", tc.name, answers, tc.records)
			continue
		}
		for i := range answers {
			if answers[i] != tc.records[i] {
				t.Errorf("%s: record %+v, want %+v", tc.name, answers[i], tc.records[i])
			}
		}
		if len(got.Lost) != len(tc.lost) {
			t.Errorf("%s: lost %+v, want %v", tc.name, got.Lost, tc.lost)
			continue
		}
		for i, l := range got.Lost {
			if l.Owner != tc.lost[i] || l.Reason == "" {
				t.Errorf("%s: lost %+v, want %s with a reason", tc.name, l, tc.lost[i])
			}
		}
	}
}
