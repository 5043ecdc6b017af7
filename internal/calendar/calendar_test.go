package calendar_test

import (
	"testing"

	"github.com/dslrun/dslrun/internal/calendar"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/server/service/worker/scheduler"
)

// TestAgreesWithServer reads field values with Parse and with the Temporal
// server's own reader (a calendar spec of strings, canonicalized by the
// scheduler): both refuse the same values and give the same ranges.
func TestAgreesWithServer(t *testing.T) {
	values := []string{"", "*", "0", "5", "7", "1-5", "5-1", "*/15", "3/5", "1-5/2,8", "1-5/2,8-16/3,2", "0-7", "3-7", "1-7/2", "7",
		"MON", "mon-fri", "MON,WED", "SUN", "sunday", "SU", "MON-SUN", "JAN", "jan-jun", "JUL,AUG", "DECEMBER", "Foo", "F",
		"25", "31", "32", "60", "-1", "1-5-7", "5/", "5/0", "5/x", "3/5/7", "2027", "2000-2100", "1999", "x", "1,,2", " 9 "}
	fields := []struct {
		f   calendar.Field
		set func(*schedulepb.CalendarSpec, string)
		get func(*schedulepb.StructuredCalendarSpec) []*schedulepb.Range
	}{
		{calendar.Second, func(c *schedulepb.CalendarSpec, v string) { c.Second = v }, (*schedulepb.StructuredCalendarSpec).GetSecond},
		{calendar.Minute, func(c *schedulepb.CalendarSpec, v string) { c.Minute = v }, (*schedulepb.StructuredCalendarSpec).GetMinute},
		{calendar.Hour, func(c *schedulepb.CalendarSpec, v string) { c.Hour = v }, (*schedulepb.StructuredCalendarSpec).GetHour},
		{calendar.DayOfMonth, func(c *schedulepb.CalendarSpec, v string) { c.DayOfMonth = v }, (*schedulepb.StructuredCalendarSpec).GetDayOfMonth},
		{calendar.Month, func(c *schedulepb.CalendarSpec, v string) { c.Month = v }, (*schedulepb.StructuredCalendarSpec).GetMonth},
		{calendar.Year, func(c *schedulepb.CalendarSpec, v string) { c.Year = v }, (*schedulepb.StructuredCalendarSpec).GetYear},
		{calendar.DayOfWeek, func(c *schedulepb.CalendarSpec, v string) { c.DayOfWeek = v }, (*schedulepb.StructuredCalendarSpec).GetDayOfWeek},
	}
	limit := func() int { return 1000 }
	b := scheduler.NewSpecBuilder(limit, limit)
	read := 0
	for _, fd := range fields {
		for _, v := range values {
			in := v
			if in == "" {
				in = "*" // the server's empty field is its default, Parse's is *
			}
			cal := &schedulepb.CalendarSpec{}
			fd.set(cal, in)
			cs, serr := b.NewCompiledSpec(&schedulepb.ScheduleSpec{Calendar: []*schedulepb.CalendarSpec{cal}})
			got, err := fd.f.Parse(v)
			if (serr != nil) != (err != nil) {
				t.Errorf("%s %q: server error %v, Parse error %v", fd.f.Name, v, serr, err)
				continue
			}
			if serr != nil {
				continue
			}
			read++
			want := fd.get(cs.CanonicalForm().GetStructuredCalendar()[0])
			if len(got) != len(want) {
				t.Errorf("%s %q: Parse gives %v, the server %v", fd.f.Name, v, got, want)
				continue
			}
			for i, r := range want {
				if g := got[i]; g.Start != int(r.GetStart()) || g.End != int(r.GetEnd()) || g.Step != int(r.GetStep()) {
					t.Errorf("%s %q: Parse gives %v, the server %v", fd.f.Name, v, got, want)
					break
				}
			}
		}
	}
	if read < 50 {
		t.Errorf("only %d values read by both: the table lost its valid values", read)
	}
}
