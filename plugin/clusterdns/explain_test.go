package clusterdns

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"

	"github.com/coredns/coredns/plugin/pkg/fall"
)

// The endpoint picks the block as CoreDNS would route the query: by DNS port (server),
// view, and the longest server-block zone holding the name; the first such block when the
// port is not given.
func TestExplainEndpointPicksBlock(t *testing.T) {
	block := func(through bool) *ClusterDNS {
		cfg := &config{}
		if through {
			cfg.fall = fall.Root
		}
		c := newClusterDNS(cfg)
		if err := c.stubs.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.stubs.Stop)
		return c
	}
	// a block without cluster zones refuses other names unless it falls through: which
	// block explained shows in the rcode
	e := &endpoint{blocks: []*explainBlock{
		{c: block(true), port: "53", zone: "."},
		{c: block(false), port: "5353", zone: "."},
		{c: block(false), port: "5353", view: "machines", zone: "example.org."},
	}}
	for _, tc := range []struct {
		query url.Values
		code  int
		rcode string
	}{
		{url.Values{"name": {"www.example.org"}}, http.StatusOK, "-"},
		{url.Values{"name": {"www.example.org"}, "server": {"53"}}, http.StatusOK, "-"},
		{url.Values{"name": {"www.example.org"}, "server": {"5353"}}, http.StatusOK, "REFUSED"},
		{url.Values{"name": {"www.example.org"}, "server": {"5353"}, "view": {"machines"}, "type": {"aaaa"}}, http.StatusOK, "REFUSED"},
		{url.Values{"name": {"www.example.com"}, "server": {"5353"}, "view": {"machines"}}, http.StatusNotFound, ""},
		{url.Values{"name": {"www.example.org"}, "server": {"99"}}, http.StatusNotFound, ""},
		{url.Values{"name": {"www.example.org"}, "type": {"NOSUCH"}}, http.StatusBadRequest, ""},
		{url.Values{}, http.StatusBadRequest, ""},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, explain.Path+"?"+tc.query.Encode(), nil))
		if rec.Code != tc.code {
			t.Errorf("%v: status %d, want %d: %s", tc.query, rec.Code, tc.code, rec.Body)
			continue
		}
		if tc.code != http.StatusOK {
			continue
		}
		var a explain.Answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		if a.Rcode != tc.rcode {
			t.Errorf("%v: rcode %s, want %s (another block answered)", tc.query, a.Rcode, tc.rcode)
		}
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, explain.Path+"?name=a.", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", rec.Code)
	}
}
