package web

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// updateMailSettings reads the notification mail part of PUT /user with
// diaspora*'s field names: user[disable_mail], and per type
// user[email_preferences][TYPE], where (as diaspora*'s form sends it, a
// hidden field before each checkbox) the last value counts and "true"
// means "do not mail this type", "false" means "mail it".
func (s *Server) updateMailSettings(c *gin.Context) error {
	if err := c.Request.ParseForm(); err != nil {
		return err
	}
	set := map[string]bool{}
	const prefix, suffix = "user[email_preferences][", "]"
	for key, vals := range c.Request.PostForm {
		if !strings.HasPrefix(key, prefix) || !strings.HasSuffix(key, suffix) || len(vals) == 0 {
			continue
		}
		typ := strings.TrimSuffix(strings.TrimPrefix(key, prefix), suffix)
		v := vals[len(vals)-1]
		set[typ] = v == "false" || v == "0"
	}
	disable := c.PostFormArray("user[disable_mail]")
	disableAll := len(disable) > 0 && (disable[len(disable)-1] == "true" || disable[len(disable)-1] == "1")
	return s.app.Notifications.UpdateMailSettings(c.Request.Context(), session(c), disableAll, set)
}
