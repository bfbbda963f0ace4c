// Query keys of the WorkspaceOps REST resources, as data, and which of them each realtime event
// makes stale. No React, no TanStack Query import and no 'use client': a Next.js server
// component can use the keys to prefetch, the browser the same keys to read and invalidate.
//
// Everything of a workspace sits under ['workspace', workspaceId], so one prefix invalidates
// (resync) or drops (removed) exactly that workspace's queries and no other's.

/** The signed-in user's workspaces (GET /api/v1/workspaces). */
export const workspacesKey = Object.freeze(['workspaces'])

/**
 * workspaceKeys gives the keys of one workspace's queries. Lists are prefixes: put filters or
 * pages after them ([...keys.workItems, { status: 'ACTIVE' }]) and invalidating the list still
 * reaches them.
 * @param {string} workspaceId
 */
export function workspaceKeys(workspaceId) {
  const all = ['workspace', workspaceId]
  return {
    all, // every query of the workspace
    detail: [...all, 'detail'], // GET /workspaces/{wid} (my role in it included)
    members: [...all, 'members'],
    workItems: [...all, 'work-items'],
    workItem: (id) => [...all, 'work-item', id],
    documents: [...all, 'documents'],
    document: (id) => [...all, 'document', id],
    overview: [...all, 'overview'],
    auditLog: [...all, 'audit-log'],
  }
}

// A membership event about the signed-in user changes what the workspace list and the
// workspace's detail say (my role, a workspace I was added to or removed from); about someone
// else it changes only the member list. userId is null until the server said who we are: then
// assume it may be about me.
function membership(data, { keys, userId }) {
  const aboutMe = userId == null || data.userId === userId
  return aboutMe ? [keys.members, workspacesKey, keys.detail, keys.auditLog] : [keys.members, keys.auditLog]
}

function workItem(data, { keys }) {
  return [keys.workItems, keys.workItem(data.targetId), keys.auditLog]
}

function link(data, { keys }) {
  return [keys.workItems, keys.workItem(data.targetId), keys.document(data.documentId), keys.auditLog]
}

function document(data, { keys }) {
  return [keys.documents, keys.document(data.targetId), keys.auditLog]
}

/**
 * defaultInvalidations maps every event of the protocol to the keys it makes stale: a rule
 * (data, { keys, frame, userId }) => keys. Every event is an audit entry, so each rule includes
 * the audit log (only a mounted audit-log query refetches). The overview is refetched only on
 * overview:updated, which the server sends at most once per coalescing window after changes.
 * Override any rule per event (the provider's and the hook's `invalidate` option).
 */
export const defaultInvalidations = Object.freeze({
  'workspace:created': (data, { keys }) => [workspacesKey, keys.detail, keys.auditLog],
  'workspace:updated': (data, { keys }) => [workspacesKey, keys.detail, keys.auditLog],
  // `removed` follows for everyone in the room; it drops the workspace's queries.
  'workspace:deleted': () => [workspacesKey],
  'workspace:member-invited': membership,
  'workspace:member-joined': membership,
  'workspace:member-updated': membership,
  'workspace:member-removed': membership,
  'workspace:invitation-revoked': (data, { keys }) => [keys.members, keys.auditLog],
  'work-item:created': (data, { keys }) => [keys.workItems, keys.auditLog],
  'work-item:updated': workItem,
  'work-item:deleted': workItem,
  'work-item:status-changed': workItem,
  'work-item:document-linked': link,
  'work-item:document-unlinked': link,
  'document:uploaded': (data, { keys }) => [keys.documents, keys.auditLog],
  'document:updated': document,
  // Deleting a linked document also unlinks it from each item, one work-item:document-unlinked
  // each; the batching makes that one refetch of the list.
  'document:deleted': document,
  'document:expiry-changed': document,
  // A notification, not a change: it is left out of the audit feed's recent entries.
  'overview:updated': (data, { keys }) => [keys.overview],
  // API keys are managed by people, not shown by this package: only the audit log changes.
  'api-key:created': (data, { keys }) => [keys.auditLog],
  'api-key:revoked': (data, { keys }) => [keys.auditLog],
  // Webhooks too: a webhook deactivated after its last retry shows in the audit log.
  'webhook:disabled': (data, { keys }) => [keys.auditLog],
})
