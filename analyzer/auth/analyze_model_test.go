package auth

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrace/mailtrace/analyzer/header"
)

// The end-to-end model: Analyze as it was before this round's changes, on
// the models of the functions they changed (classifyModel, collectModel
// with the tag-list, Authentication-Results and Received-SPF models and
// authres itself for the Lenient flag, identityFindingsModel with
// parseMailboxModel). The leaf helpers (toLower, splitPairs and the like)
// are held to theirs by FuzzTextModels. FuzzAnalyzeModel holds Analyze to
// it on arbitrary header sections.

// Analyze reads the authentication headers and compares the identities the
// message claims. The Result is nil when the message carries no
// authentication or verdict header; findings are returned either way.
func analyzeModel(in Input) (*Result, []Finding) {
	a := analysis{in: in}
	var buf [128]uint8 // every field's kind first, to allocate each list once
	kinds, count := a.classifyModel(buf[:0])
	a.collectModel(kinds, &count)
	a.trustResults()
	a.summarise()
	a.authFindingsModel()
	a.identityFindingsModel()
	a.entryFindingsModel()
	a.dateFindings()
	r := &a.res
	if len(r.Results) == 0 && len(r.ARCResults) == 0 && len(r.ARCSeals) == 0 && len(r.ReceivedSPF) == 0 &&
		len(r.Signatures) == 0 && len(r.Verdicts) == 0 {
		return nil, a.appendFindings(nil)
	}
	res := a.res // the analysis stays on the stack; only a Result returned is allocated
	return &res, a.appendFindings(nil)
}

// collect parses every authentication and verdict field.
func (a *analysis) collectModel(kinds []uint8, count *[numFieldKinds]int) {
	h := a.in.Header
	r := &a.res
	r.Results = withCap[ResultsField](count[fieldResults])
	r.ARCResults = withCap[ResultsField](count[fieldARCResults])
	r.ARCSeals = withCap[ARCSeal](count[fieldARCSeal])
	r.ReceivedSPF = withCap[ReceivedSPF](count[fieldReceivedSPF])
	r.Signatures = withCap[DKIMSignature](count[fieldDKIMSignature])
	r.Verdicts = withCap[Verdict](count[fieldVerdict])
	a.noReceived = count[fieldReceived] == 0
	var rawBuf [32]rawValue
	raws := rawValuesModel(h, kinds, rawBuf[:0])
	for i, f := range h {
		if kinds[i] == fieldNone || kinds[i] == fieldReceived {
			continue
		}
		raw := raws[0].s
		raws = raws[1:]
		trusted := a.trustedAt(i)
		switch kinds[i] {
		case fieldResults:
			ar := parseResultsAuthresModel(f.Value)
			ar.Header, ar.Position, ar.Raw = f.Name, i, raw
			r.Results = append(r.Results, ar)
		case fieldARCResults:
			ar := parseARCResultsModel(f.Value)
			ar.Header, ar.Position, ar.Trusted, ar.Raw = f.Name, i, trusted, raw
			r.ARCResults = append(r.ARCResults, ar)
		case fieldARCSeal:
			s := parseARCSealModel(f.Value, raw)
			s.Position, s.Trusted = i, trusted
			r.ARCSeals = append(r.ARCSeals, s)
		case fieldReceivedSPF:
			s := parseReceivedSPFModel(f.Value, raw)
			s.Position, s.Trusted = i, trusted
			r.ReceivedSPF = append(r.ReceivedSPF, s)
		case fieldDKIMSignature:
			s := parseDKIMSignatureModel(f.Value, raw)
			s.Position = i
			r.Signatures = append(r.Signatures, s)
		case fieldVerdict:
			// decoded in place: a Verdict on its own would escape
			var d vendorDecoder
			if e := knownFieldModel(f.Name); e != nil {
				d = e.decoder
			} else {
				k, _ := lookupLower(fieldKinds, f.Name)
				d = k.decoder
			}
			r.Verdicts = append(r.Verdicts, Verdict{Vendor: d.vendor, Header: f.Name, Raw: raw})
			v := &r.Verdicts[len(r.Verdicts)-1]
			d.decode(v)
			v.Position, v.Trusted = i, trusted
		}
	}
}

// parseResultsAuthresModel is parseResults on the lexer and reader models,
// go-msgauth/authres deciding the Lenient flag.
func parseResultsAuthresModel(value string) ResultsField {
	toks := lexResultsModel(nil, value)
	f := parseLenientModel(toks)
	if !strictAgreesModel(toks, f) {
		f.Lenient = true
	}
	return f
}

// parseARCResults is ParseARCResults without Raw.
func parseARCResultsModel(value string) ResultsField {
	rest := value
	inst := 0
	if k, v, ok := strings.Cut(value, ";"); ok {
		if name, num, ok := strings.Cut(strings.TrimSpace(k), "="); ok && strings.EqualFold(strings.TrimSpace(name), "i") {
			inst, _ = strconv.Atoi(strings.TrimSpace(num))
			rest = v
		}
	}
	f := parseResultsAuthresModel(rest)
	f.Instance = inst
	return f
}

// identityFindings compares the identities the message claims by
// organisational domain (Public Suffix List, as DMARC's relaxed alignment
// does: RFC 7489 §3.2).
func (a *analysis) identityFindingsModel() {
	from, name := parseMailboxModel(unfold(a.identityValue(identityFrom)))
	fromOrg := a.orgDomain(domainOf(from))
	if fromOrg == "" {
		return
	}
	if name != "" {
		if m := findEmail(name); m != "" && !strings.EqualFold(m, from) {
			sev := Warning
			if a.orgDomain(domainOf(m)) == fromOrg {
				sev = Info
			}
			a.add(CodeDisplayName, sev, 0, "the From display name shows the address "+m+" but the message is from "+from)
		}
	}

	rp := addrSpecModel(unfold(a.identityValue(identityReturnPath)))
	rpOrg := a.orgDomain(domainOf(rp))
	if rpOrg != "" && rpOrg != fromOrg {
		a.add(CodeFromReturnPath, Info, 0, "From is "+fromOrg+" but the Return-Path (bounce address) is "+rpOrg+": normal for mailing lists and bulk senders, a sign of spoofing otherwise")
	}
	env := a.res.SPFMailFrom
	if env == "" {
		env = a.in.EnvelopeFrom
	}
	envDom := domainOf(env)
	if envDom == "" && env != "" && !strings.Contains(env, "@") {
		envDom = strings.Trim(env, "<>") // smtp.mailfrom may hold the domain alone
	}
	if envOrg := a.orgDomain(envDom); envOrg != "" && envOrg != fromOrg && envOrg != rpOrg {
		a.add(CodeFromEnvelope, Info, 0, "From is "+fromOrg+" but the envelope sender the recipient saw is "+envOrg)
	}

	for rest, more := unfold(a.identityValue(identityReplyTo)), true; more; {
		var rt string
		rt, rest, more = strings.Cut(rest, ",")
		rtOrg := a.orgDomain(domainOf(addrSpecModel(rt)))
		if rtOrg != "" && rtOrg != fromOrg {
			a.add(CodeFromReplyTo, Warning, 0, "replies go to "+rtOrg+", not to the From domain "+fromOrg)
			break
		}
	}

	if mid := unfold(a.identityValue(identityMessageID)); mid != "" {
		dom := domainOf(midTrim.trim(mid))
		if midOrg := a.orgDomain(dom); strings.Contains(dom, ".") && midOrg != fromOrg && midOrg != rpOrg {
			a.add(CodeMessageIDDomain, Info, 0, "the Message-ID was made at "+dom+", neither the From domain "+fromOrg+" nor the bounce domain")
		}
	}

	// The signing domains, one per organisational domain, in order: the
	// d= of the signatures, then of the believed dkim results.
	var domainBuf, orgBuf [4]string // on the stack for the usual few
	domains, orgs := domainBuf[:0], orgBuf[:0]
	aligned := false
	sigs, results := a.res.Signatures, a.res.DKIM
	for i := range len(sigs) + len(results) {
		var d string
		if i < len(sigs) {
			d = sigs[i].Domain
		} else if d = results[i-len(sigs)].Domain; d == "none" {
			continue
		}
		if d == "" {
			continue
		}
		org := a.orgDomain(d)
		if org == fromOrg {
			aligned = true
		}
		if !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
			domains = append(domains, d)
		}
	}
	if len(domains) > 0 && !aligned {
		a.add(CodeDKIMDomain, Info, 0, "no DKIM signature is from the From domain "+fromOrg+": signed by "+strings.Join(domains, ", "))
	}
}

// addrSpec extracts the address of a mailbox leniently, lower-cased domain.
func addrSpecModel(s string) string {
	addr, _ := parseMailboxModel(strings.TrimSpace(s))
	return addr
}

// checkAnalyzeModel holds Analyze to the model on the header section b.
func checkAnalyzeModel(t *testing.T, b []byte, hops int, org string) {
	t.Helper()
	h, _ := header.Parse(b)
	in := Input{Header: h, RecipientHops: hops % 8, RecipientOrg: org, EnvelopeFrom: "bounce@" + org,
		Date: time.Unix(1e9, 0), FirstHop: 1, FirstHopTime: time.Unix(1e9+int64(hops)*3600, 0)}
	if hops%3 == 0 {
		in.AuthservIDs = []string{org, "mx.google.com"}
	}
	// The entry hop's names, the same or not, as entryFindings compares them.
	peers := [][2]string{{org, org}, {"mail." + org, "MAIL." + org + "."}, {org, "x." + org}, {"[192.0.2.1]", org},
		{"a.b.example", "c.b.example"}, {"unknown", "unknown"}, {org, ""}, {"a.co.uk", "b.co.uk"}}
	p := peers[uint(hops/8)%uint(len(peers))]
	in.Entry = &Peer{Hop: 1, HELO: p[0], RDNS: p[1], IP: netip.MustParseAddr("192.0.2.1")}
	r, fs := Analyze(in)
	wr, wfs := analyzeModel(in)
	if !reflect.DeepEqual(r, wr) {
		t.Fatalf("Analyze\n got %+v\nwant %+v", r, wr)
	}
	if !reflect.DeepEqual(fs, wfs) {
		t.Fatalf("Analyze findings\n got %+v\nwant %+v", fs, wfs)
	}
}

// modelMessages are the test messages' header sections.
func modelMessages(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*", "*.eml"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*.eml"))
	var out [][]byte
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) < 40 {
		tb.Fatalf("only %d messages", len(out))
	}
	return out
}

func TestAnalyzeModel(t *testing.T) {
	for _, b := range modelMessages(t) {
		for hops := range 4 {
			checkAnalyzeModel(t, b, hops, "recipient.example")
			checkAnalyzeModel(t, b, hops, "gmail.com")
		}
		for hops := 0; hops < 64; hops += 9 { // each entry peer
			checkAnalyzeModel(t, b, hops, "mx.a.example")
		}
	}
	for i, s := range append(dkimSeeds, resultsSeeds...) {
		for _, name := range []string{"DKIM-Signature", "ARC-Seal", "Authentication-Results", "ARC-Authentication-Results", "Received-SPF"} {
			b := "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n" + name + ": " + s + "\r\nFrom: " + mailboxSeeds[i%len(mailboxSeeds)] + "\r\n\r\n"
			checkAnalyzeModel(t, []byte(b), i, "a.example")
		}
	}
}

// FuzzAnalyzeModel holds Analyze to the model on arbitrary header sections.
func FuzzAnalyzeModel(f *testing.F) {
	for i, b := range modelMessages(f) {
		f.Add(b, i%4, "recipient.example")
	}
	f.Add([]byte("Received: x\r\nAuthentication-Results: a.example; spf=pass\r\nFrom: =?utf-8?q?x?= <a@b.example>\r\n\r\n"), 1, "a.example")
	f.Fuzz(func(t *testing.T, b []byte, hops int, org string) {
		checkAnalyzeModel(t, b, hops, org)
	})
}
