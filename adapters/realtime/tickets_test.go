package realtime

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
)

// Two instances sharing the ticket key and the record of used tickets: a ticket issued by one
// is accepted once by either, and never again by any.
func TestTicketIsUsableOnceOnAnyInstance(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	used := NewMemoryRedemptions(10)
	key := []byte("0123456789abcdef0123456789abcdef")
	a := &tickets{key: key, ttl: 30 * time.Second, used: used}
	b := &tickets{key: key, ttl: 30 * time.Second, used: used}
	tokenUntil := now.Add(time.Hour).Truncate(time.Millisecond)

	value, until, err := a.issue(identity.Principal{UserID: "u1", ExpiresAt: tokenUntil}, now)
	if err != nil || !until.Equal(now.Add(30*time.Second)) {
		t.Fatalf("issue: %v %v", until, err)
	}
	tk, err := b.redeem(ctx, value, now.Add(time.Second))
	if err != nil || tk.UserID != "u1" || !tk.tokenUntil().Equal(tokenUntil) {
		t.Fatalf("redeem on the other instance: %+v %v", tk, err)
	}
	for _, h := range []*tickets{a, b} {
		if _, err := h.redeem(ctx, value, now.Add(time.Second)); !errors.Is(err, errInvalidTicket) {
			t.Fatalf("second use: %v", err)
		}
	}
}

func TestForgedMalformedAndExpiredTicketsAreRefused(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	issuer := &tickets{key: []byte("key-one-key-one-key-one-key-one!"), ttl: 30 * time.Second, used: NewMemoryRedemptions(10)}
	other := &tickets{key: []byte("key-two-key-two-key-two-key-two!"), ttl: 30 * time.Second, used: NewMemoryRedemptions(10)}
	value, _, _ := issuer.issue(identity.Principal{UserID: "u1", ExpiresAt: now.Add(time.Hour)}, now)
	payload, mac, _ := strings.Cut(value, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"u1"`, `"u2"`, 1))) + "." + mac

	for name, c := range map[string]struct {
		h     *tickets
		value string
		at    time.Time
	}{
		"other key":     {other, value, now},
		"forged user":   {issuer, forged, now},
		"no mac":        {issuer, payload, now},
		"empty":         {issuer, "", now},
		"garbage":       {issuer, "%%%.###", now},
		"expired":       {issuer, value, now.Add(30 * time.Second)},
		"truncated mac": {issuer, value[:len(value)-2], now},
	} {
		if _, err := c.h.redeem(ctx, c.value, c.at); !errors.Is(err, errInvalidTicket) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	if _, err := issuer.redeem(ctx, value, now); err != nil {
		t.Fatalf("the genuine ticket after the refusals: %v", err)
	}
}

func TestMemoryRedemptionsAreBounded(t *testing.T) {
	ctx := context.Background()
	r := NewMemoryRedemptions(2)
	soon, later := time.Now().Add(50*time.Millisecond), time.Now().Add(time.Hour)
	for _, id := range []string{"a", "b"} {
		if ok, err := r.Redeem(ctx, id, soon); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if _, err := r.Redeem(ctx, "c", later); !errors.Is(err, ErrTooManyTickets) {
		t.Fatalf("full: %v", err)
	}
	time.Sleep(60 * time.Millisecond) // a and b expire: their records may go
	if ok, err := r.Redeem(ctx, "c", later); !ok || err != nil {
		t.Fatalf("after expiry: %v %v", ok, err)
	}
}
