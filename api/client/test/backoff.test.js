import { test } from 'node:test'
import assert from 'node:assert/strict'

import { backoffDelay, DEFAULTS, endpoints } from '../workspaceops-realtime.js'
import { FakeWebSocket, seeded, setup, HOUR } from './fakes.js'

const B = { initial: 1000, max: 30000 }

test('full jitter: each delay is uniform below min(max, initial * 2^attempt)', () => {
  const random = seeded(42)
  const replay = seeded(42)
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30000, 1000 * 2 ** attempt)
    const d = backoffDelay(attempt, B, random)
    assert.equal(d, Math.floor(replay() * ceiling), `attempt ${attempt}`)
    assert.ok(d >= 0 && d < ceiling, `attempt ${attempt}: ${d} outside [0, ${ceiling})`)
  }
})

test('the schedule of a seeded run is deterministic, grows, and is capped', () => {
  const run = () => Array.from({ length: 10 }, (_, n) => backoffDelay(n, B, seeded(7)))
  assert.deepEqual(run(), run())
  // The same random draw at each attempt shows the exponential envelope and the cap.
  const half = Array.from({ length: 10 }, (_, n) => backoffDelay(n, B, () => 0.5))
  assert.deepEqual(half, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000])
  // Extremes of the draw: 0 waits nothing, just under 1 waits just under the ceiling.
  assert.equal(backoffDelay(3, B, () => 0), 0)
  assert.equal(backoffDelay(40, B, () => 0.999999), 29999)
})

test('4008 waits at least the policy floor, jittered above it', () => {
  const r = seeded(3)
  for (let n = 0; n < 8; n++) {
    const d = backoffDelay(n, B, r, DEFAULTS.backoff.policyFloor)
    assert.ok(d >= 5000 && d < 5000 + Math.min(30000, 1000 * 2 ** n), `attempt ${n}: ${d}`)
  }
})

test('endpoints derive from an http base or a ws url', () => {
  assert.deepEqual(endpoints('https://api.example.com/'), {
    ws: 'wss://api.example.com/ws',
    events: 'https://api.example.com/events',
    tickets: 'https://api.example.com/api/v1/realtime/tickets',
  })
  assert.deepEqual(endpoints('ws://127.0.0.1:4000/ws'), endpoints('http://127.0.0.1:4000'))
  assert.throws(() => endpoints('ftp://x'), TypeError)
})

test('the client waits the schedule between failed attempts, and starts over after a stable connection', async () => {
  const { clock } = setup({ fallback: false, random: () => 0.5 })
  await clock.advance(0)
  // Every attempt fails before opening: the waits are 500, 1000, 2000, 4000, 8000, 15000 (cap).
  const waits = []
  for (let i = 0; i < 7; i++) {
    const n = FakeWebSocket.instances.length
    FakeWebSocket.last.fail()
    const pending = clock.pending()
    waits.push(pending[0])
    await clock.advance(pending[0])
    assert.equal(FakeWebSocket.instances.length, n + 1, 'one new attempt after the wait')
  }
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 15000, 15000])

  // A connection that gets ready but drops before stableAfter does not reset the backoff.
  FakeWebSocket.last.accept(clock.now() + HOUR)
  await clock.advance(DEFAULTS.backoff.stableAfter - 1)
  FakeWebSocket.last.serverClose(1006)
  assert.equal(clock.pending()[0], 15000)
  await clock.advance(15000)

  // One that stays up for stableAfter does: the next drop waits initial * 0.5 again.
  FakeWebSocket.last.accept(clock.now() + HOUR)
  await clock.advance(DEFAULTS.backoff.stableAfter)
  FakeWebSocket.last.serverClose(1001, 'server going away')
  assert.equal(clock.pending()[0], 500)
})
