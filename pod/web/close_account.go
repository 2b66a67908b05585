package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
)

// Closing one's own account (pod/accounts.CloseOwnAccount): GET /user/close
// explains what is deleted and asks for the password; the form sends
// DELETE /user (diaspora*'s route, `_method=delete` without JavaScript)
// with user[current_password].

type closeAccountPage struct {
	Base       BasePage
	DiasporaID string
	Errors     map[string]string
}

func (s *Server) closeAccountForm(c *gin.Context) {
	s.renderCloseAccount(c, http.StatusOK, nil)
}

func (s *Server) renderCloseAccount(c *gin.Context, code int, errs map[string]string) {
	st, err := s.app.Accounts.Settings(c.Request.Context(), session(c).UserID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if errs == nil {
		errs = map[string]string{}
	}
	s.render(c, code, "close_account", closeAccountPage{Base: s.base(c), DiasporaID: st.DiasporaID, Errors: errs})
}

func (s *Server) closeAccount(c *gin.Context) {
	err := s.app.Accounts.CloseOwnAccount(c.Request.Context(), session(c), c.PostForm("user[current_password]"))
	var inv *pod.InvalidError
	if errors.As(err, &inv) && !wantsJSON(c) {
		s.renderCloseAccount(c, http.StatusUnprocessableEntity, inv.Fields)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.clearCookie(c, sessionCookie)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"closed": true})
		return
	}
	s.flash(c, "notice", "Your account is closed. Its data is being deleted here and on the pods that knew you. Goodbye!")
	c.Redirect(http.StatusFound, "/")
}

// movedTo answers for a person who moved: a permanent redirect to their
// new identity's profile, whose page says where they came from.
func (s *Server) movedTo(c *gin.Context, m *pod.MovedError) {
	to := "/people/" + m.GUID
	if wantsJSON(c) {
		c.Header("Location", to)
		c.JSON(http.StatusMovedPermanently, gin.H{"moved_to": gin.H{"guid": m.GUID, "diaspora_id": m.DiasporaID}})
		return
	}
	s.flash(c, "notice", m.From+" has moved to "+m.DiasporaID+".")
	c.Redirect(http.StatusMovedPermanently, to)
}
