package caddyauthz

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
)

// TestCaddyfileAdapt runs testdata/caddyfile_adapt/*.caddyfiletest, in
// Caddy's own format: a Caddyfile, a line of ----------, then either the
// expected JSON (tab-indented, as `caddy adapt --pretty` prints it) or a
// substring of the expected adaptation error.
func TestCaddyfileAdapt(t *testing.T) {
	files, err := filepath.Glob("testdata/caddyfile_adapt/*.caddyfiletest")
	if err != nil || len(files) == 0 {
		t.Fatalf("no adapt tests: %v", err)
	}
	winNewlines := regexp.MustCompile(`\r?\n`)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.SplitN(string(data), "----------", 2)
			if len(parts) != 2 {
				t.Fatalf("%s: no ---------- separator", file)
			}
			caddyfile, expected := strings.TrimSpace(parts[0])+"\n", strings.TrimSpace(parts[1])
			expected = winNewlines.ReplaceAllString(expected, "\n")
			if strings.HasPrefix(expected, "{") {
				if !caddytest.CompareAdapt(t, file, caddyfile, "caddyfile", expected) {
					t.Errorf("failed to adapt %s", file)
				}
				return
			}
			_, _, err = caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
			if err == nil {
				t.Fatalf("expected an error containing %q, got none", expected)
			}
			if got := winNewlines.ReplaceAllString(err.Error(), "\n"); !strings.Contains(got, expected) {
				t.Errorf("expected an error containing:\n%s\ngot:\n%s", expected, got)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite testdata/demo_caddyfile.json from ../testdata/Caddyfile")

// TestAdaptDemoCaddyfile adapts the `make run` demo (../testdata/Caddyfile)
// and compares it with testdata/demo_caddyfile.json; -update rewrites the
// expected file.
func TestAdaptDemoCaddyfile(t *testing.T) {
	in, err := os.ReadFile("../testdata/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/demo_caddyfile.json"
	if *update {
		out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(in, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		json.Indent(&buf, out, "", "\t")
		buf.WriteByte('\n')
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !caddytest.CompareAdapt(t, "../testdata/Caddyfile", string(in), "caddyfile", strings.TrimSpace(string(want))) {
		t.Error("../testdata/Caddyfile does not adapt to " + golden + " (go test -run TestAdaptDemoCaddyfile -update rewrites it)")
	}
}

// TestDirectiveOrder checks the order that RegisterDirectiveOrder gives:
// authz_token, then basic_auth, then authz, then the handlers that proxy
// or respond, with no `order` global option.
func TestDirectiveOrder(t *testing.T) {
	cfg := `:8080 {
	reverse_proxy 127.0.0.1:9000
	authz
	forward_auth 127.0.0.1:9001 {
		uri /auth
	}
	basic_auth {
		admin $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG
	}
	authz_token {
		client a {
			secret s
		}
	}
}
`
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Routes []struct {
						Handle []map[string]any `json:"handle"`
					} `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Apps.HTTP.Servers["srv0"].Routes {
		for _, h := range r.Handle {
			got = append(got, h["handler"].(string))
		}
	}
	want := "authz_token authentication authz reverse_proxy reverse_proxy"
	if strings.Join(got, " ") != want {
		t.Errorf("handler order %q, want %q", strings.Join(got, " "), want)
	}
}
