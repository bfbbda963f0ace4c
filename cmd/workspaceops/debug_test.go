package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPprofOnlyWhenAskedAndOnLoopback: WSO_DEBUG_ADDR turns on profiles on its own loopback
// listener; the API port never serves them.
func TestPprofOnlyWhenAskedAndOnLoopback(t *testing.T) {
	debug := freeAddr(t)
	s := startServer(t, map[string]string{"WSO_DEBUG_ADDR": debug})
	resp, err := http.Get("http://" + debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof answered %d %.80q", resp.StatusCode, body)
	}
	s.call("GET", "/debug/pprof/", "", nil).want(t, 404, "route_not_found")

}
