package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// ErrTooManyTickets is answered when the bounded ticket store is full of live tickets.
var ErrTooManyTickets = apperr.New(apperr.RateLimited, "too_many_tickets", "too many SSE tickets are outstanding; retry shortly")

// tickets are single-use SSE tickets, in memory and bounded. A ticket stands for the bearer
// token it was issued against, expiry included, for TicketTTL.
type tickets struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[string]ticket
}

type ticket struct {
	userID     string
	tokenUntil time.Time // the token's expiry: the stream closes then
	until      time.Time // the ticket's own expiry
}

func newTickets(ttl time.Duration, max int) *tickets {
	return &tickets{ttl: ttl, max: max, m: map[string]ticket{}}
}

func (t *tickets) issue(userID string, tokenUntil, now time.Time) (string, time.Time, error) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	value := base64.RawURLEncoding.EncodeToString(b[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		for k, v := range t.m {
			if !now.Before(v.until) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= t.max {
			return "", time.Time{}, ErrTooManyTickets
		}
	}
	until := now.Add(t.ttl)
	t.m[value] = ticket{userID: userID, tokenUntil: tokenUntil, until: until}
	return value, until, nil
}

// redeem consumes a ticket: it is valid once, before it expires.
func (t *tickets) redeem(value string, now time.Time) (ticket, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk, ok := t.m[value]
	if !ok {
		return ticket{}, false
	}
	delete(t.m, value)
	return tk, now.Before(tk.until)
}

// IssueTicket verifies a bearer token and returns a single-use ticket for GET /events, valid
// for Options.TicketTTL. The REST adapter calls it for POST /api/v1/realtime/tickets.
func (h *Hub) IssueTicket(ctx context.Context, token string) (string, time.Time, error) {
	p, err := h.auth.Verify(ctx, token)
	if err != nil {
		return "", time.Time{}, err
	}
	return h.tickets.issue(p.UserID, p.ExpiresAt, time.Now())
}
