// Package tssim is a Testcontainers for Go module for tssim, the
// ThingSpace eUICC profile API simulator: it runs tssim's image in a
// container for a test, and gives its URL and ready clients.
//
//	ctr, err := tssim.Run(ctx, "tssim:latest", tssim.WithManualClock())
//	defer testcontainers.TerminateContainer(ctr)
//	api, err := ctr.Client(ctx)
//
// The image: make docker builds tssim:latest from binaries built here, a
// release has it (see the README, "Without Go"). Where no registry is
// reachable, start with TESTCONTAINERS_RYUK_DISABLED=true: the reaper is an
// image of its own.
package tssim

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/tssim/tssim/client"
)

// port is where tssim listens in its image.
const port = "8080/tcp"

// Container is a running tssim.
type Container struct {
	testcontainers.Container
}

// Run starts tssim from img. Its API and /_sim/ are at BaseURL; it is
// ready once it answers /_sim/health.
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(port),
		// A listener on the test's machine is host.docker.internal.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.ExtraHosts = append(hc.ExtraHosts, "host.docker.internal:host-gateway")
		}),
		// tssim healthcheck asks /_sim/health of the tssim in the container,
		// wherever TSSIM_ADDR has it listen.
		testcontainers.WithWaitStrategy(wait.ForExec([]string{"/usr/local/bin/tssim", "healthcheck"})),
	}
	ctr, err := testcontainers.Run(ctx, img, append(moduleOpts, opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run tssim: %w", err)
	}
	return c, nil
}

// WithManualClock starts tssim on a manual clock: time moves only through
// POST /_sim/clock/advance (client.Admin's Advance).
func WithManualClock() testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"TSSIM_CLOCK": "manual"})
}

// WithAdminToken requires the token on /_sim/ (Admin sends it).
func WithAdminToken(token string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"TSSIM_ADMIN_TOKEN": token})
}

// WithFixtures starts from a fixtures file of the test's machine instead
// of the built-in demo.
func WithFixtures(path string) testcontainers.CustomizeRequestOption {
	inside := "/" + filepath.Base(path)
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: path, ContainerFilePath: inside, FileMode: 0o644})(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{"TSSIM_FIXTURES": inside})(req)
	}
}

// WithScenarios adds the scenario files of a folder of the test's machine
// to the built-in ones.
func WithScenarios(dir string) testcontainers.CustomizeRequestOption {
	inside := "/" + filepath.Base(filepath.Clean(dir))
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: dir, ContainerFilePath: inside, FileMode: 0o755})(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{"TSSIM_SCENARIOS": inside})(req)
	}
}

// WithHostNetwork runs tssim on the network of the test's machine (Linux
// only), listening on a free port of 127.0.0.1: it reaches a listener of
// the test at 127.0.0.1 like any local one, with nothing to publish.
func WithHostNetwork() testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		req.ExposedPorts = nil
		if err := testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.ExtraHosts = nil
		})(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{"TSSIM_ADDR": addr})(req)
	}
}

// BaseURL is tssim's URL from the test's machine.
func (c *Container) BaseURL(ctx context.Context) (string, error) {
	info, err := c.Inspect(ctx)
	if err != nil {
		return "", err
	}
	if info.HostConfig != nil && info.HostConfig.NetworkMode == "host" {
		return "http://" + env(info.Config.Env, "TSSIM_ADDR"), nil
	}
	return c.PortEndpoint(ctx, port, "http")
}

// Client returns the reference client, with the demo fixtures' app key
// and user unless opts say otherwise.
func (c *Container) Client(ctx context.Context, opts ...client.Option) (*client.Client, error) {
	u, err := c.BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	demo := []client.Option{client.WithCredentials("demo-key", "demo-secret"), client.WithUser("demo", "demo")}
	return client.New(u, append(demo, opts...)...)
}

// Admin returns a client of the control API /_sim/, with the admin token
// the container was started with.
func (c *Container) Admin(ctx context.Context) (*client.Admin, error) {
	u, err := c.BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	info, err := c.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	return client.NewAdmin(u, nil, env(info.Config.Env, "TSSIM_ADMIN_TOKEN")), nil
}

// env returns a variable of a container's environment.
func env(vars []string, name string) string {
	for _, kv := range vars {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
