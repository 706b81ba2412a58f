package core

import (
	"io"
	"time"
)

// OpsConfig holds the operations options: hot reload, shadow rules and
// the observability of decisions. The zero value turns them all off.
type OpsConfig struct {
	// RulesReload > 0 (option rules_reload) re-reads the rules file and
	// the shadow rules file every interval, off the request path, and
	// swaps in their rules when the content changed and loads; a file that
	// does not load keeps the previous rules and is reported.
	RulesReload time.Duration
	// ShadowRulesFile (option shadow_rules_file) is a candidate rules
	// file, evaluated on every request beside the live rules without
	// changing the outcome: it takes the place of RulesFile and RulesJSON,
	// the inline Rules apply to both. Each disagreement is counted and
	// reported.
	ShadowRulesFile string
	// Metrics counts decisions, shadow disagreements and reloads in core,
	// for [Authorizer.WriteMetrics] (option metrics_path).
	Metrics bool
	// DecisionLog, when set (option decision_log), gets one JSON line per
	// decision: method, canonical path, route, status, reason, user id —
	// never a credential.
	DecisionLog io.Writer
}

// MinRulesReload is the shortest rules_reload interval.
const MinRulesReload = 100 * time.Millisecond
