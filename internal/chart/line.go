package chart

import (
	"html/template"
	"strings"

	"github.com/shopspring/decimal"
)

// Lines is a line chart of one or more series over ordered categories: the
// 12-week trends of revenue, cash and A/R.
type Lines struct {
	ID, Title, Desc string
	ValueAxis       string
	CategoryAxis    string
	Categories      []string
	Series          []Series
	Format, Tick    Formatter
	// LabelEvery writes the value above every point (with one series the
	// default); otherwise only each series' last value is written, and every
	// point keeps its figure in its tooltip and data-value.
	LabelEvery bool
	// Width, Height: defaults 640×300.
	Width, Height int
}

// SVG draws the chart.
func (c Lines) SVG() template.HTML {
	w, h := float64(cmpInt(c.Width, 640)), float64(cmpInt(c.Height, 300))
	format, tick := c.Format, c.Tick
	if format == nil {
		format = Count
	}
	if tick == nil {
		tick = format
	}
	if len(c.Categories) == 0 || len(c.Series) == 0 {
		return empty(c.ID, "lines", c.Title, c.Desc, int(w), int(h), "Nothing to show.")
	}
	var all []decimal.Decimal
	for _, se := range c.Series {
		for i := range c.Categories {
			all = append(all, valueAt(se.Values, i))
		}
	}
	lo, hi := floats(all)
	sc := niceScale(lo, hi, 5, integers(all))
	left, right, top, bottom := 70.0, 70.0, 34.0, 48.0
	plotH := h - top - bottom
	y := func(v float64) float64 { return sc.at(v, top+plotH, top) }
	step := (w - left - right) / float64(max(len(c.Categories)-1, 1))
	x := func(i int) float64 {
		if len(c.Categories) == 1 {
			return left + (w-left-right)/2
		}
		return left + step*float64(i)
	}
	labelEvery := c.LabelEvery || len(c.Series) == 1

	var s svg
	s.open(c.ID, "lines", c.Title, c.Desc, int(w), int(h), false)
	names := make([]string, len(c.Series))
	for i, se := range c.Series {
		names[i] = se.Name
	}
	s.legend(left, 14, names)
	s.axisY(sc, tick, left, w-right, y)
	s.printf(`<text class="axis-title" transform="translate(14 %s) rotate(-90)" text-anchor="middle" fill="#222">%s</text>`,
		num(top+plotH/2), esc(c.ValueAxis))
	// Category labels: every one when they fit, else every other one.
	every := 1
	if len(c.Categories) > 8 && step < 56 {
		every = 2
	}
	for i, cat := range c.Categories {
		if (len(c.Categories)-1-i)%every == 0 { // counted from the last, which is always labelled
			s.text(x(i), h-bottom+16, "middle", "category", cat)
		}
	}
	for j, se := range c.Series {
		var pts []string
		for i := range c.Categories {
			pts = append(pts, num(x(i))+","+num(y(valueAt(se.Values, i).InexactFloat64())))
		}
		s.printf(`<polyline class="line" data-series="%s" points="%s" fill="none" stroke="%s" stroke-width="2.5"></polyline>`,
			esc(se.Name), strings.Join(pts, " "), color(j))
		for i, cat := range c.Categories {
			v := valueAt(se.Values, i)
			px, py := x(i), y(v.InexactFloat64())
			p := Point{Label: cat + " · " + se.Name, Value: v}
			s.beginMark(p, format, "point")
			s.printf(`<circle cx="%s" cy="%s" r="3.5" fill="%s" data-series="%s"></circle>`, num(px), num(py), color(j), esc(se.Name))
			s.endMark(p)
			switch {
			case i == len(c.Categories)-1:
				s.text(px+6, py+4, "start", "value", format(v))
			case labelEvery:
				s.text(px, py-8, "middle", "value small", format(v))
			}
		}
	}
	s.text(left+(w-left-right)/2, h-8, "middle", "axis-title", c.CategoryAxis)
	return s.close()
}
