// Package check tests the Helm chart deploy/helm/tssim: it renders the
// chart with helm template and reads the manifests back, holding them to
// tssim itself (its routes, its flags). It is a module of its own so that
// tssim's own module needs no YAML parser. Run it with `make helm`, which
// builds helm from the Go module proxy.
package check
