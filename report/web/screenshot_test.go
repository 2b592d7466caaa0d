package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreenshot renders the bundled sample in headless Chromium and saves
// the page as a PNG at $MAILTRACE_SCREENSHOT (`make screenshot` writes
// docs/screenshot.png). Without the variable it does nothing.
func TestScreenshot(t *testing.T) {
	out := os.Getenv("MAILTRACE_SCREENSHOT")
	if out == "" {
		t.Skip("set MAILTRACE_SCREENSHOT=PATH.png to write the README screenshot")
	}
	if _, err := exec.LookPath("chromium"); err != nil && os.Getenv("MAILTRACE_CHROMIUM") == "" {
		t.Fatal("the screenshot needs Chromium: apt-get install chromium, or set MAILTRACE_CHROMIUM")
	}
	ctx := newBrowser(t, 1280, 900)
	url := startServer(t, Config{})
	traceInBrowser(t, ctx, url, readFixture(t, "sample.eml"))
	// Open one raw line to show that it is there, and start at the top.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#hop-2 details summary")),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
	); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", out, len(png))
}
