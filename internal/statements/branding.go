package statements

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/validate"
)

// ScopePractice is the branding row of the whole practice; a location's own row
// (scope = the location id) overrides it field by field.
const ScopePractice = "practice"

// DefaultAccent is the accent colour when none is set.
const DefaultAccent = "#1f6feb"

// Branding is how statements and the payment page present the practice.
type Branding struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Accent  string `json:"accent"`
	Message string `json:"message"`
	// LogoPNG is the logo image (PNG), base64 in JSON.
	LogoPNG []byte `json:"logo_png,omitempty"`
}

type brandingRow struct {
	Scope     string `gorm:"primaryKey"`
	Name      string
	Address   string
	Phone     string
	Accent    string
	Message   string
	LogoPNG   []byte `gorm:"column:logo_png"`
	UpdatedAt time.Time
}

func (brandingRow) TableName() string { return "practice_branding" }

// DefaultName names the practice until it sets its branding.
var DefaultName = "Your practice"

func brandingFor(tx *gorm.DB, locationID string) (Branding, error) {
	var rows []brandingRow
	scopes := []string{ScopePractice}
	if locationID != "" {
		scopes = append(scopes, locationID)
	}
	if err := tx.Where("scope IN ?", scopes).Find(&rows).Error; err != nil {
		return Branding{}, fmt.Errorf("read branding: %w", err)
	}
	b := Branding{Name: DefaultName, Accent: DefaultAccent}
	apply := func(r brandingRow) {
		for _, f := range []struct {
			dst *string
			v   string
		}{{&b.Name, r.Name}, {&b.Address, r.Address},
			{&b.Phone, r.Phone}, {&b.Accent, r.Accent}, {&b.Message, r.Message}} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
		if len(r.LogoPNG) > 0 {
			b.LogoPNG = r.LogoPNG
		}
	}
	for _, want := range scopes { // practice first, then the location's overrides
		for _, r := range rows {
			if r.Scope == want {
				apply(r)
			}
		}
	}
	return b, nil
}

// BrandingFor is the branding that applies at a location ("" for the practice).
func (s *Service) BrandingFor(ctx context.Context, locationID string) (Branding, error) {
	return brandingFor(s.DB.WithContext(ctx), locationID)
}

var accentRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// MaxLogo is the largest logo accepted (bytes).
const MaxLogo = 256 << 10

// BrandingInput sets the branding of the practice or one location.
type BrandingInput struct {
	LocationID string `json:"location_id,omitempty"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	Phone      string `json:"phone"`
	Accent     string `json:"accent"`
	Message    string `json:"message"`
	// LogoPNGBase64 is the logo as base64 PNG; empty keeps none.
	LogoPNGBase64 string `json:"logo_png_base64"`
}

// SetBranding validates and stores branding.
func (s *Service) SetBranding(ctx context.Context, in BrandingInput, actor audit.Actor) (Branding, error) {
	var errs validate.Errors
	scope := ScopePractice
	if in.LocationID != "" {
		if uuid.Validate(in.LocationID) != nil {
			errs.Add("location_id", "must be a location id")
		} else {
			var n int64
			if err := s.DB.WithContext(ctx).Table("locations").Where("id = ?", in.LocationID).Count(&n).Error; err != nil {
				return Branding{}, err
			}
			errs.Check(n > 0, "location_id", "no such location")
			scope = in.LocationID
		}
	} else {
		errs.Required("name", in.Name)
	}
	errs.Check(in.Accent == "" || accentRe.MatchString(in.Accent), "accent", "must be a colour such as #1f6feb")
	var logo []byte
	if in.LogoPNGBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.LogoPNGBase64))
		switch {
		case err != nil:
			errs.Add("logo_png_base64", "must be base64")
		case len(b) > MaxLogo:
			errs.Add("logo_png_base64", "must be at most %d bytes", MaxLogo)
		case len(b) < len(pngMagic) || string(b[:len(pngMagic)]) != string(pngMagic):
			errs.Add("logo_png_base64", "must be a PNG image")
		default:
			logo = b
		}
	}
	if len(errs) > 0 {
		return Branding{}, errs
	}
	row := brandingRow{Scope: scope, Name: in.Name, Address: in.Address, Phone: in.Phone, Accent: in.Accent,
		Message: in.Message, LogoPNG: logo, UpdatedAt: time.Now().UTC()}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return fmt.Errorf("store branding: %w", err)
		}
		return audit.Record(tx, actor, "branding.set", "branding", scope, map[string]any{
			"name": in.Name, "accent": in.Accent, "logo_bytes": len(logo)})
	})
	if err != nil {
		return Branding{}, err
	}
	loc := ""
	if scope != ScopePractice {
		loc = scope
	}
	return s.BrandingFor(ctx, loc)
}
