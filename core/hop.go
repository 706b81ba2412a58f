package core

import (
	"io"
	"net/http"
	"strings"
)

// Hop-by-hop defences. A header named in Connection is removed by the next
// hop (RFC 9110 §7.6.1), after aclgate set it; a request trailer arrives
// after the headers aclgate checked. So a Connection token or a trailer
// named like a header aclgate emits is removed.

// setHopNames sets the names that Connection tokens and trailers must
// not carry: the guarded identity headers and the other headers aclgate
// may set (client type, backoffice).
func setHopNames(g *spoofGuard, extra []string) {
	g.hop = append([]string(nil), g.norms...)
	for i := 0; i < len(extra); i++ {
		n := normalizeHeaderName(extra[i])
		if n != "" && !contains(g.hop, n) {
			g.hop = append(g.hop, n)
		}
	}
}

// guardHops removes the Connection tokens, Trailer header tokens and
// trailers of r that name a header aclgate emits, and makes sure that
// trailers arriving with the body are checked too. authorize calls it
// only when r has a Connection or Trailer header, announced trailers or
// a body of unknown length (which may end with trailers).
func guardHops(g *spoofGuard, r *http.Request) {
	h := r.Header
	if v := h["Connection"]; len(v) > 0 && !plainConnection(v) {
		filterTokens(g, h, "Connection", v)
	}
	if v := h["Trailer"]; len(v) > 0 {
		filterTokens(g, h, "Trailer", v)
	}
	if len(r.Trailer) > 0 {
		stripTrailers(g, r.Trailer)
	}
	if (r.Trailer != nil || r.ContentLength < 0) && r.Body != nil && r.Body != http.NoBody {
		// HTTP/1.1 fills r.Trailer when the body has been read, with every
		// trailer sent, announced or not: check them then.
		if _, done := r.Body.(*trailerGuard); !done {
			r.Body = &trailerGuard{body: r.Body, r: r, g: g}
		}
	}
}

// plainConnection reports whether a Connection header is one of the usual
// values, which name no other header.
func plainConnection(v []string) bool {
	if len(v) != 1 {
		return false
	}
	s := v[0]
	return s == "keep-alive" || s == "close" || s == "Keep-Alive" || s == "Upgrade" || s == "upgrade"
}

// filterTokens rewrites the comma-separated header name without the
// tokens that name a hop-guarded header, dropping values left empty and
// the header when none is left.
func filterTokens(g *spoofGuard, h http.Header, name string, vals []string) {
	var out []string
	changed := false
	for i := 0; i < len(vals); i++ {
		parts := strings.Split(vals[i], ",")
		kept := parts[:0]
		for j := 0; j < len(parts); j++ {
			tok := strings.Trim(parts[j], " \t")
			if tok == "" {
				continue
			}
			if isHopGuarded(g, tok) {
				changed = true
				continue
			}
			kept = append(kept, tok)
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, ", "))
		}
	}
	if !changed {
		return
	}
	if len(out) == 0 {
		delete(h, name)
		return
	}
	h[name] = out
}

// isHopGuarded reports whether a header name normalizes to one of the
// names guarded against Connection tokens and trailers.
func isHopGuarded(g *spoofGuard, name string) bool {
	for i := 0; i < len(g.hop); i++ {
		if normEqual(name, g.hop[i]) {
			return true
		}
	}
	return false
}

// stripTrailers deletes the hop-guarded trailers of t.
func stripTrailers(g *spoofGuard, t http.Header) {
	for name := range t {
		if isHopGuarded(g, name) {
			delete(t, name)
		}
	}
}

// trailerGuard is a request body that, once read to the end, removes the
// hop-guarded trailers the server has just added to its request.
type trailerGuard struct {
	body io.ReadCloser
	r    *http.Request
	g    *spoofGuard
}

// Read reads the body; at its end, the trailers are checked.
func (b *trailerGuard) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err == io.EOF && len(b.r.Trailer) > 0 {
		stripTrailers(b.g, b.r.Trailer)
	}
	return n, err
}

// Close closes the body.
func (b *trailerGuard) Close() error { return b.body.Close() }
