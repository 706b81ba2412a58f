package integration

// `caddy authz lint|explain|test` from the real xcaddy binary and the
// standalone `aclgate` command, on the demo's rules, against the same
// golden files (go test -run TestToolingGolden -update rewrites them).

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of TestToolingGolden")

var toolingCases = []struct {
	golden string
	args   []string
}{
	{"lint-demo", []string{"lint", "testdata/auth.json"}},
	{"lint-mistakes", []string{"lint", "core/ruletool/testdata/mistakes.json"}},
	{"explain-reader", []string{"explain", "--rules", "testdata/auth.json", "--method", "GET", "--path", "/api/users/7",
		"--user", `{"sub":"bob","groups":["user"],"permissions":["users:read"]}`}},
	{"explain-backoffice", []string{"explain", "--rules", "testdata/auth.json", "--method", "DELETE", "--path", "/api//users/./7",
		"--backoffice", "--header", "miauserid: alice", "--header", "miausergroups: admin"}},
	{"explain-mobile", []string{"explain", "--rules", "testdata/auth.json", "--method", "GET", "--path", "/api/mobile/feed", "--client-type", "mobile"}},
	{"test-demo", []string{"test", "--rules", "testdata/auth.json", "testdata/auth.cases.json"}},
	{"test-wrong", []string{"test", "--rules", "testdata/auth.json", "core/ruletool/testdata/wrong.cases.json"}},
}

func TestToolingGolden(t *testing.T) {
	root := repoRoot(t)
	aclgate := filepath.Join(t.TempDir(), "aclgate")
	build := exec.Command("go", "build", "-o", aclgate, "./cmd/aclgate")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/aclgate: %v\n%s", err, out)
	}
	doors := []struct {
		name   string
		prefix []string
	}{
		{"aclgate", []string{aclgate}},
		{"caddy authz", []string{binary(t, "CADDY_BIN"), "authz"}},
	}
	for _, c := range toolingCases {
		golden := filepath.Join("testdata", "golden", c.golden+".txt")
		for _, door := range doors {
			cmd := exec.Command(door.prefix[0], append(door.prefix[1:], c.args...)...)
			cmd.Dir = root
			var stdout, stderr bytes.Buffer
			cmd.Stdout = &stdout
			cmd.Stderr = &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			got := "exit " + strconv.Itoa(code) + "\n" + stdout.String()
			if *updateGolden && door.name == "aclgate" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s %q:\n%s\nwant (%s):\n%s\nstderr: %s", door.name, c.args, got, golden, want, stderr.String())
			}
		}
	}
}
