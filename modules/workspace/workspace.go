package workspace

import (
	"github.com/workspaceops/workspaceops/platform/text"
	"time"
)

// MaxNameLen is the longest workspace name, in characters.
const MaxNameLen = 100

// Workspace is a shared space that members work in.
type Workspace struct {
	ID        string
	Name      string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// OwnerCount never exceeds the number of OWNER memberships: it is decremented before an
	// owner is demoted or removed (refused at 1) and incremented after one is made, so even a
	// crash between the two writes cannot leave a workspace without an owner.
	OwnerCount int
}

// Membership is a user's role in a workspace.
type Membership struct {
	WorkspaceID string
	UserID      string
	Role        Role
	JoinedAt    time.Time
}

// Invitation is a pending membership for an email that has no account yet. It becomes a
// Membership when that email registers, unless it expired or was revoked first.
type Invitation struct {
	ID          string
	WorkspaceID string
	Email       string
	Role        Role
	InvitedBy   string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Expired reports whether the invitation can no longer be accepted at now.
func (i Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

func normalizeName(name string) (string, string) { return text.Line(name, MaxNameLen) }
