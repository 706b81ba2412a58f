package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
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
}

func newUserinfoSource(cfg *Config, client *http.Client) (*userinfoSource, error) {
	s := &userinfoSource{
		url:           cfg.UserinfoURL,
		backofficeURL: cfg.BackofficeUserinfoURL,
		idKey:         cfg.UserIDKey,
		permKey:       cfg.PermissionsKey,
		client:        client,
		hooks:         cfg.Hooks,
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
		u, _ := s.call(r, url)
		return u, nil
	}
	key := s.cacheKey(r, url)
	return s.cache.get(key, func() (User, bool) { return s.call(r, url) }), nil
}

// cacheKey hashes the URL and the proxied header names and values.
func (s *userinfoSource) cacheKey(r *http.Request, url string) string {
	h := sha256.New()
	io.WriteString(h, url)
	h.Write([]byte{0})
	if s.proxyHost {
		io.WriteString(h, "Host\x00"+r.Host+"\x00")
	}
	for i := 0; i < len(s.headers); i++ {
		vals := r.Header[s.headers[i]]
		io.WriteString(h, s.headers[i])
		h.Write([]byte{0})
		for j := 0; j < len(vals); j++ {
			io.WriteString(h, vals[j])
			h.Write([]byte{1})
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// call performs one userinfo request. cacheable reports whether the answer
// may be cached (a user, or an explicit 401/403).
func (s *userinfoSource) call(r *http.Request, url string) (u User, cacheable bool) {
	start := time.Now()
	outcome := "anonymous"
	defer func() {
		if s.hooks.UserinfoDone != nil {
			s.hooks.UserinfoDone(time.Since(start), outcome)
		}
	}()
	ctx := r.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		outcome = "error"
		return User{}, false
	}
	for i := 0; i < len(s.headers); i++ {
		if vals := r.Header[s.headers[i]]; len(vals) > 0 {
			req.Header[s.headers[i]] = vals
		}
	}
	if s.proxyHost {
		req.Host = r.Host
	}
	req.Header.Set("Accept", "application/json")
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
		return User{}, true
	}
	u = User{ID: id, Groups: stringArray(props["groups"]), Properties: props}
	if s.permKey != "" {
		u.Permissions = stringArray(props[s.permKey])
	}
	outcome = "user"
	return u, true
}

func (s *userinfoSource) warn(msg string, fields []string) {
	emitWarning(&s.hooks, msg, fields)
}

// redactURLError describes a transport error without the URL's query or
// user info, which may hold credentials.
func redactURLError(err error, url string) string {
	msg := err.Error()
	if url != "" {
		msg = strings.ReplaceAll(msg, url, redactURL(url))
	}
	return msg
}

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
