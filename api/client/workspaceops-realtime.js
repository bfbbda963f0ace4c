// @workspaceops/realtime: the browser client of the WorkspaceOps realtime protocol v1
// (api/asyncapi.yaml). One dependency-free ES module, no build step. The server serves this exact
// file at GET /client/workspaceops-realtime.js.
//
//   import { connect } from '/client/workspaceops-realtime.js'
//   const rt = connect('https://api.example.com', { token: () => currentToken() })
//   rt.join(workspaceId)
//   const off = rt.on('work-item:status-changed', (data, frame) => { ... })
//
// What it does for the app: authenticates every (re)connect with a fresh token from the token
// callback and re-authenticates before the token expires; reconnects with exponential backoff and
// full jitter (capped, reset once a connection has been stable); re-joins every joined workspace
// with `since` = the last seq seen so the server replays what was missed; drops duplicates by seq;
// obeys the close codes (4001 refresh the token, 4008 back off at least 5 s, 1000/1009 stop);
// falls back to Server-Sent Events (one stream per joined workspace, single-use tickets) when
// WebSockets cannot be established, and tries WebSocket again later. Time, randomness, WebSocket,
// EventSource and fetch are injectable options, so all of it is unit-tested without a network.

/** @type {readonly string[]} the statuses onStatus reports */
export const STATUSES = Object.freeze(['connecting', 'open', 'reconnecting', 'offline'])

/** The name the client fires, besides its own name, for every event (each event is an audit entry). */
export const AUDIT_EVENT = 'audit-log:created'

// Names of client notifications; server event names always contain a colon, so they never clash.
const CONTROL = new Set(['resync', 'removed', 'error', 'joined'])

// Close codes of protocol v1.
const NORMAL = 1000
const GOING_AWAY = 1001
const TOO_BIG = 1009
const UNAUTHORIZED = 4001
const POLICY = 4008

const WORKSPACE_ID = /^[0-9a-f]{24}$/

export const DEFAULTS = Object.freeze({
  backoff: Object.freeze({
    initial: 1000, // ms: the first retry waits up to this (full jitter: uniformly 0..initial)
    max: 30000, // ms: no wait is longer
    policyFloor: 5000, // ms: after 4008 the wait is at least this (plus jitter)
    stableAfter: 10000, // ms a connection must stay up before the backoff starts over
  }),
  fallback: Object.freeze({
    enabled: true,
    after: 3, // consecutive WebSocket attempts that never got ready before switching to SSE
    retryWebSocketAfter: 60000, // ms on SSE before a WebSocket is tried again (in parallel)
  }),
  connectTimeout: 10000, // ms a WebSocket has to open and answer `ready`
  refreshMargin: 60000, // ms before the token's expiry to re-authenticate (at most half its life)
  sendRate: 10, // client frames per second (the server closes 4008 above 20/s, bursts of 40)
  sendBurst: 30,
})

/**
 * backoffDelay is the wait before retry number `attempt` (0 for the first): exponential backoff
 * with full jitter, `floor + random() * min(max, initial * 2^attempt)`, capped at max + floor.
 * @param {number} attempt
 * @param {{initial: number, max: number}} backoff
 * @param {() => number} random uniform in [0, 1)
 * @param {number} [floor]
 */
export function backoffDelay(attempt, backoff, random, floor = 0) {
  const ceiling = Math.min(backoff.max, backoff.initial * 2 ** Math.min(Math.max(attempt, 0), 30))
  return Math.floor(floor + random() * ceiling)
}

/**
 * endpoints derives the URLs of a server from its base URL (http(s)://host[:port][/prefix]) or from
 * its WebSocket URL (ws(s)://host[:port]/ws).
 * @param {string} url
 */
export function endpoints(url) {
  let base = String(url).replace(/\/+$/, '')
  if (/^wss?:/i.test(base)) {
    base = base.replace(/^ws/i, 'http').replace(/\/ws$/, '')
  }
  if (!/^https?:\/\//i.test(base)) {
    throw new TypeError(`workspaceops-realtime: the url must be http(s):// or ws(s)://, got ${url}`)
  }
  return {
    ws: base.replace(/^http/i, 'ws') + '/ws',
    events: base + '/events',
    tickets: base + '/api/v1/realtime/tickets',
  }
}

/**
 * connect starts a client and returns it; it connects at once and keeps connected until close().
 * @param {string} url the server's base URL, e.g. https://api.example.com
 * @param {object} options see workspaceops-realtime.d.ts (ConnectOptions)
 */
export function connect(url, options) {
  const rt = new RealtimeClient(url, options)
  rt.reconnect()
  return rt
}

export class RealtimeClient {
  constructor(url, options = {}) {
    if (typeof options.token !== 'function') {
      throw new TypeError('workspaceops-realtime: options.token must be a function returning the bearer token')
    }
    const ep = endpoints(url)
    const g = globalThis
    this._o = {
      token: options.token,
      wsUrl: options.wsUrl ?? ep.ws,
      eventsUrl: options.eventsUrl ?? ep.events,
      ticketsUrl: options.ticketsUrl ?? ep.tickets,
      WebSocket: 'WebSocket' in options ? options.WebSocket : g.WebSocket,
      EventSource: 'EventSource' in options ? options.EventSource : g.EventSource,
      fetch: options.fetch ?? (g.fetch ? g.fetch.bind(g) : undefined),
      now: options.now ?? (() => Date.now()),
      random: options.random ?? Math.random,
      setTimeout: options.setTimeout ?? ((fn, ms) => g.setTimeout(fn, ms)),
      clearTimeout: options.clearTimeout ?? ((id) => g.clearTimeout(id)),
      backoff: { ...DEFAULTS.backoff, ...options.backoff },
      fallback: options.fallback === false
        ? { ...DEFAULTS.fallback, enabled: false }
        : { ...DEFAULTS.fallback, ...options.fallback },
      connectTimeout: options.connectTimeout ?? DEFAULTS.connectTimeout,
      refreshMargin: options.refreshMargin ?? DEFAULTS.refreshMargin,
      sendRate: options.sendRate ?? DEFAULTS.sendRate,
      sendBurst: options.sendBurst ?? DEFAULTS.sendBurst,
    }
    this._handlers = new Map() // name -> Set(handler)
    this._statusHandlers = new Set()
    if (options.onResync) this.on('resync', options.onResync)
    if (options.onRemoved) this.on('removed', options.onRemoved)
    if (options.onError) this.on('error', options.onError)
    if (options.onStatus) this.onStatus(options.onStatus)

    this._status = 'connecting'
    this._statusTransport = null
    this._userId = null // who the server says we are (ready.userId)
    this._everOpen = false
    this._closed = false // close() was called: final
    this._stopped = true // not connecting: before start, after close() or a fatal close code
    this._mode = 'websocket' // the transport in use or being established: 'websocket' | 'sse'
    this._attempt = 0 // consecutive failures: the backoff exponent
    this._wsFailures = 0 // consecutive WebSocket attempts that never got ready
    this._unauthorized = 0 // consecutive 4001s without a ready in between
    this._joined = new Map() // workspaceId -> { lastSeq: number|null, head: number|null }
    this._leaving = new Set() // left on the open socket, `left` not yet received
    this._streams = new Map() // SSE mode: workspaceId -> stream state
    this._timers = new Set()
    this._retryTimer = null
    this._probeTimer = null
    // the WebSocket connection in use or being established (or a probe while on SSE)
    this._conn = null
    // The browser says the network is back: a reconnect waiting out its backoff goes now.
    this._onlineTarget = 'onlineTarget' in options
      ? options.onlineTarget
      : (typeof g.addEventListener === 'function' ? g : null)
    this._onOnline = () => this._wake()
    this._onlineTarget?.addEventListener('online', this._onOnline)
  }

  /** The current status: 'connecting' | 'open' | 'reconnecting' | 'offline'. */
  get status() { return this._status }

  /** The signed-in user's id, from the server's last `ready` frame (null before the first). */
  get userId() { return this._userId }

  /** The transport in use: 'websocket' | 'sse', or null while offline. */
  get transport() { return this._stopped ? null : this._mode }

  /** The workspaces joined (and not removed), in join order. */
  get workspaces() { return [...this._joined.keys()] }

  /** The last seq seen of a joined workspace (what a resume sends as `since`), or null. */
  lastSeq(workspaceId) {
    const e = this._joined.get(workspaceId)
    return e ? e.lastSeq : null
  }

  /**
   * join subscribes to a workspace's events; it is re-joined on every reconnect, resuming after
   * the last seq seen. opts.since resumes from a seq the app kept (e.g. across page loads).
   */
  join(workspaceId, opts = {}) {
    if (!WORKSPACE_ID.test(workspaceId)) {
      throw new TypeError(`workspaceops-realtime: a workspace id is 24 lowercase hex characters, got ${workspaceId}`)
    }
    if (this._closed || this._joined.has(workspaceId)) return
    const since = Number.isSafeInteger(opts.since) && opts.since >= 0 ? opts.since : null
    // lastSeq: the last seq seen (since of a resume); head: the seq of the last `joined`;
    // confirmed: `joined` received on the current connection; early: seqs of user-room events
    // dispatched before it, so their replay is not dispatched twice.
    this._joined.set(workspaceId, { lastSeq: since, head: null, confirmed: false, early: null })
    this._leaving.delete(workspaceId)
    if (this._stopped) return
    if (this._mode === 'sse') {
      this._startStream(workspaceId, 0)
      this._updateSseStatus()
    } else if (this._conn?.ready) {
      this._sendJoin(this._conn, workspaceId)
    } // else: joined on `ready`
  }

  /** leave stops the events of a workspace. */
  leave(workspaceId) {
    if (!this._joined.delete(workspaceId)) return
    this._dropStream(workspaceId)
    const c = this._conn
    if (!this._stopped && c?.ready && this._mode === 'websocket') {
      this._leaving.add(workspaceId)
      this._send(c, { type: 'leave', workspaceId, ref: 'l:' + workspaceId })
    }
    if (this._mode === 'sse') this._updateSseStatus()
  }

  /**
   * on registers a handler and returns the function that removes it.
   *   on('work-item:status-changed', (data, frame) => ...)   one event
   *   on('audit-log:created', (data, frame) => ...)          every event (each is an audit entry)
   *   on('*', (event, data, frame) => ...)                   every event, with its name
   *   on('resync', ({workspaceId}) => ...)                   refetch everything of the workspace
   *   on('removed', ({workspaceId, reason}) => ...)          access lost; drop its caches
   *   on('joined', ({workspaceId, seq, transport}) => ...)   in the room (after every (re)join)
   *   on('error', (err) => ...)                              err.fatal: the client stopped
   */
  on(name, handler) {
    if (typeof handler !== 'function') throw new TypeError('workspaceops-realtime: a handler must be a function')
    let set = this._handlers.get(name)
    if (!set) this._handlers.set(name, (set = new Set()))
    const h = (...args) => handler(...args) // a distinct entry, so the same function may be added twice
    set.add(h)
    return () => { set.delete(h) }
  }

  /** onStatus reports every change of status, with the transport; returns its unsubscribe. */
  onStatus(handler) {
    if (typeof handler !== 'function') throw new TypeError('workspaceops-realtime: a handler must be a function')
    const h = (...args) => handler(...args)
    this._statusHandlers.add(h)
    return () => { this._statusHandlers.delete(h) }
  }

  /**
   * reconnect connects now, dropping the current connection (resuming as usual); it also
   * restarts a client a fatal close code stopped. It does nothing after close().
   */
  reconnect() {
    if (this._closed) return
    this._teardown()
    this._stopped = false
    this._attempt = 0
    this._wsFailures = 0
    this._unauthorized = 0
    this._mode = this._hasWebSocket() || !this._canFallback() ? 'websocket' : 'sse'
    this._setStatus(this._everOpen ? 'reconnecting' : 'connecting')
    this._connectNow()
  }

  /** close disconnects for good: no reconnect, no more handler calls. */
  close() {
    if (this._closed) return
    this._closed = true
    this._onlineTarget?.removeEventListener('online', this._onOnline)
    this._teardown()
    this._stopped = true
    this._setStatus('offline')
    this._handlers.clear()
    this._statusHandlers.clear()
  }

  // ---- connection management -------------------------------------------------------------

  _hasWebSocket() { return typeof this._o.WebSocket === 'function' }

  _canFallback() {
    return this._o.fallback.enabled && typeof this._o.EventSource === 'function' && typeof this._o.fetch === 'function'
  }

  _teardown() {
    for (const id of this._timers) this._o.clearTimeout(id)
    this._timers.clear()
    this._retryTimer = this._probeTimer = null
    this._httpCheck = null
    if (this._conn) this._dropConn(this._conn, NORMAL, 'client closed')
    for (const wid of [...this._streams.keys()]) this._dropStream(wid)
    this._leaving.clear()
  }

  _timer(fn, ms) {
    const id = this._o.setTimeout(() => { this._timers.delete(id); fn() }, Math.max(0, ms))
    this._timers.add(id)
    return id
  }

  _clear(id) {
    if (id == null) return
    this._o.clearTimeout(id)
    this._timers.delete(id)
  }

  _setStatus(status) {
    if (status === this._status && this.transport === this._statusTransport) return
    this._status = status
    this._statusTransport = this.transport
    if (status === 'open') this._everOpen = true
    const info = { transport: this.transport }
    for (const h of [...this._statusHandlers]) {
      try { h(status, info) } catch (err) { this._handlerFailed(err) }
    }
  }

  async _token(reason) {
    const t = await this._o.token({ reason })
    return typeof t === 'string' ? t : ''
  }

  _connectNow() {
    if (this._stopped) return
    if (this._mode === 'sse') {
      this._enterSse()
    } else if (!this._hasWebSocket()) {
      if (this._canFallback()) this._switchToSse()
      else this._fatal({ code: 'unsupported', message: 'neither WebSocket nor EventSource is available' })
    } else {
      this._openWebSocket(false)
    }
  }

  // retryLater schedules the next attempt with backoff (floor: 4008's minimum wait).
  _retryLater(floor = 0) {
    if (this._stopped) return
    const delay = backoffDelay(this._attempt, this._o.backoff, this._o.random, floor)
    this._attempt++
    this._setStatus(this._everOpen ? 'reconnecting' : 'connecting')
    this._clear(this._retryTimer)
    this._retryTimer = this._timer(() => { this._retryTimer = null; this._connectNow() }, delay)
  }

  // wake skips the rest of a backoff wait (the network came back) and resets the backoff.
  _wake() {
    if (this._stopped || this._retryTimer == null) return
    this._clear(this._retryTimer)
    this._retryTimer = null
    this._attempt = 0
    this._connectNow()
  }

  _fatal(err) {
    this._teardown()
    this._stopped = true
    this._setStatus('offline')
    this._emit('error', { ...err, fatal: true })
  }

  // ---- WebSocket -------------------------------------------------------------------------

  // openWebSocket starts a connection: token first (the server wants auth within 10 s), then the
  // socket, `auth` on open. A probe is a WebSocket tried while SSE streams serve the workspaces.
  async _openWebSocket(probe) {
    const conn = { ws: null, ready: false, probe, opened: false, expiresAt: 0, outbox: [], tokens: this._o.sendBurst, last: this._o.now(), flushTimer: null, refreshTimer: null, stableTimer: null, connectTimer: null, dead: false }
    if (this._conn) this._dropConn(this._conn, NORMAL, 'replaced')
    this._conn = conn
    let token
    try {
      token = await this._token(this._unauthorized > 0 ? 'unauthorized' : this._everOpen ? 'reconnect' : 'connect')
    } catch (err) {
      if (conn.dead || this._conn !== conn) return
      this._emit('error', { code: 'token', message: 'the token callback failed', cause: err })
      this._conn = null
      if (probe) this._scheduleProbe()
      else this._retryLater()
      return
    }
    if (conn.dead || this._conn !== conn) return
    if (!token) {
      this._fatal({ code: 'no_token', message: 'the token callback returned no token' })
      return
    }
    let ws
    try {
      ws = new this._o.WebSocket(this._o.wsUrl)
    } catch (err) {
      // Refused at once (blocked by policy, bad URL): no point in retrying WebSocket soon.
      this._conn = null
      if (probe) { this._scheduleProbe(); return }
      this._wsFailures++
      if (this._canFallback()) this._switchToSse()
      else this._afterWsFailure()
      return
    }
    conn.ws = ws
    conn.connectTimer = this._timer(() => {
      if (!conn.dead && !conn.ready) this._onWsClose(conn, 1006, 'connect timeout')
    }, this._o.connectTimeout)
    ws.onopen = () => {
      if (conn.dead) return
      conn.opened = true
      // batch: the server may send several frames in one message, newline-separated.
      this._send(conn, { type: 'auth', token, ref: 'auth', batch: true })
    }
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return
      for (const line of ev.data.split('\n')) {
        if (conn.dead) return
        let f
        try { f = JSON.parse(line) } catch { continue }
        if (f && typeof f === 'object') this._onWsFrame(conn, f)
      }
    }
    ws.onerror = () => {} // a close event follows
    ws.onclose = (ev) => {
      if (!conn.dead) this._onWsClose(conn, ev?.code ?? 1006, ev?.reason ?? '')
    }
  }

  // dropConn ends a connection the client gives up on; its late events are ignored.
  _dropConn(conn, code, reason) {
    conn.dead = true
    conn.ready = false
    for (const t of ['flushTimer', 'refreshTimer', 'stableTimer', 'connectTimer']) {
      this._clear(conn[t])
      conn[t] = null
    }
    if (conn.ws) {
      try { conn.ws.close(code, reason) } catch { /* already closed */ }
    }
    if (this._conn === conn) this._conn = null
  }

  _onWsClose(conn, code, reason) {
    const wasReady = conn.ready
    this._dropConn(conn, NORMAL, reason)
    this._leaving.clear()
    if (this._stopped) return
    if (conn.probe && !wasReady) {
      // Still on SSE: WebSocket is still not usable; try again later.
      this._scheduleProbe()
      return
    }
    switch (code) {
      case NORMAL:
        this._fatal({ code: 'closed', closeCode: code, message: `the server closed the connection (${code} ${reason})` })
        return
      case TOO_BIG:
        this._fatal({ code: 'frame_too_big', closeCode: code, message: 'the server refused a frame larger than it accepts (1009); not retrying' })
        return
      case UNAUTHORIZED:
        this._unauthorized++
        if (this._unauthorized >= 2) {
          this._fatal({ code: 'unauthorized', closeCode: code, message: 'the token was refused twice in a row (4001); log in again' })
          return
        }
        // Refresh the token, then reconnect: the next connect asks token({reason:'unauthorized'}).
        this._setStatus(this._everOpen ? 'reconnecting' : 'connecting')
        this._clear(this._retryTimer)
        this._retryTimer = this._timer(() => { this._retryTimer = null; this._connectNow() }, 0)
        return
      case POLICY:
        this._retryLater(this._o.backoff.policyFloor)
        return
      default:
        if (!wasReady) {
          this._wsFailures++
          this._afterWsFailure()
          return
        }
        this._retryLater()
    }
  }

  // afterWsFailure: a WebSocket never got ready. After fallback.after of them in a row, the
  // client switches to SSE, but only when the server answers HTTP: a server that is down (a
  // restart) is not a network that blocks WebSockets, and SSE would not help.
  async _afterWsFailure() {
    if (!this._canFallback() || this._wsFailures < this._o.fallback.after) {
      this._retryLater()
      return
    }
    const check = (this._httpCheck = {})
    this._setStatus(this._everOpen ? 'reconnecting' : 'connecting')
    let reachable = false
    try {
      const token = await this._token('ticket')
      const res = await this._o.fetch(this._o.ticketsUrl, { method: 'POST', headers: { Authorization: 'Bearer ' + token } })
      // Any answer but a 5xx: the API works over HTTP (a 5xx, say a deploy in progress, would
      // fail SSE as well).
      reachable = typeof res?.status === 'number' && res.status < 500
    } catch { /* unreachable */ }
    if (this._httpCheck !== check || this._stopped || this._mode !== 'websocket') return
    if (reachable) this._switchToSse()
    else this._retryLater()
  }

  _send(conn, frame) {
    conn.outbox.push(frame)
    this._flush(conn)
  }

  // flush writes queued frames within the client's own rate limit (below the server's 4008).
  _flush(conn) {
    if (conn.dead || conn.flushTimer != null || !conn.opened) return
    const now = this._o.now()
    conn.tokens = Math.min(this._o.sendBurst, conn.tokens + ((now - conn.last) / 1000) * this._o.sendRate)
    conn.last = now
    while (conn.outbox.length > 0 && conn.tokens >= 1) {
      const f = conn.outbox.shift()
      conn.tokens--
      try { conn.ws.send(JSON.stringify(f)) } catch { return } // closing: the close event follows
    }
    if (conn.outbox.length > 0) {
      const wait = Math.ceil(((1 - conn.tokens) / this._o.sendRate) * 1000)
      conn.flushTimer = this._timer(() => { conn.flushTimer = null; this._flush(conn) }, wait)
    }
  }

  _sendJoin(conn, wid) {
    const e = this._joined.get(wid)
    if (!e) return
    const f = { type: 'join', workspaceId: wid, ref: 'j:' + wid }
    if (e.lastSeq != null) f.since = e.lastSeq
    this._send(conn, f)
  }

  _onWsFrame(conn, f) {
    switch (f.type) {
      case 'ready':
        this._onReady(conn, f)
        return
      case 'left':
        this._leaving.delete(f.workspaceId)
        return
      case 'error':
        this._onWsError(conn, f)
        return
      case 'pong':
        return
      default:
        if (!conn.ready) return
        this._onFrame(f, 'websocket')
    }
  }

  _onReady(conn, f) {
    if (typeof f.userId === 'string') this._userId = f.userId
    const exp = Date.parse(f.expiresAt)
    const refreshed = conn.ready
    const prevExp = conn.expiresAt
    conn.expiresAt = Number.isFinite(exp) ? exp : 0
    if (!refreshed) {
      conn.ready = true
      this._clear(conn.connectTimer)
      conn.connectTimer = null
      this._unauthorized = 0
      this._wsFailures = 0
      if (conn.probe) {
        // Back from SSE: WebSocket works again. It takes over; the joins below resume from the
        // last seq, so closing the streams now loses nothing (duplicates are dropped).
        conn.probe = false
        this._clear(this._probeTimer)
        this._probeTimer = null
        for (const wid of [...this._streams.keys()]) this._dropStream(wid)
      }
      this._mode = 'websocket'
      this._setStatus('open')
      // The backoff starts over only once the connection proved stable.
      conn.stableTimer = this._timer(() => { conn.stableTimer = null; this._attempt = 0 }, this._o.backoff.stableAfter)
      for (const [wid, e] of this._joined) {
        e.confirmed = false
        this._sendJoin(conn, wid)
      }
    }
    this._scheduleRefresh(conn, refreshed && conn.expiresAt <= prevExp)
  }

  // scheduleRefresh re-authenticates before the token expires: at most refreshMargin before,
  // and never earlier than half its remaining life. When the last refresh did not move the
  // expiry (the token callback gave the same token), it tries again halfway to the expiry; if
  // it still expires, the server closes 4001 and the client reconnects with a fresh token.
  _scheduleRefresh(conn, unchanged) {
    this._clear(conn.refreshTimer)
    conn.refreshTimer = null
    if (!conn.expiresAt) return
    const left = conn.expiresAt - this._o.now()
    if (left <= 0) return
    const delay = unchanged ? Math.max(left / 2, Math.min(5000, left)) : left - Math.min(this._o.refreshMargin, left / 2)
    if (unchanged && delay >= left) return
    conn.refreshTimer = this._timer(async () => {
      conn.refreshTimer = null
      let token
      try { token = await this._token('refresh') } catch (err) {
        this._emit('error', { code: 'token', message: 'the token callback failed', cause: err })
        return
      }
      if (conn.dead || !conn.ready || !token) return
      this._send(conn, { type: 'auth', token, ref: 'refresh' })
    }, delay)
  }

  _onWsError(conn, f) {
    const ref = typeof f.ref === 'string' ? f.ref : ''
    const err = { code: f.code, message: f.message }
    if (ref.startsWith('j:')) {
      const wid = ref.slice(2)
      err.workspaceId = wid
      if (f.code === 'not_found' || f.code === 'forbidden') {
        this._joined.delete(wid) // not a member: joining again will not help
      } else if ((f.code === 'internal' || f.code === 'unavailable') && this._joined.has(wid)) {
        this._timer(() => { if (this._conn === conn && conn.ready) this._sendJoin(conn, wid) }, backoffDelay(1, this._o.backoff, this._o.random, 500))
      }
    } else if (ref === 'refresh' && conn.expiresAt) {
      this._scheduleRefresh(conn, true)
    }
    this._emit('error', err)
  }

  // ---- SSE fallback ----------------------------------------------------------------------

  _switchToSse() {
    this._mode = 'sse'
    this._enterSse()
  }

  // enterSse opens one stream per joined workspace and schedules the next WebSocket probe.
  _enterSse() {
    for (const wid of this._joined.keys()) {
      if (!this._streams.has(wid)) this._startStream(wid, 0)
    }
    this._updateSseStatus()
    if (this._probeTimer == null) this._scheduleProbe()
  }

  _scheduleProbe() {
    if (this._stopped || this._mode !== 'sse' || !this._hasWebSocket()) return
    this._clear(this._probeTimer)
    this._probeTimer = this._timer(() => {
      this._probeTimer = null
      if (this._mode === 'sse' && !this._stopped) this._openWebSocket(true)
    }, this._o.fallback.retryWebSocketAfter)
  }

  // updateSseStatus: open while no stream is failing and one is in (a stream of a workspace
  // joined meanwhile does not make the client look disconnected while it opens).
  _updateSseStatus() {
    if (this._stopped || this._mode !== 'sse') return
    const all = [...this._streams.values()]
    if (all.length === 0 || (!all.some((s) => s.failed) && all.some((s) => s.ok))) this._setStatus('open')
    else this._setStatus(this._everOpen ? 'reconnecting' : 'connecting')
  }

  _startStream(wid, delay) {
    let st = this._streams.get(wid)
    if (!st) {
      st = { wid, es: null, gen: 0, attempt: 0, unauthorized: 0, ok: false, failed: false, timer: null, stableTimer: null }
      this._streams.set(wid, st)
    }
    this._clear(st.timer)
    st.timer = this._timer(() => { st.timer = null; this._connectStream(st) }, delay)
  }

  _dropStream(wid) {
    const st = this._streams.get(wid)
    if (!st) return
    this._streams.delete(wid)
    st.gen++
    this._clear(st.timer)
    this._clear(st.stableTimer)
    if (st.es) {
      try { st.es.close() } catch { /* gone */ }
      st.es = null
    }
  }

  _streamCurrent(st, gen) {
    return !this._stopped && this._mode === 'sse' && this._streams.get(st.wid) === st && st.gen === gen
  }

  // connectStream: a fresh token, a single-use ticket for it, then GET /events with since.
  async _connectStream(st) {
    const gen = ++st.gen
    st.ok = false
    let token
    try {
      token = await this._token(st.unauthorized > 0 ? 'unauthorized' : 'ticket')
    } catch (err) {
      if (!this._streamCurrent(st, gen)) return
      this._emit('error', { code: 'token', message: 'the token callback failed', cause: err })
      this._streamFailed(st, gen)
      return
    }
    if (!this._streamCurrent(st, gen)) return
    if (!token) {
      this._fatal({ code: 'no_token', message: 'the token callback returned no token' })
      return
    }
    let ticket
    try {
      const res = await this._o.fetch(this._o.ticketsUrl, { method: 'POST', headers: { Authorization: 'Bearer ' + token } })
      if (!this._streamCurrent(st, gen)) return
      if (res.status === 401) {
        this._streamUnauthorized(st, gen)
        return
      }
      if (!res.ok) {
        this._streamFailed(st, gen, res.status === 429 ? this._o.backoff.policyFloor : 0)
        return
      }
      ticket = (await res.json()).ticket
    } catch (err) {
      if (this._streamCurrent(st, gen)) this._streamFailed(st, gen)
      return
    }
    if (!this._streamCurrent(st, gen)) return
    const e = this._joined.get(st.wid)
    if (!e || typeof ticket !== 'string') {
      this._streamFailed(st, gen)
      return
    }
    let url = `${this._o.eventsUrl}?ticket=${encodeURIComponent(ticket)}&workspaceId=${st.wid}`
    if (e.lastSeq != null) url += `&since=${e.lastSeq}`
    let es
    try {
      es = new this._o.EventSource(url)
    } catch (err) {
      this._streamFailed(st, gen)
      return
    }
    st.es = es
    es.onmessage = (ev) => {
      if (!this._streamCurrent(st, gen)) return
      let f
      try { f = JSON.parse(ev.data) } catch { return }
      if (f && typeof f === 'object') this._onStreamFrame(st, gen, f)
    }
    // A ticket is single-use: EventSource's own reconnect would be refused, so the client
    // closes it and reconnects itself with a new ticket and `since`.
    es.onerror = () => {
      if (this._streamCurrent(st, gen)) this._streamFailed(st, gen)
    }
  }

  _streamFailed(st, gen, floor = 0) {
    if (!this._streamCurrent(st, gen)) return
    st.gen++
    if (st.es) {
      try { st.es.close() } catch { /* gone */ }
      st.es = null
    }
    st.ok = false
    st.failed = true
    this._clear(st.stableTimer)
    st.stableTimer = null
    const delay = backoffDelay(st.attempt, this._o.backoff, this._o.random, floor)
    st.attempt++
    this._startStream(st.wid, delay)
    this._updateSseStatus()
  }

  _streamUnauthorized(st, gen) {
    st.unauthorized++
    if (st.unauthorized >= 2) {
      this._fatal({ code: 'unauthorized', closeCode: UNAUTHORIZED, message: 'the token was refused twice in a row; log in again' })
      return
    }
    st.gen++
    if (st.es) {
      try { st.es.close() } catch { /* gone */ }
      st.es = null
    }
    st.ok = false
    st.failed = true
    this._startStream(st.wid, 0)
    this._updateSseStatus()
  }

  _onStreamFrame(st, gen, f) {
    switch (f.type) {
      case 'joined':
        st.ok = true
        st.failed = false
        st.unauthorized = 0
        this._clear(st.stableTimer)
        st.stableTimer = this._timer(() => { st.stableTimer = null; st.attempt = 0 }, this._o.backoff.stableAfter)
        this._onFrame(f, 'sse')
        this._updateSseStatus()
        return
      case 'close':
        // The stream ends as a WebSocket would close with f.code.
        if (f.code === UNAUTHORIZED) this._streamUnauthorized(st, gen)
        else this._streamFailed(st, gen, f.code === POLICY ? this._o.backoff.policyFloor : 0)
        return
      case 'error': {
        // A refused join; the server ends the stream after it.
        this._emit('error', { code: f.code, message: f.message, workspaceId: st.wid })
        if (f.code === 'not_found' || f.code === 'forbidden') {
          this._joined.delete(st.wid)
          this._dropStream(st.wid)
          this._updateSseStatus()
        } else {
          this._streamFailed(st, gen, f.code === 'rate_limited' ? this._o.backoff.policyFloor : 0)
        }
        return
      }
      default:
        this._onFrame(f, 'sse')
    }
  }

  // ---- frames common to both transports --------------------------------------------------

  _onFrame(f, transport) {
    const wid = f.workspaceId
    switch (f.type) {
      case 'joined': {
        const e = this._joined.get(wid)
        if (!e) return
        e.head = f.seq
        e.confirmed = true
        if (e.lastSeq == null) e.lastSeq = f.seq // a fresh join: live events follow the head
        this._emit('joined', { workspaceId: wid, seq: f.seq, transport })
        return
      }
      case 'event':
        this._onEvent(f)
        return
      case 'resync': {
        const e = this._joined.get(wid)
        if (!e) return
        // Replay was not possible: everything up to the head must be refetched; live events
        // follow the head.
        if (e.head != null) e.lastSeq = e.head
        this._emit('resync', { workspaceId: wid })
        return
      }
      case 'removed':
        this._joined.delete(wid)
        this._dropStream(wid)
        this._emit('removed', { workspaceId: wid, reason: f.reason })
        if (this._mode === 'sse') this._updateSseStatus()
    }
  }

  _onEvent(f) {
    const wid = f.workspaceId
    if (typeof f.event !== 'string' || !Number.isSafeInteger(f.seq)) return
    if (this._leaving.has(wid)) return
    const e = this._joined.get(wid)
    if (e && e.confirmed) {
      if (e.lastSeq != null && f.seq <= e.lastSeq) return // seen: a replay overlapping live
      e.lastSeq = f.seq
      if (e.early?.delete(f.seq)) return // dispatched before `joined`, from the user room
    } else if (e) {
      // Before `joined` only the user room speaks (membership events about this user): dispatch,
      // remember, and let the resume's replay fill lastSeq.
      if (e.early?.has(f.seq)) return
      ;(e.early ??= new Set()).add(f.seq)
      if (e.early.size > 100) e.early.delete(e.early.values().next().value)
    } // else: a membership event about this user from a workspace not joined (the user room)
    const data = f.data ?? {}
    const frame = { workspaceId: wid, seq: f.seq, event: f.event, data }
    this._emit(f.event, data, frame)
    this._emitAll(frame)
    this._emit(AUDIT_EVENT, data, frame)
  }

  _emit(name, ...args) {
    const set = this._handlers.get(name)
    if (!set) {
      if (name === 'error' && args[0]?.fatal && typeof console !== 'undefined') {
        console.warn('workspaceops-realtime:', args[0].message)
      }
      return
    }
    for (const h of [...set]) {
      try { h(...args) } catch (err) { this._handlerFailed(err) }
    }
  }

  _emitAll(frame) {
    if (CONTROL.has(frame.event)) return
    const set = this._handlers.get('*')
    if (!set) return
    for (const h of [...set]) {
      try { h(frame.event, frame.data, frame) } catch (err) { this._handlerFailed(err) }
    }
  }

  // A throwing handler must not stop the others nor the client: report it as an uncaught
  // error would be (the console, window.onerror), without throwing.
  _handlerFailed(err) {
    if (typeof globalThis.reportError === 'function') globalThis.reportError(err)
    else if (typeof console !== 'undefined') console.error('workspaceops-realtime: a handler threw', err)
  }
}
