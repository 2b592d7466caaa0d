// Command fetchtables refreshes the IANA tables that report/whois and
// report/rdap embed, from IANA's official URLs. It is run by
// `go generate ./report/whois` (never by the tests) and checks each file
// before replacing the old one.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type table struct {
	url, file string
	check     func([]byte) error
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("fetchtables", flag.ContinueOnError)
	whoisDir := fs.String("whois", "data", "directory of the whois CSV tables")
	rdapDir := fs.String("rdap", "../rdap/data", "directory of the RDAP bootstrap files")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tables := []table{
		{"https://www.iana.org/assignments/ipv4-address-space/ipv4-address-space.csv", filepath.Join(*whoisDir, "ipv4-address-space.csv"), checkCSV},
		{"https://www.iana.org/assignments/ipv6-unicast-address-assignments/ipv6-unicast-address-assignments.csv", filepath.Join(*whoisDir, "ipv6-unicast-address-assignments.csv"), checkCSV},
		{"https://data.iana.org/rdap/ipv4.json", filepath.Join(*rdapDir, "iana-rdap-ipv4.json"), checkJSON},
		{"https://data.iana.org/rdap/ipv6.json", filepath.Join(*rdapDir, "iana-rdap-ipv6.json"), checkJSON},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, t := range tables {
		if err := fetch(ctx, t); err != nil {
			fmt.Fprintln(os.Stderr, "fetchtables:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "fetchtables: wrote", t.file)
	}
	return 0
}

func fetch(ctx context.Context, t table) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", t.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", t.url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", t.url, err)
	}
	if err := t.check(b); err != nil {
		return fmt.Errorf("%s: not the expected table: %w", t.url, err)
	}
	tmp := t.file + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, t.file)
}

func checkCSV(b []byte) error {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return err
	}
	if len(recs) < 10 || len(recs[0]) < 6 || recs[0][0] != "Prefix" || !strings.EqualFold(recs[0][3], "WHOIS") {
		return fmt.Errorf("unexpected header %q", recs[0])
	}
	return nil
}

func checkJSON(b []byte) error {
	var f struct {
		Services [][][]string `json:"services"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if len(f.Services) < 5 {
		return fmt.Errorf("%d services", len(f.Services))
	}
	return nil
}
