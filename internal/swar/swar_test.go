package swar

import (
	"encoding/binary"
	"testing"
)

func TestLoad(t *testing.T) {
	for _, s := range []string{"\x00\x00\x00\x00\x00\x00\x00\x00", "abcdefgh", "\xff\x01\x80\x7f ()\\\"", "12345678and more"} {
		if got, want := Load(s), binary.LittleEndian.Uint64([]byte(s)); got != want {
			t.Errorf("Load(%q) = %#x, want %#x", s, got, want)
		}
	}
	for i := range 8 {
		if b := byte(uint64(Lo) >> (8 * i)); b != 1 {
			t.Errorf("byte %d of Lo is %#x", i, b)
		}
		if b := byte(uint64(Hi) >> (8 * i)); b != 0x80 {
			t.Errorf("byte %d of Hi is %#x", i, b)
		}
	}
}
