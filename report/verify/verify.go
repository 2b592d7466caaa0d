// Package verify re-checks a message's authentication live (--verify): its
// DKIM signatures against the keys published in DNS now (RFC 6376, with
// github.com/emersion/go-msgauth/dkim) and the SPF policy of its envelope
// domain for the IP that handed it to the recipient (RFC 7208, a compact
// evaluator of its own). Every lookup takes the caller's context and its own
// deadline; the DNS is a Resolver, so tests use a fake or a loopback server.
//
// A live check says what the DNS says today: keys rotate and SPF records
// change, so a failure long after delivery is not proof of forgery.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtrace/mailtrace/analyzer/auth"
	"github.com/mailtrace/mailtrace/analyzer/header"
)

// LookupTimeout bounds each DNS query.
var LookupTimeout = 5 * time.Second

// MaxSignatures is how many DKIM signatures are checked per message.
const MaxSignatures = 10

// Sentinel errors.
var (
	ErrNoBody     = errors.New("verify: the message has no body: DKIM needs the whole message")
	ErrDKIMFailed = errors.New("verify: dkim verification could not run")
)

// DKIM results.
const (
	DKIMPass      = "pass"
	DKIMFail      = "fail"
	DKIMTempError = "temperror"
	DKIMPermError = "permerror"
)

// DKIMCheck is the live verification of one DKIM-Signature.
type DKIMCheck struct {
	Domain     string
	Selector   string
	Identifier string
	Result     string // one of the DKIM* constants
	Error      string // why not pass, "" on pass
}

// Result is what --verify found.
type Result struct {
	DKIM []DKIMCheck
	SPF  *SPFCheck // nil when there is no entry IP or envelope domain
	// Errors are problems that prevented a check (no body, nothing to check).
	Errors []string
}

// Verify re-checks raw (a whole message, header and body) live: every
// DKIM-Signature, and SPF for entryIP (the address that handed the message
// to the recipient, invalid when unknown) and envelopeDomain (the MAIL FROM
// domain, or the HELO name for a null sender, "" when unknown). It returns
// what it could check beside the first error that stopped a check.
func Verify(ctx context.Context, raw []byte, entryIP netip.Addr, envelopeDomain string, r Resolver) (*Result, error) {
	res := &Result{}
	var first error
	note := func(err error) {
		res.Errors = append(res.Errors, err.Error())
		if first == nil {
			first = err
		}
	}
	checks, err := CheckDKIM(ctx, r, raw)
	res.DKIM = checks
	if err != nil {
		note(err)
	}
	envelopeDomain = strings.TrimSpace(envelopeDomain)
	if _, dom, ok := strings.Cut(envelopeDomain, "@"); ok {
		envelopeDomain = dom
	}
	envelopeDomain = strings.Trim(envelopeDomain, "<> ")
	if entryIP.IsValid() && envelopeDomain != "" {
		c := CheckSPF(ctx, r, entryIP, envelopeDomain, "")
		res.SPF = &c
	}
	return res, first
}

// CheckDKIM verifies every DKIM-Signature of raw (at most MaxSignatures)
// with keys looked up through r. A message without a body (a header
// block) cannot be verified: the error wraps ErrNoBody.
func CheckDKIM(ctx context.Context, r Resolver, raw []byte) ([]DKIMCheck, error) {
	h, _ := header.Parse(raw)
	var sigs []auth.DKIMSignature
	for _, f := range h {
		if strings.EqualFold(f.Name, "DKIM-Signature") {
			sigs = append(sigs, auth.ParseDKIMSignature(f.Value))
		}
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	if !hasBody(raw) {
		return nil, fmt.Errorf("%w (%d signature(s) not checked)", ErrNoBody, len(sigs))
	}
	lookup := func(name string) ([]string, error) {
		c, cancel := context.WithTimeout(ctx, LookupTimeout)
		defer cancel()
		// returned unwrapped: dkim tells temporary errors by their net.Error type
		return r.LookupTXT(c, name)
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: MaxSignatures,
	})
	var out []DKIMCheck
	for i, v := range verifs {
		c := DKIMCheck{Domain: v.Domain, Identifier: v.Identifier, Result: DKIMPass}
		if i < len(sigs) {
			c.Selector = sigs[i].Selector
			if c.Domain == "" {
				c.Domain = sigs[i].Domain
			}
		}
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			c.Result, c.Error = DKIMTempError, v.Err.Error()
		case dkim.IsPermFail(v.Err):
			c.Result, c.Error = DKIMPermError, v.Err.Error()
		default:
			c.Result, c.Error = DKIMFail, v.Err.Error()
		}
		out = append(out, c)
	}
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return out, fmt.Errorf("%w: %v", ErrDKIMFailed, err)
	}
	return out, nil
}

// hasBody reports whether raw holds an empty line ending the header section.
func hasBody(raw []byte) bool {
	return bytes.Contains(raw, []byte("\n\n")) || bytes.Contains(raw, []byte("\r\n\r\n"))
}
