package httpapi

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/observe"
	"github.com/workspaceops/workspaceops/platform/ratelimit"
)

var errRateLimited = apperr.New(apperr.RateLimited, "rate_limited",
	"too many requests for this API key or user; wait for Retry-After seconds (see the RateLimit-* headers)")

// limitRate counts every authenticated request against its principal (an API key, or a user
// over all their tokens) and answers the IETF RateLimit-Limit, -Remaining and -Reset headers;
// over the limit it answers 429 with Retry-After, counted by refused when not nil. Per
// instance: in a cluster each limits alone.
func (a *API) limitRate(b *ratelimit.Buckets, refused observe.Counter) gin.HandlerFunc {
	return func(c *gin.Context) {
		d := b.Take(principal(c).UserID)
		h := c.Writer.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.Reset)))
		if !d.Allowed {
			if refused != nil {
				refused.Add(1)
			}
			abortWithError(c, a.log, errRateLimited.WithRetryAfter(time.Duration(ceilSeconds(d.RetryAfter))*time.Second))
			return
		}
		c.Next()
	}
}

// ceilSeconds rounds up to whole seconds, at least 1 for anything positive.
func ceilSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
