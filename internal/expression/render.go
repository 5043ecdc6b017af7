package expression

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// render appends the interpolation form of a normalised value to buf:
// strings as they are, null for nil, numbers in their shortest form (an
// integer without ".0"), true and false, and lists and maps as compact JSON
// with sorted keys. It fails with a *LimitError once buf would exceed
// MaxStringBytes.
func render(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if len(buf)+len(x) > MaxStringBytes {
			return nil, errStringBytes()
		}
		return append(buf, x...), nil
	case []any, map[string]any:
		w := jsonWriter{buf: buf}
		if err := w.value(v, 0); err != nil {
			return nil, err
		}
		return w.buf, nil
	}
	buf = appendScalar(buf, v)
	if len(buf) > MaxStringBytes {
		return nil, errStringBytes()
	}
	return buf, nil
}

// appendScalar appends nil, a bool, an int or a float64 as JSON does.
func appendScalar(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, x)
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case float64:
		return appendFloat(buf, x)
	}
	return buf
}

// appendFloat writes f in its shortest form, in plain notation when
// 1e-6 <= |f| < 1e21 and in exponent notation otherwise, with the exponent
// as short as possible (1e-7, not 1e-07): the form JSON encoders use.
func appendFloat(buf []byte, f float64) []byte {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		start := len(buf)
		buf = strconv.AppendFloat(buf, f, 'e', -1, 64)
		// Drop a leading zero of a two-digit negative exponent.
		if n := len(buf); n-start >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
		return buf
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

// jsonWriter writes a normalised value as JSON, with map keys sorted, and
// fails as soon as the output exceeds MaxStringBytes, so that a large value
// is never written out in full.
type jsonWriter struct {
	buf    []byte
	indent string // "" for compact output
}

// encodeJSON writes v (normalised) as JSON.
func encodeJSON(v any, indent string) ([]byte, error) {
	w := jsonWriter{indent: indent}
	if err := w.value(v, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

func (w *jsonWriter) check() error {
	if len(w.buf) > MaxStringBytes {
		return errStringBytes()
	}
	return nil
}

func (w *jsonWriter) newline(level int) {
	if w.indent == "" {
		return
	}
	w.buf = append(w.buf, '\n')
	for range level {
		w.buf = append(w.buf, w.indent...)
	}
}

func (w *jsonWriter) value(v any, level int) error {
	switch x := v.(type) {
	case string:
		w.buf = appendQuoted(w.buf, x)
	case []any:
		if len(x) == 0 {
			w.buf = append(w.buf, "[]"...)
			break
		}
		w.buf = append(w.buf, '[')
		for i, e := range x {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline(level + 1)
			if err := w.value(e, level+1); err != nil {
				return err
			}
		}
		w.newline(level)
		w.buf = append(w.buf, ']')
	case map[string]any:
		if len(x) == 0 {
			w.buf = append(w.buf, "{}"...)
			break
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.buf = append(w.buf, '{')
		for i, k := range keys {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline(level + 1)
			w.buf = appendQuoted(w.buf, k)
			w.buf = append(w.buf, ':')
			if w.indent != "" {
				w.buf = append(w.buf, ' ')
			}
			if err := w.value(x[k], level+1); err != nil {
				return err
			}
		}
		w.newline(level)
		w.buf = append(w.buf, '}')
	default:
		w.buf = appendScalar(w.buf, v)
	}
	return w.check()
}

const hexDigits = "0123456789abcdef"

// appendQuoted writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028 and
// U+2029 escaped. HTML characters are left as they are.
func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			buf = append(buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
