package sqlite

import (
	"context"
	"database/sql"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
)

// Export reads everything stored, in pages by key, for `workspaceops copy` (a move to MongoDB).
// Each method calls fn for every record in key order and stops at fn's first error. Pages are
// separate reads, so the database should not change meanwhile: copy runs with the service
// stopped (the directory lock makes sure).
type Export struct{ db *DB }

// NewExport returns the reader of everything in db.
func NewExport(db *DB) *Export { return &Export{db: db} }

// exportPage is how many records one read returns.
const exportPage = 500

// page runs query from the first key, then after the key of the last row of each full page,
// until a page comes back short. query takes the key's values, then a limit; scan handles one
// row and returns its key.
func (x *Export) page(ctx context.Context, query string, first []any, scan func(*sql.Rows) ([]any, error)) error {
	after := first
	for {
		n := 0
		var last []any
		err := x.db.each(ctx, x.db.r, func(rows *sql.Rows) error {
			key, err := scan(rows)
			n, last = n+1, key
			return err
		}, query, append(append([]any{}, after...), exportPage)...)
		if err != nil {
			return err
		}
		if n < exportPage {
			return nil
		}
		after = last
	}
}

// Users calls fn for every user, by id.
func (x *Export) Users(ctx context.Context, fn func(identity.User) error) error {
	return x.page(ctx, "SELECT "+userColumns+" FROM users WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		return []any{u.ID}, fn(u)
	})
}

// Workspaces calls fn for every workspace, by id.
func (x *Export) Workspaces(ctx context.Context, fn func(workspace.Workspace) error) error {
	return x.page(ctx, "SELECT "+workspaceColumns+" FROM workspaces WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, err
		}
		return []any{w.ID}, fn(w)
	})
}

// Memberships calls fn for every membership, by workspace then user.
func (x *Export) Memberships(ctx context.Context, fn func(workspace.Membership) error) error {
	return x.page(ctx, "SELECT "+membershipColumns+" FROM memberships WHERE (workspace_id, user_id) > (?, ?) ORDER BY workspace_id, user_id LIMIT ?",
		[]any{"", ""}, func(rows *sql.Rows) ([]any, error) {
			m, err := scanMembership(rows)
			if err != nil {
				return nil, err
			}
			return []any{m.WorkspaceID, m.UserID}, fn(m)
		})
}

// Invitations calls fn for every invitation, expired ones included, by id.
func (x *Export) Invitations(ctx context.Context, fn func(workspace.Invitation) error) error {
	return x.page(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		return []any{inv.ID}, fn(inv)
	})
}

// WorkItems calls fn for every work item, with its tags and links, by id.
func (x *Export) WorkItems(ctx context.Context, fn func(workitem.WorkItem) error) error {
	return x.page(ctx, "SELECT "+workItemColumns+" FROM work_items WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		w, err := scanWorkItem(rows)
		if err != nil {
			return nil, err
		}
		return []any{w.ID}, fn(w)
	})
}

// Documents calls fn for every document's metadata, by id.
func (x *Export) Documents(ctx context.Context, fn func(document.Document) error) error {
	return x.page(ctx, "SELECT "+documentColumns+" FROM documents WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		return []any{d.ID}, fn(d)
	})
}

// Blobs calls fn for every complete blob, by id (its content opens with Blobs.Open).
func (x *Export) Blobs(ctx context.Context, fn func(document.Blob) error) error {
	return x.page(ctx, "SELECT id, size, sha256, content_type FROM blobs WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		var b document.Blob
		if err := rows.Scan(&b.ID, &b.Size, &b.SHA256, &b.ContentType); err != nil {
			return nil, err
		}
		return []any{b.ID}, fn(b)
	})
}

// AuditEntries calls fn for every audit entry, by workspace then seq (so each workspace's
// entries come 1, 2, 3, ...).
func (x *Export) AuditEntries(ctx context.Context, fn func(auditlog.Entry) error) error {
	return x.page(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE (workspace_id, seq) > (?, ?) ORDER BY workspace_id, seq LIMIT ?",
		[]any{"", 0}, func(rows *sql.Rows) ([]any, error) {
			e, err := scanEntry(rows)
			if err != nil {
				return nil, err
			}
			return []any{e.WorkspaceID, e.Seq}, fn(e)
		})
}

// APIKeys calls fn for every API key, by id.
func (x *Export) APIKeys(ctx context.Context, fn func(apikey.Key) error) error {
	return x.page(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		return []any{k.ID}, fn(k)
	})
}

// Webhooks calls fn for every webhook, by id (their deliveries log, kept 7 days, is not
// exported).
func (x *Export) Webhooks(ctx context.Context, fn func(webhook.Webhook) error) error {
	return x.page(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id > ? ORDER BY id LIMIT ?", []any{""}, func(rows *sql.Rows) ([]any, error) {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		return []any{w.ID}, fn(w)
	})
}
