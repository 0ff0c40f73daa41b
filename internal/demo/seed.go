package demo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/cases"
	"github.com/clinicflow/rcm/internal/legal"
	"github.com/clinicflow/rcm/internal/records"
	"github.com/clinicflow/rcm/internal/tasks"
)

// What a seed counts, in the order it seeds them.
const (
	KindLocations    = "locations"
	KindProviders    = "providers"
	KindPayers       = "payers"
	KindFeeSchedules = "fee schedules"
	KindContacts     = "contacts"
	KindUsers        = "users"
	KindTeams        = "teams"
	KindPatients     = "patients"
	KindCases        = "cases"
	KindCoverages    = "coverages"
	KindLegal        = "legal details"
)

// Kinds lists what a seed creates, in order.
var Kinds = []string{KindLocations, KindProviders, KindPayers, KindFeeSchedules, KindContacts, KindUsers, KindTeams,
	KindPatients, KindCases, KindCoverages, KindLegal}

// Result is what one seed did: how many of each kind it created and how many it
// found already there.
type Result struct {
	Created  map[string]int
	Existing map[string]int
}

// Changed reports whether the seed created anything.
func (r Result) Changed() bool {
	for _, n := range r.Created {
		if n > 0 {
			return true
		}
	}
	return false
}

// Summary is one line saying what was created.
func (r Result) Summary() string {
	var parts []string
	for _, k := range Kinds {
		if n := r.Created[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) == 0 {
		return "nothing created"
	}
	return strings.Join(parts, ", ")
}

// Seeder creates the demo clinic through the same domain functions as the API
// (records, cases, legal, auth, tasks), each write with its audit row. It is
// idempotent: each record is looked up first by what identifies it (a
// location's or team's name, an NPI, a payer ID, a fee schedule's name, a
// contact's kind and name, an email, a patient's name and date of birth, a
// case's patient and title, a coverage's case and priority, a legal case's
// details), and only what is missing is created, so a second seed changes
// nothing and a seed that stopped half-way finishes the rest.
type Seeder struct {
	DB *gorm.DB
	// Out receives the progress lines ("seeding patients 20/60 ..."); nil
	// discards them. They carry counts, never names.
	Out io.Writer
	// Now is the time injury dates count back from; nil means time.Now.
	Now func() time.Time

	res       Result
	locations []string
	payers    []string
	schedules []string
	contacts  []string
}

// Seed creates what is missing of the demo clinic and says what it did.
func (s *Seeder) Seed(ctx context.Context) (Result, error) {
	s.res = Result{Created: map[string]int{}, Existing: map[string]int{}}
	for _, step := range []func(context.Context) error{s.seedLocations, s.seedProviders, s.seedPayers, s.seedFeeSchedules,
		s.seedContacts, s.seedUsers, s.seedTeams, s.seedPatients} {
		if err := step(ctx); err != nil {
			return s.res, fmt.Errorf("seed the demo clinic: %w", err)
		}
	}
	return s.res, nil
}

func (s *Seeder) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Seeder) progress(kind string, done, total int) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, "seeding %s %d/%d ...\n", kind, done, total)
	}
}

// find returns the id of the first row of table matching where, or "".
func (s *Seeder) find(ctx context.Context, table, where string, args ...any) (string, error) {
	var ids []string
	err := s.DB.WithContext(ctx).Table(table).Where(where, args...).Order("id").Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", table, err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// ensure returns the id find answers, or creates the record and counts it.
func (s *Seeder) ensure(kind string, find func() (string, error), create func() (string, error)) (string, error) {
	id, err := find()
	if err != nil {
		return "", err
	}
	if id != "" {
		s.res.Existing[kind]++
		return id, nil
	}
	if id, err = create(); err != nil {
		return "", fmt.Errorf("create %s: %w", kind, err)
	}
	s.res.Created[kind]++
	return id, nil
}

func (s *Seeder) seedLocations(ctx context.Context) error {
	svc := &records.Service{DB: s.DB}
	for _, l := range locations {
		id, err := s.ensure(KindLocations, func() (string, error) { return s.find(ctx, "locations", "name = ?", l.in.Name) },
			func() (string, error) {
				r, err := svc.CreateLocation(ctx, l.in, audit.System)
				return r.ID, err
			})
		if err != nil {
			return err
		}
		s.locations = append(s.locations, id)
	}
	s.progress(KindLocations, len(locations), len(locations))
	return nil
}

func (s *Seeder) seedProviders(ctx context.Context) error {
	svc := &records.Service{DB: s.DB}
	for _, p := range providers {
		_, err := s.ensure(KindProviders, func() (string, error) { return s.find(ctx, "providers", "npi = ?", p.NPI) },
			func() (string, error) {
				r, err := svc.CreateProvider(ctx, p, audit.System)
				return r.ID, err
			})
		if err != nil {
			return err
		}
	}
	s.progress(KindProviders, len(providers), len(providers))
	return nil
}

func (s *Seeder) seedPayers(ctx context.Context) error {
	svc := &records.Service{DB: s.DB}
	for _, p := range payers {
		id, err := s.ensure(KindPayers, func() (string, error) { return s.find(ctx, "payers", "payer_id = ?", p.PayerID) },
			func() (string, error) {
				r, err := svc.CreatePayer(ctx, p, audit.System)
				return r.ID, err
			})
		if err != nil {
			return err
		}
		s.payers = append(s.payers, id)
	}
	s.progress(KindPayers, len(payers), len(payers))
	return nil
}

func (s *Seeder) seedFeeSchedules(ctx context.Context) error {
	svc := &records.Service{DB: s.DB}
	for _, f := range feeSchedules {
		id, err := s.ensure(KindFeeSchedules, func() (string, error) { return s.find(ctx, "fee_schedules", "name = ?", f.Name) },
			func() (string, error) {
				in := f
				in.Items = slices.Clone(f.Items)
				r, err := svc.CreateFeeSchedule(ctx, in, audit.System)
				return r.ID, err
			})
		if err != nil {
			return err
		}
		s.schedules = append(s.schedules, id)
	}
	s.progress(KindFeeSchedules, len(feeSchedules), len(feeSchedules))
	return nil
}

func (s *Seeder) seedContacts(ctx context.Context) error {
	svc := &legal.Service{DB: s.DB}
	for _, c := range contacts {
		id, err := s.ensure(KindContacts, func() (string, error) {
			return s.find(ctx, "contacts", "kind = ? AND name = ?", c.Kind, c.Name)
		}, func() (string, error) {
			r, err := svc.CreateContact(ctx, c, audit.System)
			return r.ID, err
		})
		if err != nil {
			return err
		}
		s.contacts = append(s.contacts, id)
	}
	s.progress(KindContacts, len(contacts), len(contacts))
	return nil
}

// Users are every role at each location: <role>.<location>@demo.clinicflow.test.
func (s *Seeder) seedUsers(ctx context.Context) error {
	svc := &auth.Service{DB: s.DB}
	total := len(locations) * len(staffRoles)
	var created []string
	for _, l := range locations {
		for _, st := range staffRoles {
			email := userEmail(st.role, l.short)
			_, err := s.ensure(KindUsers, func() (string, error) { return s.find(ctx, "users", "email = ?", email) },
				func() (string, error) {
					u, err := svc.CreateUser(ctx, auth.NewUser{Email: email, Role: st.role,
						Name: fmt.Sprintf("%s %s (%s)", st.first, roleTitle(st.role), l.in.Name)}, audit.System)
					if err == nil {
						created = append(created, u.ID)
					}
					return u.ID, err
				})
			if err != nil {
				return err
			}
		}
	}
	// Only users this seed created get the demo password, so a second seed
	// changes nothing.
	if err := passwordsFor(ctx, s.DB, created); err != nil {
		return fmt.Errorf("set the demo users' passwords: %w", err)
	}
	s.progress(KindUsers, total, total)
	return nil
}

func roleTitle(role string) string {
	return map[string]string{auth.RoleFrontDesk: "Frontdesk", auth.RoleProvider: "Clinician", auth.RoleBiller: "Biller",
		auth.RoleManager: "Manager", auth.RoleAdmin: "Admin"}[role]
}

// Teams: each with a manager and the billers of both locations as members.
func (s *Seeder) seedTeams(ctx context.Context) error {
	svc := &tasks.Service{DB: s.DB}
	for _, t := range teams {
		_, err := s.ensure(KindTeams, func() (string, error) { return s.find(ctx, "teams", "name = ?", t.name) },
			func() (string, error) {
				manager, err := s.find(ctx, "users", "email = ?", userEmail(auth.RoleManager, t.managerLoc))
				if err != nil {
					return "", err
				}
				var members []string
				for _, l := range locations {
					id, err := s.find(ctx, "users", "email = ?", userEmail(auth.RoleBiller, l.short))
					if err != nil {
						return "", err
					}
					members = append(members, id)
				}
				r, err := svc.CreateTeam(ctx, tasks.NewTeam{Name: t.name, ManagerID: manager, Queues: t.queues, Members: members}, audit.System)
				return r.ID, err
			})
		if err != nil {
			return err
		}
	}
	s.progress(KindTeams, len(teams), len(teams))
	return nil
}

// seedPatients registers each patient and opens their cases with coverages and
// legal details, as the front desk would.
func (s *Seeder) seedPatients(ctx context.Context) error {
	pats := clinicPatients()
	for i, p := range pats {
		if err := s.seedPatient(ctx, p); err != nil {
			return err
		}
		if (i+1)%10 == 0 || i+1 == len(pats) {
			s.progress(KindPatients, i+1, len(pats))
		}
	}
	return nil
}

func (s *Seeder) seedPatient(ctx context.Context, p patient) error {
	rec := &records.Service{DB: s.DB}
	patientID, err := s.ensure(KindPatients, func() (string, error) {
		return s.find(ctx, "patients", "first_name = ? AND last_name = ? AND date_of_birth = ?",
			p.in.FirstName, p.in.LastName, p.in.DateOfBirth)
	}, func() (string, error) {
		r, err := rec.CreatePatient(ctx, p.in, audit.System)
		return r.ID, err
	})
	if err != nil {
		return err
	}
	svc := &cases.Service{DB: s.DB}
	for _, cp := range p.cases {
		caseID, err := s.ensure(KindCases, func() (string, error) {
			return s.find(ctx, "cases", "patient_id = ? AND kind = ? AND title = ?", patientID, string(cp.kind), cp.title)
		}, func() (string, error) {
			in := cases.New{PatientID: patientID, Kind: cp.kind, Title: cp.title}
			if cp.workComp {
				in.FeeScheduleID = &s.schedules[1]
			}
			r, err := svc.Create(ctx, in, audit.System)
			return r.ID, err
		})
		if err != nil {
			return err
		}
		for _, cv := range cp.coverages {
			_, err := s.ensure(KindCoverages, func() (string, error) {
				return s.find(ctx, "coverages", "case_id = ? AND priority = ? AND status = ?", caseID, cv.priority, records.CoverageActive)
			}, func() (string, error) {
				r, err := rec.AddCoverage(ctx, caseID, records.NewCoverage{PayerID: s.payers[cv.payer], Priority: cv.priority,
					MemberID: cv.member, GroupNumber: cv.group, Relationship: "self",
					EffectiveFrom: fmt.Sprintf("%d-01-01", s.now().Year()-1)}, audit.System)
				return r.ID, err
			})
			if err != nil {
				return err
			}
		}
		if cp.legal != nil {
			if err := s.seedLegal(ctx, caseID, *cp.legal); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Seeder) seedLegal(ctx context.Context, caseID string, lp legalPlan) error {
	var n int64
	if err := s.DB.WithContext(ctx).Table("legal_cases").Where("case_id = ?", caseID).Count(&n).Error; err != nil {
		return fmt.Errorf("look up legal details: %w", err)
	}
	if n > 0 {
		s.res.Existing[KindLegal]++
		return nil
	}
	cs, err := (&cases.Service{DB: s.DB}).Get(ctx, caseID)
	if err != nil {
		return err
	}
	now := s.now()
	in := legal.DetailsInput{DateOfInjury: injuryDate(now, lp.daysAgo), AccidentState: "IL", AccidentKind: lp.kind,
		FollowUpDays: 7}
	if lp.insurer >= 0 {
		in.InsurerID = s.payers[lp.insurer]
		in.InsurerClaimNumber = fmt.Sprintf("CLM-%s", strings.ToUpper(caseID[:8]))
	}
	for _, rc := range lp.contacts {
		in.Contacts = append(in.Contacts, legal.RoleContact{Role: rc.role, ContactID: s.contacts[rc.contact]})
	}
	if lp.lien {
		in.LienReceivedOn = injuryDate(now, lp.daysAgo-5)
		in.LienDocument = "Letter of protection"
	}
	if _, err := (&legal.Service{DB: s.DB}).PutDetails(ctx, cs, in, audit.System); err != nil {
		return fmt.Errorf("create %s: %w", KindLegal, err)
	}
	s.res.Created[KindLegal]++
	return nil
}
