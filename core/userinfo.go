package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxUserinfoBody is the largest userinfo answer read; a larger one makes
// the caller anonymous.
const maxUserinfoBody = 1 << 20

// userinfoSource calls the identity service's userinfo endpoint.
type userinfoSource struct {
	url, backofficeURL string
	headers            []string // canonical names copied to the call
	proxyHost          bool     // "host" is in headers_to_proxy
	authHeaders        []string // canonical names; none present → anonymous
	idKey, permKey     string
	client             *http.Client
	cache              *userCache
	hooks              Hooks
	groups             *groupFilter
	timeout            time.Duration // bounds a shared (cached) call
	warnings           warnThrottle
	props              *proxyProps // to precompute the upstream values of cached users
}

func newUserinfoSource(cfg *Config, client *http.Client) (*userinfoSource, error) {
	s := &userinfoSource{
		url:           cfg.UserinfoURL,
		backofficeURL: cfg.BackofficeUserinfoURL,
		idKey:         cfg.UserIDKey,
		permKey:       cfg.PermissionsKey,
		client:        client,
		hooks:         cfg.Hooks,
		groups:        newGroupFilter("userinfo", cfg.Hooks.Warn),
		timeout:       cfg.UserinfoTimeout,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultUserinfoTimeout
	}
	if err := checkURL("userinfo_url", s.url); err != nil {
		return nil, err
	}
	if s.backofficeURL != "" {
		if err := checkURL("backoffice_userinfo_url", s.backofficeURL); err != nil {
			return nil, err
		}
	}
	if s.idKey == "" {
		s.idKey = DefaultUserIDKey
	}
	for i := 0; i < len(cfg.HeadersToProxy); i++ {
		n := strings.TrimSpace(cfg.HeadersToProxy[i])
		if n == "" {
			continue
		}
		if strings.EqualFold(n, "host") {
			s.proxyHost = true
			continue
		}
		s.headers = append(s.headers, textproto.CanonicalMIMEHeaderKey(n))
	}
	for i := 0; i < len(cfg.AuthorizationHeadersToProxy); i++ {
		n := strings.TrimSpace(cfg.AuthorizationHeadersToProxy[i])
		if n != "" {
			s.authHeaders = append(s.authHeaders, textproto.CanonicalMIMEHeaderKey(n))
		}
	}
	if cfg.CacheTTL < 0 {
		return nil, errors.New("cache_ttl: must not be negative")
	}
	if cfg.CacheTTL > 0 {
		if cfg.CacheSize <= 0 {
			return nil, errors.New("cache_size: must be positive")
		}
		s.cache = newUserCache(cfg.CacheTTL, cfg.CacheSize)
	}
	return s, nil
}

func checkURL(option, u string) error {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return errors.New(option + ": " + quote(u) + " is not an http(s) URL")
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return errors.New(option + ": " + quote(u) + " is not a valid URL")
	}
	if req.URL.Host == "" {
		return errors.New(option + ": " + quote(u) + " has no host")
	}
	return nil
}

func (s *userinfoSource) identify(r *http.Request, backoffice bool) (User, error) {
	if len(s.authHeaders) > 0 {
		present := false
		for i := 0; i < len(s.authHeaders); i++ {
			if len(r.Header[s.authHeaders[i]]) > 0 {
				present = true
				break
			}
		}
		if !present {
			return User{}, nil
		}
	}
	url := s.url
	if backoffice && s.backofficeURL != "" {
		url = s.backofficeURL
	}
	if s.cache == nil {
		u, _ := s.call(r.Context(), r, url, false)
		return u, nil
	}
	key := s.cacheKey(r, url)
	if u, ok := cacheLookup(s.cache, key); ok {
		return u, nil
	}
	// The call is shared by every concurrent caller with the same key and
	// runs on its own goroutine: it reads a copy of r's headers, made now,
	// and a context of its own bounded by userinfo_timeout.
	req, err := s.newRequest(r, url, true)
	if err != nil {
		return User{}, nil
	}
	return s.cache.get(r.Context(), key, func() (User, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		u, ok := s.do(req.WithContext(ctx), url)
		return withUpstream(s.props, u), ok
	}), nil
}

// cacheKey hashes the URL and the proxied header names and values: the
// key holds no credential. The input is built by concatenation and hashed
// in one call, which is what costs least under yaegi.
func (s *userinfoSource) cacheKey(r *http.Request, url string) string {
	in := url + "\x00"
	if s.proxyHost {
		in += "Host\x00" + r.Host + "\x00"
	}
	var vals []string
	for i := 0; i < len(s.headers); i++ {
		in += s.headers[i] + "\x00"
		vals = r.Header[s.headers[i]]
		for j := 0; j < len(vals); j++ {
			in += vals[j] + "\x01"
		}
		in += "\x00"
	}
	sum := sha256.Sum256([]byte(in))
	return string(sum[:])
}

// call performs one userinfo request on ctx for r; see do.
func (s *userinfoSource) call(ctx context.Context, r *http.Request, url string, copyValues bool) (User, bool) {
	req, err := s.newRequest(r, url, copyValues)
	if err != nil {
		return User{}, false
	}
	return s.do(req.WithContext(ctx), url)
}

// newRequest builds the userinfo request for r: the proxied headers
// (copied when the call may outlive r's handler), Host when proxied.
func (s *userinfoSource) newRequest(r *http.Request, url string, copyValues bool) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(s.headers); i++ {
		if vals := r.Header[s.headers[i]]; len(vals) > 0 {
			if copyValues {
				vals = append([]string(nil), vals...)
			}
			req.Header[s.headers[i]] = vals
		}
	}
	if s.proxyHost {
		req.Host = r.Host
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// do performs one userinfo request. cacheable reports whether the answer
// may be cached (a user, or an explicit 401/403): never a transport
// error, a 5xx, or a 2xx without a user id.
func (s *userinfoSource) do(req *http.Request, url string) (u User, cacheable bool) {
	start := time.Now()
	outcome := "anonymous"
	defer func() {
		if s.hooks.UserinfoDone != nil {
			s.hooks.UserinfoDone(time.Since(start), outcome)
		}
	}()
	resp, err := s.client.Do(req)
	if err != nil {
		outcome = "error"
		s.warn("userinfo call failed", []string{"url", redactURL(url), "error", redactURLError(err, url)})
		return User{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return User{}, true
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		outcome = "error"
		s.warn("userinfo answered an error", []string{"url", redactURL(url), "status", resp.Status})
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return User{}, false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserinfoBody+1))
	if err != nil {
		outcome = "error"
		s.warn("userinfo body could not be read", []string{"url", redactURL(url)})
		return User{}, false
	}
	if len(body) > maxUserinfoBody {
		outcome = "error"
		s.warn("userinfo answer is larger than 1 MiB", []string{"url", redactURL(url)})
		return User{}, false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return User{}, false
	}
	props, err := decodeObject(bytes.NewReader(body))
	if err != nil {
		outcome = "error"
		s.warn("userinfo answer is not a JSON object", []string{"url", redactURL(url)})
		return User{}, false
	}
	id := idString(props[s.idKey])
	if id == "" {
		return User{}, false
	}
	u = User{ID: id, Groups: cleanGroups(s.groups, stringArray(props["groups"])), Properties: props}
	if s.permKey != "" {
		u.Permissions = stringArray(props[s.permKey])
	}
	outcome = "user"
	return u, true
}

// warn logs a failed call. While the identity service is down every
// request fails alike: at most one warning a second goes out, and the next
// one says how many were held back (field "suppressed").
func (s *userinfoSource) warn(msg string, fields []string) {
	if s.hooks.Warn == nil && s.hooks.WarnFields == nil {
		return
	}
	n, ok := s.warnings.pass(time.Now())
	if !ok {
		return
	}
	if n > 0 {
		fields = append(fields, "suppressed", strconv.Itoa(n))
	}
	emitWarning(&s.hooks, msg, fields)
}

// warnThrottle lets one warning a second through.
type warnThrottle struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// pass reports whether a warning may be logged now, and how many were
// held back since the last one.
func (w *warnThrottle) pass(now time.Time) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.last.IsZero() && now.Sub(w.last) < time.Second {
		w.suppressed++
		return 0, false
	}
	n := w.suppressed
	w.last = now
	w.suppressed = 0
	return n, true
}

// redactURLError describes a transport error without the URL's query,
// fragment or user info, which may hold credentials: the error's own text
// names the URL (with only a password masked), so it is rebuilt around the
// redacted URL.
func redactURLError(err error, rawURL string) string {
	if ue, ok := err.(*neturl.Error); ok {
		return ue.Op + " " + quote(redactURL(rawURL)) + ": " + ue.Err.Error()
	}
	return "request to " + quote(redactURL(rawURL)) + " failed"
}

// redactURL is u without its query, fragment and user info.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.IndexByte(rest, '@'); at >= 0 {
			slash := strings.IndexByte(rest, '/')
			if slash < 0 || at < slash {
				u = u[:i+3] + rest[at+1:]
			}
		}
	}
	return u
}
