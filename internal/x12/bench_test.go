package x12

import (
	"os"
	"path/filepath"
	"testing"
)

func benchFile(b *testing.B, path string, parse func([]byte) error) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse835 measures parsing a multi-transaction remittance file.
func BenchmarkParse835(b *testing.B) {
	benchFile(b, filepath.Join("testdata", "835", "era_multi_group_denial.835"), func(d []byte) error {
		_, err := Parse835(d)
		return err
	})
}

// BenchmarkParse837 measures reading back a generated 837P batch.
func BenchmarkParse837(b *testing.B) {
	benchFile(b, filepath.Join("testdata", "837p", "clinicflow_batch.837"), func(d []byte) error {
		_, err := Parse837(d)
		return err
	})
}
