package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
)

// The OpenAPI document is api/openapi.json (info, shared components and the
// core routes) plus one fragment per area in api/openapi/*.json. A fragment
// holds "paths", and optionally "components" and "tags", in the same shape as
// the main document; it may not redefine a path or a component that another
// part already defines. The parts are merged once, at start-up, into the
// document served at /api/openapi.json.

//go:embed openapi.json
var openAPIBase []byte

//go:embed openapi
var openAPIParts embed.FS

var openAPIDoc = mustMergeOpenAPI(openAPIBase, openAPIParts)

func mustMergeOpenAPI(base []byte, parts fs.FS) []byte {
	doc, err := mergeOpenAPI(base, parts)
	if err != nil {
		panic("api: " + err.Error())
	}
	return doc
}

func mergeOpenAPI(base []byte, parts fs.FS) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	names, err := fs.Glob(parts, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		raw, err := fs.ReadFile(parts, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for key := range part {
			if key != "paths" && key != "components" && key != "tags" {
				return nil, fmt.Errorf("%s: a fragment holds only paths, components and tags, not %q", name, key)
			}
		}
		if err := mergeObject(doc, part, "paths", name); err != nil {
			return nil, err
		}
		if comps, ok := part["components"].(map[string]any); ok {
			docComps, _ := doc["components"].(map[string]any)
			if docComps == nil {
				docComps = map[string]any{}
				doc["components"] = docComps
			}
			for _, kind := range slices.Sorted(maps.Keys(comps)) {
				if err := mergeObject(docComps, comps, kind, name+": components"); err != nil {
					return nil, err
				}
			}
		}
		if tags, ok := part["tags"].([]any); ok {
			docTags, _ := doc["tags"].([]any)
			doc["tags"] = append(docTags, tags...)
		}
	}
	return json.Marshal(doc)
}

// mergeObject copies into[key] entries from from[key], refusing duplicates.
func mergeObject(into, from map[string]any, key, where string) error {
	src, ok := from[key].(map[string]any)
	if !ok {
		if _, present := from[key]; present {
			return fmt.Errorf("%s: %q must be an object", where, key)
		}
		return nil
	}
	dst, _ := into[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		into[key] = dst
	}
	for _, k := range slices.Sorted(maps.Keys(src)) {
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%s: %s %q is already defined", where, key, k)
		}
		dst[k] = src[k]
	}
	return nil
}
