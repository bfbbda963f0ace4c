package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/adapters/httpapi"
	"github.com/workspaceops/workspaceops/adapters/mongo"
	"github.com/workspaceops/workspaceops/adapters/realtime"
	"github.com/workspaceops/workspaceops/adapters/sqlite"
	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/document"
	"github.com/workspaceops/workspaceops/modules/idempotency"
	"github.com/workspaceops/workspaceops/modules/identity"
	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/config"
)

// Store is every repository the service runs on, from the one database configured: SQLite in
// WSO_DATA_DIR by default, MongoDB when MONGO_URI is set (several instances share it).
type Store struct {
	Users       identity.Repository
	Workspaces  workspace.Repository
	WorkItems   workitem.Repository
	Documents   document.Repository
	Blobs       document.BlobStore
	AuditLog    auditlog.Repository
	Redemptions realtime.Redemptions
	APIKeys     apikey.Repository
	Idempotency idempotency.Repository
	Webhooks    webhook.Repository
	Ready       httpapi.ReadinessCheck
}

// provideStore opens the configured database and brings its schema up to date (SQLite
// migrations, MongoDB indexes).
func provideStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*Store, func(), error) {
	if cfg.MongoURI == "" {
		return openSQLite(ctx, cfg, log)
	}
	return openMongo(ctx, cfg, log)
}

// storeKind names the configured database for logs.
func storeKind(cfg config.Config) string {
	if cfg.MongoURI == "" {
		return "sqlite"
	}
	return "mongodb"
}

func openSQLite(ctx context.Context, cfg config.Config, log *slog.Logger) (*Store, func(), error) {
	db, err := sqlite.Open(ctx, sqlite.Options{Dir: cfg.DataDir})
	if err != nil {
		return nil, nil, err
	}
	log.Info("embedded store opened", slog.String("file", db.Path()), slog.Int("schema_version", sqlite.SchemaVersion()))
	cleanup := func() {
		if err := db.Close(); err != nil {
			log.Warn("close database", slog.Any("error", err))
		}
	}
	return &Store{
		Users: sqlite.NewUsers(db), Workspaces: sqlite.NewWorkspaces(db), WorkItems: sqlite.NewWorkItems(db),
		Documents: sqlite.NewDocuments(db), Blobs: sqlite.NewBlobs(db), AuditLog: sqlite.NewAuditLog(db),
		Redemptions: sqlite.NewTicketRedemptions(db), APIKeys: sqlite.NewAPIKeys(db), Idempotency: sqlite.NewIdempotencyKeys(db),
		Webhooks: sqlite.NewWebhooks(db), Ready: db.Ping,
	}, cleanup, nil
}

func openMongo(ctx context.Context, cfg config.Config, log *slog.Logger) (*Store, func(), error) {
	db, err := mongo.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := db.Close(closeCtx); err != nil {
			log.Warn("close database", slog.Any("error", err))
		}
	}
	if err := mongo.EnsureIndexes(ctx, db.Database()); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("ensure indexes: %w", err)
	}
	d := db.Database()
	return &Store{
		Users: mongo.NewUsers(d), Workspaces: mongo.NewWorkspaces(d), WorkItems: mongo.NewWorkItems(d),
		Documents: mongo.NewDocuments(d), Blobs: mongo.NewBlobs(d), AuditLog: mongo.NewAuditLog(d),
		Redemptions: mongo.NewTicketRedemptions(d), APIKeys: mongo.NewAPIKeys(d), Idempotency: mongo.NewIdempotencyKeys(d),
		Webhooks: mongo.NewWebhooks(d), Ready: db.Ping,
	}, cleanup, nil
}
