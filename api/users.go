package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// disableUser disables a user: every token of theirs is refused from the next
// request on. An admin cannot disable themselves (409).
func (s *Server) disableUser(c *gin.Context) {
	respond(c, s, http.StatusOK)(shown(showUser)(s.auth.SetDisabled(c.Request.Context(), c.Param("id"), true, actor(c))))
}

// enableUser enables a disabled user again; their unrevoked, unexpired tokens work again.
func (s *Server) enableUser(c *gin.Context) {
	respond(c, s, http.StatusOK)(shown(showUser)(s.auth.SetDisabled(c.Request.Context(), c.Param("id"), false, actor(c))))
}

// listTokens lists a user's tokens without their secrets.
func (s *Server) listTokens(c *gin.Context) {
	if !onlyQuery(c) {
		return
	}
	items, err := s.auth.ListTokens(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// revokeToken revokes one of a user's tokens at once; revoking it again is a no-op.
func (s *Server) revokeToken(c *gin.Context) {
	if _, err := s.auth.RevokeToken(c.Request.Context(), c.Param("id"), c.Param("token_id"), actor(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
