package fuzz

import (
	"strings"
	"testing"

	"github.com/aclgate/aclgate/core"
)

// FuzzCanonicalPath checks the invariants of SPEC §6.1 on arbitrary input:
// no panic; a canonical path starts with "/", holds no dot segment, no
// empty segment but a trailing one, no backslash and no control byte; and
// canonicalising it again (re-escaping '%') is a fixed point.
func FuzzCanonicalPath(f *testing.F) {
	seeds := []string{"/", "/a/b", "//a", "/a/../b", "/%2e%2e/x", "/a%2Fb", "/a%5c", "/a/./b/", "/..", "/%00", "/caf%C3%A9", "/a%", "/a/%2e/"}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := core.CanonicalPath(in)
		if err != nil {
			return
		}
		if !strings.HasPrefix(out, "/") {
			t.Fatalf("%q -> %q: no leading slash", in, out)
		}
		if strings.Contains(out, "//") || strings.Contains(out, "\\") {
			t.Fatalf("%q -> %q: empty segment or backslash", in, out)
		}
		segs := strings.Split(out[1:], "/")
		for _, s := range segs {
			if s == "." || s == ".." {
				t.Fatalf("%q -> %q: dot segment", in, out)
			}
		}
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] == 0x7f {
				t.Fatalf("%q -> %q: control byte", in, out)
			}
		}
		again, err := core.CanonicalPath(strings.ReplaceAll(out, "%", "%25"))
		if err != nil || again != out {
			t.Fatalf("%q -> %q -> %q, %v: not a fixed point", in, out, again, err)
		}
	})
}
