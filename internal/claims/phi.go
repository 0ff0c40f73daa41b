package claims

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/phicrypt"
	"github.com/clinicflow/rcm/internal/x12"
)

// detailPHI is what of an 835 claim payment identifies the patient: the
// patient (NM1*QC), the insured (NM1*IL, with the member ID) and the corrected
// patient (NM1*74). remittance_claims.detail keeps them sealed under "phi"
// (internal/phicrypt); the amounts, codes and adjustments stay readable, so
// reports classify denials in SQL and Go without the key.
type detailPHI struct {
	Patient          *x12.Person `json:"patient,omitempty"`
	Subscriber       *x12.Person `json:"subscriber,omitempty"`
	CorrectedPatient *x12.Person `json:"corrected_patient,omitempty"`
}

// storedDetail is remittance_claims.detail as stored.
type storedDetail struct {
	RemittanceDetail
	// PHI is detailPHI as JSON, sealed.
	PHI string `json:"phi,omitempty"`
}

// SealRemittanceDetail is the remittance_claims.detail of d: d as JSON with
// the patient, insured and corrected patient sealed under "phi".
func SealRemittanceDetail(d RemittanceDetail) (db.JSON, error) {
	s := storedDetail{RemittanceDetail: d}
	p := detailPHI{Patient: d.Patient, Subscriber: d.Subscriber, CorrectedPatient: d.CorrectedPatient}
	s.Patient, s.Subscriber, s.CorrectedPatient = nil, nil, nil
	if p != (detailPHI{}) {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if s.PHI, err = phicrypt.Seal(string(b)); err != nil {
			return nil, fmt.Errorf("seal remittance detail: %w", err)
		}
	}
	return json.Marshal(s)
}

// OpenRemittanceDetail reads a remittance_claims.detail written by
// SealRemittanceDetail, or a legacy one with the people in plain text.
func OpenRemittanceDetail(raw []byte) (RemittanceDetail, error) {
	var s storedDetail
	if err := json.Unmarshal(raw, &s); err != nil {
		return RemittanceDetail{}, err
	}
	d := s.RemittanceDetail
	if s.PHI == "" {
		return d, nil
	}
	plain, err := phicrypt.Open(s.PHI)
	if err != nil {
		return d, fmt.Errorf("open remittance detail: %w", err)
	}
	var p detailPHI
	if err := json.Unmarshal([]byte(plain), &p); err != nil {
		return d, fmt.Errorf("open remittance detail: %w", err)
	}
	d.Patient, d.Subscriber, d.CorrectedPatient = p.Patient, p.Subscriber, p.CorrectedPatient
	return d, nil
}

// ResealRemittanceDetail rewrites a stored detail under the installed
// keyring's current key (legacy plain people are sealed); changed is false
// when it already was, so `rcm phi rotate` writes nothing twice.
func ResealRemittanceDetail(raw []byte) (out db.JSON, changed bool, err error) {
	var probe struct {
		PHI              string          `json:"phi"`
		Patient          json.RawMessage `json:"patient"`
		Subscriber       json.RawMessage `json:"subscriber"`
		CorrectedPatient json.RawMessage `json:"corrected_patient"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, false, err
	}
	k := phicrypt.Active()
	if k == nil {
		return nil, false, phicrypt.ErrNoKeyring
	}
	if k.Current(probe.PHI) && probe.Patient == nil && probe.Subscriber == nil && probe.CorrectedPatient == nil {
		return raw, false, nil
	}
	d, err := OpenRemittanceDetail(raw)
	if err != nil {
		return nil, false, err
	}
	out, err = SealRemittanceDetail(d)
	return out, err == nil, err
}

// RemittanceDetailPending is the SQL condition (on column detail) of a
// remittance_claims row whose detail is not sealed under key id current.
func RemittanceDetailPending(current string) string {
	return fmt.Sprintf(`(detail->'patient' IS NOT NULL OR detail->'subscriber' IS NOT NULL
		OR detail->'corrected_patient' IS NOT NULL OR detail->>'phi' NOT LIKE '%s')`, likePrefix(current))
}

// sealCOB is claims.cob as stored: the prior coverage's member ID and group
// number sealed (the subscriber's name stays, as names do elsewhere).
func sealCOB(c COB) (db.JSON, error) {
	var err error
	if c.Subscriber.MemberID, err = phicrypt.Seal(c.Subscriber.MemberID); err != nil {
		return nil, fmt.Errorf("seal cob: %w", err)
	}
	if c.Subscriber.GroupNumber, err = phicrypt.Seal(c.Subscriber.GroupNumber); err != nil {
		return nil, fmt.Errorf("seal cob: %w", err)
	}
	return json.Marshal(c)
}

// openCOB opens the sealed fields of a decoded claims.cob (legacy plain text
// passes through).
func openCOB(c *COB) error {
	var err error
	if c.Subscriber.MemberID, err = phicrypt.Open(c.Subscriber.MemberID); err != nil {
		return fmt.Errorf("open cob: %w", err)
	}
	if c.Subscriber.GroupNumber, err = phicrypt.Open(c.Subscriber.GroupNumber); err != nil {
		return fmt.Errorf("open cob: %w", err)
	}
	return nil
}

// OpenCOB returns a claim's cob column with its sealed fields opened, as the
// API shows it (nil when the claim has none).
func OpenCOB(c Claim) (db.JSON, error) {
	cob, err := claimCOB(c)
	if err != nil || cob == nil {
		return c.COB, err
	}
	return json.Marshal(cob)
}

// ResealCOB rewrites a stored claims.cob under the installed keyring's current
// key; changed is false when it already was.
func ResealCOB(raw []byte) (out db.JSON, changed bool, err error) {
	var c COB
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, err
	}
	k := phicrypt.Active()
	if k == nil {
		return nil, false, phicrypt.ErrNoKeyring
	}
	if k.Current(c.Subscriber.MemberID) && k.Current(c.Subscriber.GroupNumber) {
		return raw, false, nil
	}
	if err := openCOB(&c); err != nil {
		return nil, false, err
	}
	out, err = sealCOB(c)
	return out, err == nil, err
}

// COBPending is the SQL condition (on column cob) of a claim whose cob has a
// member ID or group number not sealed under key id current.
func COBPending(current string) string {
	p := likePrefix(current)
	return fmt.Sprintf(`(cob IS NOT NULL AND jsonb_typeof(cob) = 'object' AND (
		coalesce(cob->'subscriber'->>'member_id', '') NOT IN ('') AND cob->'subscriber'->>'member_id' NOT LIKE '%[1]s'
		OR coalesce(cob->'subscriber'->>'group_number', '') NOT IN ('') AND cob->'subscriber'->>'group_number' NOT LIKE '%[1]s'))`, p)
}

// likePrefix is the LIKE pattern of values sealed under key id (key ids are
// letters, digits, '-' and '_'; '_' is escaped).
func likePrefix(id string) string {
	return strings.ReplaceAll(phicrypt.Prefix+id+":", "_", `\_`) + "%"
}
