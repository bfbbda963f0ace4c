package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// backend is the server side of a workload's setup and changes: users and their tokens,
// workspaces and members, the work items the changes are about, a change, and a workspace's
// last seq. *api does it through WorkspaceOps' REST API; sioBackend for the Socket.io reference.
type backend interface {
	register(ctx context.Context, email string) (*user, error)
	createWorkspace(ctx context.Context, token, name string) (string, error)
	addMember(ctx context.Context, token, wid, email, role string) error
	createWorkItem(ctx context.Context, token, wid, title string) (string, error)
	// setStatus makes one change a subscriber of wid receives as a work-item:status-changed
	// event with data.targetId item.
	setStatus(ctx context.Context, token, wid, item, status string) error
	head(ctx context.Context, token, wid string) (int64, error)
	// describe says in the report what one change is.
	describe() changeKind
}

// changeKind is the wording of a backend's changes in the report.
type changeKind struct {
	call    string // a change's call, as the headline names it
	latency string // the fanout note on what the latency and the server CPU include
	deliver string // the saturate note on what a change and a delivery are
}

func (a *api) describe() changeKind {
	return changeKind{
		call:    "REST change",
		latency: "latency: from just before the REST status change (work item update + audit append) to the frame's arrival; spread: from the change's first arrival at any subscriber to each arrival (the fan-out itself); server CPU per delivery includes the REST writes and the coalesced overview:updated frames",
		deliver: "every change is a REST status change (work item update + audit append on the store) made by the writers; deliveries are event frames of every kind (status changes and coalesced overview:updated)",
	}
}

// sioBackend is the backend of the Socket.io reference (bench/wsbench/reference/server.js): it
// has no users, workspaces or items to create, so tokens are signed here with the reference's
// secret and ids are made up; a change is a POST /broadcast to the workspace's room.
type sioBackend struct {
	a      *api
	secret []byte
	ttl    time.Duration // of the tokens
	runID  string
	ids    atomic.Int64
}

func newSIOBackend(a *api, secret []byte, ttl time.Duration, runID string) *sioBackend {
	return &sioBackend{a: a, secret: secret, ttl: ttl, runID: runID}
}

func (s *sioBackend) newID(prefix string) string {
	return prefix + "-" + s.runID + "-" + strconv.FormatInt(s.ids.Add(1), 10)
}

func (s *sioBackend) register(_ context.Context, email string) (*user, error) {
	id := s.newID("u")
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   id,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
	}).SignedString(s.secret)
	if err != nil {
		return nil, fmt.Errorf("sign a token: %w", err)
	}
	return &user{id: id, email: email, token: tok}, nil
}

func (s *sioBackend) createWorkspace(context.Context, string, string) (string, error) {
	return s.newID("ws"), nil
}

// addMember does nothing: the reference lets any valid token join any room.
func (s *sioBackend) addMember(context.Context, string, string, string, string) error { return nil }

func (s *sioBackend) createWorkItem(context.Context, string, string, string) (string, error) {
	return s.newID("item"), nil
}

func roomQuery(wid string) string {
	return url.Values{"room": {"workspace:" + wid}}.Encode()
}

func (s *sioBackend) setStatus(ctx context.Context, token, wid, item, status string) error {
	body := map[string]any{"event": "work-item:status-changed", "data": map[string]string{"targetId": item, "status": status}}
	if err := s.a.do(ctx, http.MethodPost, "/broadcast?"+roomQuery(wid), token, body, nil); err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

func (s *sioBackend) head(ctx context.Context, token, wid string) (int64, error) {
	var h struct {
		Seq int64 `json:"seq"`
	}
	if err := s.a.do(ctx, http.MethodGet, "/head?"+roomQuery(wid), token, nil, &h); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	return h.Seq, nil
}

func (s *sioBackend) describe() changeKind {
	return changeKind{
		call:    "POST /broadcast",
		latency: "Socket.io reference: latency from just before POST /broadcast (an io.to(room).emit, no store) to the event's arrival: broadcast only; spread: from the change's first arrival at any subscriber to each arrival; server CPU per delivery includes the POST handling",
		deliver: "Socket.io reference: every change is a POST /broadcast (an io.to(room).emit, no store) made by the writers; deliveries are the `event` events",
	}
}
