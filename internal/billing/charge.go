package billing

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/codes"
	"github.com/clinicflow/rcm/internal/validate"
)

// Limits on a professional (837P) service line.
const (
	MaxModifiers = 4
	MaxDiagnoses = 12
	MaxPointers  = 4
	MaxUnits     = 9999
)

// NormalizeCharge upper-cases and strips codes and checks every field, reporting
// all problems at once. Diagnoses take the canonical dotted form whether they were
// written "E11.9", "e11.9" or "E119" (codes.FormatICD10): they are stored and
// returned as people write them; the dot is dropped only when a claim goes out as
// X12. It is pure, so the API, the case workflow's update validator and the
// activity all share it.
func NormalizeCharge(in ChargeInput) (ChargeInput, validate.Errors) {
	var errs validate.Errors
	in.ProcedureCode = codes.NormalizeProcedure(in.ProcedureCode)
	if errs.Required("procedure_code", in.ProcedureCode) {
		errs.Check(codes.ValidProcedureCode(in.ProcedureCode), "procedure_code",
			"%q is not a CPT (5 digits, or 4 digits + F/T) or HCPCS Level II (letter + 4 digits) code", in.ProcedureCode)
	}
	if in.Modifiers == nil {
		in.Modifiers = []string{}
	}
	if len(in.Modifiers) > MaxModifiers {
		errs.Add("modifiers", "at most %d modifiers are allowed", MaxModifiers)
	}
	seen := map[string]bool{}
	for i, m := range in.Modifiers {
		m = strings.ToUpper(strings.TrimSpace(m))
		in.Modifiers[i] = m
		field := fmt.Sprintf("modifiers[%d]", i)
		switch {
		case !codes.ValidModifier(m):
			errs.Add(field, "%q is not a two-character modifier", m)
		case seen[m]:
			errs.Add(field, "%q is repeated", m)
		}
		seen[m] = true
	}
	if in.Units == 0 {
		in.Units = 1
	}
	errs.Check(in.Units >= 1 && in.Units <= MaxUnits, "units", "must be between 1 and %d", MaxUnits)

	switch {
	case len(in.Diagnoses) == 0:
		errs.Add("diagnoses", "at least one ICD-10-CM diagnosis is required")
	case len(in.Diagnoses) > MaxDiagnoses:
		errs.Add("diagnoses", "at most %d diagnoses are allowed", MaxDiagnoses)
	}
	seen = map[string]bool{}
	for i, d := range in.Diagnoses {
		key := codes.NormalizeICD10(d) // "E11.9" and "E119" are the same code
		field := fmt.Sprintf("diagnoses[%d]", i)
		switch {
		case !codes.ValidICD10CM(d):
			errs.Add(field, "%q is not an ICD-10-CM code (e.g. E11.9)", d)
		case seen[key]:
			errs.Add(field, "%q is repeated", d)
		}
		seen[key] = true
		in.Diagnoses[i] = codes.FormatICD10(d)
	}
	if len(in.DiagnosisPointers) == 0 && len(in.Diagnoses) > 0 {
		in.DiagnosisPointers = []int{1}
	}
	if len(in.DiagnosisPointers) > MaxPointers {
		errs.Add("diagnosis_pointers", "at most %d pointers are allowed", MaxPointers)
	}
	seenPtr := map[int]bool{}
	for i, p := range in.DiagnosisPointers {
		field := fmt.Sprintf("diagnosis_pointers[%d]", i)
		switch {
		case p < 1 || p > len(in.Diagnoses):
			errs.Add(field, "%d does not point at one of the %d diagnoses", p, len(in.Diagnoses))
		case seenPtr[p]:
			errs.Add(field, "%d is repeated", p)
		}
		seenPtr[p] = true
	}
	if in.PriceOverride != nil {
		n := len(errs)
		ValidateMoney(&errs, "price_override", *in.PriceOverride, true)
		if len(errs) == n && in.Units >= 1 && in.Units <= MaxUnits {
			CheckStorable(&errs, "price_override", LineAmount(*in.PriceOverride, in.Units))
		}
	}
	return in, errs
}

// LineAmount is a charge's amount: its unit price times its units, to the cent.
func LineAmount(unit decimal.Decimal, units int) decimal.Decimal {
	return unit.Mul(decimal.NewFromInt(int64(units))).Round(2)
}
