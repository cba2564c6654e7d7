package mccloudlxc

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/saltgo/saltgo/host"
)

// Progress prints one line per finished step, as it finishes, from any
// number of goroutines.
type Progress struct {
	mu sync.Mutex
	w  io.Writer
	// Now is the clock (tests fix it).
	Now func() time.Time
}

func newProgress(env *host.Env) *Progress {
	// The progress lines go to the front door's standard error (the
	// process's by default), so that the result printed on standard
	// output stays clean (--out json).
	var w io.Writer = os.Stderr
	if env.Stderr != nil {
		w = env.Stderr
	}
	return &Progress{w: w, Now: time.Now}
}

// Step reports one finished step: "[who] step: status (detail) 1.2s".
func (p *Progress) Step(who, step, status, detail string, took time.Duration) {
	if p == nil || p.w == nil {
		return
	}
	line := fmt.Sprintf("[%s] %s: %s", who, step, status)
	if detail != "" {
		line += " (" + detail + ")"
	}
	line += fmt.Sprintf(" %.1fs\n", took.Seconds())
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, line)
}

func (p *Progress) now() time.Time {
	if p == nil || p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// forEach runs f for every item with at most n at once and waits for all;
// a cancelled ctx stops starting new items (those get ctx's error).
func forEach[T any](ctx context.Context, n int, items []T, f func(ctx context.Context, item T)) {
	if n < 1 {
		n = 1
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			// Still run f so that it records the cancellation.
			sem <- struct{}{}
		}
		wg.Add(1)
		go func(it T) {
			defer wg.Done()
			defer func() { <-sem }()
			f(ctx, it)
		}(it)
	}
	wg.Wait()
}

// collect runs f on each item as forEach does, each with a fresh Result,
// and returns those results in the order of items.
func collect[T comparable](ctx context.Context, n int, items []T, f func(ctx context.Context, item T, sub *Result)) []*Result {
	results := make([]*Result, len(items))
	idx := map[T]int{}
	for i, it := range items {
		idx[it] = i
	}
	forEach(ctx, n, items, func(ctx context.Context, it T) {
		sub := NewResult()
		f(ctx, it, sub)
		results[idx[it]] = sub
	})
	return results
}
