package interpreter

import (
	"go.temporal.io/sdk/workflow"

	"github.com/dslrun/dslrun/dsl"
)

// The upsert step (see dsl/step_upsert.go).

type upsertNode struct {
	searchAttributes []assign
	memo             []assign
}

func (c *compiler) upsert(kp string, u *dsl.UpsertStep, vars []string) *upsertNode {
	return &upsertNode{
		searchAttributes: c.assigns(kp+".searchAttributes", u.SearchAttributes, vars),
		memo:             c.assigns(kp+".memo", u.Memo, vars),
	}
}

// upsert evaluates the values, then sets the search attributes and the
// memo of the run (a command each, recorded in history). Its result is
// {searchAttributes, memo} of what was set.
func (r *runner) upsert(ctx workflow.Context, e *env, n *node, u *upsertNode) (any, error) {
	eval := func(what string, as []assign) (map[string]any, error) {
		if len(as) == 0 {
			return nil, nil
		}
		out := make(map[string]any, len(as))
		for _, a := range as {
			v, err := e.eval(a.val)
			if err != nil {
				return nil, exprFailure(n.path, "upsert."+what+"."+a.key, err)
			}
			out[a.key] = v
		}
		return out, nil
	}
	sa, err := eval("searchAttributes", u.searchAttributes)
	if err != nil {
		return nil, err
	}
	memo, err := eval("memo", u.memo)
	if err != nil {
		return nil, err
	}
	result := map[string]any{}
	if sa != nil {
		updates, err := searchAttributeUpdates("upsert.searchAttributes", sa)
		if err != nil {
			return nil, exprFailure(n.path, "upsert.searchAttributes", err)
		}
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			return nil, exprFailure(n.path, "upsert.searchAttributes", err)
		}
		result["searchAttributes"] = sa
	}
	if memo != nil {
		if err := workflow.UpsertMemo(ctx, memo); err != nil {
			return nil, exprFailure(n.path, "upsert.memo", err)
		}
		result["memo"] = memo
	}
	return result, nil
}
