package realtime

import (
	"context"
	"time"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// Authenticator verifies a bearer token (identity.Service implements it).
type Authenticator interface {
	Verify(ctx context.Context, token string) (identity.Principal, error)
	// Recheck reports whether a principal verified earlier (an SSE ticket's) still stands.
	Recheck(ctx context.Context, p identity.Principal) error
}

// Replay reads the audit log for resume and gap filling (auditlog.Service implements it). The
// hub authorizes before it replays.
type Replay interface {
	// Since returns at most limit entries of the workspace with seq > afterSeq, oldest first.
	Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]auditlog.Entry, error)
	// Head returns the workspace's latest seq, 0 when it has none.
	Head(ctx context.Context, workspaceID string) (int64, error)
}

// Deps are what the hub needs; all but Options are required.
type Deps struct {
	Auth    Authenticator
	Authz   authz.Authorizer
	Replay  Replay
	Bus     Bus
	Options Options
}

// dbTimeout bounds one read of the log or one authorization.
const dbTimeout = 5 * time.Second
