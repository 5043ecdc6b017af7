package expression

import (
	"archive/zip"
	_ "embed" // zoneinfo.zip
	"fmt"
	"io"
	"strings"
	"time"
)

//go:generate sh -c "cp \"$(go env GOROOT)/lib/time/zoneinfo.zip\" zoneinfo.zip && chmod 644 zoneinfo.zip"

// zoneinfo is the IANA time zone database (tzdata 2025c, from Go 1.26.8's
// lib/time/zoneinfo.zip; refresh it with go generate). Zone names are
// resolved only from it, never from the host's /usr/share/zoneinfo or
// $ZONEINFO, so that a zone means the same on every worker and in every
// replay. (The time/tzdata package would not do: time.LoadLocation still
// prefers the host's database and reads $ZONEINFO.)
//
//go:embed zoneinfo.zip
var zoneinfo string

// maxZoneBytes bounds the size of one zone file read from the database.
const maxZoneBytes = 1 << 20

// loadLocation resolves an IANA zone name such as "Europe/Paris" from the
// embedded database. "UTC" is UTC; "Local" and "" are refused because they
// would mean the host's zone.
func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "UTC":
		return time.UTC, nil
	case "", "Local":
		return nil, fmt.Errorf("time zone %q depends on the host; name a zone such as \"Europe/Paris\" or \"UTC\"", name)
	}
	r, err := zip.NewReader(strings.NewReader(zoneinfo), int64(len(zoneinfo)))
	if err != nil {
		return nil, fmt.Errorf("reading the embedded time zone database: %w", err)
	}
	for _, f := range r.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("reading time zone %q: %w", name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxZoneBytes))
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("reading time zone %q: %w", name, err)
		}
		return time.LoadLocationFromTZData(name, data)
	}
	return nil, fmt.Errorf("unknown time zone %q", name)
}
