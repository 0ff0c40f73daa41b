// Package chart draws the manager pages' charts as server-side SVG: bar charts
// (A/R aging buckets, denial categories), grouped and stacked bars (claims by
// stage, weekly claim counts), line charts (the 12-week trends) and a timeline
// (where each stuck claim has been waiting). No JavaScript: the page embeds the
// SVG as it is rendered, so it prints, works without scripts and is covered by
// the same tests as the page.
//
// Every chart is accessible: role="img" with a <title> and a <desc> it is
// labelled by, axis labels, and the numbers themselves written on the chart
// (not only as bar heights). Each mark carries data-label and data-value with
// the exact figure it draws, so a test can compare a chart with the report it
// was drawn from.
//
// Values are decimal.Decimal, as the reports give them; they become float64
// only to compute pixel positions, never to display a number.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Palette is the series colours, in order: distinguishable for the common
// colour-vision deficiencies (Okabe–Ito) and dark enough for white text.
var Palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F6A00", "#444444"}

// color is the i-th palette colour, cycling.
func color(i int) string { return Palette[i%len(Palette)] }

// Formatter writes a value for people: a money amount, a count.
type Formatter func(decimal.Decimal) string

// Money writes an amount with a dollar sign, thousands separators and cents:
// $12,345.60, -$5.00.
func Money(d decimal.Decimal) string {
	sign := ""
	if d.IsNegative() {
		sign, d = "-", d.Neg()
	}
	s := d.StringFixed(2)
	whole, cents, _ := strings.Cut(s, ".")
	return sign + "$" + thousands(whole) + "." + cents
}

// Count writes a whole number with thousands separators (a fraction is rounded).
func Count(d decimal.Decimal) string {
	s := d.Round(0).String()
	if neg, ok := strings.CutPrefix(s, "-"); ok {
		return "-" + thousands(neg)
	}
	return thousands(s)
}

// CompactMoney writes an amount briefly for axis ticks: $950, $12.5k, $1.2M.
func CompactMoney(d decimal.Decimal) string {
	f := d.Abs().InexactFloat64()
	sign := ""
	if d.IsNegative() {
		sign = "-"
	}
	switch {
	case f >= 1e6:
		return sign + "$" + trimZero(fmt.Sprintf("%.1f", f/1e6)) + "M"
	case f >= 1e4:
		return sign + "$" + trimZero(fmt.Sprintf("%.1f", f/1e3)) + "k"
	}
	return sign + "$" + thousands(d.Abs().Round(0).String())
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

func thousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Point is one value under a label: a bar, a point of a line.
type Point struct {
	Label string
	Value decimal.Decimal
	// Href, when set, makes the mark a link (a drill-down).
	Href string
}

// Series is a named run of values, one per category of the chart.
type Series struct {
	Name   string
	Values []decimal.Decimal
}

// svg accumulates an SVG document.
type svg struct {
	b strings.Builder
}

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// open writes the <svg> element with its accessible name and description. A
// chart is an image (role img) unless it holds links: an image's children are
// presentational, so a chart with drill-down links is a group instead, and
// its links stay reachable by keyboard and screen reader.
func (s *svg) open(id, class, title, desc string, w, h int, links bool) {
	role := "img"
	if links {
		role = "group"
	}
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart %s" id="%s" viewBox="0 0 %d %d" width="100%%" `+
		`preserveAspectRatio="xMidYMid meet" role="%s" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="12">`,
		esc(class), esc(id), w, h, role, esc(id), esc(id))
	s.printf(`<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
}

func (s *svg) close() template.HTML {
	s.b.WriteString(`</svg>`)
	// The markup is built from escaped text and numbers only.
	return template.HTML(s.b.String())
}

// text writes a text element; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, class, body string) {
	s.printf(`<text x="%s" y="%s" text-anchor="%s" class="%s" fill="#222">%s</text>`, num(x), num(y), anchor, class, esc(body))
}

// esc escapes text for SVG content and attribute values.
func esc(s string) string { return template.HTMLEscapeString(s) }

// num writes a coordinate with at most one decimal.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return trimZero(fmt.Sprintf("%.1f", f))
}

// scale is a linear value axis from lo to hi with round ticks.
type scale struct {
	lo, hi float64
	ticks  []float64
}

// niceScale covers [min(0,lo), max(0,hi)] with about n round ticks (1, 2 or 5
// times a power of ten apart; whole numbers apart when integer).
func niceScale(lo, hi float64, n int, integer bool) scale {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if hi-lo <= 0 {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow * 10
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*pow {
			step = m * pow
			break
		}
	}
	if integer && step < 1 { // counts: no tick between two whole numbers
		step = 1
	}
	sc := scale{lo: math.Floor(lo/step) * step, hi: math.Ceil(hi/step) * step}
	for t := sc.lo; t <= sc.hi+step/2; t += step {
		sc.ticks = append(sc.ticks, math.Round(t/step)*step)
	}
	return sc
}

// at maps a value to a position between from (value lo) and to (value hi).
func (sc scale) at(v, from, to float64) float64 {
	return from + (v-sc.lo)/(sc.hi-sc.lo)*(to-from)
}

// integers says whether every value is a whole number (counts).
func integers(ds []decimal.Decimal) bool {
	for _, d := range ds {
		if !d.IsInteger() {
			return false
		}
	}
	return true
}

func floats(ds []decimal.Decimal) (lo, hi float64) {
	for i, d := range ds {
		f := d.InexactFloat64()
		if i == 0 || f < lo {
			lo = f
		}
		if i == 0 || f > hi {
			hi = f
		}
	}
	return lo, hi
}

// tickLabel writes an axis tick with the chart's formatter.
func tickLabel(f Formatter, v float64) string {
	return f(decimal.NewFromFloat(v))
}

// legend writes a row of colour keys at (x, y).
func (s *svg) legend(x, y float64, names []string) {
	s.printf(`<g class="legend">`)
	for i, n := range names {
		s.printf(`<rect x="%s" y="%s" width="12" height="12" fill="%s"></rect>`, num(x), num(y-10), color(i))
		s.text(x+16, y, "start", "legend-label", n)
		x += 16 + float64(7*len(n)) + 18
	}
	s.printf(`</g>`)
}

// empty is the chart for nothing to draw: it still has its name and says so.
func empty(id, class, title, desc string, w, h int, message string) template.HTML {
	var s svg
	s.open(id, class, title, desc+" "+message, w, h, false)
	s.text(float64(w)/2, float64(h)/2, "middle", "empty", message)
	return s.close()
}
