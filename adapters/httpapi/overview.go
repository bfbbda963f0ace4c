package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/auditlog"
	"github.com/workspaceops/workspaceops/modules/overview"
	"github.com/workspaceops/workspaceops/platform/events"
)

type overviewJSON struct {
	WorkItems struct {
		ByStatus   map[string]int `json:"byStatus"`
		ByPriority map[string]int `json:"byPriority"`
		Overdue    int            `json:"overdue"`
	} `json:"workItems"`
	Documents struct {
		Total          int            `json:"total"`
		ByExpiryStatus map[string]int `json:"byExpiryStatus"`
	} `json:"documents"`
	Members int              `json:"members"`
	Recent  []auditEntryJSON `json:"recent"`
}

func toOverviewJSON(o overview.Overview) overviewJSON {
	var out overviewJSON
	out.WorkItems.ByStatus, out.WorkItems.ByPriority, out.WorkItems.Overdue = o.WorkItems.ByStatus, o.WorkItems.ByPriority, o.WorkItems.Overdue
	out.Documents.Total, out.Documents.ByExpiryStatus = o.Documents.Total, o.Documents.ByExpiryStatus
	out.Members = o.Members
	out.Recent = make([]auditEntryJSON, len(o.Recent))
	for i, r := range o.Recent {
		out.Recent[i] = toAuditEntryJSON(auditlog.Entry{ID: r.ID, WorkspaceID: r.WorkspaceID, Seq: r.Seq, Action: r.Action,
			Event: events.Name(r.Event), TargetType: r.TargetType, TargetID: r.TargetID, ActorID: r.ActorID, At: r.At, Data: r.Data})
	}
	return out
}

func (a *API) getOverview(c *gin.Context) {
	o, err := a.overview.Get(c.Request.Context(), userID(c), c.Param("wid"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toOverviewJSON(o))
}
