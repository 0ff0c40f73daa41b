package dunning

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Email sends one email. MessageID is the outbox row's id, so a receiving
// system can recognise a duplicate.
type Email interface {
	SendEmail(ctx context.Context, m OutMessage) error
}

// SMS sends one text message through a provider. Providers take an idempotency
// key (the outbox row's id) and drop a repeat.
type SMS interface {
	SendSMS(ctx context.Context, m OutMessage) error
}

// OutMessage is one message leaving the outbox.
type OutMessage struct {
	ID          string
	To          string
	Subject     string
	Body        string
	Unsubscribe string
}

// SMTP sends email over SMTP, one conversation per message.
type SMTP struct {
	Addr string // host:port
	From string
	// StartTLS upgrades the connection with STARTTLS (required by real relays;
	// the development sink speaks plain SMTP on localhost).
	StartTLS bool
	// Date is the clock for the Date header (time.Now when nil).
	Date func() time.Time
}

// SendEmail delivers m over one SMTP conversation.
func (s SMTP) SendEmail(_ context.Context, m OutMessage) error {
	now := time.Now
	if s.Date != nil {
		now = s.Date
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", s.From)
	hdr("To", m.To)
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+m.ID+"@rcm.dunning>")
	if m.Unsubscribe != "" {
		hdr("List-Unsubscribe", "<"+m.Unsubscribe+">")
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	var c *smtp.Client
	var err error
	if s.StartTLS {
		host, _, _ := net.SplitHostPort(s.Addr)
		c, err = smtp.DialStartTLS(s.Addr, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
	} else {
		c, err = smtp.Dial(s.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp connect: %w", err)
	}
	defer c.Close()
	if err := c.SendMail(addrOnly(s.From), []string{m.To}, &b); err != nil {
		return fmt.Errorf("smtp send %s: %w", m.ID, err)
	}
	return c.Quit()
}

func addrOnly(from string) string {
	if i := strings.LastIndex(from, "<"); i >= 0 {
		return strings.TrimSuffix(from[i+1:], ">")
	}
	return from
}

// Sent is a message a development channel recorded.
type Sent struct {
	ID      string    `json:"id"`
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// DevSMS is the development text-message provider: it keeps what it sends in
// memory (for the development sink page) and, like a real provider, drops a
// message whose idempotency key it has seen.
type DevSMS struct {
	mu   sync.Mutex
	seen map[string]bool
	log  []Sent
}

// SendSMS records m once.
func (d *DevSMS) SendSMS(_ context.Context, m OutMessage) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if d.seen[m.ID] {
		return nil
	}
	d.seen[m.ID] = true
	d.log = append(d.log, Sent{ID: m.ID, Channel: "sms", To: m.To, Body: m.Body, At: time.Now().UTC()})
	if len(d.log) > 500 {
		d.log = d.log[len(d.log)-500:]
	}
	return nil
}

// Sent lists the messages sent, oldest first.
func (d *DevSMS) Sent() []Sent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Sent(nil), d.log...)
}
