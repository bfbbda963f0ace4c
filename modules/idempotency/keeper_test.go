package idempotency_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/idempotency/memory"
	"github.com/workspaceops/workspaceops/platform/clock"
)

var ctx = context.Background()

func newKeeper(t *testing.T) (*idempotency.Keeper, *clock.Manual) {
	t.Helper()
	c := clock.NewManual(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	k, err := idempotency.NewKeeper(memory.NewRecords(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return k, c
}

func TestReplayReuseAndInUse(t *testing.T) {
	k, c := newKeeper(t)
	claim, rec, err := k.Begin(ctx, "u1", "key", "fp")
	if err != nil || rec != nil {
		t.Fatalf("first: %v, %v", rec, err)
	}
	if _, _, err := k.Begin(ctx, "u1", "key", "fp"); !errors.Is(err, idempotency.ErrKeyInUse) {
		t.Fatalf("while running: %v", err)
	}
	if _, _, err := k.Begin(ctx, "u1", "key", "other"); !errors.Is(err, idempotency.ErrKeyReused) {
		t.Fatalf("another request: %v", err)
	}
	k.Finish(ctx, claim, 201, map[string]string{"Location": "/x"}, []byte(`{"id":"x"}`))
	_, rec, err = k.Begin(ctx, "u1", "key", "fp")
	if err != nil || rec == nil || rec.Status != 201 || string(rec.Body) != `{"id":"x"}` || rec.Header["Location"] != "/x" {
		t.Fatalf("replay: %+v, %v", rec, err)
	}
	// After the retention the key is new again.
	c.Advance(idempotency.Retention)
	if _, rec, err := k.Begin(ctx, "u1", "key", "other"); err != nil || rec != nil {
		t.Fatalf("after 24 h: %+v, %v", rec, err)
	}
}

// A server error, an answer too large to keep and a claim whose process died all leave the key
// to run again.
func TestWhatIsNotKept(t *testing.T) {
	k, c := newKeeper(t)
	for name, finish := range map[string]func(idempotency.Claim){
		"5xx": func(cl idempotency.Claim) { k.Finish(ctx, cl, 503, nil, []byte("{}")) },
		"too large": func(cl idempotency.Claim) {
			k.Finish(ctx, cl, 201, nil, []byte(strings.Repeat("x", idempotency.MaxBodyBytes+1)))
		},
	} {
		claim, _, err := k.Begin(ctx, "u1", name, "fp")
		if err != nil {
			t.Fatal(err)
		}
		finish(claim)
		if _, rec, err := k.Begin(ctx, "u1", name, "fp"); err != nil || rec != nil {
			t.Fatalf("%s: the retry did not run: %+v, %v", name, rec, err)
		}
	}
	if _, _, err := k.Begin(ctx, "u1", "crashed", "fp"); err != nil {
		t.Fatal(err)
	}
	c.Advance(idempotency.LockTTL)
	if _, rec, err := k.Begin(ctx, "u1", "crashed", "fp"); err != nil || rec != nil {
		t.Fatalf("a claim past its lock was not taken over: %+v, %v", rec, err)
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"a": true, "order 42/retry-1": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "tab\there": false, "é": false,
	} {
		if idempotency.ValidKey(key) != want {
			t.Errorf("ValidKey(%q) != %v", key, want)
		}
	}
}

// spyRecords keeps what the Keeper hands its repository.
type spyRecords struct {
	idempotency.Repository
	keys   []string
	bodies [][]byte
}

func (s *spyRecords) Insert(ctx context.Context, r idempotency.Record) (idempotency.Record, bool, error) {
	s.keys = append(s.keys, r.Key)
	return s.Repository.Insert(ctx, r)
}

func (s *spyRecords) Complete(ctx context.Context, scope, key, token string, status int, header map[string]string, body []byte) error {
	s.keys, s.bodies = append(s.keys, key), append(s.bodies, body)
	return s.Repository.Complete(ctx, scope, key, token, status, header, body)
}

// An answer may hold a new API key's token: the database gets neither the Idempotency-Key nor
// the answer in the clear, and the same key of another principal finds nothing.
func TestTheStoreHoldsNeitherKeyNorAnswer(t *testing.T) {
	spy := &spyRecords{Repository: memory.NewRecords()}
	k, err := idempotency.NewKeeper(spy, clock.NewManual(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const key, secret = "5f0c7c1e-3b1a-4d8e-9c55-2a7d1e0b9f10", `{"token":"wso_secret"}`
	claim, _, err := k.Begin(ctx, "u1", key, "fp")
	if err != nil {
		t.Fatal(err)
	}
	k.Finish(ctx, claim, 201, nil, []byte(secret))
	for _, stored := range spy.keys {
		if strings.Contains(stored, key) {
			t.Fatalf("the repository got the key in the clear: %q", stored)
		}
	}
	if len(spy.bodies) != 1 || strings.Contains(string(spy.bodies[0]), "wso_secret") {
		t.Fatalf("the repository got the answer in the clear: %q", spy.bodies)
	}
	if _, rec, err := k.Begin(ctx, "u1", key, "fp"); err != nil || rec == nil || string(rec.Body) != secret {
		t.Fatalf("replay: %+v, %v", rec, err)
	}
	if _, rec, err := k.Begin(ctx, "u2", key, "fp"); err != nil || rec != nil {
		t.Fatalf("another principal with the same key: %+v, %v", rec, err)
	}
}
