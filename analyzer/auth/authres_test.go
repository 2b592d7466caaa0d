package auth

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// methodsText renders methods compactly: "spf=pass{smtp.mailfrom=x} dkim=fail[r]".
func methodsText(ms []Method) string {
	var parts []string
	for _, m := range ms {
		s := m.Method + "=" + m.Result
		if m.Reason != "" {
			s += "[" + m.Reason + "]"
		}
		var keys []string
		for k := range m.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var props []string
		for _, k := range keys {
			props = append(props, k+"="+m.Properties[k])
		}
		if len(props) > 0 {
			s += "{" + strings.Join(props, ",") + "}"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestParseResults(t *testing.T) {
	test := func(value, id string, lenient bool, methods string) {
		t.Helper()
		f := ParseResults(value)
		if f.AuthservID != id || f.Lenient != lenient || methodsText(f.Methods) != methods {
			t.Errorf("ParseResults(%q)\n got id=%q lenient=%v %s\nwant id=%q lenient=%v %s",
				value, f.AuthservID, f.Lenient, methodsText(f.Methods), id, lenient, methods)
		}
	}
	// RFC 8601 §B examples and ordinary fields: go-msgauth/authres reads them.
	test("example.com; none", "example.com", false, "")
	test("example.com; spf=pass smtp.mailfrom=example.net", "example.com", false, "spf=pass{smtp.mailfrom=example.net}")
	test("example.com 1; dkim=pass (good signature) header.d=example.org header.s=s1",
		"example.com", false, "dkim=pass{header.d=example.org,header.s=s1}")
	test("mx.example.org;\n\tdkim=pass header.i=@example.org;\n\tspf=fail smtp.mailfrom=a@b.example",
		"mx.example.org", false, "dkim=pass{header.i=@example.org} spf=fail{smtp.mailfrom=a@b.example}")
	test("example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net",
		"example.com", false, "auth=pass{smtp.auth=sender@example.net} spf=pass{smtp.mailfrom=example.net}")
	test("example.com; dkim/1=pass header.d=example.org", "example.com", false, "dkim=pass{header.d=example.org}")
	// Comments holding ';' and '=' (authres does not skip comments: read after stripping them).
	test("mx.example; dkim=pass (2048-bit key; unprotected) header.d=a.example",
		"mx.example", false, "dkim=pass{header.d=a.example}")
	test("mx.example; dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=a.example",
		"mx.example", false, "dmarc=pass{header.from=a.example}")
	// Microsoft 365: no authserv-id, compauth with a bare reason=, action=, a missing space.
	test("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=a.example; dkim=none (message not signed) header.d=none;dmarc=bestguesspass action=none header.from=a.example;compauth=pass reason=109",
		"", true, "spf=pass{smtp.mailfrom=a.example} dkim=none{header.d=none} dmarc=bestguesspass{action=none,header.from=a.example} compauth=pass[109]")
	// Quoted values with spaces, spaced '=', a reason in a quoted string.
	test(`mx.example; spf=fail reason (BAH) = "just some (<>.%&! reason" smtp.mailfrom=b.example`,
		"mx.example", true, "spf=fail[just some (<>.%&! reason]{smtp.mailfrom=b.example}")
	test(`mx.example; dkim=fail header.i=" foo bar \"xyz\"@a.example"`,
		"mx.example", true, `dkim=fail{header.i= foo bar "xyz"@a.example}`)
	// Stray tokens are kept aside, the rest is read.
	test("mx.example; spf=pass garbage smtp.mailfrom=a.example", "mx.example", true, "spf=pass{smtp.mailfrom=a.example}")
	// Unknown version: authres refuses it; the lenient reader keeps it (Analyze ignores it).
	test("mx.example 2; spf=pass smtp.mailfrom=a.example", "mx.example", true, "spf=pass{smtp.mailfrom=a.example}")
	// Empty and hostile.
	test("", "", true, "")
	test(";;;", "", true, "")
	test("((((", "", true, "")
	test(`"unterminated`, "unterminated", false, "")
}

func TestParseARCResults(t *testing.T) {
	f := ParseARCResults("i=2; mx.example.org;\n dkim=pass header.d=a.example; arc=pass (i=1)")
	if f.Instance != 2 || f.AuthservID != "mx.example.org" || methodsText(f.Methods) != "dkim=pass{header.d=a.example} arc=pass" {
		t.Errorf("got %+v", f)
	}
	f = ParseARCResults("i=1; mx.microsoft.com 1; spf=none; dmarc=none; dkim=none; arc=none")
	if f.Instance != 1 || f.Version != "1" || len(f.Methods) != 4 {
		t.Errorf("got %+v", f)
	}
}

func TestParseReceivedSPF(t *testing.T) {
	test := func(value, want string) {
		t.Helper()
		r := ParseReceivedSPF(value)
		got := fmt.Sprintf("%s|%s|%s|%s|%s|%s", r.Result, r.ClientIP, r.EnvelopeFrom, r.HELO, r.Identity, r.Receiver)
		if got != want {
			t.Errorf("ParseReceivedSPF(%q) = %s, want %s", value, got, want)
		}
	}
	// RFC 7208 §9.1 example.
	test(`pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender)
      receiver=mybox.example.org; client-ip=192.0.2.1;
      envelope-from="myname@example.com"; helo=foo.example.com;`,
		"pass|192.0.2.1|myname@example.com|foo.example.com||mybox.example.org")
	test("SoftFail (protection.outlook.com: domain of a.example discourages use of 192.0.2.7 as permitted sender)",
		"softfail|||||")
	test("none identity=mailfrom; client-ip=2001:db8::1", "none|2001:db8::1|||mailfrom|")
	test("", "|||||")
}
