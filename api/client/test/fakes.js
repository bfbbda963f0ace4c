// Fakes for the client's unit tests: a manual clock, a seeded random, and WebSocket,
// EventSource and fetch doubles the tests drive as the server would. No network, no npm.

import { connect } from '../workspaceops-realtime.js'

export const W1 = 'aaaaaaaaaaaaaaaaaaaaaaaa'
export const W2 = 'bbbbbbbbbbbbbbbbbbbbbbbb'
export const USER = 'cccccccccccccccccccccccc'

// mulberry32: a tiny seeded PRNG, uniform in [0, 1).
export function seeded(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// flush lets every pending promise continuation run (the client awaits token() and fetch()).
export async function flush() {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

export class Clock {
  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.t = start
    this.timers = new Map()
    this.seq = 0
    this.now = () => this.t
    this.setTimeout = (fn, ms) => {
      const id = ++this.seq
      this.timers.set(id, { at: this.t + Math.max(0, ms), fn, id })
      return id
    }
    this.clearTimeout = (id) => { this.timers.delete(id) }
  }

  // advance runs every timer due within ms, in order, letting promises settle between them.
  async advance(ms) {
    const end = this.t + ms
    await flush()
    for (;;) {
      let next = null
      for (const t of this.timers.values()) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t
      }
      if (!next) break
      this.timers.delete(next.id)
      this.t = next.at
      next.fn()
      await flush()
    }
    this.t = end
    await flush()
  }

  // nextDelay is the delay of the earliest pending timer (from now), or null.
  pending() {
    return [...this.timers.values()].map((t) => t.at - this.t).sort((a, b) => a - b)
  }
}

export class FakeWebSocket {
  static instances = []
  static throwOnConstruct = false

  static reset() {
    FakeWebSocket.instances = []
    FakeWebSocket.throwOnConstruct = false
  }

  static get last() { return FakeWebSocket.instances.at(-1) }

  constructor(url) {
    if (FakeWebSocket.throwOnConstruct) throw new Error('WebSocket is blocked here')
    this.url = url
    this.readyState = 0
    this.sent = []
    this.closedBy = null // { code, reason } when the client closed it
    FakeWebSocket.instances.push(this)
  }

  send(s) {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(s))
  }

  close(code, reason) {
    if (this.readyState >= 2) return
    this.readyState = 3
    this.closedBy = { code, reason }
  }

  // --- the server's side ---
  open() {
    this.readyState = 1
    this.onopen?.({})
  }

  receive(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }

  // receiveBatch sends several frames in one message, newline-separated (auth asked for batches).
  receiveBatch(...frames) {
    this.onmessage?.({ data: frames.map((f) => JSON.stringify(f)).join('\n') })
  }

  // serverClose closes with a code (1006: the network dropped it, no close frame).
  serverClose(code, reason = '') {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  // fail is a handshake that never opened.
  fail() {
    this.readyState = 3
    this.onerror?.({})
    this.onclose?.({ code: 1006, reason: '' })
  }

  // accept opens and answers the auth frame with ready (expiresAt in ms since the epoch).
  accept(expiresAt) {
    this.open()
    const auth = this.sent.find((f) => f.type === 'auth')
    if (!auth) throw new Error('no auth frame sent on open')
    this.receive({ type: 'ready', ref: auth.ref, userId: USER, connectionId: 'c' + FakeWebSocket.instances.length, expiresAt: new Date(expiresAt).toISOString() })
  }

  sentOf(type) { return this.sent.filter((f) => f.type === type) }
}

export class FakeEventSource {
  static instances = []
  static reset() { FakeEventSource.instances = [] }

  constructor(url) {
    this.url = url
    this.u = new URL(url)
    this.closed = false
    FakeEventSource.instances.push(this)
  }

  close() { this.closed = true }

  get workspaceId() { return this.u.searchParams.get('workspaceId') }
  get since() { return this.u.searchParams.get('since') }
  get ticket() { return this.u.searchParams.get('ticket') }

  message(frame) {
    if (!this.closed) this.onmessage?.({ data: JSON.stringify(frame) })
  }

  error() {
    if (!this.closed) this.onerror?.({})
  }
}

// fakeFetch answers POST /api/v1/realtime/tickets; mode 'ok' | 'unreachable' | 401 | 503.
export function fakeFetch() {
  const f = async (url, init) => {
    f.calls.push({ url, init })
    if (f.mode === 'unreachable') throw new TypeError('Failed to fetch')
    if (typeof f.mode === 'number') return { status: f.mode, ok: false, json: async () => ({}) }
    const ticket = 'ticket-' + f.calls.length
    return { status: 200, ok: true, json: async () => ({ ticket, expiresAt: new Date().toISOString() }) }
  }
  f.calls = []
  f.mode = 'ok'
  return f
}

// setup connects a client with every dependency faked. token() returns 'tok-N' (N counts calls)
// and records the reason it was asked with.
export function setup(opts = {}) {
  FakeWebSocket.reset()
  FakeEventSource.reset()
  const clock = new Clock()
  const fetch = fakeFetch()
  const reasons = []
  const received = []
  const statuses = []
  const errors = []
  const rt = connect('http://api.test:4000', {
    token: async ({ reason }) => {
      reasons.push(reason)
      return 'tok-' + reasons.length
    },
    WebSocket: FakeWebSocket,
    EventSource: FakeEventSource,
    fetch,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: opts.random ?? (() => 0.5),
    onStatus: (st, info) => statuses.push(`${st}/${info.transport}`),
    ...opts,
  })
  rt.on('*', (name, data, frame) => received.push(`${frame.workspaceId.slice(0, 1)}${frame.seq}:${name}`))
  rt.on('error', (e) => errors.push(e))
  return { rt, clock, fetch, reasons, received, statuses, errors }
}

export function event(wid, seq, name = 'work-item:status-changed', data = {}) {
  return { type: 'event', workspaceId: wid, seq, event: name, data: { targetId: 't' + seq, workspaceId: wid, ...data } }
}

export const HOUR = 3600_000
