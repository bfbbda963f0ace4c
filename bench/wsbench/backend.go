package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// backend is the server side of a workload's setup and changes: users and their tokens,
// workspaces and members, the work items the changes are about, a change, and a workspace's
// last seq. *api does it through WorkspaceOps' REST API; sioBackend for the Socket.io reference,
// cfBackend for Centrifugo.
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

// refSetup is the setup of a reference server (Socket.io, Centrifugo): it has no users,
// workspaces or items to create, so tokens are HS256 JWTs (sub = a made-up user id) signed here
// with the reference's secret, and ids are made up.
type refSetup struct {
	secret []byte
	ttl    time.Duration // of the tokens
	runID  string
	ids    atomic.Int64
}

func newRefSetup(secret []byte, ttl time.Duration, runID string) *refSetup {
	return &refSetup{secret: secret, ttl: ttl, runID: runID}
}

func (s *refSetup) newID(prefix string) string {
	return prefix + "-" + s.runID + "-" + strconv.FormatInt(s.ids.Add(1), 10)
}

func (s *refSetup) register(_ context.Context, email string) (*user, error) {
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

func (s *refSetup) createWorkspace(context.Context, string, string) (string, error) {
	return s.newID("ws"), nil
}

// addMember does nothing: the references let any valid token join any workspace's room.
func (s *refSetup) addMember(context.Context, string, string, string, string) error { return nil }

func (s *refSetup) createWorkItem(context.Context, string, string, string) (string, error) {
	return s.newID("item"), nil
}

// sioBackend is the backend of the Socket.io reference (bench/wsbench/reference/server.js): a
// change is a POST /broadcast to the workspace's room, which numbers it.
type sioBackend struct {
	*refSetup
	a *api
}

func newSIOBackend(a *api, secret []byte, ttl time.Duration, runID string) *sioBackend {
	return &sioBackend{refSetup: newRefSetup(secret, ttl, runID), a: a}
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

// cfBackend is the backend of Centrifugo (make bench-compare runs it with a `workspace`
// namespace any connected user may subscribe to): a change is a publication to the channel
// workspace:<wid> through the server HTTP API (POST /api/publish, X-API-Key), its data shaped
// like a protocol v1 event frame. Centrifugo keeps no seq without history, so the backend numbers
// each workspace's changes itself, as the Socket.io reference does in its process; the publishes
// of one workspace are made one at a time (its lock is held across the call), so the seqs reach
// every subscriber in order however many writers there are.
type cfBackend struct {
	*refSetup
	a      *api
	apiKey string

	mu    sync.Mutex
	rooms map[string]*cfRoom // by workspace id
}

// cfRoom is the last seq published to a workspace; mu is held across a publish.
type cfRoom struct {
	mu  sync.Mutex
	seq int64
}

// cfEventFrame is a publication's data: a protocol v1 event frame, its fields in the order
// WorkspaceOps writes them (parseFrame's fast path reads that order).
type cfEventFrame struct {
	Type        string       `json:"type"`
	WorkspaceID string       `json:"workspaceId"`
	Seq         int64        `json:"seq"`
	Event       string       `json:"event"`
	Data        cfStatusData `json:"data"`
}

type cfStatusData struct {
	TargetID string `json:"targetId"`
	Status   string `json:"status"`
}

func newCFBackend(a *api, secret []byte, apiKey string, ttl time.Duration, runID string) *cfBackend {
	return &cfBackend{refSetup: newRefSetup(secret, ttl, runID), a: a, apiKey: apiKey, rooms: map[string]*cfRoom{}}
}

func cfChannel(wid string) string { return "workspace:" + wid }

func (s *cfBackend) room(wid string) *cfRoom {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[wid]
	if r == nil {
		r = &cfRoom{}
		s.rooms[wid] = r
	}
	return r
}

func (s *cfBackend) setStatus(ctx context.Context, _, wid, item, status string) error {
	r := s.room(wid)
	r.mu.Lock()
	defer r.mu.Unlock()
	seq := r.seq + 1
	frame := cfEventFrame{Type: "event", WorkspaceID: wid, Seq: seq, Event: "work-item:status-changed",
		Data: cfStatusData{TargetID: item, Status: status}}
	if err := s.publish(ctx, cfChannel(wid), frame); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	r.seq = seq // only once published: a failed publish leaves no gap
	return nil
}

// publish is one call of Centrifugo's server HTTP API; the API answers 200 with an error object
// when it refuses a command.
func (s *cfBackend) publish(ctx context.Context, channel string, data any) error {
	body, err := json.Marshal(map[string]any{"channel": channel, "data": data})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.a.base+"/api/publish", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", s.apiKey)
	resp, err := s.a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return &httpError{status: resp.StatusCode, detail: string(b)}
	}
	var r struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("answer %q: %w", b, err)
	}
	if r.Error != nil {
		return fmt.Errorf("centrifugo error %d: %s", r.Error.Code, r.Error.Message)
	}
	return nil
}

// head is the last seq published to wid (waiting for a publish under way).
func (s *cfBackend) head(_ context.Context, _, wid string) (int64, error) {
	r := s.room(wid)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq, nil
}

func (s *cfBackend) describe() changeKind {
	return changeKind{
		call:    "POST /api/publish",
		latency: "Centrifugo: latency from just before POST /api/publish (memory broker, no history, no store) to the publication's arrival: broadcast only; a workspace's publishes are made one at a time so its seqs arrive in order; spread: from the change's first arrival at any subscriber to each arrival; server CPU per delivery includes the API call",
		deliver: "Centrifugo: every change is a POST /api/publish (memory broker, no history, no store) made by the writers, one at a time per workspace (wsbench numbers them); deliveries are the publications",
	}
}
