package legal

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/apperr"
)

// LienLine is one charge of an itemized lien statement: what the attorney
// needs to pay the practice from a settlement, never a diagnosis.
type LienLine struct {
	ChargeID    string
	ServiceDate time.Time
	Code        string
	Description string
	Amount      decimal.Decimal
	// Status is held, attorney (released to the attorney) or insurer.
	Status    string
	Reduction decimal.Decimal
	Payments  decimal.Decimal
	Balance   decimal.Decimal
}

// LienStatement is a legal case's itemized lien statement.
type LienStatement struct {
	CaseID    string
	Lines     []LienLine
	Charges   decimal.Decimal
	Reduction decimal.Decimal
	Payments  decimal.Decimal
	// BalanceDue is what the attorney owes now plus what is still held.
	BalanceDue decimal.Decimal
	Owed       Owed
	AsOf       time.Time
}

// Statement builds a case's itemized lien statement: every active charge with
// its date, code and description; the reductions and attorney payments are
// applied to the charges released to the attorney oldest first, so each line
// shows its own balance and the lines sum to the totals.
func (s *Service) Statement(ctx context.Context, caseID string) (LienStatement, error) {
	g := s.DB.WithContext(ctx)
	var kind string
	if err := g.Raw(`SELECT kind FROM cases WHERE id = ?`, caseID).Scan(&kind).Error; err != nil {
		return LienStatement{}, err
	}
	if kind == "" {
		return LienStatement{}, apperr.Errorf(apperr.NotFound, "case %s not found", caseID)
	}
	var rows []struct {
		ChargeID    string
		ServiceDate time.Time
		Code        string
		Description string
		Amount      decimal.Decimal
		Target      *string
	}
	err := g.Raw(`SELECT ch.id AS charge_id, e.service_date, ch.procedure_code AS code,
			coalesce(fi.description, '') AS description, ch.amount, r.target
		FROM charges ch
		JOIN encounters e ON e.id = ch.encounter_id
		JOIN cases c ON c.id = ch.case_id
		LEFT JOIN fee_schedule_items fi ON fi.procedure_code = ch.procedure_code AND fi.fee_schedule_id =
			coalesce(c.fee_schedule_id, (SELECT id FROM fee_schedules WHERE is_default))
		LEFT JOIN legal_release_charges rc ON rc.charge_id = ch.id
		LEFT JOIN legal_releases r ON r.id = rc.release_id
		WHERE ch.case_id = ? AND ch.status = 'active'
		ORDER BY e.service_date, ch.created_at, ch.id`, caseID).Scan(&rows).Error
	if err != nil {
		return LienStatement{}, fmt.Errorf("lien statement of case %s: %w", caseID, err)
	}
	var totals struct {
		Reduction decimal.Decimal
		Payments  decimal.Decimal
	}
	if err := g.Raw(`SELECT
			coalesce((SELECT sum(reduction) FROM legal_releases WHERE case_id = ?), 0) AS reduction,
			coalesce((SELECT sum(amount) FROM legal_payments WHERE case_id = ? AND payer = 'attorney'), 0) AS payments`,
		caseID, caseID).Scan(&totals).Error; err != nil {
		return LienStatement{}, fmt.Errorf("lien totals of case %s: %w", caseID, err)
	}
	out := LienStatement{CaseID: caseID, Lines: []LienLine{}, Reduction: totals.Reduction, Payments: totals.Payments,
		AsOf: s.now()}
	reduce, paid := totals.Reduction, totals.Payments
	for _, r := range rows {
		l := LienLine{ChargeID: r.ChargeID, ServiceDate: r.ServiceDate, Code: r.Code, Description: r.Description,
			Amount: r.Amount, Status: "held", Balance: r.Amount}
		if r.Target != nil {
			l.Status = *r.Target
		}
		if l.Status == PayAttorney {
			l.Reduction = decimal.Min(reduce, l.Balance)
			reduce, l.Balance = reduce.Sub(l.Reduction), l.Balance.Sub(l.Reduction)
			l.Payments = decimal.Min(paid, l.Balance)
			paid, l.Balance = paid.Sub(l.Payments), l.Balance.Sub(l.Payments)
		}
		if l.Status == PayInsurer {
			l.Balance = decimal.Zero // billed to the insurer: its claim's business, not the lien's
		}
		out.Charges = out.Charges.Add(l.Amount)
		out.BalanceDue = out.BalanceDue.Add(l.Balance)
		out.Lines = append(out.Lines, l)
	}
	out.Owed, err = OwedOn(g, caseID)
	return out, err
}
