package core

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// badGroups are group names that miausergroups cannot carry: after the
// join with "," and a split (with trimming) by the next gateway they would
// become other groups.
var badGroups = []string{"team-x,admin", " admin", "admin ", "\tadmin", "admin\n", "\u00a0admin", "admin\u3000", ",", ""}

// warnings collects Warn hook messages.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) hook(m string) { w.mu.Lock(); w.msgs = append(w.msgs, m); w.mu.Unlock() }

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// TestGroupNamesDroppedUserinfo: a userinfo answer's group that cannot be
// carried in miausergroups is dropped (it grants nothing) and logged once.
func TestGroupNamesDroppedUserinfo(t *testing.T) {
	groups := append([]string{"ok", "café"}, badGroups...)
	body, _ := json.Marshal(map[string]any{"sub": "u", "groups": groups})
	svc := newIDService(t, 200, string(body))
	var w warnings
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.Hooks.Warn = w.hook
		c.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false}}}}`
	})
	for i := 0; i < 2; i++ {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer x")
		d := a.Authorize(r)
		if d.Status != 403 || !reflect.DeepEqual(d.User.Groups, []string{"ok", "café"}) {
			t.Errorf("call %d: status %d groups %q", i, d.Status, d.User.Groups)
		}
	}
	checkGroupWarnings(t, w.all())
}

// TestGroupNamesDroppedJWT: the same for JWT claims, as an array and as a
// space-separated string.
func TestGroupNamesDroppedJWT(t *testing.T) {
	var w warnings
	cfg := DefaultConfig()
	jc := DefaultJWTConfig()
	jc.HMACSecret = jsSecret
	cfg.JWT = &jc
	cfg.Hooks.Warn = w.hook
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false}}}}`
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	exp := time.Now().Add(time.Hour).Unix()
	cases := []struct {
		groups any
		want   []string
	}{
		{append([]string{"ok", "café"}, badGroups...), []string{"ok", "café"}},
		{"ok team-x,admin café", []string{"ok", "café"}},
	}
	for i := 0; i < len(cases); i++ {
		claims, _ := json.Marshal(map[string]any{"sub": "u", "exp": exp, "groups": cases[i].groups})
		for j := 0; j < 2; j++ {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+hs256(jsSecret, string(claims)))
			d := a.Authorize(r)
			if d.Status != 403 || !reflect.DeepEqual(d.User.Groups, cases[i].want) {
				t.Errorf("case %d: status %d groups %q", i, d.Status, d.User.Groups)
			}
		}
	}
	checkGroupWarnings(t, w.all())
}

// checkGroupWarnings: one warning per dropped name, never two.
func checkGroupWarnings(t *testing.T, msgs []string) {
	t.Helper()
	if len(msgs) != len(badGroups) {
		t.Errorf("%d warnings, want %d (one per name): %q", len(msgs), len(badGroups), msgs)
	}
	for i := 0; i < len(msgs); i++ {
		if !strings.Contains(msgs[i], "dropped") {
			t.Errorf("warning %q", msgs[i])
		}
	}
}

// TestTrustedGroupsTrimmed: the trusted groups header is split on "," and
// its items trimmed (Mia's Envoy joins with ", "), so no item keeps a comma
// or surrounding whitespace.
func TestTrustedGroupsTrimmed(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	d := a.Authorize(reqSpec{"GET", "/users/", map[string]string{"Miauserid": "u", "Miausergroups": " user ,\tadmin , ,ops"}}.build())
	if d.Status != 200 || !reflect.DeepEqual(d.User.Groups, []string{"user", "admin", "ops"}) {
		t.Errorf("status %d groups %q", d.Status, d.User.Groups)
	}
}
