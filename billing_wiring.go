package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/activities"
	"github.com/clinicflow/rcm/api"
	"github.com/clinicflow/rcm/internal/config"
	"github.com/clinicflow/rcm/internal/dunning"
	"github.com/clinicflow/rcm/internal/payments"
	"github.com/clinicflow/rcm/internal/statements"
)

// patientBilling is the configured statements, dunning channels and payment
// processor that the worker's activities and the API share.
type patientBilling struct {
	dunning   *dunning.Service
	sms       *dunning.DevSMS
	sink      *dunning.MailSink
	processor payments.PaymentProcessor
	secret    []byte
}

// newPatientBilling configures dunning from cfg. In dev (or without SMTP_ADDR)
// email goes to the built-in development sink over SMTP; text messages go to the
// development SMS provider (there is no other yet); card payments go to the
// development processor, whose webhooks come back to this process.
func newPatientBilling(g *gorm.DB, cfg config.Config, key []byte, dev bool, logger *slog.Logger) (*patientBilling, error) {
	pb := &patientBilling{sms: &dunning.DevSMS{}}
	secret := []byte(cfg.WebhookSecret)
	if len(secret) == 0 {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("rcm webhook secret"))
		secret = m.Sum(nil)
	}
	pb.secret = secret
	smtpAddr := cfg.SMTPAddr
	if smtpAddr == "" && dev {
		sink, err := dunning.StartMailSink(cfg.DevSMTPAddr)
		if err != nil {
			return nil, fmt.Errorf("development mail sink on %s (DEV_SMTP_ADDR): %w", cfg.DevSMTPAddr, err)
		}
		pb.sink, smtpAddr = sink, sink.Addr()
		logger.Info("development mail sink started", "smtp", sink.Addr())
	}
	dc := dunning.DefaultConfig()
	dc.DayLength = cfg.DunningDayLength
	if err := dc.Validate(); err != nil {
		return nil, err
	}
	st := &statements.Service{DB: g, BaseURL: cfg.PublicURL}
	statements.DefaultName = cfg.PracticeName
	pb.dunning = &dunning.Service{DB: g, Config: dc, Statements: st, SMS: pb.sms, BaseURL: cfg.PublicURL, Secret: secret}
	if smtpAddr != "" {
		pb.dunning.Email = dunning.SMTP{Addr: smtpAddr, From: cfg.SMTPFrom, StartTLS: cfg.SMTPStartTLS}
	}
	self := "http://127.0.0.1" + cfg.HTTPAddr
	if !strings.HasPrefix(cfg.HTTPAddr, ":") {
		self = "http://" + cfg.HTTPAddr
	}
	pb.processor = &payments.DevProcessor{WebhookURL: self + "/webhooks/payments", Secret: secret, Delay: time.Second, Logger: logger}
	return pb, nil
}

// wire gives the worker's activities dunning and a Temporal client.
func (pb *patientBilling) wire(a *activities.Activities, tc client.Client) *activities.Activities {
	a.Dunning, a.Temporal = pb.dunning, tc
	return a
}

// serve gives the API the same services, the processor and, in dev, the sink.
func (pb *patientBilling) serve(s *api.Server) *api.Server {
	s.Dunning, s.Statements = pb.dunning, pb.dunning.Statements
	s.Processor, s.WebhookSecret = pb.processor, pb.secret
	if pb.sink != nil {
		s.DevSent = func() []dunning.Sent {
			all := append(pb.sink.Sent(), pb.sms.Sent()...)
			slices.SortStableFunc(all, func(a, b dunning.Sent) int { return a.At.Compare(b.At) })
			return all
		}
	}
	return s
}

func (pb *patientBilling) close() {
	if pb.sink != nil {
		_ = pb.sink.Close()
	}
}
