// Package config reads the process configuration from environment variables. Every
// variable has a documented default that runs the system on one machine.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/clinicflow/rcm/internal/phicrypt"
)

// Config is the whole process configuration.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string (DATABASE_URL).
	DatabaseURL string
	// TemporalAddress is host:port of a Temporal frontend (TEMPORAL_ADDRESS). Empty
	// means the dev command embeds its own server.
	TemporalAddress string
	// TemporalNamespace is the namespace workflows run in (TEMPORAL_NAMESPACE).
	TemporalNamespace string
	// TemporalPort is the embedded server's frontend port (TEMPORAL_PORT).
	TemporalPort int
	// TemporalUIPort is where `rcm dev` serves the Temporal Web UI
	// (TEMPORAL_UI_PORT, on 127.0.0.1); 0 turns the UI off.
	TemporalUIPort int
	// TemporalUIURL is the base address of a Temporal Web UI that API answers
	// link workflows to (TEMPORAL_UI_URL). `rcm dev` sets it to its own UI;
	// against a cluster, set it to the cluster's UI (empty: no links).
	TemporalUIURL string
	// DatabaseRole is the role the application's database sessions act as
	// (DATABASE_ROLE, default rcm_app, a role that owns nothing; "none" keeps
	// the login user's own privileges). Migrations run as the login user.
	DatabaseRole string
	// MetricsAddr is where `rcm worker` serves Prometheus metrics at /metrics
	// (METRICS_ADDR, e.g. ":9090"; empty: not served). The API and `rcm dev`
	// serve them on the API's own address.
	MetricsAddr string
	// TracesExporter turns on OpenTelemetry tracing (OTEL_TRACES_EXPORTER:
	// "none", the default, or "otlp", which sends to OTEL_EXPORTER_OTLP_ENDPOINT).
	TracesExporter string
	// HTTPAddr is where the API listens (HTTP_ADDR).
	HTTPAddr string
	// DataDir holds the embedded server's files and dev secrets (DATA_DIR).
	DataDir string
	// EncryptionKey is the 32-byte AES key for Temporal payloads (ENCRYPTION_KEY, base64).
	EncryptionKey []byte
	// PHIKey is the 32-byte AES key that seals the PHI columns at rest
	// (PHI_KEY, base64; internal/phicrypt), stored under the id PHIKeyID
	// (PHI_KEY_ID, default k1). It must differ from ENCRYPTION_KEY. Required
	// outside `rcm dev`, which generates one into DATA_DIR/phi.key.
	PHIKey   []byte
	PHIKeyID string
	// PHIOldKeys are retired PHI keys that still open what they sealed until
	// `rcm phi rotate` has moved every value to PHIKey (PHI_OLD_KEYS:
	// "id:base64,id:base64").
	PHIOldKeys []phicrypt.Key
	// PHILookupKey keys the HMAC-SHA256 exact-match hashes of sealed columns
	// (PHI_LOOKUP_KEY, base64): its own key, never PHI_KEY or ENCRYPTION_KEY.
	// Required outside `rcm dev` (DATA_DIR/phi-lookup.key there).
	PHILookupKey []byte
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel string
	// MissingChargesAfter is how long a checked-in visit may go without completed
	// charges before a task is raised (MISSING_CHARGES_AFTER, a Go duration).
	MissingChargesAfter time.Duration
	// ClaimDayLength is how long a payer's "day" lasts for claim timers
	// (CLAIM_DAY_LENGTH): acknowledgement and payment waits, filing and appeal
	// deadlines. 24h in production; shorten it to watch those timers fire in a demo.
	ClaimDayLength time.Duration
	// LegalDayLength is how long a day lasts for the timers of holds on legal
	// cases (LEGAL_DAY_LENGTH): attorney follow-ups, lien, treatment gap,
	// statute-of-limitations reminders. 24h in production.
	LegalDayLength time.Duration
	// SimAckDelay and SimRemitDelay are how long the built-in clearinghouse
	// simulator takes to answer a claim with its 999/277CA and its 835
	// (SIM_ACK_DELAY, SIM_REMIT_DELAY).
	SimAckDelay   time.Duration
	SimRemitDelay time.Duration
	// PollInterval is how often the worker fetches clearinghouse files (POLL_INTERVAL).
	PollInterval time.Duration
	// PracticeName and SubmitterID name the practice to the clearinghouse in the
	// 837P (PRACTICE_NAME, SUBMITTER_ID).
	PracticeName string
	SubmitterID  string
	// PracticePhone is the billing office's number for the 837P submitter
	// contact and appeal letters (PRACTICE_PHONE).
	PracticePhone string
	// MaxAmount is the most one charge, payment or adjustment may be
	// (MAX_AMOUNT, a decimal such as 250000.00); a larger one is refused with a
	// 400. Zero (unset) means billing.DefaultMaxAmount, $1,000,000.
	MaxAmount decimal.Decimal
	// DunningDayLength is how long a "day" of the dunning cadence lasts
	// (DUNNING_DAY_LENGTH): 24h in production; 10s runs the 90-day cadence in
	// 15 minutes for a demo. The cadence itself is dunning.DefaultConfig.
	DunningDayLength time.Duration
	// SMTPAddr is the mail relay dunning email goes to (SMTP_ADDR, host:port);
	// empty in `rcm dev` means the built-in development sink on DevSMTPAddr.
	// SMTPFrom is the From address (SMTP_FROM); SMTPStartTLS upgrades the
	// connection (SMTP_STARTTLS=true).
	SMTPAddr     string
	SMTPFrom     string
	SMTPStartTLS bool
	DevSMTPAddr  string
	// PublicURL is the address patients reach the payment page and unsubscribe
	// links at (PUBLIC_URL).
	PublicURL string
	// WebhookSecret signs payment-processor and SMS webhooks (WEBHOOK_SECRET);
	// empty in `rcm dev` means one derived from the encryption key.
	WebhookSecret string
}

// Defaults used when a variable is unset.
const (
	DefaultDatabaseURL         = "postgres://postgres@127.0.0.1:5432/rcm?sslmode=disable"
	DefaultTemporalNamespace   = "default"
	DefaultTemporalPort        = 7233
	DefaultTemporalUIPort      = 8233
	DefaultHTTPAddr            = ":8080"
	DefaultDataDir             = ".data"
	DefaultLogLevel            = "info"
	DefaultMissingChargesAfter = 24 * time.Hour
	DefaultClaimDayLength      = 24 * time.Hour
	DefaultSimAckDelay         = 2 * time.Second
	DefaultSimRemitDelay       = 5 * time.Second
	DefaultPollInterval        = 2 * time.Second
	DefaultPracticeName        = "CLINICFLOW PRACTICE"
	DefaultSubmitterID         = "CLINICFLOW"
	DefaultPracticePhone       = "5555550100"
	DefaultDunningDayLength    = 24 * time.Hour
	DefaultSMTPFrom            = "Billing office <billing@localhost>"
	DefaultDevSMTPAddr         = "127.0.0.1:2525"
	DefaultPublicURL           = "http://localhost:8080"
	DefaultPHIKeyID            = "k1"
)

// FromEnv reads the configuration from the environment through getenv.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:         or(getenv("DATABASE_URL"), DefaultDatabaseURL),
		TemporalAddress:     getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace:   or(getenv("TEMPORAL_NAMESPACE"), DefaultTemporalNamespace),
		HTTPAddr:            or(getenv("HTTP_ADDR"), DefaultHTTPAddr),
		DataDir:             or(getenv("DATA_DIR"), DefaultDataDir),
		LogLevel:            or(getenv("LOG_LEVEL"), DefaultLogLevel),
		TemporalPort:        DefaultTemporalPort,
		TemporalUIPort:      DefaultTemporalUIPort,
		TemporalUIURL:       strings.TrimRight(getenv("TEMPORAL_UI_URL"), "/"),
		MetricsAddr:         getenv("METRICS_ADDR"),
		DatabaseRole:        or(getenv("DATABASE_ROLE"), "rcm_app"),
		TracesExporter:      or(getenv("OTEL_TRACES_EXPORTER"), "none"),
		MissingChargesAfter: DefaultMissingChargesAfter,
		ClaimDayLength:      DefaultClaimDayLength,
		LegalDayLength:      DefaultClaimDayLength,
		SimAckDelay:         DefaultSimAckDelay,
		SimRemitDelay:       DefaultSimRemitDelay,
		PollInterval:        DefaultPollInterval,
		PracticeName:        or(getenv("PRACTICE_NAME"), DefaultPracticeName),
		SubmitterID:         or(getenv("SUBMITTER_ID"), DefaultSubmitterID),
		PracticePhone:       or(getenv("PRACTICE_PHONE"), DefaultPracticePhone),
		DunningDayLength:    DefaultDunningDayLength,
		SMTPAddr:            getenv("SMTP_ADDR"),
		SMTPFrom:            or(getenv("SMTP_FROM"), DefaultSMTPFrom),
		SMTPStartTLS:        getenv("SMTP_STARTTLS") == "true",
		DevSMTPAddr:         or(getenv("DEV_SMTP_ADDR"), DefaultDevSMTPAddr),
		PublicURL:           strings.TrimRight(or(getenv("PUBLIC_URL"), DefaultPublicURL), "/"),
		WebhookSecret:       getenv("WEBHOOK_SECRET"),
		PHIKeyID:            or(getenv("PHI_KEY_ID"), DefaultPHIKeyID),
	}
	var err error
	durations := []struct {
		name     string
		dst      *time.Duration
		positive bool
	}{
		{"CLAIM_DAY_LENGTH", &c.ClaimDayLength, true},
		{"LEGAL_DAY_LENGTH", &c.LegalDayLength, true},
		{"SIM_ACK_DELAY", &c.SimAckDelay, false},
		{"SIM_REMIT_DELAY", &c.SimRemitDelay, false},
		{"POLL_INTERVAL", &c.PollInterval, true},
		{"DUNNING_DAY_LENGTH", &c.DunningDayLength, true},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst < 0 || (d.positive && *d.dst == 0) {
			return c, fmt.Errorf("%s: %q is not a positive duration such as 2s or 24h", d.name, v)
		}
	}
	if v := getenv("TEMPORAL_PORT"); v != "" {
		if c.TemporalPort, err = strconv.Atoi(v); err != nil || c.TemporalPort <= 0 || c.TemporalPort > 65535 {
			return c, fmt.Errorf("TEMPORAL_PORT: %q is not a port number", v)
		}
	}
	if v := getenv("TEMPORAL_UI_PORT"); v != "" {
		if c.TemporalUIPort, err = strconv.Atoi(v); err != nil || c.TemporalUIPort < 0 || c.TemporalUIPort > 65535 {
			return c, fmt.Errorf("TEMPORAL_UI_PORT: %q is not a port number (0 turns the UI off)", v)
		}
	}
	if v := getenv("MISSING_CHARGES_AFTER"); v != "" {
		if c.MissingChargesAfter, err = time.ParseDuration(v); err != nil || c.MissingChargesAfter <= 0 {
			return c, fmt.Errorf("MISSING_CHARGES_AFTER: %q is not a positive duration such as 24h", v)
		}
	}
	if v := getenv("MAX_AMOUNT"); v != "" {
		if c.MaxAmount, err = decimal.NewFromString(v); err != nil || !c.MaxAmount.IsPositive() ||
			!c.MaxAmount.Equal(c.MaxAmount.Round(2)) || c.MaxAmount.GreaterThanOrEqual(decimal.New(1, 12)) {
			return c, fmt.Errorf("MAX_AMOUNT: %q is not a positive amount such as 1000000.00 (below 1000000000000)", v)
		}
	}
	if v := getenv("ENCRYPTION_KEY"); v != "" {
		if c.EncryptionKey, err = DecodeKey(v); err != nil {
			return c, err
		}
	}
	if err := c.readPHIKeys(getenv); err != nil {
		return c, err
	}
	if c.DatabaseRole == "none" {
		c.DatabaseRole = ""
	}
	switch c.TracesExporter {
	case "none", "otlp":
	default:
		return c, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not one of none, otlp", c.TracesExporter)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	return c, nil
}

// FromOS reads the configuration from the process environment.
func FromOS() (Config, error) { return FromEnv(os.Getenv) }

// DecodeKey parses a base64 AES-256 key.
func DecodeKey(v string) ([]byte, error) { return decodeKey("ENCRYPTION_KEY", v) }

func decodeKey(name, v string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("%s: must be 32 random bytes, base64 encoded (e.g. `openssl rand -base64 32`)", name)
	}
	return k, nil
}

// readPHIKeys reads PHI_KEY, PHI_OLD_KEYS and PHI_LOOKUP_KEY (PHI_KEY_ID is
// read with the plain settings).
func (c *Config) readPHIKeys(getenv func(string) string) error {
	var err error
	if v := getenv("PHI_KEY"); v != "" {
		if c.PHIKey, err = decodeKey("PHI_KEY", v); err != nil {
			return err
		}
	}
	if v := getenv("PHI_LOOKUP_KEY"); v != "" {
		if c.PHILookupKey, err = decodeKey("PHI_LOOKUP_KEY", v); err != nil {
			return err
		}
	}
	for _, item := range strings.Split(getenv("PHI_OLD_KEYS"), ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		id, b64, ok := strings.Cut(item, ":")
		if !ok || id == "" {
			return errors.New("PHI_OLD_KEYS: must be a comma-separated list of id:base64-key (e.g. k1:...=,k0:...=)")
		}
		k, err := decodeKey("PHI_OLD_KEYS "+id, b64)
		if err != nil {
			return err
		}
		c.PHIOldKeys = append(c.PHIOldKeys, phicrypt.Key{ID: id, Key: k})
	}
	return c.CheckPHIKeys(c.EncryptionKey)
}

// CheckPHIKeys refuses PHI keys that repeat the Temporal payload key
// (codecKey) or each other: one leaked key must not open both stores, and the
// lookup hash must not be computable from an encryption key.
func (c Config) CheckPHIKeys(codecKey []byte) error {
	named := []struct {
		name string
		key  []byte
	}{{"ENCRYPTION_KEY", codecKey}, {"PHI_KEY", c.PHIKey}, {"PHI_LOOKUP_KEY", c.PHILookupKey}}
	for _, o := range c.PHIOldKeys {
		named = append(named, struct {
			name string
			key  []byte
		}{"PHI_OLD_KEYS " + o.ID, o.Key})
	}
	for i, a := range named {
		for _, b := range named[i+1:] {
			if len(a.key) > 0 && bytes.Equal(a.key, b.key) {
				return fmt.Errorf("%s and %s are the same key: each must be its own random key (`openssl rand -base64 32`)", a.name, b.name)
			}
		}
	}
	return nil
}

// PHIKeyring builds the PHI keyring from PHI_KEY, PHI_KEY_ID, PHI_OLD_KEYS
// and PHI_LOOKUP_KEY; both keys are required.
func (c Config) PHIKeyring() (*phicrypt.Keyring, error) {
	if c.PHIKey == nil || c.PHILookupKey == nil {
		return nil, errors.New("PHI_KEY and PHI_LOOKUP_KEY are required: two different random keys, " +
			"32 bytes base64 each (`openssl rand -base64 32`), not ENCRYPTION_KEY; they seal member IDs and other PHI " +
			"columns at rest (README, PHI at rest)")
	}
	k, err := phicrypt.NewKeyring(phicrypt.Key{ID: c.PHIKeyID, Key: c.PHIKey}, c.PHIOldKeys, c.PHILookupKey)
	if err != nil {
		return nil, fmt.Errorf("PHI keys: %w", err)
	}
	return k, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
