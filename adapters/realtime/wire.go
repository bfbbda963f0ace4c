package realtime

import "github.com/google/wire"

// ProviderSet builds the two transports of a hub: the WebSocket and, from a TicketConfig, SSE.
// The hub itself is built by the command, which also hands it token revocations.
var ProviderSet = wire.NewSet(NewWebSocket, NewEvents)
