package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Where clients send their API key, in the order they are read: Mia's
// client-key header, its deprecated secret header, then a cookie (Mia's
// gateway documents mia_client_key; client_key is the name aclgate
// documents, and both are read).
const (
	apiKeyHeader       = "Client-Key"
	apiKeySecretHeader = "Secret"
	apiKeyCookie       = "client_key"
	apiKeyMiaCookie    = "mia_client_key"
)

// apiKeySet resolves API keys to client types. Keys are held only as their
// SHA-256, and a lookup compares the presented key's hash with every entry
// in constant time, so neither the keys nor their number of matching
// bytes can be learnt from timing.
type apiKeySet struct {
	sums  [][]byte
	types []string
}

// newAPIKeySet validates keys. Errors name the entry by its position and
// client type, never by the key.
func newAPIKeySet(keys []APIKey) (*apiKeySet, error) {
	s := &apiKeySet{}
	plain, hashed := 0, 0 // entries of each option so far
	entries := []string{} // how each entry is named in messages
	for i := 0; i < len(keys); i++ {
		k := keys[i]
		option, n := "api_key", 0
		if k.KeySHA256 != "" {
			hashed++
			option, n = "api_key_sha256", hashed
		} else {
			plain++
			n = plain
		}
		entry := option + " entry " + strconv.Itoa(n)
		if k.Name != "" {
			entry = k.Name
		}
		entries = append(entries, entry)
		if strings.TrimSpace(k.ClientType) == "" {
			return nil, errors.New(entry + ": the client type is empty")
		}
		where := entry + " (client type " + quote(k.ClientType) + "): "
		var sum []byte
		switch {
		case k.Key != "" && k.KeySHA256 != "":
			return nil, errors.New(where + "give the key or its SHA-256, not both")
		case k.Key != "":
			if strings.TrimSpace(k.Key) != k.Key {
				return nil, errors.New(where + "the key starts or ends with whitespace")
			}
			h := sha256.Sum256([]byte(k.Key))
			sum = h[:]
		case k.KeySHA256 != "":
			b, err := hex.DecodeString(strings.TrimSpace(k.KeySHA256))
			if err != nil || len(b) != sha256.Size {
				return nil, errors.New(where + quote(k.KeySHA256) + " is not a SHA-256 in hex (64 hex digits)")
			}
			sum = b
		default:
			return nil, errors.New(where + "the key is empty")
		}
		for j := 0; j < len(s.sums); j++ {
			if subtle.ConstantTimeCompare(s.sums[j], sum) == 1 {
				return nil, errors.New(where + "the same key as " + entries[j])
			}
		}
		s.sums = append(s.sums, sum)
		s.types = append(s.types, k.ClientType)
	}
	return s, nil
}

// presentedAPIKey returns the API key of r: the client-key header, else the
// secret header, else the client_key or mia_client_key cookie; "" when
// there is none.
func presentedAPIKey(r *http.Request) string {
	h := r.Header
	if v := h[apiKeyHeader]; len(v) > 0 {
		return v[0]
	}
	if v := h[apiKeySecretHeader]; len(v) > 0 {
		return v[0]
	}
	if len(h["Cookie"]) == 0 {
		return ""
	}
	if c, err := r.Cookie(apiKeyCookie); err == nil {
		return c.Value
	}
	if c, err := r.Cookie(apiKeyMiaCookie); err == nil {
		return c.Value
	}
	return ""
}

// resolveAPIKey returns the client type of key, and false when no entry
// holds it. Every entry is compared, whatever the outcome.
func resolveAPIKey(s *apiKeySet, key string) (string, bool) {
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := 0; i < len(s.sums); i++ {
		if subtle.ConstantTimeCompare(sum[:], s.sums[i]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return s.types[found], true
}
