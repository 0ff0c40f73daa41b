package tasks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/clinicflow/rcm/internal/apperr"
	"github.com/clinicflow/rcm/internal/audit"
	"github.com/clinicflow/rcm/internal/db"
	"github.com/clinicflow/rcm/internal/validate"
)

// Team is a group of users working a set of queues, with a manager who sees
// its escalations.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	ManagerID *string   `json:"manager_id,omitempty"`
	Queues    []string  `json:"queues"`
	Members   []string  `json:"members"`
	CreatedAt time.Time `json:"created_at"`
}

type teamRow struct {
	ID        string `gorm:"primaryKey;type:uuid"`
	Name      string
	ManagerID *string `gorm:"type:uuid"`
	CreatedAt time.Time
}

func (teamRow) TableName() string { return "teams" }

// ErrTeamNotFound is returned for an unknown team.
var ErrTeamNotFound = apperr.New(apperr.NotFound, "team not found")

// NewTeam is a team to create.
type NewTeam struct {
	Name      string   `json:"name" maxlen:"100"`
	ManagerID string   `json:"manager_id,omitempty"`
	Queues    []string `json:"queues,omitempty"`
	Members   []string `json:"members,omitempty"`
}

func checkQueues(errs *validate.Errors, queues []string) {
	for _, q := range queues {
		errs.Check(slices.Contains(Queues, q), "queues", "%q is not a queue; queues: %s", q, strings.Join(Queues, ", "))
	}
}

// checkUser refuses a user who does not exist, is disabled, or (with roles)
// has another role.
func checkUser(tx *gorm.DB, errs *validate.Errors, field, id string, roles []string) error {
	if !isUUID(id) {
		errs.Add(field, "must be a UUID")
		return nil
	}
	q := tx.Table("users").Where("id = ? AND NOT disabled", id)
	if roles != nil {
		q = q.Where("role IN ?", roles)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		msg := "must be an active user"
		if roles != nil {
			msg += " with the role " + strings.Join(roles, " or ")
		}
		errs.Add(field, "%s", msg)
	}
	return nil
}

// ManagerRoles may manage a team.
var ManagerRoles = []string{"manager", "admin"}

// CreateTeam creates a team with its manager, queues and members.
func (s *Service) CreateTeam(ctx context.Context, in NewTeam, actor audit.Actor) (Team, error) {
	var errs validate.Errors
	errs.Check(strings.TrimSpace(in.Name) != "", "name", "is required")
	checkQueues(&errs, in.Queues)
	id := uuid.NewString()
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.ManagerID != "" {
			if err := checkUser(tx, &errs, "manager_id", in.ManagerID, ManagerRoles); err != nil {
				return err
			}
		}
		for i, m := range in.Members {
			if err := checkUser(tx, &errs, fmt.Sprintf("members[%d]", i), m, nil); err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			return errs
		}
		var taken int64
		if err := tx.Model(&teamRow{}).Where("lower(name) = lower(?)", strings.TrimSpace(in.Name)).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return apperr.New(apperr.Conflict, "a team with this name exists", validate.FieldError{Field: "name", Message: "is taken"})
		}
		row := teamRow{ID: id, Name: strings.TrimSpace(in.Name), ManagerID: ptr(in.ManagerID), CreatedAt: time.Now().UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := setQueues(tx, id, in.Queues); err != nil {
			return err
		}
		for _, m := range in.Members {
			if err := tx.Exec(`INSERT INTO team_members (team_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, m).Error; err != nil {
				return err
			}
		}
		return audit.Record(tx, actor, "team.create", "team", id, map[string]any{"queues": in.Queues, "members": len(in.Members)})
	})
	if err != nil {
		return Team{}, err
	}
	return s.Team(ctx, id)
}

func setQueues(tx *gorm.DB, teamID string, queues []string) error {
	if err := tx.Exec(`DELETE FROM team_queues WHERE team_id = ?`, teamID).Error; err != nil {
		return err
	}
	for _, q := range queues {
		if err := tx.Exec(`INSERT INTO team_queues (team_id, queue) VALUES (?, ?) ON CONFLICT DO NOTHING`, teamID, q).Error; err != nil {
			return err
		}
	}
	return nil
}

// TeamUpdate changes a team: each field given replaces what the team had.
type TeamUpdate struct {
	Name      *string   `json:"name,omitempty" maxlen:"100"`
	ManagerID *string   `json:"manager_id,omitempty"`
	Queues    *[]string `json:"queues,omitempty"`
}

// UpdateTeam renames a team, changes its manager or sets its queues.
func (s *Service) UpdateTeam(ctx context.Context, id string, in TeamUpdate, actor audit.Actor) (Team, error) {
	prev, err := s.Team(ctx, id)
	if err != nil {
		return Team{}, err
	}
	var errs validate.Errors
	if in.Name != nil {
		errs.Check(strings.TrimSpace(*in.Name) != "", "name", "must not be empty")
	}
	if in.Queues != nil {
		checkQueues(&errs, *in.Queues)
	}
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.ManagerID != nil && *in.ManagerID != "" {
			if err := checkUser(tx, &errs, "manager_id", *in.ManagerID, ManagerRoles); err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			return errs
		}
		up := map[string]any{}
		if in.Name != nil {
			up["name"] = strings.TrimSpace(*in.Name)
		}
		if in.ManagerID != nil {
			up["manager_id"] = ptr(*in.ManagerID)
		}
		if len(up) > 0 {
			if err := tx.Model(&teamRow{}).Where("id = ?", id).Updates(up).Error; err != nil {
				if db.IsUniqueViolation(err) {
					return apperr.New(apperr.Conflict, "a team with this name exists", validate.FieldError{Field: "name", Message: "is taken"})
				}
				return err
			}
		}
		if in.Queues != nil {
			if err := setQueues(tx, id, *in.Queues); err != nil {
				return err
			}
		}
		before := map[string]any{"name": prev.Name, "manager_id": prev.ManagerID, "queues": prev.Queues}
		after := map[string]any{"name": prev.Name, "manager_id": prev.ManagerID, "queues": prev.Queues}
		if v, ok := up["name"]; ok {
			after["name"] = v
		}
		if v, ok := up["manager_id"]; ok {
			after["manager_id"] = v
		}
		if in.Queues != nil {
			after["queues"] = *in.Queues
		}
		return audit.Record(tx, actor, "team.update", "team", id, audit.Merge(audit.Diff(before, after),
			map[string]any{"fields": teamFields(in)}))
	})
	if err != nil {
		return Team{}, err
	}
	return s.Team(ctx, id)
}

func teamFields(in TeamUpdate) []string {
	var f []string
	if in.Name != nil {
		f = append(f, "name")
	}
	if in.ManagerID != nil {
		f = append(f, "manager_id")
	}
	if in.Queues != nil {
		f = append(f, "queues")
	}
	return f
}

// AddMember puts a user in a team (adding one already in it changes nothing).
func (s *Service) AddMember(ctx context.Context, teamID, userID string, actor audit.Actor) (Team, error) {
	if _, err := s.Team(ctx, teamID); err != nil {
		return Team{}, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var errs validate.Errors
		if err := checkUser(tx, &errs, "user_id", userID, nil); err != nil {
			return err
		}
		if len(errs) > 0 {
			return errs
		}
		if err := tx.Exec(`INSERT INTO team_members (team_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, teamID, userID).Error; err != nil {
			return err
		}
		return audit.Record(tx, actor, "team.add_member", "team", teamID, map[string]any{"user_id": userID})
	})
	if err != nil {
		return Team{}, err
	}
	return s.Team(ctx, teamID)
}

// RemoveMember takes a user out of a team; tasks they hold stay theirs.
func (s *Service) RemoveMember(ctx context.Context, teamID, userID string, actor audit.Actor) (Team, error) {
	if _, err := s.Team(ctx, teamID); err != nil {
		return Team{}, err
	}
	if !isUUID(userID) {
		return Team{}, apperr.New(apperr.NotFound, "the user is not a member of this team")
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM team_members WHERE team_id = ? AND user_id = ?`, teamID, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.NotFound, "the user is not a member of this team")
		}
		return audit.Record(tx, actor, "team.remove_member", "team", teamID, map[string]any{"user_id": userID})
	})
	if err != nil {
		return Team{}, err
	}
	return s.Team(ctx, teamID)
}

// Team reads one team with its queues and members.
func (s *Service) Team(ctx context.Context, id string) (Team, error) {
	if !isUUID(id) {
		return Team{}, ErrTeamNotFound
	}
	ts, err := s.teams(ctx, "id = ?", id)
	if err != nil {
		return Team{}, err
	}
	if len(ts) == 0 {
		return Team{}, ErrTeamNotFound
	}
	return ts[0], nil
}

// Teams lists every team by name; with userID, only the teams that user is in.
func (s *Service) Teams(ctx context.Context, userID string) ([]Team, error) {
	if userID != "" {
		return s.teams(ctx, "id IN (SELECT team_id FROM team_members WHERE user_id = ?)", userID)
	}
	return s.teams(ctx, "true")
}

func (s *Service) teams(ctx context.Context, where string, args ...any) ([]Team, error) {
	tx := s.DB.WithContext(ctx)
	var rows []teamRow
	if err := tx.Where(where, args...).Order("name, id").Limit(db.MaxPage).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	out := make([]Team, len(rows))
	for i, r := range rows {
		t := Team{ID: r.ID, Name: r.Name, ManagerID: r.ManagerID, CreatedAt: r.CreatedAt, Queues: []string{}, Members: []string{}}
		if err := tx.Table("team_queues").Where("team_id = ?", r.ID).Order("queue").Pluck("queue", &t.Queues).Error; err != nil {
			return nil, err
		}
		if err := tx.Table("team_members").Where("team_id = ?", r.ID).Order("user_id").Pluck("user_id", &t.Members).Error; err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

// UserQueues are the queues of the teams a user is in, in the order of Queues.
func (s *Service) UserQueues(ctx context.Context, userID string) ([]string, error) {
	var qs []string
	if !isUUID(userID) {
		return qs, nil
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT DISTINCT tq.queue FROM team_queues tq
		JOIN team_members m ON m.team_id = tq.team_id WHERE m.user_id = ?`, userID).Scan(&qs).Error
	if err != nil {
		return nil, fmt.Errorf("queues of user %s: %w", userID, err)
	}
	slices.SortFunc(qs, func(a, b string) int { return slices.Index(Queues, a) - slices.Index(Queues, b) })
	return qs, nil
}
