package identity_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/identity/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/password"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

// fakeTokens issues "tok:<user>:<generation>:<expiry unix>" so tests can read what was issued.
type fakeTokens struct{}

func (fakeTokens) Issue(u identity.User, now time.Time) (identity.Token, error) {
	exp := now.Add(time.Hour)
	return identity.Token{Value: fmt.Sprintf("tok:%s:%d:%d", u.ID, u.TokenGeneration, exp.Unix()), ExpiresAt: exp}, nil
}

func (fakeTokens) Verify(tok string, now time.Time) (identity.Principal, error) {
	var gen, exp int64
	parts := strings.Split(tok, ":")
	if len(parts) != 4 || parts[0] != "tok" {
		return identity.Principal{}, identity.ErrInvalidToken
	}
	if _, err := fmt.Sscan(parts[2], &gen); err != nil {
		return identity.Principal{}, identity.ErrInvalidToken
	}
	if _, err := fmt.Sscan(parts[3], &exp); err != nil || now.Unix() >= exp {
		return identity.Principal{}, identity.ErrInvalidToken
	}
	return identity.Principal{UserID: parts[1], ExpiresAt: time.Unix(exp, 0), Generation: gen}, nil
}

type listener struct{ got []string }

func (l *listener) UserRegistered(_ context.Context, userID, email string) error {
	l.got = append(l.got, userID+"|"+email)
	return nil
}

type fixture struct {
	svc      *identity.Service
	clock    *clock.Manual
	events   *events.Recorder
	listener *listener
	users    *memory.Users
}

func newFixture(t *testing.T) *fixture { return newFixtureOn(t, memory.NewUsers()) }

// newFixtureOn is a service on users, which another fixture may share (two instances, one store).
func newFixtureOn(t *testing.T, users *memory.Users) *fixture {
	t.Helper()
	f := &fixture{
		clock:    clock.NewManual(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		events:   &events.Recorder{},
		listener: &listener{},
		users:    users,
	}
	svc, err := identity.NewService(identity.Deps{
		Users:  f.users,
		Hasher: password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}),
		Tokens: fakeTokens{},
		Throttles: identity.Throttles{
			ByEmail: ratelimit.NewFailures(3, 15*time.Minute, f.clock),
			ByAddr:  ratelimit.NewFailures(5, 15*time.Minute, f.clock),
		},
		Listener: f.listener,
		Events:   f.events,
		Clock:    f.clock,
		Log:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

var ctx = context.Background()

func (f *fixture) register(t *testing.T, email string) identity.Session {
	t.Helper()
	s, err := f.svc.Register(ctx, identity.RegisterInput{Email: email, Password: "s3cret-pass", DisplayName: "Ada"})
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return s
}

func TestRegister(t *testing.T) {
	f := newFixture(t)
	s := f.register(t, "  Ada@Example.COM ")
	if s.User.Email != "ada@example.com" || s.User.DisplayName != "Ada" || s.User.ID == "" {
		t.Fatalf("user = %+v", s.User)
	}
	if strings.Contains(s.User.PasswordHash, "s3cret-pass") || s.User.PasswordHash == "" {
		t.Fatal("password not hashed")
	}
	if p, err := f.svc.Verify(ctx, s.Token.Value); err != nil || p.UserID != s.User.ID {
		t.Fatalf("token does not authenticate the new user: %+v %v", p, err)
	}
	if got := f.listener.got; len(got) != 1 || got[0] != s.User.ID+"|ada@example.com" {
		t.Fatalf("listener got %v", got)
	}
	if names := f.events.Names(); len(names) != 1 || names[0] != events.UserRegistered {
		t.Fatalf("events %v", names)
	}
}

func TestRegisterRejectsDuplicateEmailIgnoringCase(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com")
	_, err := f.svc.Register(ctx, identity.RegisterInput{Email: "ADA@example.com", Password: "another-pass", DisplayName: "X"})
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("err = %v, want ErrEmailTaken", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		in    identity.RegisterInput
		field string
	}{
		"empty email":       {identity.RegisterInput{Password: "longenough", DisplayName: "A"}, "email"},
		"bad email":         {identity.RegisterInput{Email: "not-an-email", Password: "longenough", DisplayName: "A"}, "email"},
		"named email":       {identity.RegisterInput{Email: "Ada <ada@example.com>", Password: "longenough", DisplayName: "A"}, "email"},
		"short password":    {identity.RegisterInput{Email: "a@example.com", Password: "short", DisplayName: "A"}, "password"},
		"huge password":     {identity.RegisterInput{Email: "a@example.com", Password: strings.Repeat("x", 300), DisplayName: "A"}, "password"},
		"blank name":        {identity.RegisterInput{Email: "a@example.com", Password: "longenough", DisplayName: "   "}, "displayName"},
		"long name":         {identity.RegisterInput{Email: "a@example.com", Password: "longenough", DisplayName: strings.Repeat("n", 101)}, "displayName"},
		"control char name": {identity.RegisterInput{Email: "a@example.com", Password: "longenough", DisplayName: "a\x00b"}, "displayName"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Register(ctx, tc.in)
			e := apperr.As(err)
			if e == nil || e.Kind != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
				t.Fatalf("err = %#v, want a validation error on %s", err, tc.field)
			}
			if _, err := f.users.ByEmail(ctx, identity.NormalizeEmail(tc.in.Email)); !errors.Is(err, identity.ErrUserNotFound) {
				t.Fatal("an invalid registration stored a user")
			}
		})
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	reg := f.register(t, "ada@example.com")
	s, err := f.svc.Login(ctx, identity.LoginInput{Email: "ADA@example.com", Password: "s3cret-pass", ClientAddr: "1.2.3.4"})
	if err != nil || s.User.ID != reg.User.ID {
		t.Fatalf("login = %+v, %v", s.User, err)
	}
	wrong, errWrong := f.svc.Login(ctx, identity.LoginInput{Email: "ada@example.com", Password: "wrong-pass", ClientAddr: "1.2.3.4"})
	_, errUnknown := f.svc.Login(ctx, identity.LoginInput{Email: "who@example.com", Password: "s3cret-pass", ClientAddr: "1.2.3.4"})
	if !errors.Is(errWrong, identity.ErrInvalidCredentials) || !errors.Is(errUnknown, identity.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v; unknown email: %v", errWrong, errUnknown)
	}
	if errWrong.Error() != errUnknown.Error() || wrong.Token.Value != "" {
		t.Fatal("wrong password and unknown email are distinguishable")
	}
}

func TestLoginThrottledPerEmail(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com")
	for i := range 3 {
		_, err := f.svc.Login(ctx, identity.LoginInput{Email: "ada@example.com", Password: "bad-guess", ClientAddr: fmt.Sprint("10.0.0.", i)})
		if !errors.Is(err, identity.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Even the right password is refused while throttled, from any address.
	_, err := f.svc.Login(ctx, identity.LoginInput{Email: "ada@example.com", Password: "s3cret-pass", ClientAddr: "10.9.9.9"})
	e := apperr.As(err)
	if !errors.Is(err, identity.ErrTooManyAttempts) || e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
		t.Fatalf("err = %#v, want ErrTooManyAttempts with RetryAfter", err)
	}
	f.clock.Advance(15 * time.Minute)
	if _, err := f.svc.Login(ctx, identity.LoginInput{Email: "ada@example.com", Password: "s3cret-pass", ClientAddr: "10.9.9.9"}); err != nil {
		t.Fatalf("still throttled after the window: %v", err)
	}
}

func TestLoginThrottledPerAddress(t *testing.T) {
	f := newFixture(t)
	f.register(t, "victim@example.com")
	for i := range 5 {
		_, _ = f.svc.Login(ctx, identity.LoginInput{Email: fmt.Sprintf("spray%d@example.com", i), Password: "guess-guess", ClientAddr: "6.6.6.6"})
	}
	_, err := f.svc.Login(ctx, identity.LoginInput{Email: "victim@example.com", Password: "s3cret-pass", ClientAddr: "6.6.6.6"})
	if !errors.Is(err, identity.ErrTooManyAttempts) {
		t.Fatalf("err = %v, want ErrTooManyAttempts", err)
	}
	if _, err := f.svc.Login(ctx, identity.LoginInput{Email: "victim@example.com", Password: "s3cret-pass", ClientAddr: "7.7.7.7"}); err != nil {
		t.Fatalf("another address is throttled: %v", err)
	}
}

func TestRefreshAndMe(t *testing.T) {
	f := newFixture(t)
	reg := f.register(t, "ada@example.com")
	f.clock.Advance(30 * time.Minute)
	s, err := f.svc.Refresh(ctx, identity.Principal{UserID: reg.User.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Token.ExpiresAt.After(reg.Token.ExpiresAt) {
		t.Fatal("refreshed token does not live longer")
	}
	me, err := f.svc.Me(ctx, reg.User.ID)
	if err != nil || me.Email != "ada@example.com" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	if _, err := f.svc.Refresh(ctx, identity.Principal{UserID: "deleted-user"}); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("refresh for a missing user: %v", err)
	}
	f.clock.Advance(31 * time.Minute)
	if _, err := f.svc.Verify(ctx, reg.Token.Value); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("expired token accepted: %v", err)
	}
}

// A validly signed token whose user does not exist is invalid everywhere tokens are checked
// (REST, WebSocket auth and SSE tickets all verify through the service).
func TestTokenOfAUserThatDoesNotExistIsInvalid(t *testing.T) {
	f := newFixture(t)
	tok, err := fakeTokens{}.Issue(identity.User{ID: "nobody"}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := f.svc.Verify(ctx, tok.Value); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
	}
	s, err := f.svc.Register(ctx, identity.RegisterInput{Email: "ann@example.com", Password: "correct-horse", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := f.svc.Verify(ctx, s.Token.Value); err != nil || p.UserID != s.User.ID {
		t.Fatalf("a live user's token: %+v, %v", p, err)
	}
}

// Signing out everywhere revokes every token issued so far (the caller's too), tells the
// listeners (the realtime hub closes the user's sockets), and a later login works.
func TestLogoutAllRevokesEveryEarlierToken(t *testing.T) {
	f := newFixture(t)
	reg, err := f.svc.Register(ctx, identity.RegisterInput{Email: "ann@example.com", Password: "correct-horse", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.Login(ctx, identity.LoginInput{Email: "ann@example.com", Password: "correct-horse", ClientAddr: "a"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Verify(ctx, other.Token.Value) // warms the cache: revocation must not wait for it
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	f.svc.OnRevoke(func(uid string, gen int64) { told = append(told, fmt.Sprintf("%s@%d", uid, gen)) })
	if err := f.svc.LogoutAll(ctx, reg.User.ID); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"registration": reg.Token.Value, "login": other.Token.Value} {
		if _, err := f.svc.Verify(ctx, tok); !errors.Is(err, identity.ErrInvalidToken) {
			t.Errorf("the %s token after logout-all: %v; want ErrInvalidToken", name, err)
		}
	}
	if _, err := f.svc.Refresh(ctx, p); !errors.Is(err, identity.ErrInvalidToken) {
		t.Errorf("refresh of a revoked token: %v", err)
	}
	if want := reg.User.ID + "@1"; len(told) != 1 || told[0] != want {
		t.Errorf("listeners told %v, want [%s]", told, want)
	}
	again, err := f.svc.Login(ctx, identity.LoginInput{Email: "ann@example.com", Password: "correct-horse", ClientAddr: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, again.Token.Value); err != nil {
		t.Errorf("a token issued after logout-all: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	reg, err := f.svc.Register(ctx, identity.RegisterInput{Email: "ann@example.com", Password: "correct-horse", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	change := func(current, next string) (identity.Session, error) {
		return f.svc.ChangePassword(ctx, identity.ChangePasswordInput{UserID: reg.User.ID, CurrentPassword: current, NewPassword: next, ClientAddr: "a"})
	}
	if _, err := change("correct-horse", "short"); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("a too short new password: %v", err)
	}
	if _, err := change("wrong-password", "battery-staple"); !errors.Is(err, identity.ErrWrongPassword) {
		t.Fatalf("a wrong current password: %v", err)
	}
	if _, err := f.svc.Verify(ctx, reg.Token.Value); err != nil {
		t.Fatalf("refused changes revoke nothing: %v", err)
	}
	s, err := change("correct-horse", "battery-staple")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, reg.Token.Value); !errors.Is(err, identity.ErrInvalidToken) {
		t.Errorf("the token from before the change: %v", err)
	}
	if _, err := f.svc.Verify(ctx, s.Token.Value); err != nil {
		t.Errorf("the session the change returned: %v", err)
	}
	if _, err := f.svc.Login(ctx, identity.LoginInput{Email: "ann@example.com", Password: "correct-horse", ClientAddr: "b"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("the old password still signs in: %v", err)
	}
	if _, err := f.svc.Login(ctx, identity.LoginInput{Email: "ann@example.com", Password: "battery-staple", ClientAddr: "b"}); err != nil {
		t.Errorf("the new password: %v", err)
	}
	for range 3 {
		_, _ = change("guess", "another-one")
	}
	if _, err := change("battery-staple", "another-one"); !errors.Is(err, identity.ErrTooManyAttempts) {
		t.Errorf("guessing the current password is not throttled: %v", err)
	}
}

// A revocation another instance announces takes effect here at once, even on a cached token.
func TestRevokedElsewhere(t *testing.T) {
	f := newFixture(t)
	reg, err := f.svc.Register(ctx, identity.RegisterInput{Email: "ann@example.com", Password: "correct-horse", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, reg.Token.Value); err != nil { // cached from now on
		t.Fatal(err)
	}
	told := 0
	f.svc.OnRevoke(func(string, int64) { told++ })
	f.svc.RevokedElsewhere(reg.User.ID, 1)
	if _, err := f.svc.Verify(ctx, reg.Token.Value); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("a token revoked elsewhere: %v", err)
	}
	if told != 0 {
		t.Fatal("a revocation learned from another instance was announced again")
	}
}

// Two instances on one store: a token issued by one after a revocation is accepted by the
// other at once, though the other has the older generation cached.
func TestANewerTokenIsNotRefusedByAStaleCache(t *testing.T) {
	a := newFixture(t)
	b := newFixtureOn(t, a.users)
	reg, err := a.svc.Register(ctx, identity.RegisterInput{Email: "ann@example.com", Password: "correct-horse", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Verify(ctx, reg.Token.Value); err != nil { // b caches generation 0
		t.Fatal(err)
	}
	s, err := a.svc.ChangePassword(ctx, identity.ChangePasswordInput{UserID: reg.User.ID, CurrentPassword: "correct-horse", NewPassword: "battery-staple"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Verify(ctx, s.Token.Value); err != nil {
		t.Fatalf("the new token on the other instance: %v", err)
	}
	if _, err := b.svc.Verify(ctx, reg.Token.Value); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("the old token on the other instance, once it read the store: %v", err)
	}
	if _, err := a.svc.ChangePassword(ctx, identity.ChangePasswordInput{UserID: reg.User.ID, NewPassword: "another-one"}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("no current password: %v; want a validation error, not a counted failure", err)
	}
}
