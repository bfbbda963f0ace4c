package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryEmbeddedStoreSurvivesRestart runs the real binary the way `make run` does (embedded
// store, no MONGO_URI, no JWT_SECRET), checks it stops cleanly on SIGTERM, and that what was
// written is still there after a restart on the same data dir.
func TestBinaryEmbeddedStoreSurvivesRestart(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "workspaceops")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()

	start := func() (*exec.Cmd, string) {
		t.Helper()
		addr := freeAddr(t)
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "WSO_ADDR="+addr, "WSO_METRICS_ADDR=off", "WSO_DATA_DIR="+dataDir, "MONGO_URI=", "JWT_SECRET=", "WSO_LOG_FORMAT=json")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		// The log names the URL it serves and warns that the JWT secret was generated.
		lines := make(chan map[string]any, 64)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				var line map[string]any
				if json.Unmarshal(sc.Bytes(), &line) == nil {
					lines <- line
				}
			}
			close(lines)
		}()
		var warned bool
		timeout := time.After(60 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatal("binary exited before serving")
				}
				if msg, _ := line["msg"].(string); strings.Contains(msg, "JWT_SECRET is not set") {
					warned = true
				}
				if line["msg"] == "WorkspaceOps is serving" {
					if line["url"] != "http://"+addr || !warned {
						t.Fatalf("serving line %v (warned about secret: %v)", line, warned)
					}
					go func() {
						for range lines {
						}
					}()
					return cmd, "http://" + addr
				}
			case <-timeout:
				t.Fatal("binary did not start serving in 60s")
			}
		}
	}
	stop := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no exit within 30s of SIGTERM")
		}
	}

	cmd, base := start()
	s := &server{base: base, t: t}
	s.register(t, "ann@example.com")
	stop(cmd)

	cmd, base = start()
	s = &server{base: base, t: t}
	r := s.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "correct-horse"})
	r.want(t, http.StatusOK)
	s.call("GET", "/readyz", "", nil).want(t, http.StatusOK)

	// A second process on the same data directory is refused at start, naming the holder,
	// instead of serving a second copy of the data.
	second := exec.Command(bin)
	second.Env = append(os.Environ(), "WSO_ADDR="+freeAddr(t), "WSO_METRICS_ADDR=off", "WSO_DATA_DIR="+dataDir, "MONGO_URI=", "JWT_SECRET=", "WSO_LOG_FORMAT=text")
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); err == nil || code != 1 ||
		!strings.Contains(string(out), "in use by another process") || !strings.Contains(string(out), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("second process on the data directory: exit %d, %v\n%s", code, err, out)
	}
	stop(cmd)
}
