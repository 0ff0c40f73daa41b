package dunning

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/validate"
)

// Instalment is one payment of a plan.
type Instalment struct {
	DueDate string          `json:"due_date"` // YYYY-MM-DD
	Amount  decimal.Decimal `json:"amount"`
}

// ValidatePlan checks a payment plan against the balance it pays: one to
// MaxInstalments instalments, due dates after today and in order, each at least
// MinInstalment (but the last) with at most two decimals, summing exactly to the
// balance. It is pure, so the dunning workflow's update validator runs it.
func (c Config) ValidatePlan(balance decimal.Decimal, plan []Instalment, today time.Time) validate.Errors {
	var errs validate.Errors
	if len(plan) == 0 || len(plan) > c.MaxInstalments {
		errs.Add("instalments", "must hold 1 to %d instalments", c.MaxInstalments)
		return errs
	}
	if !balance.IsPositive() {
		errs.Add("instalments", "the patient has no balance to pay by instalments")
		return errs
	}
	sum := decimal.Zero
	var prev time.Time
	todayDate := today.UTC().Truncate(24 * time.Hour)
	for i, in := range plan {
		f := fmt.Sprintf("instalments[%d]", i)
		d, err := time.Parse(time.DateOnly, in.DueDate)
		switch {
		case err != nil:
			errs.Add(f+".due_date", "must be a date YYYY-MM-DD")
		case !d.After(todayDate):
			errs.Add(f+".due_date", "must be after today")
		case !prev.IsZero() && !d.After(prev):
			errs.Add(f+".due_date", "must be after the previous instalment's")
		}
		prev = d
		switch {
		case !in.Amount.IsPositive():
			errs.Add(f+".amount", "must be greater than zero")
		case !in.Amount.Equal(in.Amount.Round(2)):
			errs.Add(f+".amount", "must have at most two decimal places")
		case i < len(plan)-1 && in.Amount.LessThan(c.MinInstalment):
			errs.Add(f+".amount", "must be at least %s", c.MinInstalment.StringFixed(2))
		}
		sum = sum.Add(in.Amount)
	}
	if len(errs) == 0 && !sum.Equal(balance) {
		errs.Add("instalments", "sum to %s but the balance is %s", sum.StringFixed(2), balance.StringFixed(2))
	}
	return errs
}
