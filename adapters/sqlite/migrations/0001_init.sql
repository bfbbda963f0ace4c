-- The first schema. Times are Unix milliseconds; every table is STRICT.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE workspaces (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	owner_count INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
	workspace_id TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	role         TEXT NOT NULL,
	joined_at    INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id, workspace_id);

CREATE TABLE invitations (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL,
	email        TEXT NOT NULL,
	role         TEXT NOT NULL,
	invited_by   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	UNIQUE (workspace_id, email)
) STRICT;
CREATE INDEX invitations_by_workspace ON invitations (workspace_id, id);
CREATE INDEX invitations_by_email ON invitations (email);

-- tags and document_ids are JSON arrays kept in the item's order (read back, never queried);
-- work_item_tags and work_item_links hold the same values for the queries.
CREATE TABLE work_items (
	id            TEXT PRIMARY KEY,
	workspace_id  TEXT NOT NULL,
	title         TEXT NOT NULL,
	title_fold    TEXT NOT NULL,
	description   TEXT NOT NULL,
	status        TEXT NOT NULL,
	priority      TEXT NOT NULL,
	priority_rank INTEGER NOT NULL,
	assignee_id   TEXT NOT NULL,
	due_at        INTEGER,
	due_sort      INTEGER NOT NULL,
	tags          TEXT NOT NULL,
	document_ids  TEXT NOT NULL,
	created_by    TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	version       INTEGER NOT NULL
) STRICT;
CREATE INDEX work_items_by_created ON work_items (workspace_id, created_at, id);
CREATE INDEX work_items_by_updated ON work_items (workspace_id, updated_at, id);
CREATE INDEX work_items_by_due ON work_items (workspace_id, due_sort, id);
CREATE INDEX work_items_by_priority ON work_items (workspace_id, priority_rank, id);
CREATE INDEX work_items_counts ON work_items (workspace_id, status, priority);
CREATE INDEX work_items_overdue ON work_items (workspace_id, status, due_sort);

CREATE TABLE work_item_tags (
	item_id      TEXT NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	tag          TEXT NOT NULL,
	PRIMARY KEY (item_id, tag)
) STRICT, WITHOUT ROWID;

CREATE TABLE work_item_links (
	item_id      TEXT NOT NULL REFERENCES work_items (id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	document_id  TEXT NOT NULL,
	PRIMARY KEY (item_id, document_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX work_item_links_by_document ON work_item_links (workspace_id, document_id, item_id);

CREATE TABLE documents (
	id            TEXT PRIMARY KEY,
	workspace_id  TEXT NOT NULL,
	name          TEXT NOT NULL,
	name_fold     TEXT NOT NULL,
	title         TEXT NOT NULL,
	title_fold    TEXT NOT NULL,
	size          INTEGER NOT NULL,
	content_type  TEXT NOT NULL,
	sha256        TEXT NOT NULL,
	blob_id       TEXT NOT NULL,
	uploaded_by   TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	expires_at    INTEGER,
	expiry_status TEXT NOT NULL,
	version       INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_by_created ON documents (workspace_id, created_at, id);
CREATE INDEX documents_by_expiry ON documents (expiry_status, expires_at);
CREATE INDEX documents_counts ON documents (workspace_id, expiry_status);

-- Content lives in files under the data directory (content/), written once and named by the
-- blob's id; a blob exists once its row does. blob_files_pending lists the files that may exist
-- without a row (an upload in progress, a deletion not finished), so that the ones a crash left
-- are found without listing the directory and removed at the next start.
CREATE TABLE blobs (
	id           TEXT PRIMARY KEY,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	content_type TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;
CREATE TABLE blob_files_pending (
	id    TEXT PRIMARY KEY,
	since INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- (workspace_id, seq) is unique: the database refuses a second taker of a seq.
CREATE TABLE audit_log (
	workspace_id TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	entry_id     TEXT NOT NULL,
	action       TEXT NOT NULL,
	event        TEXT NOT NULL,
	target_type  TEXT NOT NULL,
	target_id    TEXT NOT NULL,
	actor_id     TEXT NOT NULL,
	at           INTEGER NOT NULL,
	data         TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX audit_log_by_seq ON audit_log (workspace_id, seq);
CREATE UNIQUE INDEX audit_log_by_entry ON audit_log (entry_id);
CREATE INDEX audit_log_by_target ON audit_log (workspace_id, target_id, seq);
CREATE INDEX audit_log_by_actor ON audit_log (workspace_id, actor_id, seq);

CREATE TABLE sse_tickets_used (
	id    TEXT PRIMARY KEY,
	until INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sse_tickets_used_by_until ON sse_tickets_used (until);
