package platform

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/store/db"
)

// Query is one of Appwrite's JSON queries: {"method","attribute","values"}.
type Query struct {
	Method    string `json:"method"`
	Attribute string `json:"attribute"`
	Values    []any  `json:"values"`
}

// attrKind says how a queryable attribute's values are typed.
type attrKind int

const (
	kindString attrKind = iota
	kindNumber
	kindBool
	kindTime
)

// attribute maps an API attribute to its column.
type attribute struct {
	column string
	kind   attrKind
}

// listable describes the attributes a collection may be queried by.
type listable map[string]attribute

var queryOps = map[string]db.Op{
	"equal": db.OpEqual, "notEqual": db.OpNotEqual, "lessThan": db.OpLess, "lessThanEqual": db.OpLessEqual,
	"greaterThan": db.OpGreater, "greaterThanEqual": db.OpGreaterEq, "isNull": db.OpIsNull,
	"isNotNull": db.OpIsNotNull, "startsWith": db.OpStartsWith, "contains": db.OpContains,
	"between": db.OpBetween, "search": db.OpSearch,
}

// ParseQueries turns Appwrite query strings into list options, allowing
// only the attributes of attrs. Every mistake is an InvalidError naming the
// query.
func ParseQueries(raw []string, attrs listable) (db.ListOptions, error) {
	var opt db.ListOptions
	for _, s := range raw {
		var q Query
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&q); err != nil || q.Method == "" {
			return opt, invalid("Invalid query: %q is not a JSON query {\"method\",\"attribute\",\"values\"}", s)
		}
		switch q.Method {
		case "limit", "offset":
			n, err := intValue(q.Values)
			if err != nil || n < 0 {
				return opt, invalid("Invalid query: %s needs one non-negative integer", q.Method)
			}
			if q.Method == "limit" {
				if n > db.MaxLimit {
					return opt, invalid("Invalid query: limit must be at most %d", db.MaxLimit)
				}
				opt.Limit = n
			} else {
				opt.Offset = n
			}
		case "cursorAfter", "cursorBefore":
			if len(q.Values) != 1 {
				return opt, invalid("Invalid query: %s needs one id", q.Method)
			}
			id, ok := q.Values[0].(string)
			if !ok || id == "" {
				return opt, invalid("Invalid query: %s needs one id", q.Method)
			}
			if q.Method == "cursorAfter" {
				opt.CursorAfter = id
			} else {
				opt.CursorBefore = id
			}
		case "orderAsc", "orderDesc":
			a, ok := attrs[q.Attribute]
			if !ok {
				return opt, invalid("Invalid query: cannot order by attribute %q", q.Attribute)
			}
			opt.Order = append(opt.Order, db.Order{Column: a.column, Desc: q.Method == "orderDesc"})
		default:
			op, ok := queryOps[q.Method]
			if !ok {
				return opt, invalid("Invalid query: unknown method %q", q.Method)
			}
			a, ok := attrs[q.Attribute]
			if !ok {
				return opt, invalid("Invalid query: attribute %q is not queryable here", q.Attribute)
			}
			vals, err := typedValues(q.Values, a.kind)
			if err != nil {
				return opt, invalid("Invalid query: %s on %q: %v", q.Method, q.Attribute, err)
			}
			if op != db.OpIsNull && op != db.OpIsNotNull && len(vals) == 0 {
				return opt, invalid("Invalid query: %s on %q needs a value", q.Method, q.Attribute)
			}
			opt.Filters = append(opt.Filters, db.Filter{Column: a.column, Op: op, Values: vals})
		}
	}
	if opt.CursorAfter != "" && opt.CursorBefore != "" {
		return opt, invalid("Invalid query: use cursorAfter or cursorBefore, not both")
	}
	if (opt.CursorAfter != "" || opt.CursorBefore != "") && len(opt.Order) > 1 {
		return opt, invalid("Invalid query: a cursor works with at most one order")
	}
	return opt, nil
}

func intValue(v []any) (int, error) {
	if len(v) != 1 {
		return 0, fmt.Errorf("want one value")
	}
	n, ok := v[0].(json.Number)
	if !ok {
		return 0, fmt.Errorf("not a number")
	}
	i, err := n.Int64()
	return int(i), err
}

func typedValues(vals []any, kind attrKind) ([]any, error) {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		switch kind {
		case kindString:
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("value %v is not a string", v)
			}
			out = append(out, s)
		case kindNumber:
			n, ok := v.(json.Number)
			if !ok {
				return nil, fmt.Errorf("value %v is not a number", v)
			}
			f, err := n.Float64()
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		case kindBool:
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("value %v is not a boolean", v)
			}
			out = append(out, b)
		case kindTime:
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("value %v is not a date", v)
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, fmt.Errorf("value %q is not an ISO 8601 date", s)
			}
			out = append(out, t)
		}
	}
	return out, nil
}
