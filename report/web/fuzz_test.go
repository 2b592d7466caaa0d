package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzPage: whatever is pasted, the page renders, holds no markup from the
// input, and the API answers JSON.
func FuzzPage(f *testing.F) {
	for _, name := range []string{"sample.eml", "three-hops.eml", "xss.eml"} {
		b, err := readFixtureFS(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Subject: <b>x</b>\r\nReceived: from <i> by </i>; Tue, 24 Nov 2026 10:00:00 +0000\r\n"))
	h := NewHandler(Config{Report: reportOptionsForFuzz()})
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := httptest.NewRequest("POST", "/", strings.NewReader("headers="+url.QueryEscape(string(raw))))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("page: status %d", rec.Code)
		}
		if n := strings.Count(strings.ToLower(rec.Body.String()), "<script"); n != 1 {
			t.Fatalf("page has %d script elements", n)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/trace", bytes.NewReader(raw)))
		if rec.Code == http.StatusOK && !json.Valid(rec.Body.Bytes()) {
			t.Fatal("API answer is not JSON")
		}
	})
}
