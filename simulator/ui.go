package simulator

import (
	_ "embed"
	"net/http"
)

// The dashboard at /_sim/ui: one page, its script and style in it, served
// from the binary (it works offline). It reads and changes the world it is
// served in through the control API only.

//go:embed ui/index.html
var dashboard []byte

// htmlPage is a handler result written as an HTML page.
type htmlPage []byte

func (s *world) ui(*call) (any, error) { return htmlPage(dashboard), nil }

// pageAnswer writes p with the headers of a page that runs only its own
// script.
func pageAnswer(w http.ResponseWriter, p htmlPage) answer {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	return answer{status: http.StatusOK, body: p}
}
