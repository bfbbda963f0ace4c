// The React entry imported and rendered in Node, as a Next.js server (or any SSR) would: it
// touches no browser global, starts no client, and renders the children with status 'offline'.
// Needs the dev dependencies (react, react-dom, @tanstack/react-query: `make client-deps`).

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

import { devDependency } from './needs.js'

const W1 = 'aaaaaaaaaaaaaaaaaaaaaaaa'
const BROWSER_GLOBALS = ['window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'WebSocket', 'EventSource', 'addEventListener']
const OURS = /\/api\/client\/(react\/|workspaceops-realtime\.js|events\.js)/

// watchGlobals records which browser globals code of this package reads (React and TanStack
// Query probe `typeof window` themselves; that is theirs to do).
function watchGlobals() {
  const touched = new Set()
  const restore = []
  for (const name of BROWSER_GLOBALS) {
    const desc = Object.getOwnPropertyDescriptor(globalThis, name)
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        if (OURS.test(new Error().stack)) touched.add(name)
        return desc ? (desc.get ? desc.get.call(globalThis) : desc.value) : undefined
      },
    })
    restore.push(() => (desc ? Object.defineProperty(globalThis, name, desc) : delete globalThis[name]))
  }
  return { touched, restore: () => restore.forEach((r) => r()) }
}

test('importing and server-rendering the React entry touches no browser global and connects nothing', async (t) => {
  if (!devDependency(t, 'react-dom')) return
  const watch = watchGlobals()
  try {
    const { createElement: h } = await import('react')
    const { renderToString } = await import('react-dom/server')
    const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query')
    const rx = await import('@workspaceops/realtime/react')
    let asked = 0
    function Screen() {
      const status = rx.useWorkspaceRealtime(W1)
      rx.useRealtimeEvent('work-item:created', () => {})
      const rt = rx.useRealtime()
      return h('p', null, `status=${status} overall=${rx.useRealtimeStatus()} client=${rt}`)
    }
    const html = renderToString(h(QueryClientProvider, { client: new QueryClient() },
      h(rx.RealtimeProvider, { url: 'https://api.example.com', user: 'u1', getToken: () => { asked++; return 't' } }, h(Screen))))
    assert.equal(html, '<p>status=offline overall=offline client=null</p>')
    assert.equal(asked, 0, 'getToken is for the browser: not asked while rendering on the server')
    assert.deepEqual([...watch.touched], [])
    // The watch works: a client made on the server would read the browser's globals.
    const { RealtimeClient } = await import('@workspaceops/realtime')
    new RealtimeClient('https://api.example.com', { token: () => 't' }).close()
    assert.ok(watch.touched.has('WebSocket'), 'the global watch sees the client looking for WebSocket')
  } finally {
    watch.restore()
  }
})

test('misplaced pieces say what is wrong', async (t) => {
  if (!devDependency(t, 'react-dom')) return
  const { createElement: h } = await import('react')
  const { renderToString } = await import('react-dom/server')
  const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query')
  const rx = await import('@workspaceops/realtime/react')
  const provider = h(rx.RealtimeProvider, { url: 'https://api.example.com', getToken: () => null })
  assert.throws(() => renderToString(provider), /needs a QueryClient: put it inside <QueryClientProvider/)
  function Lost() { rx.useRealtimeStatus(); return null }
  assert.throws(() => renderToString(h(Lost)), /useRealtimeStatus\(\) must be used inside <RealtimeProvider>/)
  const noUrl = h(QueryClientProvider, { client: new QueryClient() }, h(rx.RealtimeProvider, { getToken: () => null }))
  assert.throws(() => renderToString(noUrl), /<RealtimeProvider url>/)
})

test('the React entry is a client module; the keys entry is not and needs no React', () => {
  const index = readFileSync(new URL('../react/index.js', import.meta.url), 'utf8')
  assert.match(index, /^'use client'\n/, "react/index.js starts with 'use client' (Next.js client boundary)")
  const keys = readFileSync(new URL('../react/keys.js', import.meta.url), 'utf8')
  assert.doesNotMatch(keys, /^\s*['"]use client['"]|^import /m, 'react/keys.js imports nothing: server components can use it')
  for (const file of ['../react/index.js', '../react/session.js', '../react/keys.js']) {
    const src = readFileSync(new URL(file, import.meta.url), 'utf8')
    assert.doesNotMatch(src, /process\.env/, `${file} reads no environment variable`)
  }
})
