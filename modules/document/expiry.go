package document

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/workspaceops/workspaceops/platform/events"
)

// sweepBatch is how many stale documents one repository query returns.
const sweepBatch = 500

// SweepExpiry brings every stored expiry status up to date with the clock: it moves each stale
// document with a compare-and-set and publishes DocumentExpiryChanged (actor "", the system)
// for each move it made. Several instances may sweep at once: each move is made, and announced,
// by exactly one of them. It works through the backlog in batches and stops early on a batch
// that moved nothing (another instance got there first, or the moves keep failing); it returns
// how many documents it moved.
func (s *Service) SweepExpiry(ctx context.Context) (int, error) {
	now := s.clock.Now()
	moved := 0
	var errs []error
	for {
		stale, err := s.repo.StaleExpiry(ctx, now, s.window, sweepBatch)
		if err != nil {
			return moved, errors.Join(append(errs, fmt.Errorf("find stale expiry statuses: %w", err))...)
		}
		batchMoved := 0
		for _, d := range stale {
			to := ExpiryStatusAt(d.ExpiresAt, now, s.window)
			if to == d.ExpiryStatus {
				continue
			}
			ok, err := s.repo.SetExpiryStatus(ctx, d.WorkspaceID, d.ID, d.ExpiryStatus, to, d.ExpiresAt, now)
			if err != nil {
				if ctx.Err() != nil {
					return moved, ctx.Err()
				}
				errs = append(errs, fmt.Errorf("move document %s from %s to %s: %w", d.ID, d.ExpiryStatus, to, err))
				continue
			}
			if !ok {
				continue // changed since it was read: whoever changed it has announced that
			}
			batchMoved++
			s.publish(ctx, events.NewDocumentExpiryChanged(d.ID, string(d.ExpiryStatus), string(to)), d, "", now)
		}
		moved += batchMoved
		if len(stale) < sweepBatch || batchMoved == 0 {
			return moved, errors.Join(errs...)
		}
	}
}

// RunSweeper sweeps once at once and then every interval until ctx is done, logging failures.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		s.log.ErrorContext(ctx, "expiry sweeper not started: the interval must be positive", slog.Duration("interval", interval))
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		moved, err := s.SweepExpiry(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "expiry sweep failed", slog.Int("moved", moved), slog.Any("error", err))
		case moved > 0:
			s.log.InfoContext(ctx, "expiry sweep", slog.Int("moved", moved))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
