package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names.
const (
	usersColl           = "users"
	workspacesColl      = "workspaces"
	membershipsColl     = "memberships"
	invitationsColl     = "invitations"
	documentsColl       = "documents"
	blobsBucket         = "blobs" // GridFS bucket: collections blobs.files and blobs.chunks
	workItemsColl       = "workItems"
	auditLogColl        = "auditLog"
	auditHeadsColl      = "auditHeads"     // one seq counter per workspace, _id = workspace id
	ticketsColl         = "sseTicketsUsed" // one document per used SSE ticket, _id = the ticket's id
	apiKeysColl         = "apiKeys"
	idempotencyColl     = "idempotencyKeys" // _id = scope + "\n" + key
	webhooksColl        = "webhooks"
	webhookAttemptsColl = "webhookAttempts" // the deliveries log, _id = webhook id/attempt key
)

// Index is one index this package relies on.
type Index struct {
	Collection string
	// Name is given explicitly so that re-creating it is recognised as the same index.
	Name   string
	Keys   bson.D
	Unique bool
	// Why says which query or rule needs it.
	Why string
}

// Indexes lists every index EnsureIndexes creates. The unique ones are load-bearing (they are
// how duplicates are refused); the others serve queries on a real MongoDB (the embedded store
// creates them but scans anyway).
var Indexes = []Index{
	{
		Collection: usersColl, Name: "email_unique", Unique: true,
		Keys: bson.D{{Key: "email", Value: 1}},
		Why:  "one account per normalised email; ByEmail",
	},
	{
		Collection: membershipsColl, Name: "workspaceId_userId_unique", Unique: true,
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "userId", Value: 1}},
		Why:  "one membership per user per workspace (the _id says it too); Members pages; DeleteWorkspace",
	},
	{
		Collection: membershipsColl, Name: "userId_workspaceId",
		Keys: bson.D{{Key: "userId", Value: 1}, {Key: "workspaceId", Value: 1}},
		Why:  "MembershipsOf pages",
	},
	{
		Collection: invitationsColl, Name: "workspaceId_email_unique", Unique: true,
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "email", Value: 1}},
		Why:  "one invitation per email per workspace; DeleteExpiredInvitation; DeleteWorkspace",
	},
	{
		Collection: invitationsColl, Name: "workspaceId_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "PendingInvitations pages",
	},
	{
		Collection: invitationsColl, Name: "email",
		Keys: bson.D{{Key: "email", Value: 1}},
		Why:  "InvitationsFor (on registration)",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_status_createdAtMs_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "status", Value: 1}, {Key: "createdAtMs", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "work item List by creation time (the default order), with or without a status filter; Counts",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_updatedAtMs_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "updatedAtMs", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "work item List by update time",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_dueSort_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "dueSort", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "work item List by due date",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_priorityRank_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "priorityRank", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "work item List by priority",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_assigneeId",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "assigneeId", Value: 1}},
		Why:  "work item List filtered by assignee",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_tags",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "tags", Value: 1}},
		Why:  "work item List filtered by tag (multikey)",
	},
	{
		Collection: workItemsColl, Name: "workspaceId_documentIds",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "documentIds", Value: 1}},
		Why:  "IDsLinkedTo (unlinking a deleted document everywhere)",
	},
	{
		Collection: documentsColl, Name: "workspaceId_createdAt_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}},
		Why:  "document List pages, newest first; CountByExpiryStatus",
	},
	{
		Collection: documentsColl, Name: "expiryStatus_expiresAt",
		Keys: bson.D{{Key: "expiryStatus", Value: 1}, {Key: "expiresAt", Value: 1}},
		Why:  "StaleExpiry (the expiry sweeper), across workspaces",
	},
	{
		// The name the driver gives this GridFS index itself, so the two never conflict.
		Collection: blobsBucket + ".chunks", Name: "files_id_1_n_1", Unique: true,
		Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}},
		Why:  "GridFS: one chunk per position of a file; reading a blob with GridFS tools; deleting its orphaned chunks",
	},
	{
		// The _id (workspaceId:seq) already refuses a second entry with a seq; this says it in
		// fields and serves the newest-first scans.
		Collection: auditLogColl, Name: "workspaceId_seq_unique", Unique: true,
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "seq", Value: 1}},
		Why:  "one entry per seq per workspace (gap-free allocation across processes); audit List pages and Since; the highest seq after a stale counter",
	},
	{
		Collection: auditLogColl, Name: "entryId_unique", Unique: true,
		Keys: bson.D{{Key: "entryId", Value: 1}},
		Why:  "an Append retried after an error that hid its success returns the stored entry instead of logging it twice",
	},
	{
		Collection: auditLogColl, Name: "workspaceId_action_seq",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "action", Value: 1}, {Key: "seq", Value: 1}},
		Why:  "audit List filtered by action (and the overview's Recent, which lists every action but one)",
	},
	{
		Collection: auditLogColl, Name: "workspaceId_actorId_seq",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "actorId", Value: 1}, {Key: "seq", Value: 1}},
		Why:  "audit List filtered by actor",
	},
	{
		Collection: auditLogColl, Name: "workspaceId_targetId_seq",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "targetId", Value: 1}, {Key: "seq", Value: 1}},
		Why:  "audit List filtered by target (a work item's or document's history)",
	},
	{
		Collection: apiKeysColl, Name: "hash_unique", Unique: true,
		Keys: bson.D{{Key: "hash", Value: 1}},
		Why:  "one key per token hash; ByHash, the lookup of every request made with an API key",
	},
	{
		Collection: apiKeysColl, Name: "workspaceId_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "API key List pages and Count",
	},
	{
		Collection: idempotencyColl, Name: "expiresAt",
		Keys: bson.D{{Key: "expiresAt", Value: 1}},
		Why:  "DeleteExpired (no TTL index on the embedded store)",
	},
	{
		Collection: webhooksColl, Name: "workspaceId_id",
		Keys: bson.D{{Key: "workspaceId", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "webhook List pages and Count (the per-workspace cap)",
	},
	{
		Collection: webhooksColl, Name: "active_id",
		Keys: bson.D{{Key: "active", Value: 1}, {Key: "_id", Value: 1}},
		Why:  "Active: the dispatcher's pages of webhooks to deliver, across workspaces",
	},
	{
		Collection: webhookAttemptsColl, Name: "webhookId_key",
		Keys: bson.D{{Key: "webhookId", Value: 1}, {Key: "key", Value: 1}},
		Why:  "the deliveries log's pages, newest first; deleting a webhook's log",
	},
	{
		Collection: webhookAttemptsColl, Name: "webhookId_deliveryId_attempt",
		Keys: bson.D{{Key: "webhookId", Value: 1}, {Key: "deliveryId", Value: 1}, {Key: "attempt", Value: 1}},
		Why:  "LastAttempt (redelivery)",
	},
	{
		Collection: webhookAttemptsColl, Name: "at",
		Keys: bson.D{{Key: "at", Value: 1}},
		Why:  "PruneAttempts: the log keeps 7 days",
	},
	{
		Collection: webhookAttemptsColl, Name: "workspaceId",
		Keys: bson.D{{Key: "workspaceId", Value: 1}},
		Why:  "DeleteWorkspace (a deleted workspace's purge)",
	},
}

// indexBuildTimeout bounds EnsureIndexes instead of OperationTimeout.
const indexBuildTimeout = 30 * time.Minute

// EnsureIndexes creates every index in Indexes. Creating an index that already exists with the
// same name and keys does nothing, so it is safe on every start and from a migrate command.
//
// It sends one createIndexes command per index: the embedded store (FerretDB 1.24) crashes the
// connection when one command lists two or more indexes that already exist (it deletes them
// from its to-do list by their original positions and slices out of range).
func EnsureIndexes(ctx context.Context, db *mongodriver.Database) error {
	// Building an index on a large collection takes longer than one request's operation bound.
	ctx, cancel := context.WithTimeout(ctx, indexBuildTimeout)
	defer cancel()
	for _, ix := range Indexes {
		opts := options.Index().SetName(ix.Name)
		if ix.Unique {
			opts.SetUnique(true)
		}
		model := mongodriver.IndexModel{Keys: ix.Keys, Options: opts}
		if _, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, model); err != nil {
			return storeError("mongo: create index %s on %s: %w", ix.Name, ix.Collection, err)
		}
	}
	return nil
}
