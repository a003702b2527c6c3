// Read an iCalendar feed from standard input with ical.js (Mozilla's parser, the one
// Thunderbird uses) and print what a calendar client would make of it, as JSON:
// the calendar's refresh durations in seconds, and each event's UID, summary, start and end
// (UTC, ISO 8601; all-day values as dates). A feed ical.js cannot parse makes it throw, and
// the test fails.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}

function moment(time) {
  if (!time) return null;
  if (time.isDate) return { date: time.toString() };
  return { utc: time.toJSDate().toISOString() };
}

function seconds(name) {
  const value = calendar.getFirstPropertyValue(name);
  if (value === null) return null;
  // X- properties come as text: parse them as the DURATION RFC 5545 says they are.
  return (typeof value === "string" ? ICAL.Duration.fromString(value) : value).toSeconds();
}

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    start: moment(event.startDate),
    end: moment(event.endDate),
    transp: component.getFirstPropertyValue("transp"),
  };
});

process.stdout.write(
  JSON.stringify({
    published_ttl: seconds("x-published-ttl"),
    refresh_interval: seconds("refresh-interval"),
    events,
  }),
);
