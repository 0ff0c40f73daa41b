package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clinicflow/rcm/internal/auth"
	"github.com/clinicflow/rcm/internal/testenv"
)

// TestReadsOfPatientRecordsAreLogged checks that each read of a patient's
// record is recorded with who, when and the route, that a manager can list
// them, and that the log cannot be edited.
func TestReadsOfPatientRecordsAreLogged(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	desk := e.NewUserToken("desk-reader@test.local", auth.RoleFrontDesk)
	biller := e.NewUserToken("biller-reader@test.local", auth.RoleBiller)
	manager := e.NewUserToken("manager-reader@test.local", auth.RoleManager)
	patient, caseID := newPatientCase(t, e, desk, "private")
	other, _ := newPatientCase(t, e, desk, "private")

	e.MustDo(200, "GET", "/api/v1/patients/"+patient, desk, nil)
	e.MustDo(200, "GET", "/api/v1/cases/"+caseID, biller, nil)
	e.MustDo(200, "GET", "/api/v1/cases/"+caseID+"/ledger", biller, nil)
	e.MustDo(200, "GET", "/api/v1/cases?patient_id="+patient, biller, nil)
	// A failed read (no such patient) records nothing.
	e.MustDo(404, "GET", "/api/v1/patients/00000000-0000-4000-8000-000000000000", desk, nil)

	var log struct {
		PatientID string `json:"patient_id"`
		Items     []struct {
			UserEmail string `json:"user_email"`
			PatientID string `json:"patient_id"`
			Route     string `json:"route"`
			RequestID string `json:"request_id"`
		} `json:"items"`
	}
	e.MustDo(200, "GET", "/api/v1/patients/"+patient+"/access-log", manager, nil).JSON(t, &log)
	var got []string
	for _, it := range log.Items {
		assert.Equal(t, patient, it.PatientID)
		assert.NotEmpty(t, it.RequestID)
		got = append(got, it.UserEmail+" "+it.Route)
	}
	// Newest first.
	assert.Equal(t, []string{
		"biller-reader@test.local GET /api/v1/cases",
		"biller-reader@test.local GET /api/v1/cases/:id/ledger",
		"biller-reader@test.local GET /api/v1/cases/:id",
		"desk-reader@test.local GET /api/v1/patients/:id",
	}, got)

	// The other patient's log shows none of these reads.
	e.MustDo(200, "GET", "/api/v1/patients/"+other+"/access-log", manager, nil).JSON(t, &log)
	assert.Empty(t, log.Items)

	// Only managers and admins see who looked; nobody can edit the log.
	e.MustDo(403, "GET", "/api/v1/patients/"+patient+"/access-log", desk, nil)
	err := e.DB.Exec(`DELETE FROM patient_access_log WHERE patient_id = ?`, patient).Error
	require.Error(t, err)
	assert.Contains(t, err.Error(), "append-only")
	err = e.DB.Exec(`UPDATE patient_access_log SET user_id = NULL WHERE patient_id = ?`, patient).Error
	require.Error(t, err)
}
