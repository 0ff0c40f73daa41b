package statements

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/shopspring/decimal"
)

//go:embed statement.html.tmpl
var statementHTML string

var htmlTmpl = template.Must(template.New("statement").Funcs(template.FuncMap{
	"money": money,
	"logo": func(b []byte) template.URL {
		return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
	},
	"css": func(s string) template.CSS {
		if accentRe.MatchString(s) {
			return template.CSS(s)
		}
		return template.CSS(DefaultAccent)
	},
}).Parse(statementHTML))

func money(d decimal.Decimal) string {
	s := d.Abs().StringFixed(2)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := "$" + b.String() + "." + frac
	if d.IsNegative() {
		return "-" + out
	}
	return out
}

// RenderHTML renders a statement as a standalone HTML page (the logo inline).
func RenderHTML(st Statement) ([]byte, error) {
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, st); err != nil {
		return nil, fmt.Errorf("render statement %s: %w", st.Number, err)
	}
	return buf.Bytes(), nil
}

func rgb(hex string) (int, int, int) {
	if !accentRe.MatchString(hex) {
		hex = DefaultAccent
	}
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

// RenderPDF renders a statement as a one-or-more page PDF (letter size). The
// output depends only on the statement (its issue time is the PDF's creation
// date), so rendering a stored statement again gives the same bytes. Text
// streams are not compressed, which keeps the PDF's text checkable.
func RenderPDF(st Statement) ([]byte, error) {
	f := fpdf.New("P", "mm", "Letter", "")
	f.SetCompression(false)
	f.SetCreationDate(st.IssuedAt)
	f.SetModificationDate(st.IssuedAt)
	f.SetCatalogSort(true)
	f.SetProducer("clinicflow rcm", true)
	f.SetTitle("Statement "+st.Number, true)
	f.SetMargins(15, 15, 15)
	f.SetAutoPageBreak(true, 18)
	tr := f.UnicodeTranslatorFromDescriptor("")
	ar, ag, ab := rgb(st.Practice.Accent)
	f.AddPage()
	x0 := 15.0
	if len(st.Practice.LogoPNG) > 0 {
		opts := fpdf.ImageOptions{ImageType: "PNG", ReadDpi: true}
		f.RegisterImageOptionsReader("logo", opts, bytes.NewReader(st.Practice.LogoPNG))
		if f.Ok() {
			f.ImageOptions("logo", 15, 15, 0, 16, false, opts, 0, "")
			x0 = 35
		} else {
			f.ClearError() // a logo the PDF library cannot read is left out
		}
	}
	f.SetXY(x0, 15)
	f.SetTextColor(ar, ag, ab)
	f.SetFont("Helvetica", "B", 16)
	f.CellFormat(0, 7, tr(st.Practice.Name), "", 1, "L", false, 0, "")
	f.SetTextColor(0, 0, 0)
	f.SetFont("Helvetica", "", 9)
	for _, l := range []string{st.Practice.Address, st.Practice.Phone} {
		if l != "" {
			f.SetX(x0)
			f.CellFormat(0, 4.5, tr(l), "", 1, "L", false, 0, "")
		}
	}
	f.SetXY(130, 15)
	f.SetFont("Helvetica", "B", 12)
	f.CellFormat(0, 6, "STATEMENT", "", 2, "R", false, 0, "")
	f.SetFont("Helvetica", "", 9)
	for _, l := range []string{"Statement " + st.Number, "Date " + st.IssuedAt.Format("2006-01-02"),
		"Account " + st.Guarantor.Account, "Due " + st.DueDate} {
		f.CellFormat(0, 4.5, l, "", 2, "R", false, 0, "")
	}
	f.SetXY(15, 45)
	f.SetFont("Helvetica", "", 10)
	f.CellFormat(0, 5, tr(st.Guarantor.Name), "", 1, "L", false, 0, "")
	for _, l := range st.Guarantor.Address {
		f.CellFormat(0, 5, tr(l), "", 1, "L", false, 0, "")
	}
	f.Ln(4)
	header := func(text string) {
		f.SetFillColor(ar, ag, ab)
		f.SetTextColor(255, 255, 255)
		f.SetFont("Helvetica", "B", 10)
		f.CellFormat(0, 6, tr(text), "", 1, "L", true, 0, "")
		f.SetTextColor(0, 0, 0)
		f.SetFont("Helvetica", "", 9)
	}
	row := func(label, amount string, bold bool) {
		if bold {
			f.SetFont("Helvetica", "B", 9)
		}
		f.CellFormat(150, 5, tr(label), "", 0, "L", false, 0, "")
		f.CellFormat(0, 5, amount, "", 1, "R", false, 0, "")
		if bold {
			f.SetFont("Helvetica", "", 9)
		}
	}
	for _, c := range st.Cases {
		title := c.Title
		if title == "" {
			title = "Case"
		}
		header(title)
		for _, v := range c.Visits {
			for _, s := range v.Services {
				row(v.Date+"  "+s.Code+"  "+s.Description, money(s.Amount), false)
			}
		}
		t := c.Totals
		row("Charges", money(t.Charges), false)
		for _, l := range []struct {
			label string
			amt   decimal.Decimal
		}{{"Insurance payments", t.InsurancePaid}, {"Insurance adjustments", t.InsuranceAdjustments},
			{"Pending with insurance", t.PendingInsurance}, {"Your payments", t.PatientPayments},
			{"Adjustments", t.Adjustments}, {"Credit applied from your other cases", t.CreditsApplied},
			{"Refunded to you", t.Refunded.Neg()}} {
			if !l.amt.IsZero() {
				row(l.label, money(l.amt.Neg()), false)
			}
		}
		if t.Credit.IsPositive() {
			row("Credit on this case", money(t.Credit.Neg()), false)
		}
		row("Case balance", money(t.Balance), true)
		f.Ln(2)
	}
	header("Summary")
	row("Total charges", money(st.Totals.Charges), false)
	row("Insurance payments and adjustments", money(st.Totals.InsurancePaid.Add(st.Totals.InsuranceAdjustments).Neg()), false)
	row("Your payments", money(st.Totals.PatientPayments.Neg()), false)
	if !st.Totals.Adjustments.IsZero() {
		row("Adjustments", money(st.Totals.Adjustments.Neg()), false)
	}
	if !st.Totals.Refunded.IsZero() {
		row("Refunded to you", money(st.Totals.Refunded), false)
	}
	if st.Totals.Credit.IsPositive() && st.Totals.Owed.IsPositive() {
		// A credit on one case nets against a balance on another.
		row("Owed on your cases", money(st.Totals.Owed), false)
		row("Less your credits", money(st.Totals.Credit.Neg()), false)
	}
	row("Amount due", money(st.Totals.AmountDue()), true)
	f.Ln(2)
	header("Aging")
	row("Current", money(st.Aging.Current), false)
	row("31-60 days", money(st.Aging.Days30), false)
	row("61-90 days", money(st.Aging.Days60), false)
	row("Over 90 days", money(st.Aging.Days90), false)
	f.Ln(2)
	header("How to pay")
	f.MultiCell(0, 5, tr(st.HowToPay), "", "L", false)
	if st.PayURL != "" {
		f.SetTextColor(ar, ag, ab)
		f.CellFormat(0, 5, st.PayURL, "", 1, "L", false, 0, st.PayURL)
		f.SetTextColor(0, 0, 0)
	}
	if st.Practice.Message != "" {
		f.Ln(2)
		f.MultiCell(0, 5, tr(st.Practice.Message), "", "L", false)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("render statement %s as PDF: %w", st.Number, err)
	}
	return buf.Bytes(), nil
}
