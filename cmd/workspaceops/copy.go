package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/sqlite"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/config"
)

// copyUsage is printed for bad arguments of the copy command.
const copyUsage = `usage: workspaceops copy --to <mongodb URI> [--database NAME]

Copies everything in the embedded store (WSO_DATA_DIR) into an empty MongoDB database, then
reads every record back and prints the counts and checksums. The server must be stopped.`

// copyFlags are the copy command's arguments.
type copyFlags struct {
	to, database string
}

func parseCopyFlags(args []string, cfg config.Config, stderr io.Writer) (copyFlags, error) {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f copyFlags
	fs.StringVar(&f.to, "to", "", "the MongoDB connection string")
	fs.StringVar(&f.database, "database", cfg.MongoDatabase, "the database name")
	err := fs.Parse(args)
	switch {
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case err == nil && f.to == "":
		err = errors.New("--to is required")
	case err == nil && !strings.HasPrefix(f.to, "mongodb://") && !strings.HasPrefix(f.to, "mongodb+srv://"):
		err = errors.New("--to must be a mongodb:// or mongodb+srv:// connection string")
	}
	if err != nil {
		fmt.Fprintf(stderr, "workspaceops copy: %v\n%s\n", err, copyUsage)
	}
	return f, err
}

// copyStore copies the embedded store into an empty MongoDB database: users, workspaces,
// memberships, invitations, blobs, documents, work items (tags and links included), API keys
// (their hashes; idempotency records are left behind: they only replay recent answers) and the
// whole audit log with its seqs (the target's counters follow), so that `serve` on that
// database serves the same data and clients resume realtime from the same seqs. It then reads
// every record back through the MongoDB adapter and compares it with its source.
func copyStore(ctx context.Context, cfg config.Config, f copyFlags, out io.Writer, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlite.FileName)); err != nil {
		return fmt.Errorf("no embedded store to copy in WSO_DATA_DIR=%s: %w", cfg.DataDir, err)
	}
	src, err := sqlite.Open(ctx, sqlite.Options{Dir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer src.Close()
	// Errors never echo the URI: it may carry a password.
	dst, err := mongo.Connect(ctx, f.to, f.database)
	if err != nil {
		return err
	}
	defer dst.Close(context.WithoutCancel(ctx))
	full, err := dst.NonEmptyCollections(ctx)
	if err != nil {
		return err
	}
	if len(full) > 0 {
		return fmt.Errorf("the target database %q is not empty (%s): copy only fills an empty database", f.database, strings.Join(full, ", "))
	}
	if err := mongo.EnsureIndexes(ctx, dst.Database()); err != nil {
		return fmt.Errorf("ensure indexes: %w", err)
	}
	c := &copier{
		x: sqlite.NewExport(src), srcBlobs: sqlite.NewBlobs(src),
		users: mongo.NewUsers(dst.Database()), workspaces: mongo.NewWorkspaces(dst.Database()),
		items: mongo.NewWorkItems(dst.Database()), docs: mongo.NewDocuments(dst.Database()),
		blobs: mongo.NewBlobs(dst.Database()), audit: mongo.NewAuditLog(dst.Database()),
		keys:     mongo.NewAPIKeys(dst.Database()),
		webhooks: mongo.NewWebhooks(dst.Database()),
	}
	log.Info("copying the embedded store", slog.String("from", src.Path()), slog.String("database", f.database))
	if err := c.copyAll(ctx); err != nil {
		return fmt.Errorf("%w (the target now holds part of the data: drop database %q before trying again)", err, f.database)
	}
	fmt.Fprintf(out, "copied %s into MongoDB database %q, then read every record back:\n", src.Path(), f.database)
	if err := c.verifyAll(ctx, out); err != nil {
		return err
	}
	fmt.Fprintln(out, "every record read back from MongoDB equals its source; serve with MONGO_URI set to that database")
	return nil
}

// copier holds the two sides of a copy.
type copier struct {
	x          *sqlite.Export
	srcBlobs   *sqlite.Blobs
	users      *mongo.Users
	workspaces *mongo.Workspaces
	items      *mongo.WorkItems
	docs       *mongo.Documents
	blobs      *mongo.Blobs
	audit      *mongo.AuditLog
	keys       *mongo.APIKeys
	webhooks   *mongo.Webhooks
}

func (c *copier) copyAll(ctx context.Context) error {
	steps := []struct {
		kind string
		run  func() error
	}{
		{"users", func() error { return c.x.Users(ctx, func(u identity.User) error { return c.users.Create(ctx, u) }) }},
		{"workspaces", func() error {
			return c.x.Workspaces(ctx, func(w workspace.Workspace) error { return c.workspaces.ImportWorkspace(ctx, w) })
		}},
		{"memberships", func() error {
			return c.x.Memberships(ctx, func(m workspace.Membership) error { return c.workspaces.AddMember(ctx, m) })
		}},
		{"invitations", func() error {
			return c.x.Invitations(ctx, func(inv workspace.Invitation) error { return c.workspaces.CreateInvitation(ctx, inv) })
		}},
		{"blobs", func() error { return c.x.Blobs(ctx, func(b document.Blob) error { return c.copyBlob(ctx, b) }) }},
		{"documents", func() error {
			return c.x.Documents(ctx, func(d document.Document) error { return c.docs.Create(ctx, d) })
		}},
		{"work items", func() error {
			return c.x.WorkItems(ctx, func(w workitem.WorkItem) error { return c.items.Create(ctx, w) })
		}},
		{"api keys", func() error {
			return c.x.APIKeys(ctx, func(k apikey.Key) error { return c.keys.Create(ctx, k) })
		}},
		{"audit entries", func() error {
			return c.x.AuditEntries(ctx, func(e auditlog.Entry) error {
				stored, err := c.audit.Append(ctx, e)
				if err == nil && stored.Seq != e.Seq {
					err = fmt.Errorf("entry %s of workspace %s got seq %d, not its %d", e.ID, e.WorkspaceID, stored.Seq, e.Seq)
				}
				return err
			})
		}},
		{"webhooks", func() error {
			return c.x.Webhooks(ctx, func(w webhook.Webhook) error { return c.webhooks.Create(ctx, w) })
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("copy %s: %w", s.kind, err)
		}
	}
	return nil
}

func (c *copier) copyBlob(ctx context.Context, b document.Blob) error {
	content, err := c.srcBlobs.Open(ctx, b.ID)
	if err != nil {
		return err
	}
	defer content.Close()
	put, err := c.blobs.Put(ctx, b.ID, content, b.Size)
	if err != nil {
		return err
	}
	if put.Size != b.Size || put.SHA256 != b.SHA256 {
		return fmt.Errorf("blob %s: copied %d bytes with SHA-256 %s, the source has %d with %s", b.ID, put.Size, put.SHA256, b.Size, b.SHA256)
	}
	return nil
}

// verifyAll reads every source record again, reads its copy back through the MongoDB adapter,
// and prints per kind the count and the SHA-256 of the records' canonical JSON, in source
// order; a record whose copy differs or is missing fails it.
func (c *copier) verifyAll(ctx context.Context, out io.Writer) error {
	checks := []struct {
		kind string
		run  func(t *tally) error
	}{
		{"users", func(t *tally) error {
			return c.x.Users(ctx, func(u identity.User) error { return t.check(u)(c.users.ByID(ctx, u.ID)) })
		}},
		{"workspaces", func(t *tally) error {
			return c.x.Workspaces(ctx, func(w workspace.Workspace) error { return t.check(w)(c.workspaces.Workspace(ctx, w.ID)) })
		}},
		{"memberships", func(t *tally) error {
			return c.x.Memberships(ctx, func(m workspace.Membership) error {
				return t.check(m)(c.workspaces.Member(ctx, m.WorkspaceID, m.UserID))
			})
		}},
		{"invitations", func(t *tally) error {
			return c.x.Invitations(ctx, func(inv workspace.Invitation) error {
				all, err := c.workspaces.InvitationsFor(ctx, inv.Email)
				var found any = "missing"
				for _, i := range all {
					if i.ID == inv.ID {
						found = i
					}
				}
				return t.check(inv)(found, err)
			})
		}},
		{"blobs", func(t *tally) error {
			return c.x.Blobs(ctx, func(b document.Blob) error { return t.check(b)(c.readBlob(ctx, b.ID)) })
		}},
		{"documents", func(t *tally) error {
			return c.x.Documents(ctx, func(d document.Document) error { return t.check(d)(c.docs.Get(ctx, d.WorkspaceID, d.ID)) })
		}},
		{"work items", func(t *tally) error {
			return c.x.WorkItems(ctx, func(w workitem.WorkItem) error { return t.check(w)(c.items.Get(ctx, w.WorkspaceID, w.ID)) })
		}},
		{"api keys", func(t *tally) error {
			return c.x.APIKeys(ctx, func(k apikey.Key) error { return t.check(k)(c.keys.ByID(ctx, k.ID)) })
		}},
		{"audit entries", func(t *tally) error {
			// The copies are read a page at a time, in the source's order (workspace, then seq).
			var page []auditlog.Entry
			return c.x.AuditEntries(ctx, func(e auditlog.Entry) error {
				var err error
				if len(page) == 0 || page[0].WorkspaceID != e.WorkspaceID || page[0].Seq != e.Seq {
					page, err = c.audit.Since(ctx, e.WorkspaceID, e.Seq-1, verifyPage)
				}
				var found any = "missing"
				if len(page) > 0 && page[0].Seq == e.Seq {
					found, page = page[0], page[1:]
				}
				return t.check(e)(found, err)
			})
		}},
		{"webhooks", func(t *tally) error {
			return c.x.Webhooks(ctx, func(w webhook.Webhook) error {
				got, err := c.webhooks.Get(ctx, w.WorkspaceID, w.ID)
				return t.check(withSecretHashed(w))(withSecretHashed(got), err)
			})
		}},
	}
	fmt.Fprintf(out, "  %-14s %8s  %s\n", "kind", "count", "sha256 of the records (source = copy)")
	for _, ch := range checks {
		t := &tally{kind: ch.kind, sum: sha256.New()}
		if err := ch.run(t); err != nil {
			return fmt.Errorf("verify %s: %w", ch.kind, err)
		}
		fmt.Fprintf(out, "  %-14s %8d  %s\n", ch.kind, t.n, hex.EncodeToString(t.sum.Sum(nil)))
	}
	return nil
}

// withSecretHashed stands for w in the copy's comparison, its secret replaced by the secret's
// SHA-256, so that a difference can be printed without printing the secret.
func withSecretHashed(w webhook.Webhook) webhook.Webhook {
	sum := sha256.Sum256([]byte(w.Secret))
	w.Secret = "sha256:" + hex.EncodeToString(sum[:])
	return w
}

// verifyPage is how many audit entries of the copy one read returns.
const verifyPage = 500

// readBlob reads a copied blob whole, hashing it, and describes it as the source lists blobs.
func (c *copier) readBlob(ctx context.Context, id string) (document.Blob, error) {
	content, err := c.blobs.Open(ctx, id)
	if err != nil {
		return document.Blob{}, err
	}
	defer content.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return document.Blob{}, err
	}
	h := sha256.New()
	h.Write(head[:n])
	rest, err := io.Copy(h, content)
	if err != nil {
		return document.Blob{}, err
	}
	return document.Blob{ID: id, Size: int64(n) + rest, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: http.DetectContentType(head[:n])}, nil
}

// tally counts and hashes one kind of record while checking each copy against its source.
type tally struct {
	kind string
	n    int
	sum  hash.Hash
}

// check returns a function taking the copy as the MongoDB adapter returns it: it fails unless
// the copy's canonical JSON is the source's.
func (t *tally) check(src any) func(dst any, err error) error {
	return func(dst any, err error) error {
		want, merr := json.Marshal(src)
		if merr != nil {
			return merr
		}
		if err != nil {
			return fmt.Errorf("read back %s: %w", want, err)
		}
		got, merr := json.Marshal(dst)
		if merr != nil {
			return merr
		}
		if !bytes.Equal(want, got) {
			return fmt.Errorf("a record differs after the copy:\n source %s\n   copy %s", want, got)
		}
		t.n++
		t.sum.Write(want)
		t.sum.Write([]byte{'\n'})
		return nil
	}
}
