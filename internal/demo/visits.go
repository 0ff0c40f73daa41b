package demo

import (
	"hash/fnv"

	"github.com/clinicflow/rcm/internal/cases"
)

// MaxRounds is how many visits a case can have on one day without two of its
// claims billing the same procedure (the scrubber's duplicate-claim rule: same
// patient, service date, procedure code and payer): each round bills other
// codes.
const MaxRounds = 4

// Line is one charge of a demo visit.
type Line struct {
	ProcedureCode string
	Units         int
	Modifiers     []string
}

// Visit is what a demo visit bills: its lines, all pointing at its diagnoses.
type Visit struct {
	Diagnoses []string
	Lines     []Line
}

// Diagnoses of the demo clinic's visits, by kind of care.
var (
	primaryCareDx = [][]string{{"E11.9", "I10"}, {"J06.9"}, {"M54.50"}, {"E78.5", "I10"}, {"R51.9"}, {"K21.9"}, {"J45.909"}}
	accidentDx    = map[cases.Kind][]string{
		cases.MVA:            {"S13.4XXA", "S33.5XXA"},
		cases.PersonalInjury: {"S93.401A", "M25.571"},
		cases.WorkersComp:    {"S39.012A", "M54.50"},
	}
)

// VisitFor is what the round-th visit of the day bills on a case: an office
// visit (and sometimes a lab or test) for primary care, therapy for accident,
// injury and workers' comp cases. Rounds bill disjoint codes; which extras and
// diagnoses a case gets is fixed by its id.
func VisitFor(kind cases.Kind, caseID string, round int) Visit {
	h := fnv.New32a()
	_, _ = h.Write([]byte(caseID))
	n := int(h.Sum32() % 1000)
	round %= MaxRounds
	if dx, ok := accidentDx[kind]; ok {
		lines := [][]Line{
			{{ProcedureCode: "97110", Units: 2}, {ProcedureCode: "97140", Units: 1, Modifiers: []string{"59"}}},
			{{ProcedureCode: "97112", Units: 1}, {ProcedureCode: "97530", Units: 2}},
			{{ProcedureCode: "98941", Units: 1}, {ProcedureCode: "97014", Units: 1}},
			{{ProcedureCode: "97035", Units: 1}, {ProcedureCode: "97124", Units: 1}},
		}[round]
		if kind == cases.WorkersComp && round == 0 {
			lines = append(lines, Line{ProcedureCode: "99080", Units: 1})
		}
		return Visit{Diagnoses: dx, Lines: lines}
	}
	office := []string{"99213", "99214", "99212", "99215"}[round]
	extra := []struct {
		code  string
		every int
	}{{"36415", 2}, {"93000", 3}, {"81002", 2}, {"85025", 4}}[round]
	v := Visit{Diagnoses: primaryCareDx[(n+round)%len(primaryCareDx)], Lines: []Line{{ProcedureCode: office, Units: 1}}}
	if (n+round)%extra.every == 0 {
		v.Lines = append(v.Lines, Line{ProcedureCode: extra.code, Units: 1})
	}
	return v
}

// Pointers are the diagnosis pointers of a line: every diagnosis of the visit
// (at most four).
func (v Visit) Pointers() []int {
	var p []int
	for i := range min(len(v.Diagnoses), 4) {
		p = append(p, i+1)
	}
	return p
}
