package features

import (
	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tssim/tssim/schemas"
)

// wireSchemas are the schemas of what tssim sends, by file name.
type wireSchemas map[string]*jsonschema.Schema

func compileWireSchemas() (wireSchemas, error) {
	w := wireSchemas{}
	for _, name := range []string{"callback.json", "carrier-callback.json", "error.json"} {
		s, err := schemas.Compile(name)
		if err != nil {
			return nil, err
		}
		w[name] = s
	}
	return w, nil
}

// check validates a body against one schema, naming the first problem.
func (w wireSchemas) check(name string, body []byte) error {
	return schemas.Check(w[name], body)
}
