// Package httpapi is the REST adapter: a gin router whose handlers decode and validate requests
// at the edge, call the modules' use cases, and encode answers. Every non-2xx answer is an
// RFC 9457 problem document built in one place (problem.go) from the platform's error kinds.
package httpapi
