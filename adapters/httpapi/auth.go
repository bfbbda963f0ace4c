package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/identity"
)

type userJSON struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"displayName"`
	CreatedAt   time.Time `json:"createdAt"`
}

type sessionJSON struct {
	User      userJSON  `json:"user"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func toUserJSON(u identity.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt.UTC()}
}

func toSessionJSON(s identity.Session) sessionJSON {
	return sessionJSON{User: toUserJSON(s.User), Token: s.Token.Value, ExpiresAt: s.Token.ExpiresAt.UTC()}
}

func (a *API) register(c *gin.Context) {
	var in struct {
		Email       string `json:"email"`
		Password    string `json:"password"`
		DisplayName string `json:"displayName"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	s, err := a.identity.Register(c.Request.Context(), identity.RegisterInput{Email: in.Email, Password: in.Password, DisplayName: in.DisplayName})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, toSessionJSON(s))
}

func (a *API) login(c *gin.Context) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	s, err := a.identity.Login(c.Request.Context(), identity.LoginInput{Email: in.Email, Password: in.Password, ClientAddr: c.ClientIP()})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, toSessionJSON(s))
}

func (a *API) refresh(c *gin.Context) {
	s, err := a.identity.Refresh(c.Request.Context(), principal(c))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, toSessionJSON(s))
}

// logoutAll revokes every token of the caller, this one included.
func (a *API) logoutAll(c *gin.Context) {
	if err := a.identity.LogoutAll(c.Request.Context(), userID(c)); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// changePassword sets a new password and answers the one session that stays valid.
func (a *API) changePassword(c *gin.Context) {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	s, err := a.identity.ChangePassword(c.Request.Context(), identity.ChangePasswordInput{
		UserID: userID(c), CurrentPassword: in.CurrentPassword, NewPassword: in.NewPassword, ClientAddr: c.ClientIP(),
	})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, toSessionJSON(s))
}

func (a *API) me(c *gin.Context) {
	u, err := a.identity.Me(c.Request.Context(), userID(c))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}
