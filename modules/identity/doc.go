// Package identity is the "who" of WorkspaceOps: users, password login, and the tokens that
// prove a request comes from a given user.
//
// It owns the User entity and the Register, Login, Refresh and Authenticate use cases. Storage,
// password hashing, token format and login throttling are ports (see ports.go), implemented by
// adapters and plugged in by the wiring in cmd/.
package identity
