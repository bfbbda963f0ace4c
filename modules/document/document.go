package document

import (
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// Limits on document fields.
const (
	MaxNameLen  = 255
	MaxTitleLen = 200
)

// ExpiryStatus tells whether a document is still good.
type ExpiryStatus string

// The expiry statuses, in the order time moves a document through them.
const (
	Valid        ExpiryStatus = "VALID"
	ExpiringSoon ExpiryStatus = "EXPIRING_SOON"
	Expired      ExpiryStatus = "EXPIRED"
)

// ParseExpiryStatus reads an expiry status name.
func ParseExpiryStatus(s string) (ExpiryStatus, error) {
	switch e := ExpiryStatus(s); e {
	case Valid, ExpiringSoon, Expired:
		return e, nil
	}
	return "", apperr.Validation(apperr.FieldError{Field: "expiryStatus", Message: "must be one of VALID, EXPIRING_SOON, EXPIRED"})
}

// ExpiryStatusAt is the status of a document expiring at expiresAt (nil: never), seen at now,
// with "expiring soon" meaning within window of the expiry. Boundaries: at exactly expiresAt it
// is EXPIRED; at exactly expiresAt-window it is EXPIRING_SOON.
func ExpiryStatusAt(expiresAt *time.Time, now time.Time, window time.Duration) ExpiryStatus {
	switch {
	case expiresAt == nil:
		return Valid
	case !now.Before(*expiresAt):
		return Expired
	case !now.Before(expiresAt.Add(-window)):
		return ExpiringSoon
	}
	return Valid
}

// Document is an uploaded file's metadata. Its bytes live in the blob store under BlobID.
type Document struct {
	ID           string
	WorkspaceID  string
	Name         string // sanitised file name
	Title        string // defaults to Name
	Size         int64
	ContentType  string // sniffed from the bytes
	SHA256       string // lowercase hex
	BlobID       string
	UploadedBy   string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ExpiresAt    *time.Time
	ExpiryStatus ExpiryStatus // as last stored; the sweeper keeps it current
	Version      int64
}

// Clone copies d so that changing the copy's expiry leaves d as it was: repositories hand
// change functions a clone of what they loaded.
func (d Document) Clone() Document {
	if d.ExpiresAt != nil {
		e := *d.ExpiresAt
		d.ExpiresAt = &e
	}
	return d
}

// Revision returns Version, for the generic stores of platform/versioned (a constraint can
// ask for a method, not a field).
func (d Document) Revision() int64 { return d.Version }

// Succeed makes d the version a store writes over prev: a change cannot move a document to
// another id or workspace, and every write increments the version.
func (d *Document) Succeed(prev Document) {
	d.ID, d.WorkspaceID, d.Version = prev.ID, prev.WorkspaceID, prev.Version+1
}
