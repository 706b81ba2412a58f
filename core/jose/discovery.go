package jose

// OpenID Connect Discovery: the key source discovery_url, an issuer's
// /.well-known/openid-configuration whose jwks_uri holds its keys.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// WellKnownOpenID is the path suffix of an OpenID configuration document
// (OpenID Connect Discovery 1.0 §4).
const WellKnownOpenID = "/.well-known/openid-configuration"

// discoveryConfig validates discovery_url and returns its redacted form
// (for warnings) and the issuer to require: issuer when set, else the URL
// without the well-known suffix, which is what the document's issuer must
// be (OpenID Connect Discovery §4.3).
func discoveryConfig(raw, issuer string) (string, string, error) {
	u, err := url.Parse(raw)
	if err == nil && u.User != nil {
		return "", "", errors.New("jwt: discovery_url " + strconv.Quote(u.Scheme+"://"+u.Host+u.EscapedPath()) + " must not hold user info")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", errors.New("jwt: discovery_url " + strconv.Quote(raw) + " must be an absolute http or https URL")
	}
	redacted := u.Scheme + "://" + u.Host + u.EscapedPath()
	if issuer != "" {
		return redacted, issuer, nil
	}
	if u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, WellKnownOpenID) {
		return "", "", errors.New("jwt: discovery_url " + strconv.Quote(raw) + " does not end with " + WellKnownOpenID + ": set issuer to the issuer it describes")
	}
	return redacted, raw[:len(raw)-len(WellKnownOpenID)], nil
}

// discoverJWKS reads the OpenID configuration at rawURL and returns its
// jwks_uri, after checking that its issuer is issuer. Errors name no
// credential.
func discoverJWKS(ctx context.Context, client *http.Client, rawURL, issuer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", errors.New("invalid request")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", errors.New("fetching the OpenID configuration failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return "", errors.New("OpenID configuration: status " + strconv.Itoa(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSSize+1))
	if err != nil {
		return "", errors.New("reading the OpenID configuration failed")
	}
	if len(body) > MaxJWKSSize {
		return "", errors.New("OpenID configuration larger than 1 MiB")
	}
	return discoveryJWKSURI(body, issuer)
}

// discoveryJWKSURI reads jwks_uri from an OpenID configuration document
// whose issuer must be issuer.
func discoveryJWKSURI(doc []byte, issuer string) (string, error) {
	m, err := DecodeObject(doc)
	if err != nil {
		return "", errors.New("the OpenID configuration is not a JSON object")
	}
	iss, _ := m["issuer"].(string)
	if iss != issuer {
		return "", errors.New("the OpenID configuration names issuer " + strconv.Quote(iss) + ", not " + strconv.Quote(issuer))
	}
	ju, _ := m["jwks_uri"].(string)
	u, err := url.Parse(ju)
	if ju == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("the OpenID configuration has no absolute http or https jwks_uri")
	}
	return ju, nil
}

// fetcherOption names the option a fetcher serves, for warnings.
func fetcherOption(f *jwksFetcher) string {
	if f.issuer != "" {
		return "discovery_url"
	}
	return "jwks_url"
}
