package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// wellFormed parses the SVG as XML and returns it, failing the test if it is not.
func wellFormed(t *testing.T, out string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(out))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is not well-formed XML:\n%s", out)
	}
	return out
}

func TestMoneyAndCountWriteThousandsAndCents(t *testing.T) {
	for in, want := range map[string]string{"0": "$0.00", "5": "$5.00", "1234.5": "$1,234.50", "-1234567.891": "-$1,234,567.89", "999.999": "$1,000.00"} {
		assert.Equal(t, want, Money(dec(in)), in)
	}
	for in, want := range map[string]string{"0": "0", "12": "12", "1234": "1,234", "-1000000": "-1,000,000"} {
		assert.Equal(t, want, Count(dec(in)), in)
	}
	assert.Equal(t, "$12.5k", CompactMoney(dec("12500")))
	assert.Equal(t, "$950", CompactMoney(dec("950")))
	assert.Equal(t, "$1.2M", CompactMoney(dec("1234567")))
}

func TestNiceScaleCoversTheValuesWithRoundTicks(t *testing.T) {
	sc := niceScale(0, 873, 5, false)
	assert.Equal(t, 0.0, sc.lo)
	assert.Equal(t, 1000.0, sc.hi)
	assert.Equal(t, []float64{0, 200, 400, 600, 800, 1000}, sc.ticks)
	neg := niceScale(-30, 70, 5, false)
	assert.LessOrEqual(t, neg.lo, -30.0)
	assert.GreaterOrEqual(t, neg.hi, 70.0)
	assert.Contains(t, neg.ticks, 0.0)
	assert.Equal(t, []float64{0, 1, 2}, niceScale(0, 2, 5, true).ticks, "counts tick on whole numbers")
	flat := niceScale(0, 0, 5, false)
	assert.Greater(t, flat.hi, flat.lo, "all-zero data still gets an axis")
}

func TestBarsAreAccessibleAndShowEveryNumber(t *testing.T) {
	out := string(Bars{ID: "aging", Title: "A/R by age", Desc: "Open balance by days since service.",
		ValueAxis: "Open balance", CategoryAxis: "Days since service", Format: Money, Tick: CompactMoney,
		Points: []Point{{Label: "0-30", Value: dec("1250.50"), Href: "/manager/aging?bucket=0-30"},
			{Label: "31-60", Value: dec("300")}, {Label: "120+", Value: dec("0")}}}.SVG())
	wellFormed(t, out)
	assert.Contains(t, out, `role="group"`, "a chart with links is a group: an image's children are not reachable")
	assert.Contains(t, out, `aria-labelledby="aging-title aging-desc"`)
	assert.Contains(t, out, `<title id="aging-title">A/R by age</title>`)
	assert.Contains(t, out, `<desc id="aging-desc">Open balance by days since service.</desc>`)
	assert.Contains(t, out, `data-label="0-30" data-value="1250.5"`)
	assert.Contains(t, out, `>$1,250.50</text>`)
	assert.Contains(t, out, `>$300.00</text>`)
	assert.Contains(t, out, `>$0.00</text>`)
	assert.Contains(t, out, `<a href="/manager/aging?bucket=0-30"`)
	assert.Contains(t, out, "Days since service")
	assert.Contains(t, out, "Open balance")
	assert.Equal(t, 3, strings.Count(out, `class="bar"`))
}

func TestBarHeightsFollowTheValues(t *testing.T) {
	out := string(Bars{ID: "b", Points: []Point{{Label: "a", Value: dec("100")}, {Label: "b", Value: dec("50")}}, Height: 300}.SVG())
	assert.Contains(t, out, `role="img"`, "a chart without links is an image")
	heights := rectHeights(t, out)
	require.Len(t, heights, 2)
	assert.InDelta(t, heights[0]/2, heights[1], 0.2, "half the value, half the height")
}

func rectHeights(t *testing.T, out string) []float64 {
	t.Helper()
	var hs []float64
	d := xml.NewDecoder(strings.NewReader(out))
	inBar := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return hs
		}
		require.NoError(t, err)
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "g" {
				for _, a := range e.Attr {
					if a.Name.Local == "class" && a.Value == "bar" {
						inBar++
					}
				}
			}
			if e.Name.Local == "rect" && inBar > 0 {
				for _, a := range e.Attr {
					if a.Name.Local == "height" {
						hs = append(hs, decimal.RequireFromString(a.Value).InexactFloat64())
					}
				}
			}
		case xml.EndElement:
			if e.Name.Local == "g" && inBar > 0 {
				inBar--
			}
		}
	}
}

func TestHorizontalBarsEscapeLabels(t *testing.T) {
	out := string(Bars{ID: "den", Title: "Denials <this week>", Horizontal: true,
		Points: []Point{{Label: `eligibility & "coverage"`, Value: dec("3")}, {Label: "coding", Value: dec("1")}}}.SVG())
	wellFormed(t, out)
	assert.Contains(t, out, "Denials &lt;this week&gt;")
	assert.Contains(t, out, "eligibility &amp; &#34;coverage&#34;")
	assert.NotContains(t, out, "<this week>")
}

func TestEmptyChartsSaySoAndKeepTheirName(t *testing.T) {
	for _, out := range []string{
		string(Bars{ID: "e", Title: "Nothing"}.SVG()),
		string(GroupedBars{ID: "e", Title: "Nothing"}.SVG()),
		string(Lines{ID: "e", Title: "Nothing"}.SVG()),
		string(Timeline{ID: "e", Title: "Nothing"}.SVG()),
	} {
		wellFormed(t, out)
		assert.Contains(t, out, `<title id="e-title">Nothing</title>`)
		assert.Regexp(t, `No(thing| claims) to show\.`, out)
	}
}

func TestGroupedAndStackedBarsDrawEverySeries(t *testing.T) {
	g := GroupedBars{ID: "wk", Title: "Claims per week", Categories: []string{"Mar 2", "Mar 9"},
		Series: []Series{{Name: "submitted", Values: []decimal.Decimal{dec("4"), dec("6")}},
			{Name: "paid", Values: []decimal.Decimal{dec("2"), dec("5")}}}}
	out := wellFormed(t, string(g.SVG()))
	assert.Equal(t, 4, strings.Count(out, `class="bar"`))
	assert.Contains(t, out, `data-label="Mar 9 · paid" data-value="5"`)
	assert.Contains(t, out, `class="legend-label" fill="#222">submitted</text>`)
	g.Stacked = true
	out = wellFormed(t, string(g.SVG()))
	assert.Contains(t, out, `>6</text>`, "the stack's total for Mar 2")
	assert.Contains(t, out, `>11</text>`, "the stack's total for Mar 9")
}

func TestLinesLabelTheLastPointOfEachSeries(t *testing.T) {
	l := Lines{ID: "trend", Title: "Money per week", Format: Money, Tick: CompactMoney,
		Categories: []string{"W1", "W2", "W3"},
		Series: []Series{{Name: "revenue", Values: []decimal.Decimal{dec("100"), dec("250.25"), dec("175")}},
			{Name: "cash", Values: []decimal.Decimal{dec("80"), dec("90"), dec("300")}}}}
	out := wellFormed(t, string(l.SVG()))
	assert.Equal(t, 2, strings.Count(out, "<polyline"))
	assert.Equal(t, 6, strings.Count(out, `class="point"`))
	assert.Contains(t, out, `>$175.00</text>`)
	assert.Contains(t, out, `>$300.00</text>`)
	assert.Contains(t, out, `<title>W2 · revenue: $250.25</title>`)
	assert.NotContains(t, out, `>$250.25</text>`, "only last points are labelled with two series")
	l.LabelEvery = true
	assert.Contains(t, string(l.SVG()), `>$250.25</text>`)
}

func TestTimelineShowsEachStageAndTheOpenWait(t *testing.T) {
	now := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	d := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	tl := Timeline{ID: "stuck", Title: "Where the claims wait", Now: now,
		Stages: []string{"created", "submitted", "accepted"},
		Rows: []TimelineRow{
			{Label: "PCN-1", Href: "/claims/1", Segments: []Segment{
				{Stage: "created", From: d(30), To: d(29)},
				{Stage: "submitted", From: d(29), To: d(28), Why: "payer 999 file"},
				{Stage: "accepted", From: d(28)}},
				Next: "status_inquiry", NextAt: now.Add(48 * time.Hour)},
			{Label: "PCN-2", Segments: []Segment{{Stage: "submitted", From: d(15)}}},
		}}
	out := wellFormed(t, string(tl.SVG()))
	assert.Contains(t, out, `<a href="/claims/1">`)
	assert.Contains(t, out, `data-stage="accepted" data-days="28.0" data-open="true"`)
	assert.Contains(t, out, `data-stage="created" data-days="1.0" data-open="false"`)
	assert.Contains(t, out, `>28 days</text>`)
	assert.Contains(t, out, `>15 days</text>`)
	assert.Contains(t, out, `data-timer="status_inquiry"`)
	assert.Contains(t, out, "entered by payer 999 file")
	assert.Equal(t, 4, strings.Count(out, `class="segment"`))
	assert.Contains(t, out, `>Mar 6</text>`, "day ticks over a month")
	// The colours follow the lifecycle order given, whatever the rows hold.
	assert.Contains(t, out, `fill="`+Palette[2]+`" stroke="#111"`, "accepted is the third stage")
}

func TestTimelineOfMinutesTicksInTime(t *testing.T) {
	now := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	out := wellFormed(t, string(Timeline{ID: "t", Now: now, Rows: []TimelineRow{{Label: "A",
		Segments: []Segment{{Stage: "submitted", From: now.Add(-50 * time.Minute)}}}}}.SVG()))
	assert.Contains(t, out, `>11:20</text>`)
	assert.Contains(t, out, `>50 min</text>`)
	assert.Contains(t, out, `role="img"`)
}
