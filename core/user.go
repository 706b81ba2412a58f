package core

// User is the caller as an identity source resolved it. The zero User is the
// anonymous caller.
type User struct {
	// ID is the user id; empty means anonymous.
	ID string
	// Groups the user belongs to.
	Groups []string
	// Permissions the user holds.
	Permissions []string
	// Properties is the whole identity document (userinfo body, JWT claims or
	// trusted properties); nil when there is none.
	Properties map[string]any

	// up, when set, holds the user's upstream header values, computed once
	// for a user that a cache shares between requests.
	up *upstream
}

// upstream are the values of the groups and properties headers of a user.
type upstream struct {
	groups, props string
}

// proxyProps are the user properties sent upstream (user_properties_to_proxy)
// and their names JSON-encoded.
type proxyProps struct {
	names, quoted []string
}

// upstreamOf returns the upstream header values of u: the precomputed ones
// of a cached user, else computed now.
func upstreamOf(p *proxyProps, u *User) *upstream {
	if u.up != nil {
		return u.up
	}
	return newUpstream(p, u)
}

// newUpstream computes the upstream header values of u.
func newUpstream(p *proxyProps, u *User) *upstream {
	up := &upstream{groups: joinGroups(u.Groups), props: "{}"}
	if p != nil && len(p.quoted) > 0 && len(u.Properties) > 0 {
		up.props = propertiesJSON(u.Properties, p.names, p.quoted)
	}
	return up
}

// withUpstream returns u with its upstream values computed, for a cache
// that shares it between requests (anonymous users need none).
func withUpstream(p *proxyProps, u User) User {
	if u.ID != "" && u.up == nil {
		u.up = newUpstream(p, &u)
	}
	return u
}

// Anonymous reports whether no user is present.
func (u *User) Anonymous() bool { return u.ID == "" }

// InGroup reports whether the user belongs to group g.
func (u *User) InGroup(g string) bool { return contains(u.Groups, g) }

// HasPermission reports whether the user holds permission p.
func (u *User) HasPermission(p string) bool { return contains(u.Permissions, p) }

func contains(list []string, s string) bool {
	for i := 0; i < len(list); i++ {
		if list[i] == s {
			return true
		}
	}
	return false
}
