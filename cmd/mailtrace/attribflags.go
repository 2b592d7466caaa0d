package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mailtrace/mailtrace/report/attrib"
	"github.com/mailtrace/mailtrace/report/cache"
	"github.com/mailtrace/mailtrace/report/geo"
)

// attribFlags are the attribution flags that trace, scan and whois share.
//
//	var af attribFlags
//	af.register(cmd.Flags())
//	...
//	at, closeAt, err := af.attributor(ctx)
//	if err != nil { return err }
//	defer closeAt()
type attribFlags struct {
	offline    bool
	whoisHosts []string
	rdap       bool
	rdapURLs   []string
	geoip      []string
	cachePath  string
	noCache    bool
	cacheTTL   int
	raw        bool
	timeout    time.Duration
	noRDNS     bool

	// errOut receives hints (no GeoIP database, cache unavailable); nil:
	// discarded. Set it to the command's stderr.
	errOut io.Writer
	// geoDirs replaces the GeoIP discovery directories (tests).
	geoDirs []string
}

func (f *attribFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.offline, "offline", false, "send nothing: name the registry from the embedded IANA tables only")
	fs.StringArrayVar(&f.whoisHosts, "whois-host", nil, "redirect a whois server: NAME=HOST:PORT, e.g. whois.ripe.net=127.0.0.1:4343 (repeatable)")
	fs.BoolVar(&f.rdap, "rdap", false, "ask RDAP (JSON over HTTPS) instead of whois; whois stands in when an RDAP server fails")
	fs.StringArrayVar(&f.rdapURLs, "rdap-url", nil, "redirect an RDAP server: HOST=URL (repeatable), or one URL asked for everything")
	fs.StringArrayVar(&f.geoip, "geoip", nil, "MaxMind-format database (.mmdb) or directory of them (repeatable; default: search the usual places)")
	fs.StringVar(&f.cachePath, "cache", "", "attribution cache file (default: in the user cache directory)")
	fs.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the cache on disk")
	fs.IntVar(&f.cacheTTL, "cache-ttl", 7, "days a cached network stays valid")
	fs.BoolVar(&f.raw, "raw", false, "keep the registries' raw answers in attribution.raw")
	fs.DurationVar(&f.timeout, "timeout", attrib.DefaultTimeout, "deadline of one attribution, referrals included")
	fs.BoolVar(&f.noRDNS, "no-rdns", false, "do not look up the reverse DNS name of attributed addresses")
}

// hint writes a line to errOut.
func (f *attribFlags) hint(format string, args ...any) {
	if f.errOut != nil {
		fmt.Fprintf(f.errOut, "mailtrace: "+format+"\n", args...)
	}
}

// options turns the flags into attrib.Options; bad values are usage errors.
func (f *attribFlags) options() (attrib.Options, error) {
	o := attrib.Options{Offline: f.offline, RDAP: f.rdap, Raw: f.raw, Timeout: f.timeout}
	if f.timeout <= 0 {
		return o, usageError{fmt.Errorf("--timeout %s: want a positive duration", f.timeout)}
	}
	if f.cacheTTL <= 0 {
		return o, usageError{fmt.Errorf("--cache-ttl %d: want a number of days above 0", f.cacheTTL)}
	}
	o.TTL = time.Duration(f.cacheTTL) * 24 * time.Hour
	hosts := map[string]string{}
	for _, v := range f.whoisHosts {
		name, hp, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return o, usageError{fmt.Errorf("--whois-host %q: want NAME=HOST:PORT", v)}
		}
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return o, usageError{fmt.Errorf("--whois-host %q: %v", v, err)}
		}
		hosts[strings.ToLower(name)] = hp
	}
	o.Whois.Hosts = hosts
	rh := map[string]string{}
	for _, v := range f.rdapURLs {
		name, u, ok := strings.Cut(v, "=")
		if !ok {
			if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return o, usageError{fmt.Errorf("--rdap-url %q: want HOST=URL or an http(s) URL", v)}
			}
			o.RDAPOptions.BaseURL = v
			continue
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return o, usageError{fmt.Errorf("--rdap-url %q: want HOST=URL with an http(s) URL", v)}
		}
		rh[strings.ToLower(name)] = u
	}
	o.RDAPOptions.Hosts = rh
	if !f.noRDNS && !f.offline {
		o.Resolver = net.DefaultResolver
	}
	return o, nil
}

// attributor builds the attribution service from the flags. close releases
// the cache and databases.
func (f *attribFlags) attributor(ctx context.Context) (attrib.Attributor, func() error, error) {
	o, err := f.options()
	if err != nil {
		return nil, nil, err
	}
	// GeoIP: given paths must open; discovered ones are skipped with a hint.
	var paths []string
	for _, p := range f.geoip {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			paths = append(paths, geo.Discover([]string{p})...)
		} else {
			paths = append(paths, p)
		}
	}
	if len(f.geoip) > 0 {
		dbs, err := geo.Open(paths...)
		if err != nil {
			return nil, nil, err
		}
		o.Geo = dbs
	} else {
		dirs := f.geoDirs
		if dirs == nil {
			dirs = geo.DefaultDirs()
		}
		var ok []string
		for _, p := range geo.Discover(dirs) {
			if d, err := geo.Open(p); err != nil {
				f.hint("skipping GeoIP database: %v", err)
			} else {
				d.Close()
				ok = append(ok, p)
			}
		}
		if len(ok) == 0 {
			// One line: where one would go (the first of the places searched) and the flag.
			where := "--geoip PATH"
			if len(dirs) > 0 {
				where = fmt.Sprintf("an .mmdb in %s, or --geoip PATH", dirs[0])
			}
			f.hint("no GeoIP database found (%s adds one): no location; ASN only where the registry names it", where)
		} else if o.Geo, err = geo.Open(ok...); err != nil {
			return nil, nil, err
		}
	}
	if !f.noCache && !f.offline {
		path := f.cachePath
		if path == "" {
			if path, err = cache.DefaultPath(); err != nil {
				f.hint("%v; caching in memory only", err)
			}
		}
		if path != "" {
			c, err := cache.Open(path)
			if err != nil {
				f.hint("%v; caching in memory only", err)
			} else {
				o.Cache = c
			}
		}
	}
	svc, err := attrib.New(o)
	if err != nil {
		o.Geo.Close()
		if o.Cache != nil {
			o.Cache.Close()
		}
		return nil, nil, err
	}
	return svc, svc.Close, nil
}
