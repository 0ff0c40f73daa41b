// Package dunning holds the rules and records of collecting what patients owe:
// the cadence of statements and reminders (one documented configuration), quiet
// hours for text messages, consent per channel, the message outbox that sends
// each step once, payment-plan rules and the collections hand-off. The durable
// process itself is workflows/dunning.go; this package is what its activities
// call.
package dunning

import (
	"bytes"
	"fmt"
	"text/template"
	"time"

	"github.com/shopspring/decimal"
)

// Step kinds: what a cadence step does.
const (
	KindStatement   = "statement"   // a statement with a payment link, by every consented channel
	KindReminder    = "reminder"    // a reminder of the open statement
	KindFinal       = "final"       // final notice before collections
	KindCollections = "collections" // hand-off to the agency, or a small-balance write-off
	// KindPlanMissed is the text of the notice the day after a payment-plan
	// instalment fell due unpaid (not a cadence step).
	KindPlanMissed = "plan_missed"
)

// Step is one point of the cadence.
type Step struct {
	// Name identifies the step in the outbox and the statement key; it must be
	// unique within the cadence.
	Name string `json:"name"`
	// Day counts from the day the balance became due (day 0).
	Day  int    `json:"day"`
	Kind string `json:"kind"`
}

// Text is a message template: Go text/template over Message (fields Practice,
// Amount, Link, Statement, Unsubscribe).
type Text struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
	SMS     string `json:"sms"`
}

// Config is the one documented configuration of dunning. Every field has a
// default (DefaultConfig); DUNNING_DAY_LENGTH shortens the day for demos.
type Config struct {
	// Steps is the cadence, by day.
	Steps []Step `json:"steps"`
	// SmallBalance: a balance under it at the collections step is written off
	// (small-balance adjustment) instead of being placed with the agency.
	SmallBalance decimal.Decimal `json:"small_balance"`
	// MinInstalment is the smallest instalment of a payment plan (the last one
	// may be smaller).
	MinInstalment decimal.Decimal `json:"min_instalment"`
	// MaxInstalments bounds a payment plan.
	MaxInstalments int `json:"max_instalments"`
	// RemindDaysBefore is how many days before an instalment is due its reminder goes.
	RemindDaysBefore int `json:"remind_days_before"`
	// GraceDays after a missed instalment before dunning resumes.
	GraceDays int `json:"grace_days"`
	// QuietStart and QuietEnd bound when text messages may go, in hours of the
	// patient's local day: none before QuietStart:00 or from QuietEnd:00.
	QuietStart int `json:"quiet_start"`
	QuietEnd   int `json:"quiet_end"`
	// SMSOnSunday allows text messages on Sundays.
	SMSOnSunday bool `json:"sms_on_sunday"`
	// DayLength is how long a cadence "day" lasts (24h; DUNNING_DAY_LENGTH).
	DayLength time.Duration `json:"day_length"`
	// Texts are the message texts by step kind, plus "thanks", "instalment" and
	// "plan_missed" (KindPlanMissed).
	Texts map[string]Text `json:"texts"`
}

// DefaultConfig is the cadence the issue describes: statement on day 0,
// reminder on day 21, second notice on day 45, final notice on day 75,
// collections on day 90; $10 small-balance threshold.
func DefaultConfig() Config {
	return Config{
		Steps: []Step{
			{Name: "statement", Day: 0, Kind: KindStatement},
			{Name: "reminder", Day: 21, Kind: KindReminder},
			{Name: "second-notice", Day: 45, Kind: KindReminder},
			{Name: "final-notice", Day: 75, Kind: KindFinal},
			{Name: "collections", Day: 90, Kind: KindCollections},
		},
		SmallBalance:     decimal.NewFromInt(10),
		MinInstalment:    decimal.NewFromInt(25),
		MaxInstalments:   24,
		RemindDaysBefore: 3,
		GraceDays:        10,
		QuietStart:       8,
		QuietEnd:         21,
		DayLength:        24 * time.Hour,
		Texts: map[string]Text{
			KindStatement: {Subject: "Your statement from {{.Practice}}",
				Body: "Your statement {{.Statement}} from {{.Practice}} shows {{.Amount}} due.\n\nPay online: {{.Link}}\n",
				SMS:  "{{.Practice}}: your statement shows {{.Amount}} due. Pay: {{.Link}} Reply STOP to opt out."},
			KindReminder: {Subject: "Reminder: {{.Amount}} due to {{.Practice}}",
				Body: "This is a reminder that {{.Amount}} is still due to {{.Practice}} (statement {{.Statement}}).\n\nPay online: {{.Link}}\n",
				SMS:  "{{.Practice}}: reminder, {{.Amount}} is due. Pay: {{.Link}} Reply STOP to opt out."},
			KindFinal: {Subject: "Final notice: {{.Amount}} due to {{.Practice}}",
				Body: "Final notice: {{.Amount}} is due to {{.Practice}}. Unless it is paid or a payment plan is agreed, the account will be referred to a collection agency.\n\nPay online: {{.Link}}\n",
				SMS:  "{{.Practice}}: final notice, {{.Amount}} is due before referral to collections. Pay: {{.Link}} Reply STOP to opt out."},
			"thanks": {Subject: "Thank you from {{.Practice}}",
				Body: "Thank you: your balance with {{.Practice}} is paid in full.\n",
				SMS:  "{{.Practice}}: thank you, your balance is paid in full."},
			"instalment": {Subject: "Payment plan: {{.Amount}} due soon",
				Body: "Your next payment-plan instalment of {{.Amount}} to {{.Practice}} is due soon.\n\nPay online: {{.Link}}\n",
				SMS:  "{{.Practice}}: plan instalment of {{.Amount}} due soon. Pay: {{.Link}} Reply STOP to opt out."},
			KindPlanMissed: {Subject: "Missed payment-plan instalment: {{.Amount}} due to {{.Practice}}",
				Body: "We have not received your payment-plan instalment to {{.Practice}}. Please pay {{.Amount}} in the next few days to keep your plan; otherwise billing reminders resume.\n\nPay online: {{.Link}}\n",
				SMS:  "{{.Practice}}: your plan instalment of {{.Amount}} was missed. Pay soon to keep your plan: {{.Link}} Reply STOP to opt out."},
		},
	}
}

// Day is the length of the n-th cadence day.
func (c Config) Day(n int) time.Duration {
	d := c.DayLength
	if d <= 0 {
		d = 24 * time.Hour
	}
	return time.Duration(n) * d
}

// Validate checks a configuration: steps in day order with unique names, the
// last being collections; quiet hours within a day.
func (c Config) Validate() error {
	if len(c.Steps) == 0 {
		return fmt.Errorf("dunning config: no steps")
	}
	seen := map[string]bool{}
	for i, s := range c.Steps {
		if seen[s.Name] || s.Name == "" {
			return fmt.Errorf("dunning config: step %d name %q is empty or repeated", i, s.Name)
		}
		seen[s.Name] = true
		if i > 0 && s.Day < c.Steps[i-1].Day {
			return fmt.Errorf("dunning config: step %s is before the step it follows", s.Name)
		}
	}
	if c.Steps[len(c.Steps)-1].Kind != KindCollections {
		return fmt.Errorf("dunning config: the last step must be %s", KindCollections)
	}
	if c.QuietStart < 0 || c.QuietEnd > 24 || c.QuietStart >= c.QuietEnd {
		return fmt.Errorf("dunning config: quiet hours %d-%d are not within a day", c.QuietStart, c.QuietEnd)
	}
	return nil
}

// Message is what a message text is rendered from: the minimum, no PHI.
type Message struct {
	Practice    string
	Amount      string
	Link        string
	Statement   string
	Unsubscribe string
}

// Render renders the subject, email body and SMS text of a kind.
func (c Config) Render(kind string, m Message) (subject, body, sms string, err error) {
	t, ok := c.Texts[kind]
	if !ok {
		t = c.Texts[KindReminder]
	}
	out := make([]string, 3)
	for i, src := range []string{t.Subject, t.Body, t.SMS} {
		tpl, err := template.New(kind).Option("missingkey=error").Parse(src)
		if err != nil {
			return "", "", "", fmt.Errorf("message text %s: %w", kind, err)
		}
		var b bytes.Buffer
		if err := tpl.Execute(&b, m); err != nil {
			return "", "", "", fmt.Errorf("message text %s: %w", kind, err)
		}
		out[i] = b.String()
	}
	if m.Unsubscribe != "" {
		out[1] += "\nTo stop these emails: " + m.Unsubscribe + "\n"
	}
	return out[0], out[1], out[2], nil
}
