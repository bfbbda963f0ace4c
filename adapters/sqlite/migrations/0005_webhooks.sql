-- Webhooks: each with its cursor in the workspace's audit log, the delivery being retried
-- (pending_*; pending_delivery_id '' when none) and the lease of the instance delivering it.
-- events is a JSON array, read back and never queried.
CREATE TABLE webhooks (
	id                  TEXT PRIMARY KEY,
	workspace_id        TEXT NOT NULL,
	url                 TEXT NOT NULL,
	events              TEXT NOT NULL,
	secret              TEXT NOT NULL,
	active              INTEGER NOT NULL,
	disabled_reason     TEXT NOT NULL,
	cursor              INTEGER NOT NULL,
	generation          INTEGER NOT NULL,
	pending_delivery_id TEXT NOT NULL,
	pending_seq         INTEGER NOT NULL,
	pending_attempt     INTEGER NOT NULL,
	pending_next_at     INTEGER NOT NULL,
	lease_owner         TEXT NOT NULL,
	lease_until         INTEGER NOT NULL,
	created_by          TEXT NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	version             INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id, id);
CREATE INDEX webhooks_active ON webhooks (active, id);

-- The deliveries log: one row per attempt, k = webhook.Attempt.Key() (time, seq, try, delivery).
CREATE TABLE webhook_attempts (
	webhook_id      TEXT NOT NULL,
	k               TEXT NOT NULL,
	workspace_id    TEXT NOT NULL,
	delivery_id     TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	event           TEXT NOT NULL,
	attempt         INTEGER NOT NULL,
	status          TEXT NOT NULL,
	response_status INTEGER NOT NULL,
	duration_ms     INTEGER NOT NULL,
	error           TEXT NOT NULL,
	at              INTEGER NOT NULL,
	PRIMARY KEY (webhook_id, k)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (webhook_id, delivery_id, attempt);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (at);
CREATE INDEX webhook_attempts_by_workspace ON webhook_attempts (workspace_id);
