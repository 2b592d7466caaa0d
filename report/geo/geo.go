// Package geo reads location and ASN from MaxMind-format databases
// (GeoLite2/GeoIP2 City, Country, ASN; DB-IP and other .mmdb files of the
// same format) with github.com/oschwald/geoip2-golang/v2. None is
// required: with no database, lookups return nothing.
package geo

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	geoip2 "github.com/oschwald/geoip2-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// Sentinel errors.
var (
	ErrOpen    = errors.New("geo: cannot open database")
	ErrCorrupt = errors.New("geo: corrupt database")
)

// Result is what the databases know of one address.
type Result struct {
	ASN       uint32
	ASOrg     string
	Country   string // ISO 3166-1 alpha-2
	City      string // English name
	Latitude  float64
	Longitude float64
	HasGeo    bool
}

// kind of database, from its metadata.
type kind int

const (
	kindCity kind = 1 << iota
	kindASN
)

type db struct {
	path   string
	kind   kind
	geo    *geoip2.Reader    // types geoip2 knows
	raw    *maxminddb.Reader // other types of the same format
	dbType string
}

// DBs is a set of open databases. Safe for concurrent use.
type DBs struct {
	dbs []*db
}

// DefaultDirs are searched by Discover: the usual system places and the
// user's data directory.
func DefaultDirs() []string {
	dirs := []string{"/usr/share/GeoIP", "/var/lib/GeoIP", "/usr/local/share/GeoIP"}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		dirs = append(dirs, filepath.Join(d, "GeoIP"), filepath.Join(d, "mailtrace"))
	} else if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, ".local", "share", "GeoIP"), filepath.Join(h, ".local", "share", "mailtrace"))
	}
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "mailtrace"))
	}
	return dirs
}

// Discover lists the .mmdb files in dirs (non-recursive), sorted.
func Discover(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.Type()&fs.ModeType == 0 && strings.HasSuffix(strings.ToLower(e.Name()), ".mmdb") {
				out = append(out, filepath.Join(d, e.Name()))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Open opens each database. A file that is not a valid MaxMind DB is an
// error naming it; nothing panics on a corrupt or truncated file.
func Open(paths ...string) (d *DBs, err error) {
	d = &DBs{}
	defer func() {
		if p := recover(); p != nil {
			d.Close()
			d, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	for _, p := range paths {
		one, err := openOne(p)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.dbs = append(d.dbs, one)
	}
	return d, nil
}

func openOne(path string) (*db, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	// Read into memory (no mmap): a file truncated or rewritten under us
	// cannot fault the process.
	raw, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	// (maxminddb's Verify walks the whole file: seconds for a City
	// database on every run. Damage past the metadata shows on lookup
	// instead, as an error, never a panic.)
	t := raw.Metadata.DatabaseType
	one := &db{path: path, dbType: t, raw: raw}
	lt := strings.ToLower(t)
	switch {
	case strings.Contains(lt, "asn") || strings.Contains(lt, "isp"):
		one.kind = kindASN
	case strings.Contains(lt, "city") || strings.Contains(lt, "country") || strings.Contains(lt, "location"):
		one.kind = kindCity
	default:
		one.kind = kindCity | kindASN // unknown: try both shapes
	}
	if g, err := geoip2.OpenBytes(b); err == nil {
		one.geo = g
	}
	return one, nil
}

// Paths lists the open databases with their types.
func (d *DBs) Paths() []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, x := range d.dbs {
		out = append(out, x.path+" ("+x.dbType+")")
	}
	return out
}

// Len is the number of open databases.
func (d *DBs) Len() int {
	if d == nil {
		return 0
	}
	return len(d.dbs)
}

// Lookup asks every database; the first answer for each field wins.
func (d *DBs) Lookup(ip netip.Addr) (r Result, err error) {
	if d == nil {
		return r, nil
	}
	ip = ip.Unmap()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: lookup %s: %v", ErrCorrupt, ip, p)
		}
	}()
	var errs []error
	for _, x := range d.dbs {
		if x.kind&kindASN != 0 && r.ASN == 0 {
			var a geoip2.ASN
			var err error
			if x.geo != nil && x.kind == kindASN {
				var p *geoip2.ASN
				if p, err = x.geo.ASN(ip); p != nil {
					a = *p
				}
			} else {
				err = x.raw.Lookup(ip).Decode(&a)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: %w", ErrCorrupt, x.path, err))
			} else if a.AutonomousSystemNumber != 0 {
				r.ASN, r.ASOrg = uint32(a.AutonomousSystemNumber), a.AutonomousSystemOrganization
			}
		}
		if x.kind&kindCity != 0 && !r.HasGeo {
			var c geoip2.City
			var err error
			if x.geo != nil && x.kind == kindCity {
				var p *geoip2.City
				if p, err = x.geo.City(ip); p != nil {
					c = *p
				}
			} else {
				err = x.raw.Lookup(ip).Decode(&c)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: %w", ErrCorrupt, x.path, err))
				continue
			}
			cc := c.Country.ISOCode
			if cc == "" {
				cc = c.RegisteredCountry.ISOCode
			}
			if cc != "" || c.City.Names.English != "" || c.Location.Latitude != nil {
				r.HasGeo = true
				r.Country, r.City = cc, c.City.Names.English
				if c.Location.Latitude != nil && c.Location.Longitude != nil {
					r.Latitude, r.Longitude = *c.Location.Latitude, *c.Location.Longitude
				}
			}
		}
	}
	return r, errors.Join(errs...)
}

// Close closes every database.
func (d *DBs) Close() error {
	if d == nil {
		return nil
	}
	for _, x := range d.dbs {
		if x.geo != nil {
			x.geo.Close()
		}
		x.raw.Close()
	}
	d.dbs = nil
	return nil
}
