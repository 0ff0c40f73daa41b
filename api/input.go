package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/clinicflow/rcm/internal/validate"
)

// Text limits. Every text field of a request body is at most DefaultMaxLen
// characters unless its struct field carries a `maxlen:"N"` tag (free-text
// notes, reasons and arguments); every query parameter value is at most
// MaxQueryLen. No text may hold NUL or another control character except tab,
// line feed and carriage return: PostgreSQL refuses NUL, and the others have no
// place in a name, an address or a note. openapi.json documents the same limits
// (maxLength), and openapi_test.go checks it against them.
const (
	DefaultMaxLen = 200
	NoteMaxLen    = 2000
	MaxQueryLen   = 200
)

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// checkBody walks a decoded request body once (struct fields, slices, pointers,
// maps and raw JSON, at any depth) and records, by JSON path
// (items[1].description), every string that is too long or holds control
// characters in text, and every Amount that did not parse in amounts.
func checkBody(text, amounts *validate.Errors, v reflect.Value, path string, maxLen int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkBody(text, amounts, v.Elem(), path, maxLen)
		}
	case reflect.String:
		checkText(text, path, v.String(), maxLen)
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessageType {
			var x any
			if len(v.Bytes()) > 0 && json.Unmarshal(v.Bytes(), &x) == nil {
				checkBody(text, amounts, reflect.ValueOf(x), path, maxLen)
			}
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes, not text
		}
		for i := range v.Len() {
			checkBody(text, amounts, v.Index(i), fmt.Sprintf("%s[%d]", path, i), maxLen)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if k.Kind() == reflect.String {
				checkText(text, join(path, k.String()), k.String(), DefaultMaxLen)
			}
			checkBody(text, amounts, v.MapIndex(k), join(path, fmt.Sprint(k.Interface())), maxLen)
		}
	case reflect.Struct:
		if v.Type() == amountType {
			if a := v.Interface().(Amount); a.bad != "" {
				amounts.Add(cmp.Or(path, "body"), "must be a decimal amount such as \"12.50\", not %s", a.bad)
			}
			return
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case sf.Anonymous && name == "":
				name = path // embedded: its fields are the outer object's
			case name == "":
				name = join(path, sf.Name)
			default:
				name = join(path, name)
			}
			checkBody(text, amounts, v.Field(i), name, fieldMaxLen(sf))
		}
	}
}

// join appends a field name to a JSON path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldMaxLen is a struct field's `maxlen` tag, or DefaultMaxLen.
func fieldMaxLen(sf reflect.StructField) int {
	if n, err := strconv.Atoi(sf.Tag.Get("maxlen")); err == nil && n > 0 {
		return n
	}
	return DefaultMaxLen
}

// checkText records an error when s is longer than maxLen characters, is not
// UTF-8, or holds a control character other than tab, line feed and carriage
// return.
func checkText(errs *validate.Errors, field, s string, maxLen int) {
	if field == "" {
		field = "body"
	}
	errs.Text(field, s, maxLen)
}

// checkQuery is the one check of query parameters: on every route, each value
// must be text of at most MaxQueryLen characters (as checkText); on a route that
// names its parameters (known not nil), any other parameter is a 400 naming it,
// so a misspelt or unsupported filter is not silently ignored.
func checkQuery(c *gin.Context, known []string) bool {
	var errs validate.Errors
	q := c.Request.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if known != nil && !slices.Contains(known, name) {
			field := name
			if len(field) > 40 || strings.ContainsFunc(field, unicode.IsControl) {
				field = strconv.QuoteToASCII(field[:min(len(field), 40)])
			}
			if len(known) == 0 {
				errs.Add(field, "is not a query parameter of this route; it takes none")
			} else {
				errs.Add(field, "is not a query parameter of this route; known: %s", strings.Join(known, ", "))
			}
			continue
		}
		for _, v := range q[name] {
			checkText(&errs, name, v, MaxQueryLen)
		}
	}
	if len(errs) > 0 {
		invalid(c, errs)
		return false
	}
	return true
}

// queryText is middleware that checks every query parameter's characters and
// length (checkQuery without a list of names).
func queryText(c *gin.Context) {
	if checkQuery(c, nil) {
		c.Next()
	}
}

// onlyQuery is how a list route names its query parameters: any other is a 400.
func onlyQuery(c *gin.Context, known ...string) bool {
	return checkQuery(c, append(known[:len(known):len(known)], "limit"))
}
