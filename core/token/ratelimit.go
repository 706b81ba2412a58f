package token

// Brute-force protection of the token endpoint (RFC 6749 §2.3.1: the
// server MUST protect it): failed client authentications are counted per
// client id and per client address in fixed windows; past the limit, that
// id or address is refused with 429 until its window ends.

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults of the brute-force protection.
const (
	DefaultMaxFailures   = 10
	DefaultFailureWindow = time.Minute
	// DefaultMaxTracked bounds the client addresses remembered at once.
	DefaultMaxTracked = 10000
)

// failureCount is the failures of one id or address in the window that
// began at start.
type failureCount struct {
	start time.Time
	n     int
}

// failureLimiter counts failed client authentications. Client ids are
// counted only when they name a configured client (so that map is bounded
// by the configuration); addresses are bounded by maxTracked, expired
// entries evicted first, then arbitrary ones.
type failureLimiter struct {
	max        int
	window     time.Duration
	maxTracked int
	warn       func(string)

	mu     sync.Mutex
	byID   map[string]*failureCount
	byAddr map[string]*failureCount
}

func newFailureLimiter(limit int, window time.Duration, maxTracked int, warn func(string)) *failureLimiter {
	return &failureLimiter{max: limit, window: window, maxTracked: maxTracked, warn: warn,
		byID: make(map[string]*failureCount), byAddr: make(map[string]*failureCount)}
}

// retryAfter returns how long a key stays blocked in m; 0 when it is not.
func retryAfter(l *failureLimiter, m map[string]*failureCount, key string, now time.Time) time.Duration {
	if key == "" {
		return 0
	}
	c := m[key]
	if c == nil || c.n < l.max {
		return 0
	}
	left := c.start.Add(l.window).Sub(now)
	if left <= 0 {
		return 0
	}
	return left
}

// blocked returns how long the id (a configured client's, or "") or the
// address stays blocked; 0 when neither is.
func (l *failureLimiter) blocked(id, addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := retryAfter(l, l.byAddr, addr, now)
	b := retryAfter(l, l.byID, id, now)
	if b > a {
		return b
	}
	return a
}

// fail counts one failed authentication of id (a configured client's, or
// "") from addr.
func (l *failureLimiter) fail(id, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id != "" && countFailure(l, l.byID, id, now) && l.warn != nil {
		l.warn("token: client " + strconv.Quote(id) + ": " + strconv.Itoa(l.max) + " failed authentications, refused for up to " + l.window.String())
	}
	if addr != "" {
		if l.byAddr[addr] == nil && len(l.byAddr) >= l.maxTracked {
			evictFailures(l, now)
		}
		if countFailure(l, l.byAddr, addr, now) && l.warn != nil {
			l.warn("token: client address " + addr + ": " + strconv.Itoa(l.max) + " failed authentications, refused for up to " + l.window.String())
		}
	}
}

// countFailure adds one failure to key and reports whether it reached the
// limit with it.
func countFailure(l *failureLimiter, m map[string]*failureCount, key string, now time.Time) bool {
	c := m[key]
	if c == nil || now.Sub(c.start) >= l.window {
		c = &failureCount{start: now}
		m[key] = c
	}
	c.n++
	return c.n == l.max
}

// evictFailures makes room for one address: expired windows go first,
// then arbitrary entries.
func evictFailures(l *failureLimiter, now time.Time) {
	for k, c := range l.byAddr {
		if now.Sub(c.start) >= l.window {
			delete(l.byAddr, k)
		}
	}
	for k := range l.byAddr {
		if len(l.byAddr) < l.maxTracked {
			break
		}
		delete(l.byAddr, k)
	}
}

// remoteAddr is the default client address: the host of RemoteAddr (the
// peer of the connection, never a header the client can set); IPv6
// addresses count per /64, the block one client usually holds.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addrKey normalises the address of ClientAddr: an IPv6 address to its
// /64 prefix.
func addrKey(host string) string {
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// retryAfterSeconds formats a Retry-After value: whole seconds, rounded
// up, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// tokenLimits sets up the brute-force protection of cfg on t.
func tokenLimits(t *Issuer, cfg *Config) error {
	t.addr = cfg.ClientAddr
	if t.addr == nil {
		t.addr = remoteAddr
	}
	if cfg.MaxFailures < 0 {
		return nil
	}
	limit := cfg.MaxFailures
	if limit == 0 {
		limit = DefaultMaxFailures
	}
	window := cfg.FailureWindow
	if window == 0 {
		window = DefaultFailureWindow
	}
	if window < time.Second {
		return errors.New("token: failure_window must be at least 1s, got " + window.String())
	}
	t.limiter = newFailureLimiter(limit, window, DefaultMaxTracked, cfg.Warn)
	return nil
}

// tokenRefused answers 429 with Retry-After and reports true when the
// client id (a configured one, or "") or the address is blocked.
func tokenRefused(t *Issuer, w http.ResponseWriter, id, addr string) bool {
	d := t.limiter.blocked(id, addr, t.now())
	if d <= 0 {
		return false
	}
	w.Header().Set("Retry-After", retryAfterSeconds(d))
	tokenError(w, http.StatusTooManyRequests, "slow_down", "too many failed client authentications; retry after the time in Retry-After")
	return true
}

// tokenFailed counts a failed client authentication: per client id when
// id names a configured client (unknown ids are counted per address only,
// which bounds the memory), and per address.
func tokenFailed(t *Issuer, id, addr string) {
	if t.limiter == nil {
		return
	}
	if t.clients[id] == nil {
		id = ""
	}
	t.limiter.fail(id, addr, t.now())
}
