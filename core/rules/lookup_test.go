package rules

import (
	"math/rand"
	"testing"
)

// TestLiteralRouteFastPath checks that Lookup's map and comparisons for
// keys without parameters agree with the segment matcher.
func TestLiteralRouteFastPath(t *testing.T) {
	keys := []string{"/", "/a", "/a/", "/a/b", "/a/b/", "/ab", "/ab/", "/a/:id", "/a/{id}/"}
	paths := []string{"/", "/a", "/a/", "/a/b", "/a/b/", "/a/bc", "/ab", "/ab/c", "/abc", "/a//b", "/b", "/a/b/c/d", "/a/b/c/"}
	for _, key := range keys {
		rt, err := parseRouteKey(key)
		if err != nil {
			t.Fatal(err)
		}
		rt.blocks[methodGET] = &methodBlock{front: &Authorization{Route: key}}
		b := newRuleBuilder()
		b.order = append(b.order, rt)
		rs := b.build()
		for _, p := range paths {
			want := routeMatch(rt, p)
			got := Lookup(rs, p, "GET", false) != nil
			if got != want {
				t.Errorf("key %q path %q: lookup %v, match %v", key, p, got, want)
			}
		}
	}
}

// TestRuleLookupMatchesScan checks Lookup (exact-key map, then the scan
// list) against the plain scan of every route in specificity order, on
// random rule sets.
func TestRuleLookupMatchesScan(t *testing.T) {
	segs := []string{"a", "b", ":id", "{x}"}
	methods := []string{"GET", "POST", "ALL", "HEAD"}
	r := rand.New(rand.NewSource(2))
	randKey := func() string {
		k := ""
		n := r.Intn(4)
		for i := 0; i < n; i++ {
			k += "/" + segs[r.Intn(len(segs))]
		}
		if k == "" || r.Intn(2) == 0 {
			k += "/"
		}
		return k
	}
	paths := []string{"/", "/a", "/a/", "/b", "/a/b", "/a/a", "/b/a/", "/a/b/a", "/z", "/a/z/b", "/a/b/a/b"}
	for round := 0; round < 300; round++ {
		b := newRuleBuilder()
		n := 1 + r.Intn(8)
		for i := 0; i < n; i++ {
			m := methods[r.Intn(len(methods))]
			field := "authorization"
			if r.Intn(3) == 0 {
				field = "backofficeAuthorization"
			}
			// duplicates are errors: skip them
			_ = b.add("rule", randKey(), m, field, "true", true)
		}
		rs := b.build()
		for _, p := range paths {
			for _, m := range []string{"GET", "POST", "HEAD", "PUT", "ALL", "get"} {
				for _, bo := range []bool{false, true} {
					var want *Authorization
					mi := methodIndex(m)
					if mi >= 0 && mi != methodAll {
						boi := 0
						if bo {
							boi = 1
						}
						for i := 0; i < len(rs.routes); i++ {
							if az := rs.routes[i].table[mi][boi]; az != nil && routeMatch(rs.routes[i], p) {
								want = az
								break
							}
						}
					}
					if got := Lookup(rs, p, m, bo); got != want {
						t.Fatalf("round %d, %s %s backoffice=%v: got %v, want %v", round, m, p, bo, got, want)
					}
				}
			}
		}
	}
}
