package idempotency

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// A stored answer can hold what must not rest in the database in the clear: the token of a
// new API key, a webhook's secret. So the database holds neither the Idempotency-Key nor the
// answer as sent: the record is found by a hash of the key, and its body is sealed (AES-256-GCM)
// with a key derived from the Idempotency-Key, which only the caller holds. Reading the
// database does not reveal an answer; presenting the key again does.

// sealed is the record id and the body key that one Idempotency-Key of one principal derives.
type sealed struct {
	id      string // what the record is stored under
	bodyKey []byte // AES-256 key of the stored body
}

func derive(scope, key string) sealed {
	id := sha256.Sum256([]byte("workspaceops/idempotency/id\n" + scope + "\n" + key))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("workspaceops/idempotency/body\n" + scope))
	return sealed{id: hex.EncodeToString(id[:]), bodyKey: m.Sum(nil)}
}

func (s sealed) aead() cipher.AEAD {
	block, err := aes.NewCipher(s.bodyKey)
	if err != nil {
		panic(err) // unreachable: the key is always 32 bytes
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // unreachable: AES has a 16-byte block
	}
	return g
}

// seal returns nonce || ciphertext of body, bound to the record id.
func (s sealed) seal(body []byte) []byte {
	g := s.aead()
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(body)+g.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return g.Seal(nonce, nonce, body, []byte(s.id))
}

var errUnsealable = errors.New("stored answer does not open with this key")

func (s sealed) open(stored []byte) ([]byte, error) {
	g := s.aead()
	if len(stored) < g.NonceSize() {
		return nil, errUnsealable
	}
	body, err := g.Open(nil, stored[:g.NonceSize()], stored[g.NonceSize():], []byte(s.id))
	if err != nil {
		return nil, errUnsealable
	}
	return body, nil
}
