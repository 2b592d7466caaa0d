package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mailtrace/mailtrace/internal/dnsfake"
	"github.com/mailtrace/mailtrace/report"
)

// TestAPIVerify: with Report.Verify (serve --verify) the handler keeps the
// whole pasted message, so DKIM re-checks against the body: a signed message
// passes, the same message with its body changed fails with a finding.
func TestAPIVerify(t *testing.T) {
	signed, res := dnsfake.SignedMessage(t)

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
	v, _ := verified(on, signed)
	if v == nil || len(v.DKIM) != 1 || v.DKIM[0].Result != "pass" || v.DKIM[0].Domain != "shop.example" {
		t.Errorf("signed: %+v", v)
	}
	tampered := bytes.Replace(signed, []byte("Hello."), []byte("Pay me."), 1)
	v, r := verified(on, tampered)
	if v == nil || len(v.DKIM) != 1 || v.DKIM[0].Result != "fail" || !hasFinding(r, report.CodeVerifyDKIM) {
		t.Errorf("tampered: %+v %+v", v, r.Findings)
	}
	off := newTestHandler(Config{})
	if v, _ := verified(off, signed); v != nil {
		t.Errorf("without Verify: %+v", v)
	}
}
