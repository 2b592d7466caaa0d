package whois

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Result is one registry answer reduced to the network that holds the
// queried address. Every field is best effort.
type Result struct {
	Block   Block    // the network's range
	CIDR    []string // its CIDRs, as the registry gave them or computed from Block
	Name    string   // netname / NetName / Network Name
	Handle  string   // NetHandle, or the object's primary key
	Org     string   // owner / organisation name
	Country string   // ISO 3166 code
	Abuse   []string // abuse mailboxes, most specific first
	ASN     uint32   // origin AS where the answer names one

	// Source is the database that holds the chosen object when the answer
	// says ("JPNIC", "KRNIC" for objects APNIC mirrors), else "".
	Source string
	// Referral is the server the answer sends the query on to: IANA
	// "refer:", ARIN's last "ReferralServer:", rwhois "%referral", an APNIC
	// object mirrored from a national registry. "host" or "host:port",
	// with the scheme kept for rwhois ("rwhois://host:port").
	Referral string

	RateLimited bool // the server refused for exceeding its query limit
	transfer    bool // a record of a block another registry holds
	NotFound    bool // the server holds no object for the address
}

// finish drops placeholder mailboxes.
func (r *Result) finish() {
	r.transfer = r.transfer || transferRe().MatchString(r.Name)
	r.Abuse = FilterAbuse(r.Abuse, r.Name+" "+r.Handle+" "+r.Org, r.transfer)
}

// Found reports whether a network was recognised in the answer.
func (r *Result) Found() bool { return r.Block.Valid() || len(r.CIDR) > 0 || r.Name != "" }

// lazyRegexp compiles expr on first use: a run that parses no whois answer
// (an offline scan, a single trace) does not pay for compiling these at
// start-up, which was most of the program's initialisation time.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	emailRe     = lazyRegexp(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+`)
	abuseLineRe = lazyRegexp(`(?i)^%\s*abuse contact for '([^']*)' is '([^']*)'`)
	asnRe       = lazyRegexp(`(?i)^AS?(\d{1,10})\b`)
	rateLimitRe = lazyRegexp(`(?i)%ERROR:201|query rate limit exceeded|rate limit exceeded|exceeded the (?:maximum|allowed)|too many (?:queries|requests|connections)|queries exceeded|query limit`)
	notFoundRe  = lazyRegexp(`(?i)%ERROR:101|no entries found|no match found|^no match|not found`)
)

// nirMailDomains are the national registries' domains: their mailboxes
// (IRT-JPNIC, IRT-KRNIC, IRT-CNNIC... on whole allocation blocks) are never
// a network's abuse contact.
var nirMailDomains = []string{
	"nic.ad.jp", "nic.or.kr", "kisa.or.kr", "krnic.net", "cnnic.cn", "cnnic.net.cn",
	"twnic.net.tw", "twnic.tw", "idnic.net", "vnnic.vn", "vnnic.net.vn", "cert.br",
}

// rirMailDomains are the RIRs' domains, with the word that names the
// registry in a network's name or owner. A registry mailbox is kept only
// on the registry's own networks (APNIC-LABS' helpdesk@apnic.net), never
// on a block another registry holds (abuse@lacnic.net on ARIN's record of a
// block transferred to LACNIC).
var rirMailDomains = map[string]string{
	"arin.net": "arin", "ripe.net": "ripe", "apnic.net": "apnic", "lacnic.net": "lacnic",
	"afrinic.net": "afrinic", "iana.org": "iana", "registro.br": "nic.br", "nic.br": "nic.br",
}

var placeholderIRT = lazyRegexp(`(?i)^IRT-(JPNIC|KRNIC|CNNIC|TWNIC|IDNIC|VNNIC|NIC-BR)\b`)

func mailDomain(email string) string {
	_, dom, _ := strings.Cut(strings.ToLower(email), "@")
	return dom
}

func domainIn(dom, d string) bool { return dom == d || strings.HasSuffix(dom, "."+d) }

// IsPlaceholder reports whether an address is a registry's own mailbox
// (a national registry's, or an RIR's).
func IsPlaceholder(email string) bool {
	dom := mailDomain(email)
	for _, d := range nirMailDomains {
		if domainIn(dom, d) {
			return true
		}
	}
	for d := range rirMailDomains {
		if domainIn(dom, d) {
			return true
		}
	}
	return false
}

// FilterAbuse drops registry placeholder mailboxes from a network's abuse
// list. owner is the network's name, handle and owner; transfer marks a
// registry's record of a block another registry holds.
func FilterAbuse(abuse []string, owner string, transfer bool) []string {
	owner = strings.ToLower(owner)
	out := abuse[:0:0]
next:
	for _, e := range abuse {
		dom := mailDomain(e)
		for _, d := range nirMailDomains {
			if domainIn(dom, d) {
				continue next
			}
		}
		for d, word := range rirMailDomains {
			if domainIn(dom, d) && (transfer || !strings.Contains(owner, word)) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// registryBlockRe names the placeholder objects a registry returns for
// space it does not manage ("IANA-BLK", "NON-RIPE-NCC-MANAGED-ADDRESS-BLOCK",
// APNIC's "IANA-NETBLOCK-8"...): not a network.
var registryBlockRe = lazyRegexp(`(?i)^(IANA-BLK|IANA-NETBLOCK|IANA-BLOCK|NON-RIPE-NCC-MANAGED|NON-RIPE|ROOT$|ERX-NETBLOCK|AFRINIC-CIDR-BLOCK|NOT-APNIC|APNIC-AP-ERX)`)

var transferRe = lazyRegexp(`(?i)transferred to|-ERX-|\bERX\b|early registration`)

func addAbuse(list []string, emails ...string) []string {
	for _, e := range emails {
		e = strings.Trim(strings.TrimSpace(e), "<>.,;'\"")
		if !emailRe().MatchString(e) {
			continue
		}
		dup := false
		for _, x := range list {
			if strings.EqualFold(x, e) {
				dup = true
				break
			}
		}
		if !dup && len(list) < 8 {
			list = append(list, e)
		}
	}
	return list
}

// Parse reads an answer from a whois server of any registry, choosing the
// parser from the text itself (and the server name as a hint).
func Parse(server, text string, ip netip.Addr) Result {
	text = normalize(text)
	var r Result
	switch {
	case strings.Contains(text, "[Network Number]") || strings.Contains(text, "[ネットワーク番号]"):
		r = ParseJPNIC(text, ip)
	case strings.Contains(text, "IPv4 Address") && strings.Contains(text, "[ Network Information ]"),
		strings.Contains(text, "IPv6 Address") && strings.Contains(text, "[ Network Information ]"):
		r = ParseKRNIC(text, ip)
	case strings.HasPrefix(strings.TrimSpace(text), "%rwhois") || strings.Contains(text, "\nnetwork:") || strings.HasPrefix(text, "network:"):
		r = ParseRWhois(text, ip)
	case hasKey(text, "NetRange") || hasKey(text, "ReferralServer") || hasKey(text, "OrgAbuseEmail") || RegistryOfServer(server) == ARIN:
		r = ParseARIN(text, ip)
	default:
		r = ParseRPSL(text, ip)
	}
	r.finish()
	if !r.Found() {
		// Refusals and "no entries" are short notes at the top: look at
		// the head only.
		head := text
		if len(head) > 8<<10 {
			head = head[:8<<10]
		}
		r.RateLimited = rateLimitRe().MatchString(head)
		r.NotFound = !r.RateLimited && r.Referral == "" && anyLine(head, notFoundRe())
	}
	return r
}

func anyLine(text string, re *regexp.Regexp) bool {
	for _, l := range strings.Split(text, "\n") {
		if re.MatchString(strings.TrimSpace(l)) {
			return true
		}
	}
	return false
}

func hasKey(text, key string) bool {
	return strings.HasPrefix(text, key+":") || strings.Contains(text, "\n"+key+":")
}

// normalize turns CRLF into LF and removes NULs; the text is UTF-8 already
// (see Decode).
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\x00", "")
}

// attr is one "key: value" line of an RPSL-like object.
type attr struct{ key, val string }

// object is a paragraph of "key: value" lines; its class is the first key.
type object []attr

func (o object) class() string {
	if len(o) == 0 {
		return ""
	}
	return o[0].key
}

func (o object) get(key string) string {
	for _, a := range o {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

func (o object) all(key string) []string {
	var v []string
	for _, a := range o {
		if a.key == key {
			v = append(v, a.val)
		}
	}
	return v
}

// splitObjects cuts text into objects at blank lines and comment lines;
// continuation lines (leading space or "+") extend the previous value.
func splitObjects(text string) []object {
	var objs []object
	var cur object
	flush := func() {
		if len(cur) > 0 {
			objs = append(objs, cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || line[0] == '%' || line[0] == '#' {
			flush()
			continue
		}
		if (line[0] == ' ' || line[0] == '\t' || line[0] == '+') && len(cur) > 0 {
			v := strings.TrimSpace(strings.TrimPrefix(line, "+"))
			if v != "" {
				cur[len(cur)-1].val = strings.TrimSpace(cur[len(cur)-1].val + "\n" + v)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " \t") && !strings.HasPrefix(k, "Org") {
			// Not a key line: free text.
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" || len(k) > 40 {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " # "); i >= 0 && (k == "source" || k == "auth") {
			v = strings.TrimSpace(v[:i])
		}
		cur = append(cur, attr{strings.ToLower(k), v})
		if len(cur) > 10000 {
			flush()
		}
	}
	flush()
	return objs
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// ParseRPSL reads the RPSL answers of RIPE NCC, APNIC (with the objects it
// mirrors from JPNIC and KRNIC), AFRINIC, and LACNIC / NIC.br's format.
// The narrowest inetnum/inet6num that contains ip is the network.
func ParseRPSL(text string, ip netip.Addr) Result {
	text = normalize(text)
	var r Result
	objs := splitObjects(text)
	byHandle := map[string]object{}
	var orgs = map[string]object{}
	var best object
	var bestBlk Block
	for _, o := range objs {
		switch o.class() {
		case "inetnum", "inet6num":
			blk, ok := parseBlock(o[0].val)
			if !ok || (ip.IsValid() && !blk.Contains(ip)) || registryBlockRe().MatchString(o.get("netname")) {
				continue
			}
			if best == nil || blk.narrower(bestBlk) {
				best, bestBlk = o, blk
			}
		case "organisation":
			orgs[strings.ToUpper(o[0].val)] = o
		case "route", "route6":
			if p, ok := parsePrefix(o[0].val); ok && (!ip.IsValid() || p.Contains(ip)) && r.ASN == 0 {
				r.ASN = parseASN(o.get("origin"))
			}
		case "aut-num":
			if r.ASN == 0 {
				r.ASN = parseASN(o[0].val)
			}
		}
		for _, k := range []string{"nic-hdl", "nic-hdl-br", "irt"} {
			if h := o.get(k); h != "" {
				byHandle[strings.ToUpper(h)] = o
			}
		}
	}
	// "% Abuse contact for 'RANGE' is 'EMAIL'" (RIPE, APNIC): the one whose
	// range is the chosen network's first.
	var abuseLines []string
	for _, l := range strings.Split(text, "\n") {
		if m := abuseLineRe().FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			if b, ok := parseBlock(m[1]); ok && b == bestBlk {
				abuseLines = append([]string{m[2]}, abuseLines...)
			} else if b, ok := parseBlock(m[1]); !ok || !ip.IsValid() || b.Contains(ip) {
				abuseLines = append(abuseLines, m[2])
			}
		}
	}
	if best == nil {
		r.Referral = rpslReferral(text, nil)
		r.Abuse = addAbuse(r.Abuse, abuseLines...)
		return r
	}
	r.Block = bestBlk
	key := best[0].val
	if p, ok := parsePrefix(key); ok {
		r.CIDR = []string{p.String()}
	} else {
		for _, p := range bestBlk.Prefixes(32) {
			r.CIDR = append(r.CIDR, p.String())
		}
	}
	r.Handle = key
	if p, ok := parsePrefix(key); ok {
		r.Handle = p.String() // canonical; LACNIC's abbreviated key expanded
	}
	r.Name = firstLine(best.get("netname"))
	r.Country = strings.ToUpper(firstLine(best.get("country")))
	r.Source = strings.ToUpper(firstLine(best.get("source")))
	if a := best.get("aut-num"); a != "" && r.ASN == 0 {
		r.ASN = parseASN(a)
	}
	// Owner: organisation's org-name, LACNIC owner, else the first descr.
	if o, ok := orgs[strings.ToUpper(best.get("org"))]; ok {
		r.Org = firstLine(o.get("org-name"))
	}
	if r.Org == "" {
		r.Org = firstLine(best.get("owner"))
	}
	if r.Org == "" {
		r.Org = firstLine(best.get("descr"))
	}
	if r.Org == "" {
		r.Org = firstLine(best.get("org-name"))
	}
	// Abuse, most specific first.
	r.Abuse = addAbuse(r.Abuse, abuseLines...)
	r.Abuse = addAbuse(r.Abuse, best.all("abuse-mailbox")...)
	for _, h := range best.all("abuse-c") {
		if o, ok := byHandle[strings.ToUpper(h)]; ok {
			r.Abuse = addAbuse(r.Abuse, o.all("abuse-mailbox")...)
			r.Abuse = addAbuse(r.Abuse, o.all("e-mail")...)
		}
	}
	for _, h := range best.all("mnt-irt") {
		if placeholderIRT().MatchString(h) {
			continue
		}
		if o, ok := byHandle[strings.ToUpper(h)]; ok {
			r.Abuse = addAbuse(r.Abuse, o.all("abuse-mailbox")...)
		}
	}
	if o, ok := orgs[strings.ToUpper(best.get("org"))]; ok && len(r.Abuse) == 0 {
		if h := o.get("abuse-c"); h != "" {
			if c, ok := byHandle[strings.ToUpper(h)]; ok {
				r.Abuse = addAbuse(r.Abuse, c.all("abuse-mailbox")...)
			}
		}
	}
	if len(r.Abuse) == 0 {
		// Remarks such as "please send abuse reports to abuse@example.net"
		// (AFRINIC objects without abuse-c), then abuse mailboxes of the
		// admin and tech contacts.
		for _, rem := range best.all("remarks") {
			if strings.Contains(strings.ToLower(rem), "abuse") {
				r.Abuse = addAbuse(r.Abuse, emailRe().FindAllString(rem, -1)...)
			}
		}
		for _, k := range []string{"admin-c", "tech-c", "owner-c"} {
			for _, h := range best.all(k) {
				o, ok := byHandle[strings.ToUpper(h)]
				if !ok {
					continue
				}
				r.Abuse = addAbuse(r.Abuse, o.all("abuse-mailbox")...)
				for _, e := range append(o.all("e-mail"), emailRe().FindAllString(strings.Join(o.all("remarks"), "\n"), -1)...) {
					if strings.Contains(strings.ToLower(e), "abuse") {
						r.Abuse = addAbuse(r.Abuse, e)
					}
				}
			}
		}
	}
	r.Referral = rpslReferral(text, best)
	r.finish()
	return r
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// rpslReferral finds where an RPSL answer sends the query: IANA's
// "refer:", or a national registry that an APNIC object is mirrored from
// or maintained by.
func rpslReferral(text string, best object) string {
	for _, o := range splitObjects(text) {
		if v := o.get("refer"); v != "" {
			return strings.ToLower(firstWord(v))
		}
	}
	if best == nil {
		return ""
	}
	src := strings.ToUpper(best.get("source"))
	mnt := strings.ToUpper(strings.Join(append(best.all("mnt-irt"), best.all("mnt-lower")...), " "))
	switch {
	case src == "JPNIC" || strings.Contains(mnt, "JPNIC"):
		return ServerJPNIC
	case src == "KRNIC" || strings.Contains(mnt, "KRNIC"):
		return ServerKRNIC
	case src == "TWNIC" || strings.Contains(mnt, "TWNIC"):
		return ServerTWNIC
	}
	return ""
}

func parseASN(s string) uint32 {
	s = strings.TrimSpace(s)
	m := asnRe().FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// arinNet is one network of an ARIN answer with the org and contacts that
// follow it.
type arinNet struct {
	blk                       Block
	cidr                      []string
	name, handle, org, cc, as string
	orgName                   string
	abuse                     []string
	transfer                  bool
}

// ParseARIN reads ARIN's answer (a "n + IP" query): one or more networks,
// each followed by its organisation or customer and points of contact.
// ReferralServer is the last one given.
func ParseARIN(text string, ip netip.Addr) Result {
	text = normalize(text)
	var r Result
	var nets []*arinNet
	var cur *arinNet
	var rabuse, oabuse []string
	for _, line := range strings.Split(text, "\n") {
		if line == "" || line[0] == '#' || line[0] == '%' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "NetRange":
			if cur != nil {
				cur.abuse = addAbuse(rabuse, oabuse...)
			}
			rabuse, oabuse = nil, nil
			cur = &arinNet{}
			nets = append(nets, cur)
			cur.blk, _ = parseBlock(v)
		case "ReferralServer":
			r.Referral = strings.ToLower(v) // the last one wins
		}
		if cur == nil {
			continue
		}
		switch k {
		case "CIDR":
			for _, c := range strings.Split(v, ",") {
				if p, ok := parsePrefix(c); ok {
					cur.cidr = append(cur.cidr, p.String())
				}
			}
		case "NetName":
			cur.name = v
		case "NetHandle":
			cur.handle = v
		case "Organization", "CustName":
			if cur.org == "" {
				cur.org = v
			}
		case "OrgName":
			cur.orgName = v
		case "Country":
			if cur.cc == "" {
				cur.cc = strings.ToUpper(v)
			}
		case "NetType":
			cur.transfer = transferRe().MatchString(v)
		case "OriginAS":
			if cur.as == "" {
				cur.as = v
			}
		case "RAbuseEmail":
			rabuse = append(rabuse, v)
		case "OrgAbuseEmail":
			oabuse = append(oabuse, v)
		}
	}
	if cur != nil {
		cur.abuse = addAbuse(rabuse, oabuse...)
	}
	var best *arinNet
	for _, n := range nets {
		if ip.IsValid() && n.blk.Valid() && !n.blk.Contains(ip) {
			continue
		}
		if best == nil || n.blk.narrower(best.blk) {
			best = n
		}
	}
	if best == nil {
		return r
	}
	r.Block, r.CIDR, r.Name, r.Handle, r.Country = best.blk, best.cidr, best.name, best.handle, best.cc
	if len(r.CIDR) == 0 {
		for _, p := range best.blk.Prefixes(32) {
			r.CIDR = append(r.CIDR, p.String())
		}
	}
	r.Org = best.orgName
	if r.Org == "" {
		// "Google Inc. (GOGL)" -> "Google Inc."
		r.Org = best.org
		if i := strings.LastIndex(r.Org, " ("); i > 0 && strings.HasSuffix(r.Org, ")") {
			r.Org = r.Org[:i]
		}
	}
	r.Abuse = best.abuse
	r.ASN = parseASN(firstWord(best.as))
	r.transfer = best.transfer
	r.finish()
	return r
}

// ParseJPNIC reads JPNIC's English answer ("/e"): lines such as
// "a. [Network Number]   133.1.0.0/16". The web gateway's HTML markup is
// stripped first. JPNIC's data has no abuse field; its contacts are
// handles.
func ParseJPNIC(text string, ip netip.Addr) Result {
	text = stripTags(normalize(text))
	r := Result{Country: "JP", Source: "JPNIC"}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "Less Specific Info"), strings.HasPrefix(t, "More Specific Info"):
			section = t // only the main record is read
		}
		if section != "" {
			continue
		}
		i := strings.Index(t, "[")
		j := strings.Index(t, "]")
		if i < 0 || j < i {
			continue
		}
		key := strings.ToLower(t[i+1 : j])
		val := strings.TrimSpace(t[j+1:])
		switch key {
		case "network number", "ネットワーク番号":
			if b, ok := parseBlock(val); ok {
				r.Block = b
				if p, ok := parsePrefix(firstWord(val)); ok {
					r.CIDR = []string{p.String()}
					r.Handle = p.String()
				} else {
					for _, p := range b.Prefixes(32) {
						r.CIDR = append(r.CIDR, p.String())
					}
				}
			}
		case "network name", "ネットワーク名":
			r.Name = val
		case "organization", "組織名":
			if r.Org == "" {
				r.Org = val
			}
		case "e-mail", "電子メイル", "abuse":
			r.Abuse = addAbuse(r.Abuse, emailRe().FindAllString(val, -1)...)
		}
	}
	if ip.IsValid() && r.Block.Valid() && !r.Block.Contains(ip) {
		return Result{}
	}
	if !r.Found() {
		r.Country, r.Source = "", ""
	}
	r.finish()
	return r
}

// ParseKRNIC reads KRNIC's answer: the "# ENGLISH" part (the Korean part
// precedes it), each "[ Network Information ]" block as
// "IPv4 Address : a - b (/n)", "Organization Name : ...", and the contact
// "E-Mail : ..." that follows. The narrowest block that holds ip wins.
func ParseKRNIC(text string, ip netip.Addr) Result {
	text = stripTags(normalize(text))
	if i := strings.Index(text, "# ENGLISH"); i >= 0 {
		text = text[i:]
	}
	type blk struct {
		b              Block
		org, svc, mail string
	}
	var blocks []*blk
	var cur *blk
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[ Network Information ]") {
			cur = &blk{}
			blocks = append(blocks, cur)
			continue
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok || cur == nil {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "IPv4 Address", "IPv6 Address":
			cur.b, _ = parseBlock(v)
		case "Organization Name":
			cur.org = v
		case "Service Name":
			cur.svc = v
		case "E-Mail":
			if cur.mail == "" {
				cur.mail = v
			}
		}
	}
	var best *blk
	for _, b := range blocks {
		if !b.b.Valid() || (ip.IsValid() && !b.b.Contains(ip)) {
			continue
		}
		if best == nil || b.b.narrower(best.b) {
			best = b
		}
	}
	if best == nil {
		return Result{}
	}
	r := Result{Block: best.b, Org: best.org, Name: best.svc, Country: "KR", Source: "KRNIC"}
	for _, p := range best.b.Prefixes(32) {
		r.CIDR = append(r.CIDR, p.String())
	}
	r.Handle = best.b.String()
	r.Abuse = addAbuse(nil, best.mail)
	r.finish()
	return r
}

// ParseRWhois reads an RWhois (RFC 2167) answer: "network:Attr:value"
// lines, or a "%referral rwhois://host:port/..." line.
func ParseRWhois(text string, ip netip.Addr) Result {
	text = normalize(text)
	var r Result
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(t, "%referral "); ok {
			if r.Referral == "" {
				r.Referral = strings.ToLower(firstWord(rest))
			}
			continue
		}
		if strings.HasPrefix(t, "%error") && rateLimitRe().MatchString(t) {
			r.RateLimited = true
		}
		cls, rest, ok := strings.Cut(t, ":")
		if !ok || !strings.EqualFold(cls, "network") {
			continue
		}
		k, v, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "ip-network", "network-block":
			if b, ok := parseBlock(v); ok && (!ip.IsValid() || b.Contains(ip)) && (!r.Block.Valid() || b.narrower(r.Block)) {
				r.Block = b
				r.CIDR = nil
				for _, p := range b.Prefixes(32) {
					r.CIDR = append(r.CIDR, p.String())
				}
			}
		case "network-name":
			r.Name = v
		case "id", "handle":
			r.Handle = v
		case "org-name", "organization":
			r.Org = v
		case "country", "country-code":
			r.Country = strings.ToUpper(v)
		case "abuse-email", "abuse-mailbox", "tech-email":
			r.Abuse = addAbuse(r.Abuse, v)
		}
	}
	r.finish()
	return r
}

var tagRe = lazyRegexp(`<[^>]{0,1000}>`)

func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	s = tagRe().ReplaceAllString(s, "")
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&nbsp;", " ", "&quot;", `"`)
	return r.Replace(s)
}
