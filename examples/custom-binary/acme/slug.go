package acme

import (
	"context"
	"strings"
	"unicode"
)

// SlugInput is the with: value of acme.slug.
type SlugInput struct {
	Text string `json:"text"`
}

// SlugResult is the result of acme.slug.
type SlugResult struct {
	Slug string `json:"slug"`
}

// slug lowercases in.Text and joins its runs of letters and digits with
// dashes.
func slug(_ context.Context, in SlugInput) (SlugResult, error) {
	words := strings.FieldsFunc(strings.ToLower(in.Text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return SlugResult{Slug: strings.Join(words, "-")}, nil
}
