package check

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/tssim/tssim/simulator"
)

// helm finds the helm binary: $TSSIM_HELM (make helm sets it), or helm on
// PATH. Outside CI the tests skip without one; in CI they fail.
func helm(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TSSIM_HELM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no helm: make helm builds it from the Go module proxy and sets TSSIM_HELM")
	}
	t.Skip("no helm: run make helm, or set TSSIM_HELM to a helm binary")
	return ""
}

// object is what the tests read of a manifest.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
	Spec json.RawMessage   `json:"spec"`
}

type deployment struct {
	Replicas int `json:"replicas"`
	Template struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Containers []container `json:"containers"`
			Volumes    []struct {
				Name                  string `json:"name"`
				PersistentVolumeClaim *struct {
					ClaimName string `json:"claimName"`
				} `json:"persistentVolumeClaim"`
			} `json:"volumes"`
		} `json:"spec"`
	} `json:"template"`
}

type container struct {
	Env []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `json:"name"`
				Key  string `json:"key"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	ReadinessProbe *probe `json:"readinessProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
	StartupProbe   *probe `json:"startupProbe"`
	VolumeMounts   []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `json:"path"`
		Port any    `json:"port"`
	} `json:"httpGet"`
}

type service struct {
	Selector map[string]string `json:"selector"`
	Ports    []servicePort     `json:"ports"`
}

type servicePort struct {
	Name       string `json:"name"`
	Port       int    `json:"port"`
	TargetPort any    `json:"targetPort"`
}

// named returns the Service's port of that name, or nil.
func (s service) named(name string) *servicePort {
	i := slices.IndexFunc(s.Ports, func(p servicePort) bool { return p.Name == name })
	if i < 0 {
		return nil
	}
	return &s.Ports[i]
}

type serviceMonitor struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	Endpoints []struct {
		Port string `json:"port"`
		Path string `json:"path"`
	} `json:"endpoints"`
}

// render runs helm template on the chart with args, and returns the
// manifests by kind.
func render(t *testing.T, args ...string) map[string][]object {
	t.Helper()
	cmd := exec.Command(helm(t), append([]string{"template", "t", "../tssim"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, out)
	}
	byKind := map[string][]object{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("a manifest does not parse: %v\n%s", err, doc)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	return byKind
}

func one[T any](t *testing.T, byKind map[string][]object, kind string) (object, T) {
	t.Helper()
	var spec T
	if len(byKind[kind]) != 1 {
		t.Fatalf("%d %s rendered, want 1", len(byKind[kind]), kind)
	}
	o := byKind[kind][0]
	if err := json.Unmarshal(o.Spec, &spec); err != nil {
		t.Fatalf("%s %s: %v", kind, o.Metadata.Name, err)
	}
	return o, spec
}

// env returns a container's variable, and whether it is set.
func (c container) env(name string) (value string, secret [2]string, ok bool) {
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				secret = [2]string{e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key}
			}
			return e.Value, secret, true
		}
	}
	return "", secret, false
}

// port is the number of a container port named, or given, by p.
func (c container) port(t *testing.T, p any) int {
	t.Helper()
	for _, cp := range c.Ports {
		if cp.Name == p || float64(cp.ContainerPort) == p {
			return cp.ContainerPort
		}
	}
	t.Fatalf("port %v is none of the container's: %+v", p, c.Ports)
	return 0
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("address %q has no port", addr)
	}
	return n
}

// The default chart: probes on a route of tssim that answers without the
// admin token, on the port tssim listens on; the admin token from the
// chart's Secret; the state file on the claim; the metrics port served.
func TestChartDefaults(t *testing.T) {
	byKind := render(t)
	_, d := one[deployment](t, byKind, "Deployment")
	if d.Replicas != 1 || len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("deployment: %d replicas, %d containers; want 1 of each", d.Replicas, len(d.Template.Spec.Containers))
	}
	c := d.Template.Spec.Containers[0]

	addr, _, _ := c.env("TSSIM_ADDR")
	srv := tssim(t)
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no %s probe over HTTP", name)
			continue
		}
		if got := c.port(t, p.HTTPGet.Port); got != portOf(t, addr) {
			t.Errorf("%s probe on port %d, tssim listens on %s", name, got, addr)
		}
		resp, err := http.Get(srv + p.HTTPGet.Path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s probe: GET %s on tssim with an admin token answers %d, want 200", name, p.HTTPGet.Path, resp.StatusCode)
		}
	}

	secret := byKind["Secret"]
	_, ref, ok := c.env("TSSIM_ADMIN_TOKEN")
	if !ok || len(secret) != 1 || ref[0] != secret[0].Metadata.Name || secret[0].Data[ref[1]] == "" {
		t.Errorf("TSSIM_ADMIN_TOKEN refers to %v; the Secrets are %+v", ref, secret)
	}

	pvc, _ := one[json.RawMessage](t, byKind, "PersistentVolumeClaim")
	file, _, _ := c.env("TSSIM_STATE_FILE")
	mounted := ""
	for _, v := range d.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Metadata.Name {
			for _, m := range c.VolumeMounts {
				if m.Name == v.Name {
					mounted = m.MountPath
				}
			}
		}
	}
	if file == "" || mounted == "" || path.Dir(file) != path.Clean(mounted) {
		t.Errorf("the state file is %q, the claim %s is mounted at %q", file, pvc.Metadata.Name, mounted)
	}

	metrics, _, _ := c.env("TSSIM_METRICS_ADDR")
	svcObj, svc := one[service](t, byKind, "Service")
	for _, want := range []struct{ name, addr string }{{"http", addr}, {"metrics", metrics}} {
		p := svc.named(want.name)
		if p == nil || c.port(t, p.TargetPort) != portOf(t, want.addr) {
			t.Errorf("the Service's %s port does not lead to %s: %+v", want.name, want.addr, svc.Ports)
		}
	}
	for k, v := range svc.Selector {
		if d.Template.Metadata.Labels[k] != v {
			t.Errorf("the Service %s selects %s=%s, which the pod does not carry", svcObj.Metadata.Name, k, v)
		}
	}
	if len(byKind["ServiceMonitor"]) != 0 {
		t.Error("a ServiceMonitor rendered without serviceMonitor.enabled")
	}
	checkFlags(t, c)
}

// tssim serves a simulator with an admin token, as the chart runs it.
func tssim(t *testing.T) string {
	t.Helper()
	srv, err := simulator.New(simulator.Options{AdminToken: "chart-token"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close(context.Background())
	})
	return hs.URL
}

// checkFlags holds every TSSIM_ variable of the container to a flag of
// tssim: tssim ignores a variable that names none.
func checkFlags(t *testing.T, c container) {
	t.Helper()
	cmd := exec.Command("go", "run", "./cmd/tssim", "--help")
	cmd.Dir = "../../.." // tssim's own module
	out, _ := cmd.CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z-]+)`).FindAllStringSubmatch(string(out), -1) {
		flags["TSSIM_"+strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))] = true
	}
	if !flags["TSSIM_STATE_FILE"] || !flags["TSSIM_METRICS_ADDR"] {
		t.Fatalf("tssim --help lists no --state-file or --metrics-addr:\n%s", out)
	}
	for _, e := range c.Env {
		if !flags[e.Name] {
			t.Errorf("%s names no flag of tssim", e.Name)
		}
	}
}

// With serviceMonitor.enabled, a ServiceMonitor scrapes /metrics on the
// Service's metrics port.
func TestChartServiceMonitor(t *testing.T) {
	byKind := render(t, "--set", "serviceMonitor.enabled=true")
	_, sm := one[serviceMonitor](t, byKind, "ServiceMonitor")
	svcObj, svc := one[service](t, byKind, "Service")
	if len(sm.Endpoints) != 1 || sm.Endpoints[0].Port != "metrics" || sm.Endpoints[0].Path != "/metrics" || svc.named("metrics") == nil {
		t.Errorf("ServiceMonitor endpoints %+v, Service ports %+v", sm.Endpoints, svc.Ports)
	}
	for k, v := range sm.Selector.MatchLabels {
		if svcObj.Metadata.Labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, which the Service does not carry", k, v)
		}
	}
}

// A Secret of one's own replaces the chart's; without persistence there
// is no claim and no state file.
func TestChartOptions(t *testing.T) {
	byKind := render(t, "--set", "adminToken.existingSecret=team-token,adminToken.secretKey=token,persistence.enabled=false")
	_, d := one[deployment](t, byKind, "Deployment")
	c := d.Template.Spec.Containers[0]
	if _, ref, _ := c.env("TSSIM_ADMIN_TOKEN"); ref != [2]string{"team-token", "token"} || len(byKind["Secret"]) != 0 {
		t.Errorf("with an existing Secret: TSSIM_ADMIN_TOKEN refers to %v, %d Secrets rendered", ref, len(byKind["Secret"]))
	}
	if _, _, ok := c.env("TSSIM_STATE_FILE"); ok || len(byKind["PersistentVolumeClaim"]) != 0 || len(d.Template.Spec.Volumes) != 0 {
		t.Errorf("without persistence: a state file, a claim or a volume rendered")
	}
}
