package events

import "time"

// Change is an event as a use case states it: name, target and data, made by the event's
// constructor below, so that an event's target type and the keys of its data (what a client
// reads in the frame, api/asyncapi.yaml) have one home. The publishing use case adds the
// workspace, the actor and the time (Change.Event).
type Change struct {
	Name       Name
	TargetType string
	TargetID   string
	Data       map[string]any
}

// Event completes c: in workspaceID ("" for none), by actorID ("" for the system), at at.
func (c Change) Event(workspaceID, actorID string, at time.Time) Event {
	return Event{Name: c.Name, WorkspaceID: workspaceID, TargetType: c.TargetType, TargetID: c.TargetID,
		ActorID: actorID, At: at, Data: c.Data}
}

// keyUserID is the data key of the user a membership event is about (Spec.Subject reads it).
const keyUserID = "userId"

// NewWorkspaceCreated: workspace id was created with name.
func NewWorkspaceCreated(id, name string) Change {
	return Change{WorkspaceCreated, TargetWorkspace, id, map[string]any{"name": name}}
}

// NewWorkspaceUpdated: workspace id is now called name.
func NewWorkspaceUpdated(id, name string) Change {
	return Change{WorkspaceUpdated, TargetWorkspace, id, map[string]any{"name": name}}
}

// NewWorkspaceDeleted: workspace id is gone, with its content.
func NewWorkspaceDeleted(id string) Change {
	return Change{Name: WorkspaceDeleted, TargetType: TargetWorkspace, TargetID: id}
}

// NewMemberInvited: an existing user was added with role (their membership's status).
func NewMemberInvited(userID, role, status string) Change {
	return Change{MemberInvited, TargetMember, userID, map[string]any{keyUserID: userID, "role": role, "status": status}}
}

// NewMemberInvitedByEmail: an invitation was sent to an address with no account yet.
func NewMemberInvitedByEmail(invitationID, role, status string) Change {
	return Change{MemberInvited, TargetInvitation, invitationID,
		map[string]any{"invitationId": invitationID, "role": role, "status": status}}
}

// NewMemberJoined: userID accepted invitationID and is a member with role.
func NewMemberJoined(userID, role, invitationID string) Change {
	return Change{MemberJoined, TargetMember, userID, map[string]any{keyUserID: userID, "role": role, "invitationId": invitationID}}
}

// NewMemberUpdated: userID's role changed from previousRole to role.
func NewMemberUpdated(userID, role, previousRole string) Change {
	return Change{MemberUpdated, TargetMember, userID, map[string]any{keyUserID: userID, "role": role, "previousRole": previousRole}}
}

// NewMemberRemoved: userID, who had role, is no longer a member (left: they removed themselves).
func NewMemberRemoved(userID, role string, left bool) Change {
	return Change{MemberRemoved, TargetMember, userID, map[string]any{keyUserID: userID, "role": role, "left": left}}
}

// NewInvitationRevoked: invitation id can no longer be accepted.
func NewInvitationRevoked(id string) Change {
	return Change{Name: InvitationRevoked, TargetType: TargetInvitation, TargetID: id}
}

// NewUserRegistered: user id created an account.
func NewUserRegistered(id string) Change {
	return Change{Name: UserRegistered, TargetType: TargetUser, TargetID: id}
}

// NewWorkItemCreated: work item id was created in status.
func NewWorkItemCreated(id, status string) Change {
	return Change{WorkItemCreated, TargetWorkItem, id, map[string]any{"status": status}}
}

// NewWorkItemUpdated: the named fields of work item id changed.
func NewWorkItemUpdated(id string, fields []string) Change {
	return Change{WorkItemUpdated, TargetWorkItem, id, map[string]any{"fields": fields}}
}

// NewWorkItemDeleted: work item id is gone.
func NewWorkItemDeleted(id string) Change {
	return Change{Name: WorkItemDeleted, TargetType: TargetWorkItem, TargetID: id}
}

// NewWorkItemStatusChanged: work item id moved from one status to another.
func NewWorkItemStatusChanged(id, from, to string) Change {
	return Change{WorkItemStatusChanged, TargetWorkItem, id, map[string]any{"from": from, "to": to}}
}

// NewWorkItemDocumentLinked: document documentID was linked to work item id.
func NewWorkItemDocumentLinked(id, documentID string) Change {
	return Change{WorkItemDocumentLinked, TargetWorkItem, id, map[string]any{"documentId": documentID}}
}

// NewWorkItemDocumentUnlinked: document documentID is no longer linked to work item id.
func NewWorkItemDocumentUnlinked(id, documentID string) Change {
	return Change{WorkItemDocumentUnlinked, TargetWorkItem, id, map[string]any{"documentId": documentID}}
}

// NewDocumentUploaded: document id (name, size bytes) was uploaded.
func NewDocumentUploaded(id, name string, size int64) Change {
	return Change{DocumentUploaded, TargetDocument, id, map[string]any{"name": name, "size": size}}
}

// NewDocumentUpdated: document id's title or expiry changed; expiresAt nil: it never expires.
func NewDocumentUpdated(id, title, expiryStatus string, expiresAt *time.Time) Change {
	data := map[string]any{"title": title, "expiryStatus": expiryStatus, "expiresAt": nil}
	if expiresAt != nil {
		data["expiresAt"] = *expiresAt
	}
	return Change{DocumentUpdated, TargetDocument, id, data}
}

// NewDocumentDeleted: document id (name) is gone.
func NewDocumentDeleted(id, name string) Change {
	return Change{DocumentDeleted, TargetDocument, id, map[string]any{"name": name}}
}

// NewDocumentExpiryChanged: document id's expiry status moved from one to another.
func NewDocumentExpiryChanged(id, from, to string) Change {
	return Change{DocumentExpiryChanged, TargetDocument, id, map[string]any{"from": from, "to": to}}
}

// NewOverviewUpdated: a figure of workspace id's overview may have moved.
func NewOverviewUpdated(workspaceID string) Change {
	return Change{Name: OverviewUpdated, TargetType: TargetOverview, TargetID: workspaceID}
}

// NewAPIKeyCreated: key id was created with name and role; prefix is its token's start (the
// token itself is never in an event).
func NewAPIKeyCreated(id, name, role, prefix string) Change {
	return Change{APIKeyCreated, TargetAPIKey, id, map[string]any{"name": name, "role": role, "prefix": prefix}}
}

// NewAPIKeyRevoked: key id, called name, authenticates nothing any more.
func NewAPIKeyRevoked(id, name string) Change {
	return Change{APIKeyRevoked, TargetAPIKey, id, map[string]any{"name": name}}
}

// NewWebhookDisabled: webhook id was deactivated, for reason, while delivering seq.
func NewWebhookDisabled(id, reason string, seq int64) Change {
	return Change{WebhookDisabled, TargetWebhook, id, map[string]any{"reason": reason, "seq": seq}}
}
