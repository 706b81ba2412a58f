package expr

// Env is everything an expression can see: the caller's groups,
// permissions and identity document, the client type and whether the
// request is a backoffice one. The zero Env is the anonymous caller of a
// frontend request without a client type.
type Env struct {
	// Groups are read by groups.NAME and "x" in groups.
	Groups []string
	// Permissions are read by permissions.NAME and "x" in permissions.
	Permissions []string
	// User is the caller's identity document, read by user and user.FIELD.
	// nil means no user: user is null. A present user without properties
	// is an empty, non-nil map (user is then {} and truthy).
	User map[string]any
	// ClientType is the value of clientType ("" when the request has none).
	ClientType string
	// IsBackoffice is the value of isBackoffice.
	IsBackoffice bool
}

// contains reports whether s is one of list.
func contains(list []string, s string) bool {
	for i := 0; i < len(list); i++ {
		if list[i] == s {
			return true
		}
	}
	return false
}
