package realtime

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// Redemptions records the SSE tickets used, so that each is used once on whichever instance
// it is presented (behind a load balancer without sticky sessions, a ticket issued by one
// instance is redeemed by another). The in-memory default serves one instance; instances
// sharing a database share adapters/mongo's.
type Redemptions interface {
	// Redeem records id as used and reports whether it was the first use. The record may be
	// forgotten after until, when the ticket has expired anyway.
	Redeem(ctx context.Context, id string, until time.Time) (bool, error)
}

// tickets issues and redeems SSE tickets. A ticket stands for the bearer token it was issued
// against, expiry included, for TicketTTL; it is `<payload>.<mac>` in base64url, the MAC an
// HMAC-SHA256 under a key every instance shares, so any instance verifies it without a lookup
// and only its use is recorded.
type tickets struct {
	key  []byte
	ttl  time.Duration
	used Redemptions
}

// ticket is a ticket's payload.
type ticket struct {
	ID         string `json:"n"`
	UserID     string `json:"u"`
	TokenUntil int64  `json:"t"` // the token's expiry (Unix ms): the stream closes then
	Generation int64  `json:"g"` // the token's generation: the stream closes when it is revoked
	Until      int64  `json:"e"` // the ticket's own expiry (Unix ms)
}

func (tk ticket) tokenUntil() time.Time { return time.UnixMilli(tk.TokenUntil) }

func (tk ticket) principal() identity.Principal {
	return identity.Principal{UserID: tk.UserID, ExpiresAt: tk.tokenUntil(), Generation: tk.Generation}
}

func (t *tickets) issue(p identity.Principal, now time.Time) (string, time.Time, error) {
	var n [18]byte
	_, _ = rand.Read(n[:]) // crypto/rand.Read never fails on supported platforms
	until := now.Add(t.ttl)
	payload, err := json.Marshal(ticket{ID: base64.RawURLEncoding.EncodeToString(n[:]), UserID: p.UserID,
		TokenUntil: p.ExpiresAt.UnixMilli(), Generation: p.Generation, Until: until.UnixMilli()})
	if err != nil {
		return "", time.Time{}, err
	}
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + base64.RawURLEncoding.EncodeToString(t.mac(enc)), until, nil
}

// redeem verifies a ticket and records its use: it is valid once, before it expires.
func (t *tickets) redeem(ctx context.Context, value string, now time.Time) (ticket, error) {
	p, sig, ok := strings.Cut(value, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(mac, t.mac(p)) {
		return ticket{}, errInvalidTicket
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	var tk ticket
	if err != nil || json.Unmarshal(payload, &tk) != nil || tk.ID == "" || tk.UserID == "" || now.UnixMilli() >= tk.Until {
		return ticket{}, errInvalidTicket
	}
	first, err := t.used.Redeem(ctx, tk.ID, time.UnixMilli(tk.Until))
	if err != nil {
		return ticket{}, err
	}
	if !first {
		return ticket{}, errInvalidTicket
	}
	return tk, nil
}

func (t *tickets) mac(payload string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// IssueTicket verifies a bearer token and returns a single-use ticket for GET /events, valid
// for Options.TicketTTL. The REST adapter calls it for POST /api/v1/realtime/tickets.
func (ev *Events) IssueTicket(ctx context.Context, token string) (string, time.Time, error) {
	p, err := ev.hub.auth.Verify(ctx, token)
	if err != nil {
		return "", time.Time{}, err
	}
	return ev.tickets.issue(p, ev.hub.clock.Now())
}

// MemoryRedemptions records used tickets in this process, at most max live ones.
type MemoryRedemptions struct {
	max int
	mu  sync.Mutex
	m   map[string]time.Time
}

// NewMemoryRedemptions returns an in-process record of at most max live tickets.
func NewMemoryRedemptions(max int) *MemoryRedemptions {
	return &MemoryRedemptions{max: max, m: map[string]time.Time{}}
}

// Redeem records id.
func (r *MemoryRedemptions) Redeem(_ context.Context, id string, until time.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, used := r.m[id]; used {
		return false, nil
	}
	if len(r.m) >= r.max {
		now := time.Now()
		for k, u := range r.m {
			if !now.Before(u) {
				delete(r.m, k)
			}
		}
		if len(r.m) >= r.max {
			return false, ErrTooManyTickets
		}
	}
	r.m[id] = until
	return true, nil
}
