package stub

import (
	"os"
	"strings"
	"testing"
)

// Every stub directive in the README fragment's corefile examples must parse.
func TestReadmeExamples(t *testing.T) {
	b, err := os.ReadFile("README.fragment.md")
	if err != nil {
		t.Fatal(err)
	}
	stubs := 0
	for i, part := range strings.Split(string(b), "~~~ corefile")[1:] {
		lines := strings.Split(part[:strings.Index(part, "~~~")], "\n")
		for j, l := range lines {
			if !strings.HasPrefix(strings.TrimSpace(l), "stub ") {
				continue
			}
			directive := l
			if strings.HasSuffix(strings.TrimSpace(l), "{") {
				end := j + 1
				for end < len(lines) && strings.TrimSpace(lines[end]) != "}" {
					end++
				}
				directive = strings.Join(lines[j:min(end+1, len(lines))], "\n")
			}
			if _, err := parseStub(directive); err != nil {
				t.Errorf("example %d: %v\n%s", i+1, err, directive)
			}
			stubs++
		}
	}
	if stubs < 2 {
		t.Fatalf("found only %d stub directives in the README examples", stubs)
	}
}
