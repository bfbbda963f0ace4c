package document

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/authz"
	"github.com/workspaceops/workspaceops/platform/clock"
	"github.com/workspaceops/workspaceops/platform/events"
)

// cleanupTimeout bounds the clean-up steps that run after the mutation itself succeeded (or to
// undo half of it); they run even when the caller's context is done, since an abandoned request
// must not leave orphans behind.
const cleanupTimeout = 30 * time.Second

// Service holds the document use cases.
type Service struct {
	repo    Repository
	blobs   BlobStore
	links   LinkRemover
	authz   authz.Authorizer
	events  events.Publisher
	clock   clock.Clock
	log     *slog.Logger
	maxSize int64
	window  time.Duration
}

// Deps are the Service's dependencies; every field is required. MaxSize is the largest upload
// in bytes; ExpiringWindow is how long before its expiry a document counts as EXPIRING_SOON
// (zero: never).
type Deps struct {
	Repo           Repository
	Blobs          BlobStore
	Links          LinkRemover
	Authz          authz.Authorizer
	Events         events.Publisher
	Clock          clock.Clock
	Log            *slog.Logger
	MaxSize        int64
	ExpiringWindow time.Duration
}

// NewService returns the document use cases.
func NewService(d Deps) (*Service, error) {
	if d.Repo == nil || d.Blobs == nil || d.Links == nil || d.Authz == nil || d.Events == nil || d.Clock == nil || d.Log == nil {
		return nil, errors.New("document: all dependencies are required")
	}
	if d.MaxSize <= 0 {
		return nil, errors.New("document: the maximum upload size must be positive")
	}
	if d.ExpiringWindow < 0 {
		return nil, errors.New("document: the expiring-soon window must not be negative")
	}
	return &Service{
		repo: d.Repo, blobs: d.Blobs, links: d.Links, authz: d.Authz, events: d.Events,
		clock: d.Clock, log: d.Log, maxSize: d.MaxSize, window: d.ExpiringWindow,
	}, nil
}

// authorize asks the workspace module; a non-member gets its NotFound error unchanged, so the
// workspace's existence is not revealed.
func (s *Service) authorize(ctx context.Context, workspaceID, actorID string, action authz.Action) error {
	return s.authz.Authorize(ctx, workspaceID, actorID, action)
}

// publish announces c in the document's workspace, made by actorID at at.
func (s *Service) publish(ctx context.Context, c events.Change, d Document, actorID string, at time.Time) {
	s.events.Publish(ctx, c.Event(d.WorkspaceID, actorID, at))
}

// cleanupContext is ctx without its cancellation, bounded by cleanupTimeout.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// Get returns one document's metadata.
func (s *Service) Get(ctx context.Context, actorID, workspaceID, id string) (Document, error) {
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentRead); err != nil {
		return Document{}, err
	}
	d, err := s.repo.Get(ctx, workspaceID, id)
	if err != nil {
		return Document{}, fmt.Errorf("load document: %w", err)
	}
	return d, nil
}

// Open returns a document's metadata and its content, for a download; the caller closes the
// content. The content seeks, so the HTTP adapter can answer range requests.
func (s *Service) Open(ctx context.Context, actorID, workspaceID, id string) (Document, Content, error) {
	d, err := s.Get(ctx, actorID, workspaceID, id)
	if err != nil {
		return Document{}, nil, err
	}
	c, err := s.blobs.Open(ctx, d.BlobID)
	if err != nil {
		return Document{}, nil, fmt.Errorf("open content of document %s: %w", d.ID, err)
	}
	return d, c, nil
}

// Delete removes a document: its metadata first (from then on it is gone for every reader and
// no work item can link it any more), then its links from every work item, then its content.
// Once the metadata is gone the deletion has happened: a failure of the later steps is logged,
// not reported, and they run even if ctx is cancelled meanwhile.
func (s *Service) Delete(ctx context.Context, actorID, workspaceID, id string) error {
	if err := s.authorize(ctx, workspaceID, actorID, authz.DocumentDelete); err != nil {
		return err
	}
	d, err := s.repo.Get(ctx, workspaceID, id)
	if err != nil {
		return fmt.Errorf("load document: %w", err)
	}
	if err := s.repo.Delete(ctx, workspaceID, id); err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := s.links.UnlinkEverywhere(cctx, actorID, workspaceID, id); err != nil {
		s.log.ErrorContext(ctx, "document deleted but its work item links remain",
			slog.String("workspace_id", workspaceID), slog.String("document_id", id), slog.Any("error", err))
	}
	if err := s.blobs.Delete(cctx, d.BlobID); err != nil {
		s.log.ErrorContext(ctx, "document deleted but its content remains",
			slog.String("workspace_id", workspaceID), slog.String("document_id", id),
			slog.String("blob_id", d.BlobID), slog.Any("error", err))
	}
	s.publish(ctx, events.NewDocumentDeleted(d.ID, d.Name), d, actorID, s.clock.Now())
	return nil
}

// purgePage is how many documents one pass of PurgeWorkspace deletes.
const purgePage = 200

// PurgeWorkspace deletes every document of a deleted workspace with its content, without events
// (the workspace's deletion is the event). It does not authorize: the workspace module calls it
// (through its ContentPurger port) after deleting the workspace, which it authorized.
func (s *Service) PurgeWorkspace(ctx context.Context, workspaceID string) error {
	for {
		docs, err := s.repo.List(ctx, workspaceID, Query{Limit: purgePage})
		if err != nil {
			return fmt.Errorf("list documents to purge: %w", err)
		}
		for _, d := range docs {
			// Metadata first, as in Delete: content without metadata is unreachable, the reverse
			// would be a document whose download fails.
			if err := s.repo.Delete(ctx, workspaceID, d.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("purge document: %w", err)
			}
			if err := s.blobs.Delete(ctx, d.BlobID); err != nil {
				return fmt.Errorf("purge document content: %w", err)
			}
		}
		if len(docs) < purgePage {
			return nil
		}
	}
}

// ExpiryCounts counts a workspace's documents per stored expiry status (every status present,
// zero included) and in total, for the workspace overview. It does not authorize: the caller
// (the overview use case) has already checked that the actor may read the workspace.
func (s *Service) ExpiryCounts(ctx context.Context, workspaceID string) (map[ExpiryStatus]int, int, error) {
	got, err := s.repo.CountByExpiryStatus(ctx, workspaceID)
	if err != nil {
		return nil, 0, fmt.Errorf("count documents by expiry status: %w", err)
	}
	counts := map[ExpiryStatus]int{Valid: 0, ExpiringSoon: 0, Expired: 0}
	total := 0
	for st, n := range got {
		counts[st] += n
		total += n
	}
	return counts, total, nil
}
