package core

import (
	"strconv"
	"strings"
)

// emitWarning hands a warning to the adapter: to WarnFields when set, else
// to Warn as one line, "msg key=value key=value". Values are quoted when
// they hold a space, a quote or an equals sign. Callers never pass
// credentials (no URL query or user info, no header value).
func emitWarning(h *Hooks, msg string, fields []string) {
	if h.WarnFields != nil {
		h.WarnFields(msg, fields)
		return
	}
	if h.Warn != nil {
		h.Warn(WarningLine(msg, fields))
	}
}

// WarningLine formats a warning and its fields as one line of text.
func WarningLine(msg string, fields []string) string {
	line := msg
	for i := 0; i+1 < len(fields); i += 2 {
		v := fields[i+1]
		if v == "" || strings.ContainsAny(v, " \t\"=") {
			v = strconv.Quote(v)
		}
		line += " " + fields[i] + "=" + v
	}
	return line
}

// warnFunc adapts the hooks to a func(string) for packages that warn with
// text only (core/jose); nil when no hook is set.
func warnFunc(h Hooks) func(string) {
	if h.WarnFields == nil && h.Warn == nil {
		return nil
	}
	return func(msg string) { emitWarning(&h, msg, nil) }
}
