package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// api is a REST client of one server.
type api struct {
	base      string // http://host:port
	hc        *http.Client
	readyPath string // answers 200 once the server serves: /readyz, Centrifugo's /health
}

func newAPI(u *url.URL, conns int) *api {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &api{base: u.String(), hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, readyPath: "/readyz"}
}

// httpError is a non-2xx answer.
type httpError struct {
	status int
	code   string
	detail string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.status, e.code, e.detail)
}

// do sends one request with a JSON body (when body is not nil) and decodes a 2xx JSON answer
// into out (when not nil).
func (a *api) do(ctx context.Context, method, path, token string, body, out any) error {
	if body == nil {
		return a.send(ctx, method, path, token, "", nil, 0, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return a.send(ctx, method, path, token, "application/json", bytes.NewReader(b), int64(len(b)), out)
}

// send sends one request whose body (when not nil) is size bytes of contentType and decodes a
// 2xx JSON answer into out (when not nil).
func (a *api) send(ctx context.Context, method, path, token, contentType string, body io.Reader, size int64, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = json.Unmarshal(b, &p)
		return &httpError{status: resp.StatusCode, code: p.Code, detail: p.Detail}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// user is a registered user with a token that lasts the run (default TTL one hour).
type user struct {
	id, email, token string
}

const benchPassword = "wsbench-password-1"

func (a *api) register(ctx context.Context, email string) (*user, error) {
	var s struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Token string `json:"token"`
	}
	err := a.do(ctx, http.MethodPost, "/api/v1/auth/register", "",
		map[string]string{"email": email, "password": benchPassword, "displayName": "wsbench"}, &s)
	if err != nil {
		return nil, err
	}
	return &user{id: s.User.ID, email: email, token: s.Token}, nil
}

func (a *api) createWorkspace(ctx context.Context, token, name string) (string, error) {
	var w struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, http.MethodPost, "/api/v1/workspaces", token, map[string]string{"name": name}, &w)
	return w.ID, err
}

// addMember makes a registered user a member of the workspace at once.
func (a *api) addMember(ctx context.Context, token, wid, email, role string) error {
	return a.do(ctx, http.MethodPost, "/api/v1/workspaces/"+wid+"/members", token,
		map[string]string{"email": email, "role": role}, nil)
}

func (a *api) createWorkItem(ctx context.Context, token, wid, title string) (string, error) {
	var it struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, http.MethodPost, "/api/v1/workspaces/"+wid+"/work-items", token,
		map[string]string{"title": title, "priority": "MEDIUM"}, &it)
	return it.ID, err
}

// workItemSpec is the body of a created work item (empty fields are left out).
type workItemSpec struct {
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Priority    string     `json:"priority,omitempty"`
	AssigneeID  string     `json:"assigneeId,omitempty"`
	DueDate     *time.Time `json:"dueDate,omitempty"`
	Tags        []string   `json:"tags,omitempty"`
}

func (a *api) createWorkItemSpec(ctx context.Context, token, wid string, spec *workItemSpec) (string, error) {
	var it struct {
		ID string `json:"id"`
	}
	err := a.do(ctx, http.MethodPost, "/api/v1/workspaces/"+wid+"/work-items", token, spec, &it)
	return it.ID, err
}

// getWorkItem reads one work item and returns its status.
func (a *api) getWorkItem(ctx context.Context, token, wid, id string) (string, error) {
	var it struct {
		Status string `json:"status"`
	}
	err := a.do(ctx, http.MethodGet, "/api/v1/workspaces/"+wid+"/work-items/"+id, token, nil, &it)
	return it.Status, err
}

// uploadDocument posts a multipart/form-data body of size bytes (see uploadBody) and returns the
// new document's id.
func (a *api) uploadDocument(ctx context.Context, token, wid, contentType string, body io.Reader, size int64) (string, error) {
	var d struct {
		ID string `json:"id"`
	}
	err := a.send(ctx, http.MethodPost, "/api/v1/workspaces/"+wid+"/documents", token, contentType, body, size, &d)
	return d.ID, err
}

// deleteDocument deletes a document (ADMIN and OWNER only).
func (a *api) deleteDocument(ctx context.Context, token, wid, id string) error {
	return a.do(ctx, http.MethodDelete, "/api/v1/workspaces/"+wid+"/documents/"+id, token, nil, nil)
}

func (a *api) setStatus(ctx context.Context, token, wid, item, status string) error {
	return a.do(ctx, http.MethodPatch, "/api/v1/workspaces/"+wid+"/work-items/"+item+"/status", token,
		map[string]string{"status": status}, nil)
}

func (a *api) listWorkItems(ctx context.Context, token, wid string) error {
	return a.do(ctx, http.MethodGet, "/api/v1/workspaces/"+wid+"/work-items?limit=50", token, nil, nil)
}

func (a *api) overview(ctx context.Context, token, wid string) error {
	return a.do(ctx, http.MethodGet, "/api/v1/workspaces/"+wid+"/overview", token, nil, nil)
}

// head returns the workspace's latest audit seq (0 when the log is empty).
func (a *api) head(ctx context.Context, token, wid string) (int64, error) {
	var l struct {
		Items []struct {
			Seq int64 `json:"seq"`
		} `json:"items"`
	}
	if err := a.do(ctx, http.MethodGet, "/api/v1/workspaces/"+wid+"/audit-log?limit=1", token, nil, &l); err != nil {
		return 0, err
	}
	if len(l.Items) == 0 {
		return 0, nil
	}
	return l.Items[0].Seq, nil
}

func (a *api) ticket(ctx context.Context, token string) (string, error) {
	var t struct {
		Ticket string `json:"ticket"`
	}
	err := a.do(ctx, http.MethodPost, "/api/v1/realtime/tickets", token, nil, &t)
	return t.Ticket, err
}

func (a *api) ready(ctx context.Context) error {
	return a.do(ctx, http.MethodGet, a.readyPath, "", nil, nil)
}

// waitReady polls the ready path until it answers 200 or d passes.
func (a *api) waitReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := a.ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s is not ready after %s: %v", a.base, d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
