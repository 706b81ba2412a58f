package main

import (
	"fmt"
	"sort"
	"strings"
)

// faultRules: a public and a protected route.
const faultRules = `{"/public/": {"GET": {"authorization": {"expression": "true", "public": true}}}, "/private/": {"GET": {"authorization": {"expression": "groups.users", "public": false}}}}`

// faults measures authz inline with userinfo (no cache) in Caddy and in
// Traefik while the identity service is healthy, fails every other call,
// and is healthy again.
func faults(o options) (string, error) {
	id, err := startIdentity()
	if err != nil {
		return "", err
	}
	up, err := startUpstream()
	if err != nil {
		return "", err
	}
	userinfo := "http://" + id.addr + "/userinfo"
	cp, err := startCaddy(o.caddy, []site{{name: "authz", caddy: fmt.Sprintf(
		"\tauthz {\n\t\tuserinfo_url %s\n\t\tuserinfo_timeout 2s\n\t\trules_json `%s`\n\t}\n\treverse_proxy %s", userinfo, faultRules, up.addr)}})
	if err != nil {
		return "", err
	}
	defer cp.stop()
	tp, err := startTraefik(o.traefik, o.root, up.addr, []site{{name: "authz", traefik: fmt.Sprintf(
		"userinfoUrl: %s\nuserinfoTimeout: 2s\nrulesJson: '%s'", userinfo, faultRules)}})
	if err != nil {
		return "", err
	}
	defer tp.stop()

	type row struct {
		gateway, phase, route string
		rps                   []float64
		p50, p99              string
		non2xx, requests      int64
	}
	var rows []*row
	get := func(gw, phase, route string) *row {
		for _, r := range rows {
			if r.gateway == gw && r.phase == phase && r.route == route {
				return r
			}
		}
		r := &row{gateway: gw, phase: phase, route: route}
		rows = append(rows, r)
		return r
	}
	phases := []struct {
		name    string
		failing bool
	}{{"healthy", false}, {"failing half", true}, {"recovered", false}}
	for _, ph := range phases {
		id.failing.Store(ph.failing)
		for round := 0; round < o.rounds; round++ {
			for _, gw := range []*proc{cp, tp} {
				for _, route := range []string{"/public/x", "/private/x"} {
					res, err := runWrk("http://"+gw.addrs["authz"]+route, o.duration, o.conns, "Authorization: Bearer bench")
					if err != nil {
						return "", err
					}
					r := get(gw.name, ph.name, route)
					r.rps = append(r.rps, res.rps)
					r.non2xx += res.non2xx
					r.requests += res.requests
					r.p50, r.p99 = ms(res.p50), ms(res.p99)
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("| gateway | identity service | route | requests/s (median of rounds) | vs healthy | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		base := get(r.gateway, "healthy", r.route)
		fmt.Fprintf(&b, "| %s | %s | `%s` | %.0f | %.2f× | %s | %s | %.1f %% |\n", r.gateway, r.phase, r.route,
			median(r.rps), median(r.rps)/median(base.rps), r.p50, r.p99, 100*float64(r.non2xx)/float64(max64(r.requests, 1)))
	}
	fmt.Fprintf(&b, "\n%d identity calls in all; %d rounds of %s per row, wrk -c%d, rounds alternating between the gateways.\n",
		id.calls.Load(), o.rounds, o.duration, o.conns)
	return b.String(), nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
