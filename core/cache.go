package core

import (
	"context"
	"sync"
	"time"
)

// userCache caches userinfo answers for a TTL, bounded in size, and makes
// concurrent identical misses share one call.
type userCache struct {
	ttl  time.Duration
	size int

	mu       sync.Mutex
	entries  map[string]*cacheEntry
	order    []string // insertion order, for eviction
	inflight map[string]*flight
	now      func() time.Time
}

type cacheEntry struct {
	user    User
	expires time.Time
}

type flight struct {
	done chan struct{}
	user User
}

func newUserCache(ttl time.Duration, size int) *userCache {
	return &userCache{
		ttl:      ttl,
		size:     size,
		entries:  map[string]*cacheEntry{},
		inflight: map[string]*flight{},
		now:      time.Now,
	}
}

// cacheLookup returns the live entry for key, if any.
func cacheLookup(c *userCache, key string) (User, bool) {
	c.mu.Lock()
	e := c.entries[key]
	if e == nil || !c.now().Before(e.expires) {
		c.mu.Unlock()
		return User{}, false
	}
	u := e.user
	c.mu.Unlock()
	return u, true
}

// get returns the cached user for key, or the answer of one call to
// fetch shared by all concurrent callers. fetch runs on its own goroutine,
// so it is not cancelled when the caller that started it goes away (it
// must bound itself: userinfo_timeout); it reports whether its answer may
// be cached. Each caller stops waiting when its own ctx is done, and then
// gets the anonymous User.
func (c *userCache) get(ctx context.Context, key string, fetch func() (User, bool)) User {
	c.mu.Lock()
	if e := c.entries[key]; e != nil {
		if c.now().Before(e.expires) {
			u := e.user
			c.mu.Unlock()
			return u
		}
		delete(c.entries, key)
	}
	f := c.inflight[key]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		c.inflight[key] = f
		go runFlight(c, key, f, fetch)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.user
	case <-ctx.Done():
		return User{}
	}
}

// runFlight makes the shared call of a flight, caches its answer when it
// may be, and releases the waiters.
func runFlight(c *userCache, key string, f *flight, fetch func() (User, bool)) {
	u, cacheable := fetch()
	f.user = u
	c.mu.Lock()
	delete(c.inflight, key)
	if cacheable {
		c.store(key, u)
	}
	c.mu.Unlock()
	close(f.done)
}

// store adds an entry, evicting the oldest ones beyond the size bound.
// c.mu must be held.
func (c *userCache) store(key string, u User) {
	if _, ok := c.entries[key]; !ok {
		c.order = append(c.order, key)
	}
	c.entries[key] = &cacheEntry{user: u, expires: c.now().Add(c.ttl)}
	for len(c.entries) > c.size && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		delete(c.entries, old)
	}
	// compact the order slice once it holds many stale keys
	if len(c.order) > 2*c.size+16 {
		live := make([]string, 0, len(c.entries))
		for i := 0; i < len(c.order); i++ {
			if _, ok := c.entries[c.order[i]]; ok {
				live = append(live, c.order[i])
			}
		}
		c.order = live
	}
}
