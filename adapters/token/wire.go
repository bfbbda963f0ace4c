package token

import (
	"github.com/google/wire"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// ProviderSet builds the signer from a Config and answers identity.Tokens with it.
var ProviderSet = wire.NewSet(New, wire.Bind(new(identity.Tokens), new(*JWT)))
