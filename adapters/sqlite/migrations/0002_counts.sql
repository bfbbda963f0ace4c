-- The overview's figures kept as counts per workspace, maintained by triggers in the same
-- transaction as each write: reading them costs a few rows whatever the workspace's size,
-- instead of counting every item (18 ms at 50,000 items, and it grew with them).
-- Days are floor(ms / 86400000): SQLite's integer division truncates, hence the correction
-- for times before 1970; workitems.go computes the same.

CREATE TABLE work_item_counts (
	workspace_id TEXT NOT NULL,
	status       TEXT NOT NULL,
	priority     TEXT NOT NULL,
	n            INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, status, priority)
) STRICT, WITHOUT ROWID;
INSERT INTO work_item_counts (workspace_id, status, priority, n)
	SELECT workspace_id, status, priority, COUNT(*) FROM work_items GROUP BY workspace_id, status, priority;

CREATE TRIGGER work_item_counts_insert AFTER INSERT ON work_items BEGIN
	INSERT INTO work_item_counts (workspace_id, status, priority, n) VALUES (NEW.workspace_id, NEW.status, NEW.priority, 1)
		ON CONFLICT (workspace_id, status, priority) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER work_item_counts_delete AFTER DELETE ON work_items BEGIN
	UPDATE work_item_counts SET n = n - 1
		WHERE workspace_id = OLD.workspace_id AND status = OLD.status AND priority = OLD.priority;
END;
CREATE TRIGGER work_item_counts_update AFTER UPDATE OF status, priority ON work_items
	WHEN OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority BEGIN
	UPDATE work_item_counts SET n = n - 1
		WHERE workspace_id = OLD.workspace_id AND status = OLD.status AND priority = OLD.priority;
	INSERT INTO work_item_counts (workspace_id, status, priority, n) VALUES (NEW.workspace_id, NEW.status, NEW.priority, 1)
		ON CONFLICT (workspace_id, status, priority) DO UPDATE SET n = n + 1;
END;
DROP INDEX work_items_counts;

-- Open items (not COMPLETED) with a due date, counted per UTC day of their due date: the
-- overdue count is then the sum of the days before today plus today's items due before now
-- (an index range of one day), whatever the number of overdue items.
CREATE TABLE work_item_due_counts (
	workspace_id TEXT NOT NULL,
	due_day      INTEGER NOT NULL,
	n            INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, due_day)
) STRICT, WITHOUT ROWID;
INSERT INTO work_item_due_counts (workspace_id, due_day, n)
	SELECT workspace_id, due_at / 86400000 - (due_at < 0 AND due_at % 86400000 != 0), COUNT(*) FROM work_items
	WHERE status != 'COMPLETED' AND due_at IS NOT NULL GROUP BY 1, 2;

CREATE TRIGGER work_item_due_counts_insert AFTER INSERT ON work_items
	WHEN NEW.status != 'COMPLETED' AND NEW.due_at IS NOT NULL BEGIN
	INSERT INTO work_item_due_counts (workspace_id, due_day, n)
		VALUES (NEW.workspace_id, NEW.due_at / 86400000 - (NEW.due_at < 0 AND NEW.due_at % 86400000 != 0), 1)
		ON CONFLICT (workspace_id, due_day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER work_item_due_counts_delete AFTER DELETE ON work_items
	WHEN OLD.status != 'COMPLETED' AND OLD.due_at IS NOT NULL BEGIN
	UPDATE work_item_due_counts SET n = n - 1
		WHERE workspace_id = OLD.workspace_id AND due_day = OLD.due_at / 86400000 - (OLD.due_at < 0 AND OLD.due_at % 86400000 != 0);
END;
CREATE TRIGGER work_item_due_counts_update AFTER UPDATE OF status, due_at ON work_items
	WHEN OLD.status IS NOT NEW.status OR OLD.due_at IS NOT NEW.due_at BEGIN
	UPDATE work_item_due_counts SET n = n - 1
		WHERE OLD.status != 'COMPLETED' AND OLD.due_at IS NOT NULL
		AND workspace_id = OLD.workspace_id AND due_day = OLD.due_at / 86400000 - (OLD.due_at < 0 AND OLD.due_at % 86400000 != 0);
	INSERT INTO work_item_due_counts (workspace_id, due_day, n)
		SELECT NEW.workspace_id, NEW.due_at / 86400000 - (NEW.due_at < 0 AND NEW.due_at % 86400000 != 0), 1
		WHERE NEW.status != 'COMPLETED' AND NEW.due_at IS NOT NULL
		ON CONFLICT (workspace_id, due_day) DO UPDATE SET n = n + 1;
END;

CREATE TABLE document_counts (
	workspace_id  TEXT NOT NULL,
	expiry_status TEXT NOT NULL,
	n             INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, expiry_status)
) STRICT, WITHOUT ROWID;
INSERT INTO document_counts (workspace_id, expiry_status, n)
	SELECT workspace_id, expiry_status, COUNT(*) FROM documents GROUP BY workspace_id, expiry_status;

CREATE TRIGGER document_counts_insert AFTER INSERT ON documents BEGIN
	INSERT INTO document_counts (workspace_id, expiry_status, n) VALUES (NEW.workspace_id, NEW.expiry_status, 1)
		ON CONFLICT (workspace_id, expiry_status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER document_counts_delete AFTER DELETE ON documents BEGIN
	UPDATE document_counts SET n = n - 1 WHERE workspace_id = OLD.workspace_id AND expiry_status = OLD.expiry_status;
END;
CREATE TRIGGER document_counts_update AFTER UPDATE OF expiry_status ON documents
	WHEN OLD.expiry_status IS NOT NEW.expiry_status BEGIN
	UPDATE document_counts SET n = n - 1 WHERE workspace_id = OLD.workspace_id AND expiry_status = OLD.expiry_status;
	INSERT INTO document_counts (workspace_id, expiry_status, n) VALUES (NEW.workspace_id, NEW.expiry_status, 1)
		ON CONFLICT (workspace_id, expiry_status) DO UPDATE SET n = n + 1;
END;
DROP INDEX documents_counts;
