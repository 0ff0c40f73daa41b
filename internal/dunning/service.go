package dunning

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/ledger"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/statements"
	"github.com/clinicflow/rcm/internal/validate"
)

// Channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPaper = "paper"
)

// Outbox statuses.
const (
	StatusPending     = "pending"
	StatusSending     = "sending"
	StatusSent        = "sent"
	StatusSkipped     = "skipped"
	StatusUnconfirmed = "unconfirmed"
)

// ErrNotFound is returned for an unknown patient or message.
var ErrNotFound = apperr.New(apperr.NotFound, "not found")

// Service is dunning's storage and channels.
type Service struct {
	DB         *gorm.DB
	Config     Config
	Email      Email
	SMS        SMS
	Statements *statements.Service
	// BaseURL is the public address of the application (payment and
	// unsubscribe links).
	BaseURL string
	// Secret signs unsubscribe links.
	Secret []byte
	// AfterSend, when set, runs after a message left through its channel and
	// before the outbox records it (tests simulate a crash there).
	AfterSend func(m OutMessage)
}

// Balance is what a patient owes across cases, from the ledger.
type Balance struct {
	// Owed is patient A/R; Credit what is held for the patient; Due = Owed -
	// Credit (credits net across cases), never below zero.
	Owed          decimal.Decimal `json:"owed"`
	Credit        decimal.Decimal `json:"credit"`
	Due           decimal.Decimal `json:"due"`
	InCollections decimal.Decimal `json:"in_collections"`
	// Cases are the cases with a patient balance, oldest first.
	Cases []CaseBalance `json:"cases"`
}

// CaseBalance is one case's patient balance.
type CaseBalance struct {
	CaseID string          `json:"case_id"`
	Owed   decimal.Decimal `json:"owed"`
}

// PatientBalance reads a patient's balance across cases.
func (s *Service) PatientBalance(ctx context.Context, patientID string) (Balance, error) {
	return patientBalance(s.DB.WithContext(ctx), patientID)
}

func patientBalance(tx *gorm.DB, patientID string) (Balance, error) {
	var rows []struct {
		CaseID      string
		AccountCode string
		Total       decimal.Decimal
	}
	err := tx.Raw(`SELECT l.case_id, l.account_code, sum(l.amount) AS total FROM journal_lines l
		JOIN cases c ON c.id = l.case_id WHERE c.patient_id = ? AND l.account_code IN (?, ?, ?)
		GROUP BY l.case_id, l.account_code, c.opened_at ORDER BY c.opened_at, l.case_id`, patientID,
		string(ledger.ARPatient), string(ledger.PatientCredit), string(ledger.ARCollections)).Scan(&rows).Error
	if err != nil {
		return Balance{}, fmt.Errorf("patient balance: %w", err)
	}
	b := Balance{Cases: []CaseBalance{}}
	for _, r := range rows {
		switch ledger.Account(r.AccountCode) {
		case ledger.ARPatient:
			b.Owed = b.Owed.Add(r.Total)
			if r.Total.IsPositive() {
				b.Cases = append(b.Cases, CaseBalance{CaseID: r.CaseID, Owed: r.Total})
			}
		case ledger.PatientCredit:
			b.Credit = b.Credit.Add(r.Total.Neg())
		case ledger.ARCollections:
			b.InCollections = b.InCollections.Add(r.Total)
		}
	}
	b.Due = decimal.Max(b.Owed.Sub(b.Credit), decimal.Zero)
	return b, nil
}

// Contact is how a patient is reached and what the patient agreed to.
type Contact struct {
	Email    string `json:"-"`
	Phone    string `json:"-"`
	EmailOK  bool   `json:"email_ok"`
	SMSOK    bool   `json:"sms_ok"`
	TimeZone string `json:"time_zone"`
}

// Contact reads a patient's contact details and consent.
func (s *Service) Contact(ctx context.Context, patientID string) (Contact, error) {
	var c struct {
		Email, Phone string
		EmailOK      *bool
		SMSOK        *bool `gorm:"column:sms_ok"`
		TimeZone     *string
	}
	res := s.DB.WithContext(ctx).Raw(`SELECT p.email, p.phone, x.email_ok, x.sms_ok, x.time_zone FROM patients p
		LEFT JOIN patient_contact_prefs x ON x.patient_id = p.id WHERE p.id = ?`, patientID).Scan(&c)
	if res.Error != nil {
		return Contact{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Contact{}, fmt.Errorf("patient %s: %w", patientID, ErrNotFound)
	}
	out := Contact{Email: c.Email, Phone: c.Phone, EmailOK: true, SMSOK: true, TimeZone: DefaultTimeZone}
	if c.EmailOK != nil {
		out.EmailOK, out.SMSOK, out.TimeZone = *c.EmailOK, *c.SMSOK, *c.TimeZone
	}
	return out, nil
}

// Prefs sets a patient's channel consent and time zone.
type Prefs struct {
	EmailOK  *bool  `json:"email_ok"`
	SMSOK    *bool  `json:"sms_ok"`
	TimeZone string `json:"time_zone"`
}

// SetPrefs updates consent and time zone; unset fields keep their value.
func (s *Service) SetPrefs(ctx context.Context, patientID string, p Prefs, actor audit.Actor) (Contact, error) {
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || !strings.Contains(p.TimeZone, "/") {
			return Contact{}, validate.Errors{{Field: "time_zone", Message: "must be an IANA time zone such as America/New_York"}}
		}
	}
	cur, err := s.Contact(ctx, patientID)
	if err != nil {
		return Contact{}, err
	}
	if p.EmailOK != nil {
		cur.EmailOK = *p.EmailOK
	}
	if p.SMSOK != nil {
		cur.SMSOK = *p.SMSOK
	}
	if p.TimeZone != "" {
		cur.TimeZone = p.TimeZone
	}
	return cur, s.savePrefs(ctx, patientID, cur, actor, "contact_prefs.set")
}

func (s *Service) savePrefs(ctx context.Context, patientID string, c Contact, actor audit.Actor, action string) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The audit row carries the preferences before and after.
		var before []struct {
			EmailOK, SMSOK bool
			TimeZone       string
		}
		if err := tx.Raw(`SELECT email_ok AS email_ok, sms_ok AS sms_ok, time_zone FROM patient_contact_prefs
			WHERE patient_id = ? FOR UPDATE`, patientID).Scan(&before).Error; err != nil {
			return fmt.Errorf("read contact preferences: %w", err)
		}
		was := map[string]any{}
		if len(before) > 0 {
			was = map[string]any{"email_ok": before[0].EmailOK, "sms_ok": before[0].SMSOK, "time_zone": before[0].TimeZone}
		}
		err := tx.Exec(`INSERT INTO patient_contact_prefs (patient_id, email_ok, sms_ok, time_zone, updated_at)
			VALUES (?, ?, ?, ?, now()) ON CONFLICT (patient_id) DO UPDATE SET email_ok = excluded.email_ok,
			sms_ok = excluded.sms_ok, time_zone = excluded.time_zone, updated_at = now()`,
			patientID, c.EmailOK, c.SMSOK, c.TimeZone).Error
		if err != nil {
			return fmt.Errorf("save contact preferences: %w", err)
		}
		now := map[string]any{"email_ok": c.EmailOK, "sms_ok": c.SMSOK, "time_zone": c.TimeZone}
		return audit.Record(tx, actor, action, "patient", patientID, audit.Merge(audit.Diff(was, now), now))
	})
}

var digitsRe = regexp.MustCompile(`\D`)

// OptOutSMS records a STOP reply from a phone number: every patient with that
// number stops receiving text messages. It reports how many patients.
func (s *Service) OptOutSMS(ctx context.Context, phone string) (int, error) {
	digits := digitsRe.ReplaceAllString(phone, "")
	if len(digits) < 7 {
		return 0, validate.Errors{{Field: "from", Message: "must be a phone number"}}
	}
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	var ids []string
	err := s.DB.WithContext(ctx).Raw(`SELECT id FROM patients WHERE right(regexp_replace(phone, '\D', '', 'g'), 10) = right(?, 10)
		AND phone <> '' ORDER BY id`, digits).Scan(&ids).Error
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		c, err := s.Contact(ctx, id)
		if err != nil {
			return 0, err
		}
		c.SMSOK = false
		if err := s.savePrefs(ctx, id, c, audit.System, "contact_prefs.sms_stop"); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// UnsubscribeToken is the token of a patient's email unsubscribe link.
func (s *Service) UnsubscribeToken(patientID string) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("unsubscribe:" + patientID))
	return base64.RawURLEncoding.EncodeToString([]byte(patientID)) + "." + hex.EncodeToString(m.Sum(nil))[:32]
}

// ErrBadUnsubscribe is returned for a forged or damaged unsubscribe link.
var ErrBadUnsubscribe = apperr.New(apperr.NotFound, "this unsubscribe link is not valid")

// Unsubscribe turns email off for the patient the token names.
func (s *Service) Unsubscribe(ctx context.Context, token string) error {
	enc, _, ok := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || err != nil || uuid.Validate(string(raw)) != nil ||
		!hmac.Equal([]byte(s.UnsubscribeToken(string(raw))), []byte(token)) {
		return ErrBadUnsubscribe
	}
	c, err := s.Contact(ctx, string(raw))
	if err != nil {
		return err
	}
	c.EmailOK = false
	return s.savePrefs(ctx, string(raw), c, audit.System, "contact_prefs.unsubscribe")
}

// Outbox is one message row.
type Outbox struct {
	ID          string     `gorm:"primaryKey;type:uuid" json:"id"`
	Account     string     `json:"account"`
	Step        string     `json:"step"`
	Channel     string     `json:"channel"`
	Status      string     `json:"status"`
	Recipient   string     `json:"-"`
	Subject     string     `json:"subject"`
	Body        string     `json:"-"`
	Detail      string     `json:"detail,omitempty"`
	StatementID *string    `gorm:"type:uuid" json:"statement_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

// TableName is dunning_messages.
func (Outbox) TableName() string { return "dunning_messages" }

// PrepareInput asks for one step's messages.
type PrepareInput struct {
	PatientID string `json:"patient_id"`
	// Account is the outbox account: the patient and the dunning cycle.
	Account string `json:"account"`
	Step    string `json:"step"`
	// Kind picks the text (a step kind, "thanks" or "instalment").
	Kind string `json:"kind"`
	// Statement asks for a statement and a payment link with the message.
	Statement bool `json:"statement"`
	// Amount overrides the amount in the text (an instalment); zero: the balance due.
	Amount decimal.Decimal `json:"amount"`
	At     time.Time       `json:"at"`
}

// Pending is a message waiting to be sent.
type Pending struct {
	ID       string `json:"id"`
	Channel  string `json:"channel"`
	TimeZone string `json:"time_zone"`
}

// Prepared is a step's outbox rows.
type Prepared struct {
	StatementID string          `json:"statement_id,omitempty"`
	Amount      decimal.Decimal `json:"amount"`
	Messages    []Pending       `json:"messages"`
}

// Prepare writes the outbox rows of a step once: the statement (when asked),
// a payment link and one message per channel the patient agreed to (email,
// text, or paper when neither). Called again for the same step it returns the
// rows already written, whatever their status.
func (s *Service) Prepare(ctx context.Context, in PrepareInput) (Prepared, error) {
	var out Prepared
	contact, err := s.Contact(ctx, in.PatientID)
	if err != nil {
		return out, err
	}
	var stmt statements.Issued
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext(?))`, "outbox:"+in.Account+":"+in.Step).Error; err != nil {
			return err
		}
		var rows []Outbox
		if err := tx.Where("account = ? AND step = ?", in.Account, in.Step).Order("channel").Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			for _, r := range rows {
				if r.Status == StatusPending || r.Status == StatusSending {
					out.Messages = append(out.Messages, Pending{ID: r.ID, Channel: r.Channel, TimeZone: contact.TimeZone})
				}
			}
			return nil
		}
		bal, err := patientBalance(tx, in.PatientID)
		if err != nil {
			return err
		}
		amount := in.Amount
		if !amount.IsPositive() {
			amount = bal.Due
		}
		out.Amount = amount
		brand, err := s.Statements.BrandingFor(ctx, "")
		if err != nil {
			return err
		}
		m := Message{Practice: brand.Name, Amount: "$" + amount.StringFixed(2), Link: s.BaseURL + "/pay"}
		var link payments.Link
		if amount.IsPositive() && in.Kind != "thanks" {
			var token string
			token, link, err = payments.CreateLink(tx, in.PatientID, "", amount, in.At, 0)
			if err != nil {
				return err
			}
			m.Link = s.BaseURL + "/pay/" + token
		}
		if in.Statement {
			// The statement of the step, with the same payment link, in the same
			// transaction as the outbox rows: a retry finds all or nothing.
			stmt, err = s.Statements.IssueTx(tx, statements.IssueInput{PatientID: in.PatientID,
				Key: "dunning:" + in.Account + ":" + in.Step, PayURL: m.Link, Actor: audit.System})
			switch {
			case errors.Is(err, statements.ErrNothingDue):
			case err != nil:
				return err
			default:
				out.StatementID, m.Statement = stmt.ID, stmt.Number
				if link.ID != "" {
					if err := tx.Model(&payments.Link{}).Where("id = ?", link.ID).Update("statement_id", stmt.ID).Error; err != nil {
						return err
					}
				}
			}
		}
		var channels []string
		if contact.EmailOK && contact.Email != "" {
			channels = append(channels, ChannelEmail)
		}
		if contact.SMSOK && contact.Phone != "" {
			channels = append(channels, ChannelSMS)
		}
		if len(channels) == 0 {
			channels = []string{ChannelPaper} // opted out of both, or no address: a letter
		}
		for _, ch := range channels {
			mm := m
			to := contact.Email
			if ch == ChannelEmail {
				mm.Unsubscribe = s.BaseURL + "/unsubscribe/" + s.UnsubscribeToken(in.PatientID)
			}
			subject, body, sms, err := s.Config.Render(in.Kind, mm)
			if err != nil {
				return err
			}
			switch ch {
			case ChannelSMS:
				to, body, subject = contact.Phone, sms, ""
			case ChannelPaper:
				to = "mail"
			}
			r := Outbox{ID: uuid.NewString(), Account: in.Account, Step: in.Step, Channel: ch, Status: StatusPending,
				Recipient: to, Subject: subject, Body: body, CreatedAt: in.At}
			if stmt.ID != "" {
				r.StatementID = &stmt.ID
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
				return fmt.Errorf("outbox %s/%s: %w", in.Step, ch, err)
			}
			out.Messages = append(out.Messages, Pending{ID: r.ID, Channel: ch, TimeZone: contact.TimeZone})
		}
		return nil
	})
	return out, err
}

// Send sends one outbox message at most once. A message already sent, skipped
// or found mid-send (a worker died between handing it to the channel and
// recording it) is not sent again; the last is marked unconfirmed. A channel
// the patient opted out of since the step was prepared is skipped.
func (s *Service) Send(ctx context.Context, id string) (string, error) {
	var r Outbox
	var status string
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Raw(`SELECT * FROM dunning_messages WHERE id = ? FOR UPDATE`, id).Scan(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("message %s: %w", id, ErrNotFound)
		}
		status = r.Status
		switch r.Status {
		case StatusSending:
			status = StatusUnconfirmed
			return tx.Model(&Outbox{}).Where("id = ?", id).Updates(map[string]any{"status": StatusUnconfirmed,
				"detail": "the worker stopped after handing the message to the channel; not sent again"}).Error
		case StatusPending:
		default:
			return nil
		}
		patientID, _, _ := strings.Cut(r.Account, "/")
		c, err := s.Contact(ctx, patientID)
		if err != nil {
			return err
		}
		if (r.Channel == ChannelSMS && !c.SMSOK) || (r.Channel == ChannelEmail && !c.EmailOK) {
			status = StatusSkipped
			return tx.Model(&Outbox{}).Where("id = ?", id).Updates(map[string]any{"status": StatusSkipped,
				"detail": "the patient opted out of this channel"}).Error
		}
		status = StatusSending
		return tx.Model(&Outbox{}).Where("id = ?", id).Update("status", StatusSending).Error
	})
	if err != nil || status != StatusSending {
		return status, err
	}
	m := OutMessage{ID: r.ID, To: r.Recipient, Subject: r.Subject, Body: r.Body}
	if r.Channel == ChannelEmail {
		patientID, _, _ := strings.Cut(r.Account, "/")
		m.Unsubscribe = s.BaseURL + "/unsubscribe/" + s.UnsubscribeToken(patientID)
	}
	switch r.Channel {
	case ChannelEmail:
		if s.Email == nil {
			return s.skip(ctx, id, "no email channel is configured")
		} else {
			err = s.Email.SendEmail(ctx, m)
		}
	case ChannelSMS:
		if s.SMS == nil {
			return s.skip(ctx, id, "no text-message provider is configured")
		} else {
			err = s.SMS.SendSMS(ctx, m)
		}
	case ChannelPaper:
		// Letters are printed from the outbox (status sent = queued for print).
	}
	if err != nil {
		// Not handed over: back to pending so the retry sends it.
		if uerr := s.DB.WithContext(ctx).Model(&Outbox{}).Where("id = ? AND status = ?", id, StatusSending).
			Updates(map[string]any{"status": StatusPending, "detail": err.Error()}).Error; uerr != nil {
			return "", uerr
		}
		return "", err
	}
	if s.AfterSend != nil {
		s.AfterSend(m)
	}
	now := time.Now().UTC()
	err = s.DB.WithContext(ctx).Model(&Outbox{}).Where("id = ?", id).Updates(map[string]any{"status": StatusSent, "sent_at": now, "detail": ""}).Error
	return StatusSent, err
}

// Messages lists a patient's outbox rows, newest first.
func (s *Service) Messages(ctx context.Context, patientID string, limit int) ([]Outbox, error) {
	var rows []Outbox
	err := s.DB.WithContext(ctx).Where("account LIKE ?", patientID+"/%").Order("created_at DESC, step, channel").
		Limit(limit).Find(&rows).Error
	return rows, err
}

// AllMessages lists the newest outbox rows of every patient (the development
// sink page), with their text.
func (s *Service) AllMessages(ctx context.Context, limit int) ([]Outbox, error) {
	var rows []Outbox
	err := s.DB.WithContext(ctx).Order("created_at DESC, id").Limit(limit).Find(&rows).Error
	return rows, err
}

func (s *Service) skip(ctx context.Context, id, why string) (string, error) {
	err := s.DB.WithContext(ctx).Model(&Outbox{}).Where("id = ?", id).
		Updates(map[string]any{"status": StatusSkipped, "detail": why}).Error
	return StatusSkipped, err
}

// IsStop reports whether an inbound text message is an opt-out keyword.
func IsStop(body string) bool {
	switch strings.ToUpper(strings.TrimSpace(body)) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT":
		return true
	}
	return false
}
