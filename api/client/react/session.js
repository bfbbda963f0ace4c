// The logic behind the React entry, without React: one RealtimeSession per <RealtimeProvider>.
// It decides when a client runs (someone is signed in and getToken gives a token) and stops it
// on logout, keeps the workspaces the mounted screens show joined (counted, across clients),
// turns events into query invalidations batched per window, and forwards events to the hooks'
// handlers. index.js only ties it to React; this file imports neither React nor TanStack Query,
// so the Node tests drive it with a fake client, query client and clock.

import { connect as realConnect, AUDIT_EVENT } from '../workspaceops-realtime.js'
import { defaultInvalidations, workspaceKeys, workspacesKey } from './keys.js'

const WORKSPACE_ID = /^[0-9a-f]{24}$/

const DEFAULT_CONFIG = Object.freeze({
  url: '',
  getToken: () => null,
  invalidate: null, // the provider's overrides of defaultInvalidations
  skipOwnEvents: false,
  batchWindow: 50, // ms: the keys of one burst are invalidated once, at the end of the window
  connectOptions: null, // passed to connect() (backoff, fallback, ...)
  queryClient: null,
})

export class RealtimeSession {
  /**
   * @param {{connect?: Function, setTimeout?: Function, clearTimeout?: Function}} [deps]
   *   injectable for tests: connect() of the client and the timers
   */
  constructor(deps = {}) {
    this._connect = deps.connect ?? realConnect
    this._setTimeout = deps.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms))
    this._clearTimeout = deps.clearTimeout ?? ((id) => globalThis.clearTimeout(id))
    this._cfg = { ...DEFAULT_CONFIG }
    this._active = false // between start() and stop()
    this._user = undefined // the provider's `user`: a string, null (nobody), undefined (not told)
    // idle: nobody signed in, or no token | probing: asking getToken | running: a client
    // runs | failed: the client stopped for good on this token (refused twice, closed 1000...)
    this._phase = 'idle'
    this._gen = 0 // bumped on every start, stop and probe: late answers of getToken are dropped
    this._client = null
    this._status = 'offline'
    this._failedToken = null
    this._listeners = new Set()
    this._joins = new Map() // workspaceId -> how many mounted hooks show it
    this._leaves = new Map() // workspaceId -> timer of a deferred leave
    this._watchers = new Map() // workspaceId -> Set of () => hook options
    this._handlers = new Map() // name -> Set of handlers
    this._pending = new Map() // stable hash -> query key, invalidated at the end of the window
    this._flushTimer = null
    // Bound, for useSyncExternalStore.
    this.subscribe = (fn) => {
      this._listeners.add(fn)
      return () => { this._listeners.delete(fn) }
    }
    this.getStatus = () => this._status
    this.getClient = () => this._client
  }

  /** configure takes the provider's latest props; it never restarts anything. */
  configure(cfg) {
    const next = { ...DEFAULT_CONFIG }
    for (const [k, v] of Object.entries(cfg)) if (v !== undefined) next[k] = v
    this._cfg = next
  }

  /** start runs for `user` (a string: that user; null: nobody; undefined: ask getToken). */
  start(user) {
    this._active = true
    this._user = user
    this._check()
  }

  /** stop closes the client; queued invalidations are dropped (they were the old session's). */
  stop() {
    this._active = false
    this._gen++
    this._closeClient()
    this._phase = 'idle'
    this._pending.clear()
    if (this._flushTimer != null) this._clearTimeout(this._flushTimer)
    this._flushTimer = null
    for (const t of this._leaves.values()) this._clearTimeout(t)
    this._leaves.clear()
    this._setStatus('offline')
  }

  /**
   * poke asks getToken again when no client runs: the provider pokes on every render, so a
   * login that re-renders it starts the client even when `user` is not passed.
   */
  poke() {
    if (!this._active || this._user === null) return
    if (this._phase === 'idle' || this._phase === 'failed') this._check()
  }

  // check asks getToken whether someone is signed in and starts a client when so.
  _check() {
    if (this._user === null) {
      this._toIdle()
      return
    }
    const gen = ++this._gen
    const retry = this._phase === 'failed'
    this._phase = 'probing'
    if (typeof this._user === 'string') this._setStatus('connecting')
    let answer
    try {
      answer = this._cfg.getToken({ reason: 'connect' })
    } catch (err) {
      answer = Promise.reject(err)
    }
    Promise.resolve(answer).then(
      (token) => {
        if (gen !== this._gen || !this._active) return
        if (typeof token !== 'string' || token === '') {
          this._toIdle()
        } else if (retry && token === this._failedToken) {
          // The token the client gave up on: wait for another (a new login).
          this._phase = 'failed'
          this._setStatus('offline')
        } else {
          this._startClient(token)
        }
      },
      (err) => {
        if (gen !== this._gen || !this._active) return
        this._toIdle()
        this._emit('error', { code: 'token', message: 'the getToken callback failed', cause: err })
      },
    )
  }

  _startClient(firstToken) {
    this._phase = 'running'
    this._failedToken = null
    let first = firstToken // the probe's answer serves the first connect: getToken is not asked twice
    let last = firstToken
    let rt = null
    const token = async (ctx) => {
      let t = first
      if (t == null || ctx.reason !== 'connect') t = await this._cfg.getToken(ctx)
      first = null
      if (typeof t !== 'string' || t === '') {
        // Nobody is signed in any more (a refresh gets no token): stop, the next probe starts.
        queueMicrotask(() => { if (rt && this._client === rt) this._toIdle() })
        return null
      }
      last = t
      return t
    }
    rt = this._connect(this._cfg.url, { ...this._cfg.connectOptions, token })
    this._client = rt
    let wasOpen = false
    rt.onStatus((status) => {
      if (this._client !== rt || status === 'offline') return // a stop reports through 'error'
      if (status === 'open') {
        // Events about me from workspaces not joined (the user room) are not replayed after a
        // reconnect: refresh the workspace list once back.
        if (wasOpen) this._queue([workspacesKey])
        wasOpen = true
      }
      this._setStatus(status)
    })
    rt.on('*', (event, data, frame) => { if (this._client === rt) this._onEvent(rt, frame) })
    rt.on('resync', (info) => {
      if (this._client !== rt) return
      // Replay was not possible: everything of that workspace may be stale, and only that.
      this._queue([workspaceKeys(info.workspaceId).all, workspacesKey])
      this._emit('resync', info)
    })
    rt.on('removed', (info) => {
      if (this._client !== rt) return
      const all = workspaceKeys(info.workspaceId).all
      for (const [h, k] of this._pending) if (isPrefix(all, k)) this._pending.delete(h)
      this._cfg.queryClient?.removeQueries({ queryKey: all })
      this._queue([workspacesKey])
      this._emit('removed', info)
    })
    rt.on('joined', (info) => { if (this._client === rt) this._emit('joined', info) })
    rt.on('error', (err) => {
      if (this._client !== rt) return
      this._emit('error', err)
      if (!err.fatal) return
      if (err.code === 'no_token') this._toIdle()
      else this._fail(last)
    })
    for (const wid of this._joins.keys()) rt.join(wid)
    this._setStatus(rt.status)
    this._notify() // the client changed
  }

  _closeClient() {
    const rt = this._client
    if (!rt) return
    this._client = null
    rt.close()
    this._notify()
  }

  _toIdle() {
    this._gen++
    this._closeClient()
    this._phase = 'idle'
    this._setStatus('offline')
  }

  _fail(token) {
    this._closeClient()
    this._phase = 'failed'
    this._failedToken = token
    this._setStatus('offline')
  }

  /**
   * join keeps a workspace joined while at least one hook shows it; it returns the release.
   * The last release leaves after a tick, so React StrictMode's unmount-and-mount-again (or a
   * screen replaced by another of the same workspace) neither leaves nor loses its resume point.
   */
  join(workspaceId) {
    if (!WORKSPACE_ID.test(workspaceId)) {
      reportError(new TypeError(`workspaceops-realtime: a workspace id is 24 lowercase hex characters, got ${workspaceId}`))
      return () => {}
    }
    const t = this._leaves.get(workspaceId)
    if (t != null) {
      this._clearTimeout(t)
      this._leaves.delete(workspaceId)
    }
    const n = (this._joins.get(workspaceId) ?? 0) + 1
    this._joins.set(workspaceId, n)
    if (n === 1) this._client?.join(workspaceId) // a no-op when the client is still in it
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this._joins.get(workspaceId) ?? 1) - 1
      if (left > 0) {
        this._joins.set(workspaceId, left)
        return
      }
      this._joins.delete(workspaceId)
      if (!this._active) return // stopped: the client is closed anyway
      this._leaves.set(workspaceId, this._setTimeout(() => {
        this._leaves.delete(workspaceId)
        if (!this._joins.has(workspaceId)) this._client?.leave(workspaceId)
      }, 0))
    }
  }

  /** watch applies the invalidation map (with the hook's options) to a workspace's events. */
  watch(workspaceId, getOptions) {
    let set = this._watchers.get(workspaceId)
    if (!set) this._watchers.set(workspaceId, (set = new Set()))
    const w = () => getOptions() ?? {}
    set.add(w)
    return () => {
      set.delete(w)
      if (set.size === 0 && this._watchers.get(workspaceId) === set) this._watchers.delete(workspaceId)
    }
  }

  /** on registers a handler with the client's names and arguments; it outlives clients. */
  on(name, handler) {
    let set = this._handlers.get(name)
    if (!set) this._handlers.set(name, (set = new Set()))
    const h = (...args) => handler(...args)
    set.add(h)
    return () => { set.delete(h) }
  }

  _onEvent(rt, frame) {
    // The hooks showing the workspace decide (their options may differ; the keys are merged).
    // An event of a workspace no hook shows (the user room: I was added elsewhere) gets the
    // provider's map.
    const watchers = this._watchers.get(frame.workspaceId)
    const keys = []
    if (watchers?.size) for (const w of watchers) keys.push(...this._keysFor(rt, frame, w()))
    else keys.push(...this._keysFor(rt, frame, {}))
    this._queue(keys)
    this._emit(frame.event, frame.data, frame)
    this._emit('*', frame.event, frame.data, frame)
    this._emit(AUDIT_EVENT, frame.data, frame)
  }

  _keysFor(rt, frame, opts) {
    const skip = opts.skipOwnEvents ?? this._cfg.skipOwnEvents
    const actor = frame.data?.actorId
    if (skip && actor != null && actor === rt.userId && (skip === true || skip.includes(frame.event))) return []
    let rule = defaultInvalidations[frame.event] // undefined for an event newer than this package
    for (const o of [this._cfg.invalidate, opts.invalidate]) {
      if (o && Object.hasOwn(o, frame.event)) rule = o[frame.event]
    }
    if (typeof rule !== 'function') return []
    let out
    try {
      out = rule(frame.data, { keys: workspaceKeys(frame.workspaceId), frame, userId: rt.userId })
    } catch (err) {
      reportError(err)
      return []
    }
    return Array.isArray(out) ? out.filter((k) => Array.isArray(k)) : []
  }

  // queue collects keys; the first of a burst arms the window, whose end invalidates each key
  // once (TanStack Query would otherwise cancel and restart a refetch per invalidation).
  _queue(keys) {
    if (keys.length === 0 || !this._cfg.queryClient) return
    for (const k of keys) this._pending.set(stableHash(k), k)
    if (this._flushTimer != null) return
    this._flushTimer = this._setTimeout(() => {
      this._flushTimer = null
      this._flush()
    }, this._cfg.batchWindow)
  }

  _flush() {
    const qc = this._cfg.queryClient
    // Shortest first: a key whose prefix is invalidated too is already covered by it.
    const keys = [...this._pending.values()].sort((a, b) => a.length - b.length)
    this._pending.clear()
    const done = []
    for (const k of keys) {
      if (done.some((p) => isPrefix(p, k))) continue
      done.push(k)
      Promise.resolve(qc?.invalidateQueries({ queryKey: k })).catch(() => {}) // a failed refetch shows in its query
    }
  }

  _setStatus(status) {
    if (status === this._status) return
    this._status = status
    this._notify()
  }

  _notify() {
    for (const fn of [...this._listeners]) fn()
  }

  _emit(name, ...args) {
    const set = this._handlers.get(name)
    if (!set) return
    for (const h of [...set]) {
      try { h(...args) } catch (err) { reportError(err) }
    }
  }
}

// A throwing handler or rule must not stop the others: report it as an uncaught error would be.
function reportError(err) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err)
  else if (typeof console !== 'undefined') console.error('workspaceops-realtime:', err)
}

function isPrefix(prefix, key) {
  return prefix.length <= key.length && prefix.every((v, i) => stableHash(v) === stableHash(key[i]))
}

// stableHash is JSON with object keys sorted, as TanStack Query hashes keys.
export function stableHash(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    : v))
}
