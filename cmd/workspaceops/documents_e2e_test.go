package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// upload posts a multipart form: fields first in the given order, then the file (or the file
// first when fileFirst), as browsers and curl may do either.
func (s *server) upload(t *testing.T, token, wid, filename string, content []byte, fileFirst bool, fields ...string) response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	writeFile := func() {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	if fileFirst {
		writeFile()
	}
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	if !fileFirst {
		writeFile()
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/workspaces/"+wid+"/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return s.do(t, req)
}

func (s *server) do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkContract(t, req, resp.StatusCode, resp.Header, raw)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("body is not JSON: %q", raw)
		}
	}
	return r
}

func (s *server) download(t *testing.T, token, path string, headers ...string) response {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.do(t, req)
}

func TestDocumentUploadDownloadAndLinks(t *testing.T) {
	s := startServer(t, nil)
	wid, owner, member, viewer := s.team(t)
	docs := "/api/v1/workspaces/" + wid + "/documents"
	content := []byte("quarterly numbers, plain text, nothing more\n")
	sum := sha256.Sum256(content)
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)

	up := s.upload(t, member.token, wid, "../../etc/Report Q1.txt", content, true, "title", "Q1 report", "expiresAt", expires).want(t, 201)
	id := up.str("id")
	if up.str("name") != "Report Q1.txt" || up.str("title") != "Q1 report" || up.body["size"] != float64(len(content)) ||
		up.str("sha256") != hex.EncodeToString(sum[:]) || !strings.HasPrefix(up.str("contentType"), "text/plain") ||
		up.str("expiryStatus") != "VALID" || up.str("expiresAt") != expires || up.str("uploadedBy") != member.id {
		t.Fatalf("uploaded %s", up.raw)
	}
	s.upload(t, viewer.token, wid, "x.txt", content, false).want(t, 403, "forbidden")
	stranger := s.register(t, "stranger@example.com")
	s.upload(t, stranger.token, wid, "x.txt", content, false).want(t, 404, "workspace_not_found")

	// Download whole, then a range.
	full := s.download(t, viewer.token, docs+"/"+id+"/content").want(t, 200)
	if full.raw != string(content) || !strings.HasPrefix(full.header.Get("Content-Disposition"), "attachment;") ||
		full.header.Get("Content-Length") != fmt.Sprint(len(content)) || full.header.Get("ETag") == "" ||
		full.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %v %q", full.status, full.header, full.raw)
	}
	part := s.download(t, viewer.token, docs+"/"+id+"/content", "Range", "bytes=10-16").want(t, 206)
	if part.raw != string(content[10:17]) || part.header.Get("Content-Range") != fmt.Sprintf("bytes 10-16/%d", len(content)) {
		t.Fatalf("range: %q %v", part.raw, part.header)
	}
	s.download(t, viewer.token, docs+"/"+id+"/content", "If-None-Match", full.header.Get("ETag")).want(t, 304)

	// Metadata list, get, patch.
	list := s.call("GET", docs+"?q=report", viewer.token, nil).want(t, 200).items()
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("list %v", list)
	}
	soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	patched := s.call("PATCH", docs+"/"+id, member.token, map[string]any{"expiresAt": soon}).want(t, 200)
	if patched.str("expiryStatus") != "EXPIRING_SOON" {
		t.Fatalf("patched %s", patched.raw)
	}
	if n := len(s.call("GET", docs+"?expiryStatus=EXPIRING_SOON", viewer.token, nil).want(t, 200).items()); n != 1 {
		t.Fatalf("expiryStatus filter: %d", n)
	}

	// Link to a work item; deleting the document unlinks it everywhere and removes the bytes.
	items := "/api/v1/workspaces/" + wid + "/work-items"
	wi := s.call("POST", items, member.token, map[string]string{"title": "Review"}).want(t, 201).str("id")
	linked := s.call("PUT", items+"/"+wi+"/documents/"+id, member.token, nil).want(t, 200)
	if fmt.Sprint(linked.body["documentIds"]) != "["+id+"]" {
		t.Fatalf("linked %s", linked.raw)
	}
	s.call("PUT", items+"/"+wi+"/documents/"+id, member.token, nil).want(t, 200)
	s.call("DELETE", docs+"/"+id, member.token, nil).want(t, 403, "forbidden")
	s.call("DELETE", docs+"/"+id, owner.token, nil).want(t, 204)
	if got := s.call("GET", items+"/"+wi, member.token, nil).want(t, 200); fmt.Sprint(got.body["documentIds"]) != "[]" {
		t.Fatalf("deleted document still linked: %s", got.raw)
	}
	s.download(t, viewer.token, docs+"/"+id+"/content").want(t, 404)
	s.call("PUT", items+"/"+wi+"/documents/"+id, member.token, nil).want(t, 404, "document_not_found")

	// A document of another workspace cannot be linked.
	other := s.call("POST", "/api/v1/workspaces", member.token, map[string]string{"name": "Other"}).want(t, 201).str("id")
	foreign := s.upload(t, member.token, other, "f.txt", content, false).want(t, 201).str("id")
	s.call("PUT", items+"/"+wi+"/documents/"+foreign, member.token, nil).want(t, 404, "document_not_found")
}

func TestUploadLimits(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_MAX_UPLOAD_BYTES": "1024"})
	wid, _, member, _ := s.team(t)
	docs := "/api/v1/workspaces/" + wid + "/documents"
	s.upload(t, member.token, wid, "big.bin", bytes.Repeat([]byte("x"), 1025), false).want(t, 413, "file_too_large")
	s.upload(t, member.token, wid, "huge.bin", bytes.Repeat([]byte("x"), 200<<10), false).want(t, 413)
	s.upload(t, member.token, wid, "empty.txt", nil, false).want(t, 400, "validation_failed")
	s.upload(t, member.token, wid, "ok.txt", []byte("hi"), false, "expiresAt", "soon").want(t, 400, "validation_failed")
	s.upload(t, member.token, wid, "ok.txt", []byte("hi"), false, "owner", "me").want(t, 400, "validation_failed")
	// The file first, its fields after: the content streams in before they are read.
	s.upload(t, member.token, wid, "ok.txt", []byte("hi"), true, "expiresAt", "soon").want(t, 400, "validation_failed")
	s.upload(t, member.token, wid, "ok.txt", []byte("hi"), true, "owner", "me").want(t, 400, "validation_failed")
	s.upload(t, member.token, wid, "ok.txt", []byte("hi"), true, "title", "a", "title", "b").want(t, 400, "validation_failed")
	s.upload(t, member.token, wid, "big.bin", bytes.Repeat([]byte("x"), 1025), true, "title", "Big").want(t, 413, "file_too_large")
	s.call("POST", docs, member.token, `{"file":"x"}`).want(t, 415, "unsupported_media_type")
	if n := len(s.call("GET", docs, member.token, nil).want(t, 200).items()); n != 0 {
		t.Fatalf("refused uploads stored %d documents", n)
	}
	exact := s.upload(t, member.token, wid, "exact.bin", bytes.Repeat([]byte{0x00}, 1024), false).want(t, 201)
	if exact.body["size"] != float64(1024) || exact.str("contentType") != "application/octet-stream" {
		t.Fatalf("exact-size upload %s", exact.raw)
	}
}

func TestOverview(t *testing.T) {
	s := startServer(t, nil)
	wid, _, member, viewer := s.team(t)
	items := "/api/v1/workspaces/" + wid + "/work-items"
	a := s.call("POST", items, member.token, map[string]string{"title": "a", "priority": "URGENT", "dueDate": "2001-01-01T00:00:00Z"}).want(t, 201).str("id")
	s.call("POST", items, member.token, map[string]string{"title": "b", "priority": "LOW"}).want(t, 201)
	s.call("PATCH", items+"/"+a+"/status", member.token, map[string]string{"status": "ACTIVE"}).want(t, 200)
	s.upload(t, member.token, wid, "n.txt", []byte("notes"), false).want(t, 201)

	o := s.call("GET", "/api/v1/workspaces/"+wid+"/overview", viewer.token, nil).want(t, 200)
	wi := o.body["workItems"].(map[string]any)
	docs := o.body["documents"].(map[string]any)
	if fmt.Sprint(wi["byStatus"]) != "map[ACTIVE:1 COMPLETED:0 DRAFT:1]" || fmt.Sprint(wi["byPriority"]) != "map[HIGH:0 LOW:1 MEDIUM:0 URGENT:1]" ||
		wi["overdue"] != float64(1) || docs["total"] != float64(1) || fmt.Sprint(docs["byExpiryStatus"]) != "map[EXPIRED:0 EXPIRING_SOON:0 VALID:1]" ||
		o.body["members"] != float64(3) {
		t.Fatalf("overview %s", o.raw)
	}
	if _, ok := o.body["recent"].([]any); !ok {
		t.Fatalf("recent is not a list: %s", o.raw)
	}
	stranger := s.register(t, "stranger@example.com")
	s.call("GET", "/api/v1/workspaces/"+wid+"/overview", stranger.token, nil).want(t, 404)
}

// Refused uploads leave nothing on disk, whichever order the form's parts come in: the
// embedded store's content directory holds only the accepted file afterwards.
func TestRefusedUploadsLeaveNoContent(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, map[string]string{"MONGO_URI": "", "WSO_DATA_DIR": dir, "WSO_MAX_UPLOAD_BYTES": "1024"})
	wid, _, member, viewer := s.team(t)
	for _, fileFirst := range []bool{true, false} {
		s.upload(t, member.token, wid, "a.txt", []byte("hi"), fileFirst, "expiresAt", "2001-01-01T00:00:00Z").want(t, 400, "validation_failed")
		s.upload(t, member.token, wid, "a.txt", []byte("hi"), fileFirst, "colour", "red").want(t, 400, "validation_failed")
		s.upload(t, member.token, wid, "big.bin", bytes.Repeat([]byte("x"), 4096), fileFirst, "title", "Big").want(t, 413, "file_too_large")
		s.upload(t, viewer.token, wid, "a.txt", []byte("hi"), fileFirst).want(t, 403, "forbidden")
	}
	s.upload(t, member.token, wid, "kept.txt", []byte("kept"), true, "title", "Kept").want(t, 201)
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, "content"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 1 {
		t.Fatalf("content files after refused uploads and one accepted: %v, %v", files, err)
	}
}

// Deleting a document while it is being linked never leaves a dangling link: when both answer
// success, the item does not list the deleted document (before the fix, 2-26 of 40 tries did).
func TestDeleteRacingLinkLeavesNoDanglingLink(t *testing.T) {
	s := startServer(t, nil)
	wid, owner, member, _ := s.team(t)
	base := "/api/v1/workspaces/" + wid
	item := s.call("POST", base+"/work-items", member.token, map[string]string{"title": "Racy"}).want(t, 201).str("id")
	for i := range 40 {
		doc := s.upload(t, member.token, wid, fmt.Sprintf("d%d.txt", i), []byte("x"), false).want(t, 201).str("id")
		var wg sync.WaitGroup
		var link, del response
		wg.Go(func() { link = s.call("PUT", base+"/work-items/"+item+"/documents/"+doc, member.token, nil) })
		wg.Go(func() { del = s.call("DELETE", base+"/documents/"+doc, owner.token, nil) })
		wg.Wait()
		if del.status != 204 || (link.status != 200 && link.status != 404) {
			t.Fatalf("try %d: delete %d, link %d %s", i, del.status, link.status, link.raw)
		}
		got := s.call("GET", base+"/work-items/"+item, member.token, nil).want(t, 200)
		for _, d := range got.body["documentIds"].([]any) {
			if d == doc {
				t.Fatalf("try %d: the item links deleted document %s (link answered %d)", i, doc, link.status)
			}
		}
	}
}
