package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/modules/webhook"
	"github.com/workspaceops/workspaceops/platform/page"
)

// webhookJSON is a webhook as answered; the secret only in the creation's answer.
type webhookJSON struct {
	ID               string    `json:"id"`
	WorkspaceID      string    `json:"workspaceId"`
	URL              string    `json:"url"`
	Events           []string  `json:"events"`
	Secret           string    `json:"secret,omitempty"`
	Active           bool      `json:"active"`
	DisabledReason   *string   `json:"disabledReason"`
	LastDeliveredSeq int64     `json:"lastDeliveredSeq"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
}

func toWebhookJSON(w webhook.Webhook) webhookJSON {
	out := webhookJSON{
		ID: w.ID, WorkspaceID: w.WorkspaceID, URL: w.URL, Events: w.Events, Active: w.Active, LastDeliveredSeq: w.Cursor,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(),
	}
	if w.DisabledReason != "" {
		out.DisabledReason = &w.DisabledReason
	}
	return out
}

type deliveryJSON struct {
	ID             string    `json:"id"`
	Seq            int64     `json:"seq"`
	Event          string    `json:"event"`
	Attempt        int       `json:"attempt"`
	Status         string    `json:"status"`
	ResponseStatus *int      `json:"responseStatus"`
	DurationMs     int64     `json:"durationMs"`
	Error          *string   `json:"error"`
	At             time.Time `json:"at"`
}

func toDeliveryJSON(a webhook.Attempt) deliveryJSON {
	out := deliveryJSON{ID: a.DeliveryID, Seq: a.Seq, Event: a.Event, Attempt: a.Attempt, Status: a.Status, DurationMs: a.DurationMs, At: a.At.UTC()}
	if a.ResponseStatus != 0 {
		out.ResponseStatus = &a.ResponseStatus
	}
	if a.Error != "" {
		out.Error = &a.Error
	}
	return out
}

func (a *API) createWebhook(c *gin.Context) {
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Secret *string  `json:"secret"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	w, err := a.webhooks.Create(c.Request.Context(), userID(c), c.Param("wid"), webhook.CreateInput{URL: in.URL, Events: in.Events, Secret: in.Secret})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	out := toWebhookJSON(w)
	out.Secret = w.Secret // shown this once
	c.Header("Location", "/api/v1/workspaces/"+w.WorkspaceID+"/webhooks/"+w.ID)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, out)
}

func (a *API) listWebhooks(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.webhooks.List(c.Request.Context(), userID(c), c.Param("wid"), c.Query("cursor"), limit)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toWebhookJSON))
}

func (a *API) getWebhook(c *gin.Context) {
	w, err := a.webhooks.Get(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toWebhookJSON(w))
}

func (a *API) updateWebhook(c *gin.Context) {
	var in struct {
		URL    *string   `json:"url"`
		Events *[]string `json:"events"`
		Active *bool     `json:"active"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	if in.URL == nil && in.Events == nil && in.Active == nil {
		abortWithError(c, a.log, errNothingToUpdate)
		return
	}
	w, err := a.webhooks.Update(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"),
		webhook.UpdateInput{URL: in.URL, Events: in.Events, Active: in.Active})
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toWebhookJSON(w))
}

func (a *API) deleteWebhook(c *gin.Context) {
	if err := a.webhooks.Delete(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) listWebhookDeliveries(c *gin.Context) {
	limit, err := page.ParseLimit(c.Query("limit"))
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	p, err := a.webhooks.Deliveries(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), c.Query("cursor"), limit)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusOK, toList(p, toDeliveryJSON))
}

func (a *API) redeliverWebhook(c *gin.Context) {
	if err := a.webhooks.Redeliver(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), c.Param("deliveryId")); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted"})
}

func (a *API) replayWebhook(c *gin.Context) {
	var in struct {
		Since *int64 `json:"since"`
	}
	if err := decodeJSON(c, &in); err != nil {
		abortWithError(c, a.log, err)
		return
	}
	if in.Since == nil {
		abortWithError(c, a.log, webhook.ErrBadSince)
		return
	}
	w, err := a.webhooks.Replay(c.Request.Context(), userID(c), c.Param("wid"), c.Param("id"), *in.Since)
	if err != nil {
		abortWithError(c, a.log, err)
		return
	}
	c.JSON(http.StatusAccepted, toWebhookJSON(w))
}
