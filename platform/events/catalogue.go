package events

// catalogue is the one table of event names and audit action names, one to one. An event
// missing here cannot be published to clients; the completeness test keeps it whole.
var catalogue = []struct {
	name   Name
	action string
}{
	{WorkspaceCreated, "WORKSPACE_CREATED"},
	{WorkspaceUpdated, "WORKSPACE_UPDATED"},
	{WorkspaceDeleted, "WORKSPACE_DELETED"},
	{MemberInvited, "WORKSPACE_MEMBER_INVITED"},
	{MemberJoined, "WORKSPACE_MEMBER_JOINED"},
	{MemberUpdated, "WORKSPACE_MEMBER_UPDATED"},
	{MemberRemoved, "WORKSPACE_MEMBER_REMOVED"},
	{InvitationRevoked, "WORKSPACE_INVITATION_REVOKED"},
	{UserRegistered, "USER_REGISTERED"},
	{WorkItemCreated, "WORK_ITEM_CREATED"},
	{WorkItemUpdated, "WORK_ITEM_UPDATED"},
	{WorkItemDeleted, "WORK_ITEM_DELETED"},
	{WorkItemStatusChanged, "WORK_ITEM_STATUS_CHANGED"},
	{WorkItemDocumentLinked, "WORK_ITEM_DOCUMENT_LINKED"},
	{WorkItemDocumentUnlinked, "WORK_ITEM_DOCUMENT_UNLINKED"},
	{DocumentUploaded, "DOCUMENT_UPLOADED"},
	{DocumentUpdated, "DOCUMENT_UPDATED"},
	{DocumentDeleted, "DOCUMENT_DELETED"},
	{DocumentExpiryChanged, "DOCUMENT_EXPIRY_CHANGED"},
	{OverviewUpdated, "OVERVIEW_UPDATED"},
	{AuditLogCreated, "AUDIT_LOG_CREATED"},
}

// Names lists every event name of the catalogue.
func Names() []Name {
	out := make([]Name, len(catalogue))
	for i, c := range catalogue {
		out[i] = c.name
	}
	return out
}

// ActionOf returns the audit action name of an event, e.g. WORK_ITEM_STATUS_CHANGED.
func ActionOf(n Name) (string, bool) {
	for _, c := range catalogue {
		if c.name == n {
			return c.action, true
		}
	}
	return "", false
}

// NameOf returns the event name of an audit action.
func NameOf(action string) (Name, bool) {
	for _, c := range catalogue {
		if c.action == action {
			return c.name, true
		}
	}
	return "", false
}
