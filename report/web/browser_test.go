package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive a real headless Chromium (Debian's `chromium`
// package; CI installs it). They skip when no browser is installed.

// chromiumPath finds the browser: $MAILTRACE_CHROMIUM, else the usual names.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MAILTRACE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (apt-get install chromium, or set MAILTRACE_CHROMIUM): skipping the browser test")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and no network
// chatter of its own, and returns a tab context bounded by a deadline. Every
// document it opens records Content-Security-Policy violations in
// window.__cspViolations.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelA)
	tctx, cancelT := chromedp.NewContext(actx)
	t.Cleanup(cancelT)
	const hook = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});`
	if _, err := chromedp.Call(tctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: hook}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatal(err)
	}
	return tctx
}

// startServer serves the page on 127.0.0.1:0 as `mailtrace serve` does.
func startServer(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.LoopbackHosts = true
	srv := httptest.NewUnstartedServer(newTestHandler(cfg))
	srv.Config = NewServer(srv.Config.Handler, nil)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// traceInBrowser loads the page, pastes msg, presses Trace and waits for the
// result page.
func traceInBrowser(t *testing.T, ctx context.Context, url string, msg []byte) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("headers")),
		chromedp.SetValue(chromedp.ID("headers"), string(msg)),
	); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("trace-btn")))
	if err != nil {
		t.Fatalf("submitting: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("submitting: status %d", resp.Status)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("result"))); err != nil {
		t.Fatalf("waiting for the result: %v", err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

func TestBrowserTrace(t *testing.T) {
	ctx := newBrowser(t, 1280, 900)
	url := startServer(t, Config{})
	traceInBrowser(t, ctx, url, readFixture(t, "sample.eml"))

	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#hops tr.hop-row')).map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
	if len(rows) != 4 {
		t.Fatalf("%d hop rows, want 4: %q", len(rows), rows)
	}
	want := []struct{ from, by, trust string }{
		{"10.20.30.40", "mail.example.org", "external"},
		{"62.239.237.1", "mx1.example.net", "recipient"},
		{"10.0.5.11", "filter.example.net", "recipient"},
		{"10.0.5.20", "mbox3.example.net", "recipient"},
	}
	for i, w := range want {
		if !strings.HasPrefix(rows[i], fmt.Sprintf("%d ", i+1)) ||
			!strings.Contains(rows[i], w.from) || !strings.Contains(rows[i], w.by) || !strings.Contains(rows[i], w.trust) {
			t.Errorf("hop row %d = %q, want %s → %s (%s)", i+1, rows[i], w.from, w.by, w.trust)
		}
	}
	// Trust is shown by colour as well as by label.
	colours := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#hops .badge')).map(b => getComputedStyle(b).backgroundColor)`)
	if len(colours) != 4 || colours[0] == colours[1] {
		t.Errorf("trust badge colours %q: external and recipient look the same", colours)
	}
	if got := eval[string](t, ctx, `document.getElementById('origin-ip').innerText`); got != "62.239.237.1" {
		t.Errorf("origin IP shown %q", got)
	}
	origin := eval[string](t, ctx, `document.getElementById('origin').innerText`)
	for _, w := range []string{"RIPE NCC", "BT-CORPORATE", "GB", "protect@bt.com", "AS2856"} {
		if !strings.Contains(origin, w) {
			t.Errorf("origin card lacks %q: %q", w, origin)
		}
	}
	findings := eval[string](t, ctx, `document.getElementById('findings').innerText`)
	if !strings.Contains(findings, "negative-delay") {
		t.Errorf("findings %q lack negative-delay", findings)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#timeline svg rect.bar-pos, #timeline svg rect.bar-neg, #timeline svg rect.bar-zero').length`); n != 4 {
		t.Errorf("timeline has %d bars, want 4", n)
	}
	if auth := eval[string](t, ctx, `document.getElementById('auth').innerText`); !strings.Contains(strings.ToLower(auth), "pass") {
		t.Errorf("auth card %q", auth)
	}
	// The raw line is there on demand.
	if open := eval[bool](t, ctx, `document.querySelector('#hop-2 details').open`); open {
		t.Error("raw line open by default")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#hop-2 details summary"))); err != nil {
		t.Fatal(err)
	}
	if raw := eval[string](t, ctx, `document.querySelector('#hop-2 pre.raw').innerText`); !strings.Contains(raw, "TLSv1.3") {
		t.Errorf("raw line %q", raw)
	}
	// The download link holds the v1 JSON, as /api/trace answers it.
	js := eval[string](t, ctx, `(() => { const a = document.getElementById('download-json'); return a.download + ' ' + atob(a.href.split(',')[1]); })()`)
	if !strings.HasPrefix(js, "mailtrace.json {") || !strings.Contains(js, `"schema": "mailtrace/v1"`) {
		t.Errorf("download link: %.200q", js)
	}
	// Clicking it downloads the JSON (no script, and the CSP allows it).
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &[]bool{true}[0],
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("download-json"))); err != nil {
		t.Fatal(err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download cancelled")
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil {
			t.Fatal(err)
		}
		_, r := decodeReport(t, b)
		if r.Schema != "mailtrace/v1" || len(r.Hops) != 4 || r.Origin == nil || r.Origin.IP != "62.239.237.1" {
			t.Errorf("downloaded JSON: schema %q, %d hops, origin %+v", r.Schema, len(r.Hops), r.Origin)
		}
		break
	}
	if v := eval[[]string](t, ctx, `window.__cspViolations`); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", v)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// The test's artifact directory: a temporary one, kept with -artifacts.
	shot := filepath.Join(t.ArtifactDir(), "trace.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}

// TestBrowserUpload: choosing a file traces it at once (app.js), the body
// is not shown, and the header is put in the textarea.
func TestBrowserUpload(t *testing.T) {
	ctx := newBrowser(t, 1280, 900)
	url := startServer(t, Config{})
	path, err := filepath.Abs(filepath.Join(testdata, "three-hops.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("file"))); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}))
	if err != nil {
		t.Fatalf("uploading: %v", err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("uploading: status %d", resp.Status)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("result"))); err != nil {
		t.Fatal(err)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#hops tr.hop-row').length`); n != 3 {
		t.Errorf("%d hop rows, want 3", n)
	}
	if got := eval[string](t, ctx, `document.getElementById('file-label').innerText`); got != "three-hops.eml" {
		t.Errorf("file label %q", got)
	}
	if text := eval[string](t, ctx, `document.getElementById('headers').value`); !strings.Contains(text, "Subject: three hops") || strings.Contains(text, "body") {
		t.Errorf("textarea holds %q, want the header section", text)
	}
}

// TestBrowserUploadTooLarge: a file over the limit is refused in the page,
// before it is sent.
func TestBrowserUploadTooLarge(t *testing.T) {
	ctx := newBrowser(t, 1280, 900)
	url := startServer(t, Config{MaxBodyBytes: 1 << 10})
	path, err := filepath.Abs(filepath.Join(testdata, "sample.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
	); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.getElementById('file-label').innerText`); !strings.Contains(got, "too large") || !strings.Contains(got, "1 KiB") {
		t.Errorf("file label %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#result').length`); n != 0 {
		t.Error("the file was sent")
	}
}

// TestBrowserXSS: markup in the headers shows as text and runs nothing.
func TestBrowserXSS(t *testing.T) {
	ctx := newBrowser(t, 1280, 900)
	url := startServer(t, Config{})
	traceInBrowser(t, ctx, url, readFixture(t, "xss.eml"))
	// Give an injected handler (an onerror of a broken image) time to fire.
	time.Sleep(300 * time.Millisecond)

	if title := eval[string](t, ctx, `document.title`); title != "mailtrace" {
		t.Errorf("document.title = %q: a script from a header ran", title)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('img[src="x"], svg[onload], #result script, [onerror]').length`); n != 0 {
		t.Errorf("%d elements from the headers' markup in the DOM", n)
	}
	if n := eval[int](t, ctx, `document.scripts.length`); n != 1 {
		t.Errorf("%d scripts in the page, want 1 (app.js)", n)
	}
	if got := eval[string](t, ctx, `document.getElementById('subject').innerText`); got != "<script>document.title='pwned'</script>" {
		t.Errorf("subject shown as %q, want the markup as text", got)
	}
	if from := eval[string](t, ctx, `document.getElementById('summary').innerText`); !strings.Contains(from, `<img src=x onerror=`) {
		t.Errorf("From not shown as text: %q", from)
	}
	if v := eval[[]string](t, ctx, `window.__cspViolations`); len(v) > 0 {
		t.Errorf("Content-Security-Policy violations (something tried to run): %q", v)
	}
}

// TestBrowserNarrow: on a phone-sized screen (375 px) the page does not
// spill sideways (only the hop table and the timeline scroll, inside their
// cards) and no summary figure is cut off.
func TestBrowserNarrow(t *testing.T) {
	ctx := newBrowser(t, 375, 800)
	url := startServer(t, Config{})
	traceInBrowser(t, ctx, url, readFixture(t, "sample.eml"))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %d px wider than the screen", w)
	}
	cut := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.stat-v, .stat-s, .big, h1'))
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className + ': ' + e.textContent.trim())`)
	if len(cut) > 0 {
		t.Errorf("cut off on a narrow screen: %q", cut)
	}
	if w := eval[int](t, ctx, `document.querySelector('svg.chart').getBoundingClientRect().width`); w < 600 {
		t.Errorf("the timeline is squeezed to %d px", w)
	}
}
