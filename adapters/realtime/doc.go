// Package realtime is the realtime adapter: it pushes every audit entry to the browsers of the
// workspace's members over WebSockets (github.com/coder/websocket), with Server-Sent Events as a
// fallback, speaking protocol v1 (api/asyncapi.yaml).
//
// Three layers, as in centrifugal/centrifuge, each knowing only the one below:
//
//	transports   WebSocket (websocket.go, socket.go,    Events, SSE (sse.go, tickets.go)
//	             pinger.go)
//	                  │ implement transport: wake the writer; unidirectional or not
//	session      one connection's protocol (session.go, join.go): auth and refresh, expiry,
//	             join with resume/replay and the seam to the live stream, leave, removal,
//	             limits; its frames go out through its outbox (outbox.go)
//	hub          rooms, ordering, fan-out (hub.go, room.go, users.go, sequencer.go): the
//	             workspace:{id} rooms with their sequencers, the user:{id} rooms, and who may
//	             read which workspace lately (readers.go, forgotten by the entries that evict)
//
// One delivery: the Bus (bus.go; the audit log's Broadcaster in-process, adapters/natsbus with
// several instances) calls Hub.deliver → room.receive → sequencer (seq order, duplicates
// dropped, a gap filled from the log after FillWait) → room.deliverLocked encodes the entry once
// and hands the same bytes to each subscriber's outbox → the transport's writer drains it.
// When the bus may have lost entries it calls Hub.lost, and every room reads the log past what
// it delivered (room.catchUp).
//
// Lock order (a lock is only taken while holding those before it, never after):
//
//	Hub.mu → room.mu → session.mu → outbox.mu
//	         room.mu → userRooms.mu → outbox.mu
//
// Hub.revokedMu, Hub.catchUpMu, readers.mu, pinger.mu and wsConn.deadlineMu are leaves.
// Nothing holding room.mu waits on a peer: an outbox never blocks, except enqueueLive's bounded
// wait while a writer makes progress (see outbox.enqueueLive).
//
// Time: protocol timers (auth deadline, token expiry, gap fill, tickets, revocations) run on
// Options.Clock, so tests move a manual clock instead of sleeping; socket deadlines and the
// waits on a writer's progress are wall-clock time.
//
// Every event frame is encoded once and its bytes are shared by every socket and stream. A
// writer takes up to MaxBatch queued frames at once and sends them with one socket write: in one
// message, newline-separated, to a client that asked for batches at auth, else as separate
// messages gathered under the socket (corkWriter). An SSE writer flushes once per drain.
// Realtime frames are notifications: clients refetch over REST. Refusals are answered through
// the one error table (platform/problem): a problem document on a refused handshake or stream,
// an error frame on an open connection (errors.go).
//
// An idle WebSocket costs one goroutine (4 KB of stack, blocked reading) and about 5 KB of heap:
// its writer runs only while frames are queued, one wheel pings every socket, and the buffers
// are small (websocket.go). make bench measures it (deploy/bench/report.md).
//
// Ports it declares: Authenticator (token verification), Replay (the log: Since, Head), Bus,
// Redemptions and the shared authz.Authorizer. It imports no other adapter.
package realtime
