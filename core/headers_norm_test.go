package core

import (
	"math/rand"
	"net/http"
	"testing"
)

// TestNormEqualMatchesNormalize checks normEqual (EqualFold fast path and
// inlined loop) against normalizeHeaderName, non-ASCII look-alikes
// included.
func TestNormEqualMatchesNormalize(t *testing.T) {
	pieces := []string{"m", "M", "i", "I", "a", "-", "_", ".", " ", "u", "s", "\u212a", "\u017f", "\xff", "0", "~"}
	norms := []string{"miauserid", "mia-allowed", "m", "ma", "mi-a", "k", "s0"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 50000; i++ {
		name := ""
		n := r.Intn(12)
		for j := 0; j < n; j++ {
			name += pieces[r.Intn(len(pieces))]
		}
		for _, norm := range norms {
			if got, want := normEqual(name, norm), normalizeHeaderName(name) == norm; got != want {
				t.Fatalf("normEqual(%q, %q) = %v, want %v", name, norm, got, want)
			}
		}
	}
}

// TestSpoofGuardPrefilter checks that the length and first-byte filter of
// stripSpoofed drops exactly the guarded spellings.
func TestSpoofGuardPrefilter(t *testing.T) {
	g := newSpoofGuard([]string{"miauserid", "x-" + string(make([]byte, 70)), "_lead"})
	h := http.Header{}
	names := []string{"Miauserid", "MIA_USERID", "mia.userid", "Miauserids", "Niauserid", "X-Real-Ip",
		"X-" + string(make([]byte, 70)), "x_" + string(make([]byte, 70)), "x-" + string(make([]byte, 71)),
		".lead", "-Lead", "alead", "Accept"}
	for _, n := range names {
		h[n] = []string{"v"}
	}
	stripSpoofed(g, h, nil)
	for _, n := range names {
		guarded := false
		for _, norm := range g.norms {
			if normalizeHeaderName(n) == norm {
				guarded = true
			}
		}
		if _, kept := h[n]; kept == guarded {
			t.Errorf("%q: kept %v, guarded %v", n, kept, guarded)
		}
	}
}

// TestNormalizeKeepsDigits: digits survive normalization. Under yaegi a
// tagless switch with "case x, y:" tests only x, which once turned them
// into '-' in Traefik; `yaegi test` runs this too.
func TestNormalizeKeepsDigits(t *testing.T) {
	if got := normalizeHeaderName("X-User_Id2.0"); got != "x-user-id2-0" {
		t.Errorf("normalizeHeaderName = %q", got)
	}
	g := newSpoofGuard([]string{"x-user2"})
	h := http.Header{"X_user2": {"spoofed"}, "X-User-": {"kept"}}
	stripSpoofed(g, h, nil)
	if _, ok := h["X_user2"]; ok {
		t.Error("X_user2 not stripped")
	}
	if _, ok := h["X-User-"]; !ok {
		t.Error("X-User- stripped")
	}
}
