package jose

import (
	"context"
	"testing"
	"time"
)

// A jwks_url on the same gateway answers 404 while the gateway is still
// switching to the new configuration; the background fetch then waits
// before retrying. A request that arrives in that window must fetch the
// keys itself rather than reject a valid token (the JWKS may be
// served by the gateway that is starting). Found by the real-Traefik
// token-flow test.
func TestJWKSFailedStartupFetchDoesNotBlockRequests(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, nil)
	s.set(404, []byte("404 page not found"), "")
	tune := defaultJWKSTuning() // the real intervals
	tune.startBackoff = time.Hour
	tune.maxBackoff = time.Hour
	v := jtURLVerifier(t, s.srv.URL, tune, nil)
	jtEventually(t, "the failed start-up fetch", func() bool { return s.count() >= 1 })
	time.Sleep(20 * time.Millisecond) // let the fetch finish
	s.set(200, jtSingleJWKS(t, "k1", &k.rsa.PublicKey), "")
	if _, err := Verify(v, context.Background(), jtToken(t, "k1", k.rsa)); err != nil {
		t.Fatalf("valid token right after a failed start-up fetch: %v", err)
	}
	// requests that find no keys are still rate-limited among themselves
	s.set(404, nil, "")
	v2 := jtURLVerifier(t, s.srv.URL, tune, nil)
	jtEventually(t, "the second verifier's start-up fetch", func() bool { return s.count() >= 3 })
	time.Sleep(20 * time.Millisecond)
	before := s.count()
	for i := 0; i < 5; i++ {
		Verify(v2, context.Background(), jtToken(t, "k1", k.rsa))
	}
	if n := s.count() - before; n != 1 {
		t.Fatalf("%d fetches for 5 requests without keys, want 1", n)
	}
}

// After a reload the new configuration's first fetch may reach the old
// one and load its keys; a token with the new kid must trigger a fetch at
// once, not after the unknown-kid interval measured from that start-up
// fetch.
func TestJWKSUnknownKidRightAfterStartup(t *testing.T) {
	k := jtKeys()
	s := jtNewJWKSServer(t, jtSingleJWKS(t, "old", &k.rsa.PublicKey))
	v := jtURLVerifier(t, s.srv.URL, defaultJWKSTuning(), nil)
	jtEventually(t, "the start-up fetch", func() bool { return v.remote.load() != nil })
	s.set(200, jtSingleJWKS(t, "new", &k.rsa.PublicKey), "")
	if _, err := Verify(v, context.Background(), jtToken(t, "new", k.rsa)); err != nil {
		t.Fatalf("new kid right after start-up: %v", err)
	}
}
