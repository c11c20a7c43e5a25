package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
)

// explain asks the endpoint for the name, type and block given, and prints the answer for a
// person; an endpoint's error is the command's, with exit status 1.
func TestExplainCommand(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.RequestURI()
		if r.URL.Query().Get("name") == "missing.example." {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"error": "no block with explain serves missing.example."})
			return
		}
		json.NewEncoder(w).Encode(explain.Answer{Name: "lb.exp.internal.", Type: "A", Zone: "exp.internal.", Kind: "private", Rcode: "NOERROR",
			Records: []explain.Record{{RR: "lb.exp.internal.\t30\tIN\tA\t10.128.30.1", Section: "answer", Source: "Service shop/lb"}},
			Lost:    []explain.Lost{{Owner: "Service tenant/lb", Reason: "lb.exp.internal. belongs to Service shop/lb, its first claimant"}}})
	}))
	defer srv.Close()

	var out, errs bytes.Buffer
	if rc := explainMain([]string{"-server", srv.URL, "-port", "5353", "lb.exp.internal.", "A"}, &out, &errs); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errs.String())
	}
	if asked != "/explain?name=lb.exp.internal.&server=5353&type=A" {
		t.Errorf("asked %s", asked)
	}
	for _, want := range []string{"lb.exp.internal. A: NOERROR from private zone exp.internal.", "from Service shop/lb", "Service tenant/lb: lb.exp.internal. belongs to"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if rc := explainMain([]string{"-server", srv.URL, "missing.example."}, &out, &errs); rc != 1 || !strings.Contains(errs.String(), "no block with explain serves") {
		t.Errorf("exit %d, stderr %q: want 1 and the endpoint's error", rc, errs.String())
	}
	if rc := explainMain(nil, &out, &errs); rc != 2 {
		t.Errorf("no name: exit %d, want 2", rc)
	}
}
