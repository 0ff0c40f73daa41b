package codes

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// DenialCategory is the broad reason a payer adjusted or denied a claim line,
// used to route the work item to the right follow-up.
type DenialCategory string

// The denial categories. Their string values are stable and may be stored.
const (
	// DenialEligibility means the patient was not covered by this payer for
	// the date of service.
	DenialEligibility DenialCategory = "eligibility"
	// DenialAuthorization means a required prior authorization or
	// precertification was missing, denied or exceeded.
	DenialAuthorization DenialCategory = "authorization"
	// DenialCoding means the claim had a coding error or missing
	// information that a corrected claim can fix.
	DenialCoding DenialCategory = "coding"
	// DenialMedicalNecessity means the payer did not consider the service
	// medically necessary, proven or covered for the diagnosis.
	DenialMedicalNecessity DenialCategory = "medical_necessity"
	// DenialTimelyFiling means the claim was filed after the payer's limit.
	DenialTimelyFiling DenialCategory = "timely_filing"
	// DenialDuplicate means the payer considers the claim a duplicate of one
	// already received or paid.
	DenialDuplicate DenialCategory = "duplicate"
	// DenialBundling means the service is included in, or incompatible
	// with, another service (NCCI edits).
	DenialBundling DenialCategory = "bundling"
	// DenialOther is every other adjustment, including the routine ones
	// (deductible, coinsurance, contractual write-offs).
	DenialOther DenialCategory = "other"
)

// denialCategoryCodes is the whole classification of CARCs into denial
// categories: a code listed here gets that category, every other code gets
// DenialOther. Edit this table, not the code, to reclassify a CARC. A code
// may appear only once (a test enforces it). Some codes here (15, 57, 62)
// have been retired by X12 and are absent from data/carc.csv, but still
// appear on remittances for older claims; CARCCategory classifies them.
var denialCategoryCodes = []struct {
	category DenialCategory
	codes    []string
}{
	// Coverage: not covered on the date of service, wrong or secondary payer.
	{DenialEligibility, []string{"22", "26", "27", "31", "33", "109", "177", "200"}},
	// Prior authorization / precertification absent, denied or exceeded.
	{DenialAuthorization, []string{"15", "39", "62", "197", "198"}},
	// Coding errors and missing or invalid claim information.
	{DenialCoding, []string{"4", "5", "6", "7", "8", "9", "10", "11", "16", "146", "181", "182"}},
	// Not medically necessary, experimental, unproven, level or frequency
	// not supported, diagnosis not covered, inappropriate place of service.
	{DenialMedicalNecessity, []string{"50", "55", "56", "57", "58", "150", "151", "167"}},
	{DenialTimelyFiling, []string{"29"}},
	// Exact duplicate, or already paid under an earlier claim.
	{DenialDuplicate, []string{"18", "B13"}},
	// Included in another service, or incompatible with one (NCCI).
	{DenialBundling, []string{"97", "234", "236", "B15"}},
}

// suggestedActions is the follow-up suggested for each denial category.
var suggestedActions = map[DenialCategory]string{
	DenialEligibility:      "verify coverage and resubmit",
	DenialAuthorization:    "obtain authorization and appeal",
	DenialCoding:           "correct the claim and resubmit as a replacement (frequency 7)",
	DenialMedicalNecessity: "appeal with medical records",
	DenialTimelyFiling:     "appeal with proof of timely filing",
	DenialDuplicate:        "check for the original claim; do not resubmit",
	DenialBundling:         "review bundling edits (NCCI) and modifiers",
	DenialOther:            "review the remittance",
}

// DenialCategories returns every denial category, DenialOther last.
func DenialCategories() []DenialCategory {
	return []DenialCategory{
		DenialEligibility, DenialAuthorization, DenialCoding, DenialMedicalNecessity,
		DenialTimelyFiling, DenialDuplicate, DenialBundling, DenialOther,
	}
}

// SuggestedAction returns the follow-up suggested for a claim line denied
// with a reason in category c, or "" if c is not one of the defined
// categories.
func (c DenialCategory) SuggestedAction() string {
	return suggestedActions[c]
}

// CARC is an X12 Claim Adjustment Reason Code (code source 139, carried in
// CAS02/05/08/... of an 835 remittance) together with its classification.
type CARC struct {
	// Code is the reason code as it appears in the 835, e.g. "45" or "B15".
	Code string
	// Description is the X12 description text.
	Description string
	// Category is the denial category the code is classified in.
	Category DenialCategory
	// SuggestedAction is the follow-up suggested for Category.
	SuggestedAction string
}

//go:embed data/carc.csv
var carcCSV []byte

type carcTable struct {
	list   []CARC
	byCode map[string]int // index into list
}

var (
	loadCARCs = sync.OnceValue(func() carcTable {
		t, err := parseCARCs(carcCSV)
		if err != nil {
			// The data is embedded at build time and checked by the tests,
			// so this can only be a broken build.
			panic("codes: embedded data/carc.csv: " + err.Error())
		}
		return t
	})
	categoryIndex = sync.OnceValue(func() map[string]DenialCategory {
		m, err := buildCategoryIndex()
		if err != nil {
			panic("codes: " + err.Error())
		}
		return m
	})
)

// LookupCARC returns the Claim Adjustment Reason Code with the given code
// (surrounding white space and letter case are ignored) from the embedded
// list of active codes. It reports false for codes not in the list, which
// include codes X12 has retired; such codes still occur on real remittances
// and should be treated as unknown, not as errors (see [CARCCategory]).
func LookupCARC(code string) (CARC, bool) {
	t := loadCARCs()
	i, ok := t.byCode[normalizeCARC(code)]
	if !ok {
		return CARC{}, false
	}
	return t.list[i], true
}

// AllCARCs returns every Claim Adjustment Reason Code in the embedded list,
// in the list's order. The slice is a copy and may be modified.
func AllCARCs() []CARC {
	return append([]CARC(nil), loadCARCs().list...)
}

// CARCCategory returns the denial category for a reason code (surrounding
// white space and letter case are ignored), whether or not the code is in
// the embedded list: unlisted and unknown codes are DenialOther.
func CARCCategory(code string) DenialCategory {
	if c, ok := categoryIndex()[normalizeCARC(code)]; ok {
		return c
	}
	return DenialOther
}

func normalizeCARC(code string) string {
	return asciiUpper(strings.TrimSpace(code))
}

func buildCategoryIndex() (map[string]DenialCategory, error) {
	m := make(map[string]DenialCategory)
	for _, row := range denialCategoryCodes {
		if _, ok := suggestedActions[row.category]; !ok {
			return nil, fmt.Errorf("denial category %q has no suggested action", row.category)
		}
		for _, code := range row.codes {
			if prev, dup := m[code]; dup {
				return nil, fmt.Errorf("CARC %q classified as both %q and %q", code, prev, row.category)
			}
			m[code] = row.category
		}
	}
	return m, nil
}

// parseCARCs reads the "code,description" CSV and classifies every row.
func parseCARCs(data []byte) (carcTable, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 2
	header, err := r.Read()
	if err != nil {
		return carcTable{}, fmt.Errorf("reading header: %w", err)
	}
	if header[0] != "code" || header[1] != "description" {
		return carcTable{}, fmt.Errorf("unexpected header %q, want [code description]", header)
	}
	index, err := buildCategoryIndex()
	if err != nil {
		return carcTable{}, err
	}
	t := carcTable{byCode: make(map[string]int)}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return carcTable{}, err
		}
		line, _ := r.FieldPos(0)
		code, desc := rec[0], strings.TrimSpace(rec[1])
		if !validCARCCode(code) {
			return carcTable{}, fmt.Errorf("line %d: malformed code %q", line, code)
		}
		if desc == "" {
			return carcTable{}, fmt.Errorf("line %d: code %s has no description", line, code)
		}
		if _, dup := t.byCode[code]; dup {
			return carcTable{}, fmt.Errorf("line %d: duplicate code %s", line, code)
		}
		cat, ok := index[code]
		if !ok {
			cat = DenialOther
		}
		t.byCode[code] = len(t.list)
		t.list = append(t.list, CARC{
			Code:            code,
			Description:     desc,
			Category:        cat,
			SuggestedAction: cat.SuggestedAction(),
		})
	}
	if len(t.list) == 0 {
		return carcTable{}, errors.New("no codes")
	}
	return t, nil
}

// validCARCCode accepts 1 to 3 upper-case ASCII letters or digits, the shape
// of every CARC X12 has published ("1", "45", "305", "A1", "B15", "P29").
func validCARCCode(code string) bool {
	if len(code) == 0 || len(code) > 3 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if !isUpperOrDigit(code[i]) {
			return false
		}
	}
	return true
}
