// The app's REST side: its configuration, the signed-in session (a tiny store), getToken for
// the realtime provider, and a fetch helper. What any app has; nothing here is realtime.

import type { TokenReason } from '@workspaceops/realtime/react'
import { e2e } from './e2e'

export const config: { api: string } = JSON.parse(document.getElementById('config')?.textContent ?? '{}')

export interface Session {
  token: string
  expiresAt: string
  user: { id: string; email: string }
}

let session: Session | null = null
const listeners = new Set<() => void>()

export const auth = {
  get: (): Session | null => session,
  subscribe(fn: () => void) {
    listeners.add(fn)
    return () => { listeners.delete(fn) }
  },
  set(next: Session | null) {
    session = next
    if (next) e2e.tokenExpiries.push(next.expiresAt)
    listeners.forEach((fn) => fn())
  },
}

export async function login(email: string, password: string): Promise<void> {
  const res = await fetch(config.api + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (!res.ok) throw new Error('login failed: ' + res.status)
  auth.set((await res.json()) as Session)
}

export function logout(): void {
  auth.set(null)
}

// refresh trades the current token for a new one (one request at a time). A refused refresh
// (the token is gone for good) signs out.
let refreshing: Promise<Session | null> | null = null
function refresh(): Promise<Session | null> {
  refreshing ??= (async () => {
    const s = session
    if (!s) return null
    try {
      const res = await fetch(config.api + '/api/v1/auth/refresh', { method: 'POST', headers: { Authorization: 'Bearer ' + s.token } })
      if (res.status === 401) {
        if (session === s) auth.set(null)
        return null
      }
      if (!res.ok) throw new Error('refresh: ' + res.status)
      const next = { ...s, ...((await res.json()) as Session) }
      if (session === s) auth.set(next)
      return session
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

// A token that ends within this margin is refreshed before use, so neither a request nor a
// (re)connect starts with a token about to expire.
const MARGIN = 2000
const expiresSoon = (s: Session) => Date.parse(s.expiresAt) - Date.now() < MARGIN

/** getToken for <RealtimeProvider>: the token, a fresh one when asked (refresh, unauthorized). */
export async function getToken({ reason }: { reason: TokenReason }): Promise<string | null> {
  e2e.tokenReasons.push(reason)
  const s = session
  if (!s) return null
  if (reason === 'refresh' || reason === 'unauthorized' || expiresSoon(s)) return (await refresh())?.token ?? null
  return s.token
}

/** api calls the REST API with the session's token; GETs are counted per resource for the test. */
export async function api<T>(path: string): Promise<T> {
  let s = session
  if (s && expiresSoon(s)) s = await refresh()
  if (!s) throw new Error('signed out')
  const kind = resource(path)
  e2e.gets[kind] = (e2e.gets[kind] ?? 0) + 1
  const res = await fetch(config.api + path, { headers: { Authorization: 'Bearer ' + s.token } })
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`)
  return (await res.json()) as T
}

// resource names what a path reads: workspaces, workspace, work-items, documents, overview...
function resource(path: string): string {
  if (path === '/api/v1/workspaces') return 'workspaces'
  const m = /^\/api\/v1\/workspaces\/[0-9a-f]{24}(?:\/([a-z-]+))?/.exec(path)
  return m?.[1] ?? 'workspace'
}
