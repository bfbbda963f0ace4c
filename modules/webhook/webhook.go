package webhook

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/events"
)

// Limits of a webhook.
const (
	MaxURLLength = 2048
	MaxEvents    = 32
	// MinSecretLength and MaxSecretLength bound a secret the caller chooses.
	MinSecretLength = 16
	MaxSecretLength = 256
	// AllEvents subscribes to every event.
	AllEvents = "*"
)

// Webhook is one subscription of a workspace to its audit log.
type Webhook struct {
	ID          string
	WorkspaceID string
	URL         string
	Events      []string // event names, or ["*"]
	// Secret signs every delivery; kept as given (the server must sign with it), never shown
	// again after creation.
	Secret         string
	Active         bool
	DisabledReason string
	// Cursor is the seq of the last entry delivered (or skipped as not matching).
	Cursor int64
	// Generation rises with every replay, so a delivery started before one cannot move the
	// cursor it moved back.
	Generation int64
	// Pending is the delivery being retried, nil when none failed.
	Pending *Pending
	// The lease: the instance delivering this webhook until LeaseUntil.
	LeaseOwner string
	LeaseUntil time.Time
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// Pending is a failed delivery waiting for its next try: its id stays the same on every try.
type Pending struct {
	DeliveryID string
	Seq        int64
	Attempt    int // tries made
	NextAt     time.Time
}

// Clone returns a deep copy.
func (w Webhook) Clone() Webhook {
	w.Events = slices.Clone(w.Events)
	if w.Pending != nil {
		p := *w.Pending
		w.Pending = &p
	}
	return w
}

// Revision returns the version.
func (w *Webhook) Revision() int64 { return w.Version }

// Succeed keeps prev's identity and makes this its next version.
func (w *Webhook) Succeed(prev Webhook) {
	w.ID, w.WorkspaceID, w.CreatedAt, w.CreatedBy = prev.ID, prev.WorkspaceID, prev.CreatedAt, prev.CreatedBy
	w.Version = prev.Version + 1
}

// Wants reports whether the webhook delivers events named name.
func (w Webhook) Wants(name string) bool {
	return slices.Contains(w.Events, AllEvents) || slices.Contains(w.Events, name)
}

// heldBy reports whether owner may deliver the webhook at now: it holds an unexpired lease, or
// nobody does.
func (w Webhook) heldBy(owner string, now time.Time) bool {
	return w.LeaseOwner == owner || w.LeaseOwner == "" || !w.LeaseUntil.After(now)
}

// Attempt statuses.
const (
	StatusPending   = "pending"   // it failed and will be tried again
	StatusSucceeded = "succeeded" // the receiver answered 2xx
	StatusFailed    = "failed"    // it failed and will not be tried again (the last try, or a redelivery)
)

// Attempt is one try of one delivery, as the deliveries log shows it.
type Attempt struct {
	WebhookID      string
	WorkspaceID    string
	DeliveryID     string
	Seq            int64
	Event          string
	Attempt        int
	Status         string
	ResponseStatus int // 0 when no response came
	DurationMs     int64
	Error          string
	At             time.Time
}

// Key orders a webhook's attempts by time, then (within a millisecond) seq and try, the
// delivery id making it unique: the deliveries log's keyset.
func (a Attempt) Key() string {
	return fmt.Sprintf("%013d-%019d-%04d-%s", a.At.UnixMilli(), a.Seq, a.Attempt, a.DeliveryID)
}

// URLRules are the rules a webhook URL must meet besides its destination's addresses.
type URLRules struct {
	AllowHTTP bool // http:// besides https:// (WSO_WEBHOOK_ALLOW_HTTP, for tests and local receivers)
}

// checkURL validates a webhook URL's form: absolute, https (or http when allowed), a host, no
// credentials, bounded.
func (r URLRules) checkURL(raw string, fields *apperr.Fields) {
	if len(raw) > MaxURLLength {
		fields.Add("url", fmt.Sprintf("must be at most %d characters", MaxURLLength))
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "":
		fields.Add("url", "must be an absolute URL such as https://example.com/hooks")
	case u.Scheme != "https" && !(r.AllowHTTP && u.Scheme == "http"):
		fields.Add("url", "must use https://")
	case u.User != nil:
		fields.Add("url", "must not hold credentials (user:password@)")
	case u.Fragment != "":
		fields.Add("url", "must not have a fragment")
	}
}

// checkEvents validates a subscription list and returns it without duplicates.
func checkEvents(names []string, fields *apperr.Fields) []string {
	switch {
	case len(names) == 0:
		fields.Add("events", `must list event names, or ["*"] for every event`)
		return nil
	case len(names) > MaxEvents:
		fields.Add("events", fmt.Sprintf("must list at most %d events", MaxEvents))
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == AllEvents {
			if len(names) != 1 {
				fields.Add("events", `"*" must be alone`)
				return nil
			}
		} else if _, ok := events.Of(events.Name(n)); !ok || events.Name(n) == events.AuditLogCreated {
			fields.Add("events", "unknown event "+strings.TrimSpace(n))
			return nil
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
