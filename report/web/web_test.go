package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/report"
	"github.com/mailtrace/mailtrace/report/attrib"
)

// testdata is the repository's shared fixture folder.
const testdata = "../../testdata/web"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readFixtureFS(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFixtureFS(name string) ([]byte, error) { return os.ReadFile(filepath.Join(testdata, name)) }

func reportOptionsForFuzz() report.Options { return report.Options{Attributor: staticAttributor{}} }

// staticAttributor answers the same attribution for every address: the
// RIPE NCC whois answer for 62.239.237.1 (a recorded fixture), as parsed.
type staticAttributor struct{}

func (staticAttributor) Attribute(_ context.Context, ip netip.Addr) attrib.Attribution {
	return attrib.Attribution{
		IP: ip.String(), RIR: "RIPE NCC", Source: attrib.SourceWhois, Server: "whois.ripe.net",
		Network: &attrib.Network{CIDR: []string{"62.239.237.0/24"}, Range: "62.239.237.0 - 62.239.237.255",
			Name: "BT-CORPORATE", Org: "BT Corporate Registry", Country: "GB"},
		Abuse: []string{"protect@bt.com"},
		ASN:   &attrib.ASN{Number: 2856, Org: "BT-UK-AS"},
	}
}

func newTestHandler(cfg Config) http.Handler {
	if cfg.Report.Attributor == nil {
		cfg.Report.Attributor = staticAttributor{}
	}
	return NewHandler(cfg)
}

func do(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHealthz(t *testing.T) {
	rec := do(t, newTestHandler(Config{}), httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Fatalf("healthz: %d %q", rec.Code, rec.Body.String())
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newTestHandler(Config{})
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/", nil),
		httptest.NewRequest("GET", "/healthz", nil),
		httptest.NewRequest("GET", "/static/style.css", nil),
		httptest.NewRequest("GET", "/nothing-here", nil),
		httptest.NewRequest("POST", "/api/trace", strings.NewReader("Subject: x\r\n\r\n")),
	} {
		rec := do(t, h, req)
		hd := rec.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s %s: CSP %q lacks %q", req.Method, req.URL, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s %s: CSP allows unsafe code: %q", req.Method, req.URL, csp)
		}
		if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", req.Method, req.URL, got)
		}
		if got := hd.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s %s: X-Frame-Options %q", req.Method, req.URL, got)
		}
	}
}

func TestIndex(t *testing.T) {
	rec := do(t, newTestHandler(Config{Offline: true}), httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{`<textarea id="headers" name="headers"`, `type="file"`, `enctype="multipart/form-data"`, "Offline", `src="/static/app.js"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// No inline script, no inline style, nothing from elsewhere.
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|\sstyle=|\son[a-z]+=`).MatchString(body) {
		t.Error("page has inline script or style")
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(body) {
		t.Error("page loads something from elsewhere")
	}
}

func TestStatic(t *testing.T) {
	h := newTestHandler(Config{})
	for path, ct := range map[string]string{
		"/static/style.css": "text/css",
		"/static/app.js":    "text/javascript",
		"/static/icon.svg":  "image/svg+xml",
	} {
		rec := do(t, h, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), ct) {
			t.Errorf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newTestHandler(Config{})
	test := func(method, path string) {
		t.Helper()
		rec := do(t, h, httptest.NewRequest(method, path, nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %d, want 405", method, path, rec.Code)
		}
	}
	test("GET", "/api/trace")
	test("PUT", "/api/trace")
	test("DELETE", "/")
	test("POST", "/healthz")
}

// decodeReport decodes a v1 JSON body into a generic map and a Report.
func decodeReport(t *testing.T, body []byte) (map[string]any, *report.Report) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	var r report.Report
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return m, &r
}

func TestAPITrace(t *testing.T) {
	h := newTestHandler(Config{})
	rec := do(t, h, httptest.NewRequest("POST", "/api/trace", bytes.NewReader(readFixture(t, "three-hops.eml"))))
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /api/trace: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != "" {
		t.Errorf("Content-Disposition %q without download=1", cd)
	}
	m, r := decodeReport(t, rec.Body.Bytes())
	for _, k := range []string{"schema", "source", "message", "hops", "entry", "origin", "client_ip",
		"attribution", "auth", "total_delay_seconds", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks field %q", k)
		}
	}
	if r.Schema != report.Schema {
		t.Errorf("schema %q", r.Schema)
	}
	if r.Source.Kind != "web" || r.Source.Name != "pasted" {
		t.Errorf("source %+v", r.Source)
	}
	if r.Message.Subject != "three hops" {
		t.Errorf("subject %q", r.Message.Subject)
	}
	checkThreeHops(t, r)
}

// checkThreeHops pins what the analyzer makes of three-hops.eml.
func checkThreeHops(t *testing.T, r *report.Report) {
	t.Helper()
	if len(r.Hops) != 3 {
		t.Fatalf("%d hops, want 3", len(r.Hops))
	}
	want := []struct{ from, ip, by, trust string }{
		{"", "10.9.8.7", "out.example.org", "external"},
		{"out.example.org", "62.239.237.1", "mx.example.net", "recipient"},
		{"mx.example.net", "10.1.1.5", "mbox.example.net", "recipient"},
	}
	for i, w := range want {
		h := r.Hops[i]
		if h.Index != i+1 || h.From.IP != w.ip || h.By.Host != w.by || h.Trust != w.trust {
			t.Errorf("hop %d: index %d from %q by %q trust %q, want from %q by %q trust %q",
				i+1, h.Index, h.From.IP, h.By.Host, h.Trust, w.ip, w.by, w.trust)
		}
		if w.from != "" && h.From.RDNS != w.from && h.From.HELO != w.from {
			t.Errorf("hop %d: from %q/%q, want %q", i+1, h.From.HELO, h.From.RDNS, w.from)
		}
	}
	if r.Origin == nil || r.Origin.IP != "62.239.237.1" || r.Origin.Hop != 2 {
		t.Errorf("origin %+v, want 62.239.237.1 at hop 2", r.Origin)
	}
	if r.Entry == nil || r.Entry.IP != "62.239.237.1" {
		t.Errorf("entry %+v, want 62.239.237.1", r.Entry)
	}
	if r.Attribution == nil || r.Attribution.RIR != "RIPE NCC" {
		t.Errorf("attribution %+v", r.Attribution)
	}
	if !hasFinding(r, "negative-delay") {
		t.Errorf("no negative-delay finding in %+v", r.Findings)
	}
}

func hasFinding(r *report.Report, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

func TestAPIDownload(t *testing.T) {
	h := newTestHandler(Config{})
	rec := do(t, h, httptest.NewRequest("POST", "/api/trace?download=1", bytes.NewReader(readFixture(t, "three-hops.eml"))))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename=mailtrace.json` {
		t.Errorf("Content-Disposition %q", cd)
	}
	decodeReport(t, rec.Body.Bytes())
}

func TestAPIErrors(t *testing.T) {
	h := newTestHandler(Config{MaxBodyBytes: 1 << 10})
	test := func(body string, status int) {
		t.Helper()
		rec := do(t, h, httptest.NewRequest("POST", "/api/trace", strings.NewReader(body)))
		if rec.Code != status {
			t.Errorf("body of %d bytes: status %d, want %d: %s", len(body), rec.Code, status, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Errorf("not JSON: %v", err)
		}
	}
	test("", http.StatusBadRequest)
	test(" \r\n", http.StatusBadRequest)
	test("Subject: "+strings.Repeat("x", 2<<10)+"\r\n", http.StatusRequestEntityTooLarge)
	test("this is not a message\nat all\n", http.StatusUnprocessableEntity)
}

func TestAPIBodyLimitDefault(t *testing.T) {
	h := newTestHandler(Config{})
	big := "Subject: big\r\nX-Pad: " + strings.Repeat("a", DefaultMaxBodyBytes) + "\r\n\r\n"
	rec := do(t, h, httptest.NewRequest("POST", "/api/trace", strings.NewReader(big)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d bytes: status %d, want 413", len(big), rec.Code)
	}
}

// multipartForm builds the page's form: the textarea and an optional file.
func multipartForm(t *testing.T, text, fileName string, file []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("headers", text); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func postPage(t *testing.T, h http.Handler, text, fileName string, file []byte) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartForm(t, text, fileName, file)
	req := httptest.NewRequest("POST", "/", body)
	req.Header.Set("Content-Type", ct)
	return do(t, h, req)
}

func TestPageTrace(t *testing.T) {
	h := newTestHandler(Config{})
	rec := postPage(t, h, string(readFixture(t, "three-hops.eml")), "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /: %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{`id="hops"`, `id="timeline"`, `id="findings"`, `id="download-json"`,
		`id="hop-1"`, `id="hop-3"`, "out.example.org", "mx.example.net", "mbox.example.net",
		`id="origin-ip">62.239.237.1<`, "RIPE NCC", "BT-CORPORATE", "mailto:protect@bt.com",
		"negative-delay", "trust-recipient", "trust-external", "<svg class=\"chart\""} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<tr class="hop-row">`); n != 3 {
		t.Errorf("%d hop rows, want 3", n)
	}
	// The download link carries the same v1 object as the API.
	m := regexp.MustCompile(`href="data:application/json;base64,([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no JSON download link")
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	_, r := decodeReport(t, raw)
	checkThreeHops(t, r)
}

func TestPageFileUpload(t *testing.T) {
	h := newTestHandler(Config{})
	rec := postPage(t, h, "", "three-hops.eml", readFixture(t, "three-hops.eml"))
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /: %d", rec.Code)
	}
	body := rec.Body.String()
	if n := strings.Count(body, `<tr class="hop-row">`); n != 3 {
		t.Errorf("%d hop rows, want 3", n)
	}
	if !strings.Contains(body, "three-hops.eml") {
		t.Error("the file name is not shown")
	}
	// The traced header is shown in the textarea (the body is not).
	if !strings.Contains(body, "Subject: three hops") || strings.Contains(body, "\nbody\n") {
		t.Error("textarea does not hold the header section")
	}
}

func TestPageErrors(t *testing.T) {
	h := newTestHandler(Config{MaxBodyBytes: 2 << 10})
	test := func(text string, status int, want string) {
		t.Helper()
		rec := postPage(t, h, text, "", nil)
		if rec.Code != status {
			t.Errorf("status %d, want %d", rec.Code, status)
		}
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("page lacks %q", want)
		}
		if strings.Contains(rec.Body.String(), `id="result"`) {
			t.Error("page shows a result")
		}
	}
	test("", http.StatusBadRequest, "Paste a header block")
	test("hello, world\n", http.StatusUnprocessableEntity, "does not look like a message")
	test("Subject: "+strings.Repeat("x", 4<<10), http.StatusRequestEntityTooLarge, "too large")

	// A URL-encoded post (no file input) works too.
	req := httptest.NewRequest("POST", "/", strings.NewReader("headers=Subject%3A+hi%0D%0A"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rec := do(t, h, req); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="result"`) {
		t.Errorf("url-encoded form: %d", rec.Code)
	}
}

// TestEscaped: markup in any header renders as text.
func TestEscaped(t *testing.T) {
	h := newTestHandler(Config{})
	rec := postPage(t, h, string(readFixture(t, "xss.eml")), "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, bad := range []string{"<script>document", "<img src=x", "<svg onload", "onerror=\"document"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds unescaped %q", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;") {
		t.Error("the subject is not shown escaped")
	}
	// The only script element is the page's own.
	if n := strings.Count(body, "<script"); n != 1 {
		t.Errorf("%d script elements, want 1", n)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	h := newTestHandler(Config{})
	req := httptest.NewRequest("POST", "/api/trace", strings.NewReader("Subject: x\r\n"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if rec := do(t, h, req); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", rec.Code)
	}
}

func TestLoopbackHosts(t *testing.T) {
	h := newTestHandler(Config{LoopbackHosts: true})
	test := func(host string, status int) {
		t.Helper()
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Host = host
		if rec := do(t, h, req); rec.Code != status {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, status)
		}
	}
	test("127.0.0.1:8025", http.StatusOK)
	test("localhost:8025", http.StatusOK)
	test("[::1]:8025", http.StatusOK)
	test("localhost", http.StatusOK)
	test("rebind.example:8025", http.StatusMisdirectedRequest)
	test("192.0.2.1:8025", http.StatusMisdirectedRequest)
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, Config{Report: report.Options{Attributor: staticAttributor{}}}, io.Discard)
	}()
	url := "http://" + ln.Addr().String()
	resp, err := http.Post(url+"/api/trace", "message/rfc822", bytes.NewReader(readFixture(t, "three-hops.eml")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	_, r := decodeReport(t, b)
	checkThreeHops(t, r)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func TestListenAndServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // stop at once: only the start-up messages matter
	var log bytes.Buffer
	if err := ListenAndServe(ctx, ServeOptions{Listen: "127.0.0.1:0", Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "serving on http://127.0.0.1:") || strings.Contains(log.String(), "warning") {
		t.Errorf("log %q", log.String())
	}
	if err := ListenAndServe(ctx, ServeOptions{Listen: "127.0.0.1:bad"}); !errors.Is(err, ErrListen) {
		t.Errorf("bad address: %v", err)
	}
}

func TestListenWarning(t *testing.T) {
	test := func(ip string, warn bool) {
		t.Helper()
		a := &net.TCPAddr{IP: net.ParseIP(ip), Port: 8025}
		if got := listenWarning(a) != ""; got != warn {
			t.Errorf("%s: warning %v, want %v", ip, got, warn)
		}
	}
	test("127.0.0.1", false)
	test("::1", false)
	test("0.0.0.0", true)
	test("::", true)
	test("192.0.2.1", true)
}

func TestDurationString(t *testing.T) {
	test := func(s int64, want string) {
		t.Helper()
		if got := durationString(s); got != want {
			t.Errorf("durationString(%d) = %q, want %q", s, got, want)
		}
	}
	test(0, "0s")
	test(42, "42s")
	test(185, "3m 05s")
	test(7620, "2h 07m")
	test(273600, "3d 04h")
	test(-4, "−4s")
	test(-3600, "−1h 00m")
}

// TestOfflineAttribution: with the real attribution service offline, the
// page names the registry from the embedded tables and says it is offline.
func TestOfflineAttribution(t *testing.T) {
	svc, err := attrib.New(attrib.Options{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	h := NewHandler(Config{Report: report.Options{Attributor: svc}, Offline: true})
	rec := postPage(t, h, string(readFixture(t, "three-hops.eml")), "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{`id="attr-rir">RIPE NCC`, `id="attr-offline"`, "Offline · no registry lookups"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
