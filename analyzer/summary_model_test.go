package analyzer

// decodeCharset's model: the word decoder's CharsetReader as it was,
// go-message's charset.Reader read out into a buffer.

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/emersion/go-message/charset"
)

func decodeCharsetOld(cs string, in io.Reader) (io.Reader, error) {
	r, err := charset.Reader(cs, in)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		return nil, err
	}
	return &b, nil
}

// charsetNames are names go-message knows, in several spellings, and some
// it does not.
var charsetNames = []string{
	"iso-2022-jp", "ISO-2022-JP", "csISO2022JP", "shift_jis", "sjis", "euc-jp", "euc-kr", "ks_c_5601-1987", "iso-2022-kr",
	"gb2312", "GB2312", "gbk", "gb18030", "big5", "big5-hkscs", "hz-gb-2312", "koi8-r", "koi8-u", "KOI8-R",
	"windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256",
	"windows-1257", "windows-1258", "windows-874", "cp1252", "iso-8859-2", "iso-8859-5", "iso-8859-7", "iso-8859-8",
	"iso-8859-8-i", "iso-8859-15", "iso-8859-16", "latin2", "ibm866", "cp850", "ibm437", "macintosh", "x-mac-cyrillic",
	"utf-16", "utf-16le", "utf-16be", "UTF-16", "utf-32", "utf8", "utf-7", "x-utf_8j", "ansi_x3.110-1983", "us-ascii",
	"ascii", "iso-ir-100", "tis-620", "replacement", "x-user-defined", "cp936", "unicode-1-1-utf-8", "Latin1",
	"x-unknown", "", "cs", "csUTF8", "\xff", "iso-8859-1\x00", "1252",
}

// checkDecodeCharset compares decodeCharset with its model on one word.
func checkDecodeCharset(t *testing.T, cs string, content []byte) {
	t.Helper()
	got, err := decodeCharset(cs, bytes.NewReader(content))
	want, werr := decodeCharsetOld(cs, bytes.NewReader(content))
	if (err != nil) != (werr != nil) {
		t.Fatalf("decodeCharset(%q, %q): error %v, model %v", cs, content, err, werr)
	}
	if err != nil {
		return
	}
	g, _ := io.ReadAll(got)
	w, _ := io.ReadAll(want)
	if !bytes.Equal(g, w) {
		t.Fatalf("decodeCharset(%q, %q) = %q, model %q", cs, content, g, w)
	}
}

func TestDecodeCharsetOld(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cs := range charsetNames {
		for n := range 200 {
			b := make([]byte, n%40+n/100*5000) // some past the model's 4 KiB buffers
			for i := range b {
				b[i] = byte(rng.IntN(256))
				if n%3 == 0 {
					b[i] &= 0x7f // mostly ASCII, with the escapes of ISO-2022
				}
			}
			checkDecodeCharset(t, cs, b)
		}
	}
}

// FuzzDecodeCharset holds decodeCharset to go-message's charset.Reader on
// any word: a charset from the list (pick) or any name.
func FuzzDecodeCharset(f *testing.F) {
	for i := range charsetNames {
		f.Add("", uint8(i), []byte("\x1b$B$3$s$K$A$O\x1b(B caf\xe9 \x8e\xa1\xb0\xa1 \xff\xfe\x00d"))
	}
	f.Add("utf-16", uint8(0), []byte("\xfe\xff\x00a\xd8"))
	f.Fuzz(func(t *testing.T, cs string, pick uint8, content []byte) {
		if cs == "" {
			cs = charsetNames[int(pick)%len(charsetNames)]
		}
		checkDecodeCharset(t, cs, content)
	})
}
