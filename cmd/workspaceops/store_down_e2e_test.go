package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/adapters/mongo/mongotest"
)

// storeProxy forwards TCP to the database and can freeze (forward nothing, as a stopped
// process) or cut (refuse and drop every connection, as a killed one).
type storeProxy struct {
	t        *testing.T
	l        net.Listener
	upstream string

	mu     sync.Mutex
	frozen bool
	thaw   chan struct{}
	conns  []net.Conn
}

func newStoreProxy(t *testing.T, upstream string) *storeProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &storeProxy{t: t, l: l, upstream: upstream, thaw: make(chan struct{})}
	close(p.thaw)
	go p.serve()
	t.Cleanup(func() { p.cut() })
	return p
}

func (p *storeProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *storeProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			thaw := p.thaw
			p.mu.Unlock()
			<-thaw
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				_ = dst.Close()
			}
			return
		}
	}
}

func (p *storeProxy) freeze(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on && !p.frozen {
		p.thaw = make(chan struct{})
	} else if !on && p.frozen {
		close(p.thaw)
	}
	p.frozen = on
}

func (p *storeProxy) cut() {
	p.freeze(false)
	_ = p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestStoreDownAnswers503: a database that stops answering (a frozen process) or goes away
// (a killed one) fails each request within the operation bound with 503 store_unavailable and
// Retry-After, as a problem document, never a 500 or a request left hanging; when it answers
// again, so does the service.
func TestStoreDownAnswers503(t *testing.T) {
	u, err := url.Parse(mongotest.URI())
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStoreProxy(t, u.Host)
	s := startServer(t, map[string]string{
		"MONGO_URI": "mongodb://" + proxy.l.Addr().String() + "/?directConnection=true", "WSO_MONGO_DATABASE": mongotest.Database(t).Name(),
		"WSO_LOG_LEVEL": "error",
	})
	ann := s.register(t, "ann@example.com")
	s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200)

	// Bounded by the client, not asserted as a duration: before the bound existed, a request
	// to a frozen store waited 20 s and more.
	client := &http.Client{Timeout: 15 * time.Second}
	get := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", s.base+"/api/v1/workspaces", nil)
		req.Header.Set("Authorization", "Bearer "+ann.token)
		return client.Do(req)
	}
	check := func(what string) {
		t.Helper()
		resp, err := get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s: %d %v %s; want 503 problem with Retry-After", what, resp.StatusCode, resp.Header, raw)
		}
		checkContract(t, resp.Request, resp.StatusCode, resp.Header, raw)
		if !strings.Contains(string(raw), `"code":"store_unavailable"`) || !strings.Contains(string(raw), `"requestId":`) {
			t.Fatalf("%s: %s", what, raw)
		}
	}

	proxy.freeze(true)
	check("a frozen store")
	proxy.freeze(false)
	s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200)

	proxy.cut()
	check("a store that is gone")
}
