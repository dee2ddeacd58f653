// A module of its own, as a team using tssim would have: its tests reach
// tssimtest through the public API only.
module example.com/usertest

go 1.26

require github.com/tssim/tssim v0.0.0

require (
	github.com/go-json-experiment/json v1.27.2 // indirect
	github.com/gorilla/mux v1.8.1 // indirect
	github.com/santhosh-tekuri/jsonschema/v5 v5.3.1 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/sys v0.29.0 // indirect
)

replace github.com/tssim/tssim => ../..
