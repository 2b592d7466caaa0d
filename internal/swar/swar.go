// Package swar holds what the parsers' word-at-a-time scans share: eight
// bytes of a string read as one number, and the per-byte constants of the
// "has a zero byte" tricks (x - Lo*1) &^ x & Hi.
package swar

const (
	Lo = 0x0101010101010101 // one in each byte
	Hi = 0x8080808080808080 // the high bit of each byte
)

// Load returns s[:8] as a little-endian number, the first byte the lowest
// (the compiler makes it one load, as in unicode/utf8). s must hold eight
// bytes.
func Load(s string) uint64 {
	s = s[:8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
