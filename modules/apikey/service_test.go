package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/apikey/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/racetest"
)

var ctx = context.Background()

var errNotAllowed = apperr.New(apperr.Forbidden, "forbidden", "no")

// grants allows "boss" everything in "w1" and refuses everyone else: the role table itself is
// the workspace module's, tested there.
type grants struct{}

func (grants) AuthorizeKeyRole(_ context.Context, wid, uid, role string) error {
	if wid != "w1" || uid != "boss" || role == "OWNER" {
		return errNotAllowed
	}
	return nil
}

func (grants) Authorize(_ context.Context, wid, uid string, _ authz.Action) error {
	if wid != "w1" || uid != "boss" {
		return errNotAllowed
	}
	return nil
}

type fixture struct {
	svc    *apikey.Service
	repo   *memory.Keys
	clock  *clock.Manual
	events *events.Recorder
}

func newFixture(t *testing.T, max int) *fixture {
	t.Helper()
	f := &fixture{repo: memory.NewKeys(), clock: clock.NewManual(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)), events: &events.Recorder{}}
	svc, err := apikey.NewService(apikey.Deps{Repo: f.repo, Grants: grants{}, Authz: grants{}, Events: f.events, Clock: f.clock,
		Log: slog.New(slog.DiscardHandler), MaxPerWorkspace: max})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func TestCreateShowsTheTokenOnceAndStoresItsHash(t *testing.T) {
	f := newFixture(t, 0)
	c, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "  CI  ", Role: "MEMBER"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Token, "wso_") || len(c.Token) < 4+40 || c.Key.Name != "CI" || c.Key.Prefix != c.Token[:12] {
		t.Fatalf("created %+v with token %q", c.Key, c.Token)
	}
	stored, err := f.repo.ByID(ctx, c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored.Hash, c.Token) || stored.Hash == "" || strings.Contains(stored.Hash, c.Token[4:]) {
		t.Fatalf("stored hash %q reveals the token", stored.Hash)
	}
	k, err := f.svc.Verify(ctx, c.Token)
	if err != nil || k.ID != c.Key.ID || k.Role != "MEMBER" || k.WorkspaceID != "w1" {
		t.Fatalf("verify = %+v, %v", k, err)
	}
	ev := f.events.Events()
	if len(ev) != 1 || ev[0].Name != events.APIKeyCreated || ev[0].ActorID != "boss" || ev[0].Data["role"] != "MEMBER" {
		t.Fatalf("events %+v", ev)
	}
	for _, v := range ev[0].Data {
		if s, _ := v.(string); s == c.Token {
			t.Fatal("the event carries the token")
		}
	}
}

func TestCreateRefusals(t *testing.T) {
	f := newFixture(t, 2)
	past := f.clock.Now().Add(-time.Second)
	for name, tc := range map[string]struct {
		actor, wid string
		in         apikey.CreateInput
	}{
		"OWNER role (refused by the grants)": {"boss", "w1", apikey.CreateInput{Name: "x", Role: "OWNER"}},
		"not allowed":                        {"someone", "w1", apikey.CreateInput{Name: "x", Role: "VIEWER"}},
		"no name":                            {"boss", "w1", apikey.CreateInput{Name: "  ", Role: "VIEWER"}},
		"name too long":                      {"boss", "w1", apikey.CreateInput{Name: strings.Repeat("n", 101), Role: "VIEWER"}},
		"expiry in the past":                 {"boss", "w1", apikey.CreateInput{Name: "x", Role: "VIEWER", ExpiresAt: &past}},
	} {
		if _, err := f.svc.Create(ctx, tc.actor, tc.wid, tc.in); err == nil {
			t.Errorf("%s: created", name)
		}
	}
	if n, _ := f.repo.Count(ctx, "w1"); n != 0 {
		t.Fatalf("refusals stored %d keys", n)
	}
	for range 2 {
		if _, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "k", Role: "VIEWER"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "k", Role: "VIEWER"}); !errors.Is(err, apikey.ErrTooManyKeys) {
		t.Fatalf("third key of a workspace capped at 2: %v", err)
	}
}

func TestExpiredAndRevokedKeysAuthenticateNothing(t *testing.T) {
	f := newFixture(t, 0)
	exp := f.clock.Now().Add(time.Hour)
	c, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "short", Role: "VIEWER", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if _, err := f.svc.Verify(ctx, c.Token); !errors.Is(err, apikey.ErrInvalidToken) {
		t.Fatalf("expired key: %v", err)
	}
	if err := f.svc.Recheck(ctx, c.Key.ID); !errors.Is(err, apikey.ErrInvalidToken) {
		t.Fatalf("recheck of an expired key: %v", err)
	}

	d, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "long", Role: "ADMIN"})
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	f.svc.OnRevoke(func(actor string) { told = append(told, actor) })
	if err := f.svc.Revoke(ctx, "someone", "w1", d.Key.ID); !errors.Is(err, errNotAllowed) {
		t.Fatalf("revoke by someone not allowed: %v", err)
	}
	if err := f.svc.Revoke(ctx, "boss", "w1", d.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, d.Token); !errors.Is(err, apikey.ErrInvalidToken) {
		t.Fatalf("revoked key: %v", err)
	}
	if err := f.svc.Recheck(ctx, d.Key.ID); !errors.Is(err, apikey.ErrInvalidToken) {
		t.Fatalf("recheck of a revoked key: %v", err)
	}
	if len(told) != 1 || told[0] != authz.KeyActor(d.Key.ID) {
		t.Fatalf("revocation listeners told %v", told)
	}
	if err := f.svc.Revoke(ctx, "boss", "w1", d.Key.ID); !errors.Is(err, apikey.ErrKeyNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	last := f.events.Events()[len(f.events.Events())-1]
	if last.Name != events.APIKeyRevoked || last.ActorID != "boss" || last.TargetID != d.Key.ID {
		t.Fatalf("last event %+v", last)
	}
	for _, tok := range []string{"", "wso_", "eyJhbGciOi", "wso_" + strings.Repeat("a", 200)} {
		if _, err := f.svc.Verify(ctx, tok); !errors.Is(err, apikey.ErrInvalidToken) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

// lastUsedAt is written on the first use, then at most once a minute however often the key is
// used.
func TestLastUsedIsWrittenAtMostOnceAMinute(t *testing.T) {
	f := newFixture(t, 0)
	c, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "k", Role: "VIEWER"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		k, err := f.repo.ByID(ctx, c.Key.ID)
		if err != nil || k.LastUsedAt == nil {
			t.Fatalf("last used: %+v, %v", k.LastUsedAt, err)
		}
		return *k.LastUsedAt
	}
	first := f.clock.Now()
	for range 10 {
		if _, err := f.svc.Verify(ctx, c.Token); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(5 * time.Second)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("after 50 s of use, last used %v, want the first use %v", got, first)
	}
	f.clock.Advance(15 * time.Second) // a minute and 5 s after the first use
	now := f.clock.Now()
	if _, err := f.svc.Verify(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(now) {
		t.Fatalf("after a minute, last used %v, want %v", got, now)
	}
}

func TestListPages(t *testing.T) {
	f := newFixture(t, 0)
	for range 3 {
		if _, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: "k", Role: "VIEWER"}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := f.svc.List(ctx, "boss", "w1", "", 2)
	if err != nil || len(p.Items) != 2 || p.NextCursor == "" {
		t.Fatalf("first page %+v, %v", p, err)
	}
	p, err = f.svc.List(ctx, "boss", "w1", p.NextCursor, 2)
	if err != nil || len(p.Items) != 1 || p.NextCursor != "" {
		t.Fatalf("second page %+v, %v", p, err)
	}
	if _, err := f.svc.List(ctx, "someone", "w1", "", 2); !errors.Is(err, errNotAllowed) {
		t.Fatalf("list by someone: %v", err)
	}
}

// Deleting a workspace deletes its keys: none authenticates any more, each one's sockets are
// told to close, and no api-key:revoked is published for them.
func TestPurgeWorkspaceDeletesItsKeys(t *testing.T) {
	f := newFixture(t, 0)
	var tokens, want []string
	for _, name := range []string{"a", "b", "c"} {
		c, err := f.svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: name, Role: "MEMBER"})
		if err != nil {
			t.Fatal(err)
		}
		tokens, want = append(tokens, c.Token), append(want, authz.KeyActor(c.Key.ID))
	}
	var told []string
	f.svc.OnRevoke(func(actor string) { told = append(told, actor) })
	published := len(f.events.Events())
	if err := f.svc.PurgeWorkspace(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if _, err := f.svc.Verify(ctx, tok); !errors.Is(err, apikey.ErrInvalidToken) {
			t.Fatalf("a purged workspace's key: %v", err)
		}
	}
	slices.Sort(told)
	slices.Sort(want)
	if !slices.Equal(told, want) || len(f.events.Events()) != published {
		t.Fatalf("revocation listeners told %v (want %v); %d events published", told, want, len(f.events.Events())-published)
	}
}

// barrierKeys holds every Count, once read, at its barrier: racing creations at the limit
// all find room before any of them stores its key.
type barrierKeys struct {
	*memory.Keys
	barrier *racetest.Barrier
}

func (b *barrierKeys) Count(ctx context.Context, workspaceID string) (int, error) {
	n, err := b.Keys.Count(ctx, workspaceID)
	b.barrier.Hold()
	return n, err
}

// Creations racing at the limit never leave a workspace over it.
func TestTheKeyLimitHoldsUnderRacingCreates(t *testing.T) {
	const limit, racers = 3, 6
	repo := &barrierKeys{Keys: memory.NewKeys(), barrier: racetest.NewBarrier(racers)}
	svc, err := apikey.NewService(apikey.Deps{Repo: repo, Grants: grants{}, Authz: grants{}, Events: &events.Recorder{},
		Clock: clock.NewManual(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)), Log: slog.New(slog.DiscardHandler), MaxPerWorkspace: limit})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			_, err := svc.Create(ctx, "boss", "w1", apikey.CreateInput{Name: fmt.Sprint("k", i), Role: "MEMBER"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	created := 0
	for err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, apikey.ErrTooManyKeys):
			t.Fatalf("a racing create: %v", err)
		}
	}
	n, err := repo.Keys.Count(ctx, "w1")
	if err != nil || n > limit || n != created {
		t.Fatalf("%d keys stored, %d creations answered success (limit %d), %v", n, created, limit, err)
	}
}
