package analyzer

import (
	"net/mail"
	"slices"
	"testing"
)

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
	for _, s := range []string{"alice@example.com", "A B <a@b.c>, d@e", "<a@b>", "a.@b", "x <a@b> , y <c@d>", "A\t<a@b>", `"Smith, A" <a@b>`, `"A" <a@b>, "B" <c@d>`, `"A  B"  <a@b>`} {
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
		if !slices.Equal(got, want) {
			t.Fatalf("plainAddressList(%q) = %q, net/mail %q", s, got, want)
		}
	})
}
