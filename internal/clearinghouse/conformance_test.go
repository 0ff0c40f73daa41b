package clearinghouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clinicflow/rcm/internal/x12"
	"github.com/stretchr/testify/require"
)

// The EDI conformance tests: every kind of file the project writes (the 837P
// claims of internal/claims' writer, and the simulator's 999, 277CA, 277,
// 835, 270, 271 and 276) is written by conformanceFiles. TestEDIStructure (in
// every `make test`) checks each for the rules an independent validator found
// broken before; TestEDIConformance (pyx12_test.go, `make conformance`) runs
// the independent X12 5010 validator pyx12 over them.
//
// Set EDI_CONFORMANCE_DIR to keep the files in that directory.

// conformanceFiles drives the simulator through every outcome and returns
// the files written, by name (kind first).
func conformanceFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	add := func(name string, data []byte) {
		t.Helper()
		_, dup := files[name]
		require.False(t, dup, name)
		files[name] = data
	}
	addAll := func(prefix string, in []Inbound) {
		t.Helper()
		for i, f := range in {
			add(fmt.Sprintf("%s-%d.x12", prefix, i+1), f.Data)
		}
	}
	s, clk := newSim()
	inquiry := "" // names the 270 or 276 the simulator writes next
	s.wrote = func(kind string, raw []byte) {
		add(fmt.Sprintf("%s-%s.x12", kind, inquiry), raw)
	}
	ctx := context.Background()
	submit := func(id string, data []byte) map[Kind][]Inbound {
		t.Helper()
		_, err := s.Submit(ctx, id, data)
		require.NoError(t, err)
		return deliver(t, s, clk)
	}

	// 837P primary, self-subscriber, with a service facility and a rendering
	// provider; answered by an accepting 999 and 277CA and a paid 835.
	primary := claim("PCNPAID", "W1", "100", "50")
	primary.RenderingProvider = &x12.Provider{EntityType: "1", LastName: "SMITH", FirstName: "ANNA", NPI: "1497758544", TaxonomyCode: "207Q00000X"}
	primary.ServiceFacility = &x12.Facility{Name: "CLINICFLOW EAST", NPI: "1215937040",
		Address: &x12.Address{Line1: "300 OAK AVE", City: "SPRINGFIELD", State: "IL", PostalCode: "627029876"}}
	data := batch(t, 1, primary)
	add("837P-primary.x12", data)
	got := submit("primary", data)
	addAll("999-accepted", got[Kind999])
	addAll("277CA-accepted", got[Kind277CA])
	addAll("835-paid", got[Kind835])
	paid := parse835(t, got[Kind835])[0].Claims[0]

	// The same claim with delimiters of the sender's choice and no
	// repetition separator (ISA11 must still be one).
	b := batchOf(t, 1, primary)
	custom, err := x12.Write837WithOptions(&b, x12.WriteOptions{Delimiters: x12.Delimiters{Element: '|', Component: '>', Segment: '~'}})
	require.NoError(t, err)
	add("837P-delimiters.x12", custom)

	// 837P for a dependant (2000C/2010CA), plus claims partly paid, denied
	// and rejected at the 277CA.
	dep := claim("PCNDEP", "PARTIAL7", "120")
	dep.Patient = &x12.Patient{Relationship: "19", LastName: "DOE", FirstName: "JANE", BirthDate: x12.NewDate(2012, 7, 1), Gender: "F",
		Address: &x12.Address{Line1: "45 ELM ST", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"}}
	data = batch(t, 2, dep)
	add("837P-dependant.x12", data)
	got = submit("dependant", data)
	addAll("835-partial", got[Kind835])

	got = submit("mixed", batch(t, 3, claim("PCNDENY", "DENY50", "60"), claim("PCNREJ", "REJECT9", "10")))
	addAll("277CA-rejected", got[Kind277CA])
	addAll("835-denied", got[Kind835])

	// A file that does not parse: a rejecting 999.
	broken := strings.Replace(string(batch(t, 4, claim("PCNX", "W2", "100"))), "CLM*PCNX*100", "CLM*PCNX*1X0", 1)
	got = submit("broken", []byte(broken))
	addAll("999-rejected", got[Kind999])

	// A file of two functional groups: one 999 set (AK1) per group.
	two := twoGroups(t, batch(t, 21, claim("PCNG1", "W5", "100")), batch(t, 22, claim("PCNG2", "W6", "50")))
	got = submit("two-groups", two)
	addAll("999-two-groups-accepted", got[Kind999])
	got = submit("two-groups-broken", []byte(strings.Replace(string(two), "CLM*PCNG2*50", "CLM*PCNG2*5X", 1)))
	addAll("999-two-groups-rejected", got[Kind999])

	// 837P secondary with the primary's adjudication in 2320/2330 and 2430.
	sec := asSecondary(primary, paid, x12.NewDate(2024, 3, 5), true)
	data = batch(t, 5, sec)
	add("837P-secondary.x12", data)
	got = submit("secondary", data)
	addAll("835-secondary", got[Kind835])

	// 837P replacement (frequency 7): the 835 reverses the first payment;
	// then a void nets negative and the 835 carries a PLB forward balance.
	repl := claim("PCNPAID", "W1", "200", "50")
	repl.FrequencyCode, repl.OriginalClaimNumber = "7", paid.PayerClaimControlNumber
	data = batch(t, 6, repl)
	add("837P-replacement.x12", data)
	got = submit("replacement", data)
	addAll("835-reversal", got[Kind835])
	second := parse835(t, got[Kind835])[0].Claims[1]
	void := claim("PCNPAID", "W1", "200", "50")
	void.FrequencyCode, void.OriginalClaimNumber = "8", second.PayerClaimControlNumber
	got = submit("void", batch(t, 7, void))
	addAll("835-plb", got[Kind835])

	// Claim status (276/277 X212): pending, paid, denied, rejected, unknown.
	_, err = s.Submit(ctx, "status", batch(t, 8, claim("PCNS", "W3", "100"), claim("PCNSD", "DENY50", "60"), claim("PCNSR", "REJECT", "10")))
	require.NoError(t, err)
	status := func(name, pcn string) {
		t.Helper()
		inquiry = name
		raw, err := s.ClaimStatus(ctx, StatusRequest{PayerID: "ACME01", PayerName: "ACME HEALTH PLAN", ProviderNPI: "1234567893",
			ProviderName: "CLINICFLOW", MemberID: "W3", FirstName: "JOHN", LastName: "DOE", PatientControlNumber: pcn})
		require.NoError(t, err)
		add("277-"+name+".x12", raw)
	}
	status("pending", "PCNS")
	clk.Advance(time.Minute)
	status("paid", "PCNS")
	status("denied", "PCNSD")
	status("rejected", "PCNSR")
	status("unknown", "NOPE")

	// Eligibility (270/271): active, inactive, no member ID.
	for _, member := range []string{"W123", "INACTIVE9", ""} {
		inquiry = orDefault(member, "nomember")
		res, err := s.CheckEligibility(ctx, EligibilityRequest{PayerID: "ACME01", PayerName: "ACME HEALTH PLAN",
			ProviderNPI: "1234567893", ProviderName: "CLINICFLOW", MemberID: member, FirstName: "JOHN", LastName: "DOE"})
		require.NoError(t, err)
		add(fmt.Sprintf("271-%s.x12", inquiry), res.Raw271)
	}
	return files
}

// checkStructure checks, without pyx12, rules that our files broke before
// and pyx12 does not check, or cannot for lack of a map: ISA11 is a
// repetition separator (pyx12 accepts 4010's "U" there), an NM1 with an ID
// qualifier (NM108) has the ID (NM109), and a 277's STC carries STC05.
func checkStructure(name string, data []byte) []string {
	segs, err := x12.Tokenize(data)
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	if len(data) < 106 || !strings.ContainsRune("!\"&'()*+,./:;?=%@[]_{}\\|<>~#$^`", rune(data[82])) {
		errs = append(errs, fmt.Sprintf("ISA11 %q is not a repetition separator", data[82:83]))
	}
	for _, sg := range segs {
		switch {
		case sg.ID == "NM1" && sg.El(8) != "" && sg.El(9) == "":
			errs = append(errs, fmt.Sprintf("segment %d NM1*%s: NM108 %q without NM109", sg.Position, sg.El(1), sg.El(8)))
		case sg.ID == "STC" && strings.HasPrefix(name, "277-") && sg.El(5) == "":
			errs = append(errs, fmt.Sprintf("segment %d STC: STC05 (total charge) missing", sg.Position))
		}
	}
	return errs
}

// TestEDIStructure checks every file the project writes for what pyx12 found
// broken before and does not check itself (see checkStructure).
func TestEDIStructure(t *testing.T) {
	files := conformanceFiles(t)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	require.NotEmpty(t, names)
	for _, name := range names {
		if errs := checkStructure(name, files[name]); len(errs) > 0 {
			t.Errorf("%s is not valid 5010:\n  %s\n%s", name, strings.Join(errs, "\n  "), files[name])
		}
	}
}
