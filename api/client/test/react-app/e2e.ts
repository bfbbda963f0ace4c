// What the browser test reads (window.e2e): counts the app cannot see otherwise. It wraps the
// browser's WebSocket to count sockets and close codes, and the app's REST helper counts its
// GETs by resource. Only the test harness; the app itself uses only the package's public API.

export interface E2E {
  /** GET requests by resource (workspaces, workspace, work-items, documents, members, overview) */
  gets: Record<string, number>
  /** overview:updated frames received */
  overviewFrames: number
  /** joins of the shown workspace (every (re)join, over any client) */
  joins: number
  /** mount effects of the root: 2 under StrictMode's development build, which runs them twice */
  rootEffects: number
  /** how many queries are fetching now */
  fetching: () => number
  /** the running client's transport: 'websocket', 'sse' or null */
  transport: () => string | null
  /** the reasons getToken was asked with, in order */
  tokenReasons: string[]
  /** the expiry of every token the app held, in order */
  tokenExpiries: string[]
  ws: { created: number; live: number; open: number; closes: number[] }
}

export const e2e: E2E = {
  gets: {},
  overviewFrames: 0,
  joins: 0,
  rootEffects: 0,
  fetching: () => 0,
  transport: () => null,
  tokenReasons: [],
  tokenExpiries: [],
  ws: { created: 0, live: 0, open: 0, closes: [] },
}

/**
 * installE2E publishes window.e2e and replaces the browser's WebSocket with one that counts
 * sockets (created, live: not closed yet, open) and close codes. It runs before the app renders,
 * so before any realtime client exists.
 */
export function installE2E(): void {
  ;(window as unknown as { e2e: E2E }).e2e = e2e
  window.WebSocket = Counted
}

const Native = window.WebSocket
class Counted extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols)
    e2e.ws.created++
    e2e.ws.live++
    let opened = false
    this.addEventListener('open', () => {
      opened = true
      e2e.ws.open++
    })
    this.addEventListener('close', (ev) => {
      e2e.ws.live--
      if (opened) e2e.ws.open--
      e2e.ws.closes.push(ev.code)
    })
  }
}
