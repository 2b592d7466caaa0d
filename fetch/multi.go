package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// Concat reads several sources one after the other, opening each when the
// one before is done. A source that cannot be opened, or that fails
// midway, is recorded in Problems and the next one is read; only the
// context ends it early. Index counts across all of them.
func Concat(specs []string, opts Options) Source {
	return &concat{specs: specs, opts: opts}
}

type concat struct {
	specs    []string
	opts     Options
	cur      Source
	curSpec  string
	n        int
	problems []error
	totals   int // messages of the sources already finished
}

func (c *concat) Next(ctx context.Context) (*Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if c.cur == nil {
			if len(c.specs) == 0 {
				return nil, io.EOF
			}
			c.curSpec, c.specs = c.specs[0], c.specs[1:]
			src, err := Open(ctx, c.curSpec, c.opts)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				c.problems = append(c.problems, fmt.Errorf("%s: %w", redactSpec(c.curSpec), err))
				continue
			}
			c.cur = src
		}
		m, err := c.cur.Next(ctx)
		if err == nil {
			c.n++
			m.Origin.Index = c.n
			return m, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, io.EOF) {
			c.problems = append(c.problems, fmt.Errorf("%s: %w", redactSpec(c.curSpec), err))
		}
		c.finish()
	}
}

func (c *concat) finish() {
	if p, ok := c.cur.(Problems); ok {
		c.problems = append(c.problems, p.Problems()...)
	}
	if t, ok := c.cur.(Totaler); ok {
		if n, ok := t.Total(); ok {
			c.totals += n
		}
	}
	c.cur.Close()
	c.cur = nil
}

// Problems implements Problems.
func (c *concat) Problems() []error {
	out := append([]error(nil), c.problems...)
	if p, ok := c.cur.(Problems); ok && c.cur != nil {
		out = append(out, p.Problems()...)
	}
	return out
}

// Total implements Totaler: known only once the last source is open.
func (c *concat) Total() (int, bool) {
	if c.cur == nil || len(c.specs) > 0 {
		return 0, false
	}
	t, ok := c.cur.(Totaler)
	if !ok {
		return 0, false
	}
	n, ok := t.Total()
	return c.totals + n, ok
}

func (c *concat) Close() error {
	if c.cur != nil {
		c.finish()
	}
	return nil
}

// redactSpec drops a password from a URL spec for messages.
func redactSpec(spec string) string {
	if u, err := url.Parse(spec); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.User(u.User.Username())
			return u.String()
		}
	}
	return spec
}
