'use client'
// @workspaceops/realtime/react: the realtime client for React + TanStack Query. A provider at
// the root of the app (from the first render, before any login), a hook per workspace screen,
// typed event hooks, and the query keys the invalidations use. Marked 'use client' for Next.js;
// importing it (on a server too) touches no browser global: the client starts in an effect.
// The logic is in session.js (React-free, unit-tested); this file ties it to React.

import { createContext, createElement, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { RealtimeSession } from './session.js'

export { workspaceKeys, workspacesKey, defaultInvalidations } from './keys.js'

const SessionContext = createContext(null)

/**
 * RealtimeProvider runs one realtime client for the app while someone is signed in: it waits
 * while getToken gives no token, starts when one appears, stops when `user` becomes null
 * (logout) and starts anew when it changes (another login). It must sit inside a
 * QueryClientProvider (or get `queryClient`).
 */
export function RealtimeProvider({ url, getToken, user, invalidate, skipOwnEvents, batchWindow, options, queryClient, children }) {
  let qc
  try {
    qc = useQueryClient(queryClient)
  } catch {
    throw new Error('<RealtimeProvider> needs a QueryClient: put it inside <QueryClientProvider client={queryClient}>, or pass queryClient')
  }
  if (typeof url !== 'string' || url === '') throw new TypeError('<RealtimeProvider url>: the server\'s base URL, e.g. https://api.example.com')
  if (typeof getToken !== 'function') throw new TypeError('<RealtimeProvider getToken>: a function returning the bearer token, or null while nobody is signed in')
  // Created once and kept across StrictMode's double effects; it connects only in start().
  const [session] = useState(() => new RealtimeSession())

  // Every render: the latest props (no restart), and a new look at getToken if nobody was
  // signed in (a login that re-renders the provider starts the client even without `user`).
  useEffect(() => {
    session.configure({ url, getToken, invalidate, skipOwnEvents, batchWindow, connectOptions: options, queryClient: qc })
    session.poke()
  })
  useEffect(() => {
    session.start(user)
    return () => session.stop()
  }, [session, url, user, qc])

  return createElement(SessionContext.Provider, { value: session }, children)
}

function useSession(hook) {
  const session = useContext(SessionContext)
  if (!session) throw new Error(`${hook}() must be used inside <RealtimeProvider>`)
  return session
}

/** The running client (null while nobody is signed in): transport, lastSeq(), on()... */
export function useRealtime() {
  const s = useSession('useRealtime')
  return useSyncExternalStore(s.subscribe, s.getClient, getNull)
}

/**
 * The connection's status: 'offline' while no client runs (nobody signed in, no token, or
 * stopped), else the client's 'connecting' | 'open' | 'reconnecting'.
 */
export function useRealtimeStatus() {
  const s = useSession('useRealtimeStatus')
  return useSyncExternalStore(s.subscribe, s.getStatus, getOffline)
}

/**
 * useWorkspaceRealtime keeps a workspace joined while the component is mounted (counted: it is
 * left when the last one unmounts) and turns its events into invalidations of its queries.
 * Returns the status, like useRealtimeStatus().
 */
export function useWorkspaceRealtime(workspaceId, options) {
  const s = useSession('useWorkspaceRealtime')
  const latest = useRef(options)
  useEffect(() => { latest.current = options })
  const enabled = Boolean(workspaceId) && options?.enabled !== false
  useEffect(() => {
    if (!enabled) return
    const release = s.join(workspaceId)
    const unwatch = s.watch(workspaceId, () => latest.current)
    return () => {
      unwatch()
      release()
    }
  }, [s, workspaceId, enabled])
  return useSyncExternalStore(s.subscribe, s.getStatus, getOffline)
}

/**
 * useRealtimeEvent calls handler for each `name` while mounted, across reconnects and logins;
 * options.workspaceId keeps only that workspace's. The latest handler is called: an inline
 * function does not resubscribe.
 */
export function useRealtimeEvent(name, handler, options) {
  const s = useSession('useRealtimeEvent')
  const latest = useRef(handler)
  useEffect(() => { latest.current = handler })
  const wid = options?.workspaceId
  useEffect(() => s.on(name, (...args) => {
    if (wid && workspaceOf(name, args) !== wid) return
    latest.current(...args)
  }), [s, name, wid])
}

// workspaceOf finds the workspace of a handler call: events pass (data, frame), '*' passes
// (event, data, frame), the client's notices ({workspaceId, ...}).
function workspaceOf(name, args) {
  if (name === '*') return args[2]?.workspaceId
  if (name.includes(':')) return args[1]?.workspaceId
  return args[0]?.workspaceId
}

function getNull() { return null }
function getOffline() { return 'offline' }
