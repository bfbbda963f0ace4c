// Type tests of the client's events, checked by tsc (make test-client): every line under
// the directive to expect an error must fail to compile, so types that loosen fail the check.

import { connect, type EventFrame, type EventName } from '@workspaceops/realtime'
import { EVENT_NAMES, PROTOCOL_VERSION, type EventMap, type WorkItemStatus } from '@workspaceops/realtime/events'

const rt = connect('https://api.example.com', { token: ({ reason }) => (reason === 'refresh' ? null : 'token') })

rt.on('work-item:status-changed', (data, frame) => {
  const to: WorkItemStatus = data.to
  const seq: number = frame.seq
  const event: 'work-item:status-changed' = frame.event
  void [to, seq, event]
  // @ts-expect-error a misspelt field
  void data.too
})

// @ts-expect-error a misspelt event
rt.on('work-item:stauts-changed', () => {})

rt.on('work-item:document-linked', (data) => {
  const id: string = data.documentId // no cast needed
  void id
  // @ts-expect-error a misspelt field
  void data.documnetId
})

rt.on('*', (event, data, frame) => {
  const name: EventName = event
  const actor: string | null = data.actorId
  // Checking frame.event narrows frame.data.
  if (frame.event === 'document:uploaded') {
    const size: number = frame.data.size
    void size
  }
  // @ts-expect-error size is not on every event
  void frame.data.size
  void [name, actor]
})

rt.on('audit-log:created', (data, frame) => {
  const action: string = data.action
  void [action, frame.seq]
})
rt.on('removed', ({ workspaceId, reason }) => {
  const r: 'member_removed' | 'workspace_deleted' = reason
  void [workspaceId, r]
})
rt.on('error', (err) => void err.fatal)

// A handler for another event's data does not fit.
// @ts-expect-error status-changed data has no documentId
rt.on('work-item:status-changed', (data: EventMap['work-item:document-linked']) => void data)

const frame = {} as EventFrame<'workspace:member-updated'>
const role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER' = frame.data.role
const userId: string | null = rt.userId
const names: readonly EventName[] = EVENT_NAMES
const version: string = PROTOCOL_VERSION
void [role, userId, names, version]
