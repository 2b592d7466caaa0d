package auth

import (
	"strings"
	"testing"
)

func fieldsText(v Verdict) string {
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Key+"="+f.Value)
	}
	return strings.Join(out, ";")
}

func meaning(v Verdict, key string) string {
	for _, f := range v.Fields {
		if f.Key == key {
			return f.Meaning
		}
	}
	return "(absent)"
}

func TestForefront(t *testing.T) {
	v := ParseForefront("CIP:2001:db8::25;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:mail.shop.example;PTR:;CAT:NONE;SFS:(13230031)(4636009);DIR:INB;XYZ:42;")
	if got := fieldsText(v); got != "CIP=2001:db8::25;CTRY=;LANG=en;SCL=1;SRV=;IPV=NLI;SFV=NSPM;H=mail.shop.example;PTR=;CAT=NONE;SFS=(13230031)(4636009);DIR=INB;XYZ=42" {
		t.Errorf("fields = %s", got)
	}
	if v.Class != ClassHam || v.Summary != "SCL 1: not spam; SFV NSPM (marked not spam by spam filtering)" {
		t.Errorf("class %q summary %q", v.Class, v.Summary)
	}
	if m := meaning(v, "XYZ"); m != "" {
		t.Errorf("unknown key meaning %q", m)
	}
	if m := meaning(v, "IPV"); m != "IP reputation: IP not on any reputation list" {
		t.Errorf("IPV meaning %q", m)
	}
	test := func(value, class string) {
		t.Helper()
		if v := ParseForefront(value); v.Class != class {
			t.Errorf("%q: class %q, want %q", value, v.Class, class)
		}
	}
	test("SCL:5;SFV:SPM;CAT:SPM;", ClassSpam)
	test("SCL:9;SFV:SPM;CAT:HPHSH;", ClassPhish)
	test("SCL:5;CAT:BULK;SRV:BULK;", ClassBulk)
	test("SCL:-1;SFV:SKN;", ClassHam)
	test("CAT:MALW;", ClassMalware)
	test("SFV:SKS;", ClassSpam)
	test("", "")
	test(";;::;", "")
}

func TestVerdicts(t *testing.T) {
	test := func(name, value, vendor, class, summary string) {
		t.Helper()
		v, ok := DecodeVerdict(name, value)
		if !ok || v.Vendor != vendor || v.Class != class || v.Summary != summary {
			t.Errorf("%s: %q: got ok=%v %q %q %q, want %q %q %q", name, value, ok, v.Vendor, v.Class, v.Summary, vendor, class, summary)
		}
		if v.Raw != unfold(value) {
			t.Errorf("%s: raw %q lost", name, v.Raw)
		}
	}
	test("X-Microsoft-Antispam", "BCL:0;", "microsoft", "", "BCL 0 (not from a bulk sender)")
	test("x-microsoft-antispam", "BCL:8;ARA:1|2;", "microsoft", ClassBulk, "BCL 8 (bulk sender with many complaints)")
	test("X-MS-Exchange-Organization-SCL", "-1", "microsoft", ClassHam, "SCL -1 (not spam: filtering skipped (trusted or allowed sender))")
	test("X-MS-Exchange-Organization-SCL", "7", "microsoft", ClassSpam, "SCL 7 (high confidence spam)")
	test("X-Spam-Status", "No, score=-0.1 required=5.0 tests=DKIM_SIGNED,\n\tSPF_PASS autolearn=ham version=3.4.6",
		"spamassassin", ClassHam, "No, score -0.1 of required 5.0")
	test("X-Spam-Status", "Yes, hits=15 required=5", "spamassassin", ClassSpam, "Yes, score 15 of required 5")
	test("X-Spam-Flag", "YES", "spamassassin", ClassSpam, "YES")
	test("X-Spam-Level", "*****", "spamassassin", "", "level 5")
	test("X-Gm-Spam", "0", "gmail", ClassHam, "gmail spam verdict: no")
	test("X-Gm-Phishy", "1", "gmail", ClassPhish, "gmail phishing verdict: yes")
	test("X-YahooFilteredBulk", "192.0.2.7", "yahoo", ClassBulk, "filtered as bulk (from 192.0.2.7)")
	test("X-Proofpoint-Spam-Details", "rule=notspam policy=default score=0 spamscore=0 phishscore=0", "proofpoint", ClassHam, "rule notspam")
	test("X-Proofpoint-Spam-Details", "rule=spam policy=default score=95 spamscore=95", "proofpoint", ClassSpam, "rule spam")
	test("X-Mimecast-Spam-Score", "12", "mimecast", "", "spam score 12")
	test("X-Mimecast-Impersonation-Protect", "Policy=P;Similar Internal Domain=false;Newly Observed Domain=true",
		"mimecast", ClassPhish, "impersonation indicators: Newly Observed Domain")

	v, _ := DecodeVerdict("X-Spam-Status", "No, score=-0.1 required=5.0 tests=DKIM_SIGNED,\n\tSPF_PASS autolearn=ham version=3.4.6")
	if got := fieldsText(v); got != "flag=No;score=-0.1;required=5.0;tests=DKIM_SIGNED,SPF_PASS;autolearn=ham;version=3.4.6" {
		t.Errorf("folded tests= list: %s", got)
	}
	if _, ok := DecodeVerdict("X-Mailer", "x"); ok {
		t.Error("X-Mailer is no verdict")
	}
}

func TestVendorsFixture(t *testing.T) {
	r, _ := Analyze(Input{Header: readHeader(t, "crafted/vendors.eml"), RecipientHops: 1, RecipientOrg: "recipient.example"})
	var vendors []string
	for _, v := range r.Verdicts {
		if v.Trusted {
			vendors = append(vendors, v.Vendor+":"+v.Class)
		}
	}
	want := "spamassassin:spam spamassassin: spamassassin:spam proofpoint:spam proofpoint: mimecast: mimecast:phish gmail:ham gmail:phish yahoo:bulk yahoo:"
	if got := strings.Join(vendors, " "); got != want {
		t.Errorf("trusted verdicts\n got %s\nwant %s", got, want)
	}
	// The X-Spam-Status below the Received field is the sender's own claim.
	if last := r.Verdicts[len(r.Verdicts)-1]; last.Trusted || last.Class != ClassHam {
		t.Errorf("sender's verdict: %+v", last)
	}
	// Two A-R in the recipient's name: the lower one, below its Received, is
	// believed only as the recipient organisation's (Gmail's placement).
	if !r.Results[0].Trusted || !r.Results[1].Trusted || r.DMARC != "pass" {
		t.Errorf("results: %+v", r.Results)
	}
}
