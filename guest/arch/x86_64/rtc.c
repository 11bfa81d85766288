/*
 * Read the MC146818-compatible CMOS clock.  It is read twice until two
 * reads agree, so an update in the middle cannot give a torn time, and
 * its BCD and 12-hour formats are undone.  Only for a guest booted alone:
 * spawned, the RTC belongs to the host.
 */
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/cpu.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80	/* keep NMIs masked while we index */

#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32	/* ACPI FADT's usual century register */

#define STATUS_A_UPDATING 0x80
#define STATUS_B_24H 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80

#define RTC_TRIES 5
#define RTC_UPDATE_POLLS 100000

struct rtc_time {
	unsigned int sec, min, hour, day, month, year, century;
};

static unsigned int cmos_read(unsigned int reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static int wait_no_update(void)
{
	for (int i = 0; i < RTC_UPDATE_POLLS; i++)
		if (!(cmos_read(RTC_STATUS_A) & STATUS_A_UPDATING))
			return 0;
	return -1;
}

static void read_raw(struct rtc_time *t)
{
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->month = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

static int same(const struct rtc_time *a, const struct rtc_time *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour &&
	       a->day == b->day && a->month == b->month &&
	       a->year == b->year && a->century == b->century;
}

static unsigned int bcd(unsigned int v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static void normalise(struct rtc_time *t, unsigned int status_b)
{
	unsigned int pm = t->hour & HOUR_PM;

	t->hour &= ~HOUR_PM;
	if (!(status_b & STATUS_B_BINARY)) {
		t->sec = bcd(t->sec);
		t->min = bcd(t->min);
		t->hour = bcd(t->hour);
		t->day = bcd(t->day);
		t->month = bcd(t->month);
		t->year = bcd(t->year);
		t->century = bcd(t->century);
	}
	if (!(status_b & STATUS_B_24H))
		t->hour = t->hour % 12 + (pm ? 12 : 0);
	if (t->century < 19 || t->century > 99)
		t->century = 20;	/* no century register: assume 20xx */
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint64_t rtc_read_unix(void)
{
	struct rtc_time a, b;
	int64_t days;
	int i;

	for (i = 0; i < RTC_TRIES; i++) {
		if (wait_no_update())
			return 0;
		read_raw(&a);
		if (wait_no_update())
			return 0;
		read_raw(&b);
		if (same(&a, &b))
			break;
	}
	if (i == RTC_TRIES)
		return 0;
	normalise(&a, cmos_read(RTC_STATUS_B));
	if (a.month < 1 || a.month > 12 || a.day < 1 || a.day > 31 ||
	    a.hour > 23 || a.min > 59 || a.sec > 59)
		return 0;
	days = days_from_civil(a.century * 100 + a.year, a.month, a.day);
	if (days < 0)
		return 0;
	return (uint64_t)days * 86400 + a.hour * 3600 + a.min * 60 + a.sec;
}
