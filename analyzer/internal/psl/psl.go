// Package psl is golang.org/x/net/publicsuffix's EffectiveTLDPlusOne,
// remembered across messages: a mailbox names the same few relays and
// sender domains over and over, and the list lookup (with the error value
// netip.ParseAddr allocates inside it for every host name) was the dearest
// step of the trust walk and of the identity findings.
//
// The memory is a fixed table of slots: bounded whatever the input
// (hostile input naming a new host on every hop only keeps replacing
// slots), and a look-up is one hash, one atomic load and one string
// compare, where a sync.Map took about 360 instructions. A name may be in
// either of two slots its hash picks: with one, two of a mailbox's few
// hundred names that shared a slot (likely, with a random seed) kept
// putting each other out, and the bench mbox looked up 1,100 to 2,000
// names again from run to run, each some 500 instructions.
package psl

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// entry is one remembered answer. Its strings are its own: the domain
// asked about may be a substring of a whole header section, which a
// remembered view would keep alive.
type entry struct {
	domain, org string
	err         error
}

// slotBits sizes the table: 4,096 slots, some 100 bytes each when full.
const slotBits = 12

var (
	slots [1 << slotBits]atomic.Pointer[entry]
	seed  = maphash.MakeSeed()
)

// EffectiveTLDPlusOne is publicsuffix.EffectiveTLDPlusOne, remembered.
func EffectiveTLDPlusOne(domain string) (string, error) {
	h := maphashString(domain)
	first := &slots[h&slotMask]
	if e := first.Load(); e != nil && e.domain == domain {
		return e.org, e.err
	}
	second := &slots[h>>slotBits&slotMask]
	if e := second.Load(); e != nil && e.domain == domain {
		return e.org, e.err
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	// An empty slot of the two, else the second: what is in the first
	// stays, so that of three names sharing the pair two keep their place.
	slot := second
	if first.Load() == nil {
		slot = first
	}
	slot.Store(newEntry(domain, org, err))
	return org, err
}

const slotMask = 1<<slotBits - 1

// newEntry copies domain once and takes org from the copy: org is a suffix
// of domain (or else copied on its own).
func newEntry(domain, org string, err error) *entry {
	d := strings.Clone(domain)
	e := &entry{domain: d, err: err}
	if strings.HasSuffix(d, org) {
		e.org = d[len(d)-len(org):]
	} else {
		e.org = strings.Clone(org)
	}
	return e
}

func maphashString(s string) uint64 { return maphash.String(seed, s) }
