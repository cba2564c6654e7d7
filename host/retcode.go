package host

import (
	"context"
	"sync"
)

// jobRetcode is the job's __context__['retcode']: the slot Salt's cmd
// module writes after every command it runs, through whichever function
// ran it (service.available's runlevel, a cmd.retcode), and the minion
// reads as the job's retcode when the function returns.
type jobRetcode struct {
	mu sync.Mutex
	p  *int
}

type jobRetcodeKey struct{}

// withJobRetcode gives ctx the job's retcode slot p, unless ctx already
// has one: a function called from another (module.run, a state, a
// template's salt[...]) shares its caller's, as Python's loader shares
// one __context__.
func withJobRetcode(ctx context.Context, p *int) context.Context {
	if _, ok := ctx.Value(jobRetcodeKey{}).(*jobRetcode); ok {
		return ctx
	}
	return context.WithValue(ctx, jobRetcodeKey{}, &jobRetcode{p: p})
}

// SetJobRetcode records rc as the retcode of the job ctx belongs to, as
// Salt's cmd module does after each command (0 for one run with
// ignore_retcode or that exited with a success code): the last command's
// wins. Outside a job it does nothing.
func SetJobRetcode(ctx context.Context, rc int) {
	j, ok := ctx.Value(jobRetcodeKey{}).(*jobRetcode)
	if !ok {
		return
	}
	j.mu.Lock()
	*j.p = rc
	j.mu.Unlock()
}
