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
