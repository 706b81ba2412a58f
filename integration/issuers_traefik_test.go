package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// idTraefikDynamic is the dynamic configuration of the identity tests:
// entry point ids (two issuers as a jwt list, one through discoveryUrl;
// tokenFrom; identityOrder with userinfo), rot (a token endpoint and a
// single jwt object reading its JWKS; keys as given), bf and bf3 (token
// endpoints with failureWindow 2s, the second with maxFailures 3).
func idTraefikDynamic(eps map[string]string, oidc, session, app, rules, rotRules, rotKeys string) string {
	q := traefikTokenQ
	return fmt.Sprintf(`
http:
  routers:
    ids:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [ids]
      middlewares: [ids]
      service: app
    rot:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [rot]
      middlewares: [rot]
      service: app
    bf:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [bf]
      middlewares: [bf]
      service: app
    bf3:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [bf3]
      middlewares: [bf3]
      service: app
  middlewares:
    ids:
      plugin:
        aclgate:
          rulesFile: %[1]s
          userinfoUrl: %[2]s
          identityOrder: [jwt, userinfo]
          jwt:
            - issuer: %[3]s
              hmacSecret: %[4]s
              audience: [%[5]s]
              userIdClaim: preferred_username
              groupsClaim: roles
              tokenFrom: ["header:Authorization", "cookie:at", "query:access_token"]
            - discoveryUrl: %[6]s
              audience: [%[7]s]
              userIdClaim: client_id
              permissionsClaim: scope
    rot:
      plugin:
        aclgate:
          rulesFile: %[8]s
          tokenEndpoint:
            issuer: https://gw.test
            audience: [orders]%[9]s
            clients:
              - id: rot
                secret: rot-secret-rot-secret
                groups: [admin]
          jwt:
            jwksUrl: %[10]s
            issuer: https://gw.test
            audience: [orders]
    bf:
      plugin:
        aclgate:
          tokenEndpoint:
            failureWindow: 2s
            clients:
              - id: rot
                secret: rot-secret-rot-secret
    bf3:
      plugin:
        aclgate:
          tokenEndpoint:
            maxFailures: 3
            failureWindow: 2s
            clients:
              - id: rot
                secret: rot-secret-rot-secret
  services:
    app:
      loadBalancer:
        servers:
          - url: %[11]s
`, q(rules), q(session), q(idStaffIssuer), q(idStaffSecret), q(idStaffAud), q(oidc+"/.well-known/openid-configuration"), q(idMachineAud),
		q(rotRules), rotKeys, q("http://"+eps["rot"]+"/.well-known/jwks.json"), q(app))
}

// TestTraefikIdentity: in a real Traefik, every new key of the plugin:
// jwt as a list (two issuers, each with its audience and claim mapping),
// discoveryUrl, tokenFrom (cookie, query removed before the service),
// identityOrder; then the token endpoint's signingKey/signingKeys and
// keyId/keyIds across a dynamic-configuration reload under load, and
// maxFailures/failureWindow.
func TestTraefikIdentity(t *testing.T) {
	oidc := newIDOIDC(t)
	session := newSessionService(t)
	up := newUpstream(t)
	dir := t.TempDir()
	oldKey, newKey := idWriteKey(t, dir, "old.pem"), idWriteKey(t, dir, "new.pem")
	rotRules := filepath.Join(dir, "rot.json")
	os.WriteFile(rotRules, []byte(`{"/orders/": {"GET": {"authorization": {"expression": "groups.admin", "public": false}}}}`), 0o644)
	rules := idRulesFile(t)
	before := "\n            signingKey: " + traefikTokenQ(oldKey) + "\n            keyId: k1"
	after := "\n            signingKey: " + traefikTokenQ(newKey) + "\n            signingKeys: [" + traefikTokenQ(oldKey) + "]\n            keyId: k2\n            keyIds: [k1]"
	published := "\n            signingKey: " + traefikTokenQ(oldKey) + "\n            signingKeys: [" + traefikTokenQ(newKey) + "]\n            keyId: k1\n            keyIds: [k2]"
	var eps map[string]string
	p := traefikStart(t, []traefikEntryPoint{{name: "ids"}, {name: "rot"}, {name: "bf"}, {name: "bf3"}}, func(e map[string]string) string {
		eps = e
		return idTraefikDynamic(e, oidc.URL, session.URL, up.URL, rules, rotRules, before)
	})
	p.waitEnabled(t, "ids@file", "rot@file", "bf@file", "bf3@file")

	t.Run("identity sources", func(t *testing.T) {
		idRun(t, eps["ids"], idCases(t, oidc))
		if oidc.docs.Load() == 0 {
			t.Error("the OpenID configuration was never fetched")
		}
	})
	t.Run("key rotation across a dynamic reload", func(t *testing.T) {
		// the documented procedure: publish the new key (still signing
		// with the old one), then sign with it; both reloads under load
		reload := func() {
			p.rewrite(t, idTraefikDynamic(eps, oidc.URL, session.URL, up.URL, rules, rotRules, published))
			idWaitKids(t, eps["rot"], "k1,k2")
			p.rewrite(t, idTraefikDynamic(eps, oidc.URL, session.URL, up.URL, rules, rotRules, after))
		}
		idRotation(t, eps["rot"], reload, "k1", "k2,k1", "k2")
	})
	t.Run("brute force", func(t *testing.T) {
		// the reload re-created the middlewares: wait for them
		deadline := time.Now().Add(10 * time.Second)
		for idKids(t, eps["bf"]) == "" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		idBruteForce(t, eps["bf"], "/oauth/token", 10, 2*time.Second)
		idBruteForce(t, eps["bf3"], "/oauth/token", 3, 2*time.Second)
	})
	if t.Failed() {
		t.Logf("traefik logs:\n%s", traefikTail(strings.TrimSpace(p.logs.String()), 30))
	}
}
