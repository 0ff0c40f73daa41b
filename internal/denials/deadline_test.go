package denials

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestDeadline(t *testing.T) {
	tests := []struct {
		name   string
		from   time.Time
		window int
		want   time.Time
	}{
		{"leap year month end", day(2024, 1, 31), 30, day(2024, 3, 1)},
		{"common year month end", day(2023, 1, 31), 30, day(2023, 3, 2)},
		{"onto leap day", day(2024, 2, 28), 1, day(2024, 2, 29)},
		{"no leap day", day(2023, 2, 28), 1, day(2023, 3, 1)},
		{"from leap day a year", day(2024, 2, 29), 365, day(2025, 2, 28)},
		{"across the year end", day(2024, 12, 15), 30, day(2025, 1, 14)},
		{"zero window", day(2024, 6, 30), 0, day(2024, 6, 30)},
		{"time of day is dropped", time.Date(2024, 4, 30, 23, 59, 59, 0, time.UTC), 1, day(2024, 5, 1)},
		{"180 days", day(2024, 3, 20), 180, day(2024, 9, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Deadline(tt.from, tt.window))
		})
	}
}

func TestDeadlineKeepsLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York") // tz data embedded by time/tzdata
	require.NoError(t, err)
	// 2024-03-10 is the spring-forward day: a day is 23 hours long, but the
	// deadline is still the next calendar date at local midnight.
	from := time.Date(2024, 3, 9, 22, 30, 0, 0, ny)
	got := Deadline(from, 2)
	assert.Equal(t, time.Date(2024, 3, 11, 0, 0, 0, 0, ny), got)
	assert.Equal(t, ny, got.Location())
	// The calendar date is taken in the time's own location: 02:00 UTC on
	// March 1 is still February 29 in New York.
	utc := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2024, 3, 1, 0, 0, 0, 0, ny), Deadline(utc.In(ny), 1))
	assert.Equal(t, time.Date(2024, 2, 29, 0, 0, 0, 0, ny), Day(utc.In(ny)))
}

func TestAppealDeadline(t *testing.T) {
	received := day(2024, 1, 31)
	got, err := AppealDeadline(received, 60, 1)
	require.NoError(t, err)
	assert.Equal(t, day(2024, 3, 31), got)

	// Level 2 counts from the level-1 decision, not from the denial.
	decision := day(2024, 4, 15)
	got, err = AppealDeadline(decision, 60, 2)
	require.NoError(t, err)
	assert.Equal(t, day(2024, 6, 14), got)

	for _, level := range []int{0, 3, -1} {
		_, err := AppealDeadline(received, 60, level)
		assert.Error(t, err, "level %d", level)
	}
	_, err = AppealDeadline(received, -1, 1)
	assert.Error(t, err)
}

func TestNextLevel(t *testing.T) {
	tests := []struct {
		level, next int
		ok          bool
	}{
		{1, 2, true},
		{2, 0, false},
		{0, 0, false},
		{3, 0, false},
	}
	for _, tt := range tests {
		next, ok := NextLevel(tt.level)
		assert.Equal(t, tt.next, next, "level %d", tt.level)
		assert.Equal(t, tt.ok, ok, "level %d", tt.level)
	}
}

func TestEscalationDate(t *testing.T) {
	tests := []struct {
		name     string
		deadline time.Time
		lead     int
		want     time.Time
	}{
		{"weekday stays", day(2024, 3, 7), 2, day(2024, 3, 5)},                   // Thu -> Tue
		{"saturday moves to friday", day(2024, 3, 4), 2, day(2024, 3, 1)},        // Mon -> Sat -> Fri
		{"sunday moves to friday", day(2024, 3, 4), 1, day(2024, 3, 1)},          // Mon -> Sun -> Fri
		{"friday stays", day(2024, 3, 4), 3, day(2024, 3, 1)},                    // Mon -> Fri
		{"deadline on a saturday, no lead", day(2024, 3, 2), 0, day(2024, 3, 1)}, // Sat -> Fri
		{"negative lead counts as zero", day(2024, 3, 3), -5, day(2024, 3, 1)},   // Sun -> Fri
		{"back over leap day", day(2024, 3, 5), 5, day(2024, 2, 29)},             // Tue -> Thu
		{"weekend across a month end", day(2024, 7, 2), 2, day(2024, 6, 28)},     // Tue -> Sun -> Fri
		{"weekend across a year end", day(2022, 1, 3), 2, day(2021, 12, 31)},     // Mon -> Sat -> Fri
		{"time of day is dropped", time.Date(2024, 3, 7, 18, 0, 0, 0, time.UTC), 0, day(2024, 3, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EscalationDate(tt.deadline, tt.lead)
			assert.Equal(t, tt.want, got)
			assert.NotEqual(t, time.Saturday, got.Weekday())
			assert.NotEqual(t, time.Sunday, got.Weekday())
		})
	}
}
