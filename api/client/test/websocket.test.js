import { test } from 'node:test'
import assert from 'node:assert/strict'

import { connect } from '../workspaceops-realtime.js'
import { FakeWebSocket, FakeEventSource, setup, event, W1, W2, HOUR } from './fakes.js'

test('authenticates with the token callback on open, joins only after ready', async () => {
  const { rt, clock, reasons, statuses } = setup()
  rt.join(W1)
  await clock.advance(0)
  const ws = FakeWebSocket.last
  assert.equal(ws.url, 'ws://api.test:4000/ws')
  assert.equal(rt.userId, null)
  assert.deepEqual(reasons, ['connect'])
  ws.open()
  assert.deepEqual(ws.sent, [{ type: 'auth', token: 'tok-1', ref: 'auth', batch: true }])
  ws.receive({ type: 'ready', ref: 'auth', userId: 'u', connectionId: 'c', expiresAt: new Date(clock.now() + HOUR).toISOString() })
  assert.deepEqual(ws.sentOf('join'), [{ type: 'join', workspaceId: W1, ref: 'j:' + W1 }])
  assert.deepEqual(statuses, ['connecting/websocket', 'open/websocket'])
  assert.equal(rt.status, 'open')
  assert.equal(rt.transport, 'websocket')
  assert.equal(rt.userId, 'u', 'who the server says we are')

  // A join once ready goes out at once.
  rt.join(W2)
  assert.equal(ws.sentOf('join').at(-1).workspaceId, W2)
  rt.join(W2) // joining twice is a no-op
  assert.equal(ws.sentOf('join').length, 2)
  assert.throws(() => rt.join('nope'), TypeError)
})

test('dispatches each event once: by name, to *, and as audit-log:created; drops duplicates by seq', async () => {
  const { rt, clock, received } = setup()
  const named = []
  const audit = []
  rt.on('work-item:status-changed', (data, frame) => named.push([data.targetId, frame.seq]))
  rt.on('audit-log:created', (data, frame) => audit.push(frame.event + '#' + frame.seq))
  rt.join(W1)
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive({ type: 'joined', ref: 'j:' + W1, workspaceId: W1, seq: 4 })
  assert.equal(rt.lastSeq(W1), 4)
  ws.receive(event(W1, 4)) // at or below the head: already covered by the join
  ws.receive(event(W1, 5))
  ws.receive(event(W1, 5)) // duplicate
  ws.receive(event(W1, 6, 'document:uploaded'))
  ws.receive(event(W1, 3)) // old
  assert.deepEqual(received, ['a5:work-item:status-changed', 'a6:document:uploaded'])
  assert.deepEqual(named, [['t5', 5]])
  assert.deepEqual(audit, ['work-item:status-changed#5', 'document:uploaded#6'])
  assert.equal(rt.lastSeq(W1), 6)
})

test('a batched message is handled frame by frame, in order', async () => {
  const { rt, clock, received } = setup()
  rt.join(W1)
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receiveBatch({ type: 'joined', ref: 'j:' + W1, workspaceId: W1, seq: 4 }, event(W1, 5), event(W1, 6, 'document:uploaded'))
  assert.deepEqual(received, ['a5:work-item:status-changed', 'a6:document:uploaded'])
  assert.equal(rt.lastSeq(W1), 6)
})

test('an unsubscribed handler is not called; a throwing handler does not stop the others', async () => {
  const { rt, clock, received } = setup()
  const calls = []
  const off = rt.on('work-item:status-changed', () => calls.push('a'))
  const origReport = globalThis.reportError
  const reported = []
  globalThis.reportError = (e) => reported.push(e.message)
  try {
    rt.on('work-item:status-changed', () => { throw new Error('boom') })
    rt.on('work-item:status-changed', () => calls.push('c'))
    rt.join(W1)
    await clock.advance(0)
    const ws = FakeWebSocket.last
    ws.accept(clock.now() + HOUR)
    ws.receive({ type: 'joined', workspaceId: W1, seq: 0 })
    ws.receive(event(W1, 1))
    off()
    ws.receive(event(W1, 2))
  } finally {
    globalThis.reportError = origReport
  }
  assert.deepEqual(calls, ['a', 'c', 'c'])
  assert.deepEqual(reported, ['boom', 'boom'])
  assert.equal(received.length, 2)
})

test('resume: every joined workspace is re-joined with since = its last seq; the replay is deduplicated', async () => {
  const { rt, clock, received, reasons, statuses } = setup()
  rt.join(W1)
  rt.join(W2, { since: 20 }) // resumed from a seq the app kept
  await clock.advance(0)
  let ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  assert.deepEqual(ws.sentOf('join').map((f) => [f.workspaceId, f.since]), [[W1, undefined], [W2, 20]])
  ws.receive({ type: 'joined', workspaceId: W1, seq: 5 })
  ws.receive({ type: 'joined', workspaceId: W2, seq: 22 })
  ws.receive(event(W2, 21)) // replayed after the resumed join
  ws.receive(event(W2, 22))
  ws.receive(event(W1, 6))
  assert.equal(rt.lastSeq(W1), 6)
  assert.equal(rt.lastSeq(W2), 22)

  // The network drops (1006): reconnect with a fresh token, re-join with since.
  ws.serverClose(1006)
  assert.equal(rt.status, 'reconnecting')
  await clock.advance(clock.pending()[0])
  ws = FakeWebSocket.last
  assert.equal(FakeWebSocket.instances.length, 2)
  assert.deepEqual(reasons, ['connect', 'reconnect'])
  ws.accept(clock.now() + HOUR)
  assert.deepEqual(ws.sent[0], { type: 'auth', token: 'tok-2', ref: 'auth', batch: true })
  assert.deepEqual(ws.sentOf('join').map((f) => [f.workspaceId, f.since]), [[W1, 6], [W2, 22]])
  ws.receive({ type: 'joined', workspaceId: W1, seq: 8 })
  ws.receive(event(W1, 6)) // overlap: dropped
  ws.receive(event(W1, 7))
  ws.receive(event(W1, 8))
  ws.receive({ type: 'joined', workspaceId: W2, seq: 22 })
  ws.receive(event(W1, 9))
  assert.deepEqual(received, ['b21:work-item:status-changed', 'b22:work-item:status-changed', 'a6:work-item:status-changed',
    'a7:work-item:status-changed', 'a8:work-item:status-changed', 'a9:work-item:status-changed'])
  assert.deepEqual(statuses, ['connecting/websocket', 'open/websocket', 'reconnecting/websocket', 'open/websocket'])
})

test('resync: the app is told, and live events continue after the head', async () => {
  const resyncs = []
  const { rt, clock, received } = setup({ onResync: (r) => resyncs.push(r.workspaceId) })
  rt.join(W1, { since: 3 })
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive({ type: 'joined', workspaceId: W1, seq: 5000 })
  ws.receive({ type: 'resync', workspaceId: W1 })
  assert.deepEqual(resyncs, [W1])
  assert.equal(rt.lastSeq(W1), 5000, 'a later resume starts from the head, not from before the gap')
  ws.receive(event(W1, 5001))
  assert.deepEqual(received, ['a5001:work-item:status-changed'])
})

test('removed: the app is told, the workspace is forgotten and not re-joined', async () => {
  const removed = []
  const { rt, clock, received } = setup()
  rt.on('removed', (r) => removed.push(r))
  rt.join(W1)
  rt.join(W2)
  await clock.advance(0)
  let ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive({ type: 'joined', workspaceId: W1, seq: 1 })
  ws.receive({ type: 'removed', workspaceId: W1, reason: 'member_removed' })
  ws.receive(event(W1, 2)) // a stray frame after removal would be a user-room event: still delivered by name
  assert.deepEqual(removed, [{ workspaceId: W1, reason: 'member_removed' }])
  assert.deepEqual(rt.workspaces, [W2])
  ws.serverClose(1001)
  await clock.advance(clock.pending()[0])
  ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W2])
  assert.equal(received.length, 1)
})

test('leave: sends leave, ignores in-flight events of the workspace, and does not re-join it', async () => {
  const { rt, clock, received } = setup()
  rt.join(W1)
  await clock.advance(0)
  let ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive({ type: 'joined', workspaceId: W1, seq: 1 })
  rt.leave(W1)
  assert.deepEqual(ws.sentOf('leave'), [{ type: 'leave', workspaceId: W1, ref: 'l:' + W1 }])
  ws.receive(event(W1, 2)) // sent before the server processed leave
  ws.receive({ type: 'left', workspaceId: W1, ref: 'l:' + W1 })
  assert.deepEqual(received, [])
  ws.serverClose(1006)
  await clock.advance(clock.pending()[0])
  FakeWebSocket.last.accept(clock.now() + HOUR)
  assert.deepEqual(FakeWebSocket.last.sentOf('join'), [])
})

test('a refused join (not_found) is reported and forgotten; an internal or unavailable error is retried', async () => {
  const { rt, clock, errors } = setup()
  rt.join(W1)
  rt.join(W2)
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive({ type: 'error', ref: 'j:' + W1, code: 'not_found', message: 'no such workspace' })
  ws.receive({ type: 'error', ref: 'j:' + W2, code: 'internal', message: 'retry' })
  assert.deepEqual(errors.map((e) => [e.code, e.workspaceId]), [['not_found', W1], ['internal', W2]])
  assert.deepEqual(rt.workspaces, [W2])
  await clock.advance(5000)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W1, W2, W2])
  // The database not answering (unavailable) is retried too.
  ws.receive({ type: 'error', ref: 'j:' + W2, code: 'unavailable', message: 'the database is not answering; retry shortly' })
  await clock.advance(5000)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W1, W2, W2, W2])
})

test('user-room events before joined are delivered once, even when the resume replays them', async () => {
  const { rt, clock, received } = setup()
  rt.join(W1, { since: 10 })
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  ws.receive(event(W1, 13, 'workspace:member-updated')) // live, through the user room, before joined
  ws.receive({ type: 'joined', workspaceId: W1, seq: 13 })
  for (const s of [11, 12, 13]) ws.receive(event(W1, s, s === 13 ? 'workspace:member-updated' : 'work-item:updated'))
  ws.receive(event(W1, 14))
  assert.deepEqual(received, ['a13:workspace:member-updated', 'a11:work-item:updated', 'a12:work-item:updated', 'a14:work-item:status-changed'])
  assert.equal(rt.lastSeq(W1), 14)
})

test('frames are paced below the server rate limit when many workspaces are re-joined', async () => {
  const { rt, clock } = setup({ sendRate: 10, sendBurst: 30 })
  const ids = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(24, '0'))
  for (const id of ids) rt.join(id)
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  assert.equal(ws.sent.length, 30, 'the auth frame and 29 joins in the first burst')
  await clock.advance(1000)
  assert.equal(ws.sent.length, 40)
  await clock.advance(1000)
  assert.equal(ws.sent.length, 50)
  await clock.advance(100)
  assert.equal(ws.sentOf('join').length, 50)
})

test('close() stops everything: the socket is closed with 1000, no reconnect, status offline', async () => {
  const { rt, clock, statuses } = setup()
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  rt.close()
  assert.deepEqual(ws.closedBy, { code: 1000, reason: 'client closed' })
  assert.equal(rt.status, 'offline')
  assert.equal(rt.transport, null)
  await clock.advance(HOUR * 2)
  assert.equal(FakeWebSocket.instances.length, 1)
  assert.deepEqual(statuses, ['connecting/websocket', 'open/websocket', 'offline/null'])
})

test('no token is fatal; a throwing token callback is retried with backoff', async () => {
  FakeWebSocket.reset()
  const { Clock } = await import('./fakes.js')
  const clock = new Clock()
  let n = 0
  const errors = []
  const rt = connect('http://api.test', {
    token: async () => { n++; if (n === 1) throw new Error('refresh failed'); return n === 2 ? '' : 't' },
    WebSocket: FakeWebSocket, EventSource: FakeEventSource, fetch: async () => { throw new Error('x') },
    now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, random: () => 0.5,
    onError: (e) => errors.push(e.code + (e.fatal ? '!' : '')),
  })
  await clock.advance(0)
  assert.deepEqual(errors, ['token'])
  assert.equal(rt.status, 'connecting')
  await clock.advance(500)
  assert.deepEqual(errors, ['token', 'no_token!'])
  assert.equal(rt.status, 'offline')
  assert.equal(FakeWebSocket.instances.length, 0)
})
