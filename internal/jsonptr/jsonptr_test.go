package jsonptr

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every string value is replaced, at any depth; keys, numbers and the rest
// stay as they were.
func TestMapStrings(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"a":"x","b":["y",1,true,null,{"c":"z"}],"key":2}`), &doc); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(MapStrings(doc, strings.ToUpper))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"X","b":["Y",1,true,null,{"c":"Z"}],"key":2}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
