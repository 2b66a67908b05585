package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// namedStatement is a statement with @name parameters turned into
// PostgreSQL's $n, and the names in their order.
type namedStatement struct {
	sql   string
	names []string
}

// namedCache holds each hot statement's translation, made once.
var namedCache sync.Map // string → *namedStatement

// compileNamed turns @name parameters into $1, $2... (one number per
// name), outside quoted strings.
func compileNamed(q string) *namedStatement {
	if c, ok := namedCache.Load(q); ok {
		return c.(*namedStatement)
	}
	var b strings.Builder
	b.Grow(len(q))
	st := &namedStatement{}
	index := map[string]int{}
	inQuote := false
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\'':
			inQuote = !inQuote
		case ch == '@' && !inQuote && i+1 < len(q) && isNameStart(q[i+1]):
			j := i + 1
			for j < len(q) && isNameChar(q[j]) {
				j++
			}
			name := q[i+1 : j]
			n, ok := index[name]
			if !ok {
				st.names = append(st.names, name)
				n = len(st.names)
				index[name] = n
			}
			fmt.Fprintf(&b, "$%d", n)
			i = j - 1
			continue
		}
		b.WriteByte(ch)
	}
	st.sql = b.String()
	namedCache.Store(q, st)
	return st
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

// queryNamed runs a read statement with @name parameters straight on the
// connection (the pool, or the transaction this Store is in), without
// gorm's per-call statement building: the stream pages, the hottest reads,
// use it. It is counted by CountStatements like every other statement.
func (s *Store) queryNamed(ctx context.Context, q string, args map[string]any) (*sql.Rows, error) {
	st := compileNamed(q)
	vals := make([]any, len(st.names))
	for i, name := range st.names {
		v, ok := args[name]
		if !ok {
			return nil, fmt.Errorf("query: no value for @%s", name)
		}
		vals[i] = v
	}
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return s.db.Statement.ConnPool.QueryContext(ctx, st.sql, vals...)
}
