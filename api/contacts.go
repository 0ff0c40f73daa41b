package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/legal"
)

// contactJSON is an address-book entry as the API shows it.
type contactJSON struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	Name         string    `json:"name"`
	Organization string    `json:"organization"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	Address1     string    `json:"address1"`
	Address2     string    `json:"address2"`
	City         string    `json:"city"`
	State        string    `json:"state"`
	Zip          string    `json:"zip"`
	Notes        string    `json:"notes"`
	CreatedAt    time.Time `json:"created_at"`
}

func showContact(c legal.Contact) contactJSON {
	return contactJSON{ID: c.ID, Kind: c.Kind, Name: c.Name, Organization: c.Organization, Phone: c.Phone,
		Email: c.Email, Address1: c.Address1, Address2: c.Address2, City: c.City, State: c.State, Zip: c.Zip,
		Notes: c.Notes, CreatedAt: c.CreatedAt}
}

func (s *Server) createContact(c *gin.Context) {
	var in legal.NewContact
	if !bind(c, &in) {
		return
	}
	ct, err := s.legal.CreateContact(c.Request.Context(), in, actor(c))
	respond(c, s, http.StatusCreated)(shown(showContact)(ct, err))
}

// listContacts searches the address book by name or organization (q) and kind.
func (s *Server) listContacts(c *gin.Context) {
	f := legal.ContactFilter{Query: c.Query("q"), Kind: c.Query("kind")}
	listed(c, s, func(ctx context.Context, limit int) ([]legal.Contact, error) {
		f.Limit = limit
		return s.legal.ListContacts(ctx, f)
	}, showContact, "q", "kind")
}

func (s *Server) getContact(c *gin.Context) {
	ct, err := s.legal.GetContact(c.Request.Context(), c.Param("id"))
	respond(c, s, http.StatusOK)(shown(showContact)(ct, err))
}
