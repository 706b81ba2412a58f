package rules

import "strings"

// This file is the introspection that tooling (lint, explain) needs; the
// request path never calls it.

// Methods are the request methods a rule can name besides ALL, in the
// order Keys reports blocks.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// KeyInfo describes one route key of a Set.
type KeyInfo struct {
	// Key is the key as first written; Aliases are the other spellings of
	// the same key (/a/{id} beside /a/:id), merged into it.
	Key     string
	Aliases []string
	// Prefix reports a trailing "/": the key covers everything below it.
	Prefix bool
	// Segments are the key's segments: a literal, or a parameter spelled as
	// in the key (":id" or "{id}").
	Segments []string
	// Params flags the parameter segments.
	Params []bool
	// Blocks are the key's method blocks, in the order of Methods then ALL.
	Blocks []BlockInfo
	// Resolved maps each request method (Methods) to what a frontend
	// ([0]) and a backoffice ([1]) request gets at this key; nil: it
	// passes the request on to the next less specific key.
	Resolved map[string][2]*Authorization
}

// BlockInfo is one method block of a key.
type BlockInfo struct {
	// Method is GET … OPTIONS or ALL.
	Method string
	// Front is the "authorization" block, Back "backofficeAuthorization";
	// either may be nil.
	Front, Back *Authorization
}

// Keys describes the keys of s, most specific first.
func Keys(s *Set) []KeyInfo {
	var out []KeyInfo
	for i := 0; i < len(s.routes); i++ {
		rt := s.routes[i]
		k := KeyInfo{Key: rt.key, Aliases: rt.aliases, Prefix: rt.prefix, Resolved: map[string][2]*Authorization{}}
		body := strings.TrimSuffix(rt.key[1:], "/")
		if body != "" {
			parts := strings.Split(body, "/")
			for j := 0; j < len(parts); j++ {
				k.Segments = append(k.Segments, parts[j])
				k.Params = append(k.Params, rt.segs[j].param)
			}
		}
		for m := 0; m < numMethods; m++ {
			if blk := rt.blocks[m]; blk != nil {
				k.Blocks = append(k.Blocks, BlockInfo{Method: methodName(m), Front: blk.front, Back: blk.back})
			}
		}
		for m := 0; m < methodAll; m++ {
			k.Resolved[methodName(m)] = rt.table[m]
		}
		out = append(out, k)
	}
	return out
}

// Match is one key that covers a request path.
type Match struct {
	// Key is the route key.
	Key string
	// Auth is what the key gives the request; nil when it has no block
	// for the method and backoffice flag, and passes the request on.
	Auth *Authorization
	// Block names where Auth comes from: the method block and the field,
	// such as "ALL backofficeAuthorization"; "" when Auth is nil.
	Block string
}

// Matches lists every key that covers the canonical path, most specific
// first, with what each gives a request of that method and backoffice
// flag. The first Match with an Auth is what Lookup returns.
func Matches(s *Set, path, method string, backoffice bool) []Match {
	mi := methodIndex(method)
	var out []Match
	for i := 0; i < len(s.routes); i++ {
		rt := s.routes[i]
		if !routeMatch(rt, path) {
			continue
		}
		m := Match{Key: rt.key}
		if mi >= 0 && mi < methodAll {
			m.Auth, m.Block = pick(rt, mi, backoffice)
		}
		out = append(out, m)
	}
	return out
}

// pick is resolve for one method and flag, naming the block it took.
func pick(rt *route, m int, backoffice bool) (*Authorization, string) {
	cands := []int{m, methodAll}
	if m == methodHEAD {
		cands = append(cands, methodGET)
	}
	for c := 0; c < len(cands); c++ {
		blk := rt.blocks[cands[c]]
		if blk == nil {
			continue
		}
		if backoffice && blk.back != nil {
			return blk.back, methodName(cands[c]) + " backofficeAuthorization"
		}
		if blk.front != nil {
			return blk.front, methodName(cands[c]) + " authorization"
		}
	}
	return nil, ""
}

func methodName(m int) string {
	if m == methodAll {
		return "ALL"
	}
	return Methods[m]
}
