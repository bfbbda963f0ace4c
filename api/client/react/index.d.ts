// Types of @workspaceops/realtime/react (index.js).

import type { ReactElement, ReactNode } from 'react'
import type { QueryClient } from '@tanstack/react-query'
import type {
  ConnectOptions,
  EventName,
  HandlerName,
  RealtimeClient,
  RealtimeHandlers,
  Status,
  TokenReason,
} from '../workspaceops-realtime.js'
import type { InvalidationOverrides } from './keys.js'

export * from './keys.js'
export type {
  AuditEventName,
  EventData,
  EventFrame,
  EventMap,
  EventName,
  HandlerName,
  RealtimeClient,
  RealtimeError,
  RealtimeHandlers,
  Status,
  TokenReason,
  Transport,
} from '../workspaceops-realtime.js'

/** Skip invalidations for events the signed-in user made: all of them, or these. */
export type SkipOwnEvents = boolean | readonly EventName[]

export interface RealtimeProviderProps {
  /** The server's base URL (http(s)://host[:port]); the package reads no environment variable. */
  url: string
  /**
   * The bearer token, or null/undefined while nobody is signed in; may be async. reason
   * 'refresh' (the token expires soon) and 'unauthorized' (the server refused it) want a NEW
   * token: refresh it (POST /api/v1/auth/refresh). 'connect' should be cheap (read the stored
   * one): the provider asks it to learn whether someone is signed in.
   */
  getToken: (ctx: { reason: TokenReason }) => string | null | undefined | Promise<string | null | undefined>
  /**
   * Who is signed in (a user id, an email: any string that changes with the login), null when
   * nobody is. The client runs while it is a string and getToken gives a token; null closes it
   * (logout); another string starts a new client (another login). Left undefined, the provider
   * asks getToken on every render while no client runs, and stops when getToken gives no token.
   */
  user?: string | null
  /** Rules replacing defaultInvalidations, per event, for every workspace. */
  invalidate?: InvalidationOverrides
  /** Default of useWorkspaceRealtime's skipOwnEvents (default false). */
  skipOwnEvents?: SkipOwnEvents
  /** ms: the invalidations of a burst are made once, at the end of this window (default 50). */
  batchWindow?: number
  /** The client's options (backoff, fallback, timeouts...); the token comes from getToken. */
  options?: Omit<ConnectOptions, 'token'>
  /** Default: the QueryClientProvider's. */
  queryClient?: QueryClient
  children?: ReactNode
}

/** Runs one realtime client for the app while someone is signed in; mount it at the root. */
export declare function RealtimeProvider(props: RealtimeProviderProps): ReactElement

/** The running client, null while nobody is signed in. */
export declare function useRealtime(): RealtimeClient | null

/** 'offline' while no client runs (nobody signed in, no token, stopped); else the client's status. */
export declare function useRealtimeStatus(): Status

export interface WorkspaceRealtimeOptions {
  /** false: neither join nor invalidate (default true) */
  enabled?: boolean
  /** Rules replacing the provider's and the defaults for this workspace's events. */
  invalidate?: InvalidationOverrides
  /**
   * Events whose actorId is the signed-in user invalidate nothing: use it for the events whose
   * cache your own mutations already update (setQueryData in onSuccess). Default: the provider's.
   */
  skipOwnEvents?: SkipOwnEvents
}

/** Joins the workspace while mounted and invalidates its queries on its events; returns the status. */
export declare function useWorkspaceRealtime(
  workspaceId: string | null | undefined,
  options?: WorkspaceRealtimeOptions,
): Status

export interface RealtimeEventOptions {
  /** only this workspace's events (or notices) */
  workspaceId?: string
}

/** Calls handler for each `name` while mounted (typed by name: see RealtimeHandlers). */
export declare function useRealtimeEvent<N extends HandlerName>(
  name: N,
  handler: RealtimeHandlers[N],
  options?: RealtimeEventOptions,
): void
