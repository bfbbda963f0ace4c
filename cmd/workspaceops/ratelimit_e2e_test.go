package main

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// TestRateLimitHeadersAnd429: every authenticated answer carries the RateLimit headers, counting
// down per user or key; past the limit the answer is 429 rate_limited with Retry-After, and
// another principal is not affected.
func TestRateLimitHeadersAnd429(t *testing.T) {
	s := startServer(t, map[string]string{"WSO_RATE_LIMIT": "5/min"})
	ann := s.register(t, "ann@example.com")
	bob := s.register(t, "bob@example.com")
	for i := range 5 {
		r := s.call("GET", "/api/v1/me", ann.token, nil).want(t, 200)
		if r.header.Get("RateLimit-Limit") != "5" || r.header.Get("RateLimit-Remaining") != strconv.Itoa(4-i) {
			t.Fatalf("request %d: RateLimit-Limit %q, -Remaining %q", i+1, r.header.Get("RateLimit-Limit"), r.header.Get("RateLimit-Remaining"))
		}
		if reset, err := strconv.Atoi(r.header.Get("RateLimit-Reset")); err != nil || reset < 1 || reset > 60 {
			t.Fatalf("request %d: RateLimit-Reset %q", i+1, r.header.Get("RateLimit-Reset"))
		}
	}
	over := s.call("GET", "/api/v1/me", ann.token, nil).want(t, 429, "rate_limited")
	if ra, err := strconv.Atoi(over.header.Get("Retry-After")); err != nil || ra < 1 || ra > 12 {
		t.Fatalf("Retry-After %q", over.header.Get("Retry-After"))
	}
	if over.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("429 with RateLimit-Remaining %q", over.header.Get("RateLimit-Remaining"))
	}
	// Every route of the user counts; another user has their own allowance; health does not count.
	s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "x"}).want(t, 429, "rate_limited")
	s.call("GET", "/api/v1/me", bob.token, nil).want(t, 200)
	s.call("GET", "/healthz", "", nil).want(t, 200)
}

// TestIdempotentCreation: a POST retried with its Idempotency-Key gets the first answer again
// and creates nothing; the key with another body is 422; concurrent duplicates create once; the
// key is the caller's own; an upload's retry matches although its multipart boundary differs.
func TestIdempotentCreation(t *testing.T) {
	s := startServer(t, nil)
	ann := s.register(t, "ann@example.com")
	bob := s.register(t, "bob@example.com")
	wid := s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}, "Idempotency-Key", "ws-1").want(t, 201).str("id")
	base := "/api/v1/workspaces/" + wid
	s.call("POST", base+"/members", ann.token, map[string]string{"email": bob.email, "role": "MEMBER"}).want(t, 201)
	items := base + "/work-items"

	first := s.call("POST", items, ann.token, map[string]string{"title": "Once"}, "Idempotency-Key", "order 42").want(t, 201)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the first answer says it is replayed")
	}
	again := s.call("POST", items, ann.token, map[string]string{"title": "Once"}, "Idempotency-Key", "order 42").want(t, 201)
	if again.header.Get("Idempotent-Replayed") != "true" || again.raw != first.raw || again.header.Get("Location") != first.header.Get("Location") ||
		again.header.Get("ETag") != first.header.Get("ETag") {
		t.Fatalf("replay %v %s, first %v %s", again.header, again.raw, first.header, first.raw)
	}
	s.call("POST", items, ann.token, map[string]string{"title": "Twice"}, "Idempotency-Key", "order 42").want(t, 422, "idempotency_key_reused")
	s.call("POST", base+"/documents", ann.token, `x`, "Idempotency-Key", "order 42", "Content-Type", "text/plain").want(t, 422, "idempotency_key_reused")
	s.call("POST", items, ann.token, map[string]string{"title": "Bad key"}, "Idempotency-Key", "tab\there").want(t, 400, "invalid_idempotency_key")
	// Bob's key of the same name is his own.
	s.call("POST", items, bob.token, map[string]string{"title": "Once"}, "Idempotency-Key", "order 42").want(t, 201)
	if n := len(s.call("GET", items, ann.token, nil).want(t, 200).items()); n != 2 {
		t.Fatalf("%d work items, want ann's one and bob's one", n)
	}
	// A refused request is answered again as it was (4xx are final), without running.
	s.call("POST", items, ann.token, map[string]string{"title": " "}, "Idempotency-Key", "blank").want(t, 400, "validation_failed")
	if r := s.call("POST", items, ann.token, map[string]string{"title": " "}, "Idempotency-Key", "blank").want(t, 400, "validation_failed"); r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a refused request's retry was not replayed")
	}
	// The workspace created with ws-1 is not created twice.
	s.call("POST", "/api/v1/workspaces", ann.token, map[string]string{"name": "Launch"}, "Idempotency-Key", "ws-1").want(t, 201)
	if n := len(s.call("GET", "/api/v1/workspaces", ann.token, nil).want(t, 200).items()); n != 1 {
		t.Fatalf("%d workspaces after a replayed creation", n)
	}

	// Ten concurrent duplicates: one creation; the others replay it or are told it is running.
	var wg sync.WaitGroup
	answers := make([]response, 10)
	for i := range answers {
		wg.Go(func() {
			answers[i] = s.call("POST", items, ann.token, map[string]string{"title": "Racing"}, "Idempotency-Key", "race")
		})
	}
	wg.Wait()
	fresh := 0
	for _, r := range answers {
		switch {
		case r.status == 201 && r.header.Get("Idempotent-Replayed") == "":
			fresh++
		case r.status == 201, r.status == 409 && r.body["code"] == "idempotency_key_in_use":
		default:
			t.Fatalf("a concurrent duplicate answered %d %s", r.status, r.raw)
		}
	}
	racing := 0
	for _, it := range s.call("GET", items+"?limit=200", ann.token, nil).want(t, 200).items() {
		if it["title"] == "Racing" {
			racing++
		}
	}
	if fresh != 1 || racing != 1 {
		t.Fatalf("%d fresh answers and %d items from ten duplicates, want one of each", fresh, racing)
	}

	// An upload larger than what is held in memory, retried with another multipart boundary.
	content := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB
	body, ct := multipartBody(t, "big.bin", content)
	up := s.call("POST", base+"/documents", ann.token, body, "Content-Type", ct, "Idempotency-Key", "upload-1").want(t, 201)
	body2, ct2 := multipartBody(t, "big.bin", content)
	if ct2 == ct {
		t.Fatal("the two uploads share a boundary: the test proves nothing")
	}
	up2 := s.call("POST", base+"/documents", ann.token, body2, "Content-Type", ct2, "Idempotency-Key", "upload-1").want(t, 201)
	if up2.header.Get("Idempotent-Replayed") != "true" || up2.str("id") != up.str("id") {
		t.Fatalf("the retried upload %v %s", up2.header, up2.raw)
	}
	other, ct3 := multipartBody(t, "big.bin", append(content, '!'))
	s.call("POST", base+"/documents", ann.token, other, "Content-Type", ct3, "Idempotency-Key", "upload-1").want(t, 422, "idempotency_key_reused")
	if docs := s.call("GET", base+"/documents", ann.token, nil).want(t, 200).items(); len(docs) != 1 {
		t.Fatalf("%d documents after a replayed upload: %v", len(docs), fmt.Sprint(docs))
	}
}
