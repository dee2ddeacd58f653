package domain

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	mathrand "math/rand/v2"
)

// newSecretUUID returns a random (version 4) UUID from the system's
// cryptographic source, as a session token must be.
func newSecretUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	var s [36]byte
	return string(appendUUID(s[:0], b))
}

// keyHead is the length of the head of a request's key, before its
// requestId: the request's number in its world, in 16 hex digits, and a
// dash.
const keyHead = 17

// newRequestKey returns the key of the request numbered seq in its world,
// followed by suffix in the same string: its number (keyHead), then its
// requestId, a random (version 4) UUID as ThingSpace's are, a name, not a
// secret, drawn from the runtime's generator (ChaCha8, seeded by the
// system) without a system call. A state file keeps a request, and its
// actions, under their keys: those of new requests sort after those of
// older ones, so that a commit appends to the end of a bucket and
// forgetting the oldest takes from its start, a few pages each, where
// random keys had a commit write a page for every record.
func newRequestKey(seq uint64, suffix string) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], mathrand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], mathrand.Uint64())
	var s [keyHead + 40]byte
	return string(append(appendUUID(appendHead(s[:0], seq), b), suffix...))
}

// RequestKey is the key of the request numbered seq whose requestId is id.
func RequestKey(seq uint64, id string) string {
	var s [keyHead + 36]byte
	return string(append(appendHead(s[:0], seq), id...))
}

// idOfKey is the requestId a request's key ends with.
func idOfKey(key string) string { return key[min(keyHead, len(key)):] }

// appendHead appends the head of a key: seq in 16 hex digits, and a dash.
func appendHead(dst []byte, seq uint64) []byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], seq)
	return append(hex.AppendEncode(dst, n[:]), '-')
}

// appendUUID appends 16 random bytes as a version 4 UUID.
func appendUUID(dst []byte, b [16]byte) []byte {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	dst = hex.AppendEncode(dst, b[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, b[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, b[10:])
}

// isUUID reports whether s has the 8-4-4-4-12 hexadecimal form of a GUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// newAccessToken returns an opaque OAuth access token.
func newAccessToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
