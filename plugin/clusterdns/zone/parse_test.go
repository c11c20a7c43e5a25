package zone_test

import (
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"
)

func TestParse(t *testing.T) {
	rrs, err := zone.Parse(strings.NewReader(`$TTL 60
@ SOA ns hostmaster ( 1 ; serial
    7200 1800 86400 30 )
$ORIGIN sub.example.test.
www 120 A 10.0.0.1
    TXT "below www, TTL from $TTL"
host1 A 10.0.1.1
`), "example.test.", "db.example")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example.test.\t60\tIN\tSOA\tns.example.test. hostmaster.example.test. 1 7200 1800 86400 30",
		"www.sub.example.test.\t120\tIN\tA\t10.0.0.1",
		"www.sub.example.test.\t60\tIN\tTXT\t\"below www, TTL from $TTL\"",
		"host1.sub.example.test.\t60\tIN\tA\t10.0.1.1",
	}
	if len(rrs) != len(want) {
		t.Fatalf("got %d records, want %d: %v", len(rrs), len(want), rrs)
	}
	for i, rr := range rrs {
		if rr.String() != want[i] {
			t.Errorf("record %d: got %q, want %q", i, rr.String(), want[i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	const head = "$TTL 60\n@ SOA ns hostmaster 1 7200 1800 86400 30\n"
	tests := []struct {
		name, text, want string
	}{
		{"syntax", head + "www A 10.0.0.x\n", `db.example:3: bad A A: "10.0.0.x"`},
		{"unknown type", head + "\n\nwww BOGUS 1\n", `db.example:5: not a TTL: "BOGUS"`},
		{"include", head + "$INCLUDE /etc/passwd\n", `db.example:3: $INCLUDE directive not allowed: "/etc/passwd"`},
		{"generate", head + "\n$generate 1-2 host$ A 10.0.0.$\n", "db.example:4: $GENERATE is not supported"},
		{"out of zone", head + "; comment\nwww.example.com. A 10.0.0.1\n", "db.example:4: www.example.com. A: out of zone example.test."},
		{"out of zone, after $ORIGIN", head + "$ORIGIN other.test.\nwww A 10.0.0.1\n", "db.example:4: www.other.test. A: out of zone example.test."},
		{"out of zone, multi-line", head + "\nother.test. SOA ns hostmaster (\n 1 ; (\n 2 3 4 5 )\n", "db.example:4: other.test. SOA: out of zone example.test."},
		{"out of zone, last line", head + "x.other.test. TXT \"a;(\" \"b\"", "db.example:3: x.other.test. TXT: out of zone example.test."},
		{"CNAME and other data", head + "www A 10.0.0.1\nwww CNAME web\n", "db.example:4: www.example.test. CNAME: CNAME and other data"},
		{"second SOA", head + "@ SOA ns hostmaster 2 7200 1800 86400 30\n", "db.example:3: example.test. SOA: more than one SOA record"},
		{"no data", head + "www A\n", "db.example:3: www.example.test. A: no data"},
		{"class", head + "www CH TXT \"chaos\"\n", "db.example:3: www.example.test. TXT: class CH in an IN zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zone.Parse(strings.NewReader(tc.text), "example.test.", "db.example")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %s", err, tc.want)
			}
		})
	}
}
