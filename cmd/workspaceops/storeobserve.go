package main

import (
	"context"
	"io"
	"time"

	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/observe"
)

// Every repository call of either store is timed (workspaceops_store_operation_duration_seconds)
// and opens a child span of the request's trace. The decorators below wrap the ports, not an
// adapter, so SQLite and MongoDB are covered by one set of them; each method is one line of
// observation before the call. TestEveryRepositoryCallIsObserved runs the contract suites
// through them and fails on a method that is not.

// storeObserver observes one store's calls.
type storeObserver struct {
	tracer observe.Tracer
	ops    observe.Ops
}

// op opens the span and starts the clock of one call; see observe.Operation.
func (o storeObserver) op(ctx *context.Context, name string, err *error) func() {
	return observe.Operation(ctx, o.tracer, o.ops, name, err)
}

// observed wraps every repository of s.
func observed(s *Store, o storeObserver) *Store {
	return &Store{
		Users: observedUsers{s.Users, o}, Workspaces: observedWorkspaces{s.Workspaces, o},
		WorkItems: observedWorkItems{s.WorkItems, o}, Documents: observedDocuments{s.Documents, o},
		Blobs: observedBlobs{s.Blobs, o}, AuditLog: observedAuditLog{s.AuditLog, o},
		Redemptions: observedRedemptions{s.Redemptions, o}, APIKeys: observedAPIKeys{s.APIKeys, o},
		Idempotency: observedIdempotency{s.Idempotency, o}, Webhooks: observedWebhooks{s.Webhooks, o}, Ready: s.Ready,
	}
}

type observedUsers struct {
	next identity.Repository
	o    storeObserver
}

func (r observedUsers) Create(ctx context.Context, u identity.User) (err error) {
	defer r.o.op(&ctx, "users.create", &err)()
	return r.next.Create(ctx, u)
}

func (r observedUsers) ByID(ctx context.Context, id string) (_ identity.User, err error) {
	defer r.o.op(&ctx, "users.byID", &err)()
	return r.next.ByID(ctx, id)
}

func (r observedUsers) ByEmail(ctx context.Context, email string) (_ identity.User, err error) {
	defer r.o.op(&ctx, "users.byEmail", &err)()
	return r.next.ByEmail(ctx, email)
}

func (r observedUsers) ByIDs(ctx context.Context, ids []string) (_ []identity.User, err error) {
	defer r.o.op(&ctx, "users.byIDs", &err)()
	return r.next.ByIDs(ctx, ids)
}

func (r observedUsers) RevokeTokens(ctx context.Context, id, passwordHash string) (_ identity.User, err error) {
	defer r.o.op(&ctx, "users.revokeTokens", &err)()
	return r.next.RevokeTokens(ctx, id, passwordHash)
}

type observedWorkspaces struct {
	next workspace.Repository
	o    storeObserver
}

func (r observedWorkspaces) CreateWorkspace(ctx context.Context, w workspace.Workspace, owner workspace.Membership) (err error) {
	defer r.o.op(&ctx, "workspaces.createWorkspace", &err)()
	return r.next.CreateWorkspace(ctx, w, owner)
}

func (r observedWorkspaces) Workspace(ctx context.Context, id string) (_ workspace.Workspace, err error) {
	defer r.o.op(&ctx, "workspaces.workspace", &err)()
	return r.next.Workspace(ctx, id)
}

func (r observedWorkspaces) WorkspacesByIDs(ctx context.Context, ids []string) (_ []workspace.Workspace, err error) {
	defer r.o.op(&ctx, "workspaces.workspacesByIDs", &err)()
	return r.next.WorkspacesByIDs(ctx, ids)
}

func (r observedWorkspaces) RenameWorkspace(ctx context.Context, id, name string, at time.Time) (_ workspace.Workspace, err error) {
	defer r.o.op(&ctx, "workspaces.renameWorkspace", &err)()
	return r.next.RenameWorkspace(ctx, id, name, at)
}

func (r observedWorkspaces) DeleteWorkspace(ctx context.Context, id string) (err error) {
	defer r.o.op(&ctx, "workspaces.deleteWorkspace", &err)()
	return r.next.DeleteWorkspace(ctx, id)
}

func (r observedWorkspaces) AddOwners(ctx context.Context, workspaceID string, delta int) (err error) {
	defer r.o.op(&ctx, "workspaces.addOwners", &err)()
	return r.next.AddOwners(ctx, workspaceID, delta)
}

func (r observedWorkspaces) AddMember(ctx context.Context, m workspace.Membership) (err error) {
	defer r.o.op(&ctx, "workspaces.addMember", &err)()
	return r.next.AddMember(ctx, m)
}

func (r observedWorkspaces) Member(ctx context.Context, workspaceID, userID string) (_ workspace.Membership, err error) {
	defer r.o.op(&ctx, "workspaces.member", &err)()
	return r.next.Member(ctx, workspaceID, userID)
}

func (r observedWorkspaces) SetRole(ctx context.Context, workspaceID, userID string, from, to workspace.Role) (_ workspace.Membership, err error) {
	defer r.o.op(&ctx, "workspaces.setRole", &err)()
	return r.next.SetRole(ctx, workspaceID, userID, from, to)
}

func (r observedWorkspaces) RemoveMember(ctx context.Context, workspaceID, userID string, role workspace.Role) (err error) {
	defer r.o.op(&ctx, "workspaces.removeMember", &err)()
	return r.next.RemoveMember(ctx, workspaceID, userID, role)
}

func (r observedWorkspaces) Members(ctx context.Context, workspaceID, afterUserID string, limit int) (_ []workspace.Membership, err error) {
	defer r.o.op(&ctx, "workspaces.members", &err)()
	return r.next.Members(ctx, workspaceID, afterUserID, limit)
}

func (r observedWorkspaces) CountMembers(ctx context.Context, workspaceID string) (_ int, err error) {
	defer r.o.op(&ctx, "workspaces.countMembers", &err)()
	return r.next.CountMembers(ctx, workspaceID)
}

func (r observedWorkspaces) MembershipsOf(ctx context.Context, userID, afterWorkspaceID string, limit int) (_ []workspace.Membership, err error) {
	defer r.o.op(&ctx, "workspaces.membershipsOf", &err)()
	return r.next.MembershipsOf(ctx, userID, afterWorkspaceID, limit)
}

func (r observedWorkspaces) CreateInvitation(ctx context.Context, inv workspace.Invitation) (err error) {
	defer r.o.op(&ctx, "workspaces.createInvitation", &err)()
	return r.next.CreateInvitation(ctx, inv)
}

func (r observedWorkspaces) PendingInvitations(ctx context.Context, workspaceID, afterID string, now time.Time, limit int) (_ []workspace.Invitation, err error) {
	defer r.o.op(&ctx, "workspaces.pendingInvitations", &err)()
	return r.next.PendingInvitations(ctx, workspaceID, afterID, now, limit)
}

func (r observedWorkspaces) InvitationsFor(ctx context.Context, email string) (_ []workspace.Invitation, err error) {
	defer r.o.op(&ctx, "workspaces.invitationsFor", &err)()
	return r.next.InvitationsFor(ctx, email)
}

func (r observedWorkspaces) DeleteInvitation(ctx context.Context, workspaceID, id string) (err error) {
	defer r.o.op(&ctx, "workspaces.deleteInvitation", &err)()
	return r.next.DeleteInvitation(ctx, workspaceID, id)
}

func (r observedWorkspaces) DeleteExpiredInvitation(ctx context.Context, workspaceID, email string, now time.Time) (err error) {
	defer r.o.op(&ctx, "workspaces.deleteExpiredInvitation", &err)()
	return r.next.DeleteExpiredInvitation(ctx, workspaceID, email, now)
}

type observedWorkItems struct {
	next workitem.Repository
	o    storeObserver
}

func (r observedWorkItems) Create(ctx context.Context, w workitem.WorkItem) (err error) {
	defer r.o.op(&ctx, "workItems.create", &err)()
	return r.next.Create(ctx, w)
}

func (r observedWorkItems) Get(ctx context.Context, workspaceID, id string) (_ workitem.WorkItem, err error) {
	defer r.o.op(&ctx, "workItems.get", &err)()
	return r.next.Get(ctx, workspaceID, id)
}

func (r observedWorkItems) Update(ctx context.Context, workspaceID, id string, change func(*workitem.WorkItem) (bool, error)) (_ workitem.WorkItem, _ bool, err error) {
	defer r.o.op(&ctx, "workItems.update", &err)()
	return r.next.Update(ctx, workspaceID, id, change)
}

func (r observedWorkItems) Delete(ctx context.Context, workspaceID, id string) (err error) {
	defer r.o.op(&ctx, "workItems.delete", &err)()
	return r.next.Delete(ctx, workspaceID, id)
}

func (r observedWorkItems) DeleteWorkspace(ctx context.Context, workspaceID string) (err error) {
	defer r.o.op(&ctx, "workItems.deleteWorkspace", &err)()
	return r.next.DeleteWorkspace(ctx, workspaceID)
}

func (r observedWorkItems) List(ctx context.Context, workspaceID string, q workitem.Query) (_ []workitem.WorkItem, err error) {
	defer r.o.op(&ctx, "workItems.list", &err)()
	return r.next.List(ctx, workspaceID, q)
}

func (r observedWorkItems) IDsLinkedTo(ctx context.Context, workspaceID, documentID string, limit int) (_ []string, err error) {
	defer r.o.op(&ctx, "workItems.idsLinkedTo", &err)()
	return r.next.IDsLinkedTo(ctx, workspaceID, documentID, limit)
}

func (r observedWorkItems) Counts(ctx context.Context, workspaceID string, now time.Time) (_ workitem.Counts, err error) {
	defer r.o.op(&ctx, "workItems.counts", &err)()
	return r.next.Counts(ctx, workspaceID, now)
}

type observedDocuments struct {
	next document.Repository
	o    storeObserver
}

func (r observedDocuments) Create(ctx context.Context, d document.Document) (err error) {
	defer r.o.op(&ctx, "documents.create", &err)()
	return r.next.Create(ctx, d)
}

func (r observedDocuments) Get(ctx context.Context, workspaceID, id string) (_ document.Document, err error) {
	defer r.o.op(&ctx, "documents.get", &err)()
	return r.next.Get(ctx, workspaceID, id)
}

func (r observedDocuments) Update(ctx context.Context, workspaceID, id string, change func(*document.Document) (bool, error)) (_ document.Document, _ bool, err error) {
	defer r.o.op(&ctx, "documents.update", &err)()
	return r.next.Update(ctx, workspaceID, id, change)
}

func (r observedDocuments) Delete(ctx context.Context, workspaceID, id string) (err error) {
	defer r.o.op(&ctx, "documents.delete", &err)()
	return r.next.Delete(ctx, workspaceID, id)
}

func (r observedDocuments) List(ctx context.Context, workspaceID string, q document.Query) (_ []document.Document, err error) {
	defer r.o.op(&ctx, "documents.list", &err)()
	return r.next.List(ctx, workspaceID, q)
}

func (r observedDocuments) StaleExpiry(ctx context.Context, now time.Time, window time.Duration, limit int) (_ []document.Document, err error) {
	defer r.o.op(&ctx, "documents.staleExpiry", &err)()
	return r.next.StaleExpiry(ctx, now, window, limit)
}

func (r observedDocuments) SetExpiryStatus(ctx context.Context, workspaceID, id string, from, to document.ExpiryStatus, expiresAt *time.Time, at time.Time) (_ bool, err error) {
	defer r.o.op(&ctx, "documents.setExpiryStatus", &err)()
	return r.next.SetExpiryStatus(ctx, workspaceID, id, from, to, expiresAt, at)
}

func (r observedDocuments) CountByExpiryStatus(ctx context.Context, workspaceID string) (_ map[document.ExpiryStatus]int, err error) {
	defer r.o.op(&ctx, "documents.countByExpiryStatus", &err)()
	return r.next.CountByExpiryStatus(ctx, workspaceID)
}

type observedBlobs struct {
	next document.BlobStore
	o    storeObserver
}

func (r observedBlobs) Put(ctx context.Context, id string, rd io.Reader, maxBytes int64) (_ document.Blob, err error) {
	defer r.o.op(&ctx, "blobs.put", &err)()
	return r.next.Put(ctx, id, rd, maxBytes)
}

// Open times opening the content, not reading it (the reader outlives the call).
func (r observedBlobs) Open(ctx context.Context, id string) (_ document.Content, err error) {
	defer r.o.op(&ctx, "blobs.open", &err)()
	return r.next.Open(ctx, id)
}

func (r observedBlobs) Delete(ctx context.Context, id string) (err error) {
	defer r.o.op(&ctx, "blobs.delete", &err)()
	return r.next.Delete(ctx, id)
}

type observedAuditLog struct {
	next auditlog.Repository
	o    storeObserver
}

func (r observedAuditLog) Append(ctx context.Context, e auditlog.Entry) (_ auditlog.Entry, err error) {
	defer r.o.op(&ctx, "auditLog.append", &err)()
	return r.next.Append(ctx, e)
}

func (r observedAuditLog) List(ctx context.Context, workspaceID string, q auditlog.Query) (_ []auditlog.Entry, err error) {
	defer r.o.op(&ctx, "auditLog.list", &err)()
	return r.next.List(ctx, workspaceID, q)
}

func (r observedAuditLog) Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) (_ []auditlog.Entry, err error) {
	defer r.o.op(&ctx, "auditLog.since", &err)()
	return r.next.Since(ctx, workspaceID, afterSeq, limit)
}

func (r observedAuditLog) Head(ctx context.Context, workspaceID string) (_ int64, err error) {
	defer r.o.op(&ctx, "auditLog.head", &err)()
	return r.next.Head(ctx, workspaceID)
}

type observedRedemptions struct {
	next realtime.Redemptions
	o    storeObserver
}

func (r observedRedemptions) Redeem(ctx context.Context, id string, until time.Time) (_ bool, err error) {
	defer r.o.op(&ctx, "redemptions.redeem", &err)()
	return r.next.Redeem(ctx, id, until)
}

type observedAPIKeys struct {
	next apikey.Repository
	o    storeObserver
}

func (r observedAPIKeys) Create(ctx context.Context, k apikey.Key) (err error) {
	defer r.o.op(&ctx, "apikeys.create", &err)()
	return r.next.Create(ctx, k)
}

func (r observedAPIKeys) ByID(ctx context.Context, id string) (_ apikey.Key, err error) {
	defer r.o.op(&ctx, "apikeys.byID", &err)()
	return r.next.ByID(ctx, id)
}

func (r observedAPIKeys) ByHash(ctx context.Context, hash string) (_ apikey.Key, err error) {
	defer r.o.op(&ctx, "apikeys.byHash", &err)()
	return r.next.ByHash(ctx, hash)
}

func (r observedAPIKeys) List(ctx context.Context, workspaceID, afterID string, limit int) (_ []apikey.Key, err error) {
	defer r.o.op(&ctx, "apikeys.list", &err)()
	return r.next.List(ctx, workspaceID, afterID, limit)
}

func (r observedAPIKeys) Count(ctx context.Context, workspaceID string) (_ int, err error) {
	defer r.o.op(&ctx, "apikeys.count", &err)()
	return r.next.Count(ctx, workspaceID)
}

func (r observedAPIKeys) Delete(ctx context.Context, workspaceID, id string) (_ apikey.Key, err error) {
	defer r.o.op(&ctx, "apikeys.delete", &err)()
	return r.next.Delete(ctx, workspaceID, id)
}

func (r observedAPIKeys) Touch(ctx context.Context, id string, at, notBefore time.Time) (err error) {
	defer r.o.op(&ctx, "apikeys.touch", &err)()
	return r.next.Touch(ctx, id, at, notBefore)
}

type observedIdempotency struct {
	next idempotency.Repository
	o    storeObserver
}

func (r observedIdempotency) Insert(ctx context.Context, rec idempotency.Record) (_ idempotency.Record, _ bool, err error) {
	defer r.o.op(&ctx, "idempotency.insert", &err)()
	return r.next.Insert(ctx, rec)
}

func (r observedIdempotency) Complete(ctx context.Context, scope, key, token string, status int, header map[string]string, body []byte) (err error) {
	defer r.o.op(&ctx, "idempotency.complete", &err)()
	return r.next.Complete(ctx, scope, key, token, status, header, body)
}

func (r observedIdempotency) Release(ctx context.Context, scope, key, token string) (err error) {
	defer r.o.op(&ctx, "idempotency.release", &err)()
	return r.next.Release(ctx, scope, key, token)
}

func (r observedIdempotency) DeleteExpired(ctx context.Context, now time.Time) (err error) {
	defer r.o.op(&ctx, "idempotency.deleteExpired", &err)()
	return r.next.DeleteExpired(ctx, now)
}

type observedWebhooks struct {
	next webhook.Repository
	o    storeObserver
}

func (r observedWebhooks) Create(ctx context.Context, w webhook.Webhook) (err error) {
	defer r.o.op(&ctx, "webhooks.create", &err)()
	return r.next.Create(ctx, w)
}

func (r observedWebhooks) Get(ctx context.Context, workspaceID, id string) (_ webhook.Webhook, err error) {
	defer r.o.op(&ctx, "webhooks.get", &err)()
	return r.next.Get(ctx, workspaceID, id)
}

func (r observedWebhooks) List(ctx context.Context, workspaceID, afterID string, limit int) (_ []webhook.Webhook, err error) {
	defer r.o.op(&ctx, "webhooks.list", &err)()
	return r.next.List(ctx, workspaceID, afterID, limit)
}

func (r observedWebhooks) Count(ctx context.Context, workspaceID string) (_ int, err error) {
	defer r.o.op(&ctx, "webhooks.count", &err)()
	return r.next.Count(ctx, workspaceID)
}

func (r observedWebhooks) Active(ctx context.Context, afterID string, limit int) (_ []webhook.Webhook, err error) {
	defer r.o.op(&ctx, "webhooks.active", &err)()
	return r.next.Active(ctx, afterID, limit)
}

func (r observedWebhooks) Update(ctx context.Context, workspaceID, id string, change func(*webhook.Webhook) (bool, error)) (_ webhook.Webhook, _ bool, err error) {
	defer r.o.op(&ctx, "webhooks.update", &err)()
	return r.next.Update(ctx, workspaceID, id, change)
}

func (r observedWebhooks) Delete(ctx context.Context, workspaceID, id string) (err error) {
	defer r.o.op(&ctx, "webhooks.delete", &err)()
	return r.next.Delete(ctx, workspaceID, id)
}

func (r observedWebhooks) DeleteWorkspace(ctx context.Context, workspaceID string) (err error) {
	defer r.o.op(&ctx, "webhooks.deleteWorkspace", &err)()
	return r.next.DeleteWorkspace(ctx, workspaceID)
}

func (r observedWebhooks) AddAttempt(ctx context.Context, a webhook.Attempt) (err error) {
	defer r.o.op(&ctx, "webhooks.addAttempt", &err)()
	return r.next.AddAttempt(ctx, a)
}

func (r observedWebhooks) Attempts(ctx context.Context, webhookID string, q webhook.AttemptQuery) (_ []webhook.Attempt, err error) {
	defer r.o.op(&ctx, "webhooks.attempts", &err)()
	return r.next.Attempts(ctx, webhookID, q)
}

func (r observedWebhooks) LastAttempt(ctx context.Context, webhookID, deliveryID string) (_ webhook.Attempt, err error) {
	defer r.o.op(&ctx, "webhooks.lastAttempt", &err)()
	return r.next.LastAttempt(ctx, webhookID, deliveryID)
}

func (r observedWebhooks) PruneAttempts(ctx context.Context, before time.Time) (err error) {
	defer r.o.op(&ctx, "webhooks.pruneAttempts", &err)()
	return r.next.PruneAttempts(ctx, before)
}
