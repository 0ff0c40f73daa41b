package denials

import (
	"fmt"
	"time"
)

// MaxLevel is the highest appeal level handled: level 1 (first appeal or
// request for reconsideration) and level 2 (appeal of the level-1 decision).
const MaxLevel = 2

// Day returns the calendar date of t in t's location, as midnight of that
// day in the same location. Call it with t.In(loc) to take the date in
// another location.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// Deadline returns the last day to file: the calendar date of from (see
// [Day]) plus windowDays calendar days, at midnight in from's location.
// Month ends and leap years follow the calendar (2024-01-31 + 30 days is
// 2024-03-01; 2023-01-31 + 30 days is 2023-03-02), and a daylight-saving
// change does not move the date. Weekends and holidays are not skipped: a
// payer's window is counted in calendar days.
func Deadline(from time.Time, windowDays int) time.Time {
	y, m, d := from.Date()
	return time.Date(y, m, d+windowDays, 0, 0, 0, 0, from.Location())
}

// NextLevel returns the appeal level that follows level and true, or 0 and
// false when level is the last one ([MaxLevel]) or not a valid level.
func NextLevel(level int) (int, bool) {
	if level < 1 || level >= MaxLevel {
		return 0, false
	}
	return level + 1, true
}

// AppealDeadline returns the deadline of an appeal at the given level with a
// payer's appeal window of windowDays calendar days, counted by [Deadline]
// from from, which is:
//
//   - for level 1, the date the denial was received (the 835 or the paper
//     remittance);
//   - for level 2, the date of the level-1 decision.
//
// It returns an error when level is not between 1 and [MaxLevel] or
// windowDays is negative.
func AppealDeadline(from time.Time, windowDays, level int) (time.Time, error) {
	if level < 1 || level > MaxLevel {
		return time.Time{}, fmt.Errorf("denials: appeal level %d: must be 1 to %d", level, MaxLevel)
	}
	if windowDays < 0 {
		return time.Time{}, fmt.Errorf("denials: appeal window %d days: must not be negative", windowDays)
	}
	return Deadline(from, windowDays), nil
}

// EscalationDate returns the day a pending appeal should be escalated:
// leadDays calendar days before the calendar date of deadline (see [Day]),
// moved back to the Friday before when it falls on a Saturday or Sunday so
// that someone is at work to act on it. A negative leadDays counts as 0. The
// result is midnight in deadline's location.
func EscalationDate(deadline time.Time, leadDays int) time.Time {
	if leadDays < 0 {
		leadDays = 0
	}
	e := Deadline(deadline, -leadDays)
	switch e.Weekday() {
	case time.Saturday:
		e = Deadline(e, -1)
	case time.Sunday:
		e = Deadline(e, -2)
	}
	return e
}
