package chart

import (
	"html/template"

	"github.com/shopspring/decimal"
)

// Bars is a bar chart of one series: A/R by aging bucket, claims per stage,
// denials per category. Each bar is labelled with its category and its value.
type Bars struct {
	// ID names the chart in the page (unique per page: it prefixes the
	// title and description ids).
	ID          string
	Title, Desc string
	// ValueAxis names what the bars measure ("Open balance", "Claims").
	ValueAxis string
	// CategoryAxis names what the bars are ("Days since service").
	CategoryAxis string
	Points       []Point
	// Format writes the values (Count when nil); the axis uses Tick when set.
	Format, Tick Formatter
	// Horizontal lays the bars out as rows, for long labels (denial categories).
	Horizontal bool
	// Width and Height are the drawing's size in SVG units (the chart scales
	// to its container); defaults 640×300.
	Width, Height int
}

func (c Bars) size() (int, int) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 300
		if c.Horizontal {
			h = 60 + 34*max(len(c.Points), 1)
		}
	}
	return w, h
}

// SVG draws the chart.
func (c Bars) SVG() template.HTML {
	w, h := c.size()
	format, tick := c.Format, c.Tick
	if format == nil {
		format = Count
	}
	if tick == nil {
		tick = format
	}
	if len(c.Points) == 0 {
		return empty(c.ID, "bars", c.Title, c.Desc, w, h, "Nothing to show.")
	}
	values := make([]decimal.Decimal, len(c.Points))
	for i, p := range c.Points {
		values[i] = p.Value
	}
	lo, hi := floats(values)
	sc := niceScale(lo, hi, 5, integers(values))
	var s svg
	links := false
	for _, p := range c.Points {
		links = links || p.Href != ""
	}
	s.open(c.ID, "bars", c.Title, c.Desc, w, h, links)
	if c.Horizontal {
		c.horizontal(&s, sc, format, tick, float64(w), float64(h))
	} else {
		c.vertical(&s, sc, format, tick, float64(w), float64(h))
	}
	return s.close()
}

func (c Bars) vertical(s *svg, sc scale, format, tick Formatter, w, h float64) {
	left, right, top, bottom := 70.0, 16.0, 24.0, 48.0
	plotH := h - top - bottom
	y := func(v float64) float64 { return sc.at(v, top+plotH, top) }
	s.axisY(sc, tick, left, w-right, y)
	s.printf(`<text class="axis-title" transform="translate(14 %s) rotate(-90)" text-anchor="middle" fill="#222">%s</text>`,
		num(top+plotH/2), esc(c.ValueAxis))
	slot := (w - left - right) / float64(len(c.Points))
	barW := min(slot*0.6, 90)
	for i, p := range c.Points {
		v := p.Value.InexactFloat64()
		x := left + slot*float64(i) + (slot-barW)/2
		y0, y1 := y(0), y(v)
		barTop, height := min(y0, y1), abs(y0-y1)
		s.beginMark(p, format, "bar")
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"></rect>`, num(x), num(barTop), num(barW), num(height), color(0))
		s.endMark(p)
		s.text(x+barW/2, barTop-5, "middle", "value", format(p.Value))
		s.text(x+barW/2, h-bottom+16, "middle", "category", p.Label)
	}
	s.text(left+(w-left-right)/2, h-8, "middle", "axis-title", c.CategoryAxis)
}

func (c Bars) horizontal(s *svg, sc scale, format, tick Formatter, w, h float64) {
	left, right, top, bottom := 170.0, 90.0, 12.0, 40.0
	plotW := w - left - right
	x := func(v float64) float64 { return sc.at(v, left, left+plotW) }
	for _, t := range sc.ticks {
		tx := x(t)
		s.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#ddd"></line>`, num(tx), num(tx), num(top), num(h-bottom))
		s.text(tx, h-bottom+14, "middle", "tick", tickLabel(tick, t))
	}
	slot := (h - top - bottom) / float64(len(c.Points))
	barH := min(slot*0.65, 28)
	for i, p := range c.Points {
		v := p.Value.InexactFloat64()
		y := top + slot*float64(i) + (slot-barH)/2
		x0, x1 := x(0), x(v)
		s.text(left-8, y+barH/2+4, "end", "category", p.Label)
		s.beginMark(p, format, "bar")
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"></rect>`, num(min(x0, x1)), num(y), num(abs(x1-x0)), num(barH), color(0))
		s.endMark(p)
		s.text(max(x0, x1)+6, y+barH/2+4, "start", "value", format(p.Value))
	}
	s.text(left+plotW/2, h-6, "middle", "axis-title", c.ValueAxis)
}

// axisY draws the value axis's gridlines and tick labels from left to right.
func (s *svg) axisY(sc scale, tick Formatter, left, right float64, y func(float64) float64) {
	for _, t := range sc.ticks {
		ty := y(t)
		stroke := "#ddd"
		if t == 0 {
			stroke = "#888"
		}
		s.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"></line>`, num(left), num(right), num(ty), num(ty), stroke)
		s.text(left-6, ty+4, "end", "tick", tickLabel(tick, t))
	}
}

// beginMark opens a mark's group: its data, its tooltip and, with an Href, its link.
func (s *svg) beginMark(p Point, format Formatter, class string) {
	s.printf(`<g class="%s" data-label="%s" data-value="%s">`, class, esc(p.Label), esc(p.Value.String()))
	s.printf(`<title>%s: %s</title>`, esc(p.Label), esc(format(p.Value)))
	if p.Href != "" {
		s.printf(`<a href="%s" aria-label="%s: %s">`, esc(p.Href), esc(p.Label), esc(format(p.Value)))
	}
}

func (s *svg) endMark(p Point) {
	if p.Href != "" {
		s.printf(`</a>`)
	}
	s.printf(`</g>`)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// GroupedBars draws several series over the same categories, side by side or
// stacked: claims submitted, paid and denied per week; A/R buckets per account.
type GroupedBars struct {
	ID, Title, Desc string
	ValueAxis       string
	CategoryAxis    string
	Categories      []string
	Series          []Series
	// Stacked piles the series on each other (totals on top) instead of side by side.
	Stacked      bool
	Format, Tick Formatter
	// Width, Height: defaults 640×300.
	Width, Height int
}

// SVG draws the chart.
func (c GroupedBars) SVG() template.HTML {
	w, h := float64(cmpInt(c.Width, 640)), float64(cmpInt(c.Height, 300))
	format, tick := c.Format, c.Tick
	if format == nil {
		format = Count
	}
	if tick == nil {
		tick = format
	}
	if len(c.Categories) == 0 || len(c.Series) == 0 {
		return empty(c.ID, "grouped-bars", c.Title, c.Desc, int(w), int(h), "Nothing to show.")
	}
	var all []decimal.Decimal
	totals := make([]decimal.Decimal, len(c.Categories))
	for _, se := range c.Series {
		for i := range c.Categories {
			v := valueAt(se.Values, i)
			all = append(all, v)
			totals[i] = totals[i].Add(v)
		}
	}
	if c.Stacked {
		all = totals
	}
	lo, hi := floats(all)
	sc := niceScale(lo, hi, 5, integers(all))
	left, right, top, bottom := 70.0, 16.0, 34.0, 48.0
	plotH := h - top - bottom
	y := func(v float64) float64 { return sc.at(v, top+plotH, top) }

	var s svg
	s.open(c.ID, "grouped-bars", c.Title, c.Desc, int(w), int(h), false)
	names := make([]string, len(c.Series))
	for i, se := range c.Series {
		names[i] = se.Name
	}
	s.legend(left, 14, names)
	s.axisY(sc, tick, left, w-right, y)
	s.printf(`<text class="axis-title" transform="translate(14 %s) rotate(-90)" text-anchor="middle" fill="#222">%s</text>`,
		num(top+plotH/2), esc(c.ValueAxis))
	slot := (w - left - right) / float64(len(c.Categories))
	groupW := slot * 0.8
	for i, cat := range c.Categories {
		x0 := left + slot*float64(i) + (slot-groupW)/2
		base := 0.0
		for j, se := range c.Series {
			v := valueAt(se.Values, i)
			p := Point{Label: cat + " · " + se.Name, Value: v}
			f := v.InexactFloat64()
			var x, bw, ya, yb float64
			if c.Stacked {
				x, bw = x0, groupW
				ya, yb = y(base), y(base+f)
				base += f
			} else {
				bw = groupW / float64(len(c.Series))
				x = x0 + bw*float64(j)
				ya, yb = y(0), y(f)
			}
			s.beginMark(p, format, "bar")
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s" data-series="%s"></rect>`,
				num(x), num(min(ya, yb)), num(bw), num(abs(ya-yb)), color(j), esc(se.Name))
			s.endMark(p)
			if !c.Stacked && len(c.Categories)*len(c.Series) <= 24 && !v.IsZero() {
				s.text(x+bw/2, min(ya, yb)-4, "middle", "value small", format(v))
			}
		}
		if c.Stacked {
			s.text(x0+groupW/2, y(totals[i].InexactFloat64())-5, "middle", "value", format(totals[i]))
		}
		if slot >= 56 || (len(c.Categories)-1-i)%2 == 0 { // every other label when they would touch
			s.text(x0+groupW/2, h-bottom+16, "middle", "category", cat)
		}
	}
	s.text(left+(w-left-right)/2, h-8, "middle", "axis-title", c.CategoryAxis)
	return s.close()
}

func valueAt(vs []decimal.Decimal, i int) decimal.Decimal {
	if i < len(vs) {
		return vs[i]
	}
	return decimal.Zero
}

func cmpInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
