package validate

import "testing"

func TestSchemasCompile(t *testing.T) {
	if _, err := NewValidator(); err != nil {
		t.Fatal(err)
	}
}
