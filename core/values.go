package core

// Reading identity fields out of decoded JSON documents (userinfo answers,
// JWT claims, trusted properties). Numbers are json.Number: every decoder
// in core uses UseNumber.

import (
	"encoding/json"
	"math"
	"strconv"
)

// idString reads a user id: a string, or a number written in decimal (as
// JavaScript would print it: 1e3 → "1000", 1.5 → "1.5"; integers keep all
// their digits). Anything else is no id.
func idString(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	n, ok := x.(json.Number)
	if !ok {
		return ""
	}
	s := string(n)
	plain := true
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || i == 0 && s[i] == '-') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Abs(f) >= 1e21 {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// stringArray returns the string items of a JSON array (other items are
// skipped); anything else is empty.
func stringArray(x any) []string {
	list, ok := x.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for i := 0; i < len(list); i++ {
		if s, ok := list[i].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringList reads groups or permissions: an array (its string items) or
// a space-separated string such as an OAuth scope.
func stringList(x any) []string {
	if s, ok := x.(string); ok {
		return splitSpaces(s)
	}
	return stringArray(x)
}

// splitSpaces splits on spaces, dropping empty items.
func splitSpaces(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}
