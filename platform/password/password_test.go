package password

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1})
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q not in PHC format", hash)
	}
	if strings.Contains(hash, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if ok, err := h.Verify(hash, "correct horse"); err != nil || !ok {
		t.Fatalf("right password: ok=%v err=%v", ok, err)
	}
	if ok, err := h.Verify(hash, "correct horsf"); err != nil || ok {
		t.Fatalf("wrong password: ok=%v err=%v", ok, err)
	}
	other, _ := h.Hash("correct horse")
	if other == hash {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	// Hashes made with other parameters still verify: the parameters travel in the hash.
	if ok, _ := NewHasher(Default).Verify(hash, "correct horse"); !ok {
		t.Fatal("verification depends on the hasher's own parameters")
	}
}

func TestVerifyRejectsGarbage(t *testing.T) {
	h := NewHasher(Default)
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA"} {
		if ok, err := h.Verify(bad, "pw"); err == nil || ok {
			t.Errorf("Verify(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

// A burst of hashes and verifications runs at most GOMAXPROCS at a time, so the memory each
// holds does not grow with the number of requests in flight.
func TestConcurrentHashesAreBounded(t *testing.T) {
	h := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1})
	var running, most atomic.Int32
	argon := h.key
	h.key = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		defer running.Add(-1)
		return argon(pw, salt, time, memory, threads, keyLen)
	}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if i%2 == 0 {
				_, _ = h.Hash("correct horse")
			} else if ok, err := h.Verify(hash, "correct horse"); !ok || err != nil {
				t.Error(ok, err)
			}
		})
	}
	wg.Wait()
	if limit := int32(runtime.GOMAXPROCS(0)); most.Load() > limit || most.Load() < 1 {
		t.Fatalf("%d hashes ran at once, want at most %d", most.Load(), limit)
	}
}
