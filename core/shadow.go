package core

import (
	"strconv"

	"github.com/aclgate/aclgate/core/rules"
)

// ShadowDisagreement is a request on which the shadow rules
// (shadow_rules_file) decide otherwise than the live rules. It holds no
// credential.
type ShadowDisagreement struct {
	// Method and Path are the request's method and canonical path.
	Method, Path string
	// LiveRoute and ShadowRoute are the rules that decided ("" for none).
	LiveRoute, ShadowRoute string
	// LiveReason and ShadowReason are the outcomes (Reason* constants),
	// LiveStatus and ShadowStatus their statuses in the decision table.
	LiveReason, ShadowReason string
	LiveStatus, ShadowStatus int
}

// String describes s in one line, for a log.
func (s *ShadowDisagreement) String() string {
	return "shadow rules disagree: " + s.Method + " " + quote(s.Path) +
		": live " + quote(s.LiveRoute) + " " + strconv.Itoa(s.LiveStatus) + " " + s.LiveReason +
		", shadow " + quote(s.ShadowRoute) + " " + strconv.Itoa(s.ShadowStatus) + " " + s.ShadowReason
}

// compareShadow decides d again with the shadow rules; a different
// outcome is counted and reported. The live outcome never changes.
func compareShadow(o *observer, d *Decision) {
	if !ruleDecided(d.Reason) {
		return
	}
	set, _ := o.shadow.Load().(*rules.Set)
	if set == nil {
		return
	}
	route, reason := ruleReason(set, d)
	if reason == d.Reason {
		return
	}
	s := ShadowDisagreement{Method: d.Method, Path: d.Path, LiveRoute: d.Route, ShadowRoute: route,
		LiveReason: d.Reason, ShadowReason: reason,
		LiveStatus: statusOf(o.strict, d.Reason), ShadowStatus: statusOf(o.strict, reason)}
	if o.counts != nil {
		countShadow(o.counts, &s)
	}
	if o.hooks.Shadow != nil {
		o.hooks.Shadow(s)
	} else if o.hooks.Warn != nil {
		o.hooks.Warn(s.String())
	}
}
