package core

import (
	"strings"
	"sync"
)

// maxWarnedGroups bounds the names groupFilter remembers having logged.
const maxWarnedGroups = 1024

// groupFilter drops group names that the groups header cannot carry: one
// with a "," or surrounding whitespace (or empty) would become other groups
// once joined with "," and split again, with its items trimmed, by a
// gateway that trusts the header. Each dropped name is logged once.
type groupFilter struct {
	source string // "userinfo", "jwt": names the source in the warning
	warn   func(string)

	mu     sync.Mutex
	warned map[string]bool
}

func newGroupFilter(source string, warn func(string)) *groupFilter {
	return &groupFilter{source: source, warn: warn, warned: map[string]bool{}}
}

// cleanGroups returns groups without the names that cannot be carried.
// It allocates nothing when every name is fine (the usual case): the
// check looks at the first and last bytes and for a comma; a non-ASCII
// first or last byte takes the precise path.
func cleanGroups(f *groupFilter, groups []string) []string {
	var g string
	var c0, c1 byte
	for i := 0; i < len(groups); i++ {
		g = groups[i]
		if g == "" {
			return dropGroups(f, groups)
		}
		c0, c1 = g[0], g[len(g)-1]
		if c0 <= ' ' || c1 <= ' ' || c0 >= 0x80 || c1 >= 0x80 || strings.IndexByte(g, ',') >= 0 {
			return dropGroups(f, groups)
		}
	}
	return groups
}

// badGroup reports whether a group name cannot be carried in the groups
// header.
func badGroup(g string) bool {
	return g == "" || strings.IndexByte(g, ',') >= 0 || strings.TrimSpace(g) != g
}

// dropGroups is cleanGroups once a name may be bad: it copies the good
// names and logs each bad one the first time it is seen.
func dropGroups(f *groupFilter, groups []string) []string {
	out := make([]string, 0, len(groups))
	for i := 0; i < len(groups); i++ {
		if !badGroup(groups[i]) {
			out = append(out, groups[i])
			continue
		}
		groupDropped(f, groups[i])
	}
	return out
}

// groupDropped logs a dropped name once (up to maxWarnedGroups names).
func groupDropped(f *groupFilter, g string) {
	if f == nil || f.warn == nil {
		return
	}
	f.mu.Lock()
	seen := f.warned[g]
	if !seen && len(f.warned) < maxWarnedGroups {
		f.warned[g] = true
	}
	f.mu.Unlock()
	if seen {
		return
	}
	name := g
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	f.warn(f.source + ": group " + quote(name) + " dropped: a group name with a comma or surrounding whitespace, or an empty one, cannot be carried in the groups header (it grants nothing)")
}
