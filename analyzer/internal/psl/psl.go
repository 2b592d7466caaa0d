// Package psl is golang.org/x/net/publicsuffix's EffectiveTLDPlusOne,
// remembered across messages: a mailbox names the same few relays and
// sender domains over and over, and the list lookup (with the error value
// netip.ParseAddr allocates inside it for every host name) was the dearest
// step of the trust walk and of the identity findings.
//
// The memory is a fixed table of slots, each holding the last name that
// hashed to it: bounded whatever the input (hostile input naming a new
// host on every hop only keeps replacing slots), and a look-up is one hash,
// one atomic load and one string compare, where a sync.Map took about 360
// instructions.
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
	slot := &slots[maphashString(domain)&(1<<slotBits-1)]
	if e := slot.Load(); e != nil && e.domain == domain {
		return e.org, e.err
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	slot.Store(newEntry(domain, org, err))
	return org, err
}

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
