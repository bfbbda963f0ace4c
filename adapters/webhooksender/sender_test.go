package webhooksender_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/adapters/webhooksender"
	"github.com/workspaceops/workspaceops/modules/webhook"
)

func TestBlocked(t *testing.T) {
	for addr, blocked := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "::ffff:127.0.0.1": true,
		"10.1.2.3": true, "172.16.0.1": true, "172.31.255.255": true, "192.168.1.1": true, "::ffff:10.0.0.1": true,
		"fc00::1": true, "fd12:3456::1": true,
		"169.254.169.254": true, "fe80::1": true,
		"224.0.0.1": true, "239.1.2.3": true, "ff02::1": true, "ff01::1": true,
		"0.0.0.0": true, "0.1.2.3": true, "::": true,
		"100.64.0.1": true, "100.127.255.254": true, "198.18.0.1": true, "240.0.0.1": true, "255.255.255.255": true,
		"64:ff9b::a00:1": true, "2002:7f00:1::": true, "192.0.0.8": true,
		"93.184.216.34": false, "8.8.8.8": false, "100.63.255.255": false, "100.128.0.0": false, "172.32.0.1": false,
		"2606:4700:4700::1111": false, "::ffff:8.8.8.8": false,
	} {
		if got := webhooksender.Blocked(netip.MustParseAddr(addr)); got != blocked {
			t.Errorf("Blocked(%s) = %v, want %v", addr, got, blocked)
		}
	}
}

func TestCheckDestination(t *testing.T) {
	ctx := context.Background()
	s := webhooksender.New(webhooksender.Options{AllowedHosts: []string{"receiver.internal", "10.9.9.9"}})
	for raw, ok := range map[string]bool{
		"https://127.0.0.1/hook":         false,
		"https://localhost/hook":         false, // resolves to loopback (the hosts file; no network needed)
		"https://[::1]:8443/hook":        false,
		"https://[::ffff:10.0.0.1]/hook": false,
		"https://169.254.169.254/latest": false,
		"https://0.0.0.0/":               false,
		"https://100.64.1.1/":            false,
		"https://93.184.216.34/hook":     true,
		"https://10.9.9.9/hook":          true, // allowed explicitly
		"https://receiver.internal/hook": true, // allowed explicitly, never resolved
	} {
		err := s.CheckDestination(ctx, raw)
		if ok != (err == nil) || (err != nil && !errors.Is(err, webhook.ErrDestination)) {
			t.Errorf("CheckDestination(%s) = %v, want allowed %v", raw, err, ok)
		}
	}
}

// The connect-time check: a name that resolves to loopback when the request is made (here
// localhost, as a rebinding name would) is refused on the address dialled, and so is a loopback
// address; allowed hosts connect.
func TestSendRefusesBlockedAddressesAtConnect(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ctx := context.Background()
	s := webhooksender.New(webhooksender.Options{})
	for _, raw := range []string{srv.URL, "http://localhost:" + u.Port()} {
		res := s.Send(ctx, webhook.Request{URL: raw, Body: []byte("{}")})
		if res.Err == nil || !strings.Contains(res.Err.Error(), "not allowed") || res.Status != 0 {
			t.Errorf("%s: %+v, want refused", raw, res)
		}
		if strings.Contains(res.Err.Error(), raw) {
			t.Errorf("the error holds the URL: %v", res.Err)
		}
	}
	if hits != 0 {
		t.Fatalf("the receiver was reached %d times", hits)
	}
	allowed := webhooksender.New(webhooksender.Options{AllowedHosts: []string{"127.0.0.1"}})
	if res := allowed.Send(ctx, webhook.Request{URL: srv.URL, Body: []byte("{}")}); res.Err != nil || res.Status != 200 {
		t.Fatalf("allowed host: %+v", res)
	}
}

// A redirect is answered as it is (never followed), a large answer is read only in part, and
// headers and body arrive as given.
func TestSendDoesNotFollowRedirects(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/elsewhere":
			t.Error("the redirect was followed")
		default:
			got = r
			_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
		}
	}))
	defer srv.Close()
	s := webhooksender.New(webhooksender.Options{AllowedHosts: []string{"127.0.0.1"}})
	ctx := context.Background()
	if res := s.Send(ctx, webhook.Request{URL: srv.URL + "/redirect"}); res.Status != http.StatusTemporaryRedirect || res.Err != nil {
		t.Fatalf("redirect: %+v", res)
	}
	res := s.Send(ctx, webhook.Request{URL: srv.URL + "/in", Header: map[string]string{"X-WorkspaceOps-Seq": "7"}, Body: []byte(`{"a":1}`)})
	if res.Status != 200 || res.Err != nil || got == nil || got.Method != http.MethodPost || got.Header.Get("X-WorkspaceOps-Seq") != "7" {
		t.Fatalf("%+v %v", res, got)
	}
}

// A receiver that does not answer in time fails the delivery as "timed out".
func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	s := webhooksender.New(webhooksender.Options{AllowedHosts: []string{"127.0.0.1"}, Timeout: 100 * time.Millisecond})
	res := s.Send(context.Background(), webhook.Request{URL: srv.URL})
	if res.Err == nil || res.Err.Error() != "timed out" {
		t.Fatalf("%+v", res)
	}
}
