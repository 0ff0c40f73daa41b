package chart

import (
	"fmt"
	"html/template"
	"slices"
	"time"
)

// Timeline draws, one row per claim, the stages it has been in and for how
// long: where each stuck claim has been waiting. The last segment of a row
// (the stage it is in now) runs to Now and is labelled with its days; a
// row's next timer, when known, is a diamond on the axis.
type Timeline struct {
	ID, Title, Desc string
	Rows            []TimelineRow
	// Now ends the open segments and the axis.
	Now time.Time
	// Stages fixes the colour order of the stages (the claim lifecycle order);
	// stages not in it come after, in order of appearance.
	Stages []string
	// Width: default 960; the height follows the rows.
	Width int
}

// TimelineRow is one claim.
type TimelineRow struct {
	Label string
	// Href links the row's label (the claim page).
	Href     string
	Segments []Segment
	// Next is the workflow's next timer, if any: what fires, and when.
	Next   string
	NextAt time.Time
}

// Segment is a stretch of time in one stage; an open segment (To zero) runs to Now.
type Segment struct {
	Stage    string
	From, To time.Time
	// Why is what moved the claim into the stage (a payer file, a person).
	Why string
}

// Days is how long a segment lasted, or has lasted up to now, in whole and
// tenth days.
func (s Segment) Days(now time.Time) float64 {
	end := s.To
	if end.IsZero() {
		end = now
	}
	return float64(end.Sub(s.From)) / float64(24*time.Hour)
}

// SVG draws the chart.
func (c Timeline) SVG() template.HTML {
	w := float64(cmpInt(c.Width, 960))
	rowH, top, bottom := 30.0, 40.0, 40.0
	h := top + bottom + rowH*float64(max(len(c.Rows), 1))
	if len(c.Rows) == 0 {
		return empty(c.ID, "timeline", c.Title, c.Desc, int(w), int(h), "No claims to show.")
	}
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	start, end := now, now
	var order []string
	order = append(order, c.Stages...)
	for _, r := range c.Rows {
		for _, sg := range r.Segments {
			if sg.From.Before(start) {
				start = sg.From
			}
			if !slices.Contains(order, sg.Stage) {
				order = append(order, sg.Stage)
			}
		}
	}
	// The axis runs a little past now for the timers due soon; a timer
	// further out (a filing deadline a year away) sits at the right edge
	// with its date, instead of squeezing the waits into a sliver.
	horizon := now.Add(max(now.Sub(start)/4, time.Hour))
	for _, r := range c.Rows {
		if !r.NextAt.IsZero() && r.NextAt.After(end) {
			end = r.NextAt
			if end.After(horizon) {
				end = horizon
			}
		}
	}
	if !end.After(start) {
		end = start.Add(time.Hour)
	}
	left, right := 210.0, 110.0
	x := func(t time.Time) float64 {
		return left + float64(t.Sub(start))/float64(end.Sub(start))*(w-left-right)
	}

	var s svg
	links := false
	for _, r := range c.Rows {
		links = links || r.Href != ""
	}
	s.open(c.ID, "timeline", c.Title, c.Desc, int(w), int(h), links)
	// The legend: only the stages that appear.
	var used []string
	for _, st := range order {
		for _, r := range c.Rows {
			if slices.ContainsFunc(r.Segments, func(sg Segment) bool { return sg.Stage == st }) {
				used = append(used, st)
				break
			}
		}
	}
	lx := left
	for _, st := range used {
		s.printf(`<rect x="%s" y="8" width="12" height="12" fill="%s"></rect>`, num(lx), color(slices.Index(order, st)))
		s.text(lx+16, 18, "start", "legend-label", st)
		lx += 16 + float64(7*len(st)) + 18
	}
	// Time ticks: about six, on whole days, or on whole hours (minutes) for
	// a short span.
	span := end.Sub(start)
	step, layout := 24*time.Hour*time.Duration(max(1, int(span.Hours()/24/6))), "Jan 2"
	switch {
	case span < 6*time.Hour:
		step, layout = max(time.Minute, (span/6).Truncate(time.Minute)), "15:04"
	case span < 72*time.Hour:
		step, layout = max(time.Hour, (span/6).Truncate(time.Hour)), "Jan 2 15:04"
	}
	first := start.Truncate(step).Add(step)
	if step >= 24*time.Hour {
		first = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, start.Location()).AddDate(0, 0, 1)
	}
	for t := first; !t.After(end); t = t.Add(step) {
		tx := x(t)
		s.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#e3e3e3"></line>`, num(tx), num(tx), num(top-6), num(h-bottom))
		s.text(tx, h-bottom+16, "middle", "tick", t.Format(layout))
	}
	nx := x(now)
	s.printf(`<line class="now" x1="%s" x2="%s" y1="%s" y2="%s" stroke="#222" stroke-dasharray="4 3"></line>`,
		num(nx), num(nx), num(top-10), num(h-bottom))
	s.text(nx, h-bottom+30, "middle", "tick", "now")

	for i, r := range c.Rows {
		y := top + rowH*float64(i)
		label := r.Label
		if r := []rune(label); len(r) > 26 {
			label = string(r[:25]) + "…"
		}
		if r.Href != "" {
			s.printf(`<a href="%s">`, esc(r.Href))
		}
		s.text(left-8, y+rowH/2+4, "end", "row-label", label)
		if r.Href != "" {
			s.printf(`</a>`)
		}
		for j, sg := range r.Segments {
			to, open := sg.To, sg.To.IsZero()
			if open {
				to = now
			}
			x0, x1 := x(sg.From), x(to)
			days := sg.Days(now)
			tip := fmt.Sprintf("%s: %s in %s, from %s to %s", r.Label, dayText(days), sg.Stage,
				sg.From.Format("Jan 2 15:04"), endText(sg.To))
			if sg.Why != "" {
				tip += " (entered by " + sg.Why + ")"
			}
			s.printf(`<g class="segment" data-stage="%s" data-days="%.1f" data-open="%t"><title>%s</title>`,
				esc(sg.Stage), days, open, esc(tip))
			stroke := ""
			if open {
				stroke = ` stroke="#111" stroke-width="1.5"`
			}
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s></rect></g>`,
				num(x0), num(y+5), num(max(x1-x0, 1.5)), num(rowH-10), color(slices.Index(order, sg.Stage)), stroke)
			if j == len(r.Segments)-1 {
				label := dayText(days)
				if lw := float64(7*len(label) + 10); x1-x0 > lw+8 {
					// Inside the bar's end, on a light plate: clear of the timer's diamond.
					s.printf(`<rect x="%s" y="%s" width="%s" height="16" rx="3" fill="#fff" opacity="0.9"></rect>`,
						num(x1-lw-4), num(y+rowH/2-8), num(lw))
					s.text(x1-9, y+rowH/2+4, "end", "value", label)
				} else {
					s.text(x1+4, y+rowH/2+4, "start", "value", label)
				}
			}
		}
		if !r.NextAt.IsZero() {
			at := r.NextAt
			if at.After(end) {
				at = end
			}
			tx, ty := x(at), y+rowH/2
			s.printf(`<g class="timer" data-timer="%s"><title>next: %s at %s</title>`, esc(r.Next), esc(r.Next), r.NextAt.Format("Jan 2, 2006 15:04"))
			s.printf(`<path d="M%s %s l5 5 l-5 5 l-5 -5 z" fill="#fff" stroke="#111"></path></g>`, num(tx), num(ty-5))
			if r.NextAt.After(end) {
				s.text(tx+8, ty+4, "start", "tick", "→ "+r.NextAt.Format("Jan 2, 2006"))
			}
		}
	}
	s.text(left+(w-left-right)/2, h-6, "middle", "axis-title", "Date (UTC); a diamond is the workflow's next timer")
	return s.close()
}

// dayText writes a wait: in days from a day up, else in hours or minutes.
func dayText(d float64) string {
	switch {
	case d == 1:
		return "1 day"
	case d >= 1:
		return trimZero(fmt.Sprintf("%.1f", d)) + " days"
	case d*24 >= 1:
		return trimZero(fmt.Sprintf("%.1f", d*24)) + " h"
	}
	return fmt.Sprintf("%.0f min", d*24*60)
}

func endText(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.Format("Jan 2 15:04")
}
