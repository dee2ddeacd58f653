package features

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sort"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// Scenario is one scenario of the contract, as --list shows it.
type Scenario struct {
	File string
	Line int64
	Name string
	// Tags are the feature's and the scenario's, such as @client and the
	// capability it checks.
	Tags []string
}

// Capabilities returns the capability tags, sorted, each with what it
// checks of a client. Every scenario carries one.
func Capabilities() [][2]string {
	out := make([][2]string, 0, len(capabilities))
	for tag, text := range capabilities {
		out = append(out, [2]string{tag, text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Scenarios returns every scenario of the contract, file by file, in the
// order the files state them (an outline counts once).
func Scenarios() ([]Scenario, error) {
	docs, err := parseFeatures()
	if err != nil {
		return nil, err
	}
	var out []Scenario
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		doc := docs[name]
		featureTags := tagNames(doc.Feature.Tags)
		for _, child := range doc.Feature.Children {
			if sc := child.Scenario; sc != nil {
				out = append(out, Scenario{File: name, Line: sc.Location.Line, Name: sc.Name,
					Tags: append(append([]string(nil), featureTags...), tagNames(sc.Tags)...)})
			}
		}
	}
	return out, nil
}

// parseFeatures parses every feature file, by file name.
func parseFeatures() (map[string]*messages.GherkinDocument, error) {
	names, err := fs.Glob(files, "*.feature")
	if err != nil {
		return nil, err
	}
	docs := make(map[string]*messages.GherkinDocument, len(names))
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(b), (&messages.Incrementing{}).NewId)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		docs[name] = doc
	}
	return docs, nil
}

// featureNames returns each feature's name by file name.
func featureNames() (map[string]string, error) {
	docs, err := parseFeatures()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(docs))
	for name, doc := range docs {
		out[name] = doc.Feature.Name
	}
	return out, nil
}

func tagNames(tags []*messages.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}
