// Type tests of the React entry, checked by tsc (make test-client).

import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query'
import {
  RealtimeProvider,
  defaultInvalidations,
  useRealtime,
  useRealtimeEvent,
  useRealtimeStatus,
  useWorkspaceRealtime,
  workspaceKeys,
  workspacesKey,
  type InvalidationMap,
  type InvalidationOverrides,
  type Status,
} from '@workspaceops/realtime/react'
// The keys entry has no 'use client' and no React: a Next.js server component can prefetch with it.
import { workspaceKeys as serverKeys } from '@workspaceops/realtime/keys'

const queryClient = new QueryClient()

export function App({ session }: { session: { userId: string; token: string } | null }) {
  return (
    <QueryClientProvider client={queryClient}>
      <RealtimeProvider
        url="https://api.example.com"
        user={session?.userId ?? null}
        getToken={async ({ reason }) => (reason === 'refresh' ? 'fresh' : session?.token)}
        invalidate={{ 'document:uploaded': (data, { keys }) => (data.size > 0 ? [keys.documents] : null) }}
        options={{ backoff: { initial: 500 } }}
      >
        <Screen wid="665f1c2e8b3a4d5e6f708192" />
      </RealtimeProvider>
    </QueryClientProvider>
  )
}

function Screen({ wid }: { wid: string }) {
  const status: Status = useWorkspaceRealtime(wid, {
    skipOwnEvents: ['work-item:status-changed'],
    invalidate: { 'overview:updated': null },
  })
  const items = useQuery({ queryKey: workspaceKeys(wid).workItems, queryFn: async () => [] as string[] })
  useRealtimeEvent('work-item:status-changed', (data, frame) => {
    const to: 'DRAFT' | 'ACTIVE' | 'COMPLETED' = data.to
    void [to, frame.workspaceId]
  }, { workspaceId: wid })
  // @ts-expect-error a misspelt event
  useRealtimeEvent('work-item:stauts-changed', () => {})
  useRealtimeEvent('work-item:document-linked', (data) => {
    // @ts-expect-error a misspelt field
    void data.documnetId
  })
  const rt = useRealtime()
  const overall: Status = useRealtimeStatus()
  return <p>{status} {overall} {rt?.transport} {items.data?.length}</p>
}

// The map is typed by EventMap: a misspelt event or field fails.
const overrides: InvalidationOverrides = {
  'work-item:document-linked': (data, { keys }) => [keys.document(data.documentId)],
  // @ts-expect-error a misspelt event
  'work-item:stauts-changed': () => [],
}
const badField: InvalidationOverrides = {
  // @ts-expect-error a misspelt field
  'work-item:document-unlinked': (data) => [[data.documnetId]],
}
const all: InvalidationMap = defaultInvalidations
const k = serverKeys('665f1c2e8b3a4d5e6f708192')
const detail: readonly ['workspace', string, 'work-item', string] = k.workItem('x')
void [overrides, badField, all, detail, workspacesKey]
