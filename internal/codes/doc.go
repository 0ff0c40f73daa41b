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
//
// ICD-10-CM codes have two forms. The canonical one, in which codes are
// stored and returned, is the dotted form people write ("E11.9", "S13.4XXA",
// "Z00.00"; "I10" has no dot because nothing follows the category): see
// [FormatICD10], applied wherever a code enters the system. The undotted form
// ("E119") is the one X12 5010 requires in HI segments and the key codes are
// compared by, since older rows hold codes without the dot: see
// [NormalizeICD10] and [SameICD10]. All three accept either form.
package codes
