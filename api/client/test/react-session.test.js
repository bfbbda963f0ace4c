// Unit tests of the React entry's logic (react/session.js): when the client runs, counted joins,
// batched invalidations, the event -> keys map. The real client runs on the fakes of fakes.js
// (WebSocket, clock); the query client is a recorder. No React, no DOM, no npm package.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { RealtimeSession } from '../react/session.js'
import { defaultInvalidations, workspaceKeys, workspacesKey } from '../react/keys.js'
import { EVENT_NAMES } from '../events.js'
import { Clock, FakeWebSocket, flush, W1, W2, USER, HOUR } from './fakes.js'

const OTHER = 'dddddddddddddddddddddddd'

// recorder is the part of TanStack Query's QueryClient the session uses.
function recorder() {
  const qc = { invalidated: [], removed: [] }
  qc.invalidateQueries = ({ queryKey }) => { qc.invalidated.push(queryKey.join('/')); return Promise.resolve() }
  qc.removeQueries = ({ queryKey }) => { qc.removed.push(queryKey.join('/')) }
  return qc
}

// harness: a session whose getToken answers `auth.token` (null: nobody signed in) and records
// the reasons it was asked with.
function harness({ batchWindow = 50, ...cfg } = {}) {
  FakeWebSocket.reset()
  const clock = new Clock()
  const qc = recorder()
  const auth = { token: null, n: 0, reasons: [] }
  const getToken = ({ reason }) => {
    auth.reasons.push(reason)
    if (auth.token && (reason === 'refresh' || reason === 'unauthorized')) auth.token = 'tok-' + ++auth.n
    return auth.token
  }
  const session = new RealtimeSession({ setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout })
  session.configure({
    url: 'http://api.test:4000',
    getToken,
    queryClient: qc,
    batchWindow,
    connectOptions: { WebSocket: FakeWebSocket, EventSource: undefined, now: clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, random: () => 0.5, onlineTarget: null },
    ...cfg,
  })
  const statuses = []
  session.subscribe(() => { if (statuses.at(-1) !== session.getStatus()) statuses.push(session.getStatus()) })
  return { session, clock, qc, auth, statuses }
}

// ready opens the last socket as the server would and joins what it asks for.
function ready(clock, expiresIn = HOUR, seq = 10) {
  const ws = FakeWebSocket.last
  ws.accept(clock.now() + expiresIn)
  for (const j of ws.sentOf('join')) ws.receive({ type: 'joined', workspaceId: j.workspaceId, seq })
  return ws
}

function event(wid, seq, name, data = {}) {
  return { type: 'event', workspaceId: wid, seq, event: name, data: { targetId: 't' + seq, workspaceId: wid, actorId: OTHER, ...data } }
}

test('mounted before login: waits without a socket while there is no token, starts when one appears', async () => {
  const { session, clock, auth } = harness()
  session.start(undefined)
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 0, 'no token: no socket')
  assert.equal(session.getStatus(), 'offline')
  assert.equal(session.getClient(), null)
  session.poke() // a render while nobody is signed in
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 0)

  auth.token = 'tok-0' // login
  session.poke()
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 1)
  assert.equal(session.getStatus(), 'connecting')
  ready(clock)
  assert.equal(session.getStatus(), 'open')
  assert.equal(FakeWebSocket.last.sent[0].token, 'tok-0')
  assert.deepEqual(auth.reasons.filter((r) => r === 'connect').length, 3, 'the probe answers the first connect: getToken is not asked twice for it')
  session.poke() // a render while running changes nothing
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 1)
})

test('keyed by user: null closes the socket (logout), a new user gets a new client (login)', async () => {
  const { session, clock, auth, statuses } = harness()
  session.start(null)
  await clock.advance(0)
  assert.deepEqual(auth.reasons, [], 'nobody signed in: getToken is not even asked')
  assert.equal(session.getStatus(), 'offline')

  auth.token = 'tok-a'
  session.stop()
  session.start(USER) // the provider's effect when `user` changes
  assert.equal(session.getStatus(), 'connecting', 'signed in: connecting, not offline')
  await clock.advance(0)
  const first = ready(clock)
  const clientA = session.getClient()

  auth.token = null // logout
  session.stop()
  session.start(null)
  await clock.advance(0)
  assert.deepEqual(first.closedBy, { code: 1000, reason: 'client closed' }, 'logout closes the socket')
  assert.equal(session.getClient(), null)
  assert.equal(session.getStatus(), 'offline')

  auth.token = 'tok-b' // login again
  session.stop()
  session.start(OTHER)
  await clock.advance(0)
  ready(clock)
  assert.equal(FakeWebSocket.instances.length, 2)
  assert.notEqual(session.getClient(), clientA, 'a new client: close() is final, so it is never reused')
  assert.equal(session.getStatus(), 'open')
  assert.deepEqual(statuses, ['connecting', 'open', 'offline', 'connecting', 'open'])
})

test('StrictMode: start, stop, start at once opens exactly one socket', async () => {
  const { session, clock, auth } = harness()
  auth.token = 'tok-0'
  session.start(USER)
  session.stop()
  session.start(USER)
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 1)
  ready(clock)
  assert.equal(FakeWebSocket.instances.filter((ws) => ws.readyState === 1).length, 1)
})

test('asks getToken({reason: "refresh"}) for a fresh token before expiry, on the same socket', async () => {
  const { session, clock, auth } = harness()
  auth.token = 'tok-0'
  session.start(USER)
  await clock.advance(0)
  const ws = ready(clock, 60_000)
  for (let i = 1; i <= 3; i++) {
    await clock.advance(30_000) // half of the token's life
    const auth1 = ws.sentOf('auth').at(-1)
    assert.deepEqual(auth1, { type: 'auth', token: 'tok-' + i, ref: 'refresh' })
    ws.receive({ type: 'ready', ref: 'refresh', userId: USER, connectionId: 'c', expiresAt: new Date(clock.now() + 60_000).toISOString() })
  }
  assert.deepEqual(auth.reasons.filter((r) => r === 'refresh').length, 3)
  assert.equal(FakeWebSocket.instances.length, 1, 'three token lifetimes, one socket')
})

test('a refresh that gets no token (logged out elsewhere) stops the client; the next token starts it', async () => {
  const { session, clock, auth } = harness()
  auth.token = 'tok-0'
  session.start(undefined)
  await clock.advance(0)
  const ws = ready(clock, 60_000)
  auth.token = null
  await clock.advance(30_000)
  assert.equal(ws.readyState, 3, 'closed')
  assert.equal(session.getStatus(), 'offline')
  auth.token = 'tok-9'
  session.poke()
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, 2)
  assert.equal(FakeWebSocket.last.readyState, 0)
})

test('a fatal stop (token refused twice) waits for another token, not the same one', async () => {
  const { session, clock, auth } = harness()
  auth.token = 'tok-0'
  const stuck = () => 'stale' // a getToken that cannot refresh
  session.configure({ ...session._cfg, getToken: stuck })
  session.start(USER)
  await clock.advance(0)
  ready(clock)
  FakeWebSocket.last.serverClose(4001)
  await clock.advance(0)
  FakeWebSocket.last.serverClose(4001)
  await clock.advance(0)
  assert.equal(session.getStatus(), 'offline')
  assert.equal(session.getClient(), null)
  const sockets = FakeWebSocket.instances.length
  session.poke() // a render: same token, no retry loop
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, sockets)
  session.configure({ ...session._cfg, getToken: () => 'new-login' })
  session.poke()
  await clock.advance(0)
  assert.equal(FakeWebSocket.instances.length, sockets + 1)
  assert.equal(auth.n, 0)
})

test('joins are counted, survive StrictMode and clients, and are left a tick after the last release', async () => {
  const { session, clock, auth } = harness()
  // Children's effects run before the provider's: joined before any client exists.
  const r1 = session.join(W1)
  const r1b = session.join(W1)
  auth.token = 'tok-0'
  session.start(USER)
  await clock.advance(0)
  let ws = ready(clock)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W1])

  // StrictMode: release and join again at once: no leave, no second join.
  r1()
  r1b()
  const r1c = session.join(W1)
  await clock.advance(0)
  assert.deepEqual(ws.sentOf('leave'), [])
  assert.equal(ws.sentOf('join').length, 1)

  const r2 = session.join(W2)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W1, W2])
  r2()
  r2() // releasing twice is harmless
  await clock.advance(0)
  assert.deepEqual(ws.sentOf('leave').map((f) => f.workspaceId), [W2])

  // A new login joins what is still shown.
  session.stop()
  session.start(OTHER)
  await clock.advance(0)
  ws = ready(clock)
  assert.deepEqual(ws.sentOf('join').map((f) => f.workspaceId), [W1])
  r1c()
  const errorLog = console.error
  const reported = []
  console.error = (...args) => reported.push(args)
  try {
    assert.deepEqual(session.join('nope')(), undefined, 'a bad id is reported, not thrown from an effect')
  } finally {
    console.error = errorLog
  }
  assert.equal(reported.length, 1)
})

async function running(opts) {
  const h = harness(opts)
  h.auth.token = 'tok-0'
  h.session.start(USER)
  h.session.join(W1)
  h.unwatch = h.session.watch(W1, () => h.options)
  await h.clock.advance(0)
  h.ws = ready(h.clock)
  return h
}

test('a burst of events is invalidated once per key, at the end of the window; the overview only on overview:updated', async () => {
  const { qc, ws, clock } = await running()
  for (let seq = 11; seq <= 15; seq++) ws.receive(event(W1, seq, 'work-item:status-changed', { targetId: 'item1', from: 'DRAFT', to: 'ACTIVE' }))
  await clock.advance(49)
  assert.deepEqual(qc.invalidated, [], 'nothing before the window ends')
  await clock.advance(1)
  const k = workspaceKeys(W1)
  assert.deepEqual(qc.invalidated.sort(), [k.auditLog, k.workItem('item1'), k.workItems].map((x) => x.join('/')).sort())
  assert.ok(!qc.invalidated.includes(k.overview.join('/')), 'a status change does not refetch the overview')

  qc.invalidated.length = 0
  ws.receive(event(W1, 16, 'overview:updated', { actorId: null }))
  await clock.advance(50)
  assert.deepEqual(qc.invalidated, [k.overview.join('/')])
})

test('deleting a linked document: N unlinks and the delete refetch the list once', async () => {
  const { qc, ws, clock } = await running()
  const doc = 'eeeeeeeeeeeeeeeeeeeeeeee'
  let seq = 11
  for (const item of ['i1', 'i2', 'i3']) ws.receive(event(W1, seq++, 'work-item:document-unlinked', { targetId: item, documentId: doc }))
  ws.receive(event(W1, seq++, 'document:deleted', { targetId: doc, name: 'a.pdf' }))
  await clock.advance(50)
  const count = (key) => qc.invalidated.filter((x) => x === key.join('/')).length
  const k = workspaceKeys(W1)
  assert.equal(count(k.workItems), 1)
  assert.equal(count(k.documents), 1)
  assert.equal(count(k.document(doc)), 1)
})

test('resync invalidates that workspace only, once (its pending keys are covered); removed drops it', async () => {
  const { qc, ws, clock, session } = await running()
  session.join(W2)
  ws.receive({ type: 'joined', workspaceId: W2, seq: 3 })
  ws.receive(event(W1, 11, 'work-item:created', { status: 'DRAFT' }))
  ws.receive({ type: 'resync', workspaceId: W1 })
  await clock.advance(50)
  assert.deepEqual(qc.invalidated.sort(), ['workspace/' + W1, 'workspaces'])

  qc.invalidated.length = 0
  ws.receive({ type: 'removed', workspaceId: W2, reason: 'member_removed' })
  await clock.advance(50)
  assert.deepEqual(qc.removed, ['workspace/' + W2])
  assert.deepEqual(qc.invalidated, ['workspaces'])
})

test('after a reconnect the workspace list is refreshed (the user room is not replayed); nothing else', async () => {
  const { qc, ws, clock } = await running()
  ws.serverClose(1001)
  await clock.advance(1000)
  ready(clock)
  await clock.advance(50)
  assert.deepEqual(qc.invalidated, ['workspaces'])
})

test('membership events: about me refresh my workspaces and role; about someone else, the members', async () => {
  const { qc, ws, clock } = await running()
  ws.receive(event(W1, 11, 'workspace:member-updated', { userId: OTHER, role: 'ADMIN', previousRole: 'MEMBER' }))
  await clock.advance(50)
  const k = workspaceKeys(W1)
  assert.deepEqual(qc.invalidated.sort(), [k.auditLog, k.members].map((x) => x.join('/')).sort())
  qc.invalidated.length = 0
  ws.receive(event(W1, 12, 'workspace:member-updated', { userId: USER, role: 'ADMIN', previousRole: 'MEMBER' }))
  await clock.advance(50)
  assert.deepEqual(qc.invalidated.sort(), [k.auditLog, k.detail, k.members, workspacesKey].map((x) => x.join('/')).sort())
})

test('skipOwnEvents: my own events invalidate nothing (all, or those listed); others still do', async () => {
  const h = await running()
  h.options = { skipOwnEvents: ['work-item:status-changed'] }
  h.ws.receive(event(W1, 11, 'work-item:status-changed', { actorId: USER, targetId: 'i', from: 'DRAFT', to: 'ACTIVE' }))
  await h.clock.advance(50)
  assert.deepEqual(h.qc.invalidated, [])
  h.ws.receive(event(W1, 12, 'work-item:created', { actorId: USER, status: 'DRAFT' }))
  h.ws.receive(event(W1, 13, 'work-item:status-changed', { actorId: OTHER, targetId: 'i', from: 'ACTIVE', to: 'COMPLETED' }))
  await h.clock.advance(50)
  assert.ok(h.qc.invalidated.includes(workspaceKeys(W1).workItems.join('/')))
  h.qc.invalidated.length = 0
  h.options = { skipOwnEvents: true }
  h.ws.receive(event(W1, 14, 'work-item:created', { actorId: USER, status: 'DRAFT' }))
  await h.clock.advance(50)
  assert.deepEqual(h.qc.invalidated, [])
})

test('rules are overridable per event: the provider\'s, then the hook\'s; null turns one off', async () => {
  const h = await running({ invalidate: { 'document:uploaded': (data, { keys }) => [keys.documents, ['uploads', data.name]] } })
  h.ws.receive(event(W1, 11, 'document:uploaded', { name: 'a.pdf', size: 3 }))
  await h.clock.advance(50)
  assert.deepEqual(h.qc.invalidated.sort(), [workspaceKeys(W1).documents.join('/'), 'uploads/a.pdf'].sort())
  h.qc.invalidated.length = 0
  h.options = { invalidate: { 'document:uploaded': null } }
  h.ws.receive(event(W1, 12, 'document:uploaded', { name: 'b.pdf', size: 3 }))
  await h.clock.advance(50)
  assert.deepEqual(h.qc.invalidated, [])
})

test('an event of a workspace no screen shows (the user room) gets the provider\'s map', async () => {
  const { qc, ws, clock } = await running()
  ws.receive(event(W2, 5, 'workspace:member-invited', { userId: USER, role: 'MEMBER', status: 'ACTIVE' }))
  await clock.advance(50)
  assert.ok(qc.invalidated.includes('workspaces'), 'a workspace I was added to shows up in my list')
})

test('handlers registered with on() are called by name, *, and audit-log:created, across logins', async () => {
  const { session, ws, clock, auth } = await running()
  const got = []
  session.on('work-item:created', (data, frame) => got.push('named ' + frame.seq))
  session.on('*', (name, data, frame) => got.push('* ' + name + ' ' + frame.seq))
  session.on('audit-log:created', (data, frame) => got.push('audit ' + frame.seq))
  session.on('joined', (info) => got.push('joined ' + info.workspaceId.slice(0, 1)))
  ws.receive(event(W1, 11, 'work-item:created', { status: 'DRAFT' }))
  session.stop()
  auth.token = 'tok-b'
  session.start(OTHER)
  await clock.advance(0)
  const ws2 = ready(clock, HOUR, 20)
  ws2.receive(event(W1, 21, 'work-item:created', { status: 'DRAFT' }))
  assert.deepEqual(got, ['named 11', '* work-item:created 11', 'audit 11', 'joined a', 'named 21', '* work-item:created 21', 'audit 21'])
})

test('the default map has a rule for every event of the spec, and its keys are scoped by workspace', () => {
  assert.deepEqual(Object.keys(defaultInvalidations).sort(), [...EVENT_NAMES].sort())
  for (const name of EVENT_NAMES) {
    const frame = { workspaceId: W1, seq: 1, event: name, data: { targetId: 't', documentId: 'd', userId: OTHER } }
    const keys = defaultInvalidations[name](frame.data, { keys: workspaceKeys(W1), frame, userId: USER })
    for (const k of keys) {
      assert.ok(k[0] === 'workspaces' || (k[0] === 'workspace' && k[1] === W1), `${name}: ${k.join('/')} is not scoped by the workspace`)
    }
    const overview = keys.some((k) => k[2] === 'overview')
    assert.equal(overview, name === 'overview:updated', `${name}: the overview is refetched only on overview:updated`)
  }
  assert.deepEqual(workspaceKeys(W1).workItem('x'), ['workspace', W1, 'work-item', 'x'])
})

test('stop drops queued invalidations and pending leaves', async () => {
  const { session, ws, clock, qc } = await running()
  ws.receive(event(W1, 11, 'work-item:created', { status: 'DRAFT' }))
  session.stop()
  await clock.advance(100)
  await flush()
  assert.deepEqual(qc.invalidated, [])
  assert.equal(clock.pending().length, 0, 'no timer left behind')
})
