package received

import (
	"reflect"
	"strings"
	"testing"
)

// equivSeeds: the corpus plus shapes that take the parser's rarer paths.
func equivSeeds(tb testing.TB) []string {
	seeds := corpusInputs(tb)
	return append(seeds,
		"", ";", "from x by y; Mon, 21 Oct 2024 10:15:30 +0000 (UTC) id 1",
		"from x by y; Mon, 21 Oct 2024 10:15:30 +0000abc id 1",
		"from x (a; b) by y; garbage (c; d)",
		"from x by y (Exim 4.96) (x;y); 21 Oct 2024 10:15:30 -0000 (z;)",
		"from [192.0.2.1.2525] (helo) by y (1.2.3) (01.2.3.4) (4.96); x",
		"from \u017foftdnserr (\u017foftdnserr [192.0.2.1]) (unknown [192.0.2.2]) by y",
		"from x (HELO y) (192.0.2.1:25) (port=25 helo=[192.0.2.9] ident=z) by [IPv6:2001:db8::1] (account a b) with esmtpsa",
		"(from user@localhost) by h (8.17.1/8.17.1/Submit) id 1; "+strings.Repeat("x ", 60),
	)
}

// FuzzParseEquiv: Parse gives the same result as parseB, the parser as it
// was before its last tuning (parse_base_model_test.go). That copy was in
// turn held to the round before it, whose model it replaces.
func FuzzParseEquiv(f *testing.F) {
	for _, s := range equivSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Parse(s)
		if want := parseB(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(%q)\n got %+v\nwant %+v (parseB)", s, got, want)
		}
	})
}

// FuzzParseTo: one Parser and one Received, parsing a field and then
// another, give what parseB gives for each: nothing the first field left
// in the token array or the Received shows in the second's result.
func FuzzParseTo(f *testing.F) {
	seeds := equivSeeds(f)
	for k, s := range seeds {
		f.Add(s, seeds[(k*7+3)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var ps Parser
		var r Received
		for _, s := range [...]string{a, b, a} {
			ps.ParseTo(&r, s)
			if want := parseB(s); !reflect.DeepEqual(r, want) {
				t.Fatalf("ParseTo(%q)\n got %+v\nwant %+v (parseB)", s, r, want)
			}
		}
	})
}

func TestParseEquiv(t *testing.T) {
	for _, s := range equivSeeds(t) {
		got := Parse(s)
		if want := parseB(s); !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v (parseB)", s, got, want)
		}
	}
}

// checkMayHoldIP: where mayHoldIP says a comment holds no address, the
// scan that byClause skips finds none either.
func checkMayHoldIP(t *testing.T, c string) {
	t.Helper()
	if mayHoldIP(c) {
		return
	}
	toks, _, _ := scan(nil, c, 0, false)
	var ci commentInfo
	scanTCPInfo(toks, &ci)
	if ci.ip.IsValid() {
		t.Fatalf("mayHoldIP(%q) = false; scanTCPInfo finds %v", c, ci.ip)
	}
}

func TestMayHoldIP(t *testing.T) {
	for _, c := range []string{
		"Postfix", "8.9.3/8.9.3", "Exim 4.96", "qpsmtpd/0.27.1", "192.0.2.1", "x 192.0.2.1", "u@192.0.2.1",
		"192.0.2.1.25", "192.0.2.1\u00a0", "\u0085192.0.2.1", "a\"192.0.2.1", "<x>192.0.2.1", "x,192.0.2.1;",
		"(192.0.2.1)", "HELO 192.0.2.1", "1.2.3", "1..2.3", "fe80::1%eth0", "IPv6:::1", "[192.0.2.1]",
		"Oracle Communications Messaging Server 7.0.5.38.0 64bit (built Feb 26 2017)",
	} {
		checkMayHoldIP(t, c)
	}
	for _, c := range []string{"192.0.2.1", "x 192.0.2.1", "u@192.0.2.1", "192.0.2.1\u00a0", "<x>192.0.2.1", "[x]", "a:b"} {
		if !mayHoldIP(c) {
			t.Errorf("mayHoldIP(%q) = false", c)
		}
	}
}

// FuzzMayHoldIP holds mayHoldIP to the scan it saves.
func FuzzMayHoldIP(f *testing.F) {
	for _, s := range equivSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkMayHoldIP)
}

// checkTCPInfoFast: where tcpInfoFast reads a comment, it reads what
// scanTCPInfo reads from the comment's tokens.
func checkTCPInfoFast(t *testing.T, c string) {
	t.Helper()
	var got commentInfo
	if !tcpInfoFast(c, &got) {
		if got != (commentInfo{}) {
			t.Fatalf("tcpInfoFast(%q) = false with %+v", c, got)
		}
		return
	}
	toks, _, _ := scan(nil, c, 0, false)
	var want commentInfo
	scanTCPInfo(toks, &want)
	if got != want {
		t.Fatalf("tcpInfoFast(%q) = %+v; scanTCPInfo %+v", c, got, want)
	}
}

func TestTCPInfoFast(t *testing.T) {
	for _, c := range []string{
		"localhost [127.0.0.1]", "[192.0.2.1]", "[192.0.2.1]:25", "h.example [IPv6:2001:db8::1]", "h\n [192.0.2.1]",
		"unknown [192.0.2.1]", "UNKNOWN [192.0.2.1]", "softdnserr [192.0.2.1]", "unverified [192.0.2.1]",
		"helo [192.0.2.1]", "HELO [192.0.2.1]", "account [192.0.2.1]", "verified [192.0.2.1]", "192.0.2.2 [192.0.2.1]",
		"u@h [192.0.2.1]", "h [local]", "h []", "h [192.0.2.1] x", "h [192.0.2.1]]", "h  [ 192.0.2.1 ]", "[192.0.2.1.25]",
		"h [[192.0.2.1]", "h\x00[192.0.2.1]", "h[192.0.2.1]", "-h_. [::ffff:192.0.2.1]", "h [fe80::1%eth0]",
	} {
		checkTCPInfoFast(t, c)
	}
}

// FuzzTCPInfoFast holds tcpInfoFast to scanTCPInfo.
func FuzzTCPInfoFast(f *testing.F) {
	for _, s := range []string{"localhost [127.0.0.1]", "[192.0.2.1]", "h.example [IPv6:2001:db8::1]", "unknown [192.0.2.1]"} {
		f.Add(s)
	}
	for _, s := range equivSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkTCPInfoFast)
}
