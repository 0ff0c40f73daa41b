package api

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenAPIFragmentsMerge(t *testing.T) {
	base := []byte(`{"openapi":"3.1.0","paths":{"/a":{"get":{}}},"components":{"schemas":{"A":{}}},"tags":[{"name":"a"}]}`)
	parts := fstest.MapFS{
		"openapi/b.json": {Data: []byte(`{"paths":{"/b":{"post":{}}},"components":{"schemas":{"B":{}},"parameters":{"P":{}}},"tags":[{"name":"b"}]}`)},
	}
	raw, err := mergeOpenAPI(base, parts)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Contains(t, doc["paths"], "/a")
	assert.Contains(t, doc["paths"], "/b")
	comps := doc["components"].(map[string]any)
	assert.Contains(t, comps["schemas"], "A")
	assert.Contains(t, comps["schemas"], "B")
	assert.Contains(t, comps["parameters"], "P")
	assert.Len(t, doc["tags"], 2)
}

func TestOpenAPIFragmentsRefuseDuplicates(t *testing.T) {
	base := []byte(`{"paths":{"/a":{"get":{}}},"components":{"schemas":{"A":{}}}}`)
	for name, frag := range map[string]string{
		"path":      `{"paths":{"/a":{"post":{}}}}`,
		"component": `{"components":{"schemas":{"A":{}}}}`,
		"stray key": `{"info":{}}`,
		"bad json":  `{"paths":`,
	} {
		_, err := mergeOpenAPI(base, fstest.MapFS{"openapi/x.json": {Data: []byte(frag)}})
		assert.Error(t, err, name)
	}
}
