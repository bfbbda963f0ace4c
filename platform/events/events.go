// Package events is the catalogue of things that happen in WorkspaceOps and the port through
// which modules announce them.
//
// Every successful mutation publishes exactly one Event. The audit log module is the sink: it
// appends each durably and hands it to the realtime layer.
package events

import (
	"context"
	"time"
)

// Name is an event name as clients see it, e.g. "workspace:member-invited".
type Name string

// The catalogue. Names are stable: clients subscribe to them.
const (
	WorkspaceCreated  Name = "workspace:created"
	WorkspaceUpdated  Name = "workspace:updated"
	WorkspaceDeleted  Name = "workspace:deleted"
	MemberInvited     Name = "workspace:member-invited"
	MemberJoined      Name = "workspace:member-joined"
	MemberUpdated     Name = "workspace:member-updated"
	MemberRemoved     Name = "workspace:member-removed"
	InvitationRevoked Name = "workspace:invitation-revoked"
	UserRegistered    Name = "user:registered"

	WorkItemCreated          Name = "work-item:created"
	WorkItemUpdated          Name = "work-item:updated"
	WorkItemDeleted          Name = "work-item:deleted"
	WorkItemStatusChanged    Name = "work-item:status-changed"
	WorkItemDocumentLinked   Name = "work-item:document-linked"
	WorkItemDocumentUnlinked Name = "work-item:document-unlinked"

	DocumentUploaded      Name = "document:uploaded"
	DocumentUpdated       Name = "document:updated"
	DocumentDeleted       Name = "document:deleted"
	DocumentExpiryChanged Name = "document:expiry-changed"

	OverviewUpdated Name = "overview:updated"

	APIKeyCreated Name = "api-key:created"
	APIKeyRevoked Name = "api-key:revoked"
	// WebhookDisabled: a webhook was deactivated after its last delivery attempt failed.
	WebhookDisabled Name = "webhook:disabled"

	// AuditLogCreated is never published by a module: every event frame is an audit entry, and
	// the live audit feed reads every frame under this name (the client library fires it).
	AuditLogCreated Name = "audit-log:created"
)

// Target types name what an event is about.
const (
	TargetWorkspace  = "workspace"
	TargetMember     = "member"
	TargetInvitation = "invitation"
	TargetUser       = "user"
	TargetWorkItem   = "work-item"
	TargetDocument   = "document"
	TargetOverview   = "overview"
	TargetAPIKey     = "api-key"
	TargetWebhook    = "webhook"
)

// Event is one thing that happened. Data stays small: clients refetch over REST.
type Event struct {
	Name        Name
	WorkspaceID string // empty for events outside any workspace
	TargetType  string
	TargetID    string
	ActorID     string
	At          time.Time
	Data        map[string]any
}

// Publisher announces events. Publish must not fail the caller's mutation, which has already
// happened: implementations handle their own failures.
type Publisher interface {
	Publish(ctx context.Context, e Event)
}

// Discard is a Publisher that drops every event; for tests that do not look at events.
type Discard struct{}

// Publish drops e.
func (Discard) Publish(context.Context, Event) {}
