import { test } from 'node:test'
import assert from 'node:assert/strict'

import { FakeWebSocket, setup, W1, HOUR } from './fakes.js'

async function openClient(opts) {
  const c = setup(opts)
  c.rt.join(W1)
  await c.clock.advance(0)
  FakeWebSocket.last.accept(c.clock.now() + HOUR)
  FakeWebSocket.last.receive({ type: 'joined', workspaceId: W1, seq: 7 })
  return c
}

test('4001: refresh the token, reconnect at once, resume', async () => {
  const { clock, reasons } = await openClient()
  FakeWebSocket.last.serverClose(4001, 'token expired')
  assert.deepEqual(clock.pending().slice(0, 1), [0], 'no backoff: the fix is a new token')
  await clock.advance(0)
  assert.deepEqual(reasons, ['connect', 'unauthorized'])
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + HOUR)
  assert.equal(ws.sent[0].token, 'tok-2')
  assert.deepEqual(ws.sentOf('join').map((f) => f.since), [7])
})

test('4001 twice in a row (the refreshed token is refused too): stop, offline, fatal error', async () => {
  const { rt, clock, errors, reasons } = await openClient()
  FakeWebSocket.last.serverClose(4001)
  await clock.advance(0)
  FakeWebSocket.last.open()
  FakeWebSocket.last.serverClose(4001, 'invalid token')
  await clock.advance(HOUR)
  assert.equal(FakeWebSocket.instances.length, 2)
  assert.equal(rt.status, 'offline')
  assert.deepEqual(errors.map((e) => [e.code, e.closeCode, e.fatal]), [['unauthorized', 4001, true]])
  assert.deepEqual(reasons, ['connect', 'unauthorized'])
  // The app logs the user in again and restarts it.
  rt.reconnect()
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 3)
  assert.equal(rt.status, 'reconnecting')
})

test('4001 after a ready in between is a fresh expiry, not a second refusal', async () => {
  const { rt, clock } = await openClient()
  for (let i = 0; i < 3; i++) {
    FakeWebSocket.last.serverClose(4001)
    await clock.advance(0)
    FakeWebSocket.last.accept(clock.now() + HOUR)
  }
  assert.equal(rt.status, 'open')
  assert.equal(FakeWebSocket.instances.length, 4)
})

test('4008: reconnect after at least 5 s, jittered, and resume', async () => {
  for (const r of [0, 0.5, 0.999]) {
    const { clock } = await openClient({ random: () => r })
    FakeWebSocket.last.serverClose(4008, 'slow consumer')
    const wait = clock.pending()[0]
    assert.equal(wait, Math.floor(5000 + r * 1000))
    await clock.advance(wait)
    assert.equal(FakeWebSocket.instances.length, 2)
    FakeWebSocket.last.accept(clock.now() + HOUR)
    assert.deepEqual(FakeWebSocket.last.sentOf('join').map((f) => f.since), [7])
  }
})

test('1001 (server going away): reconnect with backoff and resume', async () => {
  const { clock, statuses } = await openClient({ random: () => 0.25 })
  FakeWebSocket.last.serverClose(1001, 'server going away')
  assert.equal(clock.pending()[0], 250)
  await clock.advance(250)
  FakeWebSocket.last.accept(clock.now() + HOUR)
  assert.deepEqual(FakeWebSocket.last.sentOf('join').map((f) => f.since), [7])
  assert.deepEqual(statuses, ['connecting/websocket', 'open/websocket', 'reconnecting/websocket', 'open/websocket'])
})

for (const [code, want] of [[1009, 'frame_too_big'], [1000, 'closed']]) {
  test(`${code}: stop, do not retry`, async () => {
    const { rt, clock, errors } = await openClient()
    FakeWebSocket.last.serverClose(code)
    await clock.advance(HOUR)
    assert.equal(FakeWebSocket.instances.length, 1)
    assert.equal(rt.status, 'offline')
    assert.deepEqual(errors.map((e) => [e.code, e.fatal]), [[want, true]])
  })
}

test('a handshake that hangs is abandoned after connectTimeout and retried', async () => {
  const { clock } = setup({ fallback: false, connectTimeout: 3000 })
  await clock.advance(0)
  const first = FakeWebSocket.last
  await clock.advance(3000)
  assert.deepEqual(first.closedBy, { code: 1000, reason: 'connect timeout' })
  await clock.advance(clock.pending()[0])
  assert.equal(FakeWebSocket.instances.length, 2)
})

test('re-auth before expiry: at refreshMargin before expiresAt, with a fresh token', async () => {
  const { clock, reasons } = setup()
  await clock.advance(0)
  const ws = FakeWebSocket.last
  const t0 = clock.now()
  ws.accept(t0 + HOUR)
  await clock.advance(HOUR - 60_000 - 1)
  assert.equal(ws.sentOf('auth').length, 1, 'not yet')
  await clock.advance(1)
  assert.deepEqual(ws.sentOf('auth').at(-1), { type: 'auth', token: 'tok-2', ref: 'refresh' })
  assert.deepEqual(reasons, ['connect', 'refresh'])
  // The server answers ready with the new expiry: the next refresh is planned from it.
  ws.receive({ type: 'ready', ref: 'refresh', userId: 'u', connectionId: 'c', expiresAt: new Date(clock.now() + HOUR).toISOString() })
  await clock.advance(HOUR - 60_000)
  assert.equal(ws.sentOf('auth').length, 3)
  assert.equal(FakeWebSocket.instances.length, 1, 'refreshing never reconnects')
})

test('a short-lived token is refreshed halfway through its life', async () => {
  const { clock } = setup()
  await clock.advance(0)
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + 90_000)
  await clock.advance(44_999)
  assert.equal(ws.sentOf('auth').length, 1)
  await clock.advance(1)
  assert.equal(ws.sentOf('auth').length, 2)
})

test('a refresh that does not move the expiry is retried halfway to it; a refused one too', async () => {
  const { clock, errors } = setup()
  await clock.advance(0)
  const ws = FakeWebSocket.last
  const exp = clock.now() + HOUR
  ws.accept(exp)
  await clock.advance(HOUR - 60_000)
  assert.equal(ws.sentOf('auth').length, 2)
  // Same expiry (the app handed out the same token): try again in 30 s.
  ws.receive({ type: 'ready', ref: 'refresh', userId: 'u', connectionId: 'c', expiresAt: new Date(exp).toISOString() })
  await clock.advance(30_000)
  assert.equal(ws.sentOf('auth').length, 3)
  // Refused: reported, and tried again halfway to the expiry (15 s).
  ws.receive({ type: 'error', ref: 'refresh', code: 'unauthorized', message: 'the new token is not valid' })
  assert.deepEqual(errors.map((e) => e.code), ['unauthorized'])
  await clock.advance(15_000)
  assert.equal(ws.sentOf('auth').length, 4)
})

test('online: a reconnect waiting out its backoff goes at once, and the backoff starts over', async () => {
  const online = new EventTarget()
  const { rt, clock } = await openClient({ random: () => 0.9, onlineTarget: online })
  FakeWebSocket.last.serverClose(1006) // the network dropped: a reconnect waits its backoff
  await clock.advance(0)
  const before = FakeWebSocket.instances.length
  assert.ok(clock.pending()[0] > 0, `waiting ${clock.pending()[0]} ms`)
  online.dispatchEvent(new Event('online'))
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, before + 1, 'no new connection on online')
  FakeWebSocket.last.accept(clock.now() + HOUR)
  assert.deepEqual(FakeWebSocket.last.sentOf('join').map((f) => f.since), [7])
  assert.equal(rt.status, 'open')
  // An online event while connected does nothing; after close() the listener is gone.
  online.dispatchEvent(new Event('online'))
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, before + 1)
  rt.close()
  online.dispatchEvent(new Event('online'))
  await clock.advance(HOUR)
  assert.equal(FakeWebSocket.instances.length, before + 1)
})
