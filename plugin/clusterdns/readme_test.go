package clusterdns

import (
	"os"
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

// Every clusterdns block in the README's corefile examples must parse, as CoreDNS checks
// its own READMEs.
func TestReadmeExamples(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for i, part := range strings.Split(string(b), "~~~ corefile")[1:] {
		example := part[:strings.Index(part, "~~~")]
		lines := strings.Split(example, "\n")
		for j, l := range lines {
			if !strings.HasPrefix(strings.TrimSpace(l), "clusterdns") {
				continue
			}
			block, depth := []string{}, 0
			for _, bl := range lines[j:] {
				block = append(block, bl)
				depth += strings.Count(bl, "{") - strings.Count(bl, "}")
				if depth <= 0 {
					break
				}
			}
			if _, err := parse(caddy.NewTestController("dns", strings.Join(block, "\n"))); err != nil {
				t.Errorf("example %d: %v\n%s", i+1, err, strings.Join(block, "\n"))
			}
			blocks++
		}
	}
	if blocks < 3 {
		t.Fatalf("found only %d clusterdns blocks in the README examples", blocks)
	}
}
