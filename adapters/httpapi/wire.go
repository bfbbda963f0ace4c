package httpapi

import "github.com/google/wire"

// ProviderSet builds the served handler from the module services, a Config, the realtime
// endpoints and the store's readiness check.
var ProviderSet = wire.NewSet(wire.Struct(new(Services), "*"), NewHandler)
