package private

import (
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

// parseCase parses input as one private block and reports an error that differs from
// wantErr (none wanted when empty). It returns the Config when there is one to check.
func parseCase(t *testing.T, input, wantErr string) (*Config, bool) {
	t.Helper()
	c := caddy.NewTestController("dns", input)
	c.Next()
	p, err := ParseBlock(c)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want one containing %q", input, err, wantErr)
		}
		return nil, false
	}
	if err != nil {
		t.Errorf("%q: %v", input, err)
		return nil, false
	}
	return p, true
}
