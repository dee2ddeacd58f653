// Package junit holds the shapes of a JUnit XML report, as CI systems read
// it (Surefire's schema, which features/testdata/junit-10.xsd is): test
// suites of test cases, each passed, failed, in error or skipped.
package junit

import (
	"encoding/xml"
	"io"
	"strconv"
	"time"
)

// Suites is the document.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Write writes s as a report's file: the XML header, the document
// indented, a newline.
func (s Suites) Write(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Suite is one suite of test cases.
type Suite struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr,omitempty"`
	File      string `xml:"file,attr,omitempty"`
	Cases     []Case `xml:"testcase"`
}

// Case is one test case: at most one of Failure, Error and Skipped.
type Case struct {
	Name       string      `xml:"name,attr"`
	Classname  string      `xml:"classname,attr"`
	Time       string      `xml:"time,attr"`
	Properties *Properties `xml:"properties"`
	Failure    *Result     `xml:"failure"`
	Error      *Result     `xml:"error"`
	Skipped    *Result     `xml:"skipped"`
}

// Properties are a test case's names and values: pytest, Jenkins's JUnit
// plugin and others write them, though Surefire's schema has them on
// suites only.
type Properties struct {
	Items []Property `xml:"property"`
}

// Property is a name and a value of a test case.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Result says why a case failed, erred or was skipped.
type Result struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// Seconds writes a duration as JUnit's seconds, to the millisecond
// (Surefire's schema takes at most three decimals).
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(max(d, 0).Seconds(), 'f', 3, 64)
}
