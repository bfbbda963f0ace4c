package main

import (
	"context"
	"fmt"
	"time"
)

// seed fills a WorkspaceOps server with a realistic dataset before the workloads, so that they
// measure a store holding what a real one holds rather than a nearly empty one (every write and
// read is cheaper on an empty store): -seed-users users, -seed-workspaces workspaces of
// -seed-members members each (the owner included, taken in turn from the users), and
// -seed-items work items per workspace, each moved from DRAFT to ACTIVE. It returns what it
// made, for the report; the seeded users join the pool the workloads draw from. The
// broadcast-only references hold no data: nothing is seeded for them.
func (b *bench) seed(ctx context.Context) (string, error) {
	c := b.cfg
	if c.seedWorkspaces == 0 || c.target != targetV1 {
		return "", nil
	}
	start := time.Now()
	users, err := b.ensureUsers(ctx, c.seedUsers)
	if err != nil {
		return "", err
	}
	err = parallel(ctx, c.seedWorkspaces, 4, func(ctx context.Context, w int) error {
		members := make([]*user, c.seedMembers)
		for i := range members {
			members[i] = users[(w*c.seedMembers+i)%len(users)]
		}
		wid, err := b.workspace(ctx, members)
		if err != nil {
			return err
		}
		owner := members[0].token
		for i := range c.seedItems {
			item, err := b.setup.createWorkItem(ctx, owner, wid, fmt.Sprintf("seeded item %d", i))
			if err != nil {
				return fmt.Errorf("seed a work item: %w", err)
			}
			if err := b.setup.setStatus(ctx, owner, wid, item, "ACTIVE"); err != nil {
				return fmt.Errorf("seed a status change: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	entries := c.seedWorkspaces * (1 + (c.seedMembers - 1) + 2*c.seedItems)
	what := fmt.Sprintf("%d users, %d workspaces of %d members, %d work items, about %d audit entries",
		len(users), c.seedWorkspaces, c.seedMembers, c.seedWorkspaces*c.seedItems, entries)
	b.logf("seeded %s in %s", what, time.Since(start).Round(time.Millisecond))
	return what, nil
}
