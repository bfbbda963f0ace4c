package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/page"
)

type auditEntryJSON struct {
	ID          string         `json:"id"`
	WorkspaceID string         `json:"workspaceId"`
	Seq         int64          `json:"seq"`
	Action      string         `json:"action"`
	Event       string         `json:"event"`
	TargetType  string         `json:"targetType"`
	TargetID    string         `json:"targetId"`
	ActorID     *string        `json:"actorId"`
	At          time.Time      `json:"at"`
	Data        map[string]any `json:"data"`
}

func toAuditEntryJSON(e auditlog.Entry) auditEntryJSON {
	out := auditEntryJSON{
		ID: e.ID, WorkspaceID: e.WorkspaceID, Seq: e.Seq, Action: e.Action, Event: string(e.Event),
		TargetType: e.TargetType, TargetID: e.TargetID, At: e.At.UTC(), Data: e.Data,
	}
	if e.ActorID != "" {
		out.ActorID = &e.ActorID
	}
	if out.Data == nil {
		out.Data = map[string]any{}
	}
	return out
}

func (a *API) listAuditLog(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	var fields apperr.Fields
	in := auditlog.ListInput{
		ActorID: c.Query("actorId"), TargetType: c.Query("targetType"), TargetID: c.Query("targetId"),
		Cursor: c.Query("cursor"), Limit: limit,
	}
	in.Actions = queryList(c, "action", func(s string) (string, error) { return strings.ToUpper(s), nil }, "", &fields)
	for name, v := range map[string]string{"actorId": in.ActorID, "targetType": in.TargetType, "targetId": in.TargetID} {
		if len(v) > 64 {
			fields.Add(name, "is too long")
		}
	}
	in.From = queryTime(c, "from", &fields)
	in.To = queryTime(c, "to", &fields)
	if err := fields.Err(); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.auditLog.List(c.Request.Context(), userID(c), c.Param("wid"), in)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toAuditEntryJSON))
}
