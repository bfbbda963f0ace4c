package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/workitem"
	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/page"
)

type workItemJSON struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspaceId"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Priority    string     `json:"priority"`
	AssigneeID  *string    `json:"assigneeId"`
	DueDate     *time.Time `json:"dueDate"`
	Tags        []string   `json:"tags"`
	DocumentIDs []string   `json:"documentIds"`
	CreatedBy   string     `json:"createdBy"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int64      `json:"version"`
}

func toWorkItemJSON(w workitem.WorkItem) workItemJSON {
	out := workItemJSON{
		ID: w.ID, WorkspaceID: w.WorkspaceID, Title: w.Title, Description: w.Description, Status: string(w.Status),
		Priority: string(w.Priority), DueDate: w.DueDate, Tags: w.Tags, DocumentIDs: w.DocumentIDs,
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(), Version: w.Version,
	}
	if w.AssigneeID != "" {
		out.AssigneeID = &w.AssigneeID
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if out.DocumentIDs == nil {
		out.DocumentIDs = []string{}
	}
	return out
}

// writeWorkItem answers one item with its version as a strong ETag, for If-Match.
func writeWorkItem(c *gin.Context, status int, w workitem.WorkItem) {
	c.Header("ETag", etag(w.Version))
	c.JSON(status, toWorkItemJSON(w))
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

var errBadIfMatch = apperr.New(apperr.Invalid, "invalid_if_match", `If-Match must be one ETag such as "3", or *`)

// ifMatchVersion reads If-Match: absent or * means no precondition (0).
func ifMatchVersion(c *gin.Context) (int64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	if strings.HasPrefix(h, "W/") {
		// If-Match compares strongly (RFC 9110, 13.1.1): a weak tag never matches.
		return 0, errBadIfMatch.WithMessage(`If-Match compares strong ETags only; send the ETag as read, such as "3"`)
	}
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' {
		return 0, errBadIfMatch
	}
	v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64)
	if err != nil || v < 1 {
		return 0, errBadIfMatch
	}
	return v, nil
}

func (a *API) createWorkItem(c *gin.Context) {
	var in struct {
		Title       string     `json:"title"`
		Description string     `json:"description"`
		Priority    *string    `json:"priority"`
		AssigneeID  *string    `json:"assigneeId"`
		DueDate     *timestamp `json:"dueDate"`
		Tags        []string   `json:"tags"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	create := workitem.CreateInput{Title: in.Title, Description: in.Description, DueDate: in.DueDate.ptr(), Tags: in.Tags}
	if in.Priority != nil {
		// Absent means MEDIUM; present must be a priority, as in PATCH ("" is not one).
		p, err := workitem.ParsePriority(*in.Priority)
		if err != nil {
			abortWithError(c, a.log, err)
			return
		}
		create.Priority = string(p)
	}
	if in.AssigneeID != nil {
		create.AssigneeID = *in.AssigneeID
	}
	w, err := a.workItems.Create(c.Request.Context(), userID(c), c.Param("wid"), create)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Location", "/api/v1/workspaces/"+w.WorkspaceID+"/work-items/"+w.ID)
	writeWorkItem(c, http.StatusCreated, w)
}

// maxQueryText bounds the title search text.
const maxQueryText = 200

func (a *API) listWorkItems(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	var fields apperr.Fields
	var f workitem.Filter
	f.Statuses = queryList(c, "status", workitem.ParseStatus, "must be one of DRAFT, ACTIVE, COMPLETED", &fields)
	f.AssigneeID, f.Tag, f.Text = c.Query("assigneeId"), c.Query("tag"), c.Query("q")
	if utf8.RuneCountInString(f.Text) > maxQueryText {
		fields.Add("q", "must be at most 200 characters")
	}
	if len(f.Tag) > 4*workitem.MaxTagLen {
		fields.Add("tag", "is too long")
	}
	if len(f.AssigneeID) > 64 {
		fields.Add("assigneeId", "is too long")
	}
	f.DueBefore = queryTime(c, "dueBefore", &fields)
	f.DueAfter = queryTime(c, "dueAfter", &fields)
	if err := fields.Err(); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.workItems.List(c.Request.Context(), userID(c), c.Param("wid"), workitem.ListInput{
		Filter: f, Sort: c.Query("sort"), Cursor: c.Query("cursor"), Limit: limit,
	})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toWorkItemJSON))
}

func (a *API) getWorkItem(c *gin.Context) {
	w, err := a.workItems.Get(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeWorkItem(c, http.StatusOK, w)
}

func (a *API) updateWorkItem(c *gin.Context) {
	version, err := ifMatchVersion(c)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	var in struct {
		Title       *string             `json:"title"`
		Description *string             `json:"description"`
		Priority    *string             `json:"priority"`
		AssigneeID  optional[string]    `json:"assigneeId"`
		DueDate     optional[timestamp] `json:"dueDate"`
		Tags        *[]string           `json:"tags"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p := workitem.Patch{Title: in.Title, Description: in.Description, Priority: in.Priority, Tags: in.Tags, IfVersion: version}
	if in.AssigneeID.Set {
		p.AssigneeID = &in.AssigneeID.Value // null and "" both unassign
	}
	if in.DueDate.Set {
		if in.DueDate.Null {
			p.ClearDueDate = true
		} else {
			p.DueDate = &in.DueDate.Value.Time
		}
	}
	if p.Title == nil && p.Description == nil && p.Priority == nil && p.Tags == nil && !in.AssigneeID.Set && !in.DueDate.Set {
		abortWithError(c, a.log, errNothingToUpdate)
		return
	}
	w, err := a.workItems.Update(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), p)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeWorkItem(c, http.StatusOK, w)
}

func (a *API) changeWorkItemStatus(c *gin.Context) {
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	w, err := a.workItems.ChangeStatus(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), in.Status)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeWorkItem(c, http.StatusOK, w)
}

func (a *API) deleteWorkItem(c *gin.Context) {
	if err := a.workItems.Delete(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) linkDocument(c *gin.Context) {
	w, err := a.workItems.LinkDocument(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), c.Param("docId"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeWorkItem(c, http.StatusOK, w)
}

func (a *API) unlinkDocument(c *gin.Context) {
	w, err := a.workItems.UnlinkDocument(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), c.Param("docId"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	writeWorkItem(c, http.StatusOK, w)
}
