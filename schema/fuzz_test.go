package schema_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dslrun/dslrun/dsl"
	"github.com/dslrun/dslrun/schema"
)

// FuzzValidate checks that Validate never panics on what dsl.Decode
// accepts, and that every diagnostic it returns is a schema error with a
// position in the file.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	for _, src := range validDefinitions {
		f.Add([]byte(src))
	}
	for _, tc := range invalidCases {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		root, ds := dsl.Decode("f.yaml", src)
		if ds.HasErrors() {
			return
		}
		for _, d := range schema.Validate("f.yaml", root) {
			if d.Code != dsl.CodeSchema || d.Pos.File != "f.yaml" || d.Pos.Line < 1 || d.Pos.Col < 1 || d.Msg == "" {
				t.Errorf("bad diagnostic %+v", d)
			}
		}
	})
}

// TestValidateConcurrent runs Validate from several goroutines, for the
// race detector: the compiled schema is shared.
func TestValidateConcurrent(t *testing.T) {
	src := []byte(validDefinitions["everything"])
	bad := []byte(invalidCases[len(invalidCases)-2].src)
	done := make(chan bool)
	for i := range 4 {
		go func() {
			defer func() { done <- true }()
			s := src
			if i%2 == 1 {
				s = bad
			}
			root, _ := dsl.Decode("c.yaml", s)
			for range 5 {
				ds := schema.Validate("c.yaml", root)
				if (len(ds) > 0) != (i%2 == 1) {
					t.Errorf("goroutine %d: %v", i, ds)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
