package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// Service holds the identity use cases.
type Service struct {
	users     Repository
	hasher    PasswordHasher
	tokens    Tokens
	throttles Throttles
	listener  RegistrationListener
	events    events.Publisher
	clock     clock.Clock
	log       *slog.Logger

	// dummyHash is verified against when the email is unknown, so that a failed login costs the
	// same time whether or not the account exists.
	dummyHash string

	generations *generations
	revokeMu    sync.Mutex
	onRevoke    []func(userID string, generation int64)
}

// Deps are the Service's dependencies; every field is required.
type Deps struct {
	Users     Repository
	Hasher    PasswordHasher
	Tokens    Tokens
	Throttles Throttles
	Listener  RegistrationListener
	Events    events.Publisher
	Clock     clock.Clock
	Log       *slog.Logger
}

// NewService returns the identity use cases.
func NewService(d Deps) (*Service, error) {
	if d.Users == nil || d.Hasher == nil || d.Tokens == nil || d.Throttles.ByEmail == nil ||
		d.Throttles.ByAddr == nil || d.Listener == nil || d.Events == nil || d.Clock == nil || d.Log == nil {
		return nil, errors.New("identity: all dependencies are required")
	}
	dummy, err := d.Hasher.Hash("not-a-real-password-" + ids.New())
	if err != nil {
		return nil, fmt.Errorf("identity: prepare dummy hash: %w", err)
	}
	return &Service{
		users: d.Users, hasher: d.Hasher, tokens: d.Tokens, throttles: d.Throttles,
		listener: d.Listener, events: d.Events, clock: d.Clock, log: d.Log, dummyHash: dummy,
		generations: newGenerations(generationTTL, maxCachedGenerations),
	}, nil
}

// Session is a user and a token proving their identity.
type Session struct {
	User  User
	Token Token
}

// RegisterInput is what a person submits to create an account.
type RegisterInput struct {
	Email       string
	Password    string
	DisplayName string
}

// Register creates an account and signs the new user in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Session, error) {
	email, displayName, err := validateRegistration(in)
	if err != nil {
		return Session{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return Session{}, fmt.Errorf("hash password: %w", err)
	}
	u := User{ID: ids.New(), Email: email, DisplayName: displayName, PasswordHash: hash, CreatedAt: s.clock.Now()}
	if err := s.users.Create(ctx, u); err != nil {
		return Session{}, fmt.Errorf("create user: %w", err)
	}
	s.events.Publish(ctx, events.NewUserRegistered(u.ID).Event("", u.ID, u.CreatedAt))
	if err := s.listener.UserRegistered(ctx, u.ID, u.Email); err != nil {
		s.log.ErrorContext(ctx, "registration listener failed", slog.String("user_id", u.ID), slog.Any("error", err))
	}
	return s.session(u)
}

// LoginInput is what a person submits to sign in. ClientAddr is the caller's network address,
// used only for throttling.
type LoginInput struct {
	Email      string
	Password   string
	ClientAddr string
}

// Login checks a password and returns a session. Unknown email and wrong password give the same
// error after the same work; repeated failures per email and per address are throttled.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	email := NormalizeEmail(in.Email)
	emailKey, addrKey := "email:"+email, "addr:"+in.ClientAddr
	if wait := max(s.throttles.ByEmail.Wait(emailKey), s.throttles.ByAddr.Wait(addrKey)); wait > 0 {
		return Session{}, ErrTooManyAttempts.WithRetryAfter(wait)
	}
	if len(in.Password) > MaxPasswordLen || len(email) > MaxEmailLen {
		return Session{}, ErrInvalidCredentials
	}
	u, err := s.users.ByEmail(ctx, email)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, ErrUserNotFound):
		hash = s.dummyHash
	case err != nil:
		return Session{}, fmt.Errorf("find user: %w", err)
	}
	ok, verr := s.hasher.Verify(hash, in.Password)
	if verr != nil {
		return Session{}, fmt.Errorf("verify password: %w", verr)
	}
	if err != nil || !ok {
		s.throttles.ByEmail.Fail(emailKey)
		s.throttles.ByAddr.Fail(addrKey)
		return Session{}, ErrInvalidCredentials
	}
	s.throttles.ByEmail.Reset(emailKey)
	return s.session(u)
}

// Verify returns who a token speaks for and until when; long-lived connections (WebSocket,
// SSE) use the expiry to close themselves when the token runs out. A validly signed token of a
// user that does not exist (any more, or in this database) is invalid, and so is one issued
// before the user signed out everywhere or changed their password: every authenticated
// request, socket and ticket comes through here, so none acts for nobody or for a revoked
// session. The user's token generation comes from a cache of a few seconds, not a store read
// per request.
func (s *Service) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := s.tokens.Verify(token, s.clock.Now())
	if err != nil {
		return Principal{}, err
	}
	if err := s.Recheck(ctx, p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// Recheck reports whether a principal verified earlier (an SSE ticket's) still stands: its
// user exists and its token generation is current. The generation comes from the cache; a
// token newer than the cached generation (issued on another instance a moment ago) reads the
// store rather than being refused.
func (s *Service) Recheck(ctx context.Context, p Principal) error {
	now := s.clock.Now()
	gen, ok := s.generations.get(p.UserID, now)
	if !ok || p.Generation > gen {
		u, err := s.Me(ctx, p.UserID)
		if err != nil {
			return err
		}
		gen = u.TokenGeneration
		s.generations.put(u.ID, gen, now)
	}
	if p.Generation != gen {
		return fmt.Errorf("%w: revoked (generation %d, now %d)", ErrInvalidToken, p.Generation, gen)
	}
	return nil
}

// Refresh issues a fresh token to the holder of a verified token, unless it has been revoked
// since (Verify may have read the generation from the cache).
func (s *Service) Refresh(ctx context.Context, p Principal) (Session, error) {
	u, err := s.Me(ctx, p.UserID)
	if err != nil {
		return Session{}, err
	}
	if u.TokenGeneration != p.Generation {
		return Session{}, ErrInvalidToken
	}
	return s.session(u)
}

// LogoutAll invalidates every token issued to the user so far. This instance refuses them at
// once; the OnRevoke listeners close the user's sockets and tell the other instances, which
// otherwise notice within the cache's few seconds.
func (s *Service) LogoutAll(ctx context.Context, userID string) error {
	u, err := s.users.RevokeTokens(ctx, userID, "")
	if err != nil {
		return s.revokeFailed(err)
	}
	s.revoked(ctx, u, "signed out everywhere")
	return nil
}

// ChangePasswordInput is what a signed-in person submits to change their password.
type ChangePasswordInput struct {
	UserID          string
	CurrentPassword string
	NewPassword     string
	ClientAddr      string
}

// ChangePassword checks the current password (wrong guesses count against the same throttles
// as logins), sets the new one and invalidates every token issued before, as LogoutAll does;
// the session it returns is the only valid one.
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) (Session, error) {
	var f apperr.Fields
	if in.CurrentPassword == "" {
		f.Add("currentPassword", "is required")
	}
	if msg := validatePassword(in.NewPassword); msg != "" {
		f.Add("newPassword", msg)
	}
	if err := f.Err(); err != nil {
		return Session{}, err
	}
	u, err := s.Me(ctx, in.UserID)
	if err != nil {
		return Session{}, err
	}
	emailKey, addrKey := "email:"+u.Email, "addr:"+in.ClientAddr
	if wait := max(s.throttles.ByEmail.Wait(emailKey), s.throttles.ByAddr.Wait(addrKey)); wait > 0 {
		return Session{}, ErrTooManyAttempts.WithRetryAfter(wait)
	}
	ok := false
	if len(in.CurrentPassword) <= MaxPasswordLen {
		if ok, err = s.hasher.Verify(u.PasswordHash, in.CurrentPassword); err != nil {
			return Session{}, fmt.Errorf("verify password: %w", err)
		}
	}
	if !ok {
		s.throttles.ByEmail.Fail(emailKey)
		s.throttles.ByAddr.Fail(addrKey)
		return Session{}, ErrWrongPassword
	}
	s.throttles.ByEmail.Reset(emailKey)
	hash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return Session{}, fmt.Errorf("hash password: %w", err)
	}
	if u, err = s.users.RevokeTokens(ctx, u.ID, hash); err != nil {
		return Session{}, s.revokeFailed(err)
	}
	s.revoked(ctx, u, "password changed")
	return s.session(u)
}

// OnRevoke registers f to be told, on this instance, that every token of a user below
// generation is revoked (the realtime hub closes the user's sockets).
func (s *Service) OnRevoke(f func(userID string, generation int64)) {
	s.revokeMu.Lock()
	defer s.revokeMu.Unlock()
	s.onRevoke = append(s.onRevoke, f)
}

// RevokedElsewhere records that another instance revoked every token of the user below
// generation, so this one refuses them at once instead of when its cache expires. Unlike a
// revocation made here, it tells no OnRevoke listener (the announcement came from one).
func (s *Service) RevokedElsewhere(userID string, generation int64) {
	s.generations.put(userID, generation, s.clock.Now())
}

func (s *Service) revokeFailed(err error) error {
	if errors.Is(err, ErrUserNotFound) {
		return ErrInvalidToken
	}
	return fmt.Errorf("revoke tokens: %w", err)
}

func (s *Service) revoked(ctx context.Context, u User, why string) {
	s.generations.put(u.ID, u.TokenGeneration, s.clock.Now())
	s.log.InfoContext(ctx, "tokens revoked", slog.String("user_id", u.ID), slog.String("reason", why))
	s.revokeMu.Lock()
	listeners := slices.Clone(s.onRevoke)
	s.revokeMu.Unlock()
	for _, f := range listeners {
		f(u.ID, u.TokenGeneration)
	}
}

// Me returns the authenticated user. A token whose user no longer exists is no longer valid.
func (s *Service) Me(ctx context.Context, userID string) (User, error) {
	u, err := s.users.ByID(ctx, userID)
	if errors.Is(err, ErrUserNotFound) {
		return User{}, ErrInvalidToken
	}
	if err != nil {
		return User{}, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

func (s *Service) session(u User) (Session, error) {
	tok, err := s.tokens.Issue(u, s.clock.Now())
	if err != nil {
		return Session{}, fmt.Errorf("issue token: %w", err)
	}
	return Session{User: u, Token: tok}, nil
}
