package dunning

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// MailSink is a development SMTP server that accepts every message and keeps
// the last few hundred in memory: `rcm dev` sends dunning email to it over real
// SMTP, and its page shows what was sent. Tests use it as the far end of a real
// SMTP conversation.
type MailSink struct {
	srv *smtp.Server
	ln  net.Listener
	mu  sync.Mutex
	log []Sent
}

// StartMailSink listens on addr (host:port; port 0 picks one).
func StartMailSink(addr string) (*MailSink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &MailSink{ln: ln}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is where the sink listens.
func (s *MailSink) Addr() string { return s.ln.Addr().String() }

// Close stops the sink.
func (s *MailSink) Close() error { return s.srv.Close() }

// Sent lists the messages received, oldest first.
func (s *MailSink) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.log...)
}

type sinkSession struct {
	sink *MailSink
	to   []string
}

func (x *sinkSession) Reset()        { x.to = nil }
func (x *sinkSession) Logout() error { return nil }
func (x *sinkSession) Mail(string, *smtp.MailOptions) error {
	return nil
}
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return errors.New("unreadable message")
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	x.sink.mu.Lock()
	defer x.sink.mu.Unlock()
	x.sink.log = append(x.sink.log, Sent{ID: strings.Trim(m.Header.Get("Message-ID"), "<>"), Channel: "email",
		To: strings.Join(x.to, ", "), Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"), At: time.Now().UTC()})
	if len(x.sink.log) > 500 {
		x.sink.log = x.sink.log[len(x.sink.log)-500:]
	}
	return nil
}
