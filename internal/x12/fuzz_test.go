package x12

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Mutated files almost always fail the envelope checks (SE01 counts), which
// would keep the fuzzer away from the transaction parsers. So every fuzzer
// runs its input twice: as a whole file, and as a transaction body that
// wrapBody puts into a correct envelope. Seeds are the testdata files and
// their bodies.

// wrapBody wraps body segments ("~"-terminated, "*" ":" "^" delimiters) in an
// ISA/GS/ST ... SE/GE/IEA envelope with correct counts.
func wrapBody(st, impl string, body []byte) []byte {
	body = bytes.TrimRight(body, "\r\n")
	if len(body) > 0 && body[len(body)-1] != '~' {
		body = append(append([]byte{}, body...), '~')
	}
	n := bytes.Count(body, []byte("~")) + 2
	var b bytes.Buffer
	b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:~")
	fmt.Fprintf(&b, "GS*XX*SENDER*RECEIVER*20240101*1200*1*X*%s~ST*%s*0001*%s~", impl, st, impl)
	b.Write(body)
	fmt.Fprintf(&b, "SE*%d*0001~GE*1*1~IEA*1*000000001~", n)
	return b.Bytes()
}

// bodiesOf returns the transaction bodies of data re-delimited with * : ^ ~.
func bodiesOf(data []byte) [][]byte {
	ics, err := ReadInterchanges(data)
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, ic := range ics {
		d := ic.Delimiters
		for _, g := range ic.Groups {
			for _, tx := range g.Transactions {
				var b strings.Builder
				for _, s := range tx.Segments {
					b.WriteString(s.ID)
					for _, e := range s.Elements {
						b.WriteByte('*')
						e = strings.ReplaceAll(e, string(d.Component), ":")
						if d.Repetition != 0 {
							e = strings.ReplaceAll(e, string(d.Repetition), "^")
						}
						b.WriteString(e)
					}
					b.WriteString("~")
				}
				out = append(out, []byte(b.String()))
			}
		}
	}
	return out
}

// addSeeds adds every testdata file of the folders, and its bodies.
func addSeeds(f *testing.F, dirs ...string) {
	f.Helper()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			for _, body := range bodiesOf(data) {
				f.Add(body)
			}
		}
	}
}

func TestWrapBodyRebuildsValidFiles(t *testing.T) {
	for _, f := range []string{"835/era_multi_group_denial.835", "277/imsweb_277ca_rejected.277"} {
		bodies := bodiesOf(readTestdata(t, f))
		if len(bodies) == 0 {
			t.Fatalf("%s: no bodies", f)
		}
		for _, body := range bodies {
			st := "835"
			if strings.HasPrefix(f, "277") {
				st = "277"
			}
			if _, err := ParseAny(wrapBody(st, "005010", body)); err != nil {
				t.Fatalf("%s: wrapped body does not parse: %v", f, err)
			}
		}
	}
}

func FuzzReader(f *testing.F) {
	addSeeds(f, "835", "837p", "999", "277")
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := Tokenize(data)
		if err == nil && len(segs) == 0 {
			t.Fatal("no error and no segments")
		}
		ics, err := ReadInterchanges(data)
		if err == nil && len(ics) == 0 {
			t.Fatal("no error and no interchange")
		}
		_, _ = DetectType(data)
		_, _ = ParseAny(data)
	})
}

func FuzzParse835(f *testing.F) {
	addSeeds(f, "835")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, wrapBody("835", "005010X221A1", data)} {
			rs, err := Parse835(in)
			if err != nil {
				continue
			}
			for i := range rs {
				_ = rs[i].Totals()
				_ = rs[i].CheckBalance()
				for j := range rs[i].Claims {
					_ = rs[i].Claims[j].CheckBalance()
				}
			}
		}
	})
}

func FuzzParse999(f *testing.F) {
	addSeeds(f, "999")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, wrapBody("999", "005010X231A1", data)} {
			as, err := Parse999(in)
			if err != nil {
				continue
			}
			for i := range as {
				_ = as[i].AcceptedControlNumbers()
				_ = as[i].RejectedControlNumbers()
			}
		}
	})
}

func FuzzParse277(f *testing.F) {
	addSeeds(f, "277")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, wrapBody("277", "005010X214", data)} {
			_, _ = Parse277(in)
		}
	})
}

// FuzzParse837 also writes back whatever parses and validates: the writer
// must not panic either, and its output must parse again.
func FuzzParse837(f *testing.F) {
	addSeeds(f, "837p")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, wrapBody("837", Implementation837P, data)} {
			bs, err := Parse837(in)
			if err != nil {
				continue
			}
			for i := range bs {
				out, err := Write837(&bs[i])
				if err != nil {
					continue
				}
				if _, err := Parse837(out); err != nil {
					t.Fatalf("written 837 does not parse: %v\n%s", err, out)
				}
			}
		}
	})
}
