package dunning

import (
	"fmt"
	"time"
)

// DefaultTimeZone is the time zone of a patient who has not given one.
const DefaultTimeZone = "America/Chicago"

// SMSWindow is the earliest time at or after t when a text message may be sent
// to a patient in time zone tz: from QuietStart:00 to before QuietEnd:00 local
// time, and not on a Sunday unless the configuration allows it. It counts in
// wall-clock hours of the patient's day, so daylight-saving changes move the
// window with the patient's clock.
func (c Config) SMSWindow(t time.Time, tz string) (time.Time, error) {
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	local := t.In(loc)
	for range 8 {
		y, m, d := local.Date()
		start := time.Date(y, m, d, c.QuietStart, 0, 0, 0, loc)
		end := time.Date(y, m, d, c.QuietEnd, 0, 0, 0, loc)
		sunday := local.Weekday() == time.Sunday && !c.SMSOnSunday
		switch {
		case !sunday && !local.Before(start) && local.Before(end):
			return local.UTC(), nil
		case !sunday && local.Before(start):
			return start.UTC(), nil
		}
		// After hours or a Sunday: the start of the next day's window.
		local = time.Date(y, m, d+1, c.QuietStart, 0, 0, 0, loc)
		if !local.Before(time.Date(y, m, d+1, c.QuietEnd, 0, 0, 0, loc)) {
			continue
		}
		if local.Weekday() != time.Sunday || c.SMSOnSunday {
			return local.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("no window to send a text message within a week of %s", t)
}
