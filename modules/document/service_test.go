package document_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/document/memory"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/page"
)

var ctx = context.Background()

const (
	maxSize = 1000
	window  = 7 * 24 * time.Hour
)

var (
	errNotMember = apperr.New(apperr.NotFound, "workspace_not_found", "workspace not found")
	errForbidden = apperr.New(apperr.Forbidden, "forbidden", "your role in this workspace does not allow this")
)

// authorizer answers from a role map with the document rows of the workspace module's
// permission table: VIEWER reads, MEMBER also uploads and updates, ADMIN and OWNER also delete.
type authorizer struct{ roles map[string]map[string]string } // workspace -> user -> role

var permissions = map[string][]authz.Action{
	"VIEWER": {authz.DocumentRead},
	"MEMBER": {authz.DocumentRead, authz.DocumentUpload},
	"ADMIN":  {authz.DocumentRead, authz.DocumentUpload, authz.DocumentDelete},
	"OWNER":  {authz.DocumentRead, authz.DocumentUpload, authz.DocumentDelete},
}

func (a authorizer) Authorize(_ context.Context, workspaceID, userID string, action authz.Action) error {
	role, ok := a.roles[workspaceID][userID]
	switch {
	case !ok:
		return errNotMember
	case !slices.Contains(permissions[role], action):
		return errForbidden
	}
	return nil
}

// links records UnlinkEverywhere calls and fails when told to.
type links struct {
	mu    sync.Mutex
	calls []string // "workspace/document"
	err   error
}

func (l *links) UnlinkEverywhere(_ context.Context, _, workspaceID, documentID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, workspaceID+"/"+documentID)
	return l.err
}

// failingCreate is a repository whose Create fails.
type failingCreate struct{ document.Repository }

func (failingCreate) Create(context.Context, document.Document) error {
	return errors.New("disk full")
}

type fixture struct {
	svc    *document.Service
	repo   *memory.Store
	blobs  *memory.Blobs
	links  *links
	events *events.Recorder
	clock  *clock.Manual
	logs   *bytes.Buffer
}

const wid = "ws1"

func newFixture(t *testing.T, wrap ...func(document.Repository) document.Repository) *fixture {
	t.Helper()
	f := &fixture{
		repo: memory.NewStore(), blobs: memory.NewBlobs(), links: &links{}, events: &events.Recorder{},
		clock: clock.NewManual(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{},
	}
	var repo document.Repository = f.repo
	for _, w := range wrap {
		repo = w(repo)
	}
	svc, err := document.NewService(document.Deps{
		Repo: repo, Blobs: f.blobs, Links: f.links,
		Authz: authorizer{roles: map[string]map[string]string{
			wid:     {"owner": "OWNER", "admin": "ADMIN", "member": "MEMBER", "viewer": "VIEWER"},
			"other": {"outsider": "OWNER"},
		}},
		Events: f.events, Clock: f.clock, Log: slog.New(slog.NewTextHandler(&syncWriter{w: f.logs}, nil)),
		MaxSize: maxSize, ExpiringWindow: window,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (f *fixture) upload(t *testing.T, name string, expiresIn time.Duration) document.Document {
	t.Helper()
	in := document.UploadInput{Name: name, Content: strings.NewReader("content of " + name)}
	if expiresIn != 0 {
		e := f.clock.Now().Add(expiresIn)
		in.ExpiresAt = &e
	}
	d, err := f.svc.Upload(ctx, "member", wid, in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func TestNewServiceRejectsMissingDependencies(t *testing.T) {
	full := document.Deps{
		Repo: memory.NewStore(), Blobs: memory.NewBlobs(), Links: &links{}, Authz: authorizer{},
		Events: events.Discard{}, Clock: clock.System{}, Log: slog.New(slog.DiscardHandler), MaxSize: 1, ExpiringWindow: time.Hour,
	}
	if _, err := document.NewService(full); err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string]func(*document.Deps){
		"repo":     func(d *document.Deps) { d.Repo = nil },
		"blobs":    func(d *document.Deps) { d.Blobs = nil },
		"links":    func(d *document.Deps) { d.Links = nil },
		"authz":    func(d *document.Deps) { d.Authz = nil },
		"events":   func(d *document.Deps) { d.Events = nil },
		"clock":    func(d *document.Deps) { d.Clock = nil },
		"log":      func(d *document.Deps) { d.Log = nil },
		"max size": func(d *document.Deps) { d.MaxSize = 0 },
		"window":   func(d *document.Deps) { d.ExpiringWindow = -time.Second },
	} {
		d := full
		breakIt(&d)
		if _, err := document.NewService(d); err == nil {
			t.Errorf("missing %s accepted", name)
		}
	}
}

func TestPermissionsPerRole(t *testing.T) {
	const (
		ok        = apperr.Kind(-1)
		forbidden = apperr.Forbidden
		notFound  = apperr.NotFound
	)
	type op func(f *fixture, actor, id string) error
	ops := map[string]op{
		"get": func(f *fixture, actor, id string) error { _, err := f.svc.Get(ctx, actor, wid, id); return err },
		"list": func(f *fixture, actor, _ string) error {
			_, err := f.svc.List(ctx, actor, wid, document.ListInput{})
			return err
		},
		"open": func(f *fixture, actor, id string) error {
			_, c, err := f.svc.Open(ctx, actor, wid, id)
			if err == nil {
				_ = c.Close()
			}
			return err
		},
		"upload": func(f *fixture, actor, _ string) error {
			_, err := f.svc.Upload(ctx, actor, wid, document.UploadInput{Name: "x.txt", Content: strings.NewReader("x")})
			return err
		},
		"update": func(f *fixture, actor, id string) error {
			_, err := f.svc.Update(ctx, actor, wid, id, document.UpdateInput{Title: ptr("New")})
			return err
		},
		"delete": func(f *fixture, actor, id string) error { return f.svc.Delete(ctx, actor, wid, id) },
	}
	want := map[string]map[string]apperr.Kind{
		"owner":    {"get": ok, "list": ok, "open": ok, "upload": ok, "update": ok, "delete": ok},
		"admin":    {"get": ok, "list": ok, "open": ok, "upload": ok, "update": ok, "delete": ok},
		"member":   {"get": ok, "list": ok, "open": ok, "upload": ok, "update": ok, "delete": forbidden},
		"viewer":   {"get": ok, "list": ok, "open": ok, "upload": forbidden, "update": forbidden, "delete": forbidden},
		"outsider": {"get": notFound, "list": notFound, "open": notFound, "upload": notFound, "update": notFound, "delete": notFound},
	}
	for actor, row := range want {
		for name, kind := range row {
			t.Run(actor+" "+name, func(t *testing.T) {
				f := newFixture(t)
				d := f.upload(t, "a.txt", 0)
				blobsBefore, eventsBefore := f.blobs.Len(), len(f.events.Events())
				err := ops[name](f, actor, d.ID)
				switch {
				case kind == ok && err != nil:
					t.Fatalf("%s may %s, got %v", actor, name, err)
				case kind == ok:
				case apperr.KindOf(err) != kind:
					t.Fatalf("%s %s: %v, want kind %v", actor, name, err, kind)
				case kind == notFound && !errors.Is(err, errNotMember):
					t.Fatalf("%s %s: %v, want the authorizer's not-found", actor, name, err)
				case f.blobs.Len() != blobsBefore || len(f.events.Events()) != eventsBefore:
					t.Fatalf("%s %s was refused but changed something", actor, name)
				}
			})
		}
	}
}

// A non-member's upload is refused before a byte is read.
func TestRefusedUploadReadsNothing(t *testing.T) {
	f := newFixture(t)
	r := &countingReader{r: strings.NewReader("secret")}
	for _, actor := range []string{"outsider", "viewer"} {
		if _, err := f.svc.Upload(ctx, actor, wid, document.UploadInput{Name: "a", Content: r}); err == nil {
			t.Fatalf("%s uploaded", actor)
		}
	}
	if r.n != 0 || f.blobs.Len() != 0 {
		t.Fatalf("read %d bytes, stored %d blobs", r.n, f.blobs.Len())
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestUploadValidation(t *testing.T) {
	past := time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)
	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		in   document.UploadInput
		want error
		kind apperr.Kind
	}{
		{"empty file", document.UploadInput{Name: "a.txt", Content: strings.NewReader("")}, document.ErrEmptyFile, apperr.Invalid},
		{"no content", document.UploadInput{Name: "a.txt"}, document.ErrEmptyFile, apperr.Invalid},
		{"one byte too large", document.UploadInput{Name: "a.txt", Content: bytes.NewReader(make([]byte, maxSize+1))}, document.ErrTooLarge, apperr.TooLarge},
		{"expiry in the past", document.UploadInput{Name: "a.txt", ExpiresAt: &past, Content: strings.NewReader("x")}, nil, apperr.Invalid},
		{"expiry now", document.UploadInput{Name: "a.txt", ExpiresAt: &now, Content: strings.NewReader("x")}, nil, apperr.Invalid},
		{"title too long", document.UploadInput{Name: "a.txt", Title: strings.Repeat("é", 201), Content: strings.NewReader("x")}, nil, apperr.Invalid},
		{"title with a newline", document.UploadInput{Name: "a.txt", Title: "a\nb", Content: strings.NewReader("x")}, nil, apperr.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Upload(ctx, "member", wid, c.in)
			if apperr.KindOf(err) != c.kind || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err = %v, want %v (kind %v)", err, c.want, c.kind)
			}
			if f.blobs.Len() != 0 || len(f.events.Events()) != 0 {
				t.Fatal("a refused upload stored content or published an event")
			}
			if p, _ := f.svc.List(ctx, "member", wid, document.ListInput{}); len(p.Items) != 0 {
				t.Fatal("a refused upload stored metadata")
			}
		})
	}
	f := newFixture(t)
	d, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: "a.txt", Title: strings.Repeat("é", 200), Content: bytes.NewReader(make([]byte, maxSize))})
	if err != nil || d.Size != maxSize {
		t.Fatalf("upload at the limits: %+v, %v", d, err)
	}
}

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("a", 300)
	for in, want := range map[string]string{
		"report.pdf":                     "report.pdf",
		"  spaced name.txt  ":            "spaced name.txt",
		"../../etc/passwd":               "passwd",
		`a\b.txt`:                        "b.txt",
		`C:\Users\ada\Desktop\plan.docx`: "plan.docx",
		`"evil";.txt`:                    "evil.txt",
		"new\r\nline\x00.txt":            "newline.txt",
		"invoice\u202Efdp.exe":           "invoicefdp.exe", // a right-to-left override spoofs the extension
		"bad\xffutf8.txt":                "badutf8.txt",
		"résumé – final.pdf":             "résumé – final.pdf",
		"":                               "file",
		"   ":                            "file",
		"dir/":                           "file",
		"..":                             "file",
		"../..":                          "file",
		`";`:                             "file",
		long + ".pdf":                    long[:251] + ".pdf",
		long:                             long[:255],
		strings.Repeat("é", 200):         strings.Repeat("é", 127), // 254 bytes: no half character
	} {
		if got := document.SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUploadStoresSanitisedMetadata(t *testing.T) {
	f := newFixture(t)
	exp := f.clock.Now().Add(30*24*time.Hour + 123456789) // sub-millisecond part is dropped
	d, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{
		Name: "../../etc/passwd", ExpiresAt: &exp, Content: strings.NewReader("%PDF-1.7 hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "passwd" || d.Title != "passwd" || d.Size != 14 || d.ContentType != "application/pdf" ||
		d.UploadedBy != "member" || d.WorkspaceID != wid || d.Version != 1 || d.ExpiryStatus != document.Valid ||
		!d.ExpiresAt.Equal(exp.Truncate(time.Millisecond)) || len(d.SHA256) != 64 {
		t.Fatalf("uploaded %+v", d)
	}
	got, err := f.svc.Get(ctx, "viewer", wid, d.ID)
	if err != nil || got.Name != "passwd" || got.BlobID != d.BlobID {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	_, c, err := f.svc.Open(ctx, "viewer", wid, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := io.ReadAll(c)
	_ = c.Close()
	if string(content) != "%PDF-1.7 hello" {
		t.Fatalf("content %q", content)
	}
	evs := f.events.Events()
	if len(evs) != 1 || evs[0].Name != events.DocumentUploaded || evs[0].TargetType != events.TargetDocument ||
		evs[0].TargetID != d.ID || evs[0].WorkspaceID != wid || evs[0].ActorID != "member" ||
		evs[0].Data["name"] != "passwd" || evs[0].Data["size"] != int64(14) {
		t.Fatalf("events %+v", evs)
	}

	soon := f.clock.Now().Add(window)
	d, err = f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: "b", Title: "  Quarterly  ", ExpiresAt: &soon, Content: strings.NewReader("x")})
	if err != nil || d.Title != "Quarterly" || d.ExpiryStatus != document.ExpiringSoon {
		t.Fatalf("upload expiring soon: %+v, %v", d, err)
	}
}

func TestUploadRemovesContentWhenMetadataFails(t *testing.T) {
	f := newFixture(t, func(r document.Repository) document.Repository { return failingCreate{r} })
	if _, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: "a", Content: strings.NewReader("x")}); err == nil {
		t.Fatal("upload succeeded")
	}
	if f.blobs.Len() != 0 || len(f.events.Events()) != 0 {
		t.Fatalf("%d blobs left, %d events", f.blobs.Len(), len(f.events.Events()))
	}
}

func TestExpiryStatusAt(t *testing.T) {
	expires := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name      string
		expiresAt *time.Time
		now       time.Time
		want      document.ExpiryStatus
	}{
		{"never expires", nil, expires, document.Valid},
		{"before the window", &expires, expires.Add(-window - time.Millisecond), document.Valid},
		{"exactly at the window's start", &expires, expires.Add(-window), document.ExpiringSoon},
		{"inside the window", &expires, expires.Add(-time.Hour), document.ExpiringSoon},
		{"a moment before expiry", &expires, expires.Add(-time.Nanosecond), document.ExpiringSoon},
		{"exactly at expiry", &expires, expires, document.Expired},
		{"after expiry", &expires, expires.Add(time.Hour), document.Expired},
	} {
		if got := document.ExpiryStatusAt(c.expiresAt, c.now, window); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if got := document.ExpiryStatusAt(&expires, expires.Add(-time.Second), 0); got != document.Valid {
		t.Errorf("zero window: %s, want VALID until expiry", got)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	var all []document.Document
	for i := range 5 {
		f.clock.Advance(time.Second)
		expires := time.Duration(0)
		if i%2 == 1 {
			expires = 24 * time.Hour // EXPIRING_SOON
		}
		all = append(all, f.upload(t, fmt.Sprintf("Plan (v%d).txt", i), expires))
	}
	var got []string
	cursor, pages := "", 0
	for {
		p, err := f.svc.List(ctx, "viewer", wid, document.ListInput{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range p.Items {
			got = append(got, d.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	want := []string{all[4].ID, all[3].ID, all[2].ID, all[1].ID, all[0].ID}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("paged %v in %d pages, want %v in 3", got, pages, want)
	}
	p, err := f.svc.List(ctx, "viewer", wid, document.ListInput{ExpiryStatuses: []document.ExpiryStatus{document.ExpiringSoon}})
	if err != nil || len(p.Items) != 2 || p.Items[0].ID != all[3].ID || p.NextCursor != "" {
		t.Fatalf("status filter: %v, %v", p, err)
	}
	p, err = f.svc.List(ctx, "viewer", wid, document.ListInput{Text: " (V2). "})
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != all[2].ID {
		t.Fatalf("text filter: %v, %v", p, err)
	}
	p, err = f.svc.List(ctx, "viewer", wid, document.ListInput{Text: "nothing like it"})
	if err != nil || p.Items == nil || len(p.Items) != 0 {
		t.Fatalf("empty result: %#v, %v", p, err)
	}
	for name, in := range map[string]document.ListInput{
		"bad cursor":       {Cursor: "garbage!"},
		"cursor of junk":   {Cursor: page.EncodeCursor("x", "y")},
		"limit too large":  {Limit: page.MaxLimit + 1},
		"negative limit":   {Limit: -1},
		"unknown status":   {ExpiryStatuses: []document.ExpiryStatus{"GONE"}},
		"text too long":    {Text: strings.Repeat("a", 201)},
		"cursor too short": {Cursor: page.EncodeCursor("123")},
	} {
		if _, err := f.svc.List(ctx, "viewer", wid, in); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestUpdate(t *testing.T) {
	f := newFixture(t)
	d := f.upload(t, "a.txt", 0)
	names := func() []events.Name { return f.events.Names()[1:] } // after the upload

	f.clock.Advance(time.Minute)
	u, err := f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{Title: ptr("  Contract  "), IfVersion: 1})
	if err != nil || u.Title != "Contract" || u.Version != 2 || !u.UpdatedAt.Equal(f.clock.Now()) || u.ExpiryStatus != document.Valid {
		t.Fatalf("title update = %+v, %v", u, err)
	}
	if got := names(); !slices.Equal(got, []events.Name{events.DocumentUpdated}) {
		t.Fatalf("events %v", got)
	}

	if _, err := f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{Title: ptr("Stale"), IfVersion: 1}); !errors.Is(err, document.ErrVersionConflict) {
		t.Fatalf("stale version: %v", err)
	}

	soon := f.clock.Now().Add(time.Hour)
	u, err = f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{ExpiresAt: &soon})
	if err != nil || u.ExpiryStatus != document.ExpiringSoon || !u.ExpiresAt.Equal(soon) || u.Title != "Contract" {
		t.Fatalf("expiry update = %+v, %v", u, err)
	}
	evs := f.events.Events()
	last := evs[len(evs)-1]
	if got := names(); !slices.Equal(got, []events.Name{events.DocumentUpdated, events.DocumentUpdated, events.DocumentExpiryChanged}) ||
		last.Data["from"] != "VALID" || last.Data["to"] != "EXPIRING_SOON" || last.ActorID != "member" {
		t.Fatalf("events %v, last %+v", names(), last)
	}

	before := len(f.events.Events())
	same, err := f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{Title: ptr("Contract"), ExpiresAt: &soon})
	if err != nil || same.Version != u.Version || len(f.events.Events()) != before {
		t.Fatalf("no-op update = %+v, %v, %d new events", same, err, len(f.events.Events())-before)
	}

	u, err = f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{ClearExpiry: true, Title: ptr("")})
	if err != nil || u.ExpiresAt != nil || u.ExpiryStatus != document.Valid || u.Title != "a.txt" {
		t.Fatalf("clear expiry and title = %+v, %v", u, err)
	}

	past := f.clock.Now().Add(-time.Second)
	for name, in := range map[string]document.UpdateInput{
		"set and clear":    {ExpiresAt: &soon, ClearExpiry: true},
		"expiry in past":   {ExpiresAt: &past},
		"title too long":   {Title: ptr(strings.Repeat("x", 201))},
		"negative version": {IfVersion: -1},
	} {
		if _, err := f.svc.Update(ctx, "member", wid, d.ID, in); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := f.svc.Update(ctx, "member", wid, "missing", document.UpdateInput{Title: ptr("x")}); !errors.Is(err, document.ErrNotFound) {
		t.Fatalf("missing document: %v", err)
	}
}

func TestSweeperMovesEachDocumentOnceAsTimePasses(t *testing.T) {
	f := newFixture(t)
	a := f.upload(t, "a", 10*24*time.Hour) // VALID until 3 days from now
	b := f.upload(t, "b", 17*24*time.Hour) // VALID until 10 days from now
	f.upload(t, "never", 0)
	uploads := len(f.events.Events())
	sweep := func(wantMoved int) []events.Event {
		t.Helper()
		before := len(f.events.Events())
		moved, err := f.svc.SweepExpiry(ctx)
		if err != nil || moved != wantMoved {
			t.Fatalf("SweepExpiry = %d, %v; want %d", moved, err, wantMoved)
		}
		return f.events.Events()[before:]
	}
	status := func(d document.Document) document.ExpiryStatus {
		t.Helper()
		got, err := f.svc.Get(ctx, "viewer", wid, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ExpiryStatus
	}
	expectMove := func(evs []events.Event, d document.Document, from, to document.ExpiryStatus) {
		t.Helper()
		if len(evs) != 1 {
			t.Fatalf("%d events, want 1", len(evs))
		}
		e := evs[0]
		if e.Name != events.DocumentExpiryChanged || e.TargetID != d.ID || e.WorkspaceID != wid || e.ActorID != "" ||
			e.TargetType != events.TargetDocument || e.Data["from"] != string(from) || e.Data["to"] != string(to) || !e.At.Equal(f.clock.Now()) {
			t.Fatalf("event %+v, want %s %s -> %s", e, d.ID, from, to)
		}
		if got := status(d); got != to {
			t.Fatalf("stored status %s, want %s", got, to)
		}
	}

	sweep(0)
	f.clock.Advance(3*24*time.Hour - time.Millisecond) // a's window starts in 1 ms
	sweep(0)
	f.clock.Advance(time.Millisecond)
	expectMove(sweep(1), a, document.Valid, document.ExpiringSoon)
	sweep(0)
	f.clock.Advance(7 * 24 * time.Hour) // a expires exactly now, as b's window starts
	evs := sweep(2)
	slices.SortFunc(evs, func(x, y events.Event) int { return strings.Compare(x.Data["to"].(string), y.Data["to"].(string)) })
	if evs[0].TargetID != a.ID || evs[0].Data["to"] != "EXPIRED" || evs[1].TargetID != b.ID || evs[1].Data["to"] != "EXPIRING_SOON" {
		t.Fatalf("events %+v", evs)
	}
	sweep(0)
	f.clock.Advance(10 * 24 * time.Hour)
	expectMove(sweep(1), b, document.ExpiringSoon, document.Expired)
	sweep(0)
	counts, total, err := f.svc.ExpiryCounts(ctx, wid)
	if err != nil || total != 3 || counts[document.Expired] != 2 || counts[document.Valid] != 1 || counts[document.ExpiringSoon] != 0 {
		t.Fatalf("counts %v, total %d, %v", counts, total, err)
	}
	if _, ok := counts[document.ExpiringSoon]; !ok {
		t.Fatal("a status with no documents is missing from the counts")
	}
	if len(f.events.Events()) != uploads+4 {
		t.Fatalf("%d expiry events, want 4", len(f.events.Events())-uploads)
	}
}

// Several sweepers at once (instances of the service) announce each move exactly once.
func TestConcurrentSweepersAnnounceEachMoveOnce(t *testing.T) {
	f := newFixture(t)
	const docs = 20
	for i := range docs {
		f.upload(t, fmt.Sprint("d", i), 8*24*time.Hour)
	}
	f.clock.Advance(2 * 24 * time.Hour)
	before := len(f.events.Events())
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Go(func() {
			moved, err := f.svc.SweepExpiry(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += moved
			mu.Unlock()
		})
	}
	wg.Wait()
	evs := f.events.Events()[before:]
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.TargetID] {
			t.Fatalf("document %s announced twice", e.TargetID)
		}
		seen[e.TargetID] = true
	}
	if total != docs || len(evs) != docs {
		t.Fatalf("moved %d, %d events; want %d", total, len(evs), docs)
	}
}

func TestRunSweeperSweepsUntilCancelled(t *testing.T) {
	f := newFixture(t)
	d := f.upload(t, "a", time.Hour) // EXPIRING_SOON
	f.clock.Advance(time.Hour)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.svc.RunSweeper(runCtx, time.Millisecond)
	}()
	deadline := time.After(10 * time.Second)
	for {
		got, err := f.svc.Get(ctx, "viewer", wid, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ExpiryStatus == document.Expired {
			break
		}
		select {
		case <-deadline:
			t.Fatal("the sweeper did not move the document")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunSweeper did not return after cancellation")
	}
}

func TestDeleteUnlinksAndRemovesContent(t *testing.T) {
	f := newFixture(t)
	d := f.upload(t, "a.txt", 0)
	keep := f.upload(t, "b.txt", 0)
	if err := f.svc.Delete(ctx, "admin", wid, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, "admin", wid, d.ID); !errors.Is(err, document.ErrNotFound) {
		t.Fatalf("deleted document readable: %v", err)
	}
	if !slices.Equal(f.links.calls, []string{wid + "/" + d.ID}) {
		t.Fatalf("unlink calls %v", f.links.calls)
	}
	if f.blobs.Len() != 1 {
		t.Fatalf("%d blobs, want 1 (the other document's)", f.blobs.Len())
	}
	if _, c, err := f.svc.Open(ctx, "admin", wid, keep.ID); err != nil {
		t.Fatal(err)
	} else {
		_ = c.Close()
	}
	evs := f.events.Events()
	if e := evs[len(evs)-1]; e.Name != events.DocumentDeleted || e.TargetID != d.ID || e.ActorID != "admin" {
		t.Fatalf("last event %+v", e)
	}
	if err := f.svc.Delete(ctx, "admin", wid, d.ID); !errors.Is(err, document.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	lookup, err := document.NewLookup(f.repo)
	if err != nil {
		t.Fatal(err)
	}
	if exists, err := lookup.DocumentExists(ctx, wid, d.ID); err != nil || exists {
		t.Fatalf("DocumentExists(deleted) = %v, %v", exists, err)
	}
	if exists, err := lookup.DocumentExists(ctx, wid, keep.ID); err != nil || !exists {
		t.Fatalf("DocumentExists(kept) = %v, %v", exists, err)
	}
	if exists, err := lookup.DocumentExists(ctx, "other", keep.ID); err != nil || exists {
		t.Fatalf("DocumentExists through another workspace = %v, %v", exists, err)
	}
}

// Once the metadata is gone the document is deleted; a failing unlink is logged, not reported,
// and the content is still removed.
func TestDeleteSurvivesAFailingUnlink(t *testing.T) {
	f := newFixture(t)
	d := f.upload(t, "a.txt", 0)
	f.links.err = errors.New("work items unavailable")
	if err := f.svc.Delete(ctx, "owner", wid, d.ID); err != nil {
		t.Fatal(err)
	}
	if f.blobs.Len() != 0 {
		t.Fatal("content left behind")
	}
	if !strings.Contains(f.logs.String(), "work items unavailable") {
		t.Fatalf("failure not logged: %s", f.logs.String())
	}
}

// hookedStale runs hook once, right after StaleExpiry has read its candidates.
type hookedStale struct {
	document.Repository
	once sync.Once
	hook func()
}

func (h *hookedStale) StaleExpiry(ctx context.Context, now time.Time, w time.Duration, limit int) ([]document.Document, error) {
	docs, err := h.Repository.StaleExpiry(ctx, now, w, limit)
	h.once.Do(h.hook)
	return docs, err
}

// A move computed before a user pushed the expiry out must not land: the sweeper's
// compare-and-set includes the expiry it computed from.
func TestSweepDoesNotUndoAConcurrentExpiryChange(t *testing.T) {
	var hooked *hookedStale
	f := newFixture(t, func(r document.Repository) document.Repository {
		hooked = &hookedStale{Repository: r}
		return hooked
	})
	d := f.upload(t, "a", 8*24*time.Hour)
	f.clock.Advance(2 * 24 * time.Hour) // now inside the window: a sweep would move it
	later := f.clock.Now().Add(60 * 24 * time.Hour)
	hooked.hook = func() {
		if _, err := f.svc.Update(ctx, "member", wid, d.ID, document.UpdateInput{ExpiresAt: &later}); err != nil {
			t.Error(err)
		}
	}
	before := len(f.events.Events())
	if moved, err := f.svc.SweepExpiry(ctx); err != nil || moved != 0 {
		t.Fatalf("SweepExpiry = %d, %v; want 0", moved, err)
	}
	got, _ := f.svc.Get(ctx, "viewer", wid, d.ID)
	if got.ExpiryStatus != document.Valid || !got.ExpiresAt.Equal(later) {
		t.Fatalf("after the race: %+v", got)
	}
	if names := f.events.Names()[before:]; !slices.Equal(names, []events.Name{events.DocumentUpdated}) {
		t.Fatalf("events %v, want only the user's update", names)
	}
}

// Content staged ahead of its fields (a form that sends the file first) becomes a document when
// the fields are valid and is removed when they are not, or when the upload is abandoned; a
// stranger cannot stage anything.
func TestStagedUpload(t *testing.T) {
	f := newFixture(t)
	r := &countingReader{r: strings.NewReader("secret")}
	if _, err := f.svc.Stage(ctx, "outsider", wid, r); err == nil || r.n != 0 {
		t.Fatalf("an outsider staged content: %v (read %d bytes)", err, r.n)
	}

	st, err := f.svc.Stage(ctx, "member", wid, strings.NewReader("%PDF-1.7 report"))
	if err != nil || f.blobs.Len() != 1 {
		t.Fatalf("stage: %v, %d blobs", err, f.blobs.Len())
	}
	past := f.clock.Now().Add(-time.Hour) // refused: a document cannot expire in the past
	if _, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: "r.pdf", ExpiresAt: &past, Staged: st}); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("invalid fields: %v", err)
	}
	if f.blobs.Len() != 0 {
		t.Fatalf("the staged content of a refused upload stayed: %d blobs", f.blobs.Len())
	}

	st, err = f.svc.Stage(ctx, "member", wid, strings.NewReader("%PDF-1.7 report"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: "r.pdf", Title: "Report", Staged: st})
	if err != nil || d.Title != "Report" || d.Size != 15 || d.ContentType != "application/pdf" || f.blobs.Len() != 1 {
		t.Fatalf("upload of staged content: %+v, %v, %d blobs", d, err, f.blobs.Len())
	}

	st, err = f.svc.Stage(ctx, "member", wid, strings.NewReader("abandoned"))
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Discard(ctx, st)
	if f.blobs.Len() != 1 {
		t.Fatalf("discarded content stayed: %d blobs", f.blobs.Len())
	}
}

// A deleted workspace's documents and their content are purged, more than a page of them, and
// another workspace's stay; no event is published (the workspace's deletion is the event).
func TestPurgeWorkspace(t *testing.T) {
	f := newFixture(t)
	for i := range 205 {
		if _, err := f.svc.Upload(ctx, "member", wid, document.UploadInput{Name: fmt.Sprint(i, ".txt"), Content: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Upload(ctx, "outsider", "other", document.UploadInput{Name: "kept.txt", Content: strings.NewReader("kept")}); err != nil {
		t.Fatal(err)
	}
	before := len(f.events.Events())
	if err := f.svc.PurgeWorkspace(ctx, wid); err != nil {
		t.Fatal(err)
	}
	if left, err := f.repo.List(ctx, wid, document.Query{Limit: 10}); err != nil || len(left) != 0 || f.blobs.Len() != 1 {
		t.Fatalf("after the purge: %d documents, %d blobs (%v)", len(left), f.blobs.Len(), err)
	}
	if kept, _ := f.repo.List(ctx, "other", document.Query{Limit: 10}); len(kept) != 1 {
		t.Fatalf("the other workspace has %d documents, want 1", len(kept))
	}
	if n := len(f.events.Events()); n != before {
		t.Fatalf("the purge published %d events", n-before)
	}
}
