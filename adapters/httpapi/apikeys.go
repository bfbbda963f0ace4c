package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/apikey"
	"github.com/workspaceops/workspaceops/platform/page"
)

type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Prefix     string     `json:"prefix"`
	Token      string     `json:"token,omitempty"` // only in the answer to its creation
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

func toAPIKeyJSON(k apikey.Key) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt.UTC(),
		ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt}
}

func (a *API) createAPIKey(c *gin.Context) {
	var in struct {
		Name      string     `json:"name"`
		Role      string     `json:"role"`
		ExpiresAt *time.Time `json:"expiresAt"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	wid := c.Param("wid")
	k, err := a.apiKeys.Create(c.Request.Context(), userID(c), wid, apikey.CreateInput{Name: in.Name, Role: in.Role, ExpiresAt: in.ExpiresAt})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	out := toAPIKeyJSON(k.Key)
	out.Token = k.Token
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/api/v1/workspaces/"+wid+"/api-keys/"+k.Key.ID)
	c.JSON(http.StatusCreated, out)
}

func (a *API) listAPIKeys(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.apiKeys.List(c.Request.Context(), userID(c), c.Param("wid"), c.Query("cursor"), limit)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toAPIKeyJSON))
}

func (a *API) revokeAPIKey(c *gin.Context) {
	if err := a.apiKeys.Revoke(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
