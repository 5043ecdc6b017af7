package expression

import "fmt"

// Limits on one expression. They are part of the determinism contract (see
// the package documentation): they are the same on every worker and never
// depend on time.
const (
	// MaxSourceBytes is the longest expression source, in bytes.
	MaxSourceBytes = 16 << 10
	// MaxNodes is the largest number of syntax nodes in one expression.
	MaxNodes = 2000
	// MaxDepth is the deepest nesting of syntax nodes in one expression.
	MaxDepth = 128
	// MaxSteps is the operation budget of one evaluation: one step per
	// evaluation of a closure body, plus steps in proportion to the elements
	// and bytes that builtins and operators go through.
	MaxSteps = 1_000_000
	// MaxStringBytes is the largest string one operation may build.
	MaxStringBytes = 1 << 20
	// MaxTotalBytes is the total size of the strings built by one evaluation.
	MaxTotalBytes = 16 << 20
	// MaxRange is the largest number of elements of a range a..b.
	MaxRange = 100_000
	// MemoryBudget is expr's memory budget for one evaluation, counted in
	// elements of the arrays and maps the virtual machine allocates.
	MemoryBudget = 1_000_000
	// MaxValueDepth is the deepest nesting of a value that is rendered,
	// compared or normalised.
	MaxValueDepth = 1000

	// bytesPerStep is how many bytes of a string scanned or built cost one step.
	bytesPerStep = 64
)

// Limit names a run-time limit of an evaluation.
type Limit string

// The run-time limits an evaluation can exceed.
const (
	LimitSteps       Limit = "operation budget"
	LimitStringBytes Limit = "string size limit"
	LimitTotalBytes  Limit = "string budget"
	LimitRange       Limit = "range size limit"
	LimitMemory      Limit = "memory budget"
	LimitValueDepth  Limit = "value nesting limit"
	LimitShared      Limit = "shared operation budget"
)

// LimitError reports that an evaluation exceeded one of its limits. It is
// deterministic: the same expression over the same values fails the same way
// on every worker, so the interpreter fails the workflow with it rather than
// retrying the workflow task.
type LimitError struct {
	// Limit is the limit that was exceeded.
	Limit Limit
	// Max is the value of the limit, in Unit.
	Max int
	// Unit is what Max counts: "steps", "bytes", "elements" or "levels".
	Unit string
	// Line and Col locate, 1-based within the source (as for *Error), the
	// operation that exceeded the limit, and Offset is its byte offset; all
	// are 0 when unknown.
	Line, Col, Offset int
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("expression exceeded its %s (%d %s)", e.Limit, e.Max, e.Unit)
}

func errSteps() *LimitError {
	return &LimitError{Limit: LimitSteps, Max: MaxSteps, Unit: "steps"}
}

func errStringBytes() *LimitError {
	return &LimitError{Limit: LimitStringBytes, Max: MaxStringBytes, Unit: "bytes"}
}

func errTotalBytes() *LimitError {
	return &LimitError{Limit: LimitTotalBytes, Max: MaxTotalBytes, Unit: "bytes"}
}

func errRange() *LimitError {
	return &LimitError{Limit: LimitRange, Max: MaxRange, Unit: "elements"}
}

func errMemory() *LimitError {
	return &LimitError{Limit: LimitMemory, Max: MemoryBudget, Unit: "elements"}
}

func errValueDepth() *LimitError {
	return &LimitError{Limit: LimitValueDepth, Max: MaxValueDepth, Unit: "levels"}
}

// budget is the per-evaluation account of work. It is created for each
// evaluation, reached by the expression through a hidden variable, and used
// from one goroutine only. A nil *budget is unlimited apart from value depth
// and string sizes (used by Normalize for values that did not come from an
// expression).
type budget struct {
	steps int
	bytes int
	// shared, when set, is charged with every step too.
	shared *Budget
}

// charge spends n steps.
func (b *budget) charge(n int) error {
	if b == nil {
		return nil
	}
	if n < 0 || n > MaxSteps-b.steps {
		b.steps = MaxSteps + 1
		return errSteps()
	}
	if s := b.shared; s != nil {
		if n > s.max-s.used {
			s.used = s.max + 1
			return &LimitError{Limit: LimitShared, Max: s.max, Unit: "steps"}
		}
		s.used += n
	}
	b.steps += n
	return nil
}

// Budget is an operation budget that several evaluations share: their
// steps together cannot exceed it, although each evaluation also keeps its
// own MaxSteps. The interpreter gives one to all the evaluations of one
// workflow task, so that many expressions in a row cannot keep a worker
// busy past the SDK's deadlock detector either. Like the per-evaluation
// limits it counts steps, never time, so it is deterministic. A Budget is
// not safe for concurrent use.
type Budget struct {
	max, used int
}

// NewBudget returns a shared budget of max steps.
func NewBudget(max int) *Budget { return &Budget{max: max} }

// Used returns the steps spent so far.
func (s *Budget) Used() int { return min(s.used, s.max) }

// Reset makes the whole budget available again.
func (s *Budget) Reset() { s.used = 0 }

// chargeBytes spends the steps for scanning n bytes.
func (b *budget) chargeBytes(n int) error {
	return b.charge(1 + n/bytesPerStep)
}

// reserve checks, before a string of n bytes is built, that it fits the
// per-string limit and the evaluation's string budget, and records it.
func (b *budget) reserve(n int) error {
	if n < 0 || n > MaxStringBytes {
		return errStringBytes()
	}
	if b == nil {
		return nil
	}
	if n > MaxTotalBytes-b.bytes {
		b.bytes = MaxTotalBytes + 1
		return errTotalBytes()
	}
	b.bytes += n
	return b.chargeBytes(n)
}
