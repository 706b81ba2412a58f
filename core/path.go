package core

import (
	"errors"
	"strings"
)

// errBadPath is returned by CanonicalPath for paths it rejects (answered 400).
var errBadPath = errors.New("invalid request path")

// CanonicalPath returns the canonical form of an escaped request path:
// percent-decoded, `.` and `..` segments resolved (also when encoded
// as %2e), repeated `/` collapsed, a trailing `/` kept. A query string must
// be removed by the caller.
//
// It fails for `..` above the root, an encoded `/` or `\` (%2F, %2f, %5C,
// %5c), a raw `\`, a NUL or any other control character, a malformed
// percent escape, a path that does not start with `/`, a `;` raw or
// encoded (%3B: matrix parameters, which servlet containers strip after
// the gateway decided), and a double-encoded byte (%25 followed by two hex
// digits, such as %252e: an upstream that decodes twice would see
// another path than the one decided on).
//
// It does not allocate when the path is already canonical.
func CanonicalPath(escaped string) (string, error) {
	if len(escaped) == 0 || escaped[0] != '/' {
		return "", errBadPath
	}
	if isCanonical(escaped) {
		return escaped, nil
	}
	return canonicalize(escaped)
}

// canonicalize is CanonicalPath for a path that needs changes (kept apart:
// under yaegi a function pays for all its locals on every call).
func canonicalize(escaped string) (string, error) {
	buf := make([]byte, 0, len(escaped))
	// segStart is the index in buf of the first byte of the current segment
	// (just after its leading '/').
	buf = append(buf, '/')
	segStart := 1
	pct := false // a "%" was decoded
	for i := 1; i <= len(escaped); i++ {
		if i == len(escaped) || escaped[i] == '/' {
			seg := buf[segStart:]
			switch {
			case len(seg) == 0:
				// "//": collapse; nothing to do (buf already ends in '/').
			case len(seg) == 1 && seg[0] == '.':
				buf = buf[:segStart]
			case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
				if segStart == 1 {
					return "", errBadPath // above the root
				}
				// drop this segment and the previous one
				j := segStart - 2
				for j > 0 && buf[j] != '/' {
					j--
				}
				buf = buf[:j+1]
			default:
				if i < len(escaped) {
					buf = append(buf, '/')
				}
			}
			segStart = len(buf)
			continue
		}
		c := escaped[i]
		if c == '%' {
			if i+2 >= len(escaped) {
				return "", errBadPath
			}
			hi, ok1 := unhex(escaped[i+1])
			lo, ok2 := unhex(escaped[i+2])
			if !ok1 || !ok2 {
				return "", errBadPath
			}
			c = hi<<4 | lo
			if c == '/' || c == '\\' {
				return "", errBadPath
			}
			pct = pct || c == '%'
			i += 2
		}
		if c < 0x20 || c == 0x7f || c == '\\' || c == ';' {
			return "", errBadPath
		}
		buf = append(buf, c)
	}
	if pct && doubleEncoded(buf) {
		return "", errBadPath
	}
	return string(buf), nil
}

// doubleEncoded reports whether the decoded path b still holds a percent
// escape ("%" and two hex digits), which an upstream that decodes twice
// would turn into another byte.
func doubleEncoded(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] != '%' {
			continue
		}
		_, ok1 := unhex(b[i+1])
		_, ok2 := unhex(b[i+2])
		if ok1 && ok2 {
			return true
		}
	}
	return false
}

// pathSpecialBytes are the bytes that make a path non-canonical wherever
// they appear: escapes, control characters, DEL, backslash and ';' (which
// canonicalize rejects).
const pathSpecialBytes = "%;\\\x7f\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"

// isCanonical reports whether p, which starts with "/", needs no change:
// no escapes, no dot segments, no empty segments (except a trailing
// slash), no bad bytes. It runs on every request, so it leaves the byte
// loops to the standard library (native under yaegi): two calls for a
// path without dots.
func isCanonical(p string) bool {
	if strings.ContainsAny(p, pathSpecialBytes+".") {
		return isCanonicalDots(p)
	}
	return !strings.Contains(p, "//")
}

// isCanonicalDots is isCanonical for a path with a special byte or a dot.
func isCanonicalDots(p string) bool {
	if strings.ContainsAny(p, pathSpecialBytes) || strings.Contains(p, "//") {
		return false
	}
	return !strings.Contains(p, "/./") && !strings.Contains(p, "/../") &&
		!strings.HasSuffix(p, "/.") && !strings.HasSuffix(p, "/..")
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
