package main

import (
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/platform/authz"
)

// Token revocations join three parts that must not import each other (the identity module, the
// realtime hub and, with several instances, the NATS bus), so they are joined here, where
// everything is known.

// newHub builds the hub and has it told of revoked tokens and API keys.
func newHub(d realtime.Deps, ids *identity.Service, keys *apikey.Service) (*realtime.Hub, error) {
	h, err := realtime.New(d)
	if err != nil {
		return nil, err
	}
	relayRevocations(ids, keys, h, d.Bus)
	return h, nil
}

// keyRevoked is the generation a revoked API key's actor is announced with: key principals
// carry generation 0, so the hub closes every connection of the key, here and elsewhere, as it
// does a user's older tokens.
const keyRevoked = 1

// revocationBus is a bus that also relays token revocations between instances (natsbus).
type revocationBus interface {
	AnnounceRevocation(userID string, generation int64)
	OnRevocation(func(userID string, generation int64))
}

// relayRevocations closes a user's sockets here when they sign out everywhere or change their
// password here, and, with several instances, tells the others, which refuse the tokens at once
// and close the user's sockets too.
// A revoked API key is relayed the same way, as its actor id; the other instances refuse the
// key at once anyway, since every use of a key reads the store.
func relayRevocations(ids *identity.Service, keys *apikey.Service, h *realtime.Hub, bus realtime.Bus) {
	rb, relays := bus.(revocationBus)
	revoke := func(uid string, gen int64) {
		h.Revoke(uid, gen)
		if relays {
			rb.AnnounceRevocation(uid, gen)
		}
	}
	ids.OnRevoke(revoke)
	keys.OnRevoke(func(actorID string) { revoke(actorID, keyRevoked) })
	if relays {
		rb.OnRevocation(func(uid string, gen int64) {
			if _, isKey := authz.KeyOf(uid); !isKey {
				ids.RevokedElsewhere(uid, gen)
			}
			h.Revoke(uid, gen)
		})
	}
}
