package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"with", "local", "taskQueue", "retry", "maximumAttempts", "parentClosePolicy", "name", "input", "steps", "state"}
	for _, tt := range []struct{ in, want string }{
		{"wth", "with"},
		{"WITH", "with"},
		{"nmae", "name"},   // a swap of neighbours is one edit
		{"inptu", "input"}, // likewise
		{"maxAttempts", "maximumAttempts"},
		{"parentClose", "parentClosePolicy"},
		{"taskqueue", "taskQueue"},
		{"stat", "state"}, // ties go to the first in sorted order: state < steps
		{"c", ""},         // one letter is close to anything: no suggestion
		{"zzzzzz", ""},
		{"", ""},
	} {
		if got := Closest(tt.in, keys); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
