// A small WorkspaceOps frontend as a team would write it with the package: the provider at the
// root from the first render (above the login screen), one hook per workspace screen, query
// keys from the package, and a live feed from a typed event hook.

import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react'
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query'
import {
  RealtimeProvider,
  useRealtimeEvent,
  useRealtime,
  useRealtimeStatus,
  useWorkspaceRealtime,
  workspaceKeys,
  workspacesKey,
  type EventFrame,
} from '@workspaceops/realtime/react'
import { api, auth, config, getToken, login, logout } from './api'
import { e2e } from './e2e'

// Realtime events keep the data fresh: nothing goes stale by time, nor refetches on focus.
const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, refetchOnWindowFocus: false } } })
e2e.fetching = () => queryClient.isFetching()

export function App() {
  const session = useSyncExternalStore(auth.subscribe, auth.get)
  useEffect(() => { e2e.rootEffects++ }, []) // the test checks that StrictMode doubled effects
  return (
    <QueryClientProvider client={queryClient}>
      <RealtimeProvider
        url={config.api}
        getToken={getToken}
        user={session?.user.id ?? null}
        // Short waits keep the test short; back from an SSE fallback (possible if the network
        // returns mid-restart) within seconds rather than a minute.
        options={{ backoff: { initial: 250, max: 2000, stableAfter: 3000 }, fallback: { retryWebSocketAfter: 2000 } }}
      >
        <TransportProbe />
        <Header email={session?.user.email} />
        {session ? <Workspaces /> : <Login />}
      </RealtimeProvider>
    </QueryClientProvider>
  )
}

// TransportProbe lets the test read the running client's transport.
function TransportProbe() {
  const rt = useRealtime()
  useEffect(() => { e2e.transport = () => rt?.transport ?? null }, [rt])
  return null
}

function Header({ email }: { email: string | undefined }) {
  const status = useRealtimeStatus()
  return (
    <header>
      <h1>WorkspaceOps</h1>
      <span>live <b id="status" className={status}>{status}</b></span>
      {email && (
        <span>
          {email}{' '}
          <button id="logout" onClick={() => { logout(); queryClient.clear() }}>Log out</button>
        </span>
      )}
    </header>
  )
}

function Login() {
  const [error, setError] = useState('')
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault()
    const form = new FormData(ev.currentTarget)
    login(String(form.get('email')), String(form.get('password'))).catch((err: Error) => setError(err.message))
  }
  return (
    <form id="login" onSubmit={submit}>
      <input id="email" name="email" type="email" placeholder="email" />
      <input id="password" name="password" type="password" placeholder="password" />
      <button id="signin" type="submit">Sign in</button>
      {error && <p className="error">{error}</p>}
    </form>
  )
}

interface Workspace { id: string; name: string; role: string }
interface WorkItem { id: string; title: string; status: string; documentIds: string[] }
interface Doc { id: string; name: string }
interface Member { userId: string; email: string; role: string }
interface Overview { workItems: { byStatus: Record<string, number> }; documents: { total: number } }

function Workspaces() {
  const list = useQuery({ queryKey: workspacesKey, queryFn: () => api<{ items: Workspace[] }>('/api/v1/workspaces') })
  const first = list.data?.items[0]
  return first ? <WorkspaceScreen wid={first.id} /> : <p>{list.isPending ? 'Loading…' : 'No workspace'}</p>
}

function WorkspaceScreen({ wid }: { wid: string }) {
  useWorkspaceRealtime(wid)
  const keys = workspaceKeys(wid)
  const base = '/api/v1/workspaces/' + wid
  const ws = useQuery({ queryKey: keys.detail, queryFn: () => api<Workspace>(base) })
  const items = useQuery({ queryKey: keys.workItems, queryFn: () => api<{ items: WorkItem[] }>(base + '/work-items') })
  const docs = useQuery({ queryKey: keys.documents, queryFn: () => api<{ items: Doc[] }>(base + '/documents') })
  const members = useQuery({ queryKey: keys.members, queryFn: () => api<{ items: Member[] }>(base + '/members') })
  const overview = useQuery({ queryKey: keys.overview, queryFn: () => api<Overview>(base + '/overview') })

  // A live feed straight from the events (no refetch), and the overview frames the test counts.
  const [feed, setFeed] = useState<EventFrame[]>([])
  useRealtimeEvent('audit-log:created', (_data, frame) => setFeed((old) => [frame, ...old].slice(0, 8)), { workspaceId: wid })
  useRealtimeEvent('overview:updated', () => { e2e.overviewFrames++ }, { workspaceId: wid })
  useRealtimeEvent('joined', () => { e2e.joins++ }, { workspaceId: wid })

  const byStatus = overview.data?.workItems.byStatus
  return (
    <main>
      <h2 id="workspace">{ws.data?.name}</h2>
      <p>my role <b id="role">{ws.data?.role}</b></p>
      <section>
        <h3>Work items</h3>
        <table id="items">
          <tbody>
            {items.data?.items.map((it) => (
              <tr key={it.id} data-item={it.id}>
                <td className="title">{it.title}</td>
                <td className="status">{it.status}</td>
                <td className="docs">{it.documentIds.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Documents</h3>
        <ul id="documents">{docs.data?.items.map((d) => <li key={d.id} data-doc={d.id}>{d.name}</li>)}</ul>
      </section>
      <section>
        <h3>Overview</h3>
        <p id="overview">
          {byStatus && `DRAFT ${byStatus['DRAFT']} · ACTIVE ${byStatus['ACTIVE']} · COMPLETED ${byStatus['COMPLETED']} · documents ${overview.data?.documents.total}`}
        </p>
      </section>
      <section>
        <h3>Members</h3>
        <ul id="members">{members.data?.items.map((m) => <li key={m.userId} data-member={m.userId}>{m.email} {m.role}</li>)}</ul>
      </section>
      <section>
        <h3>Live</h3>
        <ol id="feed">{feed.map((f) => <li key={f.seq}>#{f.seq} {f.event}</li>)}</ol>
      </section>
    </main>
  )
}
