package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/events"
	"github.com/workspaceops/workspaceops/platform/ids"
)

// AuditLog is the auditlog.Repository: table audit_log, unique on (workspace_id, seq).
//
// Append allocates the seq inside its insert (the workspace's highest seq plus one, read from
// the key's index in the same statement), and the database has one writer, so seqs are
// gap-free and unique without a counter; the key refuses a second taker all the same.
type AuditLog struct{ db *DB }

var _ auditlog.Repository = (*AuditLog)(nil)

// NewAuditLog returns the audit log repository on db.
func NewAuditLog(db *DB) *AuditLog { return &AuditLog{db: db} }

const auditColumns = "entry_id, workspace_id, seq, action, event, target_type, target_id, actor_id, at, data"

func scanEntry(row interface{ Scan(...any) error }) (auditlog.Entry, error) {
	var (
		e     auditlog.Entry
		event string
		at    int64
		data  string
	)
	if err := row.Scan(&e.ID, &e.WorkspaceID, &e.Seq, &e.Action, &event, &e.TargetType, &e.TargetID, &e.ActorID, &at, &data); err != nil {
		return auditlog.Entry{}, err
	}
	e.Event, e.At = events.Name(event), fromMs(at)
	var err error
	if e.Data, err = decodeData(data); err != nil {
		return auditlog.Entry{}, storeError("sqlite: data of audit entry %s: %w", e.ID, err)
	}
	return e, nil
}

// Append stores e with the workspace's next seq and returns it as stored (At in whole
// milliseconds, UTC; Data decoded as decodeData does). It is idempotent on e.ID: appending an
// entry whose id is stored already (a retry after an error that hid a successful write)
// returns the stored entry unchanged.
func (r *AuditLog) Append(ctx context.Context, e auditlog.Entry) (auditlog.Entry, error) {
	if e.ID == "" {
		e.ID = ids.New()
	}
	data, err := encodeData(e.Data)
	if err != nil {
		return auditlog.Entry{}, storeError("sqlite: encode audit entry data: %w", err)
	}
	stored, err := scanEntry(r.db.queryRow(ctx, r.db.w, "INSERT INTO audit_log ("+auditColumns+") VALUES (?, ?, "+
		"(SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log WHERE workspace_id = ?), ?, ?, ?, ?, ?, ?, ?) RETURNING "+auditColumns,
		e.ID, e.WorkspaceID, e.WorkspaceID, e.Action, string(e.Event), e.TargetType, e.TargetID, e.ActorID, ms(e.At), data))
	if err == nil {
		return stored, nil
	}
	if !isUnique(err) {
		return auditlog.Entry{}, storeError("sqlite: insert audit entry: %w", err)
	}
	// The seq cannot be taken (one writer), so the entry id is: this entry was stored before.
	stored, err = scanEntry(r.db.queryRow(ctx, r.db.w, "SELECT "+auditColumns+" FROM audit_log WHERE entry_id = ?", e.ID))
	if err != nil {
		return auditlog.Entry{}, storeError("sqlite: find audit entry by id: %w", err)
	}
	if stored.WorkspaceID != e.WorkspaceID {
		return auditlog.Entry{}, fmt.Errorf("sqlite: audit entry id %s is already stored in another workspace", e.ID)
	}
	return stored, nil
}

// Head returns the workspace's highest seq, 0 when it has none: one step of the key's index.
func (r *AuditLog) Head(ctx context.Context, workspaceID string) (int64, error) {
	var head int64
	if err := r.db.queryRow(ctx, r.db.r, "SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE workspace_id = ?", workspaceID).Scan(&head); err != nil {
		return 0, storeError("sqlite: read audit head: %w", err)
	}
	return head, nil
}

// List returns at most q.Limit entries of the workspace matching q, newest first. A filter on
// the target or the actor walks that column's index; otherwise the key's.
func (r *AuditLog) List(ctx context.Context, workspaceID string, q auditlog.Query) ([]auditlog.Entry, error) {
	if q.Limit < 1 {
		return nil, nil
	}
	var where strings.Builder
	args := []any{workspaceID}
	where.WriteString("workspace_id = ?")
	index := "audit_log_by_seq"
	switch {
	case q.TargetID != "":
		index = "audit_log_by_target"
	case q.ActorID != "":
		index = "audit_log_by_actor"
	}
	if q.BeforeSeq > 0 {
		where.WriteString(" AND seq < ?")
		args = append(args, q.BeforeSeq)
	}
	if len(q.Actions) > 0 {
		where.WriteString(" AND action IN (" + placeholders(len(q.Actions)) + ")")
		for _, a := range q.Actions {
			args = append(args, a)
		}
	}
	for _, f := range []struct{ column, value string }{{"actor_id", q.ActorID}, {"target_type", q.TargetType}, {"target_id", q.TargetID}} {
		if f.value != "" {
			where.WriteString(" AND " + f.column + " = ?")
			args = append(args, f.value)
		}
	}
	if q.From != nil {
		where.WriteString(" AND at >= ?")
		args = append(args, msCeil(*q.From))
	}
	if q.To != nil {
		where.WriteString(" AND at < ?")
		args = append(args, msCeil(*q.To))
	}
	args = append(args, q.Limit)
	return r.find(ctx, "SELECT "+auditColumns+" FROM audit_log INDEXED BY "+index+" WHERE "+where.String()+" ORDER BY seq DESC LIMIT ?", args...)
}

// Since returns at most limit entries of the workspace with seq > afterSeq, oldest first.
func (r *AuditLog) Since(ctx context.Context, workspaceID string, afterSeq int64, limit int) ([]auditlog.Entry, error) {
	if limit < 1 {
		return nil, nil
	}
	return r.find(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?",
		workspaceID, max(afterSeq, 0), limit)
}

func (r *AuditLog) find(ctx context.Context, query string, args ...any) ([]auditlog.Entry, error) {
	out := []auditlog.Entry{}
	err := r.db.each(ctx, r.db.r, func(rows *sql.Rows) error {
		e, err := scanEntry(rows)
		out = append(out, e)
		return err
	}, query, args...)
	if err != nil {
		return nil, storeError("sqlite: find audit entries: %w", err)
	}
	return out, nil
}

// encodeData stores an entry's data as JSON, writing every float64 with a decimal point or an
// exponent (3.0 as 3.0, not 3) so that decodeData tells it from an integer.
func encodeData(data map[string]any) (string, error) {
	if len(data) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(markFloats(data))
	return string(b), err
}

// markFloats copies v with each float64 replaced by a json.Number that keeps it a float.
func markFloats(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x // json.Marshal reports these
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return json.Number(s)
	case float32:
		return markFloats(float64(x))
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = markFloats(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = markFloats(e)
		}
		return s
	case []float64:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = markFloats(e)
		}
		return s
	}
	return v
}

// decodeData reads what encodeData wrote: integers as int64, numbers with a point or an
// exponent as float64, lists as []any, objects as map[string]any. Empty data is nil.
func decodeData(s string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	for k, v := range m {
		var err error
		if m[k], err = numbers(v); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return m, nil
}

func numbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return x.Float64()
		}
		return x.Int64()
	case map[string]any:
		for k, e := range x {
			var err error
			if x[k], err = numbers(e); err != nil {
				return nil, err
			}
		}
	case []any:
		for i, e := range x {
			var err error
			if x[i], err = numbers(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}
