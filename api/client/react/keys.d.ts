// Types of keys.js: the query keys as data and the event -> keys map (no React needed).

import type { EventMap, EventName, EventFrame } from '../workspaceops-realtime.js'

/** A TanStack Query key. */
export type QueryKey = readonly unknown[]

/** The signed-in user's workspaces (GET /api/v1/workspaces). */
export declare const workspacesKey: readonly ['workspaces']

/** The keys of one workspace's queries; lists are prefixes (append filters or pages). */
export interface WorkspaceKeys {
  /** every query of the workspace */
  readonly all: readonly ['workspace', string]
  /** GET /workspaces/{wid}: the workspace, with my role */
  readonly detail: readonly ['workspace', string, 'detail']
  readonly members: readonly ['workspace', string, 'members']
  readonly workItems: readonly ['workspace', string, 'work-items']
  workItem(id: string): readonly ['workspace', string, 'work-item', string]
  readonly documents: readonly ['workspace', string, 'documents']
  document(id: string): readonly ['workspace', string, 'document', string]
  readonly overview: readonly ['workspace', string, 'overview']
  readonly auditLog: readonly ['workspace', string, 'audit-log']
}

export declare function workspaceKeys(workspaceId: string): WorkspaceKeys

/** What a rule gets besides the event's data. */
export interface InvalidationContext<E extends EventName = EventName> {
  /** the keys of the event's workspace */
  keys: WorkspaceKeys
  frame: EventFrame<E>
  /** the signed-in user's id (from the server), null before it is known */
  userId: string | null
}

/** The keys an event makes stale; nothing (null, undefined, []) invalidates nothing. */
export type InvalidationRule<E extends EventName> = (
  data: EventMap[E],
  ctx: InvalidationContext<E>,
) => readonly QueryKey[] | null | undefined | void

/** A rule for every event. */
export type InvalidationMap = { [E in EventName]: InvalidationRule<E> }

/** Rules replacing the defaults, per event; null turns an event's invalidation off. */
export type InvalidationOverrides = { [E in EventName]?: InvalidationRule<E> | null }

/** The default rules (see keys.js for what each event invalidates and why). */
export declare const defaultInvalidations: Readonly<InvalidationMap>
