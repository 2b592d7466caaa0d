package web

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailtrace/mailtrace/internal/dnsfake"
	"github.com/mailtrace/mailtrace/report"
)

// TestAPIVerify: with Report.Verify (serve --verify) the handler keeps the
// whole pasted message, so DKIM re-checks against the body: a signed message
// passes, the same message with its body changed fails with a finding.
func TestAPIVerify(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const msg = "From: Shop <news@shop.example>\r\nTo: user@recipient.example\r\nSubject: Offer\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <offer.1@shop.example>\r\n\r\nHello.\r\n"
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "shop.example", Selector: "sel", Signer: key}); err != nil {
		t.Fatal(err)
	}
	res := dnsfake.TXT{"sel._domainkey.shop.example": "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}

	verified := func(h http.Handler, raw []byte) (*report.Verification, *report.Report) {
		t.Helper()
		rec := do(t, h, httptest.NewRequest("POST", "/api/trace", bytes.NewReader(raw)))
		var r report.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != 200 {
			t.Fatalf("%d %v: %s", rec.Code, err, rec.Body)
		}
		if r.Auth == nil {
			return nil, &r
		}
		return r.Auth.Verified, &r
	}
	on := newTestHandler(Config{Report: report.Options{Verify: true, Resolver: res}})
	v, _ := verified(on, signed.Bytes())
	if v == nil || len(v.DKIM) != 1 || v.DKIM[0].Result != "pass" || v.DKIM[0].Domain != "shop.example" {
		t.Errorf("signed: %+v", v)
	}
	tampered := bytes.Replace(signed.Bytes(), []byte("Hello."), []byte("Pay me."), 1)
	v, r := verified(on, tampered)
	if v == nil || len(v.DKIM) != 1 || v.DKIM[0].Result != "fail" || !hasFinding(r, report.CodeVerifyDKIM) {
		t.Errorf("tampered: %+v %+v", v, r.Findings)
	}
	off := newTestHandler(Config{})
	if v, _ := verified(off, signed.Bytes()); v != nil {
		t.Errorf("without Verify: %+v", v)
	}
}
