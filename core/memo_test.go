package core

import (
	"net/http"
	"reflect"
	"testing"
)

// TestMemoSameOutcome: a decision served from the trust-mode memo (the
// same header values seen before) equals the first one — status, reason,
// user, upstream headers — in both columns of the decision table.
func TestMemoSameOutcome(t *testing.T) {
	users := []map[string]string{
		admin, reader, plain, adminBO, adminBO1, nil,
		{"Miauserid": "u9", "Miausergroups": " a , ,b ", "Miauserproperties": "{}"},
		{"Miauserid": "u9", "Miauserproperties": `{"permissions":["users:read"],"email":"x"}`},
		{"Miauserid": "u9", "Miauserproperties": `not json`},
	}
	paths := []string{"/", "/users/", "/users/7", "/myApi/x", "/private", "/client"}
	for _, strict := range []bool{true, false} {
		a := newTrustAuthorizer(t, strict, ModeInline)
		for _, u := range users {
			for _, p := range paths {
				var got [2]Decision
				var hdr [2]http.Header
				for i := 0; i < 2; i++ {
					r := reqSpec{"GET", p, u}.build()
					got[i] = a.Authorize(r)
					hdr[i] = r.Header
				}
				if got[0].Status != got[1].Status || got[0].Reason != got[1].Reason || got[0].User.ID != got[1].User.ID ||
					!reflect.DeepEqual(got[0].User.Groups, got[1].User.Groups) || !reflect.DeepEqual(got[0].User.Permissions, got[1].User.Permissions) ||
					!reflect.DeepEqual(got[0].User.Properties, got[1].User.Properties) || !reflect.DeepEqual(hdr[0], hdr[1]) {
					t.Errorf("strict %v %v %s: first %+v %v, memoised %+v %v", strict, u, p, got[0], hdr[0], got[1], hdr[1])
				}
			}
		}
	}
}
