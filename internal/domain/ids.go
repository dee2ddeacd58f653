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

// newRequestID returns a random (version 4) UUID, as ThingSpace's request
// ids are, followed by suffix in the same string: a name, not a secret,
// drawn from the runtime's generator (ChaCha8, seeded by the system)
// without a system call.
func newRequestID(suffix string) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], mathrand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], mathrand.Uint64())
	var s [40]byte
	return string(append(appendUUID(s[:0], b), suffix...))
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
