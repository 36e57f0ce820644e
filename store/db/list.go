package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Op is a comparison a list filter applies.
type Op string

// Filter operators.
const (
	OpEqual       Op = "="
	OpNotEqual    Op = "<>"
	OpLess        Op = "<"
	OpLessEqual   Op = "<="
	OpGreater     Op = ">"
	OpGreaterEq   Op = ">="
	OpIsNull      Op = "IS NULL"
	OpIsNotNull   Op = "IS NOT NULL"
	OpStartsWith  Op = "STARTS WITH"
	OpContains    Op = "CONTAINS"
	OpBetween     Op = "BETWEEN"
	OpSearch      Op = "SEARCH"
	OpEqualAnyOf  Op = "IN"
	OpNotEqualAny Op = "NOT IN"
)

// Filter compares a column with values. Column names come from the domain
// layer's allow-list, never from the client, so they are trusted here.
type Filter struct {
	Column string
	Op     Op
	Values []any
}

// Order sorts by a column.
type Order struct {
	Column string
	Desc   bool
}

// ListOptions select, order and page rows.
type ListOptions struct {
	Filters []Filter
	Order   []Order
	// Limit rows (default 25, max 5000); Offset skips rows.
	Limit  int
	Offset int
	// CursorAfter/CursorBefore page from the row with this id (by the
	// order, then id).
	CursorAfter  string
	CursorBefore string
}

// MaxLimit caps Limit.
const MaxLimit = 5000

// where renders the filters as SQL, numbering parameters from len(args)+1.
func (o ListOptions) where(args []any) (string, []any, error) {
	var parts []string
	for _, f := range o.Filters {
		col := f.Column
		switch f.Op {
		case OpIsNull, OpIsNotNull:
			parts = append(parts, fmt.Sprintf("%s %s", col, f.Op))
		case OpEqual, OpEqualAnyOf:
			if len(f.Values) == 0 {
				return "", nil, fmt.Errorf("filter on %s needs a value", col)
			}
			args = append(args, f.Values)
			parts = append(parts, fmt.Sprintf("%s = ANY($%d)", col, len(args)))
		case OpNotEqual, OpNotEqualAny:
			if len(f.Values) == 0 {
				return "", nil, fmt.Errorf("filter on %s needs a value", col)
			}
			args = append(args, f.Values)
			parts = append(parts, fmt.Sprintf("NOT (%s = ANY($%d))", col, len(args)))
		case OpLess, OpLessEqual, OpGreater, OpGreaterEq:
			if len(f.Values) != 1 {
				return "", nil, fmt.Errorf("filter %s on %s needs one value", f.Op, col)
			}
			args = append(args, f.Values[0])
			parts = append(parts, fmt.Sprintf("%s %s $%d", col, f.Op, len(args)))
		case OpBetween:
			if len(f.Values) != 2 {
				return "", nil, fmt.Errorf("between on %s needs two values", col)
			}
			args = append(args, f.Values[0], f.Values[1])
			parts = append(parts, fmt.Sprintf("%s BETWEEN $%d AND $%d", col, len(args)-1, len(args)))
		case OpStartsWith:
			args = append(args, fmt.Sprint(first(f.Values)))
			parts = append(parts, fmt.Sprintf("starts_with(%s::text, $%d)", col, len(args)))
		case OpContains, OpSearch:
			args = append(args, "%"+likeEscape(fmt.Sprint(first(f.Values)))+"%")
			parts = append(parts, fmt.Sprintf("%s::text ILIKE $%d", col, len(args)))
		default:
			return "", nil, fmt.Errorf("unknown filter operator %q", f.Op)
		}
	}
	if len(parts) == 0 {
		return "", args, nil
	}
	return " AND " + strings.Join(parts, " AND "), args, nil
}

func first(v []any) any {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// orderBy renders ORDER BY, always ending with id so paging is stable.
func (o ListOptions) orderBy(defaultCol string, defaultDesc bool) string {
	order := o.Order
	if len(order) == 0 {
		order = []Order{{Column: defaultCol, Desc: defaultDesc}}
	}
	var parts []string
	for _, ord := range order {
		dir := "ASC"
		if ord.Desc {
			dir = "DESC"
		}
		parts = append(parts, ord.Column+" "+dir)
	}
	return " ORDER BY " + strings.Join(parts, ", ") + ", id ASC"
}

func (o ListOptions) limit() int {
	switch {
	case o.Limit <= 0:
		return 25
	case o.Limit > MaxLimit:
		return MaxLimit
	}
	return o.Limit
}

// listQuery runs a paged, filtered SELECT over table within scope (a SQL
// condition with its args, e.g. "project_id = $1 AND function_id = $2") and
// returns the total of matching rows, ignoring paging.
func (db *DB) listQuery(ctx context.Context, table, columns, scope string, scopeArgs []any,
	opt ListOptions, defaultOrder string, defaultDesc bool, each func(pgx.Rows) error) (int, error) {
	where, args, err := opt.where(scopeArgs)
	if err != nil {
		return 0, err
	}
	var total int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE "+scope+where, args...).Scan(&total); err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	cursorSQL, args, err := opt.cursor(table, scope, args, defaultOrder, defaultDesc)
	if err != nil {
		return 0, err
	}
	args = append(args, opt.limit(), max(opt.Offset, 0))
	sql := "SELECT " + columns + " FROM " + table + " WHERE " + scope + where + cursorSQL +
		opt.orderBy(defaultOrder, defaultDesc) + fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("listing %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return 0, fmt.Errorf("reading %s: %w", table, err)
		}
	}
	return total, rows.Err()
}

// cursor renders the keyset condition for CursorAfter/CursorBefore: rows
// after (or before) the cursor row in the list's order.
func (o ListOptions) cursor(table, scope string, args []any, defaultOrder string, defaultDesc bool) (string, []any, error) {
	id, after := o.CursorAfter, true
	if id == "" {
		id, after = o.CursorBefore, false
	}
	if id == "" {
		return "", args, nil
	}
	order := o.Order
	if len(order) == 0 {
		order = []Order{{Column: defaultOrder, Desc: defaultDesc}}
	}
	if len(order) > 1 {
		return "", nil, fmt.Errorf("%w: a cursor works with one order attribute", ErrInvalidQuery)
	}
	col, desc := order[0].Column, order[0].Desc
	args = append(args, id)
	idArg := len(args)
	cmp := ">"
	if desc != !after {
		cmp = "<"
	}
	// (col, id) compared as a row: ties on col are broken by id ascending.
	idCmp := ">"
	if !after {
		idCmp = "<"
	}
	cond := fmt.Sprintf(" AND (%[1]s %[2]s (SELECT %[1]s FROM %[3]s WHERE %[4]s AND id = $%[5]d) OR (%[1]s = (SELECT %[1]s FROM %[3]s WHERE %[4]s AND id = $%[5]d) AND id %[6]s $%[5]d))",
		col, cmp, table, scope, idArg, idCmp)
	return cond, args, nil
}

// qualified prefixes each column of a comma list with table.
func qualified(table, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = table + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
