package main

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coredns/caddy/caddyfile"
)

// span is a Corefile token and where its text lies in the file, so a rewrite can replace
// exactly that token and leave the rest of the line (comments, spacing) as it was.
type span struct {
	caddyfile.Token
	start, end int // byte offsets: [start, end) covers the token, quotes included
}

// lexSpans splits a Corefile into tokens as caddy's lexer does, with byte offsets: caddy's
// tokens carry lines but no columns. Each token's text is checked against caddy's own lexer
// (caddyfile.NewDispenser), so the rewrite never disagrees with what the server parses.
func lexSpans(file string, src []byte) ([]span, error) {
	var spans []span
	pos, line := 0, 1
	if bytes.HasPrefix(src, []byte("\uFEFF")) {
		pos = len("\uFEFF")
	}
	var val []rune
	var cur span
	var comment, quoted, escaped bool
	emit := func() {
		cur.Text, cur.File = string(val), file
		spans = append(spans, cur)
		val = val[:0]
	}
	for pos < len(src) {
		ch, size := utf8.DecodeRune(src[pos:])
		at := pos
		pos += size
		if quoted {
			if !escaped {
				if ch == '\\' {
					escaped = true
					continue
				} else if ch == '"' {
					quoted = false
					cur.end = pos
					emit()
					continue
				}
			}
			if ch == '\n' {
				line++
			}
			if escaped && ch != '"' {
				val = append(val, '\\')
			}
			val = append(val, ch)
			escaped = false
			continue
		}
		if unicode.IsSpace(ch) {
			if ch == '\r' {
				continue
			}
			if ch == '\n' {
				line++
				comment = false
			}
			if len(val) > 0 {
				emit()
			}
			continue
		}
		if ch == '#' {
			comment = true
		}
		if comment {
			continue
		}
		if len(val) == 0 {
			cur = span{Token: caddyfile.Token{Line: line}, start: at}
			if ch == '"' {
				quoted = true
				continue
			}
		}
		val = append(val, ch)
		cur.end = pos
	}
	if len(val) > 0 || quoted {
		emit()
	}

	// caddy's lexer is the authority: a token it sees differently would be rewritten wrong
	d := caddyfile.NewDispenser(file, bytes.NewReader(src))
	n := 0
	for ; d.Next(); n++ {
		if n >= len(spans) || spans[n].Text != d.Val() || spans[n].Line != d.Line() {
			return nil, fmt.Errorf("%s:%d: cannot locate token %q in the file", file, d.Line(), d.Val())
		}
	}
	if n != len(spans) {
		return nil, fmt.Errorf("%s:%d: cannot locate token %q in the file", file, spans[n].Line, spans[n].Text)
	}
	return spans, nil
}

// newLine reports whether toks[i] starts a line, as caddy's dispenser decides it (a quoted
// token may span lines).
func newLine(toks []span, i int) bool {
	return i == 0 || toks[i-1].Line+strings.Count(toks[i-1].Text, "\n") < toks[i].Line
}
