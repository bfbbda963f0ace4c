package events

import "github.com/workspaceops/workspaceops/platform/ids"

// Spec is everything the system does differently for one event: its one home. The audit log,
// the overview and the realtime hub read it here instead of keeping lists of their own.
type Spec struct {
	Name   Name
	Action string // the audit action, derived from the name: WORK_ITEM_STATUS_CHANGED
	// Change: it records a change (the audit trail's recent changes); false for notifications
	// (overview:updated) and for the live feed's own name.
	Change bool
	// Overview: it can move a figure of the workspace's overview, which then announces
	// overview:updated.
	Overview bool
	// ToSubject: the user it is about (its data's userId, else its target member) hears it in
	// their user room, whatever workspaces they joined.
	ToSubject bool
	// Evicts says who leaves the workspace's room when it is delivered.
	Evicts Eviction
}

// Subject returns the user an event of this spec is about when their user room hears it ("" when
// it does not): its data's userId, else its target when that is a member.
func (s Spec) Subject(targetType, targetID string, data map[string]any) string {
	if !s.ToSubject {
		return ""
	}
	if uid, ok := data[keyUserID].(string); ok && ids.Valid(uid) {
		return uid
	}
	if targetType == TargetMember {
		return targetID
	}
	return ""
}

// Eviction is who an event takes out of its workspace's room.
type Eviction int

const (
	EvictNone     Eviction = iota
	EvictSubject           // the user it is about, before the event is sent (they see nothing after)
	EvictEveryone          // everyone, after the event is sent
)

// catalogue is the one table of events. An event missing here cannot be published to
// clients; the completeness test keeps it whole.
var catalogue = []Spec{
	{Name: WorkspaceCreated, Action: "WORKSPACE_CREATED", Change: true},
	{Name: WorkspaceUpdated, Action: "WORKSPACE_UPDATED", Change: true},
	{Name: WorkspaceDeleted, Action: "WORKSPACE_DELETED", Change: true, Evicts: EvictEveryone},
	{Name: MemberInvited, Action: "WORKSPACE_MEMBER_INVITED", Change: true, Overview: true, ToSubject: true},
	{Name: MemberJoined, Action: "WORKSPACE_MEMBER_JOINED", Change: true, Overview: true, ToSubject: true},
	{Name: MemberUpdated, Action: "WORKSPACE_MEMBER_UPDATED", Change: true, ToSubject: true},
	{Name: MemberRemoved, Action: "WORKSPACE_MEMBER_REMOVED", Change: true, Overview: true, ToSubject: true, Evicts: EvictSubject},
	{Name: InvitationRevoked, Action: "WORKSPACE_INVITATION_REVOKED", Change: true},
	{Name: UserRegistered, Action: "USER_REGISTERED", Change: true},
	{Name: WorkItemCreated, Action: "WORK_ITEM_CREATED", Change: true, Overview: true},
	{Name: WorkItemUpdated, Action: "WORK_ITEM_UPDATED", Change: true, Overview: true}, // priority and due date count
	{Name: WorkItemDeleted, Action: "WORK_ITEM_DELETED", Change: true, Overview: true},
	{Name: WorkItemStatusChanged, Action: "WORK_ITEM_STATUS_CHANGED", Change: true, Overview: true},
	{Name: WorkItemDocumentLinked, Action: "WORK_ITEM_DOCUMENT_LINKED", Change: true},
	{Name: WorkItemDocumentUnlinked, Action: "WORK_ITEM_DOCUMENT_UNLINKED", Change: true},
	{Name: DocumentUploaded, Action: "DOCUMENT_UPLOADED", Change: true, Overview: true},
	{Name: DocumentUpdated, Action: "DOCUMENT_UPDATED", Change: true},
	{Name: DocumentDeleted, Action: "DOCUMENT_DELETED", Change: true, Overview: true},
	{Name: DocumentExpiryChanged, Action: "DOCUMENT_EXPIRY_CHANGED", Change: true, Overview: true},
	{Name: OverviewUpdated, Action: "OVERVIEW_UPDATED"},
	{Name: APIKeyCreated, Action: "API_KEY_CREATED", Change: true},
	{Name: APIKeyRevoked, Action: "API_KEY_REVOKED", Change: true},
	{Name: WebhookDisabled, Action: "WEBHOOK_DISABLED", Change: true},
	{Name: AuditLogCreated, Action: "AUDIT_LOG_CREATED"},
}

// Names lists every event name of the catalogue.
func Names() []Name {
	out := make([]Name, len(catalogue))
	for i, c := range catalogue {
		out[i] = c.Name
	}
	return out
}

// byName indexes the catalogue: the hub looks an event up for every entry it delivers.
var byName = func() map[Name]Spec {
	m := make(map[Name]Spec, len(catalogue))
	for _, c := range catalogue {
		m[c.Name] = c
	}
	return m
}()

// Of returns the catalogue's spec of an event.
func Of(n Name) (Spec, bool) {
	s, ok := byName[n]
	return s, ok
}

// ActionOf returns the audit action name of an event, e.g. WORK_ITEM_STATUS_CHANGED.
func ActionOf(n Name) (string, bool) {
	s, ok := Of(n)
	return s.Action, ok
}

// NameOf returns the event name of an audit action.
func NameOf(action string) (Name, bool) {
	for _, c := range catalogue {
		if c.Action == action {
			return c.Name, true
		}
	}
	return "", false
}

// ChangeActions are the audit actions of the events that record changes.
func ChangeActions() []string {
	var actions []string
	for _, c := range catalogue {
		if c.Change {
			actions = append(actions, c.Action)
		}
	}
	return actions
}
