package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// DefaultListen is where `mailtrace serve` listens unless told otherwise:
// this machine only.
const DefaultListen = "127.0.0.1:8025"

// ErrListen marks a failure to listen on the asked address.
var ErrListen = errors.New("web: cannot listen")

// Server timeouts. The write timeout leaves room for the registry lookups of
// one trace (bounded by Config.TraceTimeout).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = DefaultTraceTimeout + 30*time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 5 * time.Second
	maxRequestHeader  = 64 << 10
)

// ServeOptions say where to listen and where to tell the user about it.
type ServeOptions struct {
	Listen string    // host:port; "" means DefaultListen
	Log    io.Writer // the address, warnings; never anything pasted (nil: discarded)
	Config Config
}

// ListenAndServe listens on opts.Listen and serves the page until ctx ends.
// Binding anything but a loopback address gets a warning on opts.Log: the
// page then answers to everyone who can reach the machine.
func ListenAndServe(ctx context.Context, opts ServeOptions) error {
	addr := opts.Listen
	if addr == "" {
		addr = DefaultListen
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrListen, addr, err)
	}
	if w := listenWarning(ln.Addr()); w != "" {
		fmt.Fprintln(logw, w)
	}
	fmt.Fprintf(logw, "mailtrace: serving on %s (Ctrl-C to stop)\n", pageURL(ln.Addr()))
	return Serve(ctx, ln, opts.Config, logw)
}

// Serve serves the page on ln until ctx ends, then shuts down gracefully.
// It closes ln. On a loopback listener it answers only to loopback host
// names (Config.LoopbackHosts).
func Serve(ctx context.Context, ln net.Listener, cfg Config, logw io.Writer) error {
	if logw == nil {
		logw = io.Discard
	}
	if IsLoopbackAddr(ln.Addr()) {
		cfg.LoopbackHosts = true
	}
	srv := NewServer(NewHandler(cfg), logw)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("web: serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serving: %w", err)
	}
	return nil
}

// NewServer wraps h in an http.Server with the read, write and idle timeouts
// and a bound on request headers. Its error log (connection-level problems,
// never request bodies) goes to logw.
func NewServer(h http.Handler, logw io.Writer) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxRequestHeader,
		ErrorLog:          log.New(logw, "mailtrace: http: ", 0),
	}
}

// listenWarning is the warning for a listener that others can reach, or "".
func listenWarning(a net.Addr) string {
	if IsLoopbackAddr(a) {
		return ""
	}
	return fmt.Sprintf("mailtrace: warning: listening on %s, not a loopback address: anyone who can reach this machine can use the page and its registry lookups", a)
}

// IsLoopbackAddr reports whether a listener's address is a loopback one.
func IsLoopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

func pageURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port)) + "/"
}
