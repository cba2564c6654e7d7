// Package helper is the server side of the LXC driver: the code of the
// saltgo-lxc-helper binary (cmd/saltgo-lxc-helper), which runs exactly one
// liblxc operation per process and exits, so a crash or a leaked file
// descriptor inside liblxc dies with it and never reaches the minion.
//
// It is the only package that links liblxc (cgo, github.com/lxc/go-lxc);
// saltgo itself imports package liblxc (the client) only and stays static.
// Built without cgo, the helper answers every request "unavailable".
package helper

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// Compound is an operation made of several driver steps that run inside
// one helper process (one process start instead of one per liblxc call):
// c answers the steps' requests in this process. body is the request's
// Body; the result is encoded as the response's result.
type Compound func(ctx context.Context, c *liblxc.Client, body json.RawMessage) (any, error)

// Server answers requests: liblxc operations, and the compound operations
// its caller registers (the helper binary registers provisioning's spawn).
type Server struct {
	Compound map[string]Compound
}

// Serve answers one request in this process; a panic becomes a failed
// response.
func (s *Server) Serve(req *liblxc.Request) (resp *liblxc.Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc helper: panic in %s: %v", req.Op, r))
		}
	}()
	if fn, ok := s.Compound[req.Op]; ok {
		local := &liblxc.Client{LXCPath: req.LXCPath, Serve: s.Serve}
		v, err := fn(context.Background(), local, req.Body)
		if err != nil {
			return liblxc.Fail(liblxc.ErrorCode(err), err)
		}
		return liblxc.OK(v)
	}
	return serve(req)
}

// Main is the helper binary's entry point: `saltgo-lxc-helper
// <response-file>` reads one JSON liblxc.Request on stdin, serves it and
// writes the JSON liblxc.Response to the file. args are the arguments after
// the program name. It returns the process exit code.
func Main(args []string, s *Server) int {
	if len(args) != 1 {
		fmt.Fprintf(os.Stderr, "usage: %s <response-file> < request.json\n", liblxc.HelperName)
		return 2
	}
	debug.SetTraceback("all")
	// Template scripts fork hundreds of tools (lxc-busybox runs one ln per
	// applet): look in the system directories first.
	_ = os.Setenv("PATH", systemPath(os.Getenv("PATH")))
	var req liblxc.Request
	var resp *liblxc.Response
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		resp = liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc helper: bad request: %w", err))
	} else {
		resp = s.Serve(&req)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(liblxc.Fail(liblxc.CodeFailed, err))
	}
	if err := os.WriteFile(args[0], b, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "lxc helper: write response: %v\n", err)
		return 1
	}
	return 0
}
