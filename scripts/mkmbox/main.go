// Command mkmbox writes an mbox of N messages built from the header blocks
// of the given .eml files, cycling through them, for the comparison benchmark
// (scripts/bench-compare.sh). Each message gets a short body; lines starting
// with "From " are escaped as ">From " (mboxrd).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("n", 20000, "number of messages")
	out := flag.String("o", "bench.mbox", "output file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkmbox [-n N] [-o FILE] FILE.eml...")
		os.Exit(2)
	}
	var blocks [][]byte
	for _, p := range flag.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkmbox:", err)
			os.Exit(1)
		}
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
			b = b[:i+1]
		}
		blocks = append(blocks, b)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkmbox:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range *n {
		fmt.Fprintf(w, "From bench@example.com Tue Nov 24 09:14:07 2026\n")
		for _, line := range bytes.SplitAfter(blocks[i%len(blocks)], []byte("\n")) {
			if bytes.HasPrefix(line, []byte("From ")) {
				w.WriteByte('>')
			}
			w.Write(line)
		}
		fmt.Fprintf(w, "\nMessage %d of the comparison benchmark.\n\n", i+1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "mkmbox:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "mkmbox:", err)
		os.Exit(1)
	}
}
