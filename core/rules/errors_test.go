package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadErrorPositions: every error of a rules document names the
// source (the file name or rules_json), the line and the column, and
// "defined twice" names both definitions.
func TestLoadErrorPositions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.json")
	cases := []struct {
		name  string
		file  string // written to auth.json when set
		json  string
		rules []Rule
		want  []string
	}{
		{
			name: "syntax error in the file: trailing comma",
			file: "{\n  \"/\": {\n    \"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}},\n  }\n}\n",
			want: []string{`rules_file "` + file + `", line 4, column 3: invalid JSON: invalid character '}' looking for beginning of object key string`},
		},
		{
			name: "syntax error inside a literal",
			json: "{\n \"/\": {\"GET\": {\"authorization\": {\"expression\": tru}}}}",
			want: []string{"rules_json, line 2, column 48: invalid JSON: invalid character '}' in literal true"},
		},
		{
			name: "missing colon",
			json: "{\"/\" {}}",
			want: []string{"rules_json, line 1, column 6: invalid JSON: invalid character '{' after object key"},
		},
		{
			name: "truncated document",
			json: "{\n\"/\": {",
			want: []string{"rules_json, line 2, column 7: invalid JSON: unexpected end of the document"},
		},
		{
			name: "unknown method at its key",
			json: "{\n  \"/a\": {\n    \"FETCH\": {}}}",
			want: []string{`rules_json, line 3, column 5: path "/a", method "FETCH": unknown method`},
		},
		{
			name: "bad expression: the key's position and the column in the expression",
			json: "{\n\"/a\": {\"GET\": {\"authorization\": {\"expression\": \"groups.\", \"public\": false}}}}",
			want: []string{`rules_json, line 2, column 8: path "/a", method "GET", field "authorization.expression": column 8: expected a name`},
		},
		{
			name: "the same path twice in one document",
			json: "{\n\"/a\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}},\n\"/a\": {}}",
			want: []string{`rules_json, line 3, column 1: path "/a": path defined twice in this document, first at line 2, column 1`},
		},
		{
			name: "/u/:id next to /u/{id}",
			json: "{\n\"/u/:id\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}},\n\"/u/{id}\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}}}",
			want: []string{
				`rules_json, line 3, column 13: path "/u/{id}", method "GET", field "authorization": defined twice: already defined by rules_json, line 2, column 12 as "/u/:id"`,
				"keys that differ only in their parameter names are the same route",
			},
		},
		{
			name:  "a file rule next to an inline one",
			file:  "{\"/x\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}}}}",
			rules: []Rule{{Method: "POST", Path: "/x", Expression: "true"}, {Method: "GET", Path: "/x", Expression: "false", Name: "rules[1]"}},
			want:  []string{`rules[1]: path "/x", method "GET", field "authorization": defined twice: already defined by rules_file "` + file + `", line 1, column 9`},
		},
		{
			name:  "two inline rules",
			rules: []Rule{{Method: "GET", Path: "/v/:a", Expression: "true"}, {Method: "GET", Path: "/v/:b", Expression: "true"}},
			want:  []string{`rule[1]: path "/v/:b", method "GET", field "authorization": defined twice: already defined by rule[0] as "/v/:a"`},
		},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			src := Source{JSON: tc.json, Rules: tc.rules}
			if tc.file != "" {
				if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				src.File = file
			}
			_, err := Load(src)
			if err == nil {
				t.Fatal("loaded")
			}
			for j := 0; j < len(tc.want); j++ {
				if !strings.Contains(err.Error(), tc.want[j]) {
					t.Errorf("error %q\ndoes not contain %q", err.Error(), tc.want[j])
				}
			}
		})
	}
}
