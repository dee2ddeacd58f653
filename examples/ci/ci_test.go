package ci

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// gitlabGlobals are the top-level keys of a .gitlab-ci.yml that are not
// jobs.
var gitlabGlobals = []string{"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"}

// gitlabJobKeys are the keywords a GitLab job may have
// (https://docs.gitlab.com/ci/yaml/): a misspelt one is ignored by no
// one, GitLab refuses the whole file.
var gitlabJobKeys = []string{"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage", "dast_configuration", "dependencies", "environment", "extends", "hooks", "id_tokens", "identity", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets", "services", "stage", "tags", "timeout", "trigger", "variables", "when"}

type gitlabJob struct {
	Image    any      `yaml:"image"`
	Needs    []string `yaml:"needs"`
	Script   []string `yaml:"script"`
	Services []any    `yaml:"services"`
	Artifact struct {
		Reports struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

func TestGitLabExample(t *testing.T) {
	src, err := os.ReadFile("gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(src, &raw); err != nil {
		t.Fatalf("gitlab-ci.yml is not a YAML mapping: %v", err)
	}
	jobs := map[string]gitlabJob{}
	for name, node := range raw {
		if slices.Contains(gitlabGlobals, name) || strings.HasPrefix(name, ".") {
			continue
		}
		var keys map[string]yaml.Node
		if err := node.Decode(&keys); err != nil {
			t.Errorf("job %s: not a mapping: %v", name, err)
			continue
		}
		for k := range keys {
			if !slices.Contains(gitlabJobKeys, k) {
				t.Errorf("job %s: %q is no GitLab job keyword", name, k)
			}
		}
		var job gitlabJob
		if err := node.Decode(&job); err != nil {
			t.Errorf("job %s: %v", name, err)
			continue
		}
		if job.Image == nil || len(job.Script) == 0 {
			t.Errorf("job %s: needs an image and a script", name)
		}
		for _, s := range job.Services {
			if m, ok := s.(map[string]any); ok && m["name"] == nil {
				t.Errorf("job %s: a service without a name: %v", name, m)
			}
		}
		jobs[name] = job
	}
	if len(jobs) == 0 {
		t.Fatal("gitlab-ci.yml has no job")
	}
	for name, job := range jobs {
		for _, n := range job.Needs {
			if _, ok := jobs[n]; !ok {
				t.Errorf("job %s needs %q, which is no job of the file", name, n)
			}
		}
		if f := job.Artifact.Reports.JUnit; f != "" && !strings.Contains(strings.Join(job.Script, "\n"), "junit:"+f) {
			t.Errorf("job %s reports JUnit file %s, which its script does not write", name, f)
		}
	}
}

// contractCommand finds `tssim contract` (or `".../tssim" contract`) and
// what follows it on its line.
var contractCommand = regexp.MustCompile(`tssim"? contract( .*)?$`)

// flagRef is one --flag of a command line.
var flagRef = regexp.MustCompile(`(?:^|\s)--([a-z][a-z-]*)`)

// TestContractFlags holds the examples to the flags `tssim contract` has
// now: a renamed flag fails here rather than in a team's CI.
func TestContractFlags(t *testing.T) {
	known := contractFlags(t)
	files, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	commands := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range logicalLines(string(src)) {
			m := contractCommand.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			commands++
			for _, ref := range flagRef.FindAllStringSubmatch(m[1], -1) {
				if !known[ref[1]] {
					t.Errorf("%s: tssim contract has no --%s: %s", f, ref[1], strings.TrimSpace(line))
				}
			}
		}
	}
	if commands < 3 {
		t.Errorf("found %d tssim contract commands in the examples, want one in each of the three", commands)
	}
}

// logicalLines joins a shell line ending in a backslash, or a YAML plain
// scalar going on on the next, more indented, line, to the line after it.
func logicalLines(src string) []string {
	var out []string
	var cur string
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	curIndent := 0
	for line := range strings.SplitSeq(src, "\n") {
		switch {
		case strings.HasSuffix(cur, "\\"):
			cur = strings.TrimSuffix(cur, "\\") + " " + strings.TrimSpace(line)
		case cur != "" && strings.TrimSpace(line) != "" && indent(line) > curIndent && strings.HasPrefix(strings.TrimSpace(cur), "- "):
			cur += " " + strings.TrimSpace(line)
		default:
			if cur != "" {
				out = append(out, cur)
			}
			cur, curIndent = line, indent(line)
		}
	}
	return append(out, cur)
}

// contractFlags builds tssim and reads its contract flags from --help.
func contractFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tssim")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/tssim").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tssim: %v\n%s", err, out)
	}
	var help bytes.Buffer
	cmd := exec.Command(bin, "contract", "--help")
	cmd.Stdout, cmd.Stderr = &help, &help
	_ = cmd.Run() // --help exits 0 or 2 as the flag package pleases; the text is what counts
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z][a-z-]*)`).FindAllStringSubmatch(help.String(), -1) {
		known[m[1]] = true
	}
	if !known["adapter"] || !known["format"] {
		t.Fatalf("tssim contract --help lists no --adapter or --format:\n%s", help.String())
	}
	return known
}
