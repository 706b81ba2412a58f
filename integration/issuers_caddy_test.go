package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// idCaddyStart runs Caddy on a Caddyfile of sites whose servers shut down
// gracefully (a grace period of 10 s, not the 1 ns of caddyStart), so that
// requests in flight during a reload finish.
func idCaddyStart(t *testing.T, sites []string, wait ...int) *caddyProc {
	t.Helper()
	return caddyStartWith(t, func(dir string, adminPort int) string {
		return idCaddyWrite(t, dir, adminPort, sites)
	}, wait...)
}

func idCaddyWrite(t *testing.T, dir string, adminPort int, sites []string) string {
	t.Helper()
	globals := strings.Replace(caddyGlobals(adminPort, ""), "grace_period 1ns", "grace_period 10s", 1)
	f := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(f, []byte(globals+strings.Join(sites, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func idRulesFile(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(f, []byte(idRules), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCaddyIdentitySources: two jwt blocks (one through discovery_url),
// token_from with a cookie and a query token, identity_order jwt userinfo
// with a browser session, all on one route of a real Caddy.
func TestCaddyIdentitySources(t *testing.T) {
	oidc := newIDOIDC(t)
	session := newSessionService(t)
	up := newUpstream(t)
	port := freePort(t)
	site := caddySite(port, fmt.Sprintf(`	authz {
		rules_file %s
		userinfo_url %s
		identity_order jwt userinfo
		jwt {
			issuer %s
			hmac_secret %s
			audience %s
			user_id_claim preferred_username
			groups_claim roles
			token_from header:Authorization cookie:at query:access_token
		}
		jwt {
			discovery_url %s/.well-known/openid-configuration
			audience %s
			user_id_claim client_id
			permissions_claim scope
		}
	}
	reverse_proxy %s`, idRulesFile(t), session.URL, idStaffIssuer, idStaffSecret, idStaffAud, oidc.URL, idMachineAud, strings.TrimPrefix(up.URL, "http://")))
	idCaddyStart(t, []string{site}, port)
	idRun(t, "127.0.0.1:"+strconv.Itoa(port), idCases(t, oidc))
	if oidc.docs.Load() == 0 {
		t.Error("the OpenID configuration was never fetched")
	}
}

// TestCaddyKeyRotation: a second signing_key published, then first, across
// a real `caddy reload`, under load: not one request fails.
func TestCaddyKeyRotation(t *testing.T) {
	up := newUpstream(t)
	dir := t.TempDir()
	oldKey, newKey := idWriteKey(t, dir, "old.pem"), idWriteKey(t, dir, "new.pem")
	rules := filepath.Join(dir, "auth.json")
	os.WriteFile(rules, []byte(`{"/orders/": {"GET": {"authorization": {"expression": "groups.admin", "public": false}}}}`), 0o644)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	site := func(keys, kids string) string {
		return caddySite(port, fmt.Sprintf(`	authz_token {
		issuer https://gw.test
		audience orders
		signing_key %s
		key_id %s
		client rot {
			secret rot-secret-rot-secret
			groups admin
		}
	}
	authz {
		rules_file %s
		jwt {
			jwks_url http://%s/.well-known/jwks.json
			issuer https://gw.test
			audience orders
		}
	}
	reverse_proxy %s`, keys, kids, rules, addr, strings.TrimPrefix(up.URL, "http://")))
	}
	p := idCaddyStart(t, []string{site(oldKey, "k1")}, port)
	reloadWith := func(keys, kids string) {
		idCaddyWrite(t, filepath.Dir(p.file), p.adminPort, []string{site(keys, kids)})
		out, err := caddyCmd(t, p.env, filepath.Dir(p.file), "reload", "--config", p.file, "--adapter", "caddyfile", "--address", "localhost:"+strconv.Itoa(p.adminPort))
		if err != nil {
			t.Errorf("caddy reload: %v\n%s", err, out)
		}
	}
	// the documented procedure: publish the new key (still signing with the
	// old one), then sign with it; both reloads under load
	reload := func() {
		reloadWith(oldKey+" "+newKey, "k1 k2")
		idWaitKids(t, addr, "k1,k2")
		reloadWith(newKey+" "+oldKey, "k2 k1")
	}
	idRotation(t, addr, reload, "k1", "k2,k1", "k2")
}

// TestCaddyTokenBruteForce: the 11th wrong secret within the window is
// 429, a correct secret too, until failure_window passes; max_failures 3
// refuses the 4th.
func TestCaddyTokenBruteForce(t *testing.T) {
	port := freePort(t)
	site := caddySite(port, `	handle /three/* {
		authz_token {
			token_path /three/oauth/token
			max_failures 3
			failure_window 2s
			client rot {
				secret rot-secret-rot-secret
			}
		}
	}
	authz_token {
		failure_window 2s
		client rot {
			secret rot-secret-rot-secret
		}
	}
	respond 404`)
	idCaddyStart(t, []string{site}, port)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	idBruteForce(t, addr, "/oauth/token", 10, 2*time.Second)
	idBruteForce(t, addr, "/three/oauth/token", 3, 2*time.Second)
}
