package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/workspace"
	"github.com/workspaceops/workspaceops/platform/page"
)

type workspaceJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type memberJSON struct {
	UserID       string     `json:"userId,omitempty"`
	InvitationID string     `json:"invitationId,omitempty"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"displayName,omitempty"`
	Role         string     `json:"role"`
	Status       string     `json:"status"`
	JoinedAt     *time.Time `json:"joinedAt,omitempty"`
	ExpiresAt    *time.Time `json:"expiresAt,omitempty"`
}

type listJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func toWorkspaceJSON(v workspace.View) workspaceJSON {
	return workspaceJSON{ID: v.ID, Name: v.Name, Role: string(v.Role), CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC()}
}

func toMemberJSON(m workspace.MemberView) memberJSON {
	out := memberJSON{UserID: m.UserID, InvitationID: m.InvitationID, Email: m.Email, DisplayName: m.DisplayName, Role: string(m.Role), Status: string(m.Status)}
	if !m.JoinedAt.IsZero() {
		t := m.JoinedAt.UTC()
		out.JoinedAt = &t
	}
	if !m.ExpiresAt.IsZero() {
		t := m.ExpiresAt.UTC()
		out.ExpiresAt = &t
	}
	return out
}

func toList[T, J any](p page.Page[T], conv func(T) J) listJSON[J] {
	items := make([]J, len(p.Items))
	for i, v := range p.Items {
		items[i] = conv(v)
	}
	return listJSON[J]{Items: items, NextCursor: p.NextCursor}
}

func (a *API) createWorkspace(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	v, err := a.workspaces.Create(c.Request.Context(), userID(c), in.Name)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Location", "/api/v1/workspaces/"+v.ID)
	c.JSON(http.StatusCreated, toWorkspaceJSON(v))
}

func (a *API) listWorkspaces(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.workspaces.List(c.Request.Context(), userID(c), c.Query("cursor"), limit)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toWorkspaceJSON))
}

func (a *API) getWorkspace(c *gin.Context) {
	v, err := a.workspaces.Get(c.Request.Context(), userID(c), c.Param("wid"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toWorkspaceJSON(v))
}

func (a *API) updateWorkspace(c *gin.Context) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	if in.Name == nil {
		abortWithError(c, a.log, errNothingToUpdate)
		return
	}
	v, err := a.workspaces.Rename(c.Request.Context(), userID(c), c.Param("wid"), *in.Name)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toWorkspaceJSON(v))
}

func (a *API) deleteWorkspace(c *gin.Context) {
	if err := a.workspaces.Delete(c.Request.Context(), userID(c), c.Param("wid")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) listMembers(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.workspaces.Members(c.Request.Context(), userID(c), c.Param("wid"), c.Query("cursor"), limit)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toMemberJSON))
}

func (a *API) inviteMember(c *gin.Context) {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	m, err := a.workspaces.Invite(c.Request.Context(), userID(c), c.Param("wid"), workspace.InviteInput{Email: in.Email, Role: in.Role})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusCreated, toMemberJSON(m))
}

func (a *API) changeMemberRole(c *gin.Context) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	m, err := a.workspaces.ChangeRole(c.Request.Context(), userID(c), c.Param("wid"), c.Param("uid"), in.Role)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toMemberJSON(m))
}

func (a *API) removeMember(c *gin.Context) {
	if err := a.workspaces.RemoveMember(c.Request.Context(), userID(c), c.Param("wid"), c.Param("uid")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) revokeInvitation(c *gin.Context) {
	if err := a.workspaces.RevokeInvitation(c.Request.Context(), userID(c), c.Param("wid"), c.Param("iid")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
