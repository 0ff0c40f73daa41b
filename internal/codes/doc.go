// Package codes validates and normalizes the medical code formats that a
// revenue-cycle system exchanges with payers: CPT/HCPCS procedure codes and
// modifiers, ICD-10-CM diagnosis codes, NPIs, tax IDs, and the X12 Claim
// Adjustment Reason Codes (CARCs) found in 835 remittances.
//
// Everything here is a pure function over strings (the CARC list is embedded
// at build time), so the package is safe for use from Temporal workflow code.
//
// The validators check the shape of a code, not whether it exists in the
// current code set: "99999" is a well-formed CPT code even though no such
// code is published. Checking membership needs the licensed code lists.
//
// Conventions: the procedure, modifier and ICD-10-CM validators ignore
// surrounding white space and ASCII letter case, because they validate the
// normalized form (see [NormalizeProcedure] and [NormalizeICD10]). Only ASCII
// letters and digits are ever accepted. [ValidNPI] and [ValidTaxID] accept the
// string exactly as given.
package codes
