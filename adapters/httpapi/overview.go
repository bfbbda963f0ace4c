package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/overview"
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
	Members int            `json:"members"`
	Recent  []activityJSON `json:"recent"`
}

type activityJSON struct {
	Seq        int64     `json:"seq,omitempty"`
	Event      string    `json:"event"`
	TargetType string    `json:"targetType"`
	TargetID   string    `json:"targetId"`
	ActorID    string    `json:"actorId,omitempty"`
	At         time.Time `json:"at"`
}

func toOverviewJSON(o overview.Overview) overviewJSON {
	var out overviewJSON
	out.WorkItems.ByStatus, out.WorkItems.ByPriority, out.WorkItems.Overdue = o.WorkItems.ByStatus, o.WorkItems.ByPriority, o.WorkItems.Overdue
	out.Documents.Total, out.Documents.ByExpiryStatus = o.Documents.Total, o.Documents.ByExpiryStatus
	out.Members = o.Members
	out.Recent = make([]activityJSON, len(o.Recent))
	for i, r := range o.Recent {
		out.Recent[i] = activityJSON{Seq: r.Seq, Event: r.Event, TargetType: r.TargetType, TargetID: r.TargetID, ActorID: r.ActorID, At: r.At.UTC()}
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
