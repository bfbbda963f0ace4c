// Type declarations of workspaceops-realtime.js (protocol v1, api/asyncapi.yaml).

/** The client's connection status. */
export type Status = 'connecting' | 'open' | 'reconnecting' | 'offline'

/** The transport in use. */
export type Transport = 'websocket' | 'sse'

/** Why the token callback is asked for a token. */
export type TokenReason =
  | 'connect' // the first connection
  | 'reconnect' // a reconnection after a drop
  | 'refresh' // the current token expires soon (refreshMargin): re-authenticate on the open socket
  | 'unauthorized' // the server refused or expired the last token (4001): return a NEW one
  | 'ticket' // an SSE ticket is requested (fallback transport)

// The events and their data are generated from api/asyncapi.yaml (events.d.ts, `make generate`):
// one EventMap, event name -> the type of its data, types on(), the React hooks and the
// invalidation map alike, so a misspelt event or field fails tsc.
import type { EventMap, EventName, EventData } from './events.js'
export type { EventMap, EventName, EventData, StandardData, Role, WorkItemStatus, ExpiryStatus } from './events.js'

/**
 * An event frame as handlers receive it. With no type argument it is the union of every
 * event's frame, so checking `frame.event` narrows `frame.data`.
 */
export type EventFrame<E extends EventName = EventName> = {
  [K in E]: {
    workspaceId: string
    /** gap-free, strictly increasing per workspace */
    seq: number
    /** the event name, e.g. work-item:status-changed */
    event: K
    data: EventMap[K]
  }
}[E]

/** The name the client fires, besides its own name, for every event (each is an audit entry). */
export type AuditEventName = 'audit-log:created'

export interface ResyncInfo {
  workspaceId: string
}

export interface RemovedInfo {
  workspaceId: string
  reason: 'member_removed' | 'workspace_deleted'
}

export interface JoinedInfo {
  workspaceId: string
  /** the workspace's head seq when joined */
  seq: number
  transport: Transport
}

export interface RealtimeError {
  /**
   * A server error code (not_found, forbidden, rate_limited, unavailable, internal, unauthorized, bad_request)
   * or a client one: token (the token callback threw), no_token, unauthorized (two 4001 in a row),
   * frame_too_big (1009), closed (1000 from the server), unsupported (no WebSocket nor EventSource).
   */
  code: string
  message: string
  /** the workspace a refused join was for */
  workspaceId?: string
  /** the close code that stopped the client */
  closeCode?: number
  /** true: the client stopped (status offline); call reconnect() once the cause is fixed */
  fatal?: boolean
  cause?: unknown
}

export type Unsubscribe = () => void

/** A handler per event name: (data, frame) typed by EventMap. */
export type EventHandlers = {
  [E in EventName]: (data: EventMap[E], frame: EventFrame<E>) => void
}

/** What on() accepts: every name, with the handler it calls. */
export interface RealtimeHandlers extends EventHandlers {
  /** every event (each is an audit entry) */
  'audit-log:created': (data: EventData, frame: EventFrame) => void
  /** every event, with its name */
  '*': (event: EventName, data: EventData, frame: EventFrame) => void
  /** replay was not possible: refetch everything of the workspace */
  resync: (info: ResyncInfo) => void
  /** access lost: the workspace is forgotten */
  removed: (info: RemovedInfo) => void
  /** in the room, after every (re)join */
  joined: (info: JoinedInfo) => void
  /** a refused join, a failing token callback, or (fatal) why the client stopped */
  error: (err: RealtimeError) => void
}

/** Every name on() accepts. */
export type HandlerName = keyof RealtimeHandlers

export interface BackoffOptions {
  /** ms; the first retry waits uniformly 0..initial (default 1000) */
  initial?: number
  /** ms; the cap of the exponential window (default 30000) */
  max?: number
  /** ms; after 4008 the wait is at least this, plus jitter (default 5000) */
  policyFloor?: number
  /** ms a connection must stay up before the backoff starts over (default 10000) */
  stableAfter?: number
}

export interface FallbackOptions {
  /** default true */
  enabled?: boolean
  /** consecutive WebSocket attempts that never got ready before switching to SSE (default 3) */
  after?: number
  /** ms on SSE before a WebSocket is tried again, alongside the streams (default 60000) */
  retryWebSocketAfter?: number
}

export interface ConnectOptions {
  /**
   * Returns the current bearer token (the JWT of login/refresh). Called on every (re)connect,
   * before the token expires, and for every SSE ticket; after a 4001 (reason 'unauthorized') it
   * must return a new token (refresh it, or log in again). An empty result stops the client.
   */
  token: (ctx: { reason: TokenReason }) => string | null | undefined | Promise<string | null | undefined>
  onResync?: (info: ResyncInfo) => void
  onRemoved?: (info: RemovedInfo) => void
  onError?: (err: RealtimeError) => void
  /** also receives the first 'connecting', which connect() reports before returning */
  onStatus?: (status: Status, info: { transport: Transport | null }) => void
  backoff?: BackoffOptions
  /** false disables the SSE fallback */
  fallback?: FallbackOptions | false
  /** ms a WebSocket has to open and answer ready (default 10000) */
  connectTimeout?: number
  /** ms before the token's expiry to re-authenticate, at most half its life (default 60000) */
  refreshMargin?: number
  /** client frames per second and burst (default 10 and 30; the server allows 20/s, bursts of 40) */
  sendRate?: number
  sendBurst?: number
  /** Endpoint overrides (default: derived from the url). */
  wsUrl?: string
  eventsUrl?: string
  ticketsUrl?: string
  /** Injectable for tests and non-browser runtimes. */
  WebSocket?: typeof WebSocket | undefined
  EventSource?: typeof EventSource | undefined
  fetch?: typeof fetch
  now?: () => number
  random?: () => number
  setTimeout?: (fn: () => void, ms: number) => unknown
  clearTimeout?: (id: unknown) => void
  /**
   * Where 'online' events come from (default: the global object when it has addEventListener,
   * i.e. window): when the network is back, a reconnect waiting out its backoff happens at once.
   * null turns it off.
   */
  onlineTarget?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> | null
}

export interface JoinOptions {
  /** resume after this seq (e.g. kept across page loads); default: from now */
  since?: number
}

export declare class RealtimeClient {
  constructor(url: string, options: ConnectOptions)
  readonly status: Status
  readonly transport: Transport | null
  /** the signed-in user's id, from the server's last `ready` (null before the first) */
  readonly userId: string | null
  /** the joined workspaces */
  readonly workspaces: string[]
  /** the last seq seen of a joined workspace (what a resume sends as since), or null */
  lastSeq(workspaceId: string): number | null
  join(workspaceId: string, options?: JoinOptions): void
  leave(workspaceId: string): void
  /** registers a handler (see RealtimeHandlers) and returns the function that removes it */
  on<N extends HandlerName>(name: N, handler: RealtimeHandlers[N]): Unsubscribe
  onStatus(handler: (status: Status, info: { transport: Transport | null }) => void): Unsubscribe
  /** connect now (resuming); restarts a client a fatal error stopped; no-op after close() */
  reconnect(): void
  /** disconnect for good */
  close(): void
}

/** Starts a client for the server at url (http(s)://host[:port], or its ws(s)://host/ws). */
export declare function connect(url: string, options: ConnectOptions): RealtimeClient

/** The wait before retry number attempt: floor + random() * min(max, initial * 2^attempt). */
export declare function backoffDelay(attempt: number, backoff: { initial: number; max: number }, random: () => number, floor?: number): number

export declare function endpoints(url: string): { ws: string; events: string; tickets: string }

export declare const AUDIT_EVENT: AuditEventName
export declare const STATUSES: readonly Status[]
export declare const DEFAULTS: {
  readonly backoff: Required<BackoffOptions>
  readonly fallback: Required<FallbackOptions>
  readonly connectTimeout: number
  readonly refreshMargin: number
  readonly sendRate: number
  readonly sendBurst: number
}
