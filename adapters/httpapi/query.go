package httpapi

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
)

// queryList reads a query parameter that may repeat and hold comma-separated values
// ("status=DRAFT&status=ACTIVE,COMPLETED"), parsing each; the first value parse refuses is
// reported once, against the parameter, with problem.
func queryList[T any](c *gin.Context, name string, parse func(string) (T, error), problem string, fields *apperr.Fields) []T {
	var out []T
	for _, s := range c.QueryArray(name) {
		for _, part := range strings.Split(s, ",") {
			v, err := parse(strings.TrimSpace(part))
			if err != nil {
				fields.Add(name, problem)
				return nil
			}
			out = append(out, v)
		}
	}
	return out
}

// queryTime reads an optional RFC 3339 query parameter.
func queryTime(c *gin.Context, name string, fields *apperr.Fields) *time.Time {
	s := c.Query(name)
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		fields.Add(name, "must be an RFC 3339 time such as 2026-05-01T09:00:00Z")
		return nil
	}
	return &t
}
