package core

import (
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

// get returns the cached user for key or calls fetch once for all concurrent
// callers; fetch reports whether its answer may be cached.
func (c *userCache) get(key string, fetch func() (User, bool)) User {
	c.mu.Lock()
	if e := c.entries[key]; e != nil {
		if c.now().Before(e.expires) {
			u := e.user
			c.mu.Unlock()
			return u
		}
		delete(c.entries, key)
	}
	if f := c.inflight[key]; f != nil {
		c.mu.Unlock()
		<-f.done
		return f.user
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	u, cacheable := fetch()
	f.user = u

	c.mu.Lock()
	delete(c.inflight, key)
	if cacheable {
		c.store(key, u)
	}
	c.mu.Unlock()
	close(f.done)
	return u
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
