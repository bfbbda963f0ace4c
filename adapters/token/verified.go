package token

import (
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// maxVerified bounds the tokens remembered as verified: a few hundred bytes each.
const maxVerified = 10_000

// verified remembers the tokens that passed verification, with the window their claims make
// them valid in, so that the same token presented again (every REST call of a client, every
// reconnect of a socket) costs a map lookup instead of two JSON decodes and an HMAC. The key is
// the whole token, signature included: only bytes that verified under the secret are ever found.
// What the signature does not cover is not cached: revocation (the token's generation) is
// judged by identity on every use.
type verified struct {
	mu     sync.Mutex
	tokens map[string]verifiedToken
}

type verifiedToken struct {
	p        identity.Principal
	from, to time.Time // valid when from <= now < to (leeway included)
}

// get returns the principal of tok when it verified before and its claims hold at now.
func (v *verified) get(tok string, now time.Time) (identity.Principal, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.tokens[tok]
	if !ok || now.Before(e.from) || !now.Before(e.to) {
		return identity.Principal{}, false
	}
	return e.p, true
}

// put remembers tok. When full it first forgets the expired tokens, then, if none were, an
// arbitrary tenth: a forgotten token is only verified again.
func (v *verified) put(tok string, p identity.Principal, from, to time.Time, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tokens == nil {
		v.tokens = make(map[string]verifiedToken)
	}
	if len(v.tokens) >= maxVerified {
		for k, e := range v.tokens {
			if !now.Before(e.to) {
				delete(v.tokens, k)
			}
		}
		for k := range v.tokens {
			if len(v.tokens) < maxVerified*9/10 {
				break
			}
			delete(v.tokens, k)
		}
	}
	v.tokens[tok] = verifiedToken{p: p, from: from, to: to}
}
