package analyzer

import (
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/auth"
)

// summarize is summarizeTo into a Summary of its own.
func summarize(x *fieldIndex, from *auth.Mailbox) Summary {
	var s Summary
	summarizeTo(&s, x, from)
	return s
}

func TestAddressList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"alice@example.com", []string{"alice@example.com"}},
		{"Alice  Smith\t<alice@example.com>", []string{"Alice Smith <alice@example.com>"}},
		{"<bob@example.net>, carol@example.org", []string{"bob@example.net", "carol@example.org"}},
		{`"Smith, Alice" <alice@example.com>`, []string{"Smith, Alice <alice@example.com>"}},
		{"=?UTF-8?Q?Caf=C3=A9?= <shop@example.net>", []string{"Café <shop@example.net>"}},
		{"J.R. Bob <bob@example.net>", []string{"J.R. Bob <bob@example.net>"}},
		{"undisclosed-recipients:;", nil},
		{"not an address, x", []string{"not an address", "x"}},
		{"", nil},
	} {
		if got := addressList(c.in); !slices.Equal(got, c.want) {
			t.Errorf("addressList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzPlainAddressList holds the fast path to net/mail: whatever it
// accepts, net/mail parses to the same display strings.
func FuzzPlainAddressList(f *testing.F) {
	for _, s := range []string{"alice@example.com", "A B <a@b.c>, d@e", "<a@b>", "a.@b", "x <a@b> , y <c@d>", "A\t<a@b>", `"Smith, A" <a@b>`, `"A" <a@b>, "B" <c@d>`, `"A  B"  <a@b>`,
		"=?UTF-8?Q?Caf=C3=A9?= <a@b>", "=?koi8-r?B?8NLJ18XU?= <a@b>, =?utf-8?q?x?= =?utf-8?q?_y?= <c@d>", "=?x-unknown?q?a?= <a@b>", "=?gb2312?B?xOO6ww==?= \"q\" <a@b>",
		"undisclosed-recipients:;", "a:;", "A_b-9:;", ":;", "a:; ", "a :;", "a: ;", "a.b:;", "a:;b", "[:;", "\x80:;", "K:;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := plainAddressList(s)
		if !ok {
			return
		}
		p := mail.AddressParser{WordDecoder: wordDecoder}
		list, err := p.ParseList(s)
		if err != nil {
			t.Fatalf("plainAddressList(%q) = %q, but net/mail: %v", s, got, err)
		}
		want := make([]string, len(list))
		for i, a := range list {
			want[i] = displayAddress(a)
		}
		if !slices.Equal(got, want) || got == nil {
			t.Fatalf("plainAddressList(%q) = %#v, net/mail %#v", s, got, want)
		}
	})
}

// oneAddressModel is oneAddress as it was: the list, joined.
func oneAddressModel(s string) string {
	if l := addressList(s); len(l) > 0 {
		return strings.Join(l, ", ")
	}
	return ""
}

func FuzzOneAddress(f *testing.F) {
	for _, s := range []string{"alice@example.com", "A B <a@b.c>, d@e", "<a@b>", `"Smith, A" <a@b>`, "=?UTF-8?Q?Caf=C3=A9?= <a@b>",
		"a@b,", " a@b\r\n\t", "undisclosed-recipients:;", "x, y", `"a" <b@c>, d@e`, "A\n <a@b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := oneAddress(s), oneAddressModel(s); got != want {
			t.Fatalf("oneAddress(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzSub(f *testing.F) {
	f.Add(int64(1795000000), int64(0), int64(1795000300), int64(999999999))
	f.Add(int64(-62135596800), int64(5), int64(253402300799), int64(0))
	f.Add(int64(1<<62), int64(0), int64(-1<<62), int64(1))
	f.Add(int64(1<<32), int64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, s1, n1, s2, n2 int64) {
		a, b := time.Unix(s1, n1), time.Unix(s2, n2)
		if got, want := sub(a, b), a.Sub(b); got != want {
			t.Fatalf("sub(%v, %v) = %v, want %v", a, b, got, want)
		}
	})
}
