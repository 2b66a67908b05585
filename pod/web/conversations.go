package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/conversations"
)

// Private conversations, in diaspora*'s routes and names:
// GET /conversations(.json), GET /conversations/new, POST /conversations
// (conversation[subject], conversation[text], person_ids or contact_ids),
// GET /conversations/:id(.json), POST /conversations/:id/messages
// (message[text]), DELETE /conversations/:id/visibility (forms: POST with
// _method=delete). Everyone but a conversation's participants gets 404.

func (s *Server) conversationRoutes(auth *gin.RouterGroup) {
	auth.GET("/conversations", s.conversations)
	auth.GET("/conversations.json", s.conversations)
	auth.GET("/conversations/new", s.newConversation)
	auth.POST("/conversations", s.createConversation)
	auth.GET("/conversations/:id", s.showConversation)
	auth.POST("/conversations/:id/messages", s.createMessage)
	auth.DELETE("/conversations/:id/visibility", s.hideConversation)
}

// conversationsPage is the list of the user's conversations.
type conversationsPage struct {
	Base  BasePage
	Items []conversations.ConversationView
	Next  string
}

// conversationPage is one conversation with the reply form.
type conversationPage struct {
	Base   BasePage
	Conv   *conversations.ConversationView
	Text   string
	Errors map[string]string
}

// newConversationPage is the form that starts a conversation.
type newConversationPage struct {
	Base       BasePage
	Recipients []pod.PersonView
	Chosen     map[int64]bool
	Subject    string
	Text       string
	Message    string
	Errors     map[string]string
	MaxText    int
}

// conversationJSON wraps a conversation as diaspora*'s JSON does.
func conversationJSON(cv *conversations.ConversationView) gin.H { return gin.H{"conversation": cv} }

// conversations lists the user's conversations: GET /conversations(.json)
// (?before= pages on; diaspora*'s ?conversation_id= opens one).
func (s *Server) conversations(c *gin.Context) {
	if id := c.Query("conversation_id"); id != "" && !wantsJSON(c) {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			c.Redirect(http.StatusFound, "/conversations/"+strconv.FormatInt(n, 10))
			return
		}
	}
	list, err := s.app.Conversations.List(c.Request.Context(), session(c), c.Query("before"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		out := make([]gin.H, len(list.Items))
		for i := range list.Items {
			out[i] = conversationJSON(&list.Items[i])
		}
		c.JSON(http.StatusOK, out)
		return
	}
	page := conversationsPage{Base: s.base(c), Items: list.Items}
	if list.Next != "" {
		page.Next = "/conversations?before=" + url.QueryEscape(list.Next)
	}
	s.render(c, http.StatusOK, "conversations", page)
}

// newConversation shows the form: GET /conversations/new (?person_id= or
// diaspora*'s ?contact_id= choose a recipient).
func (s *Server) newConversation(c *gin.Context) {
	var chosen []int64
	if id, err := strconv.ParseInt(c.Query("person_id"), 10, 64); err == nil {
		chosen = append(chosen, id)
	}
	if id, err := strconv.ParseInt(c.Query("contact_id"), 10, 64); err == nil {
		if ids, err := s.app.Conversations.PeopleOfContacts(c.Request.Context(), session(c), []int64{id}); err == nil {
			chosen = append(chosen, ids[0])
		}
	}
	page, err := s.newConversationPage(c, chosen)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "conversation_new", page)
}

// newConversationPage is the form with the chosen recipients ticked.
func (s *Server) newConversationPage(c *gin.Context, chosen []int64) (newConversationPage, error) {
	rcpts, err := s.app.Conversations.Recipients(c.Request.Context(), session(c), chosen...)
	page := newConversationPage{Base: s.base(c), Recipients: rcpts, Chosen: map[int64]bool{}, MaxText: conversations.MaxText}
	for _, id := range chosen {
		page.Chosen[id] = true
	}
	return page, err
}

// conversationParams are diaspora*'s fields for a new conversation.
type conversationParams struct {
	Conversation struct {
		Subject string `json:"subject"`
		Text    string `json:"text"`
	} `json:"conversation"`
	PersonIDs  idListParam `json:"person_ids"`
	ContactIDs idListParam `json:"contact_ids"`
}

// createConversation starts a conversation: POST /conversations. Scripts
// get {"id": ..., "conversation": ...}; forms go to the conversation, or
// see the form again with what is wrong.
func (s *Server) createConversation(c *gin.Context) {
	var p conversationParams
	err := bind(c, &p)
	ctx := c.Request.Context()
	in := conversations.Input{Subject: p.Conversation.Subject, Text: p.Conversation.Text, Recipients: p.PersonIDs}
	if err == nil && len(p.ContactIDs) > 0 {
		var more []int64
		more, err = s.app.Conversations.PeopleOfContacts(ctx, session(c), p.ContactIDs)
		in.Recipients = append(in.Recipients, more...)
	}
	var cv *conversations.ConversationView
	if err == nil {
		cv, err = s.app.Conversations.Create(ctx, session(c), in)
	}
	if err != nil {
		var inv *pod.InvalidError
		if wantsJSON(c) || !errors.As(err, &inv) {
			s.fail(c, err)
			return
		}
		page, perr := s.newConversationPage(c, in.Recipients)
		if perr != nil {
			s.fail(c, perr)
			return
		}
		page.Subject, page.Text, page.Errors, page.Message = in.Subject, in.Text, inv.Fields, inv.Message
		s.render(c, http.StatusUnprocessableEntity, "conversation_new", page)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"id": cv.ID, "conversation": cv})
		return
	}
	s.flash(c, "notice", "Your message was sent.")
	c.Redirect(http.StatusFound, "/conversations/"+strconv.FormatInt(cv.ID, 10))
}

// showConversation shows a conversation: GET /conversations/:id(.json)
// (?before= shows older messages).
func (s *Server) showConversation(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	cv, err := s.app.Conversations.Show(c.Request.Context(), session(c), id, c.Query("before"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, conversationJSON(cv))
		return
	}
	// The header counts what is unread after this visit.
	s.render(c, http.StatusOK, "conversation", conversationPage{Base: s.base(c), Conv: cv})
}

// createMessage replies in a conversation: POST /conversations/:id/messages
// (message[text]). Scripts get {"message": ...}; forms go back to the
// conversation, or see it again with what is wrong.
func (s *Server) createMessage(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	var p struct {
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	m, err := s.app.Conversations.Reply(ctx, session(c), id, p.Message.Text)
	if err != nil {
		var inv *pod.InvalidError
		if wantsJSON(c) || !errors.As(err, &inv) {
			s.fail(c, err)
			return
		}
		cv, serr := s.app.Conversations.Show(ctx, session(c), id, "")
		if serr != nil {
			s.fail(c, serr)
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "conversation", conversationPage{Base: s.base(c), Conv: cv, Text: p.Message.Text, Errors: inv.Fields})
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"message": m})
		return
	}
	c.Redirect(http.StatusFound, "/conversations/"+strconv.FormatInt(id, 10)+"#message-"+m.GUID)
}

// hideConversation hides a conversation for the user ("delete"): DELETE
// /conversations/:id/visibility.
func (s *Server) hideConversation(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		s.fail(c, pod.ErrNotFound)
		return
	}
	if err := s.app.Conversations.Hide(c.Request.Context(), session(c), id); err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.Status(http.StatusNoContent)
		return
	}
	s.flash(c, "notice", "The conversation was deleted for you; the others keep it.")
	c.Redirect(http.StatusFound, "/conversations")
}
