package audit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clinicflow/rcm/internal/audit"
)

func TestDiffKeepsChangedFieldsAndMasksPHI(t *testing.T) {
	loc := "loc-1"
	got := audit.Diff(
		map[string]any{"last_name": "Roe", "status": "active", "city": "Springfield", "location_id": nil, "units": 1},
		map[string]any{"last_name": "Doe", "status": "inactive", "city": "Springfield", "location_id": &loc, "units": 1})
	assert.Equal(t, map[string]any{
		"before": map[string]any{"last_name": audit.Masked, "status": "active", "location_id": nil},
		"after":  map[string]any{"last_name": audit.Masked, "status": "inactive", "location_id": &loc},
	}, got)

	assert.Nil(t, audit.Diff(map[string]any{"a": 1, "b": []string{}}, map[string]any{"a": 1, "b": nil}), "nothing changed")
	added := audit.Diff(map[string]any{}, map[string]any{"member_id": "XJ1"})
	assert.Equal(t, map[string]any{"member_id": nil}, added["before"], "nothing was there before")
	assert.Equal(t, map[string]any{"member_id": audit.Masked}, added["after"])
	assert.True(t, audit.IsPHI("date_of_birth"))
	assert.False(t, audit.IsPHI("status"))

	merged := audit.Merge(got, map[string]any{"case_id": "c1"})
	assert.Equal(t, "c1", merged["case_id"])
	assert.Contains(t, merged, "before")
	assert.Equal(t, map[string]any{"case_id": "c1"}, audit.Merge(nil, map[string]any{"case_id": "c1"}))
}
