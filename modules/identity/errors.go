package identity

import "github.com/workspaceops/workspaceops/platform/apperr"

// Domain errors. Adapters translate their own failures into these.
var (
	ErrUserNotFound       = apperr.New(apperr.NotFound, "user_not_found", "user not found")
	ErrEmailTaken         = apperr.New(apperr.Conflict, "email_taken", "an account with this email already exists")
	ErrInvalidCredentials = apperr.New(apperr.Unauthenticated, "invalid_credentials", "email or password is incorrect")
	ErrInvalidToken       = apperr.New(apperr.Unauthenticated, "invalid_token", "the token is missing, malformed, expired or not ours")
	ErrWrongPassword      = apperr.New(apperr.Forbidden, "wrong_password", "the current password is incorrect")
	ErrTooManyAttempts    = apperr.New(apperr.RateLimited, "too_many_attempts", "too many failed login attempts; try again later")
)
