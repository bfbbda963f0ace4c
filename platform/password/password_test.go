package password

import (
	"strings"
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
