package main

import (
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/modules/identity"
)

// Token revocations join three parts that must not import each other (the identity module, the
// realtime hub and, with several instances, the NATS bus), so they are joined here, where
// everything is known.

// newHub builds the hub and has it told of revoked tokens.
func newHub(d realtime.Deps, ids *identity.Service) (*realtime.Hub, error) {
	h, err := realtime.New(d)
	if err != nil {
		return nil, err
	}
	relayRevocations(ids, h, d.Bus)
	return h, nil
}

// revocationBus is a bus that also relays token revocations between instances (natsbus).
type revocationBus interface {
	AnnounceRevocation(userID string, generation int64)
	OnRevocation(func(userID string, generation int64))
}

// relayRevocations closes a user's sockets here when they sign out everywhere or change their
// password here, and, with several instances, tells the others, which refuse the tokens at once
// and close the user's sockets too.
func relayRevocations(ids *identity.Service, h *realtime.Hub, bus realtime.Bus) {
	rb, relays := bus.(revocationBus)
	ids.OnRevoke(func(uid string, gen int64) {
		h.Revoke(uid, gen)
		if relays {
			rb.AnnounceRevocation(uid, gen)
		}
	})
	if relays {
		rb.OnRevocation(func(uid string, gen int64) {
			ids.RevokedElsewhere(uid, gen)
			h.Revoke(uid, gen)
		})
	}
}
