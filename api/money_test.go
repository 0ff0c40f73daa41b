package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBindNamesTheAmountThatIsNotADecimal checks that a money amount that does
// not parse is a 400 naming its field, at any depth, and that good amounts parse
// exactly (no floating point).
func TestBindNamesTheAmountThatIsNotADecimal(t *testing.T) {
	type item struct {
		Code  string `json:"procedure_code"`
		Price Amount `json:"price"`
	}
	type body struct {
		Amount   Amount  `json:"amount"`
		Override *Amount `json:"price_override"`
		Items    []item  `json:"items"`
	}
	bindBody := func(t *testing.T, in string) (*httptest.ResponseRecorder, body, bool) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(in))
		var b body
		ok := bind(c, &b)
		return rec, b, ok
	}
	fieldsOf := func(t *testing.T, rec *httptest.ResponseRecorder) []string {
		require.Equal(t, http.StatusBadRequest, rec.Code)
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		return fields
	}

	for in, field := range map[string]string{
		`{"amount":"ten"}`:                                    "amount",
		`{"amount":1,"price_override":"1,000"}`:               "price_override",
		`{"items":[{"price":"1"},{"price":"12.5.0"}]}`:        "items[1].price",
		`{"amount":"1e400000000000000000000000000000000000"}`: "amount",
		`{"amount":true}`:                                     "amount",
	} {
		rec, _, ok := bindBody(t, in)
		assert.False(t, ok, in)
		assert.Equal(t, []string{field}, fieldsOf(t, rec), in)
	}

	rec, b, ok := bindBody(t, `{"amount":"0.10","price_override":19.99,"items":[{"price":"100"}]}`)
	require.True(t, ok, rec.Body.String())
	assert.Equal(t, "0.1", b.Amount.String())
	assert.Equal(t, "19.99", b.Override.String())
	assert.Equal(t, "100", b.Items[0].Price.String())
}
