package core

import "testing"

func TestCanonicalPath(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{in: "/", want: "/"},
		{in: "/users", want: "/users"},
		{in: "/users/", want: "/users/"},
		{in: "/users/7", want: "/users/7"},
		{in: "//users", want: "/users"},
		{in: "/users//7", want: "/users/7"},
		{in: "/users///", want: "/users/"},
		{in: "/a/./b", want: "/a/b"},
		{in: "/a/.", want: "/a/"},
		{in: "/a/b/..", want: "/a/"},
		{in: "/a/b/../c", want: "/a/c"},
		{in: "/public/../admin", want: "/admin"},
		{in: "/public/./../admin", want: "/admin"},
		{in: "/public/%2e%2e/admin", want: "/admin"},
		{in: "/public/%2E%2e/admin", want: "/admin"},
		{in: "/public/.%2e/admin", want: "/admin"},
		{in: "/public/%2e/admin", want: "/public/admin"},
		{in: "/api%2e%2e/x", want: "/api../x"},
		{in: "/%252e%252e/x", bad: true},
		{in: "/a%252fb", bad: true},
		{in: "/a%2541", bad: true},
		{in: "/%25%32%65%25%32%65/x", bad: true},
		{in: "/a%25%34%31", bad: true},
		{in: "/100%25", want: "/100%"},
		{in: "/100%25/x", want: "/100%/x"},
		{in: "/a%25zz", want: "/a%zz"},
		{in: "/admin;jsessionid=x", bad: true},
		{in: "/public/..;/admin/x", bad: true},
		{in: "/admin%3Bx", bad: true},
		{in: "/admin%3bx", bad: true},
		{in: "/admin;", bad: true},
		{in: "/;/admin", bad: true},
		{in: "/a%20b", want: "/a b"},
		{in: "/%41", want: "/A"},
		{in: "/caf%C3%A9", want: "/café"},
		{in: "/%2F%2F", bad: true},
		{in: "/admin%2fsecret", bad: true},
		{in: "/admin%2Fsecret", bad: true},
		{in: "/a%5Cb", bad: true},
		{in: "/a%5cb", bad: true},
		{in: "/a\\b", bad: true},
		{in: "/a%00b", bad: true},
		{in: "/a\x00b", bad: true},
		{in: "/a%0Ab", bad: true},
		{in: "/a%7Fb", bad: true},
		{in: "/a\tb", bad: true},
		{in: "/..", bad: true},
		{in: "/../x", bad: true},
		{in: "/a/../..", bad: true},
		{in: "/%2e%2e/x", bad: true},
		{in: "/a%", bad: true},
		{in: "/a%2", bad: true},
		{in: "/a%zz", bad: true},
		{in: "", bad: true},
		{in: "users", bad: true},
		{in: "*", bad: true},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		got, err := CanonicalPath(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("CanonicalPath(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CanonicalPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		// canonical is a fixed point of re-escaped input without escapes
		if again, err := CanonicalPath(got); err == nil && again != got && !containsByte(got, '%') {
			t.Errorf("CanonicalPath(%q) = %q, not a fixed point", got, again)
		}
	}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
