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

type userRoleRequest struct {
	Role string `json:"role"`
}

// setUserRole gives a user another role (an admin may not change their own).
func (s *Server) setUserRole(c *gin.Context) {
	var in userRoleRequest
	if !bind(c, &in) {
		return
	}
	respond(c, s, http.StatusOK)(shown(showUser)(s.auth.SetRole(c.Request.Context(), c.Param("id"), in.Role, actor(c))))
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

type setPasswordRequest struct {
	// Password is the new password; absent, a one-time password is generated
	// and answered once.
	Password *string `json:"password" maxlen:"72"`
	// MustChange makes the user choose their own password at the next sign-in
	// (default true: the admin knows this one).
	MustChange *bool `json:"must_change"`
}

type setPasswordResponse struct {
	UserID             string `json:"user_id"`
	MustChangePassword bool   `json:"must_change_password"`
	// OneTimePassword is the generated password, shown only in this answer.
	OneTimePassword string `json:"one_time_password,omitempty"`
}

// setUserPassword sets or resets a user's web sign-in password; it ends the
// user's web sessions and clears a lockout. API tokens are unaffected.
func (s *Server) setUserPassword(c *gin.Context) {
	var in setPasswordRequest
	if !bind(c, &in) {
		return
	}
	ctx, id := c.Request.Context(), c.Param("id")
	out := setPasswordResponse{UserID: id, MustChangePassword: true}
	var err error
	if in.Password == nil {
		out.OneTimePassword, err = s.auth.ResetPassword(ctx, id, actor(c))
	} else {
		if in.MustChange != nil {
			out.MustChangePassword = *in.MustChange
		}
		err = s.auth.SetPassword(ctx, id, *in.Password, out.MustChangePassword, actor(c))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
