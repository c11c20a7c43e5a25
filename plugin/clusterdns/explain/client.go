package explain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Query is what to ask an explain endpoint.
type Query struct {
	Server string // the metrics listener's URL, e.g. http://127.0.0.1:9153
	Name   string
	Type   string // A when empty
	Port   string // the DNS port of the block to ask; any when empty
	View   string // the view of the block to ask; blocks without a view when empty
}

// Fetch asks the explain endpoint of q.Server.
func Fetch(ctx context.Context, client *http.Client, q Query) (Answer, error) {
	base := strings.TrimSuffix(q.Server, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	v := url.Values{"name": {q.Name}}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.Port != "" {
		v.Set("server", q.Port)
	}
	if q.View != "" {
		v.Set("view", q.View)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+Path+"?"+v.Encode(), nil)
	if err != nil {
		return Answer{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<22))
	if err != nil {
		return Answer{}, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return Answer{}, fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		if resp.StatusCode == http.StatusNotFound {
			return Answer{}, fmt.Errorf("%s: no explain endpoint at %s (is explain set in a clusterdns block of that server?)", resp.Status, base)
		}
		return Answer{}, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Answer{}, fmt.Errorf("reading the explanation: %w", err)
	}
	return a, nil
}
