package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/workspaceops/workspaceops/platform/apperr"
	"github.com/workspaceops/workspaceops/platform/ids"
	"github.com/workspaceops/workspaceops/platform/logging"
	"github.com/workspaceops/workspaceops/platform/problem"
)

const headerRequestID = "X-Request-Id"

// requestID gives every request an id (the caller's, when it is sane) carried in the context,
// so every log line of the request names it, and echoed in the response.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerRequestID)
		if !saneRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Header(headerRequestID, id)
		c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// accessLog writes one line per request. The query string is left out: it is not ours to log.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Int("bytes", c.Writer.Size()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", c.ClientIP()),
		)
	}
}

// MaxHeaderBytes bounds a request's line and headers. The server reads up to ServerHeaderBytes
// before net/http itself refuses (with a plain-text 431); between the two, limitHeaders
// answers a problem document like every other error.
const (
	MaxHeaderBytes    = 64 << 10
	ServerHeaderBytes = 1 << 20
)

var errHeadersTooLarge = apperr.New(apperr.TooLarge, "headers_too_large",
	"the request line and headers exceed 64 KiB; shorten the URL or drop headers")

// limitHeaders refuses a request whose URL and headers exceed MaxHeaderBytes with 431.
func limitHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		n := len(c.Request.Method) + len(c.Request.RequestURI) + len(c.Request.Proto) + 4
		for k, vs := range c.Request.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4
			}
		}
		if n > MaxHeaderBytes {
			problem.Header(c.Writer.Header(), errHeadersTooLarge)
			c.AbortWithStatusJSON(http.StatusRequestHeaderFieldsTooLarge, problem.Document(c.Request.Context(),
				http.StatusRequestHeaderFieldsTooLarge, errHeadersTooLarge.Code, errHeadersTooLarge.Message, nil))
			return
		}
		c.Next()
	}
}

// recoverPanics turns a panic into a logged 500 problem instead of a dropped connection.
func recoverPanics(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(c.Request.Context(), "panic while serving", slog.Any("panic", v), slog.String("path", c.Request.URL.Path))
				if !c.Writer.Written() {
					answer(c, problem.ErrInternal)
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// limitBody caps every request body at max, or at the limit given for its route; a longer
// body fails decoding with 413.
func limitBody(max int64, perRoute map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := max
		if l, ok := perRoute[c.FullPath()]; ok {
			limit = l
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

var (
	corsMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Api-Key, X-Request-Id, traceparent"
	corsExpose  = "ETag, Idempotent-Replayed, Location, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id, traceparent"
)

// cors answers the configured browser origins, exactly, and refuses others. Credentials are
// bearer tokens in a header, never cookies, so Allow-Credentials is never sent and a wildcard is
// never needed. Requests without an Origin (curl, servers) are not affected.
// sameHost reports an Origin naming the host the request was sent to: a page served by this
// server itself, which needs no configuration (the WebSocket handshake accepts it likewise).
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

func cors(log *slog.Logger, allowed []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		c.Writer.Header().Add("Vary", "Origin")
		if origin == "" {
			c.Next()
			return
		}
		if !slices.Contains(allowed, origin) && !sameHost(origin, c.Request.Host) {
			abortWithError(c, log, errOriginNotAllowed)
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExpose)
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// validIDs refuses a request whose path ids are not well formed, before any handler runs.
func validIDs(log *slog.Logger, params ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, p := range params {
			if v, ok := c.Params.Get(p); ok && !ids.Valid(v) {
				abortWithError(c, log, errInvalidID.WithMessage("the "+p+" in the path is malformed"))
				return
			}
		}
		c.Next()
	}
}

// credential extracts what a request presents: its bearer token, or else its X-Api-Key.
func credential(c *gin.Context) (string, bool) {
	if tok, ok := bearerToken(c); ok || c.GetHeader("Authorization") != "" {
		return tok, ok
	}
	key := strings.TrimSpace(c.GetHeader(headerAPIKey))
	return key, key != ""
}

// headerAPIKey carries an API key, as an alternative to Authorization: Bearer.
const headerAPIKey = "X-Api-Key"

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(c *gin.Context) (string, bool) {
	scheme, tok, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
