// Package web is mailtrace's local web page: paste a header block or drop an
// .eml, see the trace (hops, trust, delays on a timeline, origin and its
// attribution, findings, authentication) and download the mailtrace/v1 JSON.
//
// Everything the page needs is embedded (templates, CSS, one small script,
// the icon): it works offline and loads nothing from elsewhere. Every value
// from a message reaches the page through html/template, so a header holding
// markup renders as text. Nothing pasted is stored or logged: the request is
// read into memory, traced, answered and forgotten (multipart uploads are
// read part by part, never spooled to temporary files).
//
// Routes:
//
//	GET  /            the page
//	POST /            the page with the trace of the pasted text or uploaded file
//	POST /api/trace   body: a raw message or header block; answers the v1 JSON
//	                  (?download=1 adds Content-Disposition: attachment)
//	GET  /healthz     "ok"
//	GET  /static/...  embedded assets
package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mailtrace/mailtrace/fetch"
	"github.com/mailtrace/mailtrace/report"
)

// DefaultMaxBodyBytes bounds a request body (a pasted block or an uploaded
// message with its body); larger requests get 413.
const DefaultMaxBodyBytes = 5 << 20

// DefaultTraceTimeout bounds the work for one request (the registry lookups
// of the attribution take most of it).
const DefaultTraceTimeout = 60 * time.Second

// Config says how the handler traces and what it shows.
type Config struct {
	// Report is handed to report.Build: the analyzer options and the
	// attributor (nil: no attribution).
	Report report.Options
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxHeaderBytes bounds the header section kept from a message; 0 means
	// fetch.DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// TraceTimeout bounds one trace; 0 means DefaultTraceTimeout.
	TraceTimeout time.Duration
	// Offline says no registry is asked; the page says so.
	Offline bool
	// LoopbackHosts rejects requests whose Host is not localhost or a
	// loopback address (a defence against DNS rebinding). Serve sets it when
	// it listens on a loopback address.
	LoopbackHosts bool
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageTmpl is parsed on first use, not at start-up: every command links this
// package, and only serve and --format html render a page.
var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page.html").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))
})

// contentSecurityPolicy allows nothing but this origin's own script, style and
// images: no inline script or style, no connections, no framing, forms post
// only here. (The JSON download is a data: link; navigation and downloads are
// not fetches, so the policy does not need to name it.)
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type handler struct {
	cfg Config
}

// NewHandler returns the web page and its API.
func NewHandler(cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = fetch.DefaultMaxHeaderBytes
	}
	if cfg.TraceTimeout <= 0 {
		cfg.TraceTimeout = DefaultTraceTimeout
	}
	h := &handler{cfg: cfg}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.index)
	mux.HandleFunc("POST /{$}", h.tracePage)
	mux.HandleFunc("POST /api/trace", h.traceAPI)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))

	var out http.Handler = mux
	// Reject cross-site form posts and fetches (Sec-Fetch-Site / Origin):
	// a page elsewhere must not drive registry lookups through this server.
	out = http.NewCrossOriginProtection().Handler(out)
	if cfg.LoopbackHosts {
		out = loopbackHostsOnly(out)
	}
	return securityHeaders(out)
}

// securityHeaders sets the headers every answer carries, errors included.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// A trace shows what was pasted: keep it out of every cache.
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache") // a new binary brings new assets
		next.ServeHTTP(w, r)
	})
}

// loopbackHostsOnly answers 421 to a request whose Host names anything but
// this machine: a DNS-rebinding page would send its own name.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopbackHost(r.Host) {
			http.Error(w, "mailtrace: this server answers only to localhost", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, h.newPage())
}

func (h *handler) newPage() *pageData {
	p := &pageData{MaxBody: sizeString(h.cfg.MaxBodyBytes), MaxBytes: h.cfg.MaxBodyBytes}
	switch {
	case h.cfg.Offline:
		p.Mode, p.ModeClass = "Offline · no registry lookups", "mode-offline"
	case h.cfg.Report.Attributor == nil || h.cfg.Report.Lookup == report.LookupNone:
		p.Mode, p.ModeClass = "Local · no registry lookups", "mode-offline"
	default:
		p.Mode = "Local · only registry lookups leave this machine"
	}
	return p
}

// tracePage traces the form's pasted text or uploaded file and renders the
// page with the result.
func (h *handler) tracePage(w http.ResponseWriter, r *http.Request) {
	p := h.newPage()
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	in, err := readForm(r)
	p.Input = in.text
	p.FileName = in.fileName
	switch {
	case tooLarge(err):
		p.Input = ""
		p.Error = fmt.Sprintf("That is too large: the limit is %s. Paste only the header section.", p.MaxBody)
		h.render(w, http.StatusRequestEntityTooLarge, p)
		return
	case err != nil:
		p.Error = "The form could not be read: " + err.Error()
		h.render(w, http.StatusBadRequest, p)
		return
	}
	raw := in.file
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte(in.text)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		p.Error = "Paste a header block or choose a message file first."
		h.render(w, http.StatusBadRequest, p)
		return
	}
	name := "pasted"
	fromFile := len(bytes.TrimSpace(in.file)) > 0
	if fromFile && in.fileName != "" {
		name = in.fileName
	}
	rep, hdr, err := h.trace(r.Context(), raw, name)
	if fromFile {
		// Show what was traced, so that it can be edited and traced again.
		p.Input = string(hdr)
	}
	if errors.Is(err, fetch.ErrNoHeader) {
		p.Error = "That does not look like a message: the first line is not a header field (such as \"Received: ...\")."
		h.render(w, http.StatusUnprocessableEntity, p)
		return
	}
	res, err := newResult(rep)
	if err != nil {
		p.Error = "The report could not be encoded: " + err.Error()
		h.render(w, http.StatusInternalServerError, p)
		return
	}
	p.Result = res
	h.render(w, http.StatusOK, p)
}

// traceAPI answers the mailtrace/v1 JSON for the raw message in the body.
func (h *handler) traceAPI(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	raw, err := io.ReadAll(r.Body)
	switch {
	case tooLarge(err):
		apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %s", sizeString(h.cfg.MaxBodyBytes)))
		return
	case err != nil:
		apiError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return
	case len(bytes.TrimSpace(raw)) == 0:
		apiError(w, http.StatusBadRequest, "empty body: send a raw message or header block")
		return
	}
	rep, _, err := h.trace(r.Context(), raw, "pasted")
	status := http.StatusOK
	if errors.Is(err, fetch.ErrNoHeader) {
		status = http.StatusUnprocessableEntity
	}
	body, err := encodeJSON(rep)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("download") == "1" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName}))
	}
	w.WriteHeader(status)
	w.Write(body)
}

// downloadName is the file name of the JSON download.
const downloadName = "mailtrace.json"

// trace extracts the header section and builds the report. The error is the
// extraction's (fetch.ErrNoHeader, fetch.ErrHeaderTooLarge); the report is
// always returned, with Error set when the message could not be read whole.
func (h *handler) trace(ctx context.Context, raw []byte, name string) (*report.Report, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.TraceTimeout)
	defer cancel()
	hdr, err := fetch.ExtractHeader(raw, h.cfg.MaxHeaderBytes)
	msg := &fetch.Message{Origin: fetch.Origin{Kind: fetch.KindWeb, Name: name}, Header: hdr, Size: int64(len(raw)), Err: err}
	if h.cfg.Report.Verify {
		// DKIM signs the body too: the re-check needs the whole message
		// (already bounded by MaxBodyBytes).
		msg.Raw = raw
	}
	return report.Build(ctx, msg, h.cfg.Report), hdr, err
}

// formInput is what the page's form sent.
type formInput struct {
	text     string // the textarea
	file     []byte // the uploaded file, if any
	fileName string
}

// readForm reads the page's form: multipart (text and file) or URL-encoded
// (text only). Parts are read into memory, bounded by the request's
// MaxBytesReader; nothing is written to disk.
func readForm(r *http.Request) (formInput, error) {
	var in formInput
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return in, fmt.Errorf("web: form: %w", err)
		}
		in.text = r.PostFormValue("headers")
		return in, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return in, fmt.Errorf("web: form: %w", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return in, fmt.Errorf("web: form: %w", err)
		}
		b, err := io.ReadAll(part)
		part.Close()
		if err != nil {
			return in, fmt.Errorf("web: form: %w", err)
		}
		switch part.FormName() {
		case "headers":
			in.text = string(b)
		case "file":
			in.file = b
			in.fileName = baseName(part.FileName())
		}
	}
}

// baseName keeps the last element of an uploaded file's name (browsers
// send only that, but the name is the client's to choose).
func baseName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Write(append(body, '\n'))
}

// encodeJSON encodes the report exactly as the CLI's --format json does.
func encodeJSON(rep *report.Report) ([]byte, error) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return buf.Bytes(), nil
}

func (h *handler) render(w http.ResponseWriter, status int, p *pageData) {
	var buf bytes.Buffer
	if err := pageTmpl().Execute(&buf, p); err != nil {
		http.Error(w, "mailtrace: rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
