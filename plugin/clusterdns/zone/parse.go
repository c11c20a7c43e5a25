package zone

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/miekg/dns"
)

// Parse reads an RFC 1035 zone file for origin. $ORIGIN and $TTL work; $INCLUDE is refused,
// and so is $GENERATE, whose records miekg/dns gives TTL 3600 where BIND gives the $TTL.
// The records must make a zone New accepts on their own. Errors read `FILE:LINE: message`,
// FILE being filename and LINE that of a syntax error, or the first line of a record New
// refuses.
func Parse(r io.Reader, origin, filename string) ([]dns.RR, error) {
	rrs, _, err := ParseLines(r, origin, filename)
	return rrs, err
}

// ParseLines is Parse that also returns the line each record begins on: explain names a
// file's record by FILE:LINE.
func ParseLines(r io.Reader, origin, filename string) ([]dns.RR, []int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", filename, err)
	}
	if at := generateDirective.FindIndex(data); at != nil {
		return nil, nil, fmt.Errorf("%s:%d: $GENERATE is not supported", filename, 1+bytes.Count(data[:at[0]], []byte("\n")))
	}
	lines := &lineReader{r: bytes.NewReader(data), line: 1, atStart: true}
	// No file name for the parser: its errors are reformatted below.
	zp := dns.NewZoneParser(lines, origin, "")
	zp.SetIncludeAllowed(false)
	var rrs []dns.RR
	var starts []int // the line of each record
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
		starts = append(starts, lines.start)
	}
	if err := zp.Err(); err != nil {
		return nil, nil, parseError(filename, err)
	}
	if _, err := New(origin, rrs, Options{}); err != nil {
		if re, ok := errors.AsType[*recordError](err); ok {
			return nil, nil, fmt.Errorf("%s:%d: %v", filename, starts[re.index], re.err)
		}
		return nil, nil, fmt.Errorf("%s: %v", filename, err)
	}
	return rrs, starts, nil
}

// generateDirective matches a $GENERATE directive, which starts a line.
var generateDirective = regexp.MustCompile(`(?im)^\$GENERATE\s`)

// parseErrorText matches what dns.ParseError says when it has no file name.
var parseErrorText = regexp.MustCompile(`(?s)^dns: (.*) at line: (\d+):\d+$`)

// parseError turns the zone parser's `dns: MESSAGE at line: L:C` into `FILE:L: MESSAGE`.
func parseError(filename string, err error) error {
	if m := parseErrorText.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s:%s: %s", filename, m[2], m[1])
	}
	return fmt.Errorf("%s: %v", filename, err)
}

// lineReader feeds the zone parser and notes the line where the last entry (a record or a
// directive) began, which the parser keeps to itself for records it returns. The parser
// reads byte by byte through io.ByteReader and stops at the newline that ends a record, so
// after it returns a record, start is that record's first line: the last line that began
// outside parentheses with something other than blanks or a comment.
type lineReader struct {
	r       io.ByteReader
	line    int  // line of the next byte
	start   int  // line where the last entry began
	atStart bool // at the start of a line outside parentheses: next data begins an entry
	depth   int  // open parentheses

	quoted, escaped, comment bool
}

func (lr *lineReader) ReadByte() (byte, error) {
	c, err := lr.r.ReadByte()
	if err != nil {
		return c, err
	}
	switch {
	case lr.comment:
	case lr.escaped:
		lr.escaped = false
	case c == '\\':
		lr.escaped = true
	case lr.quoted:
		lr.quoted = c != '"'
	case c == '"':
		lr.quoted = true
	case c == ';':
		lr.comment = true
	case c == '(':
		lr.depth++
	case c == ')' && lr.depth > 0:
		lr.depth--
	}
	if lr.atStart && !lr.comment && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
		lr.start, lr.atStart = lr.line, false
	}
	if c == '\n' {
		lr.line++
		lr.comment = false
		lr.atStart = lr.depth == 0 && !lr.quoted
	}
	return c, nil
}

// Read serves the bytes through ReadByte, so that whichever the parser uses is counted.
func (lr *lineReader) Read(p []byte) (int, error) {
	for i := range p {
		c, err := lr.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = c
	}
	return len(p), nil
}
