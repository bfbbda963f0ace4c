import { test } from 'node:test'
import assert from 'node:assert/strict'

import { FakeWebSocket, FakeEventSource, setup, event, W1, W2, HOUR } from './fakes.js'

// failWebSockets fails n WebSocket attempts in a row, waiting out each backoff.
async function failWebSockets(clock, n) {
  for (let i = 0; i < n; i++) {
    await clock.advance(0)
    FakeWebSocket.last.fail()
    await clock.advance(0) // the HTTP check, when one is due
    if (i < n - 1) await clock.advance(clock.pending()[0])
  }
}

test('after N failed WebSocket attempts (server reachable over HTTP) it switches to SSE, one stream per workspace', async () => {
  const { rt, clock, fetch, received, statuses, reasons } = setup({ fallback: { after: 3 } })
  rt.join(W1)
  rt.join(W2, { since: 40 })
  await failWebSockets(clock, 2)
  assert.equal(FakeEventSource.instances.length, 0, 'not after 2')
  await clock.advance(clock.pending()[0])
  FakeWebSocket.last.fail()
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 3)
  assert.equal(rt.transport, 'sse')
  const [e1, e2] = FakeEventSource.instances
  assert.equal(FakeEventSource.instances.length, 2)
  assert.equal(e1.u.origin + e1.u.pathname, 'http://api.test:4000/events')
  assert.deepEqual([e1.workspaceId, e1.since], [W1, null])
  assert.deepEqual([e2.workspaceId, e2.since], [W2, '40'])
  assert.notEqual(e1.ticket, e2.ticket)
  // One HTTP check, then one ticket per stream, each with a bearer token.
  assert.equal(fetch.calls.length, 3)
  for (const c of fetch.calls) {
    assert.equal(c.url, 'http://api.test:4000/api/v1/realtime/tickets')
    assert.equal(c.init.method, 'POST')
    assert.match(c.init.headers.Authorization, /^Bearer tok-\d+$/)
  }
  assert.deepEqual(reasons.slice(-3), ['ticket', 'ticket', 'ticket'])

  // Same API over SSE: joined, events, dedup.
  assert.equal(rt.status, 'connecting')
  e1.message({ type: 'joined', workspaceId: W1, seq: 3 })
  assert.equal(rt.status, 'open', 'open once a stream is in and none is failing')
  e2.message({ type: 'joined', workspaceId: W2, seq: 41 })
  e2.message(event(W2, 41))
  e2.message(event(W2, 41))
  e1.message(event(W1, 4))
  assert.deepEqual(received, ['b41:work-item:status-changed', 'a4:work-item:status-changed'])
  assert.deepEqual(statuses, ['connecting/websocket', 'connecting/sse', 'open/sse'])

  // Join and leave keep working: a new stream, a closed one.
  const W3 = 'dddddddddddddddddddddddd'
  rt.join(W3)
  await clock.advance(0)
  assert.equal(FakeEventSource.instances.at(-1).workspaceId, W3)
  rt.leave(W3)
  assert.equal(FakeEventSource.instances.at(-1).closed, true)
})

test('WebSocket failures while the server is down do not switch to SSE', async () => {
  const { rt, clock, fetch } = setup({ fallback: { after: 2 } })
  rt.join(W1)
  fetch.mode = 'unreachable'
  await failWebSockets(clock, 4)
  assert.equal(rt.transport, 'websocket')
  assert.equal(FakeEventSource.instances.length, 0)
  assert.equal(fetch.calls.length, 3, 'one HTTP check after each failure from the 2nd on')
  // A 5xx (a deploy in progress) is no proof that SSE would work either.
  fetch.mode = 503
  await clock.advance(clock.pending()[0])
  FakeWebSocket.last.fail()
  await clock.advance(0)
  assert.equal(fetch.calls.length, 4)
  assert.equal(rt.transport, 'websocket')
  // The server comes back: WebSocket again.
  fetch.mode = 'ok'
  await clock.advance(clock.pending()[0])
  FakeWebSocket.last.accept(clock.now() + HOUR)
  assert.equal(rt.status, 'open')
  assert.equal(rt.transport, 'websocket')
})

test('a WebSocket constructor that throws (blocked) switches to SSE at once', async () => {
  FakeWebSocket.reset()
  FakeWebSocket.throwOnConstruct = true
  const { Clock, fakeFetch } = await import('./fakes.js')
  const { connect } = await import('../workspaceops-realtime.js')
  const clock = new Clock()
  const rt = connect('http://api.test', {
    token: () => 'tok', WebSocket: FakeWebSocket, EventSource: FakeEventSource, fetch: fakeFetch(),
    now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, random: () => 0.5,
  })
  FakeEventSource.reset()
  rt.join(W1)
  await clock.advance(0)
  assert.equal(rt.transport, 'sse')
  assert.equal(FakeEventSource.instances.length, 1)
  FakeWebSocket.throwOnConstruct = false
  rt.close()
})

test('SSE: a dropped stream reconnects with a new ticket and since = last seq; 4001 refreshes the token', async () => {
  const { rt, clock, reasons } = setup({ fallback: { after: 1 } })
  rt.join(W1)
  await failWebSockets(clock, 1)
  let es = FakeEventSource.instances.at(-1)
  es.message({ type: 'joined', workspaceId: W1, seq: 10 })
  es.message(event(W1, 11))

  // The network drops it: EventSource's own retry would reuse a spent ticket, so the client
  // closes it and opens a new one.
  es.error()
  assert.equal(es.closed, true)
  assert.equal(rt.status, 'reconnecting')
  await clock.advance(clock.pending()[0])
  es = FakeEventSource.instances.at(-1)
  assert.equal(FakeEventSource.instances.length, 2)
  assert.equal(es.since, '11')
  es.message({ type: 'joined', workspaceId: W1, seq: 12 })
  assert.equal(rt.status, 'open')

  // The token expired: a close frame with 4001; a fresh token, a new ticket, at once.
  es.message({ type: 'close', code: 4001, reason: 'token expired' })
  assert.equal(es.closed, true)
  await clock.advance(0)
  assert.equal(reasons.at(-1), 'unauthorized')
  es = FakeEventSource.instances.at(-1)
  assert.equal(FakeEventSource.instances.length, 3)
  assert.equal(es.since, '11')

  // 4008: at least 5 s.
  es.message({ type: 'joined', workspaceId: W1, seq: 12 })
  es.message({ type: 'close', code: 4008, reason: 'slow consumer' })
  const wait = clock.pending().find((d) => d >= 5000)
  assert.ok(wait >= 5000 && wait < 7000, `4008 wait ${wait} (second failure of the stream: 5 s + up to 2 s)`)
  await clock.advance(wait)
  assert.equal(FakeEventSource.instances.length, 4)
})

test('SSE: removed ends the stream and forgets the workspace; not_found is reported', async () => {
  const { rt, clock, errors } = setup({ fallback: { after: 1 } })
  const removed = []
  rt.on('removed', (r) => removed.push(r.reason))
  rt.join(W1)
  rt.join(W2)
  await failWebSockets(clock, 1)
  const [e1, e2] = FakeEventSource.instances
  e1.message({ type: 'joined', workspaceId: W1, seq: 1 })
  e1.message({ type: 'removed', workspaceId: W1, reason: 'workspace_deleted' })
  e2.message({ type: 'error', code: 'not_found', message: 'no such workspace' })
  await clock.advance(HOUR)
  assert.deepEqual(removed, ['workspace_deleted'])
  assert.deepEqual(errors.map((e) => [e.code, e.workspaceId]), [['not_found', W2]])
  assert.equal(e1.closed && e2.closed, true)
  assert.deepEqual(rt.workspaces, [])
  assert.equal(FakeEventSource.instances.length, 2, 'neither is reopened')
})

test('back to WebSocket: a probe after retryWebSocketAfter takes over and resumes from the SSE seq', async () => {
  const { rt, clock, received, statuses } = setup({ fallback: { after: 1, retryWebSocketAfter: 60_000 } })
  rt.join(W1)
  await failWebSockets(clock, 1)
  const es = FakeEventSource.instances.at(-1)
  es.message({ type: 'joined', workspaceId: W1, seq: 5 })
  es.message(event(W1, 6))
  const wsBefore = FakeWebSocket.instances.length

  // A failed probe leaves SSE in place and tries again later.
  await clock.advance(60_000)
  assert.equal(FakeWebSocket.instances.length, wsBefore + 1)
  FakeWebSocket.last.fail()
  await clock.advance(0)
  assert.equal(rt.transport, 'sse')
  assert.equal(es.closed, false)
  es.message(event(W1, 7))

  await clock.advance(60_000)
  const probe = FakeWebSocket.last
  assert.equal(FakeWebSocket.instances.length, wsBefore + 2)
  probe.accept(clock.now() + HOUR)
  assert.equal(rt.transport, 'websocket')
  assert.equal(es.closed, true, 'the stream is closed once the WebSocket is ready')
  assert.deepEqual(probe.sentOf('join'), [{ type: 'join', workspaceId: W1, since: 7, ref: 'j:' + W1 }])
  probe.receive({ type: 'joined', workspaceId: W1, seq: 8 })
  probe.receive(event(W1, 7))
  probe.receive(event(W1, 8))
  assert.deepEqual(received, ['a6:work-item:status-changed', 'a7:work-item:status-changed', 'a8:work-item:status-changed'])
  assert.deepEqual(statuses, ['connecting/websocket', 'connecting/sse', 'open/sse', 'open/websocket'])
})

test('fallback: false never uses SSE', async () => {
  const { rt, clock } = setup({ fallback: false })
  rt.join(W1)
  await failWebSockets(clock, 6)
  assert.equal(FakeEventSource.instances.length, 0)
  assert.equal(rt.transport, 'websocket')
})

test('SSE: joining another workspace keeps the status open; close() ends every stream', async () => {
  const { rt, clock, statuses } = setup({ fallback: { after: 1 } })
  rt.join(W1)
  await failWebSockets(clock, 1)
  FakeEventSource.instances[0].message({ type: 'joined', workspaceId: W1, seq: 1 })
  assert.equal(rt.status, 'open')
  rt.join(W2)
  await clock.advance(0)
  assert.equal(rt.status, 'open')
  assert.equal(FakeEventSource.instances.length, 2)
  rt.close()
  assert.ok(FakeEventSource.instances.every((es) => es.closed))
  assert.deepEqual(statuses, ['connecting/websocket', 'connecting/sse', 'open/sse', 'offline/null'])
  await clock.advance(HOUR)
  assert.equal(FakeEventSource.instances.length, 2)
})
