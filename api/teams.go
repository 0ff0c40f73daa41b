package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/tasks"
	"github.com/clinicflow/rcm/internal/validate"
)

// listTeams lists every team with its queues and members; mine=true keeps the
// caller's teams.
func (s *Server) listTeams(c *gin.Context) {
	if !checkQuery(c, []string{"mine"}) {
		return
	}
	var only string
	switch c.Query("mine") {
	case "", "false":
	case "true":
		only = user(c).ID
	default:
		invalid(c, validate.Errors{{Field: "mine", Message: "must be true or false"}})
		return
	}
	ts, err := s.tasks.Teams(c.Request.Context(), only)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": ts})
}

func (s *Server) createTeam(c *gin.Context) {
	var in tasks.NewTeam
	if !bind(c, &in) {
		return
	}
	t, err := s.tasks.CreateTeam(c.Request.Context(), in, actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (s *Server) getTeam(c *gin.Context) {
	t, err := s.tasks.Team(c.Request.Context(), c.Param("id"))
	s.respondTeam(c, t, err)
}

// updateTeam renames a team, sets its manager (null or "" for none) or
// replaces its queues.
func (s *Server) updateTeam(c *gin.Context) {
	var in tasks.TeamUpdate
	if !bind(c, &in) {
		return
	}
	t, err := s.tasks.UpdateTeam(c.Request.Context(), c.Param("id"), in, actor(c))
	s.respondTeam(c, t, err)
}

type memberRequest struct {
	UserID string `json:"user_id"`
}

func (s *Server) addTeamMember(c *gin.Context) {
	var in memberRequest
	if !bind(c, &in) {
		return
	}
	t, err := s.tasks.AddMember(c.Request.Context(), c.Param("id"), in.UserID, actor(c))
	s.respondTeam(c, t, err)
}

func (s *Server) removeTeamMember(c *gin.Context) {
	t, err := s.tasks.RemoveMember(c.Request.Context(), c.Param("id"), c.Param("user_id"), actor(c))
	s.respondTeam(c, t, err)
}

func (s *Server) respondTeam(c *gin.Context, t tasks.Team, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}
