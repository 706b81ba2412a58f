package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aclgate/aclgate/core/jose"
)

// gatewayRules: a protected route for the group of the benchmark user.
const gatewayRules = `{"/api/": {"GET": {"authorization": {"expression": "groups.users || permissions[\"read\"]", "public": false}}}}`

// benchCase is one row of the gateways scenario: a site of a gateway and
// the headers of its requests.
type benchCase struct {
	gateway, name string
	site          string
	headers       []string
	baseline      string // the row this one is compared with
}

// keys makes the RS256 key of the JWT cases: its public PEM file and a
// token valid for a day.
func keys(dir string) (pemFile, token string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	pemFile = filepath.Join(dir, "jwt.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	s, err := jose.NewSigner(key)
	if err != nil {
		return "", "", err
	}
	token, err = s.Sign(map[string]any{"typ": "JWT"}, map[string]any{"sub": "bench-user", "groups": []string{"users"},
		"aud": "bench", "exp": time.Now().Add(24 * time.Hour).Unix()})
	return pemFile, token, err
}

// hs256 signs claims with secret (the memory scenario's many tokens).
func hs256(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	cb, _ := json.Marshal(claims)
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(cb)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// gateways measures every way of running the decision side by side.
func gateways(o options) (string, error) {
	id, err := startIdentity()
	if err != nil {
		return "", err
	}
	up, err := startUpstream()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "aclgate-bench")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	pemFile, token, err := keys(dir)
	if err != nil {
		return "", err
	}
	userinfo := "http://" + id.addr + "/userinfo"
	proxy := "\treverse_proxy " + up.addr
	authz := func(body string) string {
		return "\tauthz {\n" + body + "\n\t\trules_json `" + gatewayRules + "`\n\t}\n" + proxy
	}
	// the decision-mode Caddy that Caddy's forward_auth and Traefik's
	// forwardAuth ask
	dp, err := startCaddy(o.caddy, []site{{name: "decision", caddy: "\tauthz {\n\t\tmode decision\n\t\tuserinfo_url " + userinfo +
		"\n\t\tcache_ttl 10m\n\t\trules_json `" + gatewayRules + "`\n\t}"}})
	if err != nil {
		return "", err
	}
	defer dp.stop()
	decision := dp.addrs["decision"]
	cp, err := startCaddy(o.caddy, []site{
		{name: "plain", caddy: proxy},
		{name: "trusted", caddy: authz("\t\ttrust_user_headers")},
		{name: "userinfo-cached", caddy: authz("\t\tuserinfo_url " + userinfo + "\n\t\tcache_ttl 10m")},
		{name: "userinfo", caddy: authz("\t\tuserinfo_url " + userinfo)},
		{name: "jwt", caddy: authz("\t\tjwt {\n\t\t\tpublic_key_file " + pemFile + "\n\t\t\taudience bench\n\t\t}")},
		{name: "forward", caddy: "\tforward_auth " + decision + " {\n\t\turi /auth\n\t\tcopy_headers mia-userid mia-groups mia-userproperties\n" +
			"\t\theader_up -Original-Request-Uri\n\t\theader_up -Original-Request-Method\n\t}\n" + proxy},
	})
	if err != nil {
		return "", err
	}
	defer cp.stop()
	tp, err := startTraefik(o.traefik, o.root, up.addr, []site{
		{name: "plain"},
		{name: "trusted", traefik: "trustUserHeaders: true\nrulesJson: '" + gatewayRules + "'"},
		{name: "userinfo-cached", traefik: "userinfoUrl: " + userinfo + "\ncacheTtl: 10m\nrulesJson: '" + gatewayRules + "'"},
		{name: "jwt", traefik: "jwt:\n  publicKeyFile: " + pemFile + "\n  audience: bench\nrulesJson: '" + gatewayRules + "'"},
		{name: "forward", traefikMiddleware: "forwardAuth:\n  address: http://" + decision + "/auth\n  trustForwardHeader: false\n" +
			"  authRequestHeaders: [Authorization, Cookie]\n  authResponseHeaders: [Mia-Allowed, Mia-Userid, Mia-Groups, Mia-Userproperties]"},
	})
	if err != nil {
		return "", err
	}
	defer tp.stop()

	trusted := []string{"Miauserid: bench-user", "Miausergroups: users", `Miauserproperties: {"email":"bench@example.com"}`}
	bearer := []string{"Authorization: Bearer bench"}
	jwt := []string{"Authorization: Bearer " + token}
	// every case is compared with the plain gateway answering the same
	// requests (a JWT makes a request several hundred bytes larger)
	cases := []benchCase{
		{"caddy", "plain (Bearer opaque)", "plain", bearer, ""},
		{"caddy", "plain (trusted headers)", "plain", trusted, ""},
		{"caddy", "plain (Bearer JWT)", "plain", jwt, ""},
		{"caddy", "authz, trusted headers", "trusted", trusted, "caddy/plain (trusted headers)"},
		{"caddy", "authz, userinfo cached", "userinfo-cached", bearer, "caddy/plain (Bearer opaque)"},
		{"caddy", "authz, userinfo uncached", "userinfo", bearer, "caddy/plain (Bearer opaque)"},
		{"caddy", "authz, JWT RS256", "jwt", jwt, "caddy/plain (Bearer JWT)"},
		{"caddy", "forward_auth → decision-mode Caddy", "forward", bearer, "caddy/plain (Bearer opaque)"},
		{"traefik", "plain (Bearer opaque)", "plain", bearer, ""},
		{"traefik", "plain (trusted headers)", "plain", trusted, ""},
		{"traefik", "plain (Bearer JWT)", "plain", jwt, ""},
		{"traefik", "plugin, trusted headers", "trusted", trusted, "traefik/plain (trusted headers)"},
		{"traefik", "plugin, userinfo cached", "userinfo-cached", bearer, "traefik/plain (Bearer opaque)"},
		{"traefik", "plugin, JWT RS256", "jwt", jwt, "traefik/plain (Bearer JWT)"},
		{"traefik", "forwardAuth → decision-mode Caddy", "forward", bearer, "traefik/plain (Bearer opaque)"},
	}
	procs := map[string]*proc{"caddy": cp, "traefik": tp}
	rps := map[string][]float64{}
	lat := map[string][2]time.Duration{}
	non2xx := map[string]int64{}
	for round := 0; round < o.rounds; round++ {
		for _, c := range cases {
			res, err := runWrk("http://"+procs[c.gateway].addrs[c.site]+"/api/x", o.duration, o.conns, c.headers...)
			if err != nil {
				return "", err
			}
			k := c.gateway + "/" + c.name
			rps[k] = append(rps[k], res.rps)
			lat[k] = [2]time.Duration{res.p50, res.p99}
			non2xx[k] += res.non2xx + res.errors
		}
	}
	var b strings.Builder
	b.WriteString("| gateway | case | requests/s (median) | rounds | p50 ms | p99 ms | vs plain, same requests | failed |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range cases {
		k := c.gateway + "/" + c.name
		ratio := "—"
		if c.baseline != "" {
			ratio = fmt.Sprintf("%.2f×", median(rps[k])/median(rps[c.baseline]))
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %s | %d |\n", c.gateway, c.name, median(rps[k]), roundList(rps[k]),
			ms(lat[k][0]), ms(lat[k][1]), ratio, non2xx[k])
	}
	ratio := func(a, bk string) float64 { return median(rps[a]) / median(rps[bk]) }
	fmt.Fprintf(&b, "\nCaddy inline (userinfo cached) vs the forward_auth design: %.2f×. Traefik plugin (userinfo cached) vs forwardAuth to the decision-mode service: %.2f×.\n",
		ratio("caddy/authz, userinfo cached", "caddy/forward_auth → decision-mode Caddy"), ratio("traefik/plugin, userinfo cached", "traefik/forwardAuth → decision-mode Caddy"))
	fmt.Fprintf(&b, "%d rounds of %s per case, wrk -c%d, cases alternating within each round; \"failed\" counts non-2xx answers and socket errors.\n",
		o.rounds, o.duration, o.conns)
	return b.String(), nil
}

func roundList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(parts, ", ")
}
