// Package realtime is the realtime adapter: it pushes every audit entry to the browsers of the
// workspace's members over WebSockets (github.com/coder/websocket), with Server-Sent Events as a
// fallback, speaking protocol v1 (api/asyncapi.yaml).
//
// The pieces, one file each:
//   - protocol.go: the frames, the strict decoder of client frames (fuzzed), the close codes;
//   - bus.go: the Bus port between "audit entry appended" and "hub delivers" — the in-process
//     LocalBus is the audit log's Broadcaster here; a NATS bus implements the same port when
//     several instances share the work;
//   - sequencer.go: per workspace, delivers entries in seq order whatever order they arrive in,
//     drops duplicates, and (through its room) fills a missing seq from the log after FillWait;
//   - catchup.go: when the bus says it may have lost entries (adapters/natsbus reconnected, or
//     is down and polls), every room reads the log past what it delivered, or sends resync;
//   - hub.go: rooms workspace:{id} and user:{id}, join (authorized against current membership,
//     every time) with replay from the log and a gap-free seam to the live stream, eviction of
//     removed members before the next event, shutdown in batches;
//   - client.go: one connection's bounded outgoing queue — the hub never blocks on a peer, a
//     full queue closes the connection with 4008;
//   - conn_ws.go, sse.go: the two transports; tickets.go: single-use SSE tickets, signed so that
//     any instance accepts them, their use recorded through the Redemptions port;
//   - limits.go: the options, their defaults and the per-connection frame rate limiter.
//
// Every event frame is encoded once and its bytes are shared by every socket and stream.
// Realtime frames are notifications: clients refetch over REST.
//
// An idle WebSocket costs one goroutine (4 KB of stack, blocked reading) and about 5 KB of heap:
// its writer runs only while frames are queued, one hub-wide wheel pings every socket, and the
// buffers are small (conn_ws.go). make bench measures it (deploy/bench/report.md).
//
// Ports it declares: Authenticator (token verification), Replay (the log: Since, Head), Bus,
// Redemptions and the shared authz.Authorizer. It imports no other adapter.
package realtime
