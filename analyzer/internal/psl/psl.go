// Package psl is golang.org/x/net/publicsuffix's EffectiveTLDPlusOne,
// remembered across messages: a mailbox names the same few relays and
// sender domains over and over, and the list lookup (with the error value
// netip.ParseAddr allocates inside it for every host name) was the dearest
// step of the trust walk and of the identity findings. The memory is
// bounded: once full, new names are looked up but not remembered, so
// hostile input naming a new host on every hop costs only the lookup.
package psl

import (
	"sync"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

type answer struct {
	org string
	err error
}

var (
	memo    sync.Map // domain -> answer
	entries atomic.Int64
)

// maxEntries bounds the memory: a few MiB at most.
const maxEntries = 1 << 14

// EffectiveTLDPlusOne is publicsuffix.EffectiveTLDPlusOne, remembered.
func EffectiveTLDPlusOne(domain string) (string, error) {
	if a, ok := memo.Load(domain); ok {
		return a.(answer).org, a.(answer).err
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if entries.Load() < maxEntries {
		entries.Add(1)
		// A clone: domain may be a substring of a whole header section.
		memo.Store(string([]byte(domain)), answer{org, err})
	}
	return org, err
}
