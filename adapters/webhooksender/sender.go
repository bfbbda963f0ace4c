package webhooksender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/workspaceops/workspaceops/modules/webhook"
)

// Limits of one delivery.
const (
	Timeout         = 10 * time.Second
	MaxResponseRead = 64 << 10
)

// Options configure a Sender.
type Options struct {
	// AllowedHosts are host names or IP addresses that may be reached whatever they resolve to
	// (WSO_WEBHOOK_ALLOWED_HOSTS: a receiver on the private network, tests' loopback one).
	AllowedHosts []string
	// Timeout bounds a whole delivery (Timeout when 0).
	Timeout time.Duration
	// Resolver looks host names up (net.DefaultResolver when nil).
	Resolver *net.Resolver
}

// Sender implements webhook.Sender.
type Sender struct {
	allowed  []string
	resolver *net.Resolver
	client   *http.Client
}

var _ webhook.Sender = (*Sender)(nil)

// errRefused is a connection refused because its address may not be reached.
var errRefused = errors.New("the destination address is not allowed for webhooks")

// New returns a sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = Timeout
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	s := &Sender{resolver: o.Resolver}
	for _, h := range o.AllowedHosts {
		s.allowed = append(s.allowed, strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")))
	}
	checked := &net.Dialer{Timeout: o.Timeout, Resolver: o.Resolver, Control: control}
	open := &net.Dialer{Timeout: o.Timeout, Resolver: o.Resolver}
	transport := &http.Transport{
		Proxy: nil, // a proxy would dial for us, past the address check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err == nil && s.isAllowed(host) {
				return open.DialContext(ctx, network, addr)
			}
			return checked.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	s.client = &http.Client{
		Transport:     transport,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// control refuses a connection to a blocked address: it runs on the address being dialled,
// after resolution, so what a name resolves to at that moment is what is checked.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errRefused, address)
	}
	if Blocked(ap.Addr()) {
		return fmt.Errorf("%w: %s", errRefused, ap.Addr())
	}
	return nil
}

func (s *Sender) isAllowed(host string) bool {
	return slices.Contains(s.allowed, strings.ToLower(strings.Trim(host, "[]")))
}

// CheckDestination resolves the URL's host and refuses it (webhook.ErrDestination) when any of
// its addresses is blocked, unless the host is allowed explicitly. A name that does not
// resolve is refused too (nothing could be delivered).
func (s *Sender) CheckDestination(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return webhook.ErrDestination
	}
	host := u.Hostname()
	if s.isAllowed(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if Blocked(ip) {
			return webhook.ErrDestination
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := s.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return webhook.ErrDestination.WithMessage("the webhook URL's host does not resolve")
	}
	for _, a := range addrs {
		if Blocked(a) {
			return webhook.ErrDestination
		}
	}
	return nil
}

// Send POSTs the request and reads at most MaxResponseRead bytes of the answer. Its error never
// holds the URL (which may carry a token in its query).
func (s *Sender) Send(ctx context.Context, r webhook.Request) webhook.Response {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return webhook.Response{Err: errors.New("the webhook URL cannot be requested")}
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return webhook.Response{Duration: time.Since(start), Err: describe(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseRead))
	_ = resp.Body.Close()
	return webhook.Response{Status: resp.StatusCode, Duration: time.Since(start)}
}

// describe says why a request failed without the URL that url.Error carries.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, errRefused):
		return errRefused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return errors.New("timed out")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("timed out")
	}
	return err
}
